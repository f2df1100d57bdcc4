"""The slot policy: when interviews may be offered (weekday evenings, weekends, closures),
parsed and checked once, from the profile's [slots] table."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..calendar import OfficeCalendar, calendar_from_settings, holiday_name, parse_month_day
from ..dates import CIRCLED
from ..errors import ProfileError
from ..i18n import _

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

SLOT_KEYS = frozenset(DEFAULTS) | {"closure", "blocked_dates", "blocked_periods"}

MonthDaySpan = tuple[tuple[int, int], tuple[int, int]]

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
    # Spans of every year with no interviews (MM-DD to MM-DD, inclusive, e.g. お盆): the office
    # is open, so they are business days for deadlines, but nobody is there to interview.
    blocked_periods: tuple[MonthDaySpan, ...] = ()

    def blocked(self, day: dt.date) -> bool:
        """True if ``day`` is a blocked date or in a blocked period."""
        if day in self.blocked_dates:
            return True
        key = (day.month, day.day)
        for first, last in self.blocked_periods:
            if (first <= key <= last) if first <= last else (key >= first or key <= last):
                return True
        return False

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
                _("Expected {expected}, found {value!r}.").format(expected=expected, value=value),
                path=source, field=f"slots.{key}",
            )

        for key in data:
            if key not in SLOT_KEYS:
                raise ProfileError(
                    _("Unknown key {key!r}.").format(key=key), path=source, field=f"slots.{key}",
                    hint=_("Known keys: {keys}.").format(keys=_(", ").join(sorted(SLOT_KEYS))),
                )

        def times(key: str) -> tuple[dt.time, ...]:
            value = data.get(key, DEFAULTS[key])
            if not isinstance(value, list):
                raise fail(key, _("a list of times like \"18:00\""), value)
            parsed: list[dt.time] = []
            for i, item in enumerate(value):
                parsed.append(_parse_time(item, f"{key}[{i}]", source))
            # Duplicates would offer the same start twice; the order in the file does not matter.
            return tuple(sorted(set(parsed)))

        def whole(key: str, minimum: int, maximum: int) -> int:
            value = data.get(key, DEFAULTS[key])
            if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
                raise fail(key, _("a whole number from {minimum} to {maximum}").format(
                    minimum=minimum, maximum=maximum), value)
            return value

        offer_holidays = data.get("offer_holidays", DEFAULTS["offer_holidays"])
        if not isinstance(offer_holidays, bool):
            raise fail("offer_holidays", _("true or false"), offer_holidays)
        blocked_raw = data.get("blocked_dates", [])
        if not isinstance(blocked_raw, list):
            raise fail("blocked_dates", _("a list of dates like \"2026-12-10\""), blocked_raw)
        periods_raw = data.get("blocked_periods", [])
        periods: list[MonthDaySpan] = []
        if not isinstance(periods_raw, list):
            raise fail("blocked_periods", _('a list of spans like ["08-13", "08-16"]'), periods_raw)
        for i, span in enumerate(periods_raw):
            if not isinstance(span, list) or len(span) != 2:
                raise fail(f"blocked_periods[{i}]", _('a span like ["08-13", "08-16"]'), span)
            try:
                first, last = (parse_month_day(v, "blocked_periods") for v in span)
            except ValueError:
                raise fail(f"blocked_periods[{i}]", _('a span like ["08-13", "08-16"]'),
                           span) from None
            periods.append((first, last))
        closure_raw = data.get("closure")
        if closure_raw is not None and not isinstance(closure_raw, list):
            raise fail("closure", _("two dates as MM-DD, e.g. [\"12-29\", \"01-03\"]"), closure_raw)
        try:
            calendar = calendar_from_settings(closure_raw, blocked_raw)
        except ValueError as exc:
            key = "blocked_dates" if str(exc).startswith("blocked_dates") else "closure"
            detail = str(exc).split(": ", 1)[-1]  # a sentence, in the language of the moment
            raise ProfileError(detail, path=source, field=f"slots.{key}") from None
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
            blocked_periods=tuple(periods),
        )
        for key, values in (("weekday_times", policy.weekday_times),
                            ("weekend_times", policy.weekend_times)):
            for t in values:
                # An interview that runs past midnight is surely a typo (e.g. "23:30" for 13:30).
                end = dt.datetime.combine(dt.date(2000, 1, 1), t) + policy.duration
                if end.date() != dt.date(2000, 1, 1) and end.time() != dt.time(0):
                    raise ProfileError(
                        _("An interview starting at {start} would run past midnight "
                          "({minutes} minutes).").format(start=f"{t:%H:%M}",
                                                         minutes=policy.duration_minutes),
                        path=source, field=f"slots.{key}",
                    )
        return policy

    def day_kind(self, day: dt.date) -> Literal["weekday", "weekend", "closed", "holiday"]:
        """How this policy treats a day: which times it gets, or why it gets none."""
        if self.calendar.in_closure(day) or self.blocked(day):
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
        _("Expected a time as HH:MM (24-hour, e.g. \"18:00\"), found {value!r}.").format(
            value=value),
        path=source, field=f"slots.{key}",
    )


