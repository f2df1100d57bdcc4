"""Dates and times as a letter writes them: the one formatter of each.

The message templates use these as Jinja filters (``month_day``, ``full_date``, ``era_date``,
``clock``, ``time_range``, ``slot_text``, ``local_note``, ``circled``), and the slot listings,
booking notes and errors use the same functions, so a slot reads the same wherever it appears.
The Japanese ones need no babel: Japanese weekday names and a 24-hour clock need no locale
data, and the CLI can list slots without loading it. English letters use the ``*_en``
functions under the same filter names: babel's English (British day-month order, a 24-hour
clock) with the time zone stated after every time ("Wednesday, 2 December 2026,
18:00–19:00 JST").
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InputError
from .i18n import _
from .models import JST, Slot

__all__ = [
    "CIRCLED",
    "WEEKDAYS_JA",
    "circled",
    "clock",
    "clock_en",
    "era_date",
    "full_date",
    "full_date_en",
    "local_note",
    "local_note_en",
    "local_time_note",
    "month_day",
    "month_day_en",
    "option",
    "slot_text",
    "slot_text_en",
    "time_range",
    "time_range_en",
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


# --- English -----------------------------------------------------------------------------------

# babel's British English: "Wednesday, 2 December 2026" and 18:00, read the same way the world
# over (a US reader is not left to wonder whether 12/2 is December or February).
_EN_LOCALE = "en_GB"


@lru_cache(maxsize=1024)
def _en_pattern(day: dt.date, pattern: str) -> str:
    from babel.dates import format_date

    return format_date(day, pattern, locale=_EN_LOCALE)


def month_day_en(value: dt.date | dt.datetime) -> str:
    """Wednesday, 2 December"""
    return _en_pattern(_as_date(value), "EEEE, d MMMM")


def full_date_en(value: dt.date | dt.datetime) -> str:
    """Wednesday, 2 December 2026 (English letters have no era years)."""
    return _en_pattern(_as_date(value), "EEEE, d MMMM y")


def _zone_label(moment: dt.datetime) -> str:
    """JST in Japan; elsewhere babel's name of the zone at that moment (Greenwich Mean Time,
    British Summer Time, Eastern Standard Time)."""
    if moment.utcoffset() == dt.timedelta(hours=9) and getattr(moment.tzinfo, "key", "") in (
        "Asia/Tokyo", "Japan",
    ):
        return "JST"
    from babel.dates import get_timezone_name

    return get_timezone_name(moment, "long", locale=_EN_LOCALE)


def _clock_en(moment: dt.datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def clock_en(value: dt.datetime) -> str:
    """18:00 JST (a naive datetime is refused: its zone would be a guess)."""
    if value.tzinfo is None:
        raise ValueError("clock_en() needs a timezone-aware datetime")
    moment = value.astimezone(JST)
    return f"{_clock_en(moment)} JST"


def time_range_en(slot: Slot, tz: str | None = None) -> str:
    """18:00–19:00 JST (in Asia/Tokyo unless ``tz`` is given); an end on the next day says so:
    23:30–00:30 JST (ending Thursday, 3 December)."""
    where = zone(tz)
    start, end = slot.start.astimezone(where), slot.end.astimezone(where)
    text = f"{_clock_en(start)}–{_clock_en(end)} {_zone_label(start)}"
    if end.date() != start.date():
        text += f" (ending {month_day_en(end)})"
    return text


def slot_text_en(slot: Slot, tz: str | None = None) -> str:
    """Wednesday, 2 December 2026, 18:00–19:00 JST, in Asia/Tokyo unless ``tz`` is given."""
    return f"{full_date_en(slot.start.astimezone(zone(tz)))}, {time_range_en(slot, tz)}"


def local_note_en(slot: Slot, tz: str) -> str:
    """For an applicant abroad: "(your time: Wednesday, 2 December, 09:00–10:00 Greenwich
    Mean Time)", or "" where the zone keeps Japan's clock that day (as ``local_time_note``)."""
    if not tz or tz == "Asia/Tokyo":
        return ""
    where = zone(tz)
    if slot.start.astimezone(where).utcoffset() == slot.start.astimezone(JST).utcoffset():
        return ""
    start = slot.start.astimezone(where)
    return f" (your time: {month_day_en(start)}, {time_range_en(slot, tz)})"


def option(number: int) -> str:
    """Option 1: how an English letter numbers the slots it offers (①, ② in Japanese)."""
    return f"Option {number}"
