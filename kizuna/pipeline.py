"""The flow of one message: topics → slots → compose → log (DESIGN.md, "The flow of one message").

``prepare_message`` reads what it needs (the applicant's history, their booking, slots already
taken) and writes nothing; ``record_message`` writes the exchange and, for an invitation, holds
the offered slots. ``draft_message`` does both inside ``recording``, one write transaction for an
invitation, so the slots it proposes are still free when they are held. The CLI's ``--edit``
runs the editor between them (outside any transaction) so that what is logged is what the
recruiter kept.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .compose import Composer, composer_for
from .errors import (
    CheckFailed,
    DraftCancelled,
    InputError,
    KizunaError,
    LogError,
    SlotError,
    SlotTaken,
)
from .i18n import _, ngettext
from .kinds import get_kind
from .language import DEFAULT as DEFAULT_LANGUAGE
from .language import language_code
from .models import JST, Candidate, Conversation, Exchange, MailFacts, Message, Slot, Topic, in_jst
from .profile import Profile
from .seasons import check_served_date
from .slots import format_slot, propose
from .slots import reply_deadline as slots_reply_deadline
from .topics import TopicChoice, choose, choose_many

# kizuna.log.holds (and the whole log package) is imported in the functions that use it, and
# the reading of replies in the one that reads them: a draft without a log (`--no-log`) need
# not load either, a fifth of its start-up.

if TYPE_CHECKING:
    from .check import Checked, Finding
    from .log import Log
    from .log.records import HeldOffer
    from .slots.choice import Choice

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


def with_language(candidate: Candidate, log: Log | None) -> Candidate:
    """The applicant with the language their letters are written in: as given (checked: an
    unknown code is an InputError listing the available ones), else the one the log keeps
    for them, else not stated (Japanese)."""
    code = language_code(candidate.language)
    if not code and log is not None:
        try:
            code = log.get_candidate(candidate.id).language
        except LogError:  # an applicant the log does not know yet
            code = ""
    if code == candidate.language:
        return candidate
    return dataclasses.replace(candidate, language=code)


def reply_deadline(profile: Profile, on: dt.date) -> dt.date:
    """The reply deadline for an invitation sent on ``on``: the profile's number of business
    days later (``kizuna.slots.reply_deadline``)."""
    return slots_reply_deadline(profile.slots, on, profile.reply_deadline_days)


def _latest_stage(log: Log, candidate_id: str, kinds: Collection[str]) -> str | None:
    for exchange in reversed(log.timeline(candidate_id)):
        if exchange.direction == "out" and exchange.kind in kinds and exchange.stage:
            return exchange.stage
    return None


def infer_stage(profile: Profile, kind: str, candidate_id: str, log: Log | None) -> str | None:
    """The stage a message is about when the caller did not say: a confirmation, reminder or
    interview result is about the stage of the latest invitation; an invitation is for the
    next interview stage after the last one this applicant was invited to."""
    if log is None or kind not in (
        "interview_invitation", "interview_confirmation", "interview_reminder", "interview_result",
        "reply_reminder",
    ):
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


def conversation(
    profile: Profile,
    kind: str,
    candidate_id: str,
    log: Log | None,
    *,
    slot: Slot | None = None,
    note: str = "",
    meeting_url: str = "",
    editing: bool = False,
) -> Conversation:
    """What the applicant's timeline in the log holds before a message of ``kind``: the
    statements already made, the results already told, the number of the booked slot, the
    applicant's latest message and what it mentions, and the meeting URL. Without a log (or
    for an applicant it does not know) only what the caller gives."""
    if log is None or not _known(log, candidate_id):
        return Conversation(note=note, meeting_url=meeting_url, editing=editing)
    from .log import holds
    from .mentions import read_mentions

    history = log.topic_history(candidate_id)
    said = frozenset(item[5:] for item in history if item.startswith("said:"))
    told = frozenset(
        (stage, result) for item in history if item.startswith("told:")
        for stage, _, result in [item[5:].rpartition(":")]
    )
    chosen: int | None = None
    if kind in ("interview_confirmation", "interview_reminder"):
        booking = holds.booking(log, candidate_id)
        if booking is not None and (slot is None or booking.slot.start == slot.start):
            chosen = booking.number
            meeting_url = meeting_url or booking.meeting_url
    reply, answers = _latest_reply(log, candidate_id, kind)
    mentions = read_mentions(reply) if reply and kind in ("interview_confirmation", "note") else None
    travel = mentions.travel if mentions else ()
    if kind in ("interview_result", "final_result"):
        # How they came to the interview, from their replies since its invitation.
        travel = _travel_since_invitation(log, candidate_id)
    return Conversation(
        said=said, told=told, chosen=chosen, reply=reply, travel=travel,
        questions=mentions.questions if mentions else (),
        answers=answers, meeting_url=meeting_url, note=note, editing=editing,
    )


def _travel_since_invitation(log: Log, candidate_id: str) -> tuple[str, ...]:
    from .mentions import TRAVEL_PATTERNS, read_mentions

    found: set[str] = set()
    for exchange in reversed(log.timeline(candidate_id)):
        if exchange.kind == "interview_invitation":
            break
        if exchange.direction == "in":
            found.update(read_mentions(exchange.body).travel)
    return tuple(mode for mode, _ in TRAVEL_PATTERNS if mode in found)


def _known(log: Log, candidate_id: str) -> bool:
    try:
        log.get_candidate(candidate_id)
    except LogError:
        return False
    return True


def _latest_reply(log: Log, candidate_id: str, kind: str) -> tuple[str, int | None]:
    """The applicant's latest message that this kind answers, and its exchange id: for a
    confirmation, the reply after the invitation; for a note, the latest message no earlier
    note answered. ("", None) when there is none."""
    if kind not in ("interview_confirmation", "note"):
        return "", None
    timeline = log.timeline(candidate_id)
    for index in range(len(timeline) - 1, -1, -1):
        exchange = timeline[index]
        if exchange.direction == "in":
            later = timeline[index + 1:]
            if kind == "note" and any(e.kind == "note" for e in later):
                return "", None
            return exchange.body, exchange.id
        if kind == "interview_confirmation" and exchange.kind == "interview_invitation":
            return "", None
    return "", None


# What each kind follows in an applicant's history (checked when a log is given).
_AFTER_A_DECISION = ("interview_invitation", "interview_confirmation", "interview_reminder",
                     "reply_reminder", "offer", "pre_arrival_guide")


def check_history(
    profile: Profile, kind: str, candidate: Candidate, stage: str | None, log: Log | None,
) -> None:
    """Refuse a message whose step does not follow the applicant's history in the log, with
    an error naming what is missing: an offer (採用内定) before a final pass, a pre-arrival
    guide before the offer, an interview's result with no interview at that stage, anything
    but a result or a note after a not-passed notice. A confirmation without a booking is
    refused where its slot is looked for (``prepare_message``)."""
    if log is None:
        return
    try:
        record = log.get_candidate_record(candidate.id)
    except LogError:
        record = None
    out = [e for e in log.timeline(candidate.id) if e.direction == "out"] if record else []
    who = f"{candidate.name} ({candidate.id})"
    force = _("Pass --force to draft it all the same.")
    if record is not None and record.status in ("not_passed", "withdrawn") and kind in _AFTER_A_DECISION:
        what = (_("{who} did not pass (status '{status}' in the log), so '{kind}' does not follow.")
                if record.status == "not_passed" else
                _("{who} withdrew (status '{status}' in the log), so '{kind}' does not follow."))
        raise InputError(
            what.format(who=who, status=record.status, kind=kind),
            field="kind", hint=_("Write to them with the kind note instead. {force}").format(
                force=force),
        )
    final = profile.stages[-1].id
    final_pass = any(e.kind == "final_result" and e.result == "passed" for e in out)
    if kind == "offer" and not final_pass:
        raise InputError(
            _("'offer' (採用内定) follows a final pass, and {who} has no final_result passed in "
              "the log.").format(who=who), field="kind",
            hint=_("Draft final_result --result passed first (stage '{stage}'). {force}").format(
                stage=final, force=force),
        )
    if kind == "pre_arrival_guide":
        public = profile.organisation.public_sector
        if public and not any(e.kind == "offer" for e in out):
            raise InputError(
                _("The pre-arrival guide follows the offer (採用内定), and {who} has no offer in "
                  "the log.").format(who=who), field="kind",
                hint=_("Draft the offer first. {force}").format(force=force),
            )
        if not public and not final_pass:
            raise InputError(
                _("The pre-arrival guide follows the final pass (内定), and {who} has none in the "
                  "log.").format(who=who), field="kind",
                hint=_("Draft final_result --result passed first. {force}").format(force=force),
            )
    if kind in ("interview_result", "final_result") and record is not None:
        about = stage or (final if kind == "final_result" else infer_stage(profile, kind, candidate.id, log))
        if about is not None and not any(
            e.kind == "interview_invitation" and e.stage == about for e in out
        ):
            label = profile.stage(about)
            raise InputError(
                _("{who} has no interview at stage '{stage}' ({label}) in the log: no invitation "
                  "to it was drafted, so '{kind}' has nothing to report.").format(
                    who=who, stage=about, label=label.label if label else about, kind=kind),
                field="stage",
                hint=_("Give the stage they were interviewed at with --stage. {force}").format(
                    force=force),
            )


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
    note: str = "",
    meeting_url: str = "",
    editing: bool = False,
    force: bool = False,
) -> Message:
    """Compose one message without writing anything.

    Topics come from the topic engine unless given; the applicant's history is read from the
    log unless given. An invitation offers ``slots`` or, when None, proposes free ones; a
    confirmation or reminder uses ``slot`` or the applicant's booking; a nudge
    (``reply_reminder``) repeats the slots still held for the applicant in the log, with their
    numbers and deadline, once per invitation (``slots`` given instead: those, no deadline).
    With a log, the kind must follow the applicant's history (``check_history``) unless
    ``force``, and the message knows the conversation so far (``conversation``). ``note`` is
    the recruiter's own text for the kind ``note``; ``meeting_url`` an online interview's room;
    ``editing`` leaves marked spots for the recruiter instead of a generic sentence.
    """
    check_served_date(on, "on")
    spec = get_kind(kind)
    candidate = with_language(candidate, log)
    if meeting_url:
        meeting_url = check_meeting_url(meeting_url)
    if stage is None:
        stage = infer_stage(profile, kind, candidate.id, log)
    else:
        profile.stage(stage)  # an unknown stage is an error that lists the profile's stages
    if not force:
        check_history(profile, spec.id, candidate, stage, log)
    offered: Sequence[Slot] = ()
    deadline: dt.date | None = None
    if spec.needs_slot:
        if slot is None and log is not None:
            from .log import holds

            slot = holds.booked_slot(log, candidate.id)
        if slot is None:
            raise InputError(
                _("'{kind}' needs the interview's date and time, and {name} has no "
                  "booking.").format(kind=kind, name=candidate.name),
                field="slot",
                hint=_("Pass --slot 2026-12-05T10:00 (Asia/Tokyo), or record the applicant's "
                       "reply with `kizuna reply` to book one of the offered slots."),
            )
        offered = (slot,)
        if spec.id == "interview_reminder" and log is not None:
            key = reminder_key(candidate.id, slot)
            if log.has_key(key):
                raise InputError(
                    _("{name} ({id}) already has a reminder of this interview (exchange "
                      "{exchange}); kizuna drafts one reminder per interview.").format(
                        name=candidate.name, id=candidate.id,
                        exchange=log.exchange_with_key(key).id),
                    field="kind",
                    hint=_("`kizuna log {id}` shows it; send it if it is still a draft.").format(
                        id=candidate.id),
                )
    elif spec.offers_slots:
        deadline = reply_deadline(profile, on)
        if slots is None:
            # "Now" is the send date's start, so a draft for a fixed date is reproducible.
            moment = now or dt.datetime.combine(on, dt.time(0), tzinfo=JST)
            taken: set[dt.datetime] = set()
            if log is not None:
                from .log import holds

                taken = holds.unavailable(log, moment, exclude_candidate=candidate.id)
            # Offer only times after the reply deadline, so every option is still open
            # whenever the applicant answers within it.
            offered = _propose_for(profile, candidate, stage, on, taken, moment, deadline)
        else:
            offered = tuple(slots)
    numbers: tuple[int, ...] = ()
    if spec.repeats_offer:
        if slots is not None:
            offered = tuple(slots)
        else:
            held = _held_for_nudge(log, candidate, now or dt.datetime.combine(on, dt.time(0), JST))
            numbers = tuple(number for number, _ in held.slots)
            offered = tuple(s for _, s in held.slots)
            deadline = held.deadline
    talk = conversation(profile, spec.id, candidate.id, log, slot=slot, note=note,
                        meeting_url=meeting_url, editing=editing)
    if numbers:
        talk = dataclasses.replace(talk, offered_numbers=numbers)
    if history is not None:
        talk = dataclasses.replace(
            talk, said=talk.said | {h[5:] for h in history if h.startswith("said:")},
        )
    if topics is None:
        topics = _topics_for(profile, spec.id, candidate.id, result, on=on, log=log, history=history,
                             language=candidate.language or DEFAULT_LANGUAGE)
    return (composer or composer_for(profile)).compose(
        spec.id,
        candidate,
        on=on,
        result=result,
        stage=stage,
        topics=topics,
        slots=offered,
        deadline=deadline,
        conversation=talk,
    )


def nudge_key(candidate_id: str, invitation: int | None) -> str:
    """The idempotency key of the nudge (``reply_reminder``) for one invitation: one nudge
    per invitation, however it is drafted."""
    return f"reply_reminder:{candidate_id}:{invitation if invitation is not None else '-'}"


def _held_for_nudge(log: Log | None, candidate: Candidate, moment: dt.datetime) -> HeldOffer:
    """The slots a nudge repeats: those still held for the applicant, unless they were
    nudged about this invitation already (never twice, ``force`` or not)."""
    from .log import holds

    if log is None:
        raise InputError(
            _("'reply_reminder' repeats the interview slots still held for the applicant, which "
              "only the log knows."), field="slots",
            hint=_("Draft it with the log (without --no-log)."),
        )
    held = holds.held_offer(log, candidate.id, moment)
    if held is None:
        raise InputError(
            _("No interview slots are held for {name} ({id}) any more, so there is nothing to "
              "remind them of.").format(name=candidate.name, id=candidate.id), field="slots",
            hint=_("Their invitation's holds have run out or were booked: draft a new "
                   "interview_invitation, or a note."),
        )
    key = nudge_key(candidate.id, held.invitation)
    if log.has_key(key):
        raise InputError(
            _("{name} ({id}) was already reminded of this invitation (exchange {exchange}); "
              "kizuna drafts one reminder per invitation.").format(
                name=candidate.name, id=candidate.id, exchange=log.exchange_with_key(key).id),
            field="kind",
            hint=_("`kizuna log {id}` shows it; send it if it is still a draft.").format(id=candidate.id),
        )
    return held


def _topics_for(
    profile: Profile,
    kind: str,
    candidate_id: str,
    result: str | None,
    *,
    on: dt.date,
    log: Log | None,
    history: Collection[str] | None,
    language: str = DEFAULT_LANGUAGE,
) -> tuple[Topic, ...]:
    """The topics of one message, in its language. A kind whose town line speaks of a later
    day (the guide: the season of the first day) takes its town line from that day's choice."""
    if history is None:
        history = log.topic_history(candidate_id) if log is not None else set()
    choice = choose(on, kind, result=result, candidate_id=candidate_id, history=history,
                    profile=profile, language=language)
    start = profile.start_date
    if not get_kind(kind).town_on_start_date or start is None or start <= on:
        return choice.topics
    ahead = choose(start, kind, result=result, candidate_id=candidate_id, history=history,
                   profile=profile, language=language)
    return tuple(t for t in (choice.opening, ahead.town, choice.closing) if t is not None)


