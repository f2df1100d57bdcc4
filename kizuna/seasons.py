"""Solar terms (二十四節気), 雑節 and Japanese era dates, computed exactly for 1900–2100.

Japan's calendar uses 定気法: a solar term begins at the instant the Sun's apparent geocentric
ecliptic longitude (true equinox and ecliptic of date, with nutation and aberration) reaches a
multiple of 15°, and its date is the calendar day in Japan Standard Time (UTC+9) that contains
that instant. A fixed-date table is wrong every few years, and some crossings fall within
seconds of midnight, so the dates are computed here, not looked up:

* the Earth's heliocentric longitude from VSOP87D (Bretagnon & Francou 1988), truncated to the
  terms that matter at the 0.01″ level over 1900–2100, plus the FK5 correction;
* a small fitted correction from VSOP87D's FK5/IAU 1976 frame to the IAU 2006/ICRS frame that
  modern ephemerides use (it is essentially the IAU 2000 precession-rate correction of
  −0.30″/century plus the frame bias), so results agree with JPL/SOFA, not only with Meeus;
* nutation in longitude from IAU 2000B (77 luni-solar terms; it supersedes IAU 1980);
* annual aberration −20.4898″/R;
* ΔT = TT − UT1 from a yearly table (IERS observations through 2026, then the long-term
  prediction of Morrison, Stephenson, Hohenkerk & Zawilski 2021), linearly interpolated.

The crossing is solved by the secant method to about a millisecond. The numeric tables live in
the generated module ``kizuna/_season_tables.py``, written by
``scripts/generate_seasons_tables.py``; the result is
checked against DE421 (skyfield) and SOFA (pyerfa) for every term of every year by
``scripts/verify_solar_terms.py``: over 1900–2100 the instants differ from SOFA by at most 0.54 s
and from DE421 (1900–2052) by at most 0.62 s, and no date differs. The closest call is 雨水 2030,
3.3 s before midnight; with the Espenak–Meeus ΔT polynomials instead of the table every date
would still be the same.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from ._season_tables import DELTA_T as _DELTA_T
from ._season_tables import DELTA_T_FIRST_YEAR as _DELTA_T_FIRST_YEAR
from ._season_tables import FRAME_CORRECTION as _FRAME_CORRECTION
from ._season_tables import NUTATION_ARGUMENTS as _NUTATION_ARGUMENTS
from ._season_tables import NUTATION_TERMS as _NUTATION_TERMS
from ._season_tables import VSOP87D_L as _VSOP87D_L
from ._season_tables import VSOP87D_R as _VSOP87D_R
from .errors import InputError
from .i18n import _
from .models import JST

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "SERVED_YEARS",
    "Almanac",
    "SolarTerm",
    "TermPosition",
    "Zassetsu",
    "almanac",
    "check_served_date",
    "era_date",
    "era_year",
    "solar_terms",
    "term_on",
    "zassetsu",
    "zassetsu_on",
]

DateT = TypeVar("DateT", bound=dt.date)

FIRST_YEAR = 1900
LAST_YEAR = 2100
# The years kizuna serves: every date it is given (a send date, a start day, a slot) must fall
# in them, because the solar terms behind the season lines are computed for them only.
SERVED_YEARS = (FIRST_YEAR, LAST_YEAR)

# The calendar day of a term is taken in 中央標準時 (UTC+9) even in the summers of 1948–1951,
# when Japan briefly kept daylight time: the almanac is reckoned in standard time.
_STANDARD_TIME = dt.timezone(dt.timedelta(hours=9))
_UNIX_EPOCH_JD = 2440587.5
_UTC_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_J2000 = 2451545.0
_ARCSEC = math.pi / (180.0 * 3600.0)

# (kanji, hiragana reading, ecliptic longitude in degrees), in calendar order from 小寒.
_TERMS: tuple[tuple[str, str, int], ...] = (
    # Lesser cold
    ("小寒", "しょうかん", 285),
    # Greater cold
    ("大寒", "だいかん", 300),
    # Start of spring
    ("立春", "りっしゅん", 315),
    # Rain water
    ("雨水", "うすい", 330),
    # Awakening of insects
    ("啓蟄", "けいちつ", 345),
    # Spring equinox
    ("春分", "しゅんぶん", 0),
    # Clear and bright
    ("清明", "せいめい", 15),
    # Grain rain
    ("穀雨", "こくう", 30),
    # Start of summer
    ("立夏", "りっか", 45),
    # Grain buds
    ("小満", "しょうまん", 60),
    # Grain in ear
    ("芒種", "ぼうしゅ", 75),
    # Summer solstice
    ("夏至", "げし", 90),
    # Lesser heat
    ("小暑", "しょうしょ", 105),
    # Greater heat
    ("大暑", "たいしょ", 120),
    # Start of autumn
    ("立秋", "りっしゅう", 135),
    # End of heat
    ("処暑", "しょしょ", 150),
    # White dew
    ("白露", "はくろ", 165),
    # Autumn equinox
    ("秋分", "しゅうぶん", 180),
    # Cold dew
    ("寒露", "かんろ", 195),
    # Frost descent
    ("霜降", "そうこう", 210),
    # Start of winter
    ("立冬", "りっとう", 225),
    # Lesser snow
    ("小雪", "しょうせつ", 240),
    # Greater snow
    ("大雪", "たいせつ", 255),
    # Winter solstice
    ("冬至", "とうじ", 270),
)

# Index in _TERMS of the terms the 雑節 are reckoned from.
_RISSHUN, _SHUNBUN, _RIKKA, _RISSHU, _SHUUBUN, _RITTOU = 2, 5, 8, 14, 17, 20


@dataclass(frozen=True)
class SolarTerm:
    """One of the 24 solar terms of a year, with the instant it begins and its JST date."""

    index: int  # 0..23, calendar order from 小寒
    name: str
    reading: str
    longitude: int  # apparent ecliptic longitude of the Sun, degrees (春分 = 0)
    instant: dt.datetime  # aware, Asia/Tokyo, truncated to the second
    date: dt.date  # the JST (UTC+9) calendar day containing the instant

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping: name, reading, longitude, date, instant (ISO 8601)."""
        return {
            "name": self.name,
            "reading": self.reading,
            "longitude": self.longitude,
            "date": self.date.isoformat(),
            "instant": self.instant.isoformat(),
        }


