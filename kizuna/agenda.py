"""The recruiter's morning (``kizuna today``): who needs what today, most urgent first, and
the reminders and nudges the day calls for, drafted through the one pipeline.

``today`` reads each section from the log (``kizuna.log.agenda``: one indexed query each),
counts business days with the profile's office calendar, and lists every applicant once, in
the first section that applies:

1. ``waiting``: they wrote, and no message of ours (drafted or sent) followed;
2. ``interviews``: an interview before the end of the next office day with no reminder
   drafted (on a Friday: Saturday's, Sunday's and Monday's);
3. ``expiring``: slots held for them run out today or on the next office day, and they have
   not answered the invitation (a gentle nudge, ``reply_reminder``, may help);
4. ``unsent``: drafts not sent for more than one business day, result notices first;
5. ``silence``: still in the selection, with nothing between us for the profile's
   ``[today] silence_days`` business days, and no interview or held slots ahead;
6. ``mail``: messages whose sending failed or was never answered, and mail that matched no
   applicant.

With ``draft``, every reminder and nudge due is drafted first (once each: a reminder under
its interview's key, a nudge under its invitation's), and the sections then say what is left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import KizunaError
from .i18n import N_, _
from .models import JST, Slot, in_jst
from .profile import Profile
from .seasons import check_served_date

if TYPE_CHECKING:
    from .calendar import OfficeCalendar
    from .log import Log
    from .pipeline import Drafted

# Each section's key (in JSON, and ``TodayItem.section``) and its title, in the order of the list.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("waiting", N_("Waiting for our answer")),
    ("interviews", N_("Interviews before the end of the next office day, no reminder drafted")),
    ("expiring", N_("Held slots running out, no reply to the invitation")),
    ("unsent", N_("Drafts not sent for more than one business day")),
    ("silence", N_("Silence")),
    ("mail", N_("Mail problems")),
)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# A draft is listed once it has waited more than one business day.
UNSENT_AFTER = 2


@dataclass(frozen=True)
class TodayItem:
    """One line of the morning list: the applicant, why they are listed, since when and for
    how many business days, and the command to run next.

    ``candidate_id`` is None for mail that matched no applicant (``name`` is then its sender).
    ``exchange_id`` is the message the line is about (for kept mail, the kept mail's id);
    ``slot`` the interview, ``deadline`` the day held slots run out, ``excerpt`` the first line
    of what the applicant wrote (or a kept mail's subject).
    """

    section: str
    candidate_id: str | None
    name: str
    reason: str
    since: str
    business_days: int
    command: str
    exchange_id: int | None = None
    kind: str | None = None
    slot: Slot | None = None
    deadline: dt.date | None = None
    excerpt: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "candidate_id": self.candidate_id,
            "name": self.name,
            "reason": self.reason,
            "since": self.since,
            "business_days": self.business_days,
            "command": self.command,
            "exchange_id": self.exchange_id,
            "kind": self.kind,
            "slot": self.slot.to_dict() if self.slot else None,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "excerpt": self.excerpt,
        }


@dataclass(frozen=True)
class NotDrafted:
    """A reminder or nudge the day calls for that could not be drafted, why, and what to do."""

    candidate_id: str
    kind: str
    reason: str
    command: str

    def to_dict(self) -> dict[str, Any]:
        return {"candidate_id": self.candidate_id, "kind": self.kind, "reason": self.reason,
                "command": self.command}


@dataclass(frozen=True)
class Today:
    """The morning list of one day: each section's items (oldest or most urgent first), and,
    when asked to draft, what was drafted and what could not be."""

    date: dt.date
    next_office_day: dt.date
    silence_days: int
    waiting: tuple[TodayItem, ...] = ()
    interviews: tuple[TodayItem, ...] = ()
    expiring: tuple[TodayItem, ...] = ()
    unsent: tuple[TodayItem, ...] = ()
    silence: tuple[TodayItem, ...] = ()
    mail: tuple[TodayItem, ...] = ()
    drafted: tuple[Drafted, ...] = ()
    not_drafted: tuple[NotDrafted, ...] = ()

    def sections(self) -> tuple[tuple[str, str, tuple[TodayItem, ...]], ...]:
        """(key, title, items) for every section, in the list's order."""
        return tuple((key, title, getattr(self, key)) for key, title in SECTIONS)

    @property
    def items(self) -> tuple[TodayItem, ...]:
        return tuple(item for _, _, items in self.sections() for item in items)

    @property
    def empty(self) -> bool:
        return not self.items

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "date": self.date.isoformat(),
            "next_office_day": self.next_office_day.isoformat(),
            "silence_days": self.silence_days,
        }
        for key, _title, items in self.sections():
            data[key] = [item.to_dict() for item in items]
        data["drafted"] = [
            {**d.message.to_dict(), "exchange_id": d.exchange.id if d.exchange else None}
            for d in self.drafted
        ]
        data["not_drafted"] = [n.to_dict() for n in self.not_drafted]
        return data


def day_label(day: dt.date) -> str:
    """2026-12-04 (Fri)."""
    return f"{day.isoformat()} ({WEEKDAYS[day.weekday()]})"


def today(
    profile: Profile,
    log: Log,
    *,
    on: dt.date,
    now: dt.datetime | None = None,
    draft: bool = False,
) -> Today:
    """The morning list for ``on``; with ``draft``, the reminders and nudges it calls for are
    drafted first (each once: running it again drafts nothing new).

    ``now`` is the moment the list is made (interviews that have begun are left out); without
    it the list is the whole day's, from its first hour, as for a ``--date`` given by hand.
    """
    check_served_date(on, "date")
    office = profile.slots.calendar
    next_day = office.add_business_days(on, 1)
    start = dt.datetime.combine(on, dt.time(0), JST)
    moment = in_jst(now) if now is not None and in_jst(now).date() == on else start
    until = dt.datetime.combine(next_day + dt.timedelta(days=1), dt.time(0), JST)
    drafted: list[Drafted] = []
    not_drafted: list[NotDrafted] = []
    if draft:
        drafted, not_drafted = _draft_due(profile, log, on, moment, until)
    listed: set[str] = set()

    def once(items: Sequence[TodayItem]) -> tuple[TodayItem, ...]:
        kept = []
        for item in items:
            if item.candidate_id is not None:
                if item.candidate_id in listed:
                    continue
                listed.add(item.candidate_id)
            kept.append(item)
        return tuple(kept)

    days = _counter(office, on)
    waiting = once(_waiting(log, days))
    interviews = once(_interviews(log, moment, until, days))
    expiring = once(_expiring(log, start, until, days))
    unsent = once(_unsent(profile, log, office, on, days))
    silence = once(_silence(profile, log, office, on, moment, days))
    mail = once(_mail(log, days))
    return Today(
        date=on, next_office_day=next_day, silence_days=profile.silence_days, waiting=waiting,
        interviews=interviews, expiring=expiring, unsent=unsent, silence=silence, mail=mail,
        drafted=tuple(drafted), not_drafted=tuple(not_drafted),
    )


# ------------------------------------------------------------------------------ drafting


def _draft_due(
    profile: Profile, log: Log, on: dt.date, moment: dt.datetime, until: dt.datetime,
) -> tuple[list[Drafted], list[NotDrafted]]:
    """Draft every reminder (interviews up to the end of the next office day) and every nudge
    (held slots running out with no reply) not in the log yet. One that cannot be drafted (an
    online interview with no meeting URL, an applicant whose history refuses it) is listed
    with why, and the others are drafted all the same."""
    # The pipeline (and Jinja2) loads only when something is to be drafted.
    from .pipeline import draft_message, nudge_key, reminder_key

    drafted: list[Drafted] = []
    refused: list[NotDrafted] = []
    for interview in log.interviews_between(moment, until):
        if interview.reminded:
            continue
        cid = interview.candidate_id
        try:
            drafted.append(draft_message(
                profile, "interview_reminder", log.get_candidate(cid), on=on, log=log,
                slot=interview.slot, idempotency_key=reminder_key(cid, interview.slot),
                now=moment,
            ))
        except KizunaError as exc:
            command = (f"kizuna meeting {cid} URL" if exc.field == "meeting_url"
                       else f"kizuna draft interview_reminder --candidate {cid} --edit")
            refused.append(NotDrafted(cid, "interview_reminder", str(exc), command))
    start = dt.datetime.combine(on, dt.time(0), JST)
    for offer in log.expiring_offers(start, until):
        if offer.replied or offer.nudged:
            continue
        cid = offer.candidate_id
        try:
            drafted.append(draft_message(
                profile, "reply_reminder", log.get_candidate(cid), on=on, log=log,
                idempotency_key=nudge_key(cid, offer.invitation), now=moment,
            ))
        except KizunaError as exc:
            refused.append(NotDrafted(cid, "reply_reminder", str(exc), f"kizuna log {cid}"))
    return drafted, refused


# ------------------------------------------------------------------------------ the sections


Counter = Callable[[str], int]


def _counter(office: OfficeCalendar, on: dt.date) -> Counter:
    """Business days from an ISO time (its JST day) up to ``on``, one count per day."""
    cache: dict[dt.date, int] = {}

    def count(since: str) -> int:
        day = _day(since)
        if day not in cache:
            cache[day] = office.business_days_between(day, on)
        return cache[day]

    return count


def _day(moment: str) -> dt.date:
    return dt.datetime.fromisoformat(moment).astimezone(JST).date()


def _cutoff(office: OfficeCalendar, on: dt.date, business_days: int) -> dt.datetime:
    """The first moment that has not waited ``business_days`` business days by ``on``: the
    start of the day after the latest day that has."""
    day = on
    # Each step back adds at most one business day; a year is more than enough for any
    # closure or run of holidays.
    for _step in range(4 * business_days + 400):
        day -= dt.timedelta(days=1)
        if office.business_days_between(day, on) >= business_days:
            break
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), JST)


