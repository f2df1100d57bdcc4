"""Topic files: the season lines and a town's topics, loaded, validated and cached.

The built-in files live in the package ``kizuna.seasonal_topics`` (solar_terms.toml,
greetings.toml, towns/<id>.toml); a profile may name its own town file instead. Their schemas
are documented at the top of solar_terms.toml and towns/kitakami.toml. ``kizuna.topics.chooser``
picks among them for a message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from .. import seasons
from ..errors import TopicFileError
from ..i18n import N_, _
from ..language import has_japanese
from ..models import TONES, Tone
from ..textfiles import parse_toml, read_text_file

if TYPE_CHECKING:
    from ..profile import Profile

SEASON_FILES = ("solar_terms.toml", "greetings.toml")
PACKAGE = "kizuna.seasonal_topics"

# The 24 solar terms, from 小寒 (FACTS §1); kizuna.seasons names them the same way.
TERM_NAMES: tuple[str, ...] = (
    "小寒", "大寒", "立春", "雨水", "啓蟄", "春分", "清明", "穀雨", "立夏", "小満", "芒種", "夏至",
    "小暑", "大暑", "立秋", "処暑", "白露", "秋分", "寒露", "霜降", "立冬", "小雪", "大雪", "冬至",
)

# 雑節 as topic files name them → the id kizuna.seasons gives them. A 彼岸 or 土用 line names
# the whole period, which starts on 彼岸入り / 土用の入り.
ZASSETSU_IDS: dict[str, str] = {
    "節分": "setsubun",
    "春の彼岸": "higan_spring_start",
    "秋の彼岸": "higan_autumn_start",
    "八十八夜": "hachijuhachiya",
    "入梅": "nyubai",
    "半夏生": "hangesho",
    "春の土用": "doyo_spring",
    "夏の土用": "doyo_summer",
    "秋の土用": "doyo_autumn",
    "冬の土用": "doyo_winter",
    "二百十日": "nihyakutoka",
    "二百二十日": "nihyakuhatsuka",
}

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A solar term lasts 15 or 16 days, so its day index never exceeds 15.
MAX_TERM_DAY = 15
MAX_TEXT_CHARS = 80
# An English line says in two sentences at most what the Japanese says in one, and may explain
# the solar term it names.
MAX_TEXT_EN_CHARS = 240

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")

MonthDay = tuple[int, int]
LineRole = Literal["opening", "closing"]


# --- data ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class When:
    """When a season line is true: in a term, around a 雑節, in a month-day range, or always."""

    terms: tuple[str, ...] = ()
    zassetsu: str = ""
    days: tuple[int, int] | None = None
    dates: tuple[MonthDay, MonthDay] | None = None

    def holds(self, day: dt.date) -> bool:
        """True if ``day`` is inside this window."""
        if self.terms:
            if not seasons.FIRST_YEAR <= day.year <= seasons.LAST_YEAR:
                return False  # a climate shift reached past the computed years; 雑節 do the same
            name, index = term_position(day)
            if name not in self.terms:
                return False
            return self.days is None or self.days[0] <= index <= self.days[1]
        if self.zassetsu:
            return _zassetsu_holds(self.zassetsu, self.days, day)
        if self.dates is not None:
            return _in_month_days((day.month, day.day), *self.dates)
        return True

    @property
    def all_year(self) -> bool:
        return not self.terms and not self.zassetsu and self.dates is None

    def describe(self) -> str:
        """Short human description, for explain output."""
        if self.terms:
            text = "・".join(self.terms)
        elif self.zassetsu:
            text = self.zassetsu
        elif self.dates is not None:
            (m1, d1), (m2, d2) = self.dates
            return f"{m1:02d}-{d1:02d}..{m2:02d}-{d2:02d}"
        else:
            return _("all year")
        if self.days is not None:
            text += _(" day {first}..{last}").format(first=self.days[0], last=self.days[1])
        return text


@dataclass(frozen=True)
class SeasonLine:
    """One opening or closing line from a season file."""

    id: str
    role: LineRole
    tone: Tone
    text: str
    when: When
    tags: frozenset[str] = frozenset()
    towns: frozenset[str] = frozenset()
    # What the line is about ("spring-near", "snow-daily"): an applicant reads each theme once,
    # however many lines say it. Defaults to the id (a theme of its own).
    theme: str = ""
    # The line for English letters; "" when there is none (never used in an English letter).
    text_en: str = ""

    def text_in(self, language: str) -> str:
        """The line in a language ("ja" or "en"); "" when it has none in that language."""
        return self.text_en if language == "en" else self.text


@dataclass(frozen=True)
class TownWindow:
    """A town topic's window: a month-day range, or "N days from the nth weekday of a month"."""

    start: MonthDay | None = None
    end: MonthDay | None = None
    month: int = 0
    weekday: int = 0
    nth: int = 0
    length: int = 0

    def holds(self, day: dt.date) -> bool:
        """True if ``day`` is inside the window."""
        if self.start is not None and self.end is not None:
            return _in_month_days((day.month, day.day), self.start, self.end)
        for year in (day.year - 1, day.year):
            first = self._rule_start(year)
            if first is not None and 0 <= (day - first).days < self.length:
                return True
        return False

    def days_until_start(self, day: dt.date) -> int | None:
        """Days from ``day`` to the window's next start (None if no start within a year)."""
        best: int | None = None
        for year in (day.year, day.year + 1):
            first = self._start_in(year)
            if first is not None and first > day:
                gap = (first - day).days
                best = gap if best is None else min(best, gap)
        return best

    @property
    def all_year(self) -> bool:
        """True if the window is every day of the year (an evergreen topic)."""
        if self.start is None or self.end is None:
            return False
        if self.start <= self.end:
            return self.start == (1, 1) and self.end == (12, 31)
        following = dt.date(2001, *self.end) + dt.timedelta(days=1) if self.end != (2, 29) else None
        return following is not None and (following.month, following.day) == self.start

    def _start_in(self, year: int) -> dt.date | None:
        if self.start is not None:
            try:
                return dt.date(year, *self.start)
            except ValueError:  # 02-29 outside a leap year
                return None
        return self._rule_start(year)

    def _rule_start(self, year: int) -> dt.date | None:
        return _nth_weekday(year, self.month, self.weekday, self.nth)

    def describe(self) -> str:
        """Short human description, for explain output."""
        if self.start is not None and self.end is not None:
            return f"{self.start[0]:02d}-{self.start[1]:02d}..{self.end[0]:02d}-{self.end[1]:02d}"
        nth = _("last") if self.nth == -1 else _("#{number}").format(number=self.nth)
        return _("{days} days from the {nth} {weekday} of month {month}").format(
            days=self.length, nth=nth, weekday=WEEKDAYS[self.weekday], month=self.month)