@dataclass(frozen=True)
class TermPosition:
    """Where a date falls: in ``term``'s period, ``day_index`` days after it began."""

    term: SolarTerm
    day_index: int  # 0 on the term's first day
    next_term: SolarTerm

    @property
    def days_to_next(self) -> int:
        """Days from the date to the next term's first day (1 on its eve)."""
        return (self.next_term.date - self.term.date).days - self.day_index


@dataclass(frozen=True)
class Zassetsu:
    """A 雑節 (seasonal marker); ``end`` is the last day of a period such as 彼岸 or 土用."""

    id: str
    name: str
    date: dt.date
    end: dt.date | None = None

    def contains(self, day: dt.date) -> bool:
        """True on the day itself, or on any day of its period."""
        if self.end is None:
            return day == self.date
        return self.date <= day <= self.end

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping: id, name, date, end (ISO dates, end may be null)."""
        return {
            "id": self.id,
            "name": self.name,
            "date": self.date.isoformat(),
            "end": self.end.isoformat() if self.end else None,
        }


@dataclass(frozen=True)
class Almanac:
    """A year's solar terms and 雑節 together (what ``kizuna seasons`` prints)."""

    year: int
    terms: tuple[SolarTerm, ...]
    zassetsu: tuple[Zassetsu, ...]


# --- public API -------------------------------------------------------------------------------


def solar_terms(year: int) -> list[SolarTerm]:
    """The 24 solar terms of ``year`` in date order, from 小寒 (early January) to 冬至."""
    _check_year(year)
    return list(_year_terms(year))


