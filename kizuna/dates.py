"""Dates and times as a Japanese letter writes them: the one formatter of each.

The message templates use these as Jinja filters (``month_day``, ``full_date``, ``era_date``,
``clock``, ``time_range``, ``slot_text``, ``local_note``, ``circled``), and the slot listings,
booking notes and errors use the same functions, so a slot reads the same wherever it appears.
No babel: Japanese weekday names and a 24-hour clock need no locale data, and the CLI can list
slots without loading it.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InputError
from .i18n import _
from .models import JST, Slot

__all__ = [
    "CIRCLED",
    "WEEKDAYS_JA",
    "circled",
    "clock",
    "era_date",
    "full_date",
    "local_note",
    "local_time_note",
    "month_day",
    "slot_text",
    "time_range",
    "zone",
]

WEEKDAYS_JA = "月火水木金土日"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    # An aware datetime keeps its own zone's date: a slot shown in New York time must show
    # New York's date. Slots are built in Asia/Tokyo, so the usual case is Japan's date.
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def zone(name: str | None) -> dt.tzinfo:
    """The IANA zone ``name`` (Asia/Tokyo when None); an unknown name raises InputError."""
    if not name or name == "Asia/Tokyo":
        return JST
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        raise InputError(
            _("Unknown time zone {name!r}.").format(name=name), field="timezone",
            hint=_("Use an IANA name such as Europe/London or America/New_York."),
        ) from None


def month_day(value: dt.date | dt.datetime) -> str:
    """12月5日（土）"""
    day = _as_date(value)
    return f"{day.month}月{day.day}日（{WEEKDAYS_JA[day.weekday()]}）"


def full_date(value: dt.date | dt.datetime) -> str:
    """2026年12月5日（土）"""
    return f"{_as_date(value).year}年{month_day(value)}"


def era_date(value: dt.date | dt.datetime) -> str:
    """令和8年12月5日（土）, with 元年 for the first year of an era."""
    from .seasons import era_year

    return era_year(_as_date(value)) + month_day(value)


def clock(value: dt.datetime) -> str:
    """18:00 in Japan time (a naive datetime is refused: its zone would be a guess)."""
    if value.tzinfo is None:
        raise ValueError("clock() needs a timezone-aware datetime")
    moment = value.astimezone(JST)
    return f"{moment.hour}:{moment.minute:02d}"


def _clock_in(moment: dt.datetime) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def time_range(slot: Slot, tz: str | None = None) -> str:
    """18:00〜19:00 (in Asia/Tokyo unless ``tz`` is given); an end on the next day carries
    its own date: 23:30〜12月6日（日）0:30."""
    where = zone(tz)
    start, end = slot.start.astimezone(where), slot.end.astimezone(where)
    tail = _clock_in(end) if end.date() == start.date() else month_day(end) + _clock_in(end)
    return f"{_clock_in(start)}〜{tail}"


def slot_text(slot: Slot, tz: str | None = None) -> str:
    """12月5日（土）10:00〜11:00, in Asia/Tokyo unless ``tz`` is given."""
    return f"{month_day(slot.start.astimezone(zone(tz)))}{time_range(slot, tz)}"


def local_time_note(slot: Slot, tz_name: str | None) -> str | None:
    """「（現地時間 12月5日（金）20:00〜21:00）」 for an applicant abroad.

    None when no time zone is given or when the zone keeps Japan's clock on that day (Seoul),
    where a second time would only confuse. An unknown zone name raises InputError.
    """
    if not tz_name or tz_name == "Asia/Tokyo":
        return None
    where = zone(tz_name)
    if slot.start.astimezone(where).utcoffset() == slot.start.astimezone(JST).utcoffset():
        return None
    return f"（現地時間 {slot_text(slot, tz_name)}）"


def local_note(slot: Slot, tz: str) -> str:
    """The template filter: the local-time note, or ""."""
    return local_time_note(slot, tz) or ""


def circled(number: int) -> str:
    """① for 1 … ⑳ for 20; (21) beyond."""
    return CIRCLED[number - 1] if 1 <= number <= len(CIRCLED) else f"({number})"
