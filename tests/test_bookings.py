"""Holding, booking (one winner, even across processes), reading replies, reminders, CLI."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kizuna import errors, pipeline
from kizuna.cli import cli
from kizuna.errors import InputError, LogError, SlotError
from kizuna.log import Log
from kizuna.log import holds as bookings
from kizuna.models import JST, Candidate, Slot
from kizuna.profile import Profile, load_profile

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=JST)
ON = dt.date(2026, 11, 26)
UNTIL = dt.datetime(2026, 12, 1, 23, 59, 59, tzinfo=JST)


def at(y: int, m: int, d: int, hh: int) -> Slot:
    start = dt.datetime(y, m, d, hh, tzinfo=JST)
    return Slot(start, start + dt.timedelta(hours=1))


OFFER = [at(2026, 12, 2, 18), at(2026, 12, 5, 10), at(2026, 12, 6, 13)]


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
    """Every slot_holds row, to show that a refused booking changed nothing."""
    return log.db.conn.execute(
        "SELECT id, candidate_id, start, number, status, held_until FROM slot_holds ORDER BY id"
    ).fetchall()


# ---------------------------------------------------------------------------- holds


def test_hold_numbers_in_offer_order_and_replaces_earlier_offer(log: Log, yamada: Candidate) -> None:
    bookings.hold(log, yamada.id, OFFER[:2], until=UNTIL, now=NOW)
    bookings.hold(log, yamada.id, [OFFER[2], OFFER[0]], until=UNTIL, now=NOW)
    rows = holds(log)
    assert [(r[3], r[4]) for r in rows] == [(1, "released"), (2, "released"), (1, "held"), (2, "held")]
    assert rows[2][2] == "2026-12-06T13:00:00+09:00"
    assert bookings.offered(log, yamada.id, NOW) == [OFFER[2], OFFER[0]]


def test_hold_for_unknown_applicant(log: Log) -> None:
    with pytest.raises(LogError, match="A-0009"):
        bookings.hold(log, "A-0009", OFFER, until=UNTIL, now=NOW)
    assert holds(log) == []


def test_expired_holds_are_neither_offered_nor_blocking(log: Log, yamada: Candidate, sato: Candidate) -> None:
    bookings.hold(log, yamada.id, OFFER, until=UNTIL, now=NOW)
    later = UNTIL + dt.timedelta(seconds=1)
    assert bookings.offered(log, yamada.id, later) == []
    assert bookings.offered(log, yamada.id, later, include_expired=True) == OFFER
    assert bookings.unavailable(log, NOW, exclude_candidate=sato.id) == {s.start for s in OFFER}
    assert bookings.unavailable(log, later, exclude_candidate=sato.id) == set()


def test_unavailable_excludes_own_holds_but_not_bookings(log: Log, yamada: Candidate, sato: Candidate) -> None:
    bookings.hold(log, yamada.id, OFFER, until=UNTIL, now=NOW)
    assert bookings.unavailable(log, NOW, exclude_candidate=yamada.id) == set()
    assert bookings.unavailable(log, NOW) == {s.start for s in OFFER}
    bookings.book(log, yamada.id, OFFER[1], now=NOW)
    # Booked stays unavailable even to the applicant (a later stage must not offer it again);
    # the released holds free the other two for everybody.
    assert bookings.unavailable(log, NOW, exclude_candidate=yamada.id) == {OFFER[1].start}
    assert bookings.unavailable(log, NOW, exclude_candidate=sato.id) == {OFFER[1].start}


# ---------------------------------------------------------------------------- booking


def test_book_releases_other_holds(log: Log, yamada: Candidate) -> None:
    bookings.hold(log, yamada.id, OFFER, until=UNTIL, now=NOW)
    assert bookings.book(log, yamada.id, OFFER[1], now=NOW) == OFFER[1]
    assert [r[4] for r in holds(log)] == ["released", "booked", "released"]
    assert bookings.booked_slot(log, yamada.id) == OFFER[1]
    assert bookings.offered(log, yamada.id, NOW) == []
    # Booking it again is harmless.
    assert bookings.book(log, yamada.id, OFFER[1], now=NOW) == OFFER[1]


def test_never_offered_slot_changes_nothing(log: Log, yamada: Candidate) -> None:
    bookings.hold(log, yamada.id, OFFER, until=UNTIL, now=NOW)
    before = holds(log)
    with pytest.raises(SlotError, match="never offered"):
        bookings.book(log, yamada.id, at(2026, 12, 12, 10), now=NOW)
    assert holds(log) == before
    assert bookings.booked_slot(log, yamada.id) is None


def test_replaced_offer_cannot_be_booked(log: Log, yamada: Candidate) -> None:
    bookings.hold(log, yamada.id, OFFER[:1], until=UNTIL, now=NOW)
    bookings.hold(log, yamada.id, OFFER[1:], until=UNTIL, now=NOW)
    before = holds(log)
    with pytest.raises(SlotError, match="earlier invitation"):
        bookings.book(log, yamada.id, OFFER[0], now=NOW)
    assert holds(log) == before


def test_taken_slot_changes_nothing_and_suggests_others(log: Log, yamada: Candidate, sato: Candidate) -> None:
    # Both were offered the Saturday slot: Sato's hold lapsed and it was offered again.
    bookings.hold(log, sato.id, [OFFER[1], at(2026, 12, 12, 10)], until=UNTIL, now=NOW)
    later = UNTIL + dt.timedelta(hours=1)
    bookings.hold(log, yamada.id, OFFER[1:], until=later + dt.timedelta(days=3), now=later)
    bookings.book(log, yamada.id, OFFER[1], now=later)
    before = holds(log)
    with pytest.raises(errors.SlotTaken) as caught:
        bookings.book(log, sato.id, OFFER[1], now=later)
    assert "already taken" in str(caught.value)
    assert "12月12日（土）10:00〜11:00" in str(caught.value)  # their other offered slot
    assert holds(log) == before
    assert bookings.booked_slot(log, sato.id) is None


def test_the_database_refuses_a_second_booking(log: Log, yamada: Candidate, sato: Candidate) -> None:
    """The UNIQUE partial index, not this module, is the last word."""
    import sqlite3

    bookings.hold(log, yamada.id, OFFER, until=UNTIL, now=NOW)
    bookings.book(log, yamada.id, OFFER[0], now=NOW)
    with pytest.raises(sqlite3.IntegrityError):
        log.db.conn.execute(
            "INSERT INTO slot_holds (candidate_id, start, \"end\", status) VALUES (?, ?, ?, 'booked')",
            [sato.id, "2026-12-02T18:00:00+09:00", "2026-12-02T19:00:00+09:00"],
        )


def test_past_slot_cannot_be_booked(log: Log, yamada: Candidate) -> None:
    bookings.hold(log, yamada.id, OFFER, until=UNTIL, now=NOW)
    with pytest.raises(SlotError, match="already begun"):
        bookings.book(log, yamada.id, OFFER[0], now=OFFER[0].start)


def test_lapsed_hold_loses_to_a_running_one(log: Log, yamada: Candidate, sato: Candidate) -> None:
    bookings.hold(log, yamada.id, OFFER, until=UNTIL, now=NOW)
    later = UNTIL + dt.timedelta(hours=1)
    bookings.hold(log, sato.id, [OFFER[2]], until=later + dt.timedelta(days=2), now=later)
    with pytest.raises(errors.SlotTaken):
        bookings.book(log, yamada.id, OFFER[2], now=later)
    # Nobody else wanted Saturday: a late answer still gets it.
    assert bookings.book(log, yamada.id, OFFER[1], now=later) == OFFER[1]


def test_buffer_between_interviews_is_kept(log: Log, yamada: Candidate, sato: Candidate) -> None:
    evening = [at(2026, 12, 2, 18), at(2026, 12, 2, 19)]
    bookings.hold(log, yamada.id, evening[:1], until=UNTIL, now=NOW)
    bookings.hold(log, sato.id, evening[1:], until=UNTIL, now=NOW)
    bookings.book(log, yamada.id, evening[0], now=NOW, spacing=dt.timedelta(minutes=75))
    before = holds(log)
    with pytest.raises(errors.SlotTaken):
        bookings.book(log, sato.id, evening[1], now=NOW, spacing=dt.timedelta(minutes=75))
    assert holds(log) == before
    # Back to back is allowed when no buffer is asked for.
    assert bookings.book(log, sato.id, evening[1], now=NOW) == evening[1]


def test_interviews_on(log: Log, yamada: Candidate, sato: Candidate) -> None:
    bookings.hold(log, yamada.id, OFFER, until=UNTIL, now=NOW)
    bookings.hold(log, sato.id, [at(2026, 12, 5, 13)], until=UNTIL, now=NOW)
    bookings.book(log, sato.id, at(2026, 12, 5, 13), now=NOW)
    bookings.book(log, yamada.id, OFFER[1], now=NOW)
    assert bookings.interviews_on(log, dt.date(2026, 12, 5)) == [
        (yamada.id, OFFER[1]), (sato.id, at(2026, 12, 5, 13)),
    ]
    assert bookings.interviews_on(log, dt.date(2026, 12, 6)) == []


def test_free_slots_skip_others_holds(log: Log, profile: Profile, yamada: Candidate) -> None:
    first = pipeline.free_slots(profile, log, ON, 3, now=NOW)
    bookings.hold(log, yamada.id, first, until=UNTIL, now=NOW)
    second = pipeline.free_slots(profile, log, ON, 3, now=NOW)
    assert not {s.start for s in first} & {s.start for s in second}


RACE = textwrap.dedent(
    """
    import datetime as dt, sys, time
    from pathlib import Path
    from kizuna import errors
    from kizuna.log import holds as bookings
    from kizuna.log import Log
    from kizuna.models import JST, Slot

    db, who, folder = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    start = dt.datetime(2026, 12, 5, 10, tzinfo=JST)
    now = dt.datetime.fromisoformat(sys.argv[4])
    with Log.open(db) as log:
        (folder / f"ready-{who}").touch()
        for _ in range(2000):  # wait for the starting signal (both processes are ready)
            if (folder / "go").exists():
                break
            time.sleep(0.005)
        try:
            bookings.book(log, who, Slot(start, start + dt.timedelta(hours=1)), now=now)
            print("booked")
        except errors.SlotTaken:
            print("taken")
    """
)


@pytest.mark.slow
def test_two_processes_race_for_one_slot(log: Log, db_path: Path, tmp_path: Path,
                                         yamada: Candidate, sato: Candidate) -> None:
    slot = OFFER[1]
    # Both were offered the slot (Sato's hold had lapsed when it was offered to Yamada), and
    # both answer late, when neither hold is running: only the database can pick one.
    bookings.hold(log, sato.id, [slot, OFFER[2]], until=UNTIL, now=NOW)
    later = UNTIL + dt.timedelta(hours=1)
    bookings.hold(log, yamada.id, [OFFER[0], slot], until=later + dt.timedelta(days=1), now=later)
    race_at = later + dt.timedelta(days=2)
    folder = tmp_path / "race"
    folder.mkdir()
    procs = {
        who: subprocess.Popen(
            [sys.executable, "-c", RACE, str(db_path), who, str(folder), race_at.isoformat()],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for who in (yamada.id, sato.id)
    }
    for _ in range(4000):
        if all((folder / f"ready-{who}").exists() for who in procs):
            break
        if any(p.poll() is not None for p in procs.values()):
            break
        import time

        time.sleep(0.005)
    (folder / "go").touch()
    results = {}
    for who, proc in procs.items():
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        results[who] = out.strip()
    assert sorted(results.values()) == ["booked", "taken"]
    winner = next(who for who, r in results.items() if r == "booked")
    loser = next(who for who, r in results.items() if r == "taken")
    booked = log.db.conn.execute(
        "SELECT candidate_id FROM slot_holds WHERE status = 'booked'"
    ).fetchall()
    assert booked == [(winner,)]
    assert bookings.booked_slot(log, winner) == slot
    # The loser keeps their offer: nothing of theirs was released.
    assert bookings.offered(log, loser, NOW) != []


# ---------------------------------------------------------------------------- replies


def invite(profile: Profile, log: Log, candidate: Candidate) -> list[Slot]:
    """Draft a real invitation (it proposes and holds slots) and return what it offered."""
    from kizuna.pipeline import draft_message

    drafted = draft_message(profile, "interview_invitation", candidate, on=ON, log=log, now=NOW)
    offered = bookings.offered(log, candidate.id, NOW)
    assert offered == list(drafted.message.slots) and len(offered) == 3
    return offered


def inbound(log: Log, candidate_id: str) -> list[str]:
    return [e.body for e in log.timeline(candidate_id) if e.direction == "in"]


def test_reply_books_and_drafts_the_confirmation(profile: Profile, log: Log, yamada: Candidate) -> None:
    offered = invite(profile, log, yamada)
    outcome = pipeline.handle_reply(profile, log, yamada.id, "②でお願いいたします。",
                                    on=dt.date(2026, 11, 27), now=NOW + dt.timedelta(days=1))
    assert outcome.exchange.direction == "in" and outcome.exchange.body == "②でお願いいたします。"
    assert (outcome.choice.status, outcome.choice.number) == ("chosen", 2)
    assert outcome.booked == offered[1]
    assert bookings.booked_slot(log, yamada.id) == offered[1]
    assert bookings.offered(log, yamada.id, NOW) == []  # the other two were released
    assert outcome.confirmation is not None and outcome.confirmation.exchange is not None
    confirmation = outcome.confirmation.message
    assert confirmation.kind == "interview_confirmation"
    assert confirmation.slots == (offered[1],)
    from kizuna.slots import format_slot

    assert format_slot(offered[1]) in confirmation.body
    kinds = [e.kind for e in log.timeline(yamada.id)]
    assert kinds == ["interview_invitation", None, "interview_confirmation"]
    assert "Booked" in outcome.note


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("お世話になっております。日程は追ってご連絡いたします。090-1234-5678", "none"),
        ("1か2でお願いします", "ambiguous"),
        ("2名で伺います", "none"),
        # Issue 10: the 3 of size="3" booked slot ③.
        ('<div style="margin:1px"><font size="3">日程は追ってご連絡いたします。</font></div>',
         "none"),
    ],
)
def test_reply_without_a_clear_choice_is_recorded_and_books_nothing(
    profile: Profile, log: Log, yamada: Candidate, text: str, status: str
) -> None:
    invite(profile, log, yamada)
    before = holds(log)
    outcome = pipeline.handle_reply(profile, log, yamada.id, text, on=ON, now=NOW)
    assert outcome.choice.status == status
    assert outcome.booked is None and outcome.confirmation is None
    assert inbound(log, yamada.id) == [text]
    assert holds(log) == before
    assert outcome.note.startswith("Nothing was booked")


def test_html_reply_books_its_text_and_is_recorded_as_sent(
    profile: Profile, log: Log, yamada: Candidate
) -> None:
    offered = invite(profile, log, yamada)
    html = (
        '<div style="margin:1px"><font size="3">&#9313;でお願いいたします。</font></div>'
        '<div class="gmail_quote"><blockquote class="gmail_quote">&#9314; 12月6日</blockquote></div>'
    )
    outcome = pipeline.handle_reply(profile, log, yamada.id, html, on=ON, now=NOW)
    assert (outcome.choice.status, outcome.choice.number) == ("chosen", 2)
    assert outcome.booked == offered[1]
    assert inbound(log, yamada.id) == [html]


def test_reply_for_a_slot_taken_meanwhile_lists_others(
    profile: Profile, log: Log, yamada: Candidate, sato: Candidate
) -> None:
    offered = invite(profile, log, yamada)
    # Sato was offered (and books) Yamada's second slot after Yamada's hold had lapsed.
    later = UNTIL + dt.timedelta(hours=1)
    bookings.hold(log, sato.id, [offered[1]], until=later + dt.timedelta(days=3), now=later)
    bookings.book(log, sato.id, offered[1], now=later)
    outcome = pipeline.handle_reply(profile, log, yamada.id, "2番でお願いします",
                                    on=later.date(), now=later)
    assert outcome.choice.status == "unavailable" and outcome.booked is None
    assert "already taken" in outcome.note
    assert outcome.alternatives and offered[1] not in outcome.alternatives
    assert bookings.booked_slot(log, yamada.id) is None
    assert inbound(log, yamada.id) == ["2番でお願いします"]


def test_ranked_reply_falls_back_to_the_second_choice(
    profile: Profile, log: Log, yamada: Candidate, sato: Candidate
) -> None:
    offered = invite(profile, log, yamada)
    later = UNTIL + dt.timedelta(hours=1)
    bookings.hold(log, sato.id, [offered[2]], until=later + dt.timedelta(days=3), now=later)
    bookings.book(log, sato.id, offered[2], now=later)
    outcome = pipeline.handle_reply(profile, log, yamada.id, "第一希望は3、第二希望は2です",
                                    on=later.date(), now=later)
    assert outcome.booked == offered[1]
    assert outcome.choice.preferences == (3, 2)


def test_reply_for_a_slot_already_past(profile: Profile, log: Log, yamada: Candidate) -> None:
    offered = invite(profile, log, yamada)
    later = offered[0].end + dt.timedelta(hours=1)
    outcome = pipeline.handle_reply(profile, log, yamada.id, "①でお願いします",
                                    on=later.date(), now=later)
    assert outcome.choice.status == "unavailable" and outcome.booked is None
    assert "already passed" in outcome.note and "already passed" in outcome.choice.reason
    assert outcome.alternatives and min(s.start for s in outcome.alternatives) > later
    assert inbound(log, yamada.id) == ["①でお願いします"]


def test_reply_with_nothing_on_offer_is_still_recorded(profile: Profile, log: Log, yamada: Candidate) -> None:
    outcome = pipeline.handle_reply(profile, log, yamada.id, "2番でお願いします", on=ON, now=NOW)
    assert outcome.booked is None and "No slots are on offer" in outcome.note
    assert inbound(log, yamada.id) == ["2番でお願いします"]


def test_invitations_for_two_applicants_do_not_overlap(
    profile: Profile, log: Log, yamada: Candidate, sato: Candidate
) -> None:
    first = invite(profile, log, yamada)
    second = invite(profile, log, sato)
    assert not set(first) & set(second)


# ---------------------------------------------------------------------------- reminders


def test_reminders_once_per_interview(profile: Profile, log: Log, yamada: Candidate, sato: Candidate) -> None:
    bookings.hold(log, yamada.id, OFFER, until=UNTIL, now=NOW)
    bookings.book(log, yamada.id, OFFER[1], now=NOW)  # Saturday 12/5 10:00
    bookings.hold(log, sato.id, [at(2026, 12, 6, 10)], until=UNTIL, now=NOW)
    bookings.book(log, sato.id, at(2026, 12, 6, 10), now=NOW)
    for who in (yamada, sato):  # an online interview's reminder carries its room
        pipeline.set_meeting_url(log, who.id, f"https://meet.example.jp/{who.id}")
    assert pipeline.draft_reminders(profile, log, on=dt.date(2026, 12, 3)) == []
    drafted = pipeline.draft_reminders(profile, log, on=dt.date(2026, 12, 4))
    assert [d.message.candidate.id for d in drafted] == [yamada.id]
    message = drafted[0].message
    assert message.kind == "interview_reminder" and message.slots == (OFFER[1],)
    assert drafted[0].exchange is not None
    assert pipeline.draft_reminders(profile, log, on=dt.date(2026, 12, 4)) == []
    reminders = [e for e in log.timeline() if e.kind == "interview_reminder"]
    assert len(reminders) == 1
    assert reminders[0].idempotency_key == pipeline.reminder_key(yamada.id, OFFER[1])


def test_a_reminder_drafted_by_hand_is_the_one_reminder_of_its_interview(
        profile: Profile, log: Log, yamada: Candidate) -> None:
    """`kizuna draft interview_reminder` records the interview's reminder key: `kizuna
    reminders` (and `today --draft`) then draft nothing more, and a second draft by hand is
    refused with the exchange it would repeat."""
    bookings.hold(log, yamada.id, OFFER, until=UNTIL, now=NOW)
    bookings.book(log, yamada.id, OFFER[1], now=NOW)
    pipeline.set_meeting_url(log, yamada.id, "https://meet.example.jp/a")
    first = pipeline.draft_message(profile, "interview_reminder", yamada, on=dt.date(2026, 12, 4), log=log)
    assert first.exchange is not None
    assert first.exchange.idempotency_key == pipeline.reminder_key(yamada.id, OFFER[1])
    assert pipeline.draft_reminders(profile, log, on=dt.date(2026, 12, 4)) == []
    with pytest.raises(InputError, match=f"already has a reminder of this interview \\(exchange {first.exchange.id}\\)"):
        pipeline.draft_message(profile, "interview_reminder", yamada, on=dt.date(2026, 12, 4), log=log)
    assert len([e for e in log.timeline() if e.kind == "interview_reminder"]) == 1


# ---------------------------------------------------------------------------- CLI


def test_cli_slots_json(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["slots", "--from", "2026-11-26", "--count", "5", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data) == 5
    for item in data:
        start = dt.datetime.fromisoformat(item["start"])
        assert item["start"].endswith("+09:00") and item["end"].endswith("+09:00")
        assert dt.datetime.fromisoformat(item["end"]) - start == dt.timedelta(minutes=60)
    assert data[0]["start"] == "2026-11-30T18:00:00+09:00"


def test_cli_slots_text(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["slots", "--from", "2026-11-26", "--count", "3"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "① 11月30日（月）18:00〜19:00",
        "② 12月5日（土）10:00〜11:00",
        "③ 12月6日（日）13:00〜14:00",
    ]


def test_cli_slots_empty_policy_is_one_paragraph(runner: CliRunner, tmp_path: Path) -> None:
    from kizuna.profile import sample_profile_text

    path = tmp_path / "kizuna.toml"
    path.write_text(
        sample_profile_text()
        .replace('weekday_times = ["18:00", "19:00"]', "weekday_times = []")
        .replace('weekend_times = ["10:00", "13:00", "15:00"]', "weekend_times = []"),
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["--profile", str(path), "slots", "--from", "2026-11-26"])
    assert result.exit_code == 1
    assert "weekday_times is empty" in result.output and "Traceback" not in result.output


def test_cli_reply_books_and_reminders(runner: CliRunner, db_path: Path, yamada: Candidate) -> None:
    with Log.open(db_path) as log:
        log.upsert_candidate(yamada)
        offered = invite(load_profile(), log, yamada)
    result = runner.invoke(
        cli, ["reply", yamada.id, "--text", "３番でお願いいたします", "--at", "2026-11-27T09:30"]
    )
    assert result.exit_code == 0, result.output
    from kizuna.slots import format_slot

    assert "Recorded the reply from A-0001" in result.output
    assert f"Booked {format_slot(offered[2])}" in result.output
    assert "Drafted interview_confirmation" in result.output and "件名：" in result.output

    day_before = (offered[2].start - dt.timedelta(days=1)).date().isoformat()
    missing = runner.invoke(cli, ["reminders", "--date", day_before])
    assert missing.exit_code == 1 and "meeting URL" in missing.output and "A-0001" in missing.output
    recorded = runner.invoke(cli, ["meeting", yamada.id, "https://meet.example.jp/a1"])
    assert recorded.exit_code == 0, recorded.output
    first = runner.invoke(cli, ["reminders", "--date", day_before])
    assert first.exit_code == 0, first.output
    assert "Drafted interview_reminder for A-0001" in first.output
    assert "https://meet.example.jp/a1" in first.output
    again = runner.invoke(cli, ["reminders", "--date", day_before, "--format", "json"])
    assert again.exit_code == 0 and json.loads(again.output) == []


def test_cli_reply_without_choice(runner: CliRunner, db_path: Path, yamada: Candidate) -> None:
    with Log.open(db_path) as log:
        log.upsert_candidate(yamada)
        invite(load_profile(), log, yamada)
    result = runner.invoke(
        cli, ["reply", yamada.id, "--text", "〒024-8501までお送りください", "--at",
              "2026-11-27T09:30", "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["choice"]["status"] == "none" and data["booked"] is None
    assert data["exchange"]["body"] == "〒024-8501までお送りください"


def test_cli_reply_unknown_applicant(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["reply", "A-9999", "--text", "2"])
    assert result.exit_code == 1 and "A-9999" in result.output
    assert "Traceback" not in result.output