def _short(moment: str) -> str:
    """12-02 10:15, in JST."""
    return f"{dt.datetime.fromisoformat(moment).astimezone(JST):%m-%d %H:%M}"


def _first_line(text: str, width: int = 40) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= width else line[:width] + "…"


def _circled(numbers: Sequence[int]) -> str:
    from .dates import circled

    return "".join(circled(n) for n in numbers)


def _waiting(log: Log, days: Counter) -> list[TodayItem]:
    items = []
    for u in sorted(log.unanswered(), key=lambda u: (u.received_at, u.exchange_id)):
        excerpt = _first_line(u.head)
        more = _(" (and {count} more)").format(count=u.messages - 1) if u.messages > 1 else ""
        items.append(TodayItem(
            section="waiting", candidate_id=u.candidate_id, name=u.name,
            reason=_("wrote on {when}{more}: 「{excerpt}」").format(
                when=_short(u.received_at), more=more, excerpt=excerpt),
            since=u.received_at, business_days=days(u.received_at),
            command=f"kizuna draft note --candidate {u.candidate_id} --edit",
            exchange_id=u.exchange_id, excerpt=excerpt,
        ))
    return items


def _interviews(log: Log, moment: dt.datetime, until: dt.datetime, days: Counter) -> list[TodayItem]:
    items = []
    for i in log.interviews_between(moment, until):
        if i.reminded:
            continue
        start = i.slot.start.astimezone(JST)
        reason = _("interview {day} {time}, booked {when}").format(
            day=day_label(start.date()), time=f"{start:%H:%M}", when=_short(i.booked_at))
        items.append(TodayItem(
            section="interviews", candidate_id=i.candidate_id, name=i.name, reason=reason,
            since=i.booked_at, business_days=days(i.booked_at), command="kizuna today --draft",
            kind="interview_reminder", slot=i.slot,
        ))
    return items