@dataclass(frozen=True)
class TownTopic:
    """A festival, food or landscape of the town, with its window and variant lines."""

    id: str
    kind: str
    tone: Tone
    window: TownWindow
    lines: tuple[str, ...]
    source: str
    lead_days: int = 0
    lead: tuple[str, ...] = ()
    tags: frozenset[str] = frozenset()
    theme: str = ""
    # The variants for English letters (none: the topic is never used in one).
    lines_en: tuple[str, ...] = ()
    lead_en: tuple[str, ...] = ()

    def texts(self, phase: str, language: str = "ja") -> tuple[str, ...]:
        """The variants of one phase ("main" or "lead") in a language; () when it has none."""
        if language == "en":
            return self.lead_en if phase == "lead" else self.lines_en
        return self.lead if phase == "lead" else self.lines

    def phase_on(self, day: dt.date) -> Literal["main", "lead"] | None:
        """"main" inside the window, "lead" in the coming-soon days before it, else None."""
        if self.window.holds(day):
            return "main"
        if self.lead_days:
            gap = self.window.days_until_start(day)
            if gap is not None and gap <= self.lead_days:
                return "lead"
        return None


@dataclass(frozen=True)
class ClimateRule:
    """A town's correction to generic season lines with any of ``tags``."""

    id: str
    tags: frozenset[str]
    shift_days: int = 0
    suppress: tuple[MonthDay, MonthDay] | None = None

    def suppresses(self, day: dt.date) -> bool:
        return self.suppress is not None and _in_month_days((day.month, day.day), *self.suppress)


@dataclass(frozen=True)
class TownFile:
    """A validated town file."""

    id: str
    name: str
    topics: tuple[TownTopic, ...]
    climate: tuple[ClimateRule, ...]
    source: str

    def topic_id(self, topic: TownTopic, phase: str) -> str:
        """The id written to the log: "<town>:<topic>", with ":soon" for a lead line."""
        base = f"{self.id}:{topic.id}"
        return base + ":soon" if phase == "lead" else base