# The local hours an applicant abroad is offered online interviews in.
AWAKE = (dt.time(7), dt.time(22))


def _propose_for(
    profile: Profile,
    candidate: Candidate,
    stage: str | None,
    on: dt.date,
    taken: Collection[dt.datetime],
    moment: dt.datetime,
    deadline: dt.date | None,
) -> Sequence[Slot]:
    """The slots an invitation offers: for an applicant abroad and an online interview, only
    times from 7:00 to 22:00 where they live, when the policy has any."""
    from .compose import default_stage
    from .dates import zone

    policy = profile.slots
    about = profile.stage(stage) if stage else default_stage(profile, get_kind("interview_invitation"))
    abroad = candidate.timezone not in ("", "Asia/Tokyo")
    if abroad and about is not None and about.format == "online":
        where = zone(candidate.timezone)

        def awake(slot: Slot) -> bool:
            start, end = slot.start.astimezone(where), slot.end.astimezone(where)
            return start.date() == end.date() and AWAKE[0] <= start.time() and end.time() <= AWAKE[1]

        with contextlib.suppress(SlotError):
            return propose(policy, on, policy.offer_count, unavailable=taken, now=moment,
                           after=deadline, keep=awake)
    return propose(policy, on, policy.offer_count, unavailable=taken, now=moment, after=deadline)