def _expiring(log: Log, start: dt.datetime, until: dt.datetime, days: Counter) -> list[TodayItem]:
    items = []
    for o in log.expiring_offers(start, until):
        if o.replied or o.nudged:
            continue
        deadline = _day(o.held_until)
        items.append(TodayItem(
            section="expiring", candidate_id=o.candidate_id, name=o.name,
            reason=_("slots {numbers} held until {day}, no reply since the invitation of "
                     "{when}").format(numbers=_circled(o.numbers), day=day_label(deadline),
                                      when=_short(o.offered_at)),
            since=o.offered_at, business_days=days(o.offered_at),
            command=f"kizuna draft reply_reminder --candidate {o.candidate_id}",
            exchange_id=o.invitation, kind="reply_reminder", deadline=deadline,
        ))
    return items


def _unsent(
    profile: Profile, log: Log, office: OfficeCalendar, on: dt.date, days: Counter,
) -> list[TodayItem]:
    items = []
    for d in log.unsent_drafts(_cutoff(office, on, UNSENT_AFTER)):
        what = f"{d.kind or _('message')}{f' ({d.result})' if d.result else ''}"
        more = _("; {count} drafts to them in all").format(count=d.drafts) if d.drafts > 1 else ""
        if profile.mail is None:
            command = f"kizuna sent {d.exchange_id}"
            how = _(" (send it, then mark it sent)")
        else:
            command = (f"kizuna send --candidate {d.candidate_id}" if d.drafts > 1
                       else f"kizuna send {d.exchange_id}")
            how = ""
        items.append(TodayItem(
            section="unsent", candidate_id=d.candidate_id, name=d.name,
            reason=_("{what} drafted {when}, not sent{how}{more}").format(
                what=what, when=_short(d.created_at), how=how, more=more),
            since=d.created_at, business_days=days(d.created_at), command=command,
            exchange_id=d.exchange_id, kind=d.kind,
        ))
    return items