# Exclusion reasons (explain output).
# Exclusion reasons (explain output), marked for the catalog: translated where they are given.
OUT_OF_SEASON = N_("out of season")
OTHER_TOWN = N_("written for another town")
ALREADY_USED = N_("already used by this applicant")
QUIET_REASONS = frozenset({OUT_OF_SEASON, OTHER_TOWN})


# --- loading and validation ------------------------------------------------------------------


class _Problems:
    """Collects every problem of a file, each naming the entry and the key."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, entry: str, key: str, message: str) -> None:
        self.items.append(_("{entry}, key '{key}': {message}").format(
            entry=entry, key=key, message=message))


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    # Parsed once per text (kizuna.cache): the topic files were a seventh of a draft's time.
    from ..cache import cached_parse

    parsed: dict[str, Any] = cached_parse(
        "toml", text, lambda t: parse_toml(t, source=source, error=TopicFileError))
    return parsed


def _read_text(path: Path) -> str:
    return read_text_file(path, what=N_("topic file"), error=TopicFileError)


def _month_day(value: Any, problems: _Problems, entry: str, key: str) -> MonthDay | None:
    if not isinstance(value, str) or not (match := _MONTH_DAY.match(value)):
        problems.add(entry, key, _("expected a month-day as \"MM-DD\", found {value!r}").format(
            value=value))
        return None
    month, day = int(match.group(1)), int(match.group(2))
    try:
        dt.date(2000, month, day)  # a leap year, so 02-29 is accepted
    except ValueError:
        problems.add(entry, key, _("{value!r} is not a date in any year").format(value=value))
        return None
    return month, day


def _month_day_range(value: Any, problems: _Problems, entry: str, key: str,
                     ) -> tuple[MonthDay, MonthDay] | None:
    """A range given as ["MM-DD", "MM-DD"] or {from = ..., to = ...}."""
    if isinstance(value, Mapping):
        unknown = set(value) - {"from", "to"}
        for extra in sorted(unknown):
            problems.add(entry, f"{key}.{extra}", _("unknown key (expected 'from' and 'to')"))
        first = _month_day(value.get("from"), problems, entry, f"{key}.from")
        last = _month_day(value.get("to"), problems, entry, f"{key}.to")
    elif isinstance(value, list) and len(value) == 2:
        first = _month_day(value[0], problems, entry, f"{key}[0]")
        last = _month_day(value[1], problems, entry, f"{key}[1]")
    else:
        problems.add(entry, key, _("expected [\"MM-DD\", \"MM-DD\"], found {value!r}").format(
            value=value))
        return None
    if first is None or last is None:
        return None
    return first, last


def _str_list(value: Any, problems: _Problems, entry: str, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.add(entry, key, _("expected a list of strings, found {value!r}").format(value=value))
        return ()
    return tuple(value)


def _tone(value: Any, problems: _Problems, entry: str) -> Tone | None:
    if value not in TONES:
        problems.add(entry, "tone", _("unknown tone {value!r} (expected one of {names})").format(
            value=value, names=_(", ").join(TONES)))
        return None
    return cast(Tone, value)


def _text(value: Any, problems: _Problems, entry: str, key: str) -> str | None:
    """One sentence of Japanese, ending in 。 ."""
    if not isinstance(value, str) or not value.strip():
        problems.add(entry, key, _("expected a non-empty line of text"))
        return None
    if "\n" in value or "\r" in value:
        problems.add(entry, key, _("must be a single line"))
        return None
    if not value.endswith("。") or value.count("。") != 1:
        problems.add(entry, key, _("must be exactly one sentence ending in 。"))
        return None
    if len(value) > MAX_TEXT_CHARS:
        problems.add(entry, key, _("too long ({length} characters; at most {maximum})").format(
            length=len(value), maximum=MAX_TEXT_CHARS))
        return None
    return value


def _text_en(value: Any, problems: _Problems, entry: str, key: str) -> str | None:
    """One or two sentences of English, ending in a full stop, with no Japanese in them (an
    English letter never shows its reader a Japanese line)."""
    if not isinstance(value, str) or not value.strip():
        problems.add(entry, key, "expected a non-empty line of English text")
        return None
    if "\n" in value or "\r" in value:
        problems.add(entry, key, "must be a single line")
        return None
    if has_japanese(value):
        problems.add(entry, key, "must be English: it holds Japanese characters")
        return None
    if not value.endswith((".", ".'", '."', ".’", ".”")):
        problems.add(entry, key, "must end with a full stop")
        return None
    if len(value) > MAX_TEXT_EN_CHARS:
        problems.add(entry, key, f"too long ({len(value)} characters; at most {MAX_TEXT_EN_CHARS})")
        return None
    return value


def _english_list(item: Mapping[str, Any], key: str, problems: _Problems,
                  entry: str) -> tuple[str, ...]:
    raw = item.get(key, [])
    if not isinstance(raw, list):
        problems.add(entry, key, "expected a list of English lines")
        return ()
    return tuple(t for i, v in enumerate(raw) if (t := _text_en(v, problems, entry, f"{key}[{i}]")))


def _entry_id(item: Mapping[str, Any], label: str, index: int, problems: _Problems,
              seen: dict[str, str]) -> str:
    raw = item.get("id")
    where = f"{label} #{index + 1}"
    if not isinstance(raw, str) or not _ID.match(raw):
        problems.add(where, "id", _("expected a lowercase ascii id such as 'sakura-matsuri', "
                                    "found {value!r}").format(value=raw))
        return where
    if raw in seen:
        problems.add(raw, "id", _("duplicate id (also {other})").format(other=seen[raw]))
    else:
        seen[raw] = where
    return raw


def _unknown_keys(item: Mapping[str, Any], allowed: Collection[str], problems: _Problems,
                  entry: str) -> None:
    for key in sorted(set(item) - set(allowed)):
        problems.add(entry, key, _("unknown key (expected {names})").format(
            names=_(", ").join(sorted(allowed))))


_LINE_KEYS = ("id", "role", "term", "zassetsu", "dates", "days", "tone", "tags", "towns", "text",
              "theme", "text_en")


def _theme(item: Mapping[str, Any], entry: str, problems: _Problems) -> str:
    """The entry's theme: an ascii id like its own, which it is when left out."""
    value = item.get("theme", entry)
    if not isinstance(value, str) or not _ID.match(value):
        problems.add(entry, "theme", _("expected a lowercase ascii theme such as 'spring-near', "
                                       "found {value!r}").format(value=value))
        return entry
    return value