def check_meeting_url(url: str) -> str:
    """A meeting URL as given (http or https, no spaces), else an InputError."""
    from .headers import check_header_value

    value = check_header_value(url.strip(), "meeting_url")
    if not value.startswith(("https://", "http://")) or any(c.isspace() for c in value):
        raise InputError(
            _("'{url}' is not a meeting URL.").format(url=url), field="meeting_url",
            hint=_("Give the whole address, e.g. https://example.zoom.us/j/123456789."),
        )
    return value


def choose_topics(
    profile: Profile,
    kind: str,
    people: Sequence[tuple[str, str | None]],
    *,
    on: dt.date,
    log: Log | None = None,
    languages: Sequence[str] | None = None,
) -> list[TopicChoice]:
    """The topics of many messages of ``kind`` sent on ``on``, for (applicant id, result)
    pairs: each group of one result and one language (``languages``, one per pair; Japanese
    when not given) is spread evenly over its eligible lines (``choose_many``, the one rule,
    of which a single message is the case of one), and nobody gets a line their history in
    the log already holds (one query for all of them)."""
    histories = log.topic_histories([cid for cid, _ in people]) if log is not None else {}
    groups: dict[tuple[str | None, str], list[int]] = {}
    for index, (_candidate, result) in enumerate(people):
        language = (languages[index] if languages is not None else "") or DEFAULT_LANGUAGE
        groups.setdefault((result, language), []).append(index)
    choices: list[TopicChoice] = [TopicChoice()] * len(people)
    for (result, language), indexes in groups.items():
        picked = choose_many(
            on, kind, [people[i][0] for i in indexes], result=result, histories=histories,
            profile=profile, language=language,
        )
        for index, choice in zip(indexes, picked, strict=True):
            choices[index] = choice
    return choices


