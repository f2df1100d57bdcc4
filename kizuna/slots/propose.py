"""Proposing interview slots under a policy, and the reply deadline of an invitation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator

from dateutil.rrule import DAILY, FR, MO, SA, SU, TH, TU, WE, rrule

from ..calendar import OfficeCalendar
from ..errors import InputError, SlotError
from ..i18n import _, ngettext
from ..models import JST, Slot
from ..seasons import LAST_YEAR, check_served_date
from .policy import SlotPolicy

# --------------------------------------------------------------------------------------------
# Proposing
# --------------------------------------------------------------------------------------------

_WEEKDAY_RULE_DAYS = (MO, TU, WE, TH, FR)
_ALL_DAYS = (MO, TU, WE, TH, FR, SA, SU)


def _occurrences(policy: SlotPolicy, first: dt.date, last: dt.date) -> Iterator[dt.datetime]:
    """Every start the policy's times allow between two days, before any day is excluded.

    One rrule per start time (so 18:00 and 19:30 do not multiply into 18:30 and 19:00): the
    weekday-evening rules run Monday to Friday; the weekend rules run every day, because a
    holiday may take weekend times, and the caller keeps only the days that deserve them.
    """
    until = dt.datetime.combine(last, dt.time(23, 59), JST)
    for times, days, kind in (
        (policy.weekday_times, _WEEKDAY_RULE_DAYS, "weekday"),
        (policy.weekend_times, _ALL_DAYS, "weekend"),
    ):
        for t in times:
            rule = rrule(
                DAILY, byweekday=days, dtstart=dt.datetime.combine(first, t, JST), until=until
            )
            for start in rule:
                if policy.day_kind(start.date()) == kind:
                    yield start


def propose(
    policy: SlotPolicy,
    start_day: dt.date,
    count: int,
    *,
    unavailable: Iterable[dt.datetime] = (),
    now: dt.datetime | None = None,
    after: dt.date | None = None,
    keep: Callable[[Slot], bool] | None = None,
) -> list[Slot]:
    """Up to ``count`` free slots, in time order, spread over weekend days and weekday evenings.

    The first day is ``start_day`` plus the policy's lead time in business days (and, with
    ``after``, e.g. the reply deadline, a day later than that). A start is left out when it is
    in ``unavailable`` (booked, or held for someone else) or would start less than the length
    plus the buffer away from one, and when it is not after ``now``. Picking alternates weekend
    days and weekday evenings, one slot per day per round and a different time on each day, so
    a proposal is not five times on one Saturday. Raises SlotError naming the rule that left
    nothing. ``keep``, when given, leaves out the starts it refuses (an applicant abroad is
    not offered the middle of their night).
    """
    check_served_date(start_day, "start_day")
    if count < 1:
        raise InputError(_("The number of slots must be at least 1, not {count}.").format(
            count=count), field="count")
    first = policy.first_day(start_day)
    if after is not None and first <= after:
        first = after + dt.timedelta(days=1)
    # Never past the last day kizuna serves: an interview there could get no reminder.
    last = min(first + dt.timedelta(days=policy.horizon_days - 1), dt.date(LAST_YEAR, 12, 31))
    if first > last:
        raise SlotError(
            _("No interview slot can be offered: the first possible day, {first}, is after "
              "{last_year}-12-31, the last day kizuna serves.").format(
                first=first.isoformat(), last_year=LAST_YEAR), field="slots",
        )
    taken = sorted({u.astimezone(JST) for u in unavailable})
    taken_per_day: dict[dt.date, int] = {}
    for u in taken:
        taken_per_day[u.date()] = taken_per_day.get(u.date(), 0) + 1

    grid = sorted(_occurrences(policy, first, last))
    if keep is not None:
        grid = [s for s in grid if keep(Slot(s, s + policy.duration))]
    free: dict[dt.date, list[dt.datetime]] = {}
    past = clash = capped = 0
    for start in grid:
        if now is not None and start <= now:
            past += 1
            continue
        if any(abs(start - u) < policy.spacing for u in taken):
            clash += 1
            continue
        free.setdefault(start.date(), []).append(start)
    for day in list(free):
        room = policy.per_day_cap - taken_per_day.get(day, 0)
        if room < len(free[day]):
            capped += len(free[day]) - max(room, 0)
            # Keep the day's starts spread out rather than the first few in a row.
            free[day] = _spread(free[day], max(room, 0))
            if not free[day]:
                del free[day]
    if not free:
        raise SlotError(
            _("No interview slot from {first} to {last}: {reason}").format(
                first=first.isoformat(), last=last.isoformat(),
                reason=_empty_reason(policy, first, last, len(grid), past, clash, capped)),
            field="slots",
        )

    weekend = [d for d in sorted(free) if policy.day_kind(d) == "weekend"]
    weekday = [d for d in sorted(free) if policy.day_kind(d) == "weekday"]
    # Weekend first: those are the scarce slots for people who work on weekdays.
    order: list[tuple[dt.date, int]] = []
    for i in range(max(len(weekend), len(weekday))):
        if i < len(weekend):
            order.append((weekend[i], i))
        if i < len(weekday):
            order.append((weekday[i], i))
    chosen: list[dt.datetime] = []
    picked: dict[dt.date, list[dt.datetime]] = {}
    for round_ in range(policy.per_day_cap):
        for day, position in order:
            if len(chosen) == count:
                break
            starts = [s for s in free[day] if s not in picked.get(day, [])]
            if not starts:
                continue
            # First round: rotate by the day's position so successive days offer different
            # times (Saturday 10:00, Sunday 13:00); later rounds fill in the earliest left.
            start = starts[position % len(starts)] if round_ == 0 else starts[0]
            picked.setdefault(day, []).append(start)
            chosen.append(start)
    return [Slot(s, s + policy.duration) for s in sorted(chosen)]


def _spread(starts: list[dt.datetime], room: int) -> list[dt.datetime]:
    """``room`` of a day's starts, evenly spaced over the day (first and last kept first)."""
    if room <= 0:
        return []
    if room >= len(starts):
        return starts
    if room == 1:
        return starts[:1]
    step = (len(starts) - 1) / (room - 1)
    return sorted({starts[round(i * step)] for i in range(room)})


