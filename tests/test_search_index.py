"""The search index is current when a write returns, and sqlite-utils and Datasette find it."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import sqlite3
from pathlib import Path

import sqlite_utils
from click.testing import CliRunner

from kizuna.batch import run_batch
from kizuna.cli import cli
from kizuna.log import Log, migrations
from kizuna.models import Candidate, Message
from kizuna.profile import load_profile

DAY = "2026-11-26"


def matches(path: Path, text: str) -> list[int]:
    """Rowids the full-text index finds for ``text``, read by plain sqlite3 as any tool would."""
    conn = sqlite3.connect(path)
    try:
        query = '"' + text.replace('"', '""') + '"'
        rows = conn.execute(
            "SELECT rowid FROM exchanges_fts WHERE exchanges_fts MATCH ? ORDER BY rowid", [query]
        ).fetchall()
    finally:
        conn.close()
    return [r[0] for r in rows]


def assert_index_exact(path: Path) -> None:
    """FTS5's own check that the index holds exactly the rows of ``exchanges``."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("INSERT INTO exchanges_fts(exchanges_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        conn.close()


def detect_fts(path: Path) -> str | None:
    db = sqlite_utils.Database(path)
    try:
        return db["exchanges"].detect_fts()
    finally:
        db.close()


def invitation(candidate: Candidate, body: str) -> Message:
    return Message(kind="interview_invitation", candidate=candidate, date=dt.date(2026, 11, 26),
                   subject="【北上市】面接のご案内", body=body, stage="interview1")


