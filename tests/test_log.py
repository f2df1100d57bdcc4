"""The exchange log library: schema, recording, reading, retention, safety."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils

from kizuna.errors import InputError, LogError
from kizuna.log import Log, migrations
from kizuna.models import JST, Candidate, Message, Slot, Topic

EXPECTED_COLUMNS = {
    "candidates": [
        "id", "name", "kana", "email", "timezone", "position", "stage", "status", "extra",
        "created_at", "updated_at", "family_name", "given_name", "language",
    ],
    "exchanges": [
        "id", "candidate_id", "direction", "kind", "stage", "result", "subject", "body",
        "topics", "slots", "status", "idempotency_key", "message_date", "created_at", "sent_at",
        "message_id", "charset", "send_started_at", "send_attempts", "server_reply", "failure",
        "in_reply_to", "attachments", "matched_by",
        "said", "answers", "language",
    ],
    "inbox_unmatched": [
        "id", "mail_key", "message_id", "source", "position", "from_address", "subject",
        "sent_at", "reason", "raw", "created_at",
    ],
    "imap_state": ["account", "folder", "uidvalidity", "last_uid", "updated_at"],
    "slot_holds": [
        "id", "candidate_id", "start", "end", "number", "status", "offered_in", "held_until",
        "created_at", "updated_at", "meeting_url",
    ],
}
ALL_MIGRATIONS = [
    "m001_initial", "m002_search", "m003_activity_index", "m004_lazy_search", "m005_eager_search",
    "m006_mail",
    "m007_names", "m008_conversation", "m009_language", "m010_today", "m011_report_indexes",
]


class Clock:
    """A settable clock, so timestamps in tests are fixed."""

    def __init__(self, now: str = "2026-11-26T10:00:00+09:00") -> None:
        self.now = now

    def __call__(self) -> str:
        return self.now


def message(
    candidate: Candidate,
    kind: str = "interview_invitation",
    *,
    body: str = "",
    subject: str = "【北上市】面接のご案内",
    result: str | None = None,
    stage: str | None = "interview1",
    on: dt.date = dt.date(2026, 11, 26),
    topics: tuple[Topic, ...] = (),
    slots: tuple[Slot, ...] = (),
) -> Message:
    return Message(
        kind=kind,
        candidate=candidate,
        date=on,
        subject=subject,
        body=body or f"{candidate.name} 様\n\n北上市役所の北上です。面接の日程をご案内いたします。",
        result=result,
        stage=stage,
        topics=topics,
        slots=slots,
    )


SHOSETSU = Topic("season.shosetsu", "season", "opening", "neutral", "小雪を過ぎ、朝晩の冷え込みが増してまいりました。")
TOWN = Topic("town.kitakami.snow", "town", "town", "neutral", "北上では初雪の便りも届いております。")
SLOT = Slot(dt.datetime(2026, 12, 1, 18, tzinfo=JST), dt.datetime(2026, 12, 1, 19, tzinfo=JST))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def log(db_path: Path, clock: Clock) -> Iterator[Log]:
    with Log.open(db_path, clock=clock) as opened:
        yield opened


# --------------------------------------------------------------------------- schema


def test_blank_database_has_expected_columns_and_migrations(db_path: Path) -> None:
    Log.open(db_path).close()
    db = sqlite_utils.Database(db_path)
    for table, columns in EXPECTED_COLUMNS.items():
        assert [c.name for c in db[table].columns] == columns
    assert {fk.other_table for fk in db["exchanges"].foreign_keys} == {"candidates"}
    assert {fk.other_table for fk in db["slot_holds"].foreign_keys} == {"candidates", "exchanges"}
    assert [m.name for m in migrations().applied(db)] == ALL_MIGRATIONS
    assert "exchanges_fts" in db.table_names()
    assert db.journal_mode == "wal"
    db.close()


def test_connection_settings(log: Log) -> None:
    conn = log.db.conn
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_upgrade_from_first_migration(db_path: Path) -> None:
    db = sqlite_utils.Database(db_path)
    migrations().apply(db, stop_before="m002_search")
    assert [m.name for m in migrations().applied(db)] == ["m001_initial"]
    db.execute("INSERT INTO candidates (id, name) VALUES ('A-0001', '山田 太郎')")
    db.execute(
        "INSERT INTO exchanges (candidate_id, direction, subject, body, status) "
        "VALUES ('A-0001', 'out', '面接のご案内', '面接日程のご相談です。', 'draft')"
    )
    db.close()

    with Log.open(db_path) as log:
        applied = [m.name for m in migrations().applied(log.db)]
        assert applied == ALL_MIGRATIONS
        # The row written before the search index existed is indexed by the upgrade.
        assert [e.id for e in log.search("面接日程")] == [1]
        assert log.get_candidate("A-0001").name == "山田 太郎"


def test_reopening_keeps_data_and_applies_nothing_twice(db_path: Path, yamada: Candidate) -> None:
    with Log.open(db_path) as log:
        log.record_outbound(message(yamada))
    with Log.open(db_path) as log:
        assert len(log.timeline()) == 1
        count = log.db.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0]
        assert count == len(ALL_MIGRATIONS)


def test_memory_log(yamada: Candidate) -> None:
    with Log.memory() as log:
        log.record_outbound(message(yamada))
        assert [e.candidate_id for e in log.search("面接")] == ["A-0001"]


def test_one_booking_per_slot_is_enforced_by_the_schema(log: Log, yamada: Candidate, sato: Candidate) -> None:
    log.upsert_candidate(yamada)
    log.upsert_candidate(sato)
    insert = "INSERT INTO slot_holds (candidate_id, start, \"end\", number, status) VALUES (?, ?, ?, 1, ?)"
    start, end = SLOT.to_dict()["start"], SLOT.to_dict()["end"]
    log.db.execute(insert, ["A-0001", start, end, "held"])
    log.db.execute(insert, ["A-0002", start, end, "held"])  # holding twice is allowed
    log.db.execute(insert, ["A-0001", start, end, "booked"])
    with pytest.raises(sqlite3.IntegrityError):
        log.db.execute(insert, ["A-0002", start, end, "booked"])


# --------------------------------------------------------------------------- opening safely


def test_new_file_is_private_and_its_folder_is_created(tmp_path: Path, yamada: Candidate) -> None:
    path = tmp_path / "deep" / "er" / "kizuna.db"
    with Log.open(path) as log:
        log.record_outbound(message(yamada))
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        wal = Path(f"{path}-wal")
        assert wal.exists()
        assert stat.S_IMODE(wal.stat().st_mode) == 0o600


def test_not_a_database_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "applicants.csv"
    original = "応募番号,氏名\nA-0001,山田 太郎\n".encode()
    path.write_bytes(original)
    with pytest.raises(LogError) as info:
        Log.open(path)
    assert str(path) in str(info.value)
    assert "not a SQLite database" in str(info.value)
    assert path.read_bytes() == original
    for suffix in ("-wal", "-shm", "-journal"):
        assert not Path(f"{path}{suffix}").exists()


def test_damaged_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.db"
    original = b"SQLite format 3\x00" + b"\xff" * 200
    path.write_bytes(original)
    with pytest.raises(LogError) as info:
        Log.open(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == original


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    other = sqlite_utils.Database(path)
    other["notes"].insert({"text": "keep me"})
    other.close()
    original = path.read_bytes()
    with pytest.raises(LogError, match="another program"):
        Log.open(path)
    assert path.read_bytes() == original


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LogError, match="folder"):
        Log.open(tmp_path)


def test_locked_database_waits_then_fails_clearly(db_path: Path, yamada: Candidate) -> None:
    Log.open(db_path).close()
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO candidates (id, name) VALUES ('X-1', 'ロック 中')")
    try:
        with Log.open(db_path, busy_timeout_ms=200) as log:
            with pytest.raises(LogError) as info:
                log.record_outbound(message(yamada))
            assert "locked" in str(info.value)
            assert "0.2 s" in str(info.value)
            assert str(db_path) in str(info.value)
            assert not log.db.conn.in_transaction
    finally:
        other.execute("ROLLBACK")
        other.close()
    with Log.open(db_path) as log:
        assert log.timeline() == []  # nothing half-written
        log.record_outbound(message(yamada))
        assert len(log.timeline()) == 1


WRITER = textwrap.dedent(
    """
    import datetime as dt, sys
    from kizuna.log import Log
    from kizuna.models import Candidate, Message
    path, prefix = sys.argv[1], sys.argv[2]
    with Log.open(path) as log:
        for i in range(500):
            c = Candidate(id=f"{prefix}-{i % 7}", name=f"応募者 {prefix}{i % 7}")
            m = Message(kind="application_received", candidate=c, date=dt.date(2026, 11, 26),
                        subject="【北上市】応募受付のお知らせ", body=f"{prefix} {i} ご応募ありがとうございます。")
            log.record_outbound(m, idempotency_key=f"{prefix}-{i}")
    """
)


@pytest.mark.slow
def test_two_writer_processes_record_every_row(db_path: Path, tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    # Both start on a database that does not exist yet: the migrations race too.
    procs = [
        subprocess.Popen([sys.executable, str(script), str(db_path), prefix],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for prefix in ("P", "Q")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    with Log.open(db_path) as log:
        assert log.db.execute("SELECT count(*) FROM exchanges").fetchone()[0] == 1000
        assert log.db.execute("SELECT count(*) FROM candidates").fetchone()[0] == 14
        assert len(log.search("ご応募ありがとう")) == 1000


# --------------------------------------------------------------------------- recording


def test_record_outbound_stores_the_message_and_applicant(log: Log, yamada: Candidate) -> None:
    m = message(yamada, topics=(SHOSETSU, TOWN), slots=(SLOT,))
    exchange = log.record_outbound(m, idempotency_key="inv-1")
    assert exchange.id == 1
    assert exchange.direction == "out"
    assert exchange.status == "draft"
    assert exchange.topics == ("season.shosetsu", "town.kitakami.snow")
    assert exchange.slots == (SLOT,)
    assert exchange.created_at == "2026-11-26T10:00:00+09:00"
    assert log.get_exchange(1) == exchange

    row = log.db.execute("SELECT * FROM exchanges").fetchone()
    raw = dict(zip([d[0] for d in log.db.execute("SELECT * FROM exchanges").description], row, strict=True))
    assert json.loads(raw["topics"])[0] == SHOSETSU.to_dict()
    assert json.loads(raw["slots"]) == [{"start": "2026-12-01T18:00:00+09:00", "end": "2026-12-01T19:00:00+09:00"}]
    assert raw["message_date"] == "2026-11-26"
    assert raw["kind"] == "interview_invitation"

    record = log.get_candidate_record("A-0001")
    # The log knows the language the applicant's letters are in (Japanese: none was stated).
    assert record.candidate == dataclasses.replace(yamada, language="ja")
    assert record.stage == "interview1"
    assert record.status == "active"


def test_same_idempotency_key_returns_the_existing_exchange(log: Log, yamada: Candidate, clock: Clock) -> None:
    first = log.record_outbound(message(yamada), idempotency_key="k-1")
    clock.now = "2026-11-27T10:00:00+09:00"
    again = log.record_outbound(message(yamada, body="別の本文"), idempotency_key="k-1")
    assert again == first
    assert log.db.execute("SELECT count(*) FROM exchanges").fetchone()[0] == 1
    # A rerun leaves the applicant as it was.
    assert log.get_candidate_record("A-0001").updated_at == "2026-11-26T10:00:00+09:00"


def test_record_outbound_many_is_one_transaction_with_keys(log: Log, yamada: Candidate, sato: Candidate) -> None:
    existing = log.record_outbound(message(yamada), idempotency_key="batch-A-0001")
    results = log.record_outbound_many([
        (message(yamada), "batch-A-0001"),
        (message(sato, body="佐藤 花子 様\n書類選考の結果をお知らせします。"), "batch-A-0002"),
        (message(sato), "batch-A-0002"),  # the same key twice in one batch
        (message(sato, body="鍵のない下書き"), None),
    ])
    assert results[0] == existing
    assert results[1].id == results[2].id == 2
    assert results[3].id == 3
    assert [e.id for e in log.timeline()] == [1, 2, 3]
    assert [e.id for e in log.search("書類選考")] == [2]
    assert [e.id for e in log.search("鍵のない")] == [3]
    # Rows other tools write are found too (indexed at the next search).
    log.db.execute(
        "INSERT INTO exchanges (candidate_id, direction, subject, body, status) "
        "VALUES ('A-0002', 'in', '', '別のツールから書き込み', 'received')"
    )
    assert [e.id for e in log.search("別のツール")] == [4]


def test_key_reused_for_another_applicant_records_nothing(log: Log, yamada: Candidate, sato: Candidate) -> None:
    log.record_outbound(message(yamada), idempotency_key="row-1")
    with pytest.raises(LogError, match="already used for applicant 'A-0001'"):
        log.record_outbound_many([(message(sato), "row-2"), (message(sato), "row-1")])
    assert len(log.timeline()) == 1
    assert [c.candidate.id for c in log.candidates()] == ["A-0001"]


def test_status_follows_results_and_decisions_stand(log: Log, yamada: Candidate, sato: Candidate) -> None:
    log.record_outbound(message(yamada, "screening_result", result="not_passed", stage="screening"))
    assert log.get_candidate_record("A-0001").status == "not_passed"
    log.record_outbound(message(yamada, "application_received", stage=None))
    record = log.get_candidate_record("A-0001")
    assert record.status == "not_passed"
    assert record.stage == "screening"  # a message without a stage keeps the known one

    log.record_outbound(message(sato, "screening_result", result="passed", stage="screening"))
    assert log.get_candidate_record("A-0002").status == "active"
    log.record_outbound(message(sato, "final_result", result="passed", stage="final"))
    assert log.get_candidate_record("A-0002").status == "final_passed"
    log.record_outbound(message(sato, "pre_arrival_guide", stage="final"))
    assert log.get_candidate_record("A-0002").status == "final_passed"
    # An explicit status is set as given.
    log.upsert_candidate(sato, status="withdrawn", position="自治体DX推進リーダー")
    record = log.get_candidate_record("A-0002")
    assert (record.status, record.position) == ("withdrawn", "自治体DX推進リーダー")


def test_empty_values_do_not_erase_known_ones(log: Log, yamada: Candidate) -> None:
    log.upsert_candidate(yamada)
    log.record_outbound(message(Candidate(id="A-0001", name="山田 太郎")))
    assert log.get_candidate("A-0001").email == "taro.yamada@example.jp"


def test_unknown_status_is_refused(log: Log, yamada: Candidate) -> None:
    with pytest.raises(InputError):
        log.record_outbound(message(yamada), status="queued")


def test_record_inbound_and_mark_sent(log: Log, yamada: Candidate, clock: Clock) -> None:
    draft = log.record_outbound(message(yamada))
    clock.now = "2026-11-26T11:00:00+09:00"
    sent = log.mark_sent(draft.id)
    assert (sent.status, sent.sent_at) == ("sent", "2026-11-26T11:00:00+09:00")
    clock.now = "2026-11-26T12:00:00+09:00"
    assert log.mark_sent(draft.id).sent_at == "2026-11-26T11:00:00+09:00"  # once only

    reply = log.record_inbound("A-0001", "①の日程でお願いいたします。", received_at=dt.datetime(2026, 11, 27, 9, 30))
    assert reply.direction == "in"
    assert reply.status == "received"
    assert reply.sent_at == "2026-11-27T09:30:00+09:00"
    assert reply.stage == "interview1"
    with pytest.raises(LogError, match="from the applicant"):
        log.mark_sent(reply.id)
    with pytest.raises(LogError, match="No exchange with id 99"):
        log.mark_sent(99)
    again = log.record_inbound("A-0001", "重複", idempotency_key="mail-1")
    assert log.record_inbound("A-0001", "重複", idempotency_key="mail-1") == again


def test_record_inbound_for_unknown_applicant_lists_near_matches(log: Log, yamada: Candidate, sato: Candidate) -> None:
    log.upsert_candidate(yamada)
    log.upsert_candidate(sato)
    with pytest.raises(LogError) as info:
        log.record_inbound("A-001", "こんにちは")
    assert "A-0001 (山田 太郎)" in str(info.value)
    with pytest.raises(LogError, match=r"A-0002 \(佐藤 花子\)"):
        log.get_candidate("佐藤")
    with pytest.raises(InputError):
        log.record_inbound("A-0001", "   ")
    assert log.timeline() == []


# --------------------------------------------------------------------------- reading


def test_timeline_and_topic_history(log: Log, yamada: Candidate, sato: Candidate) -> None:
    log.record_outbound(message(yamada, topics=(SHOSETSU,)))
    log.record_outbound(message(sato, topics=(TOWN,)))
    log.record_inbound("A-0001", "ありがとうございます。")
    log.record_outbound(message(yamada, "interview_confirmation", topics=(TOWN,)))
    assert [e.id for e in log.timeline()] == [1, 2, 3, 4]
    assert [e.id for e in log.timeline("A-0001")] == [1, 3, 4]
    assert log.topic_history("A-0001") == {"season.shosetsu", "town.kitakami.snow"}
    assert log.topic_history("nobody") == set()
    with pytest.raises(LogError, match="Did you mean: A-0001"):
        log.timeline("A-00001")


def test_search_japanese_short_and_long_words(log: Log, yamada: Candidate, sato: Candidate) -> None:
    log.record_outbound(message(yamada, body="面接は北上市役所で行います。"))
    log.record_outbound(message(sato, subject="書類選考結果", body="選考の結果をお知らせします。", stage="screening"))
    log.record_inbound("A-0001", "2番の日程を希望します。100%参加できます。")
    assert [e.id for e in log.search("面接")] == [1]  # two characters: subject and body
    assert [e.id for e in log.search("北上")] == [1]
    assert [e.id for e in log.search("2番")] == [3]
    assert [e.id for e in log.search("北上市役所")] == [1]  # trigram index
    assert [e.id for e in log.search("お知らせ")] == [2]
    assert [e.id for e in log.search("日程")] == [3]  # 日程 is only in the reply
    assert [e.id for e in log.search("結果 お知らせ")] == [2]  # every word must match
    assert log.search("面接 お知らせ") == []
    assert [e.id for e in log.search("ます")] == [3, 2, 1]  # newest first
    assert [e.id for e in log.search("ます", candidate_id="A-0002")] == [2]
    assert [e.id for e in log.search("%")] == [3]  # LIKE wildcards are literal
    assert log.search("存在しない言葉") == []
    with pytest.raises(InputError):
        log.search("  ")


def _reply_on(log: Log, clock: Clock, candidate: Candidate, when: dt.datetime) -> None:
    log.upsert_candidate(candidate)
    log.record_inbound(candidate.id, "ご連絡いたします。", received_at=when)


def test_pending_counts_business_days(log: Log, clock: Clock) -> None:
    over_weekend_and_holiday = Candidate(id="B-1", name="週末 越え")
    over_year_end = Candidate(id="B-2", name="年末 越え")
    # Friday 2026-11-20; Sat, Sun and Monday 11-23 (勤労感謝の日) do not count; Tue 11-24 does.
    _reply_on(log, clock, over_weekend_and_holiday, dt.datetime(2026, 11, 20, 17, 0))
    waiting = log.pending(dt.date(2026, 11, 24))
    assert [(w.candidate_id, w.business_days) for w in waiting] == [("B-1", 1)]

    # Friday 12-25; 12-28 (Mon), then the 12/29–1/3 closure, then 1/4 and 1/5 count.
    _reply_on(log, clock, over_year_end, dt.datetime(2026, 12, 25, 9, 0))
    waiting = log.pending(dt.date(2027, 1, 5))
    assert [(w.candidate_id, w.business_days) for w in waiting] == [("B-1", 27), ("B-2", 3)]
    assert waiting[1].received_on == dt.date(2026, 12, 25)
    assert [w.candidate_id for w in log.pending(dt.date(2027, 1, 5), min_days=4)] == ["B-1"]


def test_pending_only_a_sent_answer_counts(log: Log, clock: Clock, yamada: Candidate, sato: Candidate) -> None:
    clock.now = "2026-11-20T09:00:00+09:00"
    log.record_outbound(message(yamada))
    log.record_outbound(message(sato))
    log.record_inbound("A-0001", "質問があります。", received_at=dt.datetime(2026, 11, 24, 10))
    log.record_inbound("A-0002", "質問があります。", received_at=dt.datetime(2026, 11, 25, 10))
    today = dt.date(2026, 11, 26)
    assert [w.candidate_id for w in log.pending(today)] == ["A-0001", "A-0002"]  # oldest first

    clock.now = "2026-11-26T09:00:00+09:00"
    draft = log.record_outbound(message(yamada, "interview_confirmation"))
    waiting = log.pending(today)
    assert [(w.candidate_id, w.draft_ready) for w in waiting] == [("A-0001", True), ("A-0002", False)]
    log.mark_sent(draft.id)
    assert [w.candidate_id for w in log.pending(today)] == ["A-0002"]
    # An answer sent before the latest reply does not answer it.
    log.record_inbound("A-0001", "追加の質問です。", received_at=dt.datetime(2026, 11, 26, 10))
    assert [w.candidate_id for w in log.pending(today)] == ["A-0002", "A-0001"]


def test_stats_funnel(log: Log) -> None:
    people = [Candidate(id=f"C-{i}", name=f"応募者 {i}") for i in range(4)]
    for person, result in zip(people[:3], ["passed", "passed", "not_passed"], strict=True):
        log.record_outbound(message(person, "screening_result", result=result, stage="screening"))
    log.record_outbound(message(people[3], "application_received", stage="screening"))
    log.record_outbound(message(people[0], "interview_invitation", stage="interview1"))
    log.record_outbound(message(people[0], "final_result", result="passed", stage="final"))
    stats = log.stats(["screening", "interview1", "final"])
    assert stats.candidates == 4
    assert dict(stats.statuses) == {"active": 2, "final_passed": 1, "not_passed": 1}
    assert [s.to_dict() for s in stats.stages] == [
        {"stage": "screening", "candidates": 4, "passed": 2, "not_passed": 1},
        {"stage": "interview1", "candidates": 1, "passed": 0, "not_passed": 0},
        {"stage": "final", "candidates": 1, "passed": 1, "not_passed": 0},
    ]
    assert dict(stats.exchanges) == {"out_draft": 6}


def test_export_csv_and_json(log: Log, yamada: Candidate) -> None:
    log.record_outbound(message(yamada, topics=(SHOSETSU,), slots=(SLOT,)), idempotency_key="k")
    log.record_inbound("A-0001", "承知しました, よろしくお願いします。")
    text = log.export("csv")
    lines = text.splitlines()
    assert lines[0].startswith("id,candidate_id,candidate_name,direction,kind")
    assert "山田 太郎" in text and '"承知しました, よろしくお願いします。"' in text
    rows = json.loads(log.export("json"))
    assert [r["direction"] for r in rows] == ["out", "in"]
    assert rows[0]["candidate_name"] == "山田 太郎"
    assert rows[0]["topics"][0]["id"] == "season.shosetsu"
    assert rows[0]["slots"] == [SLOT.to_dict()]
    assert json.loads(Log.memory().export("json")) == []
    with pytest.raises(InputError):
        log.export("xml")


# --------------------------------------------------------------------------- retention


SECRET = "合言葉はホタルブクロ七番"


def _file_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    wal = Path(f"{path}-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


def test_purge_leaves_no_readable_remnant(db_path: Path, yamada: Candidate, sato: Candidate) -> None:
    with Log.open(db_path) as log:
        log.record_outbound(message(yamada, body=f"{yamada.name} 様\n{SECRET}\n面接のご案内です。"))
        log.record_inbound("A-0001", f"{SECRET}、承知しました。")
        log.record_outbound(message(sato))
        log.db.execute(
            "INSERT INTO slot_holds (candidate_id, start, \"end\", number) VALUES (?, ?, ?, 1)",
            ["A-0001", SLOT.to_dict()["start"], SLOT.to_dict()["end"]],
        )
        before = _file_bytes(db_path)
        assert yamada.name.encode() in before and SECRET.encode() in before

        report = log.purge(candidate_id="A-0001")
        assert (report.candidates, report.exchanges, report.holds) == (("A-0001",), 2, 1)
        assert report.wal_cleared
        # While the log is still open, and again after it is closed.
        data = _file_bytes(db_path)
        for secret in (yamada.name, yamada.kana, yamada.email, SECRET):
            assert secret.encode() not in data
        # Nor any three-character piece of it, as the trigram search index would store it.
        pieces = {SECRET[i:i + 3].encode() for i in range(len(SECRET) - 2)}
        assert [p.decode() for p in pieces if p in data] == []
        assert log.search("ホタルブクロ") == []
        assert [e.candidate_id for e in log.search("面接")] == ["A-0002"]
        with pytest.raises(LogError):
            log.get_candidate("A-0001")
    data = _file_bytes(db_path)
    assert yamada.name.encode() not in data and SECRET.encode() not in data
    assert sato.name.encode() in data


def test_purge_in_a_log_of_many_segments_leaves_no_remnant(db_path: Path, yamada: Candidate) -> None:
    """The search index of a log written in many transactions has many segments, some of
    them pages long; the purged applicant's text sits in one among others' and must leave
    every one (merged, not only marked deleted), with no VACUUM to sweep the file."""
    with Log.open(db_path) as log:
        for chunk in range(12):
            items = [(message(Candidate(id=f"Z-{chunk:02d}{n:02d}", name=f"他 {chunk}{n}"),
                              body=f"他の方への本文です。北上市役所の面接のご案内 {chunk}-{n}。" * 8),
                      f"z:{chunk}:{n}") for n in range(40)]
            if chunk == 6:
                items.insert(17, (message(yamada, body=f"{yamada.name} 様\n{SECRET}\n面接のご案内です。" * 3),
                                  "secret"))
            log.record_outbound_many(items)
        assert SECRET.encode() in _file_bytes(db_path)
        log.purge(candidate_id="A-0001")
        data = _file_bytes(db_path)
        pieces = {SECRET[i:i + 3].encode() for i in range(len(SECRET) - 2)}
        assert [p.decode() for p in pieces if p in data] == []
        assert yamada.name.encode() not in data and yamada.email.encode() not in data
        assert log.search("ホタルブクロ") == [] and len(log.search("北上市役所", limit=None)) == 480
        _assert_index_exact(log)


def test_purge_before_and_expired(log: Log, clock: Clock, yamada: Candidate, sato: Candidate) -> None:
    clock.now = "2025-10-01T10:00:00+09:00"
    log.record_outbound(message(yamada))
    log.record_outbound(message(sato))
    clock.now = "2026-11-20T10:00:00+09:00"
    log.record_inbound("A-0002", "まだ検討中です。")  # keeps 佐藤 active

    plan = log.purge(before=dt.date(2026, 1, 1), dry_run=True)
    assert plan.candidates == ("A-0001",) and plan.dry_run
    assert len(log.candidates()) == 2  # a dry run deletes nothing

    assert log.purge(expired_days=500, today=dt.date(2026, 11, 26)).candidates == ()
    report = log.purge(expired_days=365, today=dt.date(2026, 11, 26))
    assert report.candidates == ("A-0001",)
    assert [c.candidate.id for c in log.candidates()] == ["A-0002"]


def test_purge_needs_exactly_one_selector(log: Log) -> None:
    with pytest.raises(InputError):
        log.purge()
    with pytest.raises(InputError):
        log.purge(before=dt.date(2026, 1, 1), candidate_id="A-0001")
    with pytest.raises(LogError, match="No applicant"):
        log.purge(candidate_id="A-0001")


def test_transaction_rolls_back_everything(log: Log, yamada: Candidate) -> None:
    with pytest.raises(RuntimeError), log.transaction():
        log.upsert_candidate(yamada)  # nested: a savepoint inside the outer transaction
        raise RuntimeError("boom")
    assert log.candidates() == []
    assert not log.db.conn.in_transaction


def test_file_mode_of_existing_file_is_not_changed(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    Log.open(path).close()
    os.chmod(path, 0o640)
    Log.open(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_purge_with_a_reader_open_still_deletes_and_says_so(db_path: Path, yamada: Candidate) -> None:
    with Log.open(db_path, busy_timeout_ms=200) as log:
        log.record_outbound(message(yamada))
        reader = sqlite3.connect(db_path, isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM exchanges").fetchone()  # holds a snapshot
        try:
            report = log.purge(candidate_id="A-0001")
        finally:
            reader.execute("ROLLBACK")
            reader.close()
        assert report.candidates == ("A-0001",)
        assert not report.wal_cleared
        assert log.candidates() == []


# --------------------------------------------------------------------------- lazy search index


def _indexed(log: Log) -> list[int]:
    """Ids of the exchanges the full-text index holds."""
    return [r[0] for r in log.db.execute("SELECT id FROM exchanges_fts_docsize ORDER BY id")]


def _mark(log: Log) -> int:
    value: int = log.db.execute("SELECT indexed_upto FROM _kizuna_fts_state").fetchone()[0]
    return value


def _assert_index_exact(log: Log) -> None:
    """FTS5's own check: the index holds exactly the rows of ``exchanges`` (raises if not)."""
    log.db.execute("INSERT INTO exchanges_fts(exchanges_fts, rank) VALUES ('integrity-check', 1)")