def record_many(
    log: Log, pairs: Sequence[tuple[Message, str]], *, charset: str | None = None
) -> list[Exchange]:
    """Log many drafted messages, each under its idempotency key, in one transaction; a key
    already logged returns its existing row. Messages that offer slots are drafted one at a
    time (``draft_message``): their holds need the proposal's lock. ``charset``: the charset
    they were written in as email, if they were (``kizuna send`` sends them in it)."""
    for message, _key in pairs:
        if get_kind(message.kind).repeats_offer:
            raise InputError(
                _("'{kind}' repeats the slots held for one applicant, once per invitation.").format(
                    kind=message.kind),
                field="kind",
                hint=_("Draft it with draft_message (`kizuna draft`, `kizuna today --draft`)."),
            )
        if get_kind(message.kind).offers_slots:
            raise InputError(
                _("'{kind}' offers interview slots, which are held one applicant at a "
                  "time.").format(kind=message.kind),
                field="kind", hint=_("Draft invitations with draft_message (`kizuna draft`)."),
            )
    return log.record_outbound_many(pairs, charset=charset)


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
    from .log import holds

    policy = profile.slots
    taken = holds.unavailable(log, in_jst(now))
    return propose(policy, start_day, count or policy.offer_count, unavailable=taken, now=now)


def record_message(
    log: Log,
    message: Message,
    *,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
    charset: str | None = None,
) -> Exchange:
    """Log a drafted message; for an invitation, hold its slots for this applicant until the
    end of the reply deadline, so nobody else is offered them meanwhile.

    The exchange and its holds are one transaction: both are recorded or neither. When an
    offered time has been held for someone else since it was proposed (a draft kept open in
    the editor), that is a SlotError and nothing is recorded; run inside ``recording(log,
    kind)`` with the proposal, as ``draft_message`` does, it cannot happen. ``now`` decides
    which other holds are still running (default: now). ``charset`` is the charset the draft
    was written in as email, if it was.
    """
    from .log import holds

    with log.transaction():
        if idempotency_key is None and get_kind(message.kind).repeats_offer:
            # One nudge per invitation, whichever way it was drafted.
            moment = in_jst(now) if now is not None else dt.datetime.combine(
                message.date, dt.time(0), JST)
            held = holds.held_offer(log, message.candidate.id, moment)
            if held is not None:
                idempotency_key = nudge_key(message.candidate.id, held.invitation)
        elif idempotency_key is None and message.kind == "interview_reminder" and message.slots:
            # One reminder per interview, whether `kizuna draft`, `kizuna reminders` or
            # `kizuna today --draft` drafted it.
            idempotency_key = reminder_key(message.candidate.id, message.slots[0])
        exchange = log.record_outbound(message, idempotency_key=idempotency_key, charset=charset)
        if get_kind(message.kind).offers_slots and message.slots:

            deadline = message.deadline or message.date
            until = dt.datetime.combine(deadline, dt.time(23, 59, 59), tzinfo=JST)
            try:
                holds.hold(log, message.candidate.id, list(message.slots), until=until,
                              exchange_id=exchange.id, now=now)
            except SlotError as exc:
                raise SlotError(_("The invitation was not recorded. {reason}").format(
                                    reason=exc.message),
                                field=exc.field, hint=exc.hint) from None
    return exchange


