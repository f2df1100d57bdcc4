"""Held slots belong to one applicant, even when invitations are drafted at the same moment;
and the same reply recorded twice is one row, one booking."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kizuna import pipeline
from kizuna.cli import cli
from kizuna.errors import SlotError
from kizuna.log import Log
from kizuna.log import holds as bookings
from kizuna.models import JST, Candidate, Slot
from kizuna.pipeline import draft_message, record_message
from kizuna.profile import Profile, load_profile
from kizuna.slots import format_slot

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=JST)
ON = dt.date(2026, 11, 26)
UNTIL = dt.datetime(2026, 12, 1, 23, 59, 59, tzinfo=JST)
REPLY_AT = "2026-11-27T09:30"


def at(y: int, m: int, d: int, hh: int) -> Slot:
    start = dt.datetime(y, m, d, hh, tzinfo=JST)
    return Slot(start, start + dt.timedelta(hours=1))


@pytest.fixture
def profile() -> Profile:
    return load_profile()


@pytest.fixture
def log(db_path: Path, yamada: Candidate, sato: Candidate) -> Iterator[Log]:
    with Log.open(db_path) as opened:
        opened.upsert_candidate(yamada)
        opened.upsert_candidate(sato)
        yield opened


def holds(log: Log) -> list[tuple[Any, ...]]:
    return log.db.conn.execute(
        "SELECT id, candidate_id, start, number, status, offered_in FROM slot_holds ORDER BY id"
    ).fetchall()


# ------------------------------------------------------------- invitations drafted at once

# Each process loads everything a draft needs, says it is ready, waits for the common start
# signal, then runs `kizuna --db DB draft interview_invitation ...` as the command line would.
DRAFT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from kizuna.cli import cli
    import kizuna.log.holds, kizuna.compose, kizuna.pipeline, kizuna.slots, kizuna.topics
    import sqlite_utils

    folder, who, args = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
    (folder / f"ready-{who}").touch()
    for _ in range(6000):
        if (folder / "go").exists():
            break
        time.sleep(0.002)
    cli.main(args, prog_name="kizuna")
    """
)

APPLICANTS = [
    ("B-0001", "青木 一郎"),
    ("B-0002", "井上 二葉"),
    ("B-0003", "上田 三奈"),
    ("B-0004", "江藤 四季"),
    ("B-0005", "大野 五月"),
]
PREVIEW = ("B-0099", "試写 太郎")  # a --no-log draft started at the same moment


