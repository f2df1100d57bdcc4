"""Office days: Japanese public holidays (``holidays``, JP, in Japanese), weekends and the
year-end closure (12/29–1/3 by default, 地方自治法 4条の2).

Used for reply deadlines, for how long an applicant has waited, and by the slot proposer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .i18n import _

DEFAULT_CLOSURE = ((12, 29), (1, 3))


@lru_cache(maxsize=256)
def _jp_holidays(year: int) -> dict[dt.date, str]:
    from . import _holiday_tables as table

    if table.FIRST_YEAR <= year <= table.LAST_YEAR:
        # The holidays package's answer, tabled (scripts/generate_holiday_tables.py): importing
        # the package and building a year took a third of a second of every draft.
        found: dict[dt.date, str] = {}
        for item in filter(None, table.HOLIDAYS.get(year, "").split(";")):
            found[dt.date(year, int(item[:2]), int(item[2:4]))] = item[4:]
        return found
    import holidays  # heavy: only for a year outside the table

    # language="ja": with LANG=C the names would otherwise come out in English (FACTS §4).
    return dict(holidays.country_holidays("JP", years=year, language="ja"))


def holiday_name(day: dt.date) -> str | None:
    """The Japanese public holiday on this day (振替休日 and 国民の休日 included), or None."""
    return _jp_holidays(day.year).get(day)


@dataclass(frozen=True)
class OfficeCalendar:
    """Which days the office is open. ``closure`` is an inclusive (month, day) span that may
    wrap the year end; ``blocked`` are extra single closed days."""

    closure: tuple[tuple[int, int], tuple[int, int]] | None = DEFAULT_CLOSURE
    blocked: frozenset[dt.date] = frozenset()

    def in_closure(self, day: dt.date) -> bool:
        if self.closure is None:
            return False
        (m1, d1), (m2, d2) = self.closure
        key = (day.month, day.day)
        if (m1, d1) <= (m2, d2):
            return (m1, d1) <= key <= (m2, d2)
        return key >= (m1, d1) or key <= (m2, d2)

    def is_business_day(self, day: dt.date) -> bool:
        """Weekdays that are not public holidays, closure days or blocked days."""
        return (
            day.weekday() < 5
            and holiday_name(day) is None
            and not self.in_closure(day)
            and day not in self.blocked
        )

    def add_business_days(self, day: dt.date, count: int) -> dt.date:
        """The business day ``count`` business days after ``day`` (count ≥ 0; 0 → ``day``
        itself if open, else the next open day)."""
        current = day
        if count == 0:
            while not self.is_business_day(current):
                current += dt.timedelta(days=1)
            return current
        remaining = count
        while remaining:
            current += dt.timedelta(days=1)
            if self.is_business_day(current):
                remaining -= 1
        return current

    def business_days_between(self, start: dt.date, end: dt.date) -> int:
        """Business days after ``start`` up to and including ``end`` (0 if end ≤ start).

        Counted from a running total per year (each year's days looked at once per calendar),
        so a message that has waited three years costs what one from yesterday does."""
        if end <= start:
            return 0
        if start.year == end.year:
            return self._through(end) - self._through(start)
        between = sum(_year_count(self, year)[-1] for year in range(start.year + 1, end.year))
        return _year_count(self, start.year)[-1] - self._through(start) + between + self._through(end)

    def _through(self, day: dt.date) -> int:
        """Business days from 1 January of ``day``'s year up to and including ``day``."""
        return _year_count(self, day.year)[day.timetuple().tm_yday - 1]

    def next_open_day(self, day: dt.date) -> dt.date:
        """A deadline that falls on a closed day moves to the next open day (FACTS §4)."""
        return self.add_business_days(day, 0)


@lru_cache(maxsize=512)
def _year_count(calendar: OfficeCalendar, year: int) -> tuple[int, ...]:
    """For each day of ``year``, the business days from 1 January up to and including it."""
    counts: list[int] = []
    total = 0
    day = dt.date(year, 1, 1)
    one = dt.timedelta(days=1)
    while day.year == year:
        total += calendar.is_business_day(day)
        counts.append(total)
        day += one
    return tuple(counts)


def parse_month_day(value: Any, key: str) -> tuple[int, int]:
    """'12-29' → (12, 29); raises ValueError naming the key."""
    if isinstance(value, str):
        try:
            month, day = (int(part) for part in value.split("-"))
            dt.date(2000, month, day)  # 2000 is a leap year: 02-29 is allowed
            return month, day
        except ValueError:
            pass
    raise ValueError(f"{key}: " + _("Expected MM-DD, found {value!r}.").format(value=value))


def calendar_from_settings(closure: Iterable[Any] | None, blocked: Iterable[Any] = ()) -> OfficeCalendar:
    """Build an OfficeCalendar from profile values (closure as two MM-DD strings)."""
    span: tuple[tuple[int, int], tuple[int, int]] | None
    if closure is None:
        span = DEFAULT_CLOSURE
    else:
        items = list(closure)
        if not items:
            span = None
        elif len(items) != 2:
            raise ValueError("closure: " + _("Expected two MM-DD values, found {value!r}.").format(
                value=items))
        else:
            span = (parse_month_day(items[0], "closure"), parse_month_day(items[1], "closure"))
    days = set()
    for value in blocked:
        try:
            days.add(value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)))
        except ValueError:
            raise ValueError("blocked_dates: " + _("Expected YYYY-MM-DD, found {value!r}.").format(
                value=value)) from None
    return OfficeCalendar(closure=span, blocked=frozenset(days))