def _insert_as_another_tool(log: Log, body: str, candidate_id: str = "A-0001") -> None:
    """A row written without kizuna (sqlite-utils, Datasette): not indexed when it returns."""
    log.db.execute(
        "INSERT INTO exchanges (candidate_id, direction, subject, body, status) "
        "VALUES (?, 'in', '', ?, 'received')", [candidate_id, body]
    )


def test_rows_of_other_tools_are_indexed_by_the_next_search_or_write(
    log: Log, yamada: Candidate, sato: Candidate
) -> None:
    log.record_outbound_many([
        (message(yamada), "k-1"),
        (message(sato, body="書類選考の結果をお知らせします。"), "k-2"),
    ])
    assert _indexed(log) == [1, 2] and _mark(log) == 2  # kizuna's own rows: at once
    _insert_as_another_tool(log, "別のツールが書いた返信です。")
    assert _indexed(log) == [1, 2] and _mark(log) == 2
    assert [e.id for e in log.search("別のツール")] == [3]
    assert _indexed(log) == [1, 2, 3] and _mark(log) == 3
    _assert_index_exact(log)
    assert log.refresh_search_index() == 0  # up to date: nothing to do
    _insert_as_another_tool(log, "二通目の返信です。")
    log.record_inbound("A-0001", "承知いたしました。")  # indexes the other tool's row too
    assert _indexed(log) == [1, 2, 3, 4, 5] and _mark(log) == 5
    assert log.refresh_search_index() == 0
    _assert_index_exact(log)


