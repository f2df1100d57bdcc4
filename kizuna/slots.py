"""Interview slots: the profile's slot policy, proposing slots, and reading an applicant's choice.

Everything here is pure (no log, no clock unless one is passed in). Interviews are offered on
weekday evenings and at weekends so that people who have jobs can attend; Japanese public
holidays (``holidays``, JP, in Japanese: 振替休日 and 国民の休日 included) and the year-end
closure are skipped. All times are aware datetimes in Asia/Tokyo.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from dateutil.rrule import DAILY, FR, MO, SA, SU, TH, TU, WE, rrule

from .calendar import OfficeCalendar, calendar_from_settings, holiday_name
from .dates import CIRCLED, circled, local_time_note
from .dates import slot_text as format_slot
from .errors import InputError, ProfileError, SlotError
from .models import JST, Slot
from .replytext import blank_addresses, reply_text
from .seasons import check_served_date

__all__ = [
    "Choice",
    "SlotPolicy",
    "circled",
    "format_slot",
    "local_time_note",
    "parse_choice",
    "propose",
    "reply_deadline",
]

ChoiceStatus = Literal["chosen", "none", "ambiguous", "unavailable"]


# The sample profile's values: a profile that leaves a key out gets these.
DEFAULTS: dict[str, Any] = {
    "weekday_times": ["18:00", "19:00"],
    "weekend_times": ["10:00", "13:00", "15:00"],
    "duration_minutes": 60,
    "buffer_minutes": 15,
    "lead_business_days": 2,
    "horizon_days": 21,
    "per_day_cap": 3,
    "offer_holidays": False,
    "offer_count": 3,
}

SLOT_KEYS = frozenset(DEFAULTS) | {"closure", "blocked_dates"}

_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


# --------------------------------------------------------------------------------------------
# Policy
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotPolicy:
    """When interviews may be offered (the profile's ``[slots]`` table, validated).

    ``horizon_days`` counts calendar days from the first offerable day (that day included);
    ``per_day_cap`` limits interviews on one day, counting slots already booked or held;
    ``offer_count`` is how many slots an invitation offers.
    """

    weekday_times: tuple[dt.time, ...] = (dt.time(18), dt.time(19))
    weekend_times: tuple[dt.time, ...] = (dt.time(10), dt.time(13), dt.time(15))
    duration_minutes: int = 60
    buffer_minutes: int = 15
    lead_business_days: int = 2
    horizon_days: int = 21
    per_day_cap: int = 3
    offer_holidays: bool = False
    offer_count: int = 3
    closure: tuple[tuple[int, int], tuple[int, int]] | None = ((12, 29), (1, 3))
    blocked_dates: frozenset[dt.date] = field(default_factory=frozenset)

    @property
    def calendar(self) -> OfficeCalendar:
        """The office calendar (closure and blocked days) this policy uses."""
        return OfficeCalendar(closure=self.closure, blocked=self.blocked_dates)

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.duration_minutes)

    @property
    def spacing(self) -> dt.timedelta:
        """Two interviews must start at least this far apart (length plus buffer)."""
        return dt.timedelta(minutes=self.duration_minutes + self.buffer_minutes)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str | None = None) -> SlotPolicy:
        """Validate a ``[slots]`` table (keys missing → the sample profile's values). A loaded
        profile holds its policy as ``profile.slots``, validated once at load."""

        def fail(key: str, expected: str, value: Any) -> ProfileError:
            return ProfileError(
                f"Expected {expected}, found {value!r}.", path=source, field=f"slots.{key}"
            )

        for key in data:
            if key not in SLOT_KEYS:
                raise ProfileError(
                    f"Unknown key {key!r}.", path=source, field=f"slots.{key}",
                    hint=f"Known keys: {', '.join(sorted(SLOT_KEYS))}.",
                )

        def times(key: str) -> tuple[dt.time, ...]:
            value = data.get(key, DEFAULTS[key])
            if not isinstance(value, list):
                raise fail(key, "a list of times like \"18:00\"", value)
            parsed: list[dt.time] = []
            for i, item in enumerate(value):
                parsed.append(_parse_time(item, f"{key}[{i}]", source))
            # Duplicates would offer the same start twice; the order in the file does not matter.
            return tuple(sorted(set(parsed)))

        def whole(key: str, minimum: int, maximum: int) -> int:
            value = data.get(key, DEFAULTS[key])
            if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
                raise fail(key, f"a whole number from {minimum} to {maximum}", value)
            return value

        offer_holidays = data.get("offer_holidays", DEFAULTS["offer_holidays"])
        if not isinstance(offer_holidays, bool):
            raise fail("offer_holidays", "true or false", offer_holidays)
        blocked_raw = data.get("blocked_dates", [])
        if not isinstance(blocked_raw, list):
            raise fail("blocked_dates", "a list of dates like \"2026-12-10\"", blocked_raw)
        closure_raw = data.get("closure")
        if closure_raw is not None and not isinstance(closure_raw, list):
            raise fail("closure", "two dates as MM-DD, e.g. [\"12-29\", \"01-03\"]", closure_raw)
        try:
            calendar = calendar_from_settings(closure_raw, blocked_raw)
        except ValueError as exc:
            key = "blocked_dates" if str(exc).startswith("blocked_dates") else "closure"
            detail = str(exc).split(": ", 1)[-1]
            raise ProfileError(
                f"{detail[0].upper()}{detail[1:]}.", path=source, field=f"slots.{key}"
            ) from None
        policy = cls(
            weekday_times=times("weekday_times"),
            weekend_times=times("weekend_times"),
            # Bounds keep every date computed from them far inside the calendar.
            duration_minutes=whole("duration_minutes", 1, 24 * 60),
            buffer_minutes=whole("buffer_minutes", 0, 24 * 60),
            lead_business_days=whole("lead_business_days", 0, 60),
            horizon_days=whole("horizon_days", 1, 366),
            per_day_cap=whole("per_day_cap", 1, 100),
            offer_holidays=offer_holidays,
            offer_count=whole("offer_count", 1, len(CIRCLED)),
            closure=calendar.closure,
            blocked_dates=calendar.blocked,
        )
        for key, values in (("weekday_times", policy.weekday_times),
                            ("weekend_times", policy.weekend_times)):
            for t in values:
                # An interview that runs past midnight is surely a typo (e.g. "23:30" for 13:30).
                end = dt.datetime.combine(dt.date(2000, 1, 1), t) + policy.duration
                if end.date() != dt.date(2000, 1, 1) and end.time() != dt.time(0):
                    raise ProfileError(
                        f"An interview starting at {t:%H:%M} would run past midnight "
                        f"({policy.duration_minutes} minutes).",
                        path=source, field=f"slots.{key}",
                    )
        return policy

    def day_kind(self, day: dt.date) -> Literal["weekday", "weekend", "closed", "holiday"]:
        """How this policy treats a day: which times it gets, or why it gets none."""
        if self.calendar.in_closure(day) or day in self.blocked_dates:
            return "closed"
        if holiday_name(day) is not None:
            return "weekend" if self.offer_holidays else "holiday"
        return "weekend" if day.weekday() >= 5 else "weekday"

    def first_day(self, start_day: dt.date) -> dt.date:
        """The first day slots may fall on: ``lead_business_days`` business days later."""
        return self.calendar.add_business_days(start_day, self.lead_business_days)


def _parse_time(value: Any, key: str, source: str | None) -> dt.time:
    """"18:00" (or a TOML local time) → time; anything else names the key and the value."""
    if isinstance(value, dt.time) and value.tzinfo is None:
        return value.replace(second=0, microsecond=0)
    if isinstance(value, str):
        match = _TIME_RE.match(value.strip())
        if match:
            return dt.time(int(match.group(1)), int(match.group(2)))
    raise ProfileError(
        f"Expected a time as HH:MM (24-hour, e.g. \"18:00\"), found {value!r}.",
        path=source, field=f"slots.{key}",
    )


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
) -> list[Slot]:
    """Up to ``count`` free slots, in time order, spread over weekend days and weekday evenings.

    The first day is ``start_day`` plus the policy's lead time in business days (and, with
    ``after``, e.g. the reply deadline, a day later than that). A start is left out when it is
    in ``unavailable`` (booked, or held for someone else) or would start less than the length
    plus the buffer away from one, and when it is not after ``now``. Picking alternates weekend
    days and weekday evenings, one slot per day per round and a different time on each day, so
    a proposal is not five times on one Saturday. Raises SlotError naming the rule that left
    nothing.
    """
    check_served_date(start_day, "start_day")
    if count < 1:
        raise InputError(f"The number of slots must be at least 1, not {count}.", field="count")
    first = policy.first_day(start_day)
    if after is not None and first <= after:
        first = after + dt.timedelta(days=1)
    last = first + dt.timedelta(days=policy.horizon_days - 1)
    taken = sorted({u.astimezone(JST) for u in unavailable})
    taken_per_day: dict[dt.date, int] = {}
    for u in taken:
        taken_per_day[u.date()] = taken_per_day.get(u.date(), 0) + 1

    grid = sorted(_occurrences(policy, first, last))
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
            f"No interview slot from {first.isoformat()} to {last.isoformat()}: "
            + _empty_reason(policy, first, last, len(grid), past, clash, capped),
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
            return f"all {grid} slots in the {n} days have already started."
        if clash + past == grid and clash:
            return (
                f"every slot is already booked or held (or within {policy.duration_minutes}+"
                f"{policy.buffer_minutes} minutes of one)."
            )
        return (
            f"the per-day cap (slots.per_day_cap = {policy.per_day_cap}) is reached on every "
            "day by slots already booked or held."
        )
    closure = sum(1 for d in days if policy.calendar.in_closure(d))
    blocked = sum(1 for d in days if d in policy.blocked_dates and not policy.calendar.in_closure(d))
    kinds = [policy.day_kind(d) for d in days]
    holidays = kinds.count("holiday")
    weekdays = kinds.count("weekday")
    weekends = kinds.count("weekend")
    if closure == n:
        return f"all {n} days fall in the year-end closure (slots.closure)."
    if blocked + closure == n:
        return f"all {n} days are blocked (slots.blocked_dates) or in the closure."
    def days_(k: int, what: str) -> str:
        return f"{k} {what}" if k != 1 else f"1 {what.replace('days', 'day')}"

    parts = []
    if closure:
        parts.append(f"{closure} in the closure (slots.closure)")
    if blocked:
        parts.append(f"{blocked} blocked (slots.blocked_dates)")
    if holidays:
        parts.append(f"{holidays} public holidays (slots.offer_holidays is false)")
    if weekdays:
        parts.append(days_(weekdays, "weekdays") + ", but slots.weekday_times is empty")
    if weekends:
        parts.append(days_(weekends, "weekend days") + ", but slots.weekend_times is empty")
    return f"of the {n} days (slots.horizon_days), " + "; ".join(parts) + "."


def reply_deadline(
    policy: SlotPolicy | OfficeCalendar, sent_on: dt.date, business_days: int
) -> dt.date:
    """The day a reply is due: ``business_days`` office days after ``sent_on``.

    Weekends, public holidays, the closure and blocked days are not counted, so a deadline
    never falls on a day the office is shut (FACTS §4).
    """
    calendar = policy.calendar if isinstance(policy, SlotPolicy) else policy
    return calendar.add_business_days(sent_on, business_days)


# --------------------------------------------------------------------------------------------
# Reading a reply
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """What a reply chose among the offered slots.

    ``status`` is "chosen" (``slot`` and ``number`` set), "unavailable" (the applicant chose
    ``slot``, but it has been taken), "ambiguous" (it points at several slots, or contradicts
    itself) or "none" (it names no offered slot). ``preferences`` are the slot numbers named,
    in the applicant's order of preference. ``reason`` explains the outcome in English.
    """

    slot: Slot | None
    number: int | None
    status: ChoiceStatus
    reason: str
    preferences: tuple[int, ...] = ()


@dataclass(frozen=True)
class _Ref:
    """One place in a reply that points at offered slots (which ones: ``numbers``)."""

    start: int
    end: int
    numbers: frozenset[int]
    label: str
    kind: Literal["number", "datetime", "date"]


_KANJI_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUM = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"

_PREF = re.compile(rf"第\s*({_NUM})\s*(?:希望|候補|志望)")
_DATETIME = re.compile(
    r"(?<![\d/.])(?:(?:\d{4})\s*[/年.\-]\s*)?(?:(?P<month>\d{1,2})\s*(?:月|/)\s*)?"
    r"(?P<day>\d{1,2})(?P<nichi>\s*日)?"
    r"(?P<dow>\s*\(\s*[月火水木金土日](?:曜日?)?\s*\)|\s*[月火水木金土日]曜日?)?"
    r"(?P<sep>[\s、,のはに]*)"
    r"(?:(?P<ampm>午前|午後|夕方|夜|朝)\s*)?"
    r"(?P<hour>\d{1,2})\s*(?::\s*(?P<minute>\d{2})|時\s*(?:(?P<min2>\d{1,2})\s*分|(?P<half>半))?)"
)
_DATE = re.compile(
    r"(?<![\d/.])(?:(?:\d{4})\s*[/年.\-]\s*)?(?:(?P<month>\d{1,2})\s*(?:月|/)\s*)?"
    r"(?P<day>\d{1,2})(?P<nichi>\s*日)?"
    r"(?P<dow>\s*\(\s*[月火水木金土日](?:曜日?)?\s*\)|\s*[月火水木金土日]曜日?)?"
)
# Explicit slot numbers: 2番, 2番目, 二番目, 2つ目, (2) (also ② — see _clean), 候補2, No.2, #2.
# 番 followed by a digit or 地 is an address (芳町1番1号); kanji 一番 is also "most" (一番早い),
# so a kanji numeral needs 番目, つ目, or 番 followed by a particle.
_EXPLICIT = re.compile(
    r"(?<![\d\-/:.])(?P<n1>\d{1,2})\s*(?:番目|番(?![\d地])|つ目|個目|案)"
    r"|(?P<k1>[一二三四五六七八九十]{1,3})(?:番目|つ目|個目|番(?=[でをがにはの、。,!\s]|$))"
    r"|\((?P<n2>\d{1,2})\)"
    r"|(?:候補|案|No\.?|NO\.?|no\.?|#)\s*(?P<n3>\d{1,2})(?![\d\-/:.])"
)
# Counters and units: 2名, 2人, 3日, 10時, 2回, 4階 … never a slot number.
_COUNTER_AFTER = re.compile(
    r"\s*(?:名|人|日|月|年|時|分|秒|歳|才|回|件|枚|階|円|個|号|度|週|次|期|条|項|点|位|社|部|本|冊|"
    r"ヶ|か月|ケ月|カ月|箇|ページ|頁|番|丁目|km|kg|cm|mm|%)"
)
# A clause that turns a slot down: 1番は都合が悪く / 12月5日は難しい.
_NEGATIVE = re.compile(
    r"都合が(?:悪|つか|合わ)|難し|無理|不可|厳し|NG|ダメ|だめ|できません|出来ません|行けません|"
    r"伺えません|参加でき(?:ない|ず)|埋ま|塞が|予定が(?:あ|入)|避け"
)
# A telephone extension (「内線 3」, 「ext. 3」) in a signature is no slot number.
_EXTENSION = re.compile(r"(?:内線|ext\.?|extension)\s*(?:番号)?\s*[:.]?\s*\d+", re.IGNORECASE)
_ANY_SLOT = re.compile(
    r"(?:どれ|いずれ|どちら|どの|いつ)(?:の(?:日程|日時|時間|候補))?(?:で|に)?も\s*"
    r"(?:大丈夫|構いません|かまいません|結構|可能|OK|良|よ|い[いけ]|問題)"
)
_CLAUSE_END = re.compile(r"[。\n!?]|、(?!\s*第)")


def _kanji_number(text: str) -> int | None:
    """二 → 2, 十二 → 12; None for anything that is not a simple numeral up to 99."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens_text, _, units_text = text.partition("十")
        tens = _KANJI_DIGITS.get(tens_text, 0) if tens_text else 1
        units = _KANJI_DIGITS.get(units_text, 0) if units_text else 0
        if (tens_text and not tens) or (units_text and not units):
            return None
        return tens * 10 + units
    return _KANJI_DIGITS.get(text) if len(text) == 1 else None


_CIRCLED_FORMS = (
    CIRCLED,
    "❶❷❸❹❺❻❼❽❾❿",  # negative circled digits (no NFKC form)
    "➀➁➂➃➄➅➆➇➈➉",  # dingbat circled digits
    "⓵⓶⓷⓸⓹⓺⓻⓼⓽⓾",  # double circled digits
)


def _clean(text: str) -> str:
    """The applicant's own words (replytext.reply_text: no HTML, quotes, signature, URLs or
    mail addresses), with ① → (1) and NFKC (２ → 2, （ → ()."""
    text = reply_text(text)
    for forms in _CIRCLED_FORMS:
        for i, ch in enumerate(forms, start=1):
            text = text.replace(ch, f"({i})")
    # Once more after NFKC: ｔａｒｏ．ｎｏ３＠ｅｘａｍｐｌｅ．ｊｐ is an address only now.
    return blank_addresses(unicodedata.normalize("NFKC", text))


def _hour(raw: str, ampm: str | None) -> int:
    hour = int(raw)
    if ampm in ("午後", "夕方", "夜") and hour < 12:
        hour += 12
    return hour


def _find_refs(text: str, offered: Sequence[Slot], masked: list[tuple[int, int]]) -> list[_Ref]:
    """Every mention of a slot in the text, by date and time, by date alone, or by number."""
    starts = [s.start.astimezone(JST) for s in offered]
    n = len(offered)
    refs: list[_Ref] = []

    def free(a: int, b: int) -> bool:
        return all(b <= m0 or a >= m1 for m0, m1 in masked)

    for m in _DATETIME.finditer(text):
        if not free(m.start(), m.end()):
            continue
        month = int(m["month"]) if m["month"] else None
        day = int(m["day"])
        # "5 10:00" is no date: a day needs 日, a month, or a weekday beside it.
        if not (m["nichi"] or month or m["dow"]):
            continue
        if not m["nichi"] and not month and not m["sep"]:
            continue
        hour = _hour(m["hour"], m["ampm"])
        minute = int(m["minute"] or m["min2"] or (30 if m["half"] else 0))
        numbers = frozenset(
            i + 1 for i, s in enumerate(starts)
            if s.day == day and (month is None or s.month == month)
            and s.hour == hour and s.minute == minute
        )
        label = f"{month or '?'}/{day} {hour}:{minute:02d}"
        refs.append(_Ref(m.start(), m.end(), numbers, label, "datetime"))
        masked.append((m.start(), m.end()))

    for m in _DATE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        month = int(m["month"]) if m["month"] else None
        day = int(m["day"])
        # A date alone must look like one: 12月5日, 5日(土), 12/5 (not "3日間" or "2日前").
        slash = month is not None and not m["nichi"]
        if not ((m["nichi"] and (month or m["dow"])) or slash):
            continue
        if re.match(r"\s*(?:間|前|後|以内|ほど|程度)", text[m.end():]):
            continue
        numbers = frozenset(
            i + 1 for i, s in enumerate(starts)
            if s.day == day and (month is None or s.month == month)
        )
        refs.append(_Ref(m.start(), m.end(), numbers, f"{month or '?'}/{day}", "date"))
        masked.append((m.start(), m.end()))

    for m in _EXPLICIT.finditer(text):
        if not free(m.start(), m.end()):
            continue
        value = _kanji_number(m["n1"] or m["k1"] or m["n2"] or m["n3"])
        if value is None:
            continue
        numbers = frozenset({value}) if 1 <= value <= n else frozenset()
        refs.append(_Ref(m.start(), m.end(), numbers, f"number {value}", "number"))
        masked.append((m.start(), m.end()))

    for m in re.finditer(r"\d+", text):
        if not free(m.start(), m.end()) or not _bare_number(text, m.start(), m.end()):
            continue
        value = int(m.group(0))
        if not 1 <= value <= n:
            # A stray out-of-range number in running text is noise, unless it is all there is.
            if text.strip() == m.group(0):
                refs.append(_Ref(m.start(), m.end(), frozenset(), f"number {value}", "number"))
            continue
        refs.append(_Ref(m.start(), m.end(), frozenset({value}), f"number {value}", "number"))
        masked.append((m.start(), m.end()))
    return sorted(refs, key=lambda r: r.start)


def _bare_number(text: str, start: int, end: int) -> bool:
    """A number on its own (「2でお願いします」, 「:2」), not part of a phone number, a postcode,
    a date, an address, an e-mail address or a count."""
    if end - start > 2:
        return False
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if before and (before.isascii() and (before.isalnum() or before in "-/._+#$")
                   or before in "〒第"):
        return False
    # ":2" is a choice (第1希望:2), ":05" is minutes.
    if before == ":" and end - start > 1:
        return False
    if after and (after.isascii() and (after.isalnum() or after in "-/:.,_@%")):
        return False
    return not _COUNTER_AFTER.match(text, end)


def _declined(text: str, ref: _Ref) -> bool:
    """True when the clause after a mention turns it down (「1番は都合が悪く」, 「3番以外で」),
    but not 「2番以外は難しい」, which means only 2 will do."""
    rest = text[ref.end:]
    stop = _CLAUSE_END.search(rest)
    clause = rest[: stop.start()] if stop else rest
    if re.match(r"\s*以外", clause):
        return not _NEGATIVE.search(clause[:24])
    return bool(_NEGATIVE.search(clause[:20]))


def _describe(number: int, offered: Sequence[Slot]) -> str:
    slot = offered[number - 1]
    return f"slot {number} ({slot.start.astimezone(JST):%Y-%m-%d %H:%M})"


def parse_choice(
    text: str, offered: Sequence[Slot], *, unavailable: Collection[dt.datetime] = ()
) -> Choice:
    """Find which offered slot (numbered from 1, in offer order) a reply chooses.

    Understands 「2番でお願いします」, 「２」, 「②」, 「二番目」, 「(2)」, 「第一希望は3、第二希望は1」
    (the first preference still free wins), 「12月5日の10時」 and 「5日(土)10:00」. Only what the
    applicant wrote is read (replytext.reply_text): HTML is made plain, and quoted lines, quote
    headers and the quote below them, the signature, URLs and mail addresses are left out.
    It never guesses: phone numbers, extensions (「内線 3」), postcodes, counts (「2名で伺います」),
    a date that fits several slots, a number out of range, or two different slots with no order
    give "none" or "ambiguous", with the reason.
    """
    if not offered:
        return Choice(None, None, "none", "No slots are on offer to this applicant.")
    clean = _clean(text)
    n = len(offered)
    blocked = {u.astimezone(JST) for u in unavailable}
    masked: list[tuple[int, int]] = [m.span() for m in _EXTENSION.finditer(clean)]

    markers: list[tuple[int, int, int]] = []  # (start, end, rank)
    for m in _PREF.finditer(clean):
        rank = _kanji_number(m.group(1))
        if rank is not None:
            markers.append((m.start(), m.end(), rank))
            masked.append((m.start(), m.end()))

    refs = [r for r in _find_refs(clean, offered, masked) if not _declined(clean, r)]

    if markers:
        return _by_preference(clean, offered, refs, markers, blocked)

    definite = sorted({next(iter(r.numbers)) for r in refs if len(r.numbers) == 1})
    several = [r for r in refs if len(r.numbers) > 1]
    nowhere = [r for r in refs if not r.numbers and r.kind != "date"]
    if len(definite) == 1 and not nowhere:
        number = definite[0]
        if any(number not in r.numbers for r in several):
            return Choice(
                None, None, "ambiguous",
                f"The reply names {_describe(number, offered)} but also a date that does not "
                "match it; ask the applicant to confirm.",
                (number,),
            )
        return _settle(offered, (number,), blocked)
    if len(definite) > 1:
        listed = ", ".join(str(x) for x in definite)
        return Choice(
            None, None, "ambiguous",
            f"The reply names several slots ({listed}) without saying which is preferred; "
            "ask the applicant to choose one.",
            tuple(definite),
        )
    if definite and nowhere:
        return Choice(
            None, None, "ambiguous",
            f"The reply names {_describe(definite[0], offered)} but also "
            f"{nowhere[0].label}, which was not offered; ask the applicant to confirm.",
            tuple(definite),
        )
    if several:
        listed = ", ".join(str(x) for x in sorted(several[0].numbers))
        return Choice(
            None, None, "ambiguous",
            f"The date {several[0].label} fits several offered slots ({listed}) and no time "
            "is given; ask the applicant which one.",
        )
    if nowhere:
        ref = nowhere[0]
        what = (
            f"{ref.label} is not one of the {n} offered slots"
            if ref.kind == "number" else f"{ref.label} was not among the offered times"
        )
        return Choice(None, None, "none", f"The reply names no offered slot: {what}.")
    if _ANY_SLOT.search(clean):
        return Choice(
            None, None, "ambiguous",
            "The applicant says any slot is fine; pick one and confirm it with them.",
        )
    return Choice(
        None, None, "none",
        f"No slot number (1-{n}) or offered date and time was found in the reply.",
    )


def _by_preference(
    text: str,
    offered: Sequence[Slot],
    refs: list[_Ref],
    markers: list[tuple[int, int, int]],
    blocked: set[dt.datetime],
) -> Choice:
    """「第一希望は3、第二希望は1」 and 「3番を第一希望、1番を第二希望」: ranked choices."""
    ranked: dict[int, _Ref] = {}
    used: set[int] = set()
    bounds = [m[0] for m in markers[1:]] + [len(text)]
    for (start, end, rank), limit in zip(markers, bounds, strict=True):
        stop = _CLAUSE_END.search(text, end)
        clause_end = min(limit, stop.start() if stop else len(text))
        after = [r for r in refs if end <= r.start < clause_end and id(r) not in used]
        if after:
            ref = after[0]
        else:
            # 「3番を第一希望」: the mention sits just before the marker.
            before = [r for r in refs if r.end <= start and id(r) not in used
                      and re.fullmatch(r"[\sをがはで、,]*", text[r.end:start])]
            if not before:
                continue
            ref = before[-1]
        used.add(id(ref))
        if rank in ranked:
            return Choice(None, None, "ambiguous",
                          f"The reply gives two slots for preference {rank}.")
        ranked[rank] = ref
    if not ranked and len(markers) == 1 and not refs and 1 <= markers[0][2] <= len(offered):
        # 「第二希望でお願いします」 alone, answering a numbered list: the list's second option
        # (as 「第2候補で」 would be). With anything else in the reply it stays ambiguous.
        return _settle(offered, (markers[0][2],), blocked)
    if not ranked:
        return Choice(
            None, None, "ambiguous",
            "The reply gives a preference rank (first or second choice) but no slot number "
            "or date; ask the applicant which slot they mean.",
        )
    preferences: list[int] = []
    for rank in sorted(ranked):
        ref = ranked[rank]
        if len(ref.numbers) != 1:
            why = (
                "fits several offered slots" if ref.numbers
                else "is not one of the offered slots"
            )
            return Choice(
                None, None, "ambiguous",
                f"Preference {rank} ({ref.label}) {why}; ask the applicant to confirm.",
            )
        number = next(iter(ref.numbers))
        if number not in preferences:
            preferences.append(number)
    return _settle(offered, tuple(preferences), blocked)


def _settle(offered: Sequence[Slot], preferences: tuple[int, ...], blocked: set[dt.datetime]) -> Choice:
    """The first preferred slot that is still free, or "unavailable" when none is."""
    for rank, number in enumerate(preferences, start=1):
        slot = offered[number - 1]
        if slot.start.astimezone(JST) in blocked:
            continue
        why = f"Chose {_describe(number, offered)}"
        if rank > 1:
            taken = ", ".join(str(x) for x in preferences[: rank - 1])
            why += f", preference {rank}; the earlier preference ({taken}) is taken"
        return Choice(slot, number, "chosen", why + ".", preferences)
    first = preferences[0]
    listed = ", ".join(str(x) for x in preferences)
    return Choice(
        offered[first - 1], first, "unavailable",
        f"The applicant chose slot {listed}, but it has been taken by someone else; "
        "offer other slots.",
        preferences,
    )