def term_on(day: dt.date) -> TermPosition:
    """Which solar term's period ``day`` is in, and how many days into it.

    Before 小寒 of a year the period is that of 冬至 of the year before.
    """
    day = _as_date(day)
    _check_year(day.year)
    terms = _year_terms(day.year)
    if day < terms[0].date:
        previous = _year_terms(day.year - 1)
        return TermPosition(previous[-1], (day - previous[-1].date).days, terms[0])
    for i in range(len(terms) - 1, -1, -1):
        if terms[i].date <= day:
            following = terms[i + 1] if i + 1 < len(terms) else _year_terms(day.year + 1)[0]
            return TermPosition(terms[i], (day - terms[i].date).days, following)
    raise AssertionError("unreachable: the first term was checked above")  # pragma: no cover


def zassetsu(year: int) -> list[Zassetsu]:
    """The 雑節 of ``year`` in date order (periods carry their last day in ``end``)."""
    _check_year(year)
    return list(_year_zassetsu(year))


def zassetsu_on(day: dt.date) -> list[Zassetsu]:
    """The 雑節 that fall on ``day`` or whose period (彼岸, 土用) contains it."""
    day = _as_date(day)
    _check_year(day.year)
    return [item for item in _year_zassetsu(day.year) if item.contains(day)]


def almanac(year: int) -> Almanac:
    """The solar terms and 雑節 of ``year``."""
    _check_year(year)
    return Almanac(year, _year_terms(year), _year_zassetsu(year))


# (era name, first day), newest first.
_ERAS: tuple[tuple[str, dt.date], ...] = (
    # Reiwa
    ("令和", dt.date(2019, 5, 1)),
    # Heisei
    ("平成", dt.date(1989, 1, 8)),
    # Showa
    ("昭和", dt.date(1926, 12, 25)),
)


def era_year(day: dt.date) -> str:
    """The Japanese era year of ``day``: "令和8年", with year one written "令和元年"."""
    day = _as_date(day)
    for name, start in _ERAS:
        if day >= start:
            number = day.year - start.year + 1
            return f"{name}{'元' if number == 1 else number}年"
    raise InputError(
        _("{day} is before the Shōwa era; era dates are supported from {first} on.").format(
            day=day.isoformat(), first=_ERAS[-1][1].isoformat()),
        field="date",
    )


def era_date(day: dt.date) -> str:
    """The date in Japanese era form: "令和8年12月5日"."""
    day = _as_date(day)
    return f"{era_year(day)}{day.month}月{day.day}日"


# --- the year's terms and 雑節 --------------------------------------------------------------


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError(
            _("year {year} is outside the supported range {first}–{last}.").format(
                year=year, first=FIRST_YEAR, last=LAST_YEAR),
            field="year",
            hint=_("Give a year from {first} to {last}.").format(first=FIRST_YEAR, last=LAST_YEAR),
        )


def check_served_date(day: DateT, field: str = "date") -> DateT:
    """``day`` itself when it falls in SERVED_YEARS (a datetime by its JST date), else an
    InputError naming ``field`` and the range. Every entry point that takes a date calls this."""
    try:
        year = _as_date(day).year
    except OverflowError:  # an aware time at the very end (or start) of the calendar
        year = day.year
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError(
            _("{day} is outside the years kizuna serves ({first}–{last}).").format(
                day=day.isoformat(), first=FIRST_YEAR, last=LAST_YEAR),
            field=field,
            hint=_("Give a date from {first}-01-01 to {last}-12-31.").format(
                first=FIRST_YEAR, last=LAST_YEAR),
        )
    return day


def _as_date(day: dt.date) -> dt.date:
    """Accept a date, or a datetime (an aware one is first converted to JST)."""
    if isinstance(day, dt.datetime):
        return day.astimezone(JST).date() if day.tzinfo else day.date()
    return day


@lru_cache(maxsize=256)
def _year_terms(year: int) -> tuple[SolarTerm, ...]:
    """The 24 terms of any year the series is good for (1899 and 2101 serve term_on's edges)."""
    terms = []
    for index, (name, reading, longitude) in enumerate(_TERMS):
        instant, day = _crossing(year, longitude)
        terms.append(SolarTerm(index, name, reading, longitude, instant, day))
    return tuple(terms)


