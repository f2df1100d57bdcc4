"""Interview slots in the log: holding the slots an invitation offers, and booking one.

Rows live in the log's ``slot_holds`` table. An invitation holds its slots for the applicant
(仮押さえ) until the reply deadline, so nobody else is offered them; a reply books one. The
table's UNIQUE partial index on ``start WHERE status = 'booked'`` is what makes a double
booking impossible: two applicants, or two processes, racing for one slot cannot both win,
whatever this module's own checks think.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from typing import Any

from ..dates import slot_text as format_slot
from ..errors import SlotError, SlotTaken
from ..i18n import _
from ..models import JST, Slot, in_jst
from .core import LogCore as Log
from .records import Booking, HeldOffer

__all__ = [
    "book",
    "booked_slot",
    "booking",
    "set_meeting_url",
    "held_offer",
    "hold",
    "interviews_on",
    "offered",
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
    replaces the old one. A slot that overlaps a booking, or another applicant's hold still
    running at ``now``, raises SlotError and nothing is held: the invitation would promise a
    time that is not the applicant's. Called inside a caller's ``log.transaction()`` (as
    ``record_message`` does, with the proposal), the check and the insert see the same log.
    """
    log.get_candidate(candidate_id)  # unknown applicant → LogError listing near matches
    moment = in_jst(now)
    stamp = _iso(moment)
    with log.transaction() as db:
        clashes = [(s, why) for s in slots if (why := _claimed(log, candidate_id, s, moment))]
        if clashes:
            listed = _("; ").join(f"{format_slot(s)} {why}" for s, why in clashes)
            raise SlotError(
                _("Cannot hold these times for {id}: {slots}. Nothing was held.").format(
                    id=candidate_id, slots=listed),
                field="slots",
                hint=_("Draft the invitation again to be offered free times (`kizuna slots` "
                       "lists them)."),
            )
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


def _claimed(log: Log, candidate_id: str, slot: Slot, moment: dt.datetime) -> str | None:
    """Why ``slot`` cannot be held for this applicant (a booking or another applicant's
    running hold overlaps it), or None when it is free."""
    # Stored starts are ISO text in one offset, so text comparison is time order. A slot is
    # never longer than a day, so looking back one day finds every overlapping row.
    rows = log.db.conn.execute(
        'SELECT start, "end", status, candidate_id, held_until FROM slot_holds '
        "WHERE status IN ('held', 'booked') AND start > ? AND start < ?",
        [_iso(slot.start - dt.timedelta(days=1)), _iso(slot.end)],
    ).fetchall()
    for start, end, status, other, held_until in rows:
        if _slot((start, end)).end <= slot.start:
            continue
        if status == "booked":
            if other == candidate_id:
                return _("overlaps this applicant's booked interview")
            return _("overlaps another applicant's booked interview")
        if other != candidate_id and _active(held_until, moment):
            return _("is held for another applicant")
    return None


def unavailable(
    log: Log, now: dt.datetime, exclude_candidate: str | None = None
) -> set[dt.datetime]:
    """Starts nobody else may be offered: every booking, and every hold still running for an
    applicant other than ``exclude_candidate``."""
    moment = in_jst(now)
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
    moment = in_jst(now)
    rows = log.db.conn.execute(
        'SELECT start, "end", held_until FROM slot_holds '
        "WHERE candidate_id = ? AND status = 'held' ORDER BY number, start",
        [candidate_id],
    ).fetchall()
    return [_slot(row) for row in rows if include_expired or _active(row[2], moment)]


def held_offer(log: Log, candidate_id: str, now: dt.datetime) -> HeldOffer | None:
    """The slots still held for the applicant at ``now`` (a hold that has run out is no
    longer theirs), with the numbers their invitation gave them, that invitation's id and
    when the holds end; None when nothing is held."""
    moment = in_jst(now)
    rows = log.db.conn.execute(
        'SELECT start, "end", number, offered_in, held_until FROM slot_holds '
        "WHERE candidate_id = ? AND status = 'held' ORDER BY number, start",
        [candidate_id],
    ).fetchall()
    live = [row for row in rows if row[4] is not None and _active(row[4], moment)]
    if not live:
        return None
    return HeldOffer(
        invitation=live[0][3],
        slots=tuple((row[2] or index, _slot(row[:2])) for index, row in enumerate(live, start=1)),
        held_until=dt.datetime.fromisoformat(live[0][4]).astimezone(JST),
    )


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
    moment = in_jst(now)
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
                        _("{slot} was offered to {id} in an earlier invitation that has since "
                          "been replaced; it cannot be booked.").format(
                            slot=format_slot(slot), id=candidate_id),
                        field="slot",
                    )
                raise SlotError(
                    _("{slot} was never offered to {id}; only offered slots can be "
                      "booked.").format(slot=format_slot(slot), id=candidate_id),
                    field="slot",
                )
            row_id, _status, held_until, end = held[0]
            if slot.start <= moment:
                raise SlotError(_("{slot} has already begun; it cannot be booked.").format(
                    slot=format_slot(slot)))
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
                exc.hint = _("Still free among the slots offered to them: {slots}.").format(
                    slots=_(", ").join(format_slot(s) for s in others))
        raise


def _taken(slot: Slot) -> SlotTaken:
    return SlotTaken(
        _("{slot} is already taken by another applicant; nothing was booked.").format(
            slot=format_slot(slot)),
        slot=slot, field="slot",
    )


def booked_slot(log: Log, candidate_id: str) -> Slot | None:
    """The applicant's booked interview (the most recently booked one), or None."""
    row = log.db.conn.execute(
        'SELECT start, "end" FROM slot_holds WHERE candidate_id = ? AND status = \'booked\' '
        "ORDER BY updated_at DESC, id DESC LIMIT 1",
        [candidate_id],
    ).fetchone()
    return _slot(row) if row else None


def booking(log: Log, candidate_id: str) -> Booking | None:
    """The applicant's booked interview (the most recently booked one) with its number in the
    invitation and its meeting URL, or None."""
    row = log.db.conn.execute(
        'SELECT start, "end", number, offered_in, meeting_url FROM slot_holds '
        "WHERE candidate_id = ? AND status = 'booked' ORDER BY updated_at DESC, id DESC LIMIT 1",
        [candidate_id],
    ).fetchone()
    if row is None:
        return None
    return Booking(_slot(row[:2]), row[2], row[3], row[4] or "")


def set_meeting_url(log: Log, candidate_id: str, slot: Slot, url: str) -> bool:
    """Record the meeting URL of the applicant's booked interview at ``slot``; False when no
    such booking exists (a slot given by hand that was never booked)."""
    with log.transaction() as db:
        cursor = db.conn.execute(
            "UPDATE slot_holds SET meeting_url = ? WHERE candidate_id = ? AND start = ? "
            "AND status = 'booked'",
            [url, candidate_id, _iso(slot.start)],
        )
    return bool(cursor.rowcount)


def interviews_on(log: Log, day: dt.date) -> list[tuple[str, Slot]]:
    """(applicant id, slot) for every interview booked on this day (JST), in time order."""
    low, high = _day_bounds(day)
    rows = log.db.conn.execute(
        'SELECT candidate_id, start, "end" FROM slot_holds '
        "WHERE status = 'booked' AND start >= ? AND start < ? ORDER BY start, candidate_id",
        [low, high],
    ).fetchall()
    return [(row[0], _slot(row[1:])) for row in rows]
