"""Interview bookings in the log: holding offered slots, booking one, reading replies, reminders.

Rows live in the log's ``slot_holds`` table. An invitation holds its slots for the applicant
(仮押さえ) until the reply deadline, so nobody else is offered them; a reply books one. The
table's UNIQUE partial index on ``start WHERE status = 'booked'`` is what makes a double
booking impossible: two applicants, or two processes, racing for one slot cannot both win,
whatever this module's own checks think.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import KizunaError, SlotError
from .models import JST, Exchange, Slot
from .seasons import check_served_date
from .slots import Choice, format_slot, parse_choice, propose

if TYPE_CHECKING:
    from .log import Log
    from .pipeline import Drafted
    from .profile import Profile

__all__ = [
    "ReplyOutcome",
    "SlotTaken",
    "book",
    "booked_slot",
    "draft_reminders",
    "free_slots",
    "handle_reply",
    "hold",
    "interviews_on",
    "offered",
    "reminder_key",
    "unavailable",
]


def _iso(moment: dt.datetime) -> str:
    """The one spelling of a time in slot_holds: ISO 8601, seconds, +09:00.

    ``start`` is compared as text by the UNIQUE index, so every writer must spell a time the
    same way.
    """
    if moment.tzinfo is None:
        raise ValueError("slot times must be timezone-aware")
    return moment.astimezone(JST).isoformat(timespec="seconds")


def _now(now: dt.datetime | None) -> dt.datetime:
    """The given moment in JST (a naive one is taken to be JST already), or now."""
    if now is None:
        return dt.datetime.now(JST)
    return now.replace(tzinfo=JST) if now.tzinfo is None else now.astimezone(JST)


def _slot(row: Sequence[Any]) -> Slot:
    return Slot(
        dt.datetime.fromisoformat(row[0]).astimezone(JST),
        dt.datetime.fromisoformat(row[1]).astimezone(JST),
    )


def _active(held_until: str | None, now: dt.datetime) -> bool:
    """A hold with no end date lasts until released."""
    return held_until is None or dt.datetime.fromisoformat(held_until) > now


def _day_bounds(day: dt.date) -> tuple[str, str]:
    start = dt.datetime.combine(day, dt.time(0), JST)
    return _iso(start), _iso(start + dt.timedelta(days=1))


# --------------------------------------------------------------------------------------------
# Holds and bookings
# --------------------------------------------------------------------------------------------


def hold(
    log: Log,
    candidate_id: str,
    slots: Sequence[Slot],
    *,
    until: dt.datetime,
    exchange_id: int | None = None,
    now: dt.datetime | None = None,
) -> list[Slot]:
    """Hold ``slots`` for an applicant until ``until``, numbered 1… in offer order.

    The applicant's earlier holds are released in the same transaction: a new invitation
    replaces the old one. A slot someone else holds or has booked is still recorded (the
    invitation already shows it); booking it later fails with "already taken" and other slots.
    """
    log.get_candidate(candidate_id)  # unknown applicant → LogError listing near matches
    stamp = _iso(_now(now))
    with log.transaction() as db:
        db.conn.execute(
            "UPDATE slot_holds SET status = 'released', updated_at = ? "
            "WHERE candidate_id = ? AND status = 'held'",
            [stamp, candidate_id],
        )
        db.conn.executemany(
            'INSERT INTO slot_holds (candidate_id, start, "end", number, status, offered_in, '
            "held_until, created_at, updated_at) VALUES (?, ?, ?, ?, 'held', ?, ?, ?, ?)",
            [
                (candidate_id, _iso(s.start), _iso(s.end), number, exchange_id, _iso(until),
                 stamp, stamp)
                for number, s in enumerate(slots, start=1)
            ],
        )
    return list(slots)


def unavailable(
    log: Log, now: dt.datetime, exclude_candidate: str | None = None
) -> set[dt.datetime]:
    """Starts nobody else may be offered: every booking, and every hold still running for an
    applicant other than ``exclude_candidate``."""
    moment = _now(now)
    # Yesterday onwards is enough: the proposer never offers a slot in the past.
    since = _iso(moment - dt.timedelta(days=1))
    rows = log.db.conn.execute(
        "SELECT start, status, candidate_id, held_until FROM slot_holds "
        "WHERE status IN ('held', 'booked') AND start >= ?",
        [since],
    ).fetchall()
    taken: set[dt.datetime] = set()
    for start, status, candidate_id, held_until in rows:
        if status == "booked" or (candidate_id != exclude_candidate and _active(held_until, moment)):
            taken.add(dt.datetime.fromisoformat(start).astimezone(JST))
    return taken


def offered(
    log: Log, candidate_id: str, now: dt.datetime, *, include_expired: bool = False
) -> list[Slot]:
    """The slots currently offered to an applicant, in the invitation's numbering.

    With ``include_expired``, holds whose deadline has passed count too: an applicant who
    answers a day late may still get their slot if nobody else has taken it.
    """
    moment = _now(now)
    rows = log.db.conn.execute(
        'SELECT start, "end", held_until FROM slot_holds '
        "WHERE candidate_id = ? AND status = 'held' ORDER BY number, start",
        [candidate_id],
    ).fetchall()
    return [_slot(row) for row in rows if include_expired or _active(row[2], moment)]


def book(
    log: Log,
    candidate_id: str,
    slot: Slot,
    *,
    now: dt.datetime | None = None,
    spacing: dt.timedelta | None = None,
) -> Slot:
    """Book one of the applicant's held slots, in one transaction, and release their others.

    A slot never offered to them, a slot in the past, or one taken by someone else raises
    SlotError and changes nothing. ``spacing`` (the policy's length plus buffer; default the
    slot's length) keeps another applicant's interview from starting too close to this one.
    Booking the slot they already booked returns it again.
    """
    moment = _now(now)
    start = _iso(slot.start)
    stamp = _iso(moment)
    try:
        with log.transaction() as db:
            conn = db.conn
            rows = conn.execute(
                'SELECT id, status, held_until, "end" FROM slot_holds '
                "WHERE candidate_id = ? AND start = ? ORDER BY id DESC",
                [candidate_id, start],
            ).fetchall()
            if any(row[1] == "booked" for row in rows):
                return slot
            held = [row for row in rows if row[1] == "held"]
            if not held:
                if rows:
                    raise SlotError(
                        f"{format_slot(slot)} was offered to {candidate_id} in an earlier "
                        "invitation that has since been replaced; it cannot be booked.",
                        field="slot",
                    )
                raise SlotError(
                    f"{format_slot(slot)} was never offered to {candidate_id}; only offered "
                    "slots can be booked.",
                    field="slot",
                )
            row_id, _, held_until, end = held[0]
            if slot.start <= moment:
                raise SlotError(f"{format_slot(slot)} has already begun; it cannot be booked.")
            # Others' interviews too close to this one (the same start is left to the index),
            # and, when this applicant's hold has lapsed, others' running holds: they may have
            # been offered the time since.
            window = spacing or (slot.end - slot.start)
            lapsed = not _active(held_until, moment)
            for other_start, status, other_until in conn.execute(
                "SELECT start, status, held_until FROM slot_holds WHERE start > ? AND start < ? "
                "AND candidate_id != ? AND status IN ('held', 'booked')",
                [_iso(slot.start - window), _iso(slot.start + window), candidate_id],
            ).fetchall():
                if status == "booked" and other_start != start:
                    raise _taken(slot)
                if status == "held" and lapsed and _active(other_until, moment):
                    raise _taken(slot)
            try:
                conn.execute(
                    "UPDATE slot_holds SET status = 'booked', updated_at = ? WHERE id = ?",
                    [stamp, row_id],
                )
            except sqlite3.IntegrityError:
                # The UNIQUE partial index: another booking of this start won the race.
                raise _taken(slot) from None
            conn.execute(
                "UPDATE slot_holds SET status = 'released', updated_at = ? "
                "WHERE candidate_id = ? AND status = 'held'",
                [stamp, candidate_id],
            )
            return _slot((start, end))
    except SlotTaken as exc:
        if exc.hint is None:
            others = [
                s for s in offered(log, candidate_id, moment, include_expired=True)
                if s.start != slot.start and s.start not in unavailable(log, moment, candidate_id)
            ]
            if others:
                exc.hint = "Still free among the slots offered to them: " + ", ".join(
                    format_slot(s) for s in others
                ) + "."
        raise


class SlotTaken(SlotError):
    """The slot was booked (or is held) by another applicant; ``slot`` is the one asked for."""

    def __init__(self, slot: Slot) -> None:
        super().__init__(
            f"{format_slot(slot)} is already taken by another applicant; nothing was booked.",
            field="slot",
        )
        self.slot = slot


def _taken(slot: Slot) -> SlotTaken:
    return SlotTaken(slot)


def booked_slot(log: Log, candidate_id: str) -> Slot | None:
    """The applicant's booked interview (the most recently booked one), or None."""
    row = log.db.conn.execute(
        'SELECT start, "end" FROM slot_holds WHERE candidate_id = ? AND status = \'booked\' '
        "ORDER BY updated_at DESC, id DESC LIMIT 1",
        [candidate_id],
    ).fetchone()
    return _slot(row) if row else None


def interviews_on(log: Log, day: dt.date) -> list[tuple[str, Slot]]:
    """(applicant id, slot) for every interview booked on this day (JST), in time order."""
    low, high = _day_bounds(day)
    rows = log.db.conn.execute(
        'SELECT candidate_id, start, "end" FROM slot_holds '
        "WHERE status = 'booked' AND start >= ? AND start < ? ORDER BY start, candidate_id",
        [low, high],
    ).fetchall()
    return [(row[0], _slot(row[1:])) for row in rows]


def free_slots(
    profile: Profile,
    log: Log,
    start_day: dt.date,
    count: int | None = None,
    *,
    now: dt.datetime | None = None,
) -> list[Slot]:
    """Slots that could be offered now: the profile's policy minus bookings and others' holds.

    ``count`` defaults to the profile's ``slots.offer_count``. ``now`` decides which holds have
    run out; slots before it are left out only when it is given.
    """
    policy = profile.slots
    taken = unavailable(log, _now(now))
    return propose(policy, start_day, count or policy.offer_count, unavailable=taken, now=now)


# --------------------------------------------------------------------------------------------
# Replies and reminders
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyOutcome:
    """What `kizuna reply` did: the recorded message, what it chose, and what followed.

    ``note`` says in English what happened (booked, or why not); ``alternatives`` are other
    free slots when the chosen one was taken.
    """

    exchange: Exchange
    choice: Choice
    booked: Slot | None
    confirmation: Drafted | None
    note: str
    alternatives: tuple[Slot, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "exchange": self.exchange.to_dict(),
            "choice": {
                "status": self.choice.status,
                "number": self.choice.number,
                "slot": self.choice.slot.to_dict() if self.choice.slot else None,
                "preferences": list(self.choice.preferences),
                "reason": self.choice.reason,
            },
            "booked": self.booked.to_dict() if self.booked else None,
            "confirmation": (
                self.confirmation.message.to_dict() if self.confirmation is not None else None
            ),
            "alternatives": [s.to_dict() for s in self.alternatives],
            "note": self.note,
        }


def confirmation_key(candidate_id: str, slot: Slot) -> str:
    """The idempotency key of the confirmation for one booking."""
    return f"confirmation:{candidate_id}:{slot.start.astimezone(JST).isoformat()}"


def reminder_key(candidate_id: str, slot: Slot) -> str:
    """The idempotency key of the reminder for one interview: one reminder per interview."""
    return f"reminder:{candidate_id}:{slot.start.astimezone(JST).isoformat()}"


def handle_reply(
    profile: Profile,
    log: Log,
    candidate_id: str,
    text: str,
    *,
    on: dt.date,
    now: dt.datetime | None = None,
    subject: str = "",
) -> ReplyOutcome:
    """Record an applicant's reply, find the slot it chooses, book it, draft the confirmation.

    The reply is recorded first, whatever it says. No choice, or an ambiguous one, books
    nothing and says why; a slot someone else has taken books nothing and lists other free
    slots. A confirmation that cannot be drafted leaves the booking in place and says so.
    """
    check_served_date(on, "on")
    exchange = log.record_inbound(candidate_id, text, received_at=now, subject=subject)
    moment = _now(now)
    offer = offered(log, candidate_id, moment, include_expired=True)
    if not offer:
        existing = booked_slot(log, candidate_id)
        note = "No slots are on offer to this applicant, so nothing was booked"
        note += f"; their interview is {format_slot(existing)}." if existing else "."
        return ReplyOutcome(exchange, parse_choice(text, ()), None, None, note)
    # A slot that has already begun is as unavailable as one somebody else booked.
    past = {s.start for s in offer if s.start <= moment}
    taken = unavailable(log, moment, exclude_candidate=candidate_id)
    choice = parse_choice(text, offer, unavailable=taken | past)
    if choice.status == "unavailable" and choice.slot is not None:
        lost = choice.slot
        alternatives = _alternatives(profile, log, on, moment, candidate_id, len(offer), lost)
        if lost.start in past and lost.start not in taken:
            choice = dataclasses.replace(
                choice, reason=choice.reason.replace(
                    "it has been taken by someone else", "that time has already passed"
                ),
            )
            note = f"{format_slot(lost)} has already passed, so nothing was booked."
            return ReplyOutcome(
                exchange, choice, None, None, _with_alternatives(note, alternatives), alternatives
            )
        return ReplyOutcome(
            exchange, choice, None, None, _taken_note(lost, alternatives), alternatives
        )
    if choice.status != "chosen" or choice.slot is None:
        return ReplyOutcome(
            exchange, choice, None, None, f"Nothing was booked: {choice.reason}"
        )
    try:
        spacing = profile.slots.spacing
        booked = book(log, candidate_id, choice.slot, now=moment, spacing=spacing)
    except SlotTaken:
        alternatives = _alternatives(profile, log, on, moment, candidate_id, len(offer), choice.slot)
        return ReplyOutcome(
            exchange, choice, None, None, _taken_note(choice.slot, alternatives), alternatives
        )
    except SlotError as exc:
        # The reply is recorded; say why the booking was refused rather than fail the command.
        return ReplyOutcome(exchange, choice, None, None, f"Nothing was booked: {exc}")
    note = f"Booked {format_slot(booked)} for {candidate_id}; the other held slots were released."
    from .pipeline import draft_message

    try:
        candidate = log.get_candidate(candidate_id)
        confirmation = draft_message(
            profile, "interview_confirmation", candidate, on=on, log=log, slot=booked,
            idempotency_key=confirmation_key(candidate_id, booked), now=moment,
        )
    except KizunaError as exc:
        # The booking stands (it is what the applicant asked for); only the draft is missing.
        note += (
            f" The confirmation could not be drafted: {exc} Draft it with "
            f"`kizuna draft interview_confirmation --candidate {candidate_id}`."
        )
        return ReplyOutcome(exchange, choice, booked, None, note)
    return ReplyOutcome(exchange, choice, booked, confirmation, note)


def _alternatives(
    profile: Profile,
    log: Log,
    on: dt.date,
    moment: dt.datetime,
    candidate_id: str,
    count: int,
    lost: Slot,
) -> tuple[Slot, ...]:
    """Other free slots for an applicant whose choice was taken (not held: the next
    invitation does that)."""
    taken = unavailable(log, moment, exclude_candidate=candidate_id) | {lost.start}
    try:
        return tuple(
            propose(profile.slots, on, max(count, 1), unavailable=taken, now=moment)
        )
    except SlotError:
        return ()


def _taken_note(slot: Slot, alternatives: Sequence[Slot]) -> str:
    note = f"{format_slot(slot)} is already taken by another applicant, so nothing was booked."
    return _with_alternatives(note, alternatives)


def _with_alternatives(note: str, alternatives: Sequence[Slot]) -> str:
    if alternatives:
        note += " Free slots to offer instead: " + ", ".join(format_slot(s) for s in alternatives) + "."
    else:
        note += " No other slot is free within the policy's horizon."
    return note


def draft_reminders(
    profile: Profile, log: Log, *, on: dt.date, now: dt.datetime | None = None
) -> list[Drafted]:
    """Draft interview_reminder for each interview booked on the day after ``on``.

    Once per interview: an interview whose reminder is already in the log is skipped, so the
    command can run every day (or twice) without drafting a second one.
    """
    from .pipeline import draft_message

    check_served_date(on, "on")
    drafted: list[Drafted] = []
    for candidate_id, slot in interviews_on(log, on + dt.timedelta(days=1)):
        key = reminder_key(candidate_id, slot)
        done = log.db.conn.execute(
            "SELECT 1 FROM exchanges WHERE idempotency_key = ?", [key]
        ).fetchone()
        if done:
            continue
        candidate = log.get_candidate(candidate_id)
        drafted.append(
            draft_message(
                profile, "interview_reminder", candidate, on=on, log=log, slot=slot,
                idempotency_key=key, now=now,
            )
        )
    return drafted