def test_upgrade_from_m003_keeps_the_index_and_sets_the_mark(db_path: Path) -> None:
    db = sqlite_utils.Database(db_path)
    migrations().apply(db, stop_before="m004_lazy_search")
    db.execute("INSERT INTO candidates (id, name) VALUES ('A-0001', '山田 太郎')")
    for body in ("一次面接のご案内です。", "最終面接のご案内です。"):
        db.execute(
            "INSERT INTO exchanges (candidate_id, direction, subject, body, status) "
            "VALUES ('A-0001', 'out', '面接', ?, 'draft')", [body]
        )
    assert db.execute("SELECT count(*) FROM exchanges_fts_docsize").fetchone()[0] == 2
    db.close()

    with Log.open(db_path) as log:
        assert [m.name for m in migrations().applied(log.db)] == ALL_MIGRATIONS
        assert "_kizuna_fts_deferred" not in log.db.table_names()
        assert _mark(log) == 2 and _indexed(log) == [1, 2]
        assert log.refresh_search_index() == 0  # nothing indexed twice
        assert [e.id for e in log.search("面接のご案内")] == [2, 1]
        _assert_index_exact(log)
        log.record_outbound(message(Candidate(id="A-0001", name="山田 太郎"), body="内定のお知らせです。"))
        assert [e.id for e in log.search("内定のお知らせ")] == [3]
        _assert_index_exact(log)