def _parse_line(item: Mapping[str, Any], entry: str, problems: _Problems) -> SeasonLine | None:
    before = len(problems.items)
    _unknown_keys(item, _LINE_KEYS, problems, entry)
    role = item.get("role", "opening")
    if role not in ("opening", "closing"):
        problems.add(entry, "role", _("unknown role {value!r} (expected 'opening' or "
                                      "'closing')").format(value=role))
    tone = _tone(item.get("tone"), problems, entry)
    if role == "closing" and tone is not None and tone != "gentle":
        problems.add(entry, "tone", _("a closing wish must be 'gentle': it also closes not-passed notices"))
    text = _text(item.get("text"), problems, entry, "text")
    given = [k for k in ("term", "zassetsu", "dates") if k in item]
    if len(given) > 1:
        problems.add(entry, given[1], _("give only one of term, zassetsu or dates (found "
                                        "{names})").format(names=_(", ").join(given)))
    if not given and role == "opening":
        problems.add(entry, "term", _("an opening line needs term, zassetsu or dates (only closings are all-year)"))
    terms: tuple[str, ...] = ()
    zassetsu = ""
    dates = None
    if "term" in item:
        terms = _str_list(item["term"], problems, entry, "term")
        for name in terms:
            if name not in TERM_NAMES:
                problems.add(entry, "term", _("unknown solar term {value!r} (expected one of "
                                              "{names})").format(value=name,
                                                                 names="、".join(TERM_NAMES)))
    elif "zassetsu" in item:
        value = item["zassetsu"]
        if value not in ZASSETSU_IDS:
            problems.add(entry, "zassetsu", _("unknown 雑節 {value!r} (expected one of "
                                              "{names})").format(value=value,
                                                                 names="、".join(ZASSETSU_IDS)))
        else:
            zassetsu = value
    elif "dates" in item:
        dates = _month_day_range(item["dates"], problems, entry, "dates")
    days = None
    if "days" in item:
        raw = item["days"]
        if not given or "dates" in given:
            problems.add(entry, "days", _("days only applies to a term or a 雑節"))
        elif (not isinstance(raw, list) or len(raw) != 2
              or not all(isinstance(v, int) and not isinstance(v, bool) for v in raw)):
            problems.add(entry, "days", _("expected [first, last] day numbers, found "
                                          "{value!r}").format(value=raw))
        elif raw[0] > raw[1]:
            problems.add(entry, "days", _("window never occurs: first day {first} is after last "
                                          "day {last}").format(first=raw[0], last=raw[1]))
        elif "term" in item and raw[0] < 0:
            problems.add(entry, "days", _("days after a term starts cannot be negative (0 = its first day)"))
        elif "term" in item and raw[0] > MAX_TERM_DAY:
            problems.add(entry, "days", _("window never occurs: a term lasts at most {days} days "
                                          "(day 0..{last})").format(days=MAX_TERM_DAY + 1,
                                                                    last=MAX_TERM_DAY))
        else:
            days = (raw[0], raw[1])
    tags = frozenset(_str_list(item.get("tags", []), problems, entry, "tags"))
    towns = frozenset(_str_list(item.get("towns", []), problems, entry, "towns"))
    theme = _theme(item, entry, problems)
    text_en = _text_en(item["text_en"], problems, entry, "text_en") if "text_en" in item else ""
    if len(problems.items) != before or tone is None or text is None:
        return None
    return SeasonLine(
        id=entry, role=cast(LineRole, role), tone=tone, text=text,
        when=When(terms=terms, zassetsu=zassetsu, days=days, dates=dates), tags=tags, towns=towns,
        theme=theme, text_en=text_en or "",
    )