def _silence(
    profile: Profile, log: Log, office: OfficeCalendar, on: dt.date, moment: dt.datetime,
    days: Counter,
) -> list[TodayItem]:
    items = []
    cutoff = _cutoff(office, on, profile.silence_days)
    for s in log.silent_applicants(cutoff, moment):
        last = (_("; our last message: {kind}").format(
                    kind=s.last_kind + (f" ({s.last_result})" if s.last_result else ""))
                if s.last_kind else _("; no message to them yet"))
        items.append(TodayItem(
            section="silence", candidate_id=s.candidate_id, name=s.name,
            reason=_("nothing between us since {when}{last}").format(when=_short(s.last_at), last=last),
            since=s.last_at, business_days=days(s.last_at),
            command=_next_step(profile, s.candidate_id, s.last_kind, s.last_result, s.last_stage),
            kind=s.last_kind,
        ))
    return items


def _next_step(
    profile: Profile, cid: str, kind: str | None, result: str | None, stage: str | None,
) -> str:
    """The message that moves a silent applicant on, from our last one to them."""
    choose = "--result passed|not_passed"
    if kind is None:
        return f"kizuna draft application_received --candidate {cid}"
    if kind == "application_received":
        return f"kizuna draft screening_result --candidate {cid} {choose}"
    if kind in ("screening_result", "interview_result") and result == "passed":
        return f"kizuna draft interview_invitation --candidate {cid}"
    if kind in ("interview_confirmation", "interview_reminder"):
        final = stage is not None and stage == profile.stages[-1].id
        return f"kizuna draft {'final_result' if final else 'interview_result'} --candidate {cid} {choose}"
    return f"kizuna draft note --candidate {cid} --edit"


def _mail(log: Log, days: Counter) -> list[TodayItem]:
    items = []
    for m in log.mail_problems():
        why = f": {m.why}" if m.why else ""
        if m.status == "failed":
            reason = _("{kind} #{id} was refused by the server{why}").format(
                kind=m.kind or _("message"), id=m.id, why=why)
            command = f"kizuna send {m.id}"
        elif m.status == "sending":
            reason = _("{kind} #{id} left 'sending' since {when}{why}; it may have arrived: if it "
                       "did not, `kizuna send --resend {id}`").format(
                kind=m.kind or _("message"), id=m.id, when=_short(m.since), why=why)
            command = f"kizuna sent {m.id}"
        else:
            subject = f" '{m.subject}'" if m.subject else ""
            reason = _("mail{subject} (kept #{id}) matched no applicant{why}").format(
                subject=subject, id=m.id, why=why)
            command = "kizuna inbox"
        items.append(TodayItem(
            section="mail", candidate_id=m.candidate_id, name=m.name or _("unknown sender"),
            reason=reason,
            since=m.since, business_days=days(m.since), command=command, exchange_id=m.id,
            kind=m.kind, excerpt=m.subject if m.status == "unmatched" else "",
        ))
    return items