def _empty_reason(
    policy: SlotPolicy, first: dt.date, last: dt.date, grid: int, past: int, clash: int,
    capped: int,
) -> str:
    """Say which rule left the horizon without a slot."""
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    n = len(days)
    if grid:
        if past == grid:
            return _("all {slots} slots in the {n} days have already started.").format(
                slots=grid, n=n)
        if clash + past == grid and clash:
            return _("every slot is already booked or held (or within {duration}+{buffer} "
                     "minutes of one).").format(duration=policy.duration_minutes,
                                                buffer=policy.buffer_minutes)
        return _("the per-day cap (slots.per_day_cap = {cap}) is reached on every day by slots "
                 "already booked or held.").format(cap=policy.per_day_cap)
    closure = sum(1 for d in days if policy.calendar.in_closure(d))
    blocked = sum(1 for d in days if policy.blocked(d) and not policy.calendar.in_closure(d))
    kinds = [policy.day_kind(d) for d in days]
    holidays = kinds.count("holiday")
    weekdays = kinds.count("weekday")
    weekends = kinds.count("weekend")
    if closure == n:
        return _("all {n} days fall in the year-end closure (slots.closure).").format(n=n)
    if blocked + closure == n:
        return _("all {n} days are blocked (slots.blocked_dates, blocked_periods) or in the "
                 "closure.").format(n=n)

    parts = []
    if closure:
        parts.append(_("{count} in the closure (slots.closure)").format(count=closure))
    if blocked:
        parts.append(_("{count} blocked (slots.blocked_dates, blocked_periods)").format(
            count=blocked))
    if holidays:
        parts.append(_("{count} public holidays (slots.offer_holidays is false)").format(
            count=holidays))
    if weekdays:
        parts.append(ngettext("{count} weekday, but slots.weekday_times is empty",
                              "{count} weekdays, but slots.weekday_times is empty",
                              weekdays).format(count=weekdays))
    if weekends:
        parts.append(ngettext("{count} weekend day, but slots.weekend_times is empty",
                              "{count} weekend days, but slots.weekend_times is empty",
                              weekends).format(count=weekends))
    return _("of the {n} days (slots.horizon_days), {parts}.").format(
        n=n, parts=_("; ").join(parts))


def reply_deadline(
    policy: SlotPolicy | OfficeCalendar, sent_on: dt.date, business_days: int
) -> dt.date:
    """The day a reply is due: ``business_days`` office days after ``sent_on``.

    Weekends, public holidays, the closure and blocked days are not counted, so a deadline
    never falls on a day the office is shut (FACTS §4).
    """
    calendar = policy.calendar if isinstance(policy, SlotPolicy) else policy
    return calendar.add_business_days(sent_on, business_days)