@lru_cache(maxsize=256)
def _year_zassetsu(year: int) -> tuple[Zassetsu, ...]:
    terms = _year_terms(year)
    risshun = terms[_RISSHUN].date
    days = dt.timedelta
    items = [
        Zassetsu("setsubun", "節分", risshun - days(1)),
        Zassetsu("hachijuhachiya", "八十八夜", risshun + days(87)),
        Zassetsu("nyubai", "入梅", _crossing(year, 80)[1]),
        Zassetsu("hangesho", "半夏生", _crossing(year, 100)[1]),
        Zassetsu("nihyakutoka", "二百十日", risshun + days(209)),
        Zassetsu("nihyakuhatsuka", "二百二十日", risshun + days(219)),
    ]
    # 彼岸: seven days centred on the equinox day.
    for season, equinox, label in (("spring", terms[_SHUNBUN].date, "春"),
                                   ("autumn", terms[_SHUUBUN].date, "秋")):
        items += [
            Zassetsu(f"higan_{season}_start", f"{label}の彼岸入り", equinox - days(3), equinox + days(3)),
            Zassetsu(f"higan_{season}_middle", f"{label}の彼岸の中日", equinox),
            Zassetsu(f"higan_{season}_end", f"{label}の彼岸明け", equinox + days(3)),
        ]
    # 土用: from the Sun at 297°/27°/117°/207° to the day before the next 立春/立夏/立秋/立冬.
    for season, longitude, label, next_start in (
        ("winter", 297, "冬", terms[_RISSHUN].date),
        ("spring", 27, "春", terms[_RIKKA].date),
        ("summer", 117, "夏", terms[_RISSHU].date),
        ("autumn", 207, "秋", terms[_RITTOU].date),
    ):
        items.append(Zassetsu(f"doyo_{season}", f"{label}の土用入り", _crossing(year, longitude)[1],
                              next_start - days(1)))
    return tuple(sorted(items, key=lambda item: (item.date, item.end is None)))


# --- astronomy --------------------------------------------------------------------------------


# Every longitude a year's terms and 雑節 need, in the order of kizuna/_term_instants.py.
CROSSING_LONGITUDES: tuple[float, ...] = (*(float(15 * n) for n in range(24)),
                                          80.0, 100.0, 27.0, 117.0, 207.0, 297.0)


def _crossing(year: int, longitude: float) -> tuple[dt.datetime, dt.date]:
    """The instant (JST, to the second) and JST date the Sun reaches ``longitude`` in ``year``:
    from kizuna/_term_instants.py (this computation, tabled by
    scripts/generate_term_instants.py: 30 crossings were a tenth of a draft's time), else
    computed."""
    from . import _term_instants as table

    row = table.CROSSINGS.get(year)
    if row is not None and longitude in _LONGITUDE_INDEX:
        utc = dt.datetime.fromtimestamp(row[_LONGITUDE_INDEX[longitude]], dt.UTC)
        return utc.astimezone(JST), utc.astimezone(_STANDARD_TIME).date()
    return compute_crossing(year, longitude)


_LONGITUDE_INDEX = {longitude: index for index, longitude in enumerate(CROSSING_LONGITUDES)}


def compute_crossing(year: int, longitude: float) -> tuple[dt.datetime, dt.date]:
    """``_crossing`` computed: the VSOP87D series solved for the instant.

    Every longitude used here is reached once within a calendar year, so the guess is the
    mean-Sun day counted from 小寒 (285°, about 5 January).
    """
    jd_guess = _julian_day(dt.date(year, 1, 5)) + ((longitude - 285.0) % 360.0) * (365.2422 / 360.0)
    jd_tt = _solve_longitude(longitude, jd_guess)
    jd_ut = jd_tt - _delta_t(jd_tt) / 86400.0
    utc = _UTC_EPOCH + dt.timedelta(days=jd_ut - _UNIX_EPOCH_JD)
    utc = utc.replace(microsecond=0)  # truncating never moves the instant across midnight
    return utc.astimezone(JST), utc.astimezone(_STANDARD_TIME).date()


def _julian_day(day: dt.date) -> float:
    """Julian day number at 0h UT of ``day``."""
    return day.toordinal() + 1721424.5


def _wrap(degrees: float) -> float:
    """An angle difference folded into [-180, 180)."""
    return (degrees + 180.0) % 360.0 - 180.0