def recording(log: Log | None, kind: str) -> AbstractContextManager[object]:
    """The transaction to prepare and record a message of ``kind`` in.

    For an invitation it is one write transaction (``Log.transaction``): the read of taken
    slots, the proposal and the holds happen under one lock, so invitations drafted at the
    same moment offer different times. Other kinds, and drafts that are not logged, need none.
    """
    if log is None or not get_kind(kind).offers_slots:
        return contextlib.nullcontext()
    return log.transaction()


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
    note: str = "",
    meeting_url: str = "",
    force: bool = False,
) -> Drafted:
    """Compose a message and, when a log is given, record it before returning (an invitation's
    proposal and holds in one transaction, see ``recording``). A message written by hand
    (``note``) with an empty text is cancelled: DraftCancelled, nothing recorded."""
    from .log import holds

    _check_note(kind, note, editing=False)
    with recording(log, kind):
        message = prepare_message(
            profile, kind, candidate, on=on, log=log, result=result, stage=stage, slot=slot,
            slots=slots, history=history, topics=topics, composer=composer, now=now, note=note,
            meeting_url=meeting_url, force=force,
        )
        exchange = (
            record_message(log, message, idempotency_key=idempotency_key, now=now)
            if log is not None else None
        )
        if log is not None and meeting_url and message.slots:
            holds.set_meeting_url(log, candidate.id, message.slots[0], check_meeting_url(meeting_url))
    return Drafted(message=message, exchange=exchange)


def _check_note(kind: str, note: str, *, editing: bool) -> None:
    """A message the recruiter writes needs their text: none (and no editor to write it in)
    cancels it, recording nothing."""
    if get_kind(kind).written_by_hand and not note.strip() and not editing:
        raise DraftCancelled(
            _("Draft cancelled: '{kind}' is written by you and its text is empty, so nothing "
              "was recorded.").format(kind=kind),
            field="body", hint=_("Write the text in a file for --body-file, or use --edit."),
        )


def slot_from_text(profile: Profile, text: str, *, force: bool = False) -> Slot:
    """A slot typed by hand (``--slot 2026-12-05T10:00``): a time without an offset is
    Asia/Tokyo; the end is the profile's interview duration later. A day the office is closed
    or the policy blocks (a holiday, the year-end closure, a blocked date or period) is
    refused unless ``force``: such a slot is most likely a typo."""
    try:
        start = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            _("'{text}' is not a date and time.").format(text=text), field="slot",
            hint=_("Use ISO 8601, e.g. 2026-12-05T10:00 or 2026-12-05T10:00+09:00."),
        ) from None
    start = start.replace(tzinfo=JST) if start.tzinfo is None else start.astimezone(JST)
    check_served_date(start, "slot")
    if not force:
        _check_open_day(profile, start.date())
    return Slot(start, start + profile.slots.duration)


def _check_open_day(profile: Profile, day: dt.date) -> None:
    from .calendar import holiday_name
    from .dates import full_date

    policy = profile.slots
    why = policy.day_kind(day)
    if why not in ("closed", "holiday"):
        return
    if policy.calendar.in_closure(day):
        reason = _("{day} ({date}) falls in the year-end closure (slots.closure).")
    elif why == "holiday":
        reason = _("{day} ({date}) is a public holiday ({holiday}; slots.offer_holidays is "
                   "false).")
    else:
        reason = _("{day} ({date}) is blocked for interviews (slots.blocked_dates or "
                   "slots.blocked_periods).")
    raise SlotError(
        reason.format(day=day.isoformat(), date=full_date(day), holiday=holiday_name(day)),
        field="slot", hint=_("Check the date, or pass --force to use it all the same."),
    )


def apply_edit(message: Message, edited: str) -> Message | None:
    """Take the recruiter's edit back: an optional first line 「件名：…」 (or "Subject: …")
    replaces the subject, the rest is the body. Empty text means the draft is abandoned
    (None)."""
    from dataclasses import replace

    from .compose import tidy
    from .headers import check_header_value

    text = edited.replace("\r\n", "\n").strip("\n")
    if not text.strip():
        return None
    subject = message.subject
    lines = text.split("\n")
    for prefix in ("件名：", "件名:", "Subject:"):
        if lines[0].startswith(prefix):
            subject = check_header_value(lines[0][len(prefix):].strip(), "subject")
            text = "\n".join(lines[1:])
            break
    if not text.strip():
        return None
    from .compose import BLANK_END, BLANK_START

    start = text.find(BLANK_START)
    if start >= 0 and text.find(BLANK_END, start) > start:
        spot = text[start:text.find(BLANK_END, start) + len(BLANK_END)]
        raise DraftCancelled(
            _("Draft cancelled: it still holds a spot marked for you to write in ({spot}), so "
              "nothing was recorded.").format(spot=spot),
            hint=_("Draft it again and replace the marked spot with your text."),
        )
    return replace(message, subject=subject, body=tidy(text))


def applicant(
    log: Log | None,
    *,
    candidate_id: str | None = None,
    name: str | None = None,
    email: str = "",
    kana: str = "",
    timezone: str = "Asia/Tokyo",
    language: str | None = None,
) -> Candidate:
    """The applicant a message is for: as given (with a stable id from name and email when
    none is), or, with only ``candidate_id``, as the log knows them (``email``, ``kana`` and
    ``language`` given here still win). ``language`` is checked ("en", "ja"; an unknown code
    is an InputError listing the available ones); left out, it is the log's for an applicant
    it knows (``with_language``), else Japanese."""
    code = language_code(language)
    if name is None:
        if candidate_id is None or log is None:
            raise InputError(
                _("The applicant's name is missing."), field="name",
                hint=_("Give --name (and --candidate ID if known), or a --candidate the log "
                       "knows."),
            )
        known = log.get_candidate(candidate_id)
        return Candidate(id=known.id, name=known.name, kana=kana or known.kana,
                         email=email or known.email, timezone=known.timezone, extra=known.extra,
                         family_name=known.family_name, given_name=known.given_name,
                         language=code or known.language)
    return Candidate(id=candidate_id or manual_candidate_id(name, email), name=name, kana=kana,
                     email=email, timezone=timezone, language=code)


@dataclass(frozen=True)
class Written:
    """One drafted message in its output form, and its exchange row when it was logged."""

    message: Message
    output: str | bytes
    ics: bytes | None
    exchange: Exchange | None
    # What `kizuna check` found in the edited draft (warnings, or errors recorded with force).
    findings: tuple[Finding, ...] = ()