def _parse_season_data(data: Mapping[str, Any], problems: _Problems, seen: dict[str, str]
                       ) -> list[SeasonLine]:
    _unknown_keys(data, ("line",), problems, "file")
    items = data.get("line", [])
    if not isinstance(items, list) or not items:
        problems.add("file", "line", _("expected one or more [[line]] tables"))
        return []
    lines: list[SeasonLine] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            problems.add(f"line #{index + 1}", "line", _("expected a table"))
            continue
        entry = _entry_id(item, "line", index, problems, seen)
        line = _parse_line(item, entry, problems)
        if line is not None:
            lines.append(line)
    return lines


def load_season_file(path: str | Path) -> tuple[SeasonLine, ...]:
    """Read and validate one season file; every problem is reported at once."""
    p = Path(path)
    problems = _Problems()
    lines = _parse_season_data(_parse_toml(_read_text(p), str(p)), problems, {})
    if problems.items:
        raise TopicFileError(_("The season file has problems:"), path=str(p),
                             problems=problems.items)
    return tuple(lines)


@lru_cache(maxsize=1)
def season_lines() -> tuple[SeasonLine, ...]:
    """All built-in season lines (both files), validated once and cached."""
    problems = _Problems()
    seen: dict[str, str] = {}
    lines: list[SeasonLine] = []
    for name in SEASON_FILES:
        text = resources.files(PACKAGE).joinpath(name).read_text(encoding="utf-8")
        lines += _parse_season_data(_parse_toml(text, name), problems, seen)
    if problems.items:
        raise TopicFileError(_("The built-in season files have problems:"), path=PACKAGE,
                             problems=problems.items)
    return tuple(lines)


def _season_tags() -> frozenset[str]:
    return frozenset(tag for line in season_lines() for tag in line.tags)


_TOPIC_KEYS = ("id", "kind", "tone", "window", "lines", "lead_days", "lead", "tags", "source",
               "theme", "lines_en", "lead_en")
_TOPIC_KINDS = ("festival", "food", "landscape", "culture")
_CLIMATE_KEYS = ("id", "tags", "shift_days", "suppress")


