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
    import holidays  # heavy: imported only when a date is checked

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
        """Business days after ``start`` up to and including ``end`` (0 if end ≤ start)."""
        if end <= start:
            return 0
        count = 0
        current = start + dt.timedelta(days=1)
        while current <= end:
            if self.is_business_day(current):
                count += 1
            current += dt.timedelta(days=1)
        return count

    def next_open_day(self, day: dt.date) -> dt.date:
        """A deadline that falls on a closed day moves to the next open day (FACTS §4)."""
        return self.add_business_days(day, 0)


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