def draft_output(
    profile: Profile,
    kind: str,
    candidate: Candidate,
    *,
    on: dt.date,
    log: Log | None = None,
    result: str | None = None,
    stage: str | None = None,
    slot: Slot | None = None,
    fmt: str = "text",
    charset: str = "utf-8",
    fix: bool = False,
    ics: bool = False,
    edit: Callable[[str], str | None] | None = None,
    note: str = "",
    meeting_url: str = "",
    check: bool = False,
    force: bool = False,
) -> Written:
    """Draft one message, let the recruiter edit it, render it (text, JSON's message, .eml and
    .ics) and, with a log, record what was rendered, in that order: every check runs before
    anything is logged, and what is logged is what the applicant receives.

    ``edit`` gets the draft as text (``as_text``) and returns the recruiter's version, or None
    or an empty text to cancel (DraftCancelled, nothing recorded). An invitation is proposed and
    held under one write lock, but never across the editor: its offered times are checked again
    when it is recorded.

    With ``check``, the edited draft goes through ``kizuna check`` (the applicant, their
    booking and the other applicants' names from the log) before it is rendered: errors are a
    CheckFailed and nothing is recorded, unless ``force``; the findings are in ``findings``.
    """
    from .output import as_text, render_draft

    _check_note(kind, note, editing=edit is not None)
    findings: tuple[Finding, ...] = ()
    with recording(None if edit else log, kind):
        message = prepare_message(profile, kind, candidate, on=on, log=log, result=result,
                                  stage=stage, slot=slot, note=note, meeting_url=meeting_url,
                                  editing=edit is not None, force=force)
        if edit is not None:
            edited = edit(as_text(message))
            revised = apply_edit(message, edited) if edited is not None else None
            if revised is None:
                raise DraftCancelled(
                    _("Draft cancelled: the editor returned no changes or an empty text, so "
                      "nothing was recorded.")
                )
            message = revised
            if check:
                findings = _check_edited(profile, log, message, fmt=fmt, charset=charset,
                                         fix=fix, force=force)
        rendered = render_draft(message, profile, fmt if fmt != "json" else "text",
                                charset=charset, fix=fix, ics=ics)
        exchange = (
            record_message(log, rendered.message, charset=charset if fmt == "eml" else None)
            if log is not None else None
        )
        if log is not None and meeting_url and message.slots:
            from .log import holds

            holds.set_meeting_url(log, candidate.id, message.slots[0], check_meeting_url(meeting_url))
    return Written(rendered.message, rendered.output, rendered.ics, exchange, findings)


def _check_context(log: Log | None, candidate_id: str) -> tuple[list[str], Slot | None]:
    """What the checks need from the log: the other applicants' names, and this applicant's
    booked interview."""
    from .log import holds

    if log is None:
        return [], None
    names = [name for cid, name in log.applicant_names().items() if cid != candidate_id]
    return names, holds.booked_slot(log, candidate_id)


def _check_edited(
    profile: Profile, log: Log | None, message: Message, *, fmt: str, charset: str, fix: bool,
    force: bool,
) -> tuple[Finding, ...]:
    from .check import check_message

    others, booking = _check_context(log, message.candidate.id)
    findings = check_message(message, profile, others=others, booking=booking,
                             charset=charset if fmt == "eml" else "utf-8", fix=fix)
    errors = [f for f in findings if f.severity == "error"]
    if errors and not force:
        raise CheckFailed(
            ngettext("The edited draft has {count} error (kizuna check), so nothing was recorded:",
                     "The edited draft has {count} errors (kizuna check), so nothing was "
                     "recorded:", len(errors)).format(count=len(errors)),
            problems=errors,
            hint=_("Correct the draft and run again, or pass --force to record it as it is."),
        )
    return tuple(findings)


def check_drafts(
    profile: Profile,
    *,
    log: Log | None = None,
    paths: Sequence[str] = (),
    stdin: bytes | None = None,
    exchange_ids: Sequence[int] = (),
    unsent: bool = False,
    candidate_id: str | None = None,
    name: str | None = None,
    on: dt.date | None = None,
    kind: str | None = None,
    result: str | None = None,
    charset: str | None = None,
    language: str | None = None,
) -> list[Checked]:
    """``kizuna check``: the findings of drafts in files (text, .eml or JSON; '-' is
    ``stdin``), of logged exchanges, and with ``unsent`` of every unsent draft in the log.

    The applicant is ``candidate_id`` (from the log) or ``name``, else what the draft says (a
    JSON draft's candidate, an .eml's To name, a logged draft's applicant). The send date is
    ``on``, else the draft's own date (a JSON or logged draft's date, an .eml's Date), else
    today in Japan. The log gives the other applicants' names and the applicant's booking.
    """
    from .check import Checked, checker_for, read_drafts
    from .log import holds

    checker = checker_for(profile)
    language = language_code(language) or None
    if kind is not None:
        get_kind(kind)  # an unknown kind lists the kinds
    names = log.applicant_names() if log is not None else {}
    given: Candidate | None = None
    if candidate_id is not None or name is not None:
        given = applicant(log, candidate_id=candidate_id, name=name)
    today = in_jst(None).date()
    checked: list[Checked] = []
    for path in paths:
        for draft in read_drafts(path, stdin=stdin):
            person = given or draft.candidate
            cid = person.id if person is not None else None
            others = [n for i, n in names.items() if i != cid and (person is None or n != person.name)]
            booking = holds.booked_slot(log, cid) if log is not None and cid in names else None
            day = on or draft.on or today
            mail = charset or draft.charset or "utf-8"
            if draft.message is not None and kind is None and result is None:
                message = draft.message if person is None else dataclasses.replace(
                    draft.message, candidate=person)
                if language is not None:
                    message = dataclasses.replace(message, language=language)
                found = checker.check_message(message, on=day, others=others, booking=booking,
                                              charset=mail)
            else:
                # The language: as given, else the file's, else the log's for a given
                # applicant, else told from the text itself.
                stated = language or draft.language or (
                    given.language if given is not None and given.language else None)
                found = checker.check_text(
                    draft.text, kind=kind, result=result, candidate=person, on=day, others=others,
                    booking=booking, topics=draft.message.topics if draft.message else (),
                    charset=mail, language=stated,
                )
            checked.append(Checked(draft.source, tuple(found)))
    if log is not None and (exchange_ids or unsent):
        logged = log.outbound_messages(list(exchange_ids) if exchange_ids else None)
        if unsent and exchange_ids:
            logged += [pair for pair in log.outbound_messages(None)
                       if pair[0].id not in set(exchange_ids)]
        for exchange, message in logged:
            cid = exchange.candidate_id
            others = [n for i, n in names.items() if i != cid]
            found = checker.check_message(
                message, on=on or message.date, others=others,
                booking=holds.booked_slot(log, cid), charset=charset or "utf-8",
            )
            checked.append(Checked(_("exchange {id}").format(id=exchange.id), tuple(found), exchange.id))
    elif exchange_ids or unsent:
        raise InputError(_("Checking logged drafts needs the log."), field="log")
    return checked