def test_updates_and_deletes_keep_the_index_exact(log: Log, yamada: Candidate) -> None:
    for n in range(1, 5):
        log.record_outbound(message(yamada, body=f"第{n}便の本文です。"))
    log.refresh_search_index()  # 1-4 indexed
    for n in range(5, 7):
        _insert_as_another_tool(log, f"第{n}便の本文です。")  # 5, 6 not yet
    log.db.execute("UPDATE exchanges SET body = '差し替えた本文その二' WHERE id = 2")
    log.db.execute("UPDATE exchanges SET body = '差し替えた本文その五' WHERE id = 5")
    log.db.execute("DELETE FROM exchanges WHERE id IN (3, 6)")
    assert _indexed(log) == [1, 2, 4]  # 2 re-indexed at once, 5 and 6 never touched
    assert log.search("第2便") == []
    assert [e.id for e in log.search("差し替えた本文")] == [5, 2]
    assert _indexed(log) == [1, 2, 4, 5]
    _assert_index_exact(log)


def test_ids_reused_after_the_newest_rows_are_deleted_are_indexed(
    log: Log, yamada: Candidate, sato: Candidate
) -> None:
    # SQLite gives a new row max(id) + 1, so deleting the newest rows makes their ids come back.
    log.record_outbound(message(yamada))
    log.record_outbound(message(sato))
    log.record_outbound(message(sato))
    log.refresh_search_index()
    assert _mark(log) == 3
    log.purge(candidate_id="A-0002")
    assert _mark(log) == 1
    again = log.record_outbound(message(yamada, body="再利用された番号の本文"))
    assert again.id == 2
    assert [e.id for e in log.search("再利用された")] == [2]
    log.db.execute("DELETE FROM exchanges WHERE id = 2")  # by another tool, outside purge
    assert _mark(log) == 1
    assert log.record_outbound(message(yamada, body="もう一度同じ番号")).id == 2
    assert [e.id for e in log.search("もう一度同じ")] == [2]
    _assert_index_exact(log)


