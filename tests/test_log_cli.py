"""The log commands: sent, reply, log, candidates, pending, stats, search, export, purge."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from kizuna.cli import cli
from kizuna.log import Log
from kizuna.models import Candidate, Message


class Clock:
    def __init__(self, now: str) -> None:
        self.now = now

    def __call__(self) -> str:
        return self.now


def invitation(candidate: Candidate, *, kind: str = "interview_invitation", result: str | None = None,
               stage: str = "interview1", body: str = "") -> Message:
    return Message(
        kind=kind,
        candidate=candidate,
        date=dt.date(2026, 11, 26),
        subject=f"【北上市】{'面接のご案内' if kind == 'interview_invitation' else '選考結果のお知らせ'}",
        body=body or f"{candidate.name} 様\n\n北上市役所の北上です。面接の日程をご案内いたします。",
        result=result,
        stage=stage,
    )


@pytest.fixture
def seeded(db_path: Path, yamada: Candidate, sato: Candidate) -> Iterator[Path]:
    """Two applicants: 山田 invited and replied on Fri 11-20; 佐藤 not passed at screening."""
    with Log.open(db_path, clock=Clock("2026-11-19T10:00:00+09:00")) as log:
        log.record_outbound(invitation(yamada))
        log.record_outbound(invitation(sato, kind="screening_result", result="not_passed", stage="screening",
                                       body="佐藤 花子 様\n\n書類選考の結果をお知らせいたします。"))
        log.record_inbound("A-0001", "2番の日程でお願いいたします。", received_at=dt.datetime(2026, 11, 20, 18, 0))
    yield db_path


def run(runner: CliRunner, *args: str, input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(cli, list(args), input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_sent_marks_a_draft(runner: CliRunner, seeded: Path) -> None:
    code, out = run(runner, "sent", "1")
    assert code == 0 and "Exchange 1 to A-0001 is marked sent" in out
    with Log.open(seeded) as log:
        assert log.get_exchange(1).status == "sent"
    code, out = run(runner, "sent", "42")
    assert code == 1 and "No exchange with id 42" in out and "Traceback" not in out


def test_reply_from_text_file_and_stdin(runner: CliRunner, seeded: Path, tmp_path: Path) -> None:
    code, out = run(runner, "reply", "A-0001", "--text", "承知いたしました。", "--at", "2026-11-24T09:00")
    assert code == 0 and "Recorded the reply from A-0001 as exchange 4" in out
    reply = tmp_path / "reply.txt"
    reply.write_text("ファイルからの返信です。\n", encoding="utf-8")
    assert run(runner, "reply", "A-0001", "--file", str(reply))[0] == 0
    assert run(runner, "reply", "A-0002", "--file", "-", input="標準入力からの返信です。\n")[0] == 0
    with Log.open(seeded) as log:
        bodies = [e.body for e in log.timeline() if e.direction == "in"]
        assert bodies[1:] == ["承知いたしました。", "ファイルからの返信です。\n", "標準入力からの返信です。\n"]
        assert log.get_exchange(4).sent_at == "2026-11-24T09:00:00+09:00"


def test_reply_errors(runner: CliRunner, seeded: Path, tmp_path: Path) -> None:
    code, out = run(runner, "reply", "A-001", "--text", "こんにちは")
    assert code == 1 and "Did you mean: A-0001 (山田 太郎)" in out
    assert run(runner, "reply", "A-0001")[0] == 2
    assert run(runner, "reply", "A-0001", "--text", "a", "--file", "-")[0] == 2
    assert run(runner, "reply", "A-0001", "--text", "a", "--at", "昨日")[0] == 2
    cp932 = tmp_path / "sjis.txt"
    cp932.write_bytes("よろしくお願いします".encode("cp932"))
    code, out = run(runner, "reply", "A-0001", "--file", str(cp932))
    assert code == 1 and "not UTF-8" in out


def test_log_text_and_json(runner: CliRunner, seeded: Path) -> None:
    code, out = run(runner, "log")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3
    assert lines[0].startswith("#1") and "→ draft" in lines[0] and "【北上市】面接のご案内" in lines[0]
    assert lines[2].startswith("#3") and "← received" in lines[2] and "2番の日程" in lines[2]
    code, out = run(runner, "log", "A-0001")
    assert code == 0 and "    山田 太郎 様" in out and "#2" not in out
    code, out = run(runner, "log", "A-0001", "--format", "json")
    data = json.loads(out)
    assert [e["id"] for e in data] == [1, 3]
    assert data[0]["direction"] == "out" and data[1]["status"] == "received"
    code, out = run(runner, "log", "Z-9")
    assert code == 1 and "No applicant with id 'Z-9'" in out


def test_log_on_an_empty_database(runner: CliRunner) -> None:
    code, out = run(runner, "log")
    assert code == 0 and "empty" in out


def test_candidates_filters(runner: CliRunner, seeded: Path) -> None:
    code, out = run(runner, "candidates")
    assert code == 0 and "A-0001" in out and "A-0002" in out and "not_passed" in out
    code, out = run(runner, "candidates", "--status", "not_passed", "--format", "json")
    data = json.loads(out)
    assert [c["id"] for c in data] == ["A-0002"] and data[0]["stage"] == "screening"
    code, out = run(runner, "candidates", "--stage", "interview1")
    assert "A-0001" in out and "A-0002" not in out
    code, out = run(runner, "candidates", "--stage", "final")
    assert "No applicants match" in out


def test_pending_counts_business_days(runner: CliRunner, seeded: Path) -> None:
    # Fri 11-20 → Tue 11-24: the weekend and 勤労感謝の日 (Mon 11-23) do not count.
    code, out = run(runner, "pending", "--date", "2026-11-24")
    assert code == 0 and "A-0001" in out and "1 business day" in out and "A-0002" not in out
    code, out = run(runner, "pending", "--date", "2026-11-24", "--days", "2")
    assert "Nobody is waiting" in out
    code, out = run(runner, "pending", "--date", "2026-11-27", "--format", "json")
    assert json.loads(out) == [{
        "candidate_id": "A-0001", "name": "山田 太郎", "exchange_id": 3,
        "received_at": "2026-11-20T18:00:00+09:00", "business_days": 4, "draft_ready": False,
    }]
    assert run(runner, "pending", "--date", "11/24")[0] == 2


def test_stats(runner: CliRunner, seeded: Path) -> None:
    code, out = run(runner, "stats")
    assert code == 0
    assert "Applicants: 2 (active 1, not_passed 1)" in out
    assert "第1次試験（書類選考）: 1 reached, 0 passed, 1 not passed" in out
    assert "第2次試験（一次面接）: 1 reached" in out
    assert "2 drafts, 0 sent, 1 received" in out
    data = json.loads(run(runner, "stats", "--format", "json")[1])
    assert data["stages"][0] == {"stage": "screening", "candidates": 1, "passed": 0, "not_passed": 1}


def test_search(runner: CliRunner, seeded: Path) -> None:
    code, out = run(runner, "search", "面接")
    assert code == 0 and out.startswith("#1")
    code, out = run(runner, "search", "2番")
    assert out.startswith("#3")
    code, out = run(runner, "search", "お知らせ", "--format", "json")
    assert [e["candidate_id"] for e in json.loads(out)] == ["A-0002"]
    code, out = run(runner, "search", "日程", "--candidate", "A-0002")
    assert "Nothing found" in out
    assert run(runner, "search")[0] == 2


def test_export(runner: CliRunner, seeded: Path, tmp_path: Path) -> None:
    code, out = run(runner, "export", "--format", "csv")
    assert code == 0 and out.startswith("id,candidate_id,candidate_name,")
    assert "山田 太郎" in out
    code, out = run(runner, "export", "--format", "json")
    assert [r["id"] for r in json.loads(out)] == [1, 2, 3]
    target = tmp_path / "out.json"
    code, out = run(runner, "export", "--format", "json", "--output", str(target))
    assert code == 0 and "Wrote 3 exchanges" in out
    assert len(json.loads(target.read_text(encoding="utf-8"))) == 3


def test_purge_asks_then_deletes(runner: CliRunner, seeded: Path) -> None:
    code, out = run(runner, "purge", "--candidate", "A-0002", input="n\n")
    assert code == 1 and "This deletes 1 applicant(s) (A-0002), 1 exchange(s)" in out
    with Log.open(seeded) as log:
        assert len(log.candidates()) == 2
    code, out = run(runner, "purge", "--candidate", "A-0002", input="y\n")
    assert code == 0 and "Purged 1 applicant(s), 1 exchange(s) and 0 slot hold(s)" in out
    code, out = run(runner, "purge", "--before", "2026-11-01", "--yes")
    assert code == 0 and "Purged 0 applicant(s)" in out
    code, out = run(runner, "purge", "--before", "2026-11-01")
    assert "Nothing to purge" in out
    with Log.open(seeded) as log:
        assert [c.candidate.id for c in log.candidates()] == ["A-0001"]


def test_purge_several_applicants_in_one_pass(runner: CliRunner, db_path: Path) -> None:
    _applicants_log(db_path, 6)
    code, out = run(runner, "purge", "--candidate", "P-001", "--candidate", "P-004",
                    "--candidate", "P-001", "--yes")
    assert code == 0 and "Purged 2 applicant(s), 2 exchange(s)" in out
    with Log.open(db_path) as log:
        assert [c.candidate.id for c in log.candidates()] == ["P-000", "P-002", "P-003", "P-005"]
    # An unknown id among them: nothing is deleted, and the error names it.
    code, out = run(runner, "purge", "--candidate", "P-002", "--candidate", "P-0099", "--yes")
    assert code == 1 and "P-0099" in out
    with Log.open(db_path) as log:
        assert len(log.candidates()) == 4


def test_purge_expired_uses_the_profile_retention(runner: CliRunner, db_path: Path, yamada: Candidate) -> None:
    old = Candidate(id="OLD-1", name="古い 応募者")
    with Log.open(db_path, clock=Clock("2020-04-01T10:00:00+09:00")) as log:
        log.record_outbound(invitation(old))
    with Log.open(db_path) as log:  # recorded now: within any retention period
        log.record_outbound(invitation(yamada))
    code, out = run(runner, "purge", "--expired", "--yes")
    assert code == 0 and "Purged 1 applicant(s)" in out
    with Log.open(db_path) as log:
        assert [c.candidate.id for c in log.candidates()] == ["A-0001"]


def test_purge_usage(runner: CliRunner, seeded: Path) -> None:
    assert run(runner, "purge", "--yes")[0] == 2
    assert run(runner, "purge", "--expired", "--candidate", "A-0001", "--yes")[0] == 2
    code, out = run(runner, "purge", "--candidate", "A-01", "--yes")
    assert code == 1 and "Did you mean" in out


def test_db_option_and_not_a_database(runner: CliRunner, tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("これはデータベースではありません。\n", encoding="utf-8")
    before = other.read_bytes()
    code, out = run(runner, "--db", str(other), "log")
    assert code == 1 and str(other) in out and "not a SQLite database" in out
    assert "Traceback" not in out
    assert other.read_bytes() == before
    fresh = tmp_path / "elsewhere" / "k.db"
    assert run(runner, "--db", str(fresh), "candidates")[0] == 0
    assert fresh.exists()


def test_export_with_bom_for_excel(tmp_path, runner) -> None:
    from kizuna.cli import cli

    db = tmp_path / "k.db"
    assert runner.invoke(cli, ["--db", str(db), "draft", "application_received", "--name", "山田 太郎",
                               "--candidate", "A-1", "--date", "2026-11-26"]).exit_code == 0
    out = tmp_path / "x.csv"
    result = runner.invoke(cli, ["--db", str(db), "export", "--format", "csv", "--bom", "--output", str(out)])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "山田 太郎".encode() in raw


def test_search_shows_the_newest_and_says_there_are_more(runner, db_path) -> None:  # type: ignore[no-untyped-def]
    from kizuna.log import Log
    from kizuna.models import Candidate, Message

    with Log.open(db_path) as log:
        log.record_outbound_many([
            (Message(kind="application_received", candidate=Candidate(id=f"L-{n}", name="山田 太郎"),
                     date=dt.date(2026, 11, 26), subject="受付", body=f"面接のご案内 {n}"), f"l-{n}")
            for n in range(5)
        ])
    result = runner.invoke(cli, ["--db", str(db_path), "search", "面接", "--limit", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 3 and "use --limit" in lines[-1]
    assert runner.invoke(cli, ["--db", str(db_path), "search", "面接", "--limit", "0"]).output.count("\n") == 5


# --- reports at any size: pages, streams and indexes ---------------------------------------------


def _applicants_log(db_path: Path, count: int) -> None:
    clock = Clock("2026-11-20T10:00:00+09:00")
    with Log.open(db_path, clock=clock) as log:
        for n in range(count):
            who = Candidate(id=f"P-{n:03d}", name=f"応募 {n}号", email=f"p{n}@example.jp")
            for k in range(n % 3):
                log.record_outbound(invitation(who, kind="screening_result", result="passed",
                                               stage="screening"), idempotency_key=f"p:{n}:{k}")
            if not n % 3:
                log.upsert_candidate(who)


def test_candidates_come_a_page_at_a_time_and_the_pages_cover_everyone_once(
        runner: CliRunner, db_path: Path) -> None:
    _applicants_log(db_path, 7)
    with Log.open(db_path) as log:
        everyone = [r.to_dict() for r in log.candidates()]
    assert len(everyone) == 7
    seen: list[str] = []
    args = ["candidates", "--limit", "3"]
    for _ in range(5):
        code, out = run(runner, *args)
        assert code == 0
        lines = out.splitlines()
        seen += [line.split()[0] for line in lines if line.startswith("P-")]
        if not lines[-1].startswith("… and more"):
            break
        assert lines[-1].startswith("… and more: 3 are shown. The next page: kizuna candidates --after ")
        args = ["candidates", "--limit", "3", *lines[-1].split("kizuna candidates ")[1].split()]
    assert seen == [c["id"] for c in everyone]
    # JSON, every page the same records as the library's list; --limit 0 is everyone.
    code, out = run(runner, "candidates", "--format", "json", "--limit", "0")
    assert json.loads(out) == everyone
    paged = runner.invoke(cli, ["candidates", "--format", "json", "--limit", "2", "--after", "P-001"])
    assert json.loads(paged.stdout) == everyone[2:4]  # the next page's command goes to stderr
    assert "--after P-003" in paged.stderr
    code, out = run(runner, "candidates", "--format", "json", "--limit", "0", "--after", "P-999")
    assert json.loads(out) == []


def test_candidate_counts_agree_with_a_join_over_the_whole_log(db_path: Path) -> None:
    """The per-applicant look-ups (the fast path) against one GROUP BY over every exchange."""
    import sqlite3

    from kizuna.log.rows import LAST_EXCHANGE_TIME

    _applicants_log(db_path, 9)
    with Log.open(db_path) as log:
        fast = [(r.candidate.id, r.exchanges, r.last_activity) for r in log.iter_candidates()]
    with sqlite3.connect(db_path) as conn:
        plain = conn.execute(
            f"SELECT c.id, count(e.id), max({LAST_EXCHANGE_TIME}) FROM candidates c "
            "LEFT JOIN exchanges e ON e.candidate_id = c.id GROUP BY c.id ORDER BY c.id"
        ).fetchall()
    assert fast == [tuple(row) for row in plain] and {n for _, n, _ in fast} == {0, 1, 2}


def test_report_queries_read_indexes_not_the_whole_log(db_path: Path) -> None:
    """pending, stats: each applicant's rows through an index; no scan of the exchanges table
    and no correlated look-up through an index that holds every draft of the log."""
    import sqlite3

    from kizuna.log.reports import REPORT_QUERIES

    _applicants_log(db_path, 3)
    with sqlite3.connect(db_path) as conn:
        for name, sql in REPORT_QUERIES.items():
            plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
            assert not any(step.startswith("SCAN exchanges") and "INDEX" not in step
                           for step in plan), (name, plan)
            assert not any("exchanges_status" in step for step in plan), (name, plan)
        pending = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + REPORT_QUERIES["pending"])]
        assert sum("exchanges_thread (candidate_id=? AND direction=? AND status=?)" in s
                   for s in pending) == 2