# --------------------------------------------------------------------------------------------
# Replies and reminders (the booking rows are the log's: kizuna.log.holds)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyOutcome:
    """What `kizuna reply` did: the recorded message, what it chose, and what followed.

    ``note`` says in English what happened (booked, or why not); ``alternatives`` are other
    free slots when the chosen one was taken. ``duplicate`` means this reply (same applicant,
    arrival time and text) was already recorded: ``exchange`` is that first row, and nothing
    was read, booked or drafted again.
    """

    exchange: Exchange
    choice: Choice
    booked: Slot | None
    confirmation: Drafted | None
    note: str
    alternatives: tuple[Slot, ...] = ()
    duplicate: bool = False

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
            "duplicate": self.duplicate,
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
    mail: MailFacts | None = None,
) -> ReplyOutcome:
    """Record an applicant's reply, find the slot it chooses, book it, draft the confirmation.

    The reply is recorded first, whatever it says. No choice, or an ambiguous one, books
    nothing and says why; a slot someone else has taken books nothing and lists other free
    slots. A confirmation that cannot be drafted leaves the booking in place and says so.

    With ``now`` (the arrival time) given, the same reply handled again is recognised
    (``Log.inbound_key``) and changes nothing: it is not read again against what is on offer
    by then. Recording and booking are one transaction, so a reply is never left recorded
    but unread by a failure in between.

    ``mail`` is given for a reply read from mail (``kizuna.mailing``): it is recorded under
    the key of its Message-ID, with its attachments and how it was matched, and the same
    message handled again changes nothing either.
    """
    check_served_date(on, "on")
    if mail is not None:
        key: str | None = mail.key
    else:
        key = log.inbound_key(candidate_id, text, now) if now is not None else None
    with log.transaction():
        earlier = key is not None and log.has_key(key)
        if mail is not None:
            exchange = log.record_mail(candidate_id, text, mail, received_at=now,
                                       subject=subject)
        else:
            exchange = log.record_inbound(candidate_id, text, received_at=now, subject=subject,
                                          idempotency_key=key)
        if earlier:
            return _already_recorded(log, exchange)
        read = _read_and_book(profile, log, exchange, text, on=on, now=now)
    if isinstance(read, ReplyOutcome):
        return read
    choice, booked = read
    note = _("Booked {slot} for {id}; the other held slots were released.").format(
        slot=format_slot(booked), id=candidate_id)
    moment = in_jst(now)
    try:
        candidate = log.get_candidate(candidate_id)
        confirmation = draft_message(
            profile, "interview_confirmation", candidate, on=on, log=log, slot=booked,
            idempotency_key=confirmation_key(candidate_id, booked), now=moment,
        )
    except KizunaError as exc:
        # The booking stands (it is what the applicant asked for); only the draft is missing.
        note += _(" The confirmation could not be drafted: {reason} Draft it with "
                  "`kizuna draft interview_confirmation --candidate {id}`.").format(
            reason=exc, id=candidate_id)
        return ReplyOutcome(exchange, choice, booked, None, note)
    return ReplyOutcome(exchange, choice, booked, confirmation, note)


def _already_recorded(log: Log, exchange: Exchange) -> ReplyOutcome:
    from .log import holds

    candidate_id = exchange.candidate_id
    how = (_("the same Message-ID, {message_id}").format(message_id=exchange.message_id)
           if exchange.message_id else _("same applicant, time and text"))
    existing = holds.booked_slot(log, candidate_id)
    note = (_("This reply was already recorded as exchange {id} ({how}), so nothing was recorded "
              "or booked again; their interview is {slot}.") if existing else
            _("This reply was already recorded as exchange {id} ({how}), so nothing was recorded "
              "or booked again.")).format(id=exchange.id, how=how,
                                          slot=format_slot(existing) if existing else "")
    from .slots.choice import Choice

    choice = Choice(None, None, "none",
                    _("Already recorded as exchange {id}; the reply was not read again.").format(
                        id=exchange.id))
    return ReplyOutcome(exchange, choice, None, None, note, duplicate=True)