def _parse_window(value: Any, problems: _Problems, entry: str) -> TownWindow | None:
    if not isinstance(value, Mapping):
        problems.add(entry, "window", _("expected { from = \"MM-DD\", to = \"MM-DD\" } or "
                                        "{ month = M, weekday = \"fri\", nth = 1, days = 3 }"))
        return None
    if "from" in value or "to" in value:
        span = _month_day_range(value, problems, entry, "window")
        return None if span is None else TownWindow(start=span[0], end=span[1])
    before = len(problems.items)
    _unknown_keys(value, ("month", "weekday", "nth", "days"), problems, entry)
    month, weekday, nth, length = (value.get(k) for k in ("month", "weekday", "nth", "days"))
    if not isinstance(month, int) or isinstance(month, bool) or not 1 <= month <= 12:
        problems.add(entry, "window.month", _("expected a month 1-12, found {value!r}").format(
            value=month))
    if weekday not in WEEKDAYS:
        problems.add(entry, "window.weekday", _("expected one of {names}, found {value!r}").format(
            names=_(", ").join(WEEKDAYS), value=weekday))
    if not isinstance(nth, int) or isinstance(nth, bool) or nth not in (1, 2, 3, 4, 5, -1):
        problems.add(entry, "window.nth", _("window never occurs: nth must be 1-5 or -1 (last), "
                                            "found {value!r}").format(value=nth))
    if not isinstance(length, int) or isinstance(length, bool) or not 1 <= length <= 366:
        problems.add(entry, "window.days", _("window never occurs: days must be 1-366, found "
                                             "{value!r}").format(value=length))
    if len(problems.items) != before:
        return None
    return TownWindow(month=cast(int, month), weekday=WEEKDAYS.index(cast(str, weekday)),
                      nth=cast(int, nth), length=cast(int, length))


def _parse_topic(item: Mapping[str, Any], entry: str, problems: _Problems) -> TownTopic | None:
    before = len(problems.items)
    _unknown_keys(item, _TOPIC_KEYS, problems, entry)
    kind = item.get("kind", "")
    if kind not in _TOPIC_KINDS:
        problems.add(entry, "kind", _("unknown kind {value!r} (expected one of {names})").format(
            value=kind, names=_(", ").join(_TOPIC_KINDS)))
    tone = _tone(item.get("tone"), problems, entry)
    window = _parse_window(item.get("window"), problems, entry)
    raw_lines = item.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        problems.add(entry, "lines", _("expected a list of one or more lines (2-3 variants are best)"))
        raw_lines = []
    lines = tuple(t for i, v in enumerate(raw_lines) if (t := _text(v, problems, entry, f"lines[{i}]")))
    lead_days = item.get("lead_days", 0)
    raw_lead = item.get("lead", [])
    if not isinstance(lead_days, int) or isinstance(lead_days, bool) or not 0 <= lead_days <= 120:
        problems.add(entry, "lead_days", _("expected a number of days 1-120, found {value!r}").format(
            value=lead_days))
        lead_days = 0
    if not isinstance(raw_lead, list):
        problems.add(entry, "lead", _("expected a list of lines"))
        raw_lead = []
    lead = tuple(t for i, v in enumerate(raw_lead) if (t := _text(v, problems, entry, f"lead[{i}]")))
    if raw_lead and not lead_days:
        problems.add(entry, "lead_days", _("lead lines need lead_days (how many days before the window)"))
    if lead_days and not raw_lead:
        problems.add(entry, "lead", _("lead_days is set but there are no lead lines"))
    source = item.get("source")
    if not isinstance(source, str) or not source.strip():
        problems.add(entry, "source", _("say where the fact comes from (a page, a newspaper)"))
    tags = frozenset(_str_list(item.get("tags", []), problems, entry, "tags"))
    theme = _theme(item, entry, problems)
    lines_en = _english_list(item, "lines_en", problems, entry)
    lead_en = _english_list(item, "lead_en", problems, entry)
    if lead_en and not raw_lead:
        problems.add(entry, "lead_en", "English lead lines need the lead lines they translate")
    if len(problems.items) != before or tone is None or window is None:
        return None
    return TownTopic(id=entry, kind=kind, tone=tone, window=window, lines=lines,
                     source=cast(str, source), lead_days=lead_days, lead=lead, tags=tags,
                     theme=theme, lines_en=lines_en, lead_en=lead_en)


