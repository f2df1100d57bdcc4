"""The flow of one message: topics → slots → compose → log (DESIGN.md, "The flow of one message").

``prepare_message`` reads what it needs (the applicant's history, their booking, slots already
taken) and writes nothing; ``record_message`` writes the exchange and, for an invitation, holds
the offered slots. ``draft_message`` does both; the CLI's ``--edit`` runs the editor between them
so that what is logged is what the recruiter kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .compose import Composer, composer_for
from .errors import InputError, LogError
from .kinds import get_kind
from .models import JST, Candidate, Exchange, Message, Slot, Topic
from .profile import Profile
from .seasons import check_served_date

if TYPE_CHECKING:
    from .log import Log

@dataclass(frozen=True)
class Drafted:
    """A composed message and, when it was logged, its exchange row."""

    message: Message
    exchange: Exchange | None


def manual_candidate_id(name: str, email: str = "") -> str:
    """A stable id for an applicant drafted by hand without one: the same name and email give
    the same id, so their history still accumulates."""
    digest = hashlib.sha256(f"{name.strip()}\x1f{email.strip().lower()}".encode()).hexdigest()
    return f"M-{digest[:10]}"


def reply_deadline(profile: Profile, on: dt.date) -> dt.date:
    """The reply deadline for an invitation sent on ``on``: N business days later."""
    return profile.slots.calendar.add_business_days(on, profile.reply_deadline_days)


def _latest_stage(log: Log, candidate_id: str, kinds: Collection[str]) -> str | None:
    for exchange in reversed(log.timeline(candidate_id)):
        if exchange.direction == "out" and exchange.kind in kinds and exchange.stage:
            return exchange.stage
    return None


def infer_stage(profile: Profile, kind: str, candidate_id: str, log: Log | None) -> str | None:
    """The stage a message is about when the caller did not say: a confirmation or reminder is
    about the stage of the latest invitation; an invitation is for the next interview stage
    after the last one this applicant was invited to."""
    if log is None or kind not in ("interview_invitation", "interview_confirmation", "interview_reminder"):
        return None
    try:
        log.get_candidate(candidate_id)
    except LogError:  # an applicant the log does not know yet has no history to read
        return None
    invited = _latest_stage(log, candidate_id, ("interview_invitation",))
    if kind != "interview_invitation":
        return invited
    if invited is None:
        return None
    ids = [s.id for s in profile.stages]
    if invited in ids:
        for stage in profile.stages[ids.index(invited) + 1 :]:
            if stage.format:
                return stage.id
    return invited


def prepare_message(
    profile: Profile,
    kind: str,
    candidate: Candidate,
    *,
    on: dt.date,
    log: Log | None = None,
    result: str | None = None,
    stage: str | None = None,
    slot: Slot | None = None,
    slots: Sequence[Slot] | None = None,
    history: Collection[str] | None = None,
    topics: Sequence[Topic] | None = None,
    composer: Composer | None = None,
    now: dt.datetime | None = None,
) -> Message:
    """Compose one message without writing anything.

    Topics come from the topic engine unless given; the applicant's history is read from the
    log unless given. An invitation offers ``slots`` or, when None, proposes free ones; a
    confirmation or reminder uses ``slot`` or the applicant's booking.
    """
    check_served_date(on, "on")
    spec = get_kind(kind)
    if stage is None:
        stage = infer_stage(profile, kind, candidate.id, log)
    else:
        profile.stage(stage)  # an unknown stage is an error that lists the profile's stages
    offered: Sequence[Slot] = ()
    deadline: dt.date | None = None
    if spec.needs_slot:
        if slot is None and log is not None:
            from . import bookings

            slot = bookings.booked_slot(log, candidate.id)
        if slot is None:
            raise InputError(
                f"'{kind}' needs the interview's date and time, and {candidate.name} has no booking.",
                field="slot",
                hint="Pass --slot 2026-12-05T10:00 (Asia/Tokyo), or record the applicant's reply "
                "with `kizuna reply` to book one of the offered slots.",
            )
        offered = (slot,)
    elif spec.offers_slots:
        deadline = reply_deadline(profile, on)
        if slots is None:
            from . import bookings
            from .slots import propose

            # "Now" is the send date's start, so a draft for a fixed date is reproducible.
            moment = now or dt.datetime.combine(on, dt.time(0), tzinfo=JST)
            taken = bookings.unavailable(log, moment, exclude_candidate=candidate.id) if log else set()
            # Offer only times after the reply deadline, so every option is still open
            # whenever the applicant answers within it.
            offered = propose(
                profile.slots, on, profile.slots.offer_count, unavailable=taken, now=moment,
                after=deadline,
            )
        else:
            offered = tuple(slots)
    if topics is None:
        from .topics import choose

        if history is None:
            history = log.topic_history(candidate.id) if log is not None else ()
        topics = choose(
            on, spec.id, result=result, candidate_id=candidate.id, history=history, profile=profile
        ).topics
    return (composer or composer_for(profile)).compose(
        spec.id,
        candidate,
        on=on,
        result=result,
        stage=stage,
        topics=topics,
        slots=offered,
        deadline=deadline,
    )


def record_message(
    log: Log, message: Message, *, idempotency_key: str | None = None
) -> Exchange:
    """Log a drafted message; for an invitation, hold its slots for this applicant until the
    end of the reply deadline, so nobody else is offered them meanwhile."""
    exchange = log.record_outbound(message, idempotency_key=idempotency_key)
    if get_kind(message.kind).offers_slots and message.slots:
        from . import bookings

        deadline = message.deadline or message.date
        until = dt.datetime.combine(deadline, dt.time(23, 59, 59), tzinfo=JST)
        bookings.hold(log, message.candidate.id, list(message.slots), until=until, exchange_id=exchange.id)
    return exchange


def draft_message(
    profile: Profile,
    kind: str,
    candidate: Candidate,
    *,
    on: dt.date,
    log: Log | None = None,
    result: str | None = None,
    stage: str | None = None,
    slot: Slot | None = None,
    slots: Sequence[Slot] | None = None,
    history: Collection[str] | None = None,
    topics: Sequence[Topic] | None = None,
    composer: Composer | None = None,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
) -> Drafted:
    """Compose a message and, when a log is given, record it before returning."""
    message = prepare_message(
        profile, kind, candidate, on=on, log=log, result=result, stage=stage, slot=slot,
        slots=slots, history=history, topics=topics, composer=composer, now=now,
    )
    exchange = record_message(log, message, idempotency_key=idempotency_key) if log is not None else None
    return Drafted(message=message, exchange=exchange)


def slot_from_text(profile: Profile, text: str) -> Slot:
    """A slot typed by hand (``--slot 2026-12-05T10:00``): a time without an offset is
    Asia/Tokyo; the end is the profile's interview duration later."""
    try:
        start = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"'{text}' is not a date and time.", field="slot",
            hint="Use ISO 8601, e.g. 2026-12-05T10:00 or 2026-12-05T10:00+09:00.",
        ) from None
    check_served_date(start, "slot")
    start = start.replace(tzinfo=JST) if start.tzinfo is None else start.astimezone(JST)
    return Slot(start, start + profile.slots.duration)