def write_applicants(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(["応募番号", "氏名", "ふりがな", "メールアドレス", "結果"])
        for n in range(1, count + 1):
            writer.writerow([f"B-{n:04d}", f"試験 {n}号", "しけん", f"user{n}@example.jp", "通過"])
    return path


# --------------------------------------------------------------------------- current on return


def test_draft_command_leaves_the_index_current(runner: CliRunner, db_path: Path) -> None:
    for name, candidate_id in (("山田 太郎", "A-0001"), ("佐藤 花子", "A-0002")):
        result = runner.invoke(cli, ["--db", str(db_path), "draft", "screening_result", "--name", name,
                                     "--candidate", candidate_id, "--result", "passed", "--date", DAY])
        assert result.exit_code == 0, result.output
        assert result.output.count(name) >= 1
    # No `kizuna search` in between: the newest draft is in the index already.
    assert matches(db_path, "佐藤 花子") == [2]
    assert matches(db_path, "山田 太郎") == [1]
    assert_index_exact(db_path)


def test_batch_command_leaves_the_index_current(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    applicants = write_applicants(tmp_path / "applicants.csv", 7)
    result = runner.invoke(cli, ["--db", str(db_path), "batch", str(applicants), "--kind",
                                 "screening_result", "--date", DAY, "--out", str(tmp_path / "out"),
                                 "--quiet"])
    assert result.exit_code == 0, result.output
    assert matches(db_path, "試験 7号") == [7]
    assert len(matches(db_path, "書類選考")) == 7
    assert_index_exact(db_path)


def test_each_batch_chunk_is_searchable_when_it_commits(db_path: Path, tmp_path: Path) -> None:
    applicants = write_applicants(tmp_path / "applicants.csv", 5)
    with Log.open(db_path) as log:
        run = run_batch(applicants, kind="screening_result", profile=load_profile(), log=log,
                        out_dir=tmp_path / "out", on=dt.date(2026, 11, 26), chunk_size=2)
        events = iter(run)
        next(events)  # the first chunk (two rows) is logged; the rest is not drafted yet
        assert matches(db_path, "試験 2号") == [2]
        assert matches(db_path, "試験 3号") == []
        for _ in events:
            pass
    assert matches(db_path, "試験 5号") == [5]
    assert_index_exact(db_path)


def test_recording_from_python_leaves_the_index_current(
    db_path: Path, yamada: Candidate, sato: Candidate
) -> None:
    with Log.open(db_path) as log:
        log.record_outbound(invitation(yamada, "一次面接の日程をご案内いたします。"))
        assert matches(db_path, "一次面接") == [1]
        log.record_outbound_many([
            (invitation(sato, "二次面接の日程をご案内いたします。"), "k-2"),
            (invitation(yamada, "最終面接の日程をご案内いたします。"), "k-3"),
        ])
        assert matches(db_path, "最終面接") == [3]
        log.record_inbound("A-0001", "3番の日程でお願いいたします。")
        assert matches(db_path, "3番の日程") == [4]
        # The same key again records nothing and leaves the index as it was.
        log.record_outbound_many([(invitation(sato, "二次面接の日程をご案内いたします。"), "k-2")])
    assert matches(db_path, "日程") == []  # two characters: below the trigram's reach
    assert matches(db_path, "の日程") == [1, 2, 3, 4]
    assert_index_exact(db_path)


# --------------------------------------------------------------------------- found by the ecosystem


def test_sqlite_utils_finds_the_index(db_path: Path, yamada: Candidate) -> None:
    with Log.open(db_path) as log:
        log.record_outbound(invitation(yamada, "北上市役所での面接のご案内です。"))
    assert detect_fts(db_path) == "exchanges_fts"
    db = sqlite_utils.Database(db_path)
    try:
        assert [row["id"] for row in db["exchanges"].search("北上市役所", quote=True)] == [1]
    finally:
        db.close()


def test_datasette_shows_a_search_box_that_finds_the_newest_row(
    runner: CliRunner, db_path: Path
) -> None:
    from datasette.app import Datasette

    # Datasette searches each space-separated word: a name without the space is one word of
    # the three characters or more that the trigram index needs.
    for name, candidate_id in (("山田太郎", "A-0001"), ("佐藤花子", "A-0002")):
        result = runner.invoke(cli, ["--db", str(db_path), "draft", "screening_result", "--name", name,
                                     "--candidate", candidate_id, "--result", "passed", "--date", DAY])
        assert result.exit_code == 0, result.output

    async def pages() -> tuple[str, list[dict[str, object]]]:
        ds = Datasette([str(db_path)])
        await ds.invoke_startup()
        page = await ds.client.get("/kizuna/exchanges")
        assert page.status_code == 200
        found = await ds.client.get(
            "/kizuna/exchanges.json", params={"_search": "佐藤花子", "_shape": "array"}
        )
        assert found.status_code == 200
        return page.text, found.json()

    html, rows = asyncio.run(pages())
    assert 'name="_search"' in html
    assert [(row["id"], row["candidate_id"]) for row in rows] == [(2, "A-0002")]


# --------------------------------------------------------------------------- upgrade


def test_upgrade_from_m004_makes_every_row_searchable_and_findable(db_path: Path) -> None:
    db = sqlite_utils.Database(db_path)
    migrations().apply(db, stop_before="m005_eager_search")
    db.execute("INSERT INTO candidates (id, name) VALUES ('A-0001', '山田 太郎')")
    for body in ("一次面接のご案内です。", "二次面接のご案内です。", "最終面接のご案内です。"):
        db.execute(
            "INSERT INTO exchanges (candidate_id, direction, subject, body, status) "
            "VALUES ('A-0001', 'out', '面接', ?, 'draft')", [body]
        )
        if body.startswith("一次"):
            # What m004's refresh (a `kizuna search`) did: index up to the newest row.
            db.execute("INSERT INTO exchanges_fts (rowid, subject, body) "
                       "SELECT id, subject, body FROM exchanges")
            db.execute("UPDATE _kizuna_fts_state SET indexed_upto = 1")
    assert db["exchanges"].detect_fts() is None  # m002's declaration: not recognised
    db.close()
    assert matches(db_path, "面接のご案内") == [1]

    with Log.open(db_path) as log:
        assert "m005_eager_search" in [m.name for m in migrations().applied(log.db)]
        assert log.db.execute("SELECT indexed_upto FROM _kizuna_fts_state").fetchone()[0] == 3
        assert matches(db_path, "面接のご案内") == [1, 2, 3]
        assert detect_fts(db_path) == "exchanges_fts"
        sql = log.db.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'exchanges_fts'"
        ).fetchone()[0]
        assert "tokenize='trigram'" in sql
        assert ("automerge", 16) in log.db.execute("SELECT * FROM exchanges_fts_config").fetchall()
        assert_index_exact(db_path)
        # m004's update and delete triggers keep the recreated index exact.
        log.db.execute("UPDATE exchanges SET body = '差し替えた本文です。' WHERE id = 2")
        log.db.execute("DELETE FROM exchanges WHERE id = 3")
        assert matches(db_path, "面接のご案内") == [1]
        assert matches(db_path, "差し替えた") == [2]
        assert_index_exact(db_path)
        log.record_outbound(invitation(Candidate("A-0001", "山田 太郎"), "内定のお知らせです。"))
        assert matches(db_path, "内定のお知らせ") == [3]
        assert [e.id for e in log.search("面接のご案内")] == [3, 1]
        assert_index_exact(db_path)