def _read_and_book(
    profile: Profile,
    log: Log,
    exchange: Exchange,
    text: str,
    *,
    on: dt.date,
    now: dt.datetime | None,
) -> ReplyOutcome | tuple[Choice, Slot]:
    """Read the recorded reply against the applicant's offer and book its choice: the
    outcome when nothing was booked, else (choice, booked slot)."""
    from .log import holds
    from .slots.choice import parse_choice

    candidate_id = exchange.candidate_id
    moment = in_jst(now)
    offer = holds.offered(log, candidate_id, moment, include_expired=True)
    if not offer:
        existing = holds.booked_slot(log, candidate_id)
        note = (_("No slots are on offer to this applicant, so nothing was booked; their "
                  "interview is {slot}.").format(slot=format_slot(existing)) if existing else
                _("No slots are on offer to this applicant, so nothing was booked."))
        return ReplyOutcome(exchange, parse_choice(text, ()), None, None, note)
    # A slot that has already begun is as unavailable as one somebody else booked.
    past = {s.start for s in offer if s.start <= moment}
    taken = holds.unavailable(log, moment, exclude_candidate=candidate_id)
    choice = parse_choice(text, offer, unavailable=taken | past)
    if choice.status == "unavailable" and choice.slot is not None:
        lost = choice.slot
        alternatives = _alternatives(profile, log, on, moment, candidate_id, len(offer), lost)
        if lost.start in past and lost.start not in taken:
            choice = dataclasses.replace(
                choice, reason=_("The applicant chose slot {numbers}, but that time has already "
                                 "passed; offer other slots.").format(
                    numbers=_(", ").join(str(x) for x in choice.preferences)),
            )
            note = _("{slot} has already passed, so nothing was booked.").format(
                slot=format_slot(lost))
            return ReplyOutcome(
                exchange, choice, None, None, _with_alternatives(note, alternatives), alternatives
            )
        return ReplyOutcome(
            exchange, choice, None, None, _taken_note(lost, alternatives), alternatives
        )
    if choice.status != "chosen" or choice.slot is None:
        return ReplyOutcome(
            exchange, choice, None, None,
            _("Nothing was booked: {reason}").format(reason=choice.reason),
        )
    try:
        spacing = profile.slots.spacing
        booked = holds.book(log, candidate_id, choice.slot, now=moment, spacing=spacing)
    except SlotTaken:
        alternatives = _alternatives(profile, log, on, moment, candidate_id, len(offer), choice.slot)
        return ReplyOutcome(
            exchange, choice, None, None, _taken_note(choice.slot, alternatives), alternatives
        )
    except SlotError as exc:
        # The reply is recorded; say why the booking was refused rather than fail the command.
        return ReplyOutcome(exchange, choice, None, None,
                            _("Nothing was booked: {reason}").format(reason=exc))
    return choice, booked


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
    from .log import holds

    taken = holds.unavailable(log, moment, exclude_candidate=candidate_id) | {lost.start}
    try:
        return tuple(
            propose(profile.slots, on, max(count, 1), unavailable=taken, now=moment)
        )
    except SlotError:
        return ()


def _taken_note(slot: Slot, alternatives: Sequence[Slot]) -> str:
    note = _("{slot} is already taken by another applicant, so nothing was booked.").format(
        slot=format_slot(slot))
    return _with_alternatives(note, alternatives)


def _with_alternatives(note: str, alternatives: Sequence[Slot]) -> str:
    if alternatives:
        note += _(" Free slots to offer instead: {slots}.").format(
            slots=_(", ").join(format_slot(s) for s in alternatives))
    else:
        note += _(" No other slot is free within the policy's horizon.")
    return note


def draft_reminders(
    profile: Profile, log: Log, *, on: dt.date, now: dt.datetime | None = None
) -> list[Drafted]:
    """Draft interview_reminder for each interview booked on the day after ``on``.

    Once per interview: an interview whose reminder is already in the log is skipped, so the
    command can run every day (or twice) without drafting a second one.
    """
    from .log import holds

    check_served_date(on, "on")
    due = [(cid, slot) for cid, slot in holds.interviews_on(log, on + dt.timedelta(days=1))
           if not log.has_key(reminder_key(cid, slot))]
    # Every reminder of an online interview carries its URL: say every one that lacks it
    # before drafting any, rather than stop half-way.
    missing = []
    for candidate_id, _slot in due:
        stage = profile.stage(infer_stage(profile, "interview_reminder", candidate_id, log))
        booking = holds.booking(log, candidate_id)
        if stage is not None and stage.format == "online" and not stage.meeting_url and not (
            booking and booking.meeting_url
        ):
            missing.append(candidate_id)
    if missing:
        raise InputError(
            _("No reminder was drafted: the online interviews of {ids} have no meeting URL, "
              "which the reminder carries.").format(ids=_(", ").join(missing)),
            field="meeting_url",
            hint=_("Record each with `kizuna meeting CANDIDATE URL`, or set the stage's "
                   "meeting_url in the profile, then run again."),
        )
    drafted: list[Drafted] = []
    for candidate_id, slot in due:
        key = reminder_key(candidate_id, slot)
        candidate = log.get_candidate(candidate_id)
        drafted.append(
            draft_message(
                profile, "interview_reminder", candidate, on=on, log=log, slot=slot,
                idempotency_key=key, now=now,
            )
        )
    return drafted


def set_meeting_url(log: Log, candidate_id: str, url: str) -> Slot:
    """Record the meeting URL of the applicant's booked interview (an online one's room), so
    that its reminder carries it; returns the booked slot. No booking is a LogError."""
    from .log import holds

    booking = holds.booking(log, candidate_id)
    if booking is None:
        log.get_candidate(candidate_id)  # an unknown applicant → near matches
        raise LogError(
            _("{id} has no booked interview, so there is nothing to attach a meeting URL "
              "to.").format(id=candidate_id),
            hint=_("Record their reply with `kizuna reply` to book a slot first."),
        )
    holds.set_meeting_url(log, candidate_id, booking.slot, check_meeting_url(url))
    return booking.slot