def test_a_row_inserted_below_the_mark_by_another_tool_is_found(log: Log, yamada: Candidate) -> None:
    for _ in range(3):
        log.record_outbound(message(yamada))
    log.refresh_search_index()
    log.db.execute("DELETE FROM exchanges WHERE id = 2")
    log.db.execute(
        "INSERT INTO exchanges (id, candidate_id, direction, subject, body, status) "
        "VALUES (2, 'A-0001', 'in', '', '別のツールが番号つきで書いた行', 'received')"
    )
    assert [e.id for e in log.search("番号つきで")] == [2]
    _assert_index_exact(log)


def test_search_is_complete_while_the_index_cannot_be_refreshed(db_path: Path, yamada: Candidate) -> None:
    with Log.open(db_path, busy_timeout_ms=100) as log:
        log.upsert_candidate(yamada)
        _insert_as_another_tool(log, "北上市役所での面接のご案内")
        other = sqlite3.connect(db_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # holds the write lock
        try:
            assert [e.id for e in log.search("北上市役所")] == [1]  # LIKE on the unindexed rows
            assert [e.id for e in log.search("面接 ご案内")] == [1]
            assert log.search("存在しない言葉") == []
            assert _mark(log) == 0 and _indexed(log) == []
            with pytest.raises(LogError, match="locked"):
                log.refresh_search_index()
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert [e.id for e in log.search("北上市役所")] == [1]
        assert _mark(log) == 1 and _indexed(log) == [1]


def test_purge_removes_indexed_and_not_yet_indexed_text(db_path: Path, yamada: Candidate, sato: Candidate) -> None:
    early, late = "合言葉はホタルブクロ七番", "二つ目の合図はカタクリ三番"
    with Log.open(db_path) as log:
        log.record_outbound(message(yamada, body=early))
        log.record_outbound(message(sato))
        assert len(log.search("ホタルブクロ")) == 1  # now in the index
        _insert_as_another_tool(log, late)  # not indexed yet
        log.purge(candidate_id="A-0001")
        data = _file_bytes(db_path)
        for secret in (early, late):
            pieces = {secret[i:i + 3].encode() for i in range(len(secret) - 2)}
            assert [p.decode() for p in pieces if p in data] == []
        assert _indexed(log) == [2] and _mark(log) == 2
        _assert_index_exact(log)
        assert log.search("カタクリ") == []


def test_batch_results_equal_the_stored_rows(log: Log, yamada: Candidate, sato: Candidate, clock: Clock) -> None:
    other_slot = Slot(dt.datetime(2026, 12, 2, 18, tzinfo=JST), dt.datetime(2026, 12, 2, 19, tzinfo=JST))
    items = [
        (message(yamada, topics=(SHOSETSU, TOWN), slots=(SLOT,)), "b-1"),
        (message(sato, topics=(SHOSETSU, TOWN), slots=(other_slot,)), "b-2"),
        (message(sato, "screening_result", topics=(TOWN,), result="not_passed", on=dt.date(2026, 11, 27)), None),
        (message(yamada, topics=(SHOSETSU, TOWN), slots=(SLOT,)), "b-1"),
    ]
    results = log.record_outbound_many(items, status="sent")
    assert [e.id for e in results] == [1, 2, 3, 1]
    for exchange in results:
        assert log.get_exchange(exchange.id) == exchange
    assert results[1].slots == (other_slot,) and results[2].topics == ("town.kitakami.snow",)
    raw = log.db.execute("SELECT topics, slots, message_date, sent_at FROM exchanges ORDER BY id").fetchall()
    assert json.loads(raw[0][0]) == [SHOSETSU.to_dict(), TOWN.to_dict()]
    assert json.loads(raw[1][1]) == [other_slot.to_dict()]
    assert json.loads(raw[2][0]) == [TOWN.to_dict()] and raw[2][2] == "2026-11-27"
    assert raw[0][3] == clock.now
    assert log.get_candidate_record("A-0002").status == "not_passed"


OTHER_PROCESS = textwrap.dedent(
    """
    import datetime as dt, sys
    from kizuna.log import Log
    from kizuna.models import Candidate, Message
    path, key = sys.argv[1], sys.argv[2]
    with Log.open(path) as log:
        c = Candidate(id="P-1", name="別 プロセス")
        m = Message(kind="application_received", candidate=c, date=dt.date(2026, 11, 26),
                    subject="【北上市】応募受付のお知らせ", body="別のプロセスから記録しました。")
        log.record_outbound(m, idempotency_key=key)
    """
)


@pytest.mark.slow
def test_a_second_log_on_the_same_file_keeps_the_first_ones_locks(
    db_path: Path, tmp_path: Path, yamada: Candidate
) -> None:
    # Closing any descriptor of the file drops this process's POSIX locks on it, so a second
    # Log that peeked at the file would let another process checkpoint and delete the WAL
    # under the first one, and the two would then write over each other.
    script = tmp_path / "other.py"
    script.write_text(OTHER_PROCESS, encoding="utf-8")

    def other_process(key: str) -> None:
        done = subprocess.run([sys.executable, str(script), str(db_path), key],
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr

    first = Log.open(db_path)
    try:
        first.record_outbound(message(yamada, body="一通目"), idempotency_key="a-1")
        Log.open(db_path).close()
        other_process("p-1")
        first.record_outbound(message(yamada, body="二通目"), idempotency_key="a-2")
        other_process("p-2")
        first.record_outbound(message(yamada, body="三通目"), idempotency_key="a-3")
        assert first.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        first.close()
    fresh = sqlite3.connect(db_path)
    try:
        assert fresh.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        keys = {r[0] for r in fresh.execute("SELECT idempotency_key FROM exchanges")}
    finally:
        fresh.close()
    assert keys == {"a-1", "p-1", "a-2", "p-2", "a-3"}


def test_streamed_search_matches_the_plain_rule_with_limits(log: Log) -> None:
    # iter_search walks the index newest first and stops at the limit; it must return exactly
    # the newest matches of the plain rule (every word a substring of subject or body).
    import random

    rng = random.Random(3)
    pieces = ["面接", "北上市役所", "日程", "ご案内", "結果", "展勝地", "2番"]
    messages = []
    for n in range(300):
        c = Candidate(id=f"R-{n % 40:03d}", name=f"応募者 {n % 40}")
        body = "".join(rng.sample(pieces, 3)) + f" 通し番号{n}"
        messages.append((Message(kind="application_received", candidate=c, date=dt.date(2026, 11, 26),
                                 subject=f"件名{n % 7}", body=body), f"stream-{n}"))
    log.record_outbound_many(messages)
    everything = log.timeline()
    for text in ("面接", "北上市役所", "北上市役所 面接", "展勝地 日程 2番", "件名3 ご案内", "ない言葉"):
        words = text.split()
        plain = [e for e in reversed(everything)
                 if all(w in e.subject or w in e.body for w in words)]
        for limit in (None, 0, 1, 7, 1000):
            got = [e.id for e in log.iter_search(text, limit=limit)]
            expected = [e.id for e in plain][: limit if limit is not None else None]
            assert got == expected, (text, limit)
        only = [e.id for e in log.search(text, candidate_id="R-005")]
        assert only == [e.id for e in plain if e.candidate_id == "R-005"]


def test_upgrade_from_m005_rebuilds_exchanges_keeping_rows_ids_holds_and_index(
    db_path: Path,
) -> None:
    db = sqlite_utils.Database(db_path)
    migrations().apply(db, stop_before="m006_mail")
    db.execute("INSERT INTO candidates (id, name, email) VALUES ('A-0001', '山田 太郎', 'a@example.jp')")
    for direction, body, status in (("out", "面接日程のご案内です。", "sent"),
                                    ("in", "2番でお願いします。", "received"),
                                    ("out", "面接日時確定のご連絡です。", "draft")):
        db.execute(
            "INSERT INTO exchanges (candidate_id, direction, subject, body, status, sent_at, "
            "idempotency_key) VALUES ('A-0001', ?, '面接', ?, ?, '2026-11-26T10:00:00+09:00', ?)",
            [direction, body, status, f"k-{body}"],
        )
    db.execute("DELETE FROM exchanges WHERE id = 2")  # ids with a gap survive as they are
    db.execute(
        "INSERT INTO slot_holds (candidate_id, start, \"end\", number, status, offered_in) "
        "VALUES ('A-0001', '2026-12-05T10:00:00+09:00', '2026-12-05T11:00:00+09:00', 2, "
        "'booked', 1)"
    )
    with pytest.raises(sqlite3.IntegrityError):  # m005 knew no 'sending'
        db.execute("UPDATE exchanges SET status = 'sending' WHERE id = 3")
    before = db.execute(f"SELECT {', '.join(EXPECTED_COLUMNS['exchanges'][:15])} FROM exchanges "
                        "ORDER BY id").fetchall()
    db.close()

    with Log.open(db_path) as log:
        assert [m.name for m in migrations().applied(log.db)] == ALL_MIGRATIONS
        assert log.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        cols = ", ".join(EXPECTED_COLUMNS["exchanges"][:15])
        assert log.db.execute(f"SELECT {cols} FROM exchanges ORDER BY id").fetchall() == before
        assert [e.id for e in log.timeline()] == [1, 3]
        assert {fk.other_table for fk in log.db["slot_holds"].foreign_keys} == {"candidates", "exchanges"}
        assert log.db.execute("SELECT offered_in FROM slot_holds").fetchall() == [(1,)]
        names = {r[0] for r in log.db.execute("SELECT name FROM sqlite_master")}
        assert {"exchanges_candidate", "exchanges_direction", "exchanges_message_id",
                "exchanges_fts_ad", "exchanges_fts_au", "inbox_unmatched", "imap_state"} <= names
        assert [e.id for e in log.search("面接日程")] == [1]
        _assert_index_exact(log)
        claimed = log.mark_sending(3, "<kizuna.x.3@example.lg.jp>")
        assert claimed is not None and claimed.status == "sending"
        assert log.mark_delivered(3, "250 2.0.0 Ok").status == "sent"
        log.db.execute("UPDATE exchanges SET body = '差し替えた本文です。' WHERE id = 3")
        assert [e.id for e in log.search("差し替えた")] == [3]
        _assert_index_exact(log)
        with pytest.raises(sqlite3.IntegrityError):  # a broken reference is still refused
            log.db.execute("INSERT INTO exchanges (candidate_id, direction, status) "
                           "VALUES ('nobody', 'in', 'received')")