def _start_together(tmp_path: Path, db_path: Path) -> dict[str, subprocess.Popen[str]]:
    folder = tmp_path / "start"
    folder.mkdir()
    procs: dict[str, subprocess.Popen[str]] = {}
    for candidate_id, name in [*APPLICANTS, PREVIEW]:
        args = ["--db", str(db_path), "draft", "interview_invitation", "--name", name,
                "--candidate", candidate_id, "--date", ON.isoformat(), "--format", "json"]
        if candidate_id == PREVIEW[0]:
            args.append("--no-log")
        procs[candidate_id] = subprocess.Popen(
            [sys.executable, "-c", DRAFT, str(folder), candidate_id, *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        )
    for _ in range(15000):  # every process has imported kizuna and is waiting
        if all((folder / f"ready-{who}").exists() for who in procs):
            break
        if any(p.poll() is not None for p in procs.values()):
            break
        time.sleep(0.002)
    (folder / "go").touch()
    return procs


def _copy(db_path: Path, target: Path) -> Path:
    """A consistent copy of the log (WAL included), to try another reply on the same state."""
    source = sqlite3.connect(db_path)
    copy = sqlite3.connect(target)
    with copy:
        source.backup(copy)
    source.close()
    copy.close()
    return target


@pytest.mark.slow
def test_invitations_drafted_at_the_same_moment_hold_disjoint_slots(
    db_path: Path, tmp_path: Path, runner: CliRunner
) -> None:
    with Log.open(db_path):
        pass  # the schema exists before the race, as on a log in use
    procs = _start_together(tmp_path, db_path)
    letters: dict[str, dict[str, Any]] = {}
    for who, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        letters[who] = json.loads(out)

    with Log.open(db_path) as log:
        held: dict[str, list[Slot]] = {
            who: bookings.offered(log, who, NOW) for who, _ in APPLICANTS
        }
        rows = log.db.conn.execute(
            "SELECT candidate_id, offered_in, status FROM slot_holds"
        ).fetchall()
    # Each letter offers exactly what is held for that applicant, by that letter's exchange.
    for who, _ in APPLICANTS:
        offered = [Slot.from_dict(s) for s in letters[who]["slots"]]
        assert held[who] == offered and len(offered) == 3, who
        assert {(r[1], r[2]) for r in rows if r[0] == who} == {(letters[who]["exchange_id"], "held")}
    # The preview held nothing and was not logged.
    assert letters[PREVIEW[0]]["exchange_id"] is None
    assert all(r[0] != PREVIEW[0] for r in rows)
    # No time is held for two applicants.
    starts = [s.start for slots in held.values() for s in slots]
    assert len(starts) == len(set(starts)), held

    # Whichever of its slots each applicant answers with, within the deadline, it gets it.
    for number in (1, 2, 3):
        copy = _copy(db_path, tmp_path / f"answer-{number}.db")
        for who, _ in APPLICANTS:
            result = runner.invoke(cli, ["--db", str(copy), "reply", who, "--text",
                                         f"{number}番でお願いします", "--at", REPLY_AT])
            assert result.exit_code == 0, result.output
            assert "Booked" in result.output, (who, number, result.output)
        with Log.open(copy) as log:
            for who, _ in APPLICANTS:
                assert bookings.booked_slot(log, who) == held[who][number - 1]


# ------------------------------------------------------------- hold() refuses a double hold


def test_hold_refuses_a_slot_held_for_someone_else(log: Log, yamada: Candidate, sato: Candidate) -> None:
    offer = [at(2026, 12, 2, 18), at(2026, 12, 5, 10)]
    bookings.hold(log, yamada.id, offer, until=UNTIL, now=NOW)
    before = holds(log)
    with pytest.raises(SlotError) as caught:
        bookings.hold(log, sato.id, [at(2026, 12, 6, 13), offer[1]], until=UNTIL, now=NOW)
    message = str(caught.value)
    assert "12月5日（土）10:00〜11:00" in message and "another applicant" in message
    assert caught.value.hint and "kizuna slots" in caught.value.hint
    assert holds(log) == before  # nothing recorded, not even the free slot
    # Once Yamada's hold has lapsed, the time may be offered again.
    later = UNTIL + dt.timedelta(seconds=1)
    bookings.hold(log, sato.id, [offer[1]], until=later + dt.timedelta(days=3), now=later)
    assert bookings.offered(log, sato.id, later) == [offer[1]]


def test_hold_refuses_an_overlapping_or_booked_slot(log: Log, yamada: Candidate, sato: Candidate) -> None:
    bookings.hold(log, yamada.id, [at(2026, 12, 5, 10)], until=UNTIL, now=NOW)
    half_past = Slot(at(2026, 12, 5, 10).start + dt.timedelta(minutes=30),
                     at(2026, 12, 5, 10).end + dt.timedelta(minutes=30))
    with pytest.raises(SlotError, match="another applicant"):
        bookings.hold(log, sato.id, [half_past], until=UNTIL, now=NOW)
    bookings.book(log, yamada.id, at(2026, 12, 5, 10), now=NOW)
    later = UNTIL + dt.timedelta(days=1)  # a booking never lapses
    with pytest.raises(SlotError, match="booked"):
        bookings.hold(log, sato.id, [at(2026, 12, 5, 10)], until=later + dt.timedelta(days=2), now=later)
    # Back to back with someone else's interview is fine (book() keeps any buffer).
    assert bookings.hold(log, sato.id, [at(2026, 12, 5, 11)], until=UNTIL, now=NOW)


def test_an_invitation_whose_slots_were_taken_meanwhile_records_nothing(
    profile: Profile, log: Log, yamada: Candidate, sato: Candidate
) -> None:
    """The --edit path: the draft was proposed, then someone else was offered its times while
    the editor was open. Neither the exchange nor the holds are recorded."""
    from kizuna.pipeline import prepare_message

    message = prepare_message(profile, "interview_invitation", sato, on=ON, log=log, now=NOW)
    draft_message(profile, "interview_invitation", yamada, on=ON, log=log, now=NOW,
                  slots=list(message.slots[:1]))
    with pytest.raises(SlotError, match="not recorded.*held for another applicant"):
        record_message(log, message, now=NOW)
    assert [e.candidate_id for e in log.timeline()] == [yamada.id]
    assert {r[1] for r in holds(log)} == {yamada.id}


EDITOR = textwrap.dedent(
    """
    import subprocess, sys
    from pathlib import Path

    # While the recruiter edits, another invitation is drafted for the same day.
    db, draft = sys.argv[1], Path(sys.argv[2])
    subprocess.run([sys.executable, "-m", "kizuna", "--db", db, "draft", "interview_invitation",
                    "--name", "佐藤 花子", "--candidate", "A-0002", "--date", "2026-11-26"],
                   check=True, capture_output=True, timeout=60)
    draft.write_text(draft.read_text(encoding="utf-8") + "\\n追記しました。\\n", encoding="utf-8")
    """
)


@pytest.mark.slow
def test_cli_edit_never_holds_the_lock_and_refuses_times_taken_meanwhile(
    runner: CliRunner, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "editor.py"
    script.write_text(EDITOR, encoding="utf-8")
    monkeypatch.setenv("EDITOR", f'"{sys.executable}" "{script}" "{db_path}"')
    result = runner.invoke(cli, ["--db", str(db_path), "draft", "interview_invitation",
                                 "--name", "山田 太郎", "--candidate", "A-0001",
                                 "--date", ON.isoformat(), "--edit"])
    assert result.exit_code == 1, result.output
    assert "not recorded" in result.output and "held for another applicant" in result.output
    assert "Traceback" not in result.output
    with Log.open(db_path) as log:
        assert [e.candidate_id for e in log.timeline()] == ["A-0002"]
        assert {r[1] for r in holds(log)} == {"A-0002"}


# ------------------------------------------------------------- the same reply twice


def _invite(profile: Profile, log: Log, candidate: Candidate) -> list[Slot]:
    draft_message(profile, "interview_invitation", candidate, on=ON, log=log, now=NOW)
    return bookings.offered(log, candidate.id, NOW)


def _inbound(log: Log, candidate_id: str) -> list[int]:
    return [e.id for e in log.timeline(candidate_id) if e.direction == "in"]


def test_record_inbound_twice_with_the_same_time_is_one_row(log: Log, yamada: Candidate) -> None:
    when = dt.datetime(2026, 11, 27, 9, 30)
    first = log.record_inbound(yamada.id, "2番でお願いします", received_at=when)
    again = log.record_inbound(yamada.id, "2番でお願いします\r\n", received_at=when.replace(tzinfo=JST))
    assert again == first and _inbound(log, yamada.id) == [first.id]
    # Another text, or another time, is another message; so is one with no time given.
    other = log.record_inbound(yamada.id, "3番でお願いします", received_at=when)
    later = log.record_inbound(yamada.id, "2番でお願いします", received_at=when + dt.timedelta(minutes=1))
    untimed = [log.record_inbound(yamada.id, "2番でお願いします") for _ in range(2)]
    assert len({first.id, other.id, later.id, *(e.id for e in untimed)}) == 5


def test_handle_reply_twice_books_once(profile: Profile, log: Log, yamada: Candidate) -> None:
    offered = _invite(profile, log, yamada)
    when = NOW + dt.timedelta(days=1)
    first = pipeline.handle_reply(profile, log, yamada.id, "②でお願いします", on=when.date(), now=when)
    assert first.booked == offered[1] and not first.duplicate
    state = log.db.conn.execute("SELECT * FROM slot_holds ORDER BY id").fetchall()
    exchanges = [e.id for e in log.timeline()]
    again = pipeline.handle_reply(profile, log, yamada.id, "②でお願いします", on=when.date(), now=when)
    assert [e.id for e in log.timeline()] == exchanges  # no second reply, no second confirmation
    assert log.db.conn.execute("SELECT * FROM slot_holds ORDER BY id").fetchall() == state
    assert again.duplicate and again.exchange == first.exchange
    assert again.booked is None and again.confirmation is None
    assert "already recorded" in again.note and format_slot(offered[1]) in again.note
    assert again.to_dict()["duplicate"] is True


def test_a_repeated_reply_is_not_read_against_a_newer_invitation(
    profile: Profile, log: Log, yamada: Candidate
) -> None:
    """Recording the same reply again must not book slot 1 of an invitation sent since."""
    offered = _invite(profile, log, yamada)
    when = NOW + dt.timedelta(hours=1)
    pipeline.handle_reply(profile, log, yamada.id, "1番でお願いします", on=when.date(), now=when)
    newer = _invite(profile, log, yamada)  # the next interview stage
    again = pipeline.handle_reply(profile, log, yamada.id, "1番でお願いします", on=when.date(), now=when)
    assert bookings.offered(log, yamada.id, when) == newer
    assert bookings.booked_slot(log, yamada.id) == offered[0]
    assert len(_inbound(log, yamada.id)) == 1
    assert again.duplicate and again.booked is None


def test_cli_reply_twice_with_at_says_already_recorded(
    runner: CliRunner, db_path: Path, yamada: Candidate
) -> None:
    with Log.open(db_path) as log:
        log.upsert_candidate(yamada)
        offered = _invite(load_profile(), log, yamada)
    args = ["reply", yamada.id, "--text", "3番でお願いいたします", "--at", REPLY_AT]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "Recorded the reply" in first.output and "Booked" in first.output
    again = runner.invoke(cli, args)
    assert again.exit_code == 0, again.output
    assert "already recorded as exchange" in again.output
    assert "Booked" not in again.output and "Drafted" not in again.output
    data = json.loads(runner.invoke(cli, [*args, "--format", "json"]).output)
    assert data["duplicate"] is True and data["booked"] is None
    with Log.open(db_path) as log:
        kinds = [e.kind for e in log.timeline(yamada.id)]
        assert kinds == ["interview_invitation", None, "interview_confirmation"]
        assert bookings.booked_slot(log, yamada.id) == offered[2]
    # Without --at the arrival time is now: the same words typed again are another message
    # (README, `kizuna reply`); the slot is booked already, so nothing is booked twice.
    untimed = runner.invoke(cli, ["reply", yamada.id, "--text", "3番でお願いいたします"])
    assert untimed.exit_code == 0, untimed.output
    assert "Recorded the reply" in untimed.output and "Booked" not in untimed.output
    with Log.open(db_path) as log:
        assert len(_inbound(log, yamada.id)) == 2