def _parse_climate(item: Mapping[str, Any], entry: str, problems: _Problems,
                   known_tags: frozenset[str]) -> ClimateRule | None:
    before = len(problems.items)
    _unknown_keys(item, _CLIMATE_KEYS, problems, entry)
    tags = _str_list(item.get("tags"), problems, entry, "tags")
    for tag in tags:
        if tag not in known_tags:
            problems.add(entry, "tags", _("no season line has the tag {tag!r} (known: {names})").format(
                tag=tag, names=_(", ").join(sorted(known_tags))))
    shift = item.get("shift_days", 0)
    if not isinstance(shift, int) or isinstance(shift, bool) or not -60 <= shift <= 60:
        problems.add(entry, "shift_days", _("expected a number of days from -60 to 60, found "
                                            "{value!r}").format(value=shift))
        shift = 0
    suppress = None
    if "suppress" in item:
        suppress = _month_day_range(item["suppress"], problems, entry, "suppress")
    if not shift and "suppress" not in item:
        problems.add(entry, "shift_days", _("a climate rule needs shift_days or suppress"))
    if len(problems.items) != before:
        return None
    return ClimateRule(id=entry, tags=frozenset(tags), shift_days=shift, suppress=suppress)


def _parse_town(data: Mapping[str, Any], source: str) -> TownFile:
    problems = _Problems()
    _unknown_keys(data, ("town", "topic", "climate"), problems, "file")
    head = data.get("town")
    town_id, name = "", ""
    if not isinstance(head, Mapping):
        problems.add("[town]", "town", _("expected a [town] table with id and name"))
    else:
        _unknown_keys(head, ("id", "name"), problems, "[town]")
        town_id, name = head.get("id", ""), head.get("name", "")
        if not isinstance(town_id, str) or not _ID.match(town_id):
            problems.add("[town]", "id", _("expected a lowercase ascii id such as 'kitakami', found "
                                           "{value!r}").format(value=town_id))
        if not isinstance(name, str) or not name.strip():
            problems.add("[town]", "name", _("expected the town's name"))
    seen: dict[str, str] = {}
    topics: list[TownTopic] = []
    raw_topics = data.get("topic", [])
    if not isinstance(raw_topics, list):
        problems.add("file", "topic", _("expected [[topic]] tables"))
        raw_topics = []
    for index, item in enumerate(raw_topics):
        if not isinstance(item, Mapping):
            problems.add(f"topic #{index + 1}", "topic", _("expected a table"))
            continue
        entry = _entry_id(item, "topic", index, problems, seen)
        topic = _parse_topic(item, entry, problems)
        if topic is not None:
            topics.append(topic)
    rules: list[ClimateRule] = []
    raw_rules = data.get("climate", [])
    if not isinstance(raw_rules, list):
        problems.add("file", "climate", _("expected [[climate]] tables"))
        raw_rules = []
    known_tags = _season_tags()
    for index, item in enumerate(raw_rules):
        if not isinstance(item, Mapping):
            problems.add(f"climate #{index + 1}", "climate", _("expected a table"))
            continue
        entry = _entry_id(item, "climate", index, problems, seen)
        rule = _parse_climate(item, entry, problems, known_tags)
        if rule is not None:
            rules.append(rule)
    if problems.items:
        raise TopicFileError(_("The town file has problems:"), path=source,
                             problems=problems.items)
    return TownFile(id=str(town_id), name=str(name), topics=tuple(topics),
                    climate=tuple(rules), source=source)


def load_town_file(path: str | Path) -> TownFile:
    """Read and validate a town file; every problem is reported at once."""
    p = Path(path)
    return _parse_town(_parse_toml(_read_text(p), str(p)), str(p))


@lru_cache(maxsize=16)
def _builtin_town(town_id: str) -> TownFile:
    folder = resources.files(PACKAGE).joinpath("towns")
    resource = folder.joinpath(f"{town_id}.toml")
    if not resource.is_file():
        known = sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))
        raise TopicFileError(
            _("There is no built-in town '{town}' (built-in: {names}). Set [topics] town in the "
              "profile to one of them, or to the path of your own town file.").format(
                town=town_id, names=_(", ").join(known)),
            path="profile [topics] town",
        )
    text = resource.read_text(encoding="utf-8")
    name = f"{PACKAGE}/towns/{town_id}.toml"
    return _parse_town(_parse_toml(text, name), name)


@lru_cache(maxsize=16)
def _user_town(path: str, mtime_ns: int, size: int) -> TownFile:
    # mtime and size are part of the key so an edited file is read again.
    return load_town_file(path)


def town_cache_key(profile: Profile) -> tuple[str, str, int, int]:
    path = profile.town_path()
    if path is None:
        return ("builtin", profile.town, 0, 0)
    try:
        stat = path.stat()
    except OSError:
        raise TopicFileError(
            _("The town file named in the profile cannot be read."), path=str(path),
        ) from None
    return ("path", str(path), stat.st_mtime_ns, stat.st_size)