def apply_edit(message: Message, edited: str) -> Message | None:
    """Take the recruiter's edit back: an optional first line 「件名：…」 replaces the subject,
    the rest is the body. Empty text means the draft is abandoned (None)."""
    from dataclasses import replace

    from .compose import check_header_value, tidy

    text = edited.replace("\r\n", "\n").strip("\n")
    if not text.strip():
        return None
    subject = message.subject
    lines = text.split("\n")
    for prefix in ("件名：", "件名:"):
        if lines[0].startswith(prefix):
            subject = check_header_value(lines[0][len(prefix):].strip(), "subject")
            text = "\n".join(lines[1:])
            break
    if not text.strip():
        return None
    return replace(message, subject=subject, body=tidy(text))


def as_text(message: Message) -> str:
    """The draft as a recruiter reads and pastes it: subject line, blank line, body."""
    return f"件名：{message.subject}\n\n{message.body}"


@dataclass(frozen=True)
class RenderedDraft:
    """A draft in its output form (text, or the bytes of an .eml) and its calendar file.
    ``message`` is what was rendered (after ``--fix``): log this one, so the log holds what
    the applicant receives."""

    message: Message
    output: str | bytes
    ics: bytes | None = None


def render_draft(
    message: Message, profile: Profile, fmt: str, *, charset: str = "utf-8", fix: bool = False,
    ics: bool = False,
) -> RenderedDraft:
    """Turn a draft into text or an .eml. Runs every check (charset, header values, address)
    before anything is logged or written. A confirmation's .eml carries its .ics."""
    calendar: bytes | None = None
    if fmt == "eml" and charset == "iso-2022-jp" and fix:
        from .mail import fix_iso2022jp

        message, _ = fix_iso2022jp(message, profile)
    if (ics or fmt == "eml") and get_kind(message.kind).needs_slot and message.slots:
        from .mail import invitation_ics

        calendar = invitation_ics(
            message, profile, message.slots[0], uid_seed=message.stage or ""
        )
    if ics and calendar is None:
        raise InputError(
            "A calendar file needs an interview: use it with interview_confirmation or "
            "interview_reminder.", field="ics",
        )
    if fmt == "eml":
        from .mail import as_bytes, to_email

        attach = calendar if message.kind == "interview_confirmation" else None
        email = to_email(message, profile, charset=charset, fix=fix, ics=attach)
        return RenderedDraft(message, as_bytes(email), calendar)
    return RenderedDraft(message, as_text(message), calendar)