def _solve_longitude(target: float, jd_guess: float) -> float:
    """The TT Julian day near ``jd_guess`` when the apparent longitude equals ``target``.

    A cheap low-precision Sun (Meeus ch. 25) brings the guess within minutes, then the secant
    method on the full series converges in three or four evaluations.
    """
    t0 = jd_guess
    for _step in range(4):
        t0 += _wrap(target - _low_precision_longitude(t0)) / 0.98564736
    f0 = _wrap(target - _apparent_longitude(t0))
    t1 = t0 + f0 / 0.98564736
    for _step in range(8):
        f1 = _wrap(target - _apparent_longitude(t1))
        if f1 == f0:
            break
        t0, t1, f0 = t1, t1 + f1 * (t1 - t0) / (f0 - f1), f1
        if abs(t1 - t0) < 1e-8:  # about a millisecond
            break
    return t1


def _low_precision_longitude(jd_tt: float) -> float:
    """The Sun's apparent longitude to about 0.01° (Meeus ch. 25, low accuracy)."""
    t = (jd_tt - _J2000) / 36525.0
    mean_longitude = 280.46646 + 36000.76983 * t
    anomaly = math.radians(357.52911 + 35999.05029 * t)
    centre = 1.914602 * math.sin(anomaly) + 0.019993 * math.sin(2 * anomaly)
    node = math.radians(125.04 - 1934.136 * t)
    return (mean_longitude + centre - 0.00569 - 0.00478 * math.sin(node)) % 360.0


def _series(terms: tuple[tuple[tuple[float, float, float], ...], ...], tau: float) -> float:
    """Evaluate a VSOP87 series: sum over k of tau**k * sum(A cos(B + C tau)), in 1e-8 units."""
    total = 0.0
    power = 1.0
    for group in terms:
        total += power * sum(a * math.cos(b + c * tau) for a, b, c in group)
        power *= tau
    return total


def _nutation_longitude(t: float) -> float:
    """Nutation in longitude, arcseconds (IAU 2000B: 77 luni-solar terms, linear arguments)."""
    args = [((a0 + a1 * t) % 1296000.0) * _ARCSEC for a0, a1 in _NUTATION_ARGUMENTS]
    total = 0.0
    for (ml, ms, mf, md, mo), s, sdot, c in _NUTATION_TERMS:
        arg = ml * args[0] + ms * args[1] + mf * args[2] + md * args[3] + mo * args[4]
        total += (s + sdot * t) * math.sin(arg) + c * math.cos(arg)
    # Series in 0.1 microarcseconds; -0.135 mas stands in for the planetary terms (IAU 2000B).
    return total * 1e-7 - 0.000135


def _raw_longitude(jd_tt: float) -> float:
    """Apparent longitude from VSOP87D + FK5 + nutation + aberration, degrees, before the
    frame correction (kept separate so the generating script can fit that correction)."""
    tau = (jd_tt - _J2000) / 365250.0
    t = tau * 10.0
    earth = _series(_VSOP87D_L, tau) * 1e-8
    radius = _series(_VSOP87D_R, tau) * 1e-8
    geocentric = math.degrees(earth) + 180.0
    # FK5 correction (Meeus 32.3); the latitude term is below 1e-5″ for the Sun and left out.
    seconds = -0.09033 + _nutation_longitude(t) - 20.4898 / radius
    return (geocentric + seconds / 3600.0) % 360.0


def _apparent_longitude(jd_tt: float) -> float:
    """The Sun's apparent geocentric longitude (true ecliptic and equinox of date), degrees."""
    t = (jd_tt - _J2000) / 36525.0
    c0, c1, c2 = _FRAME_CORRECTION
    return (_raw_longitude(jd_tt) + (c0 + c1 * t + c2 * t * t) / 3600.0) % 360.0


def _delta_t(jd_tt: float) -> float:
    """TT − UT1 in seconds, interpolated in the yearly table."""
    year = 2000.0 + (jd_tt - _J2000) / 365.25
    position = min(max(year - _DELTA_T_FIRST_YEAR, 0.0), len(_DELTA_T) - 1.000001)
    index = int(position)
    fraction = position - index
    return _DELTA_T[index] + (_DELTA_T[index + 1] - _DELTA_T[index]) * fraction