def town_from_key(key: tuple[str, str, int, int]) -> TownFile:
    if key[0] == "builtin":
        return _builtin_town(key[1])
    return _user_town(key[1], key[2], key[3])


def town_for(profile: Profile) -> TownFile:
    """The profile's town: a built-in id such as "kitakami", or the user's own file."""
    return town_from_key(town_cache_key(profile))


@dataclass(frozen=True)
class FileCheck:
    """What ``check_topic_file`` found in a valid file: its number of entries, and the entries
    English letters leave out because they have no English line (each with what is missing)."""

    entries: int
    no_english: tuple[str, ...] = ()


def check_topic_file(path: str | Path) -> int:
    """Validate a town or season file; return its number of entries, or raise TopicFileError."""
    return check_topic_file_report(path).entries


def check_topic_file_report(path: str | Path) -> FileCheck:
    """Validate a town or season file (raising TopicFileError), and list what has no English."""
    p = Path(path)
    data = _parse_toml(_read_text(p), str(p))
    if "line" in data and not ({"town", "topic", "climate"} & set(data)):
        lines = load_season_file(p)
        return FileCheck(len(lines), missing_english_lines(lines))
    town = _parse_town(data, str(p))
    return FileCheck(len(town.topics) + len(town.climate), missing_english_topics(town))


def missing_english_lines(lines: Sequence[SeasonLine]) -> tuple[str, ...]:
    """The season lines without ``text_en``: never used in an English letter."""
    return tuple(f"line {line.id}: no text_en" for line in lines if not line.text_en)


def missing_english_topics(town: TownFile) -> tuple[str, ...]:
    """The town topics (or their coming-soon phase) with no English lines: never used in an
    English letter then."""
    found: list[str] = []
    for topic in town.topics:
        if not topic.lines_en:
            found.append(f"topic {topic.id}: no lines_en")
        elif topic.lead and not topic.lead_en:
            found.append(f"topic {topic.id}: no lead_en (its coming-soon lines)")
    return tuple(found)


# --- the calendar, cached per day ------------------------------------------------------------


@lru_cache(maxsize=4096)
def term_position(day: dt.date) -> tuple[str, int]:
    position = seasons.term_on(day)
    return position.term.name, position.day_index


@lru_cache(maxsize=512)
def _zassetsu_of_year(year: int) -> dict[str, tuple[dt.date, dt.date]]:
    if not seasons.FIRST_YEAR <= year <= seasons.LAST_YEAR:
        return {}
    return {z.id: (z.date, z.end or z.date) for z in seasons.zassetsu(year)}


def _zassetsu_years(days: tuple[int, int] | None, day: dt.date) -> tuple[int, ...]:
    """The years whose 雑節 can hold on ``day``.

    Every 雑節 starts and ends inside its own year (the earliest, 冬の土用, begins in mid
    January; the latest ends in early November), so a neighbouring year matters only when a
    ``days`` offset reaches across the year end. Skipping it spares computing that year's
    solar terms, which dominates the first pick of a batch.
    """
    years = [day.year]
    if days is not None and (day - dt.date(day.year - 1, 12, 31)).days <= days[1]:
        years.insert(0, day.year - 1)
    if days is not None and (dt.date(day.year + 1, 1, 1) - day).days <= -days[0]:
        years.append(day.year + 1)
    return tuple(years)


def _zassetsu_holds(name: str, days: tuple[int, int] | None, day: dt.date) -> bool:
    zid = ZASSETSU_IDS[name]
    for year in _zassetsu_years(days, day):
        span = _zassetsu_of_year(year).get(zid)
        if span is None:
            continue
        first, last = span
        if days is None:
            if first <= day <= last:
                return True
        elif days[0] <= (day - first).days <= days[1]:
            return True
    return False


def _in_month_days(md: MonthDay, first: MonthDay, last: MonthDay) -> bool:
    if first <= last:
        return first <= md <= last
    return md >= first or md <= last  # wraps the year end


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> dt.date | None:
    if nth == -1:
        following = dt.date(year + (month == 12), month % 12 + 1, 1)
        last = following - dt.timedelta(days=1)
        return last - dt.timedelta(days=(last.weekday() - weekday) % 7)
    first = dt.date(year, month, 1)
    day = first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    return day if day.month == month else None


