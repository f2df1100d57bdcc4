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

The crossing is solved by the secant method to about a millisecond. All the numeric tables at
the end of this module are written by ``scripts/generate_seasons_tables.py``; the result is
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

from .errors import InputError
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
        f"{day.isoformat()} is before the Shōwa era; era dates are supported from "
        f"{_ERAS[-1][1].isoformat()} on.",
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
            f"year {year} is outside the supported range {FIRST_YEAR}–{LAST_YEAR}.",
            field="year",
            hint=f"Give a year from {FIRST_YEAR} to {LAST_YEAR}.",
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
            f"{day.isoformat()} is outside the years kizuna serves ({FIRST_YEAR}–{LAST_YEAR}).",
            field=field,
            hint=f"Give a date from {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31.",
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


def _crossing(year: int, longitude: float) -> tuple[dt.datetime, dt.date]:
    """The instant (JST, to the second) and JST date the Sun reaches ``longitude`` in ``year``.

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
    for _ in range(4):
        t0 += _wrap(target - _low_precision_longitude(t0)) / 0.98564736
    f0 = _wrap(target - _apparent_longitude(t0))
    t1 = t0 + f0 / 0.98564736
    for _ in range(8):
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


# --- generated tables (scripts/generate_seasons_tables.py); do not edit by hand -------------
# GENERATED-TABLES-BEGIN
# Arcseconds added to the series longitude: c0 + c1 T + c2 T^2, T in Julian centuries from
# J2000 (VSOP87D/FK5 to IAU 2006/ICRS, fitted against SOFA over 1899-2101).
_FRAME_CORRECTION: tuple[float, float, float] = (0.020090, -0.280436, -0.014616)

# TT - UT1 in seconds on 1 January of each year from _DELTA_T_FIRST_YEAR.
_DELTA_T_FIRST_YEAR = 1899
_DELTA_T: tuple[float, ...] = (
    -3.02, -1.98, -0.75, 0.62, 2.06, 3.51, 4.92, 6.24, 7.49, 8.70,  # 1899
    9.90, 11.14, 12.43, 13.75, 15.06, 16.32, 17.48, 18.52, 19.44, 20.25,  # 1909
    20.98, 21.62, 22.19, 22.69, 23.12, 23.49, 23.79, 24.02, 24.20, 24.32,  # 1919
    24.39, 24.42, 24.41, 24.38, 24.32, 24.24, 24.16, 24.08, 24.04, 24.06,  # 1929
    24.17, 24.43, 24.83, 25.35, 25.93, 26.51, 27.05, 27.51, 27.89, 28.24,  # 1939
    28.58, 28.93, 29.32, 29.70, 30.00, 30.20, 30.41, 30.76, 31.34, 32.03,  # 1949
    32.65, 33.07, 33.36, 33.62, 33.96, 34.44, 35.09, 35.95, 36.93, 37.96,  # 1959
    38.95, 39.93, 40.95, 42.15, 43.37, 44.48, 45.48, 46.46, 47.52, 48.53,  # 1969
    49.59, 50.54, 51.38, 52.17, 52.96, 53.79, 54.34, 54.87, 55.32, 55.82,  # 1979
    56.30, 56.86, 57.57, 58.31, 59.12, 59.98, 60.79, 61.63, 62.29, 62.97,  # 1989
    63.47, 63.83, 64.09, 64.30, 64.47, 64.57, 64.69, 64.85, 65.15, 65.46,  # 1999
    65.78, 66.07, 66.32, 66.60, 66.91, 67.28, 67.64, 68.10, 68.59, 68.97,  # 2009
    69.22, 69.36, 69.36, 69.29, 69.20, 69.18, 69.14, 69.11, 69.10, 69.08,  # 2019
    69.07, 69.08, 69.09, 69.12, 69.16, 69.20, 69.26, 69.33, 69.41, 69.51,  # 2029
    69.61, 69.72, 69.85, 69.98, 70.13, 70.28, 70.45, 70.63, 70.81, 71.01,  # 2039
    71.22, 71.44, 71.67, 71.92, 72.17, 72.43, 72.70, 72.99, 73.28, 73.59,  # 2049
    73.90, 74.23, 74.57, 74.92, 75.28, 75.64, 76.02, 76.41, 76.82, 77.23,  # 2059
    77.65, 78.08, 78.52, 78.98, 79.44, 79.92, 80.40, 80.90, 81.40, 81.92,  # 2069
    82.45, 82.99, 83.53, 84.09, 84.66, 85.24, 85.83, 86.43, 87.04, 87.66,  # 2079
    88.29, 88.94, 89.59, 90.25, 90.92, 91.61, 92.30, 93.01, 93.72, 94.45,  # 2089
    95.18, 95.93, 96.68, 97.45,  # 2099
)

# Fundamental arguments l, l', F, D, Omega: arcseconds at J2000 and per Julian century.
_NUTATION_ARGUMENTS: tuple[tuple[float, float], ...] = (
    (485868.249036, 1717915923.2178),
    (1287104.79305, 129596581.0481),
    (335779.526232, 1739527262.8478),
    (1072260.70369, 1602961601.209),
    (450160.398036, -6962890.5431),
)
# IAU 2000B luni-solar nutation in longitude: multipliers of (l, l', F, D, Omega),
# then S, S' (per century) and C' in 0.1 microarcseconds.
_NUTATION_TERMS: tuple[tuple[tuple[int, int, int, int, int], float, float, float], ...] = (
    ((0, 0, 0, 0, 1), -172064161.0, -174666.0, 33386.0),
    ((0, 0, 2, -2, 2), -13170906.0, -1675.0, -13696.0),
    ((0, 0, 2, 0, 2), -2276413.0, -234.0, 2796.0),
    ((0, 0, 0, 0, 2), 2074554.0, 207.0, -698.0),
    ((0, 1, 0, 0, 0), 1475877.0, -3633.0, 11817.0),
    ((0, 1, 2, -2, 2), -516821.0, 1226.0, -524.0),
    ((1, 0, 0, 0, 0), 711159.0, 73.0, -872.0),
    ((0, 0, 2, 0, 1), -387298.0, -367.0, 380.0),
    ((1, 0, 2, 0, 2), -301461.0, -36.0, 816.0),
    ((0, -1, 2, -2, 2), 215829.0, -494.0, 111.0),
    ((0, 0, 2, -2, 1), 128227.0, 137.0, 181.0),
    ((-1, 0, 2, 0, 2), 123457.0, 11.0, 19.0),
    ((-1, 0, 0, 2, 0), 156994.0, 10.0, -168.0),
    ((1, 0, 0, 0, 1), 63110.0, 63.0, 27.0),
    ((-1, 0, 0, 0, 1), -57976.0, -63.0, -189.0),
    ((-1, 0, 2, 2, 2), -59641.0, -11.0, 149.0),
    ((1, 0, 2, 0, 1), -51613.0, -42.0, 129.0),
    ((-2, 0, 2, 0, 1), 45893.0, 50.0, 31.0),
    ((0, 0, 0, 2, 0), 63384.0, 11.0, -150.0),
    ((0, 0, 2, 2, 2), -38571.0, -1.0, 158.0),
    ((0, -2, 2, -2, 2), 32481.0, 0.0, 0.0),
    ((-2, 0, 0, 2, 0), -47722.0, 0.0, -18.0),
    ((2, 0, 2, 0, 2), -31046.0, -1.0, 131.0),
    ((1, 0, 2, -2, 2), 28593.0, 0.0, -1.0),
    ((-1, 0, 2, 0, 1), 20441.0, 21.0, 10.0),
    ((2, 0, 0, 0, 0), 29243.0, 0.0, -74.0),
    ((0, 0, 2, 0, 0), 25887.0, 0.0, -66.0),
    ((0, 1, 0, 0, 1), -14053.0, -25.0, 79.0),
    ((-1, 0, 0, 2, 1), 15164.0, 10.0, 11.0),
    ((0, 2, 2, -2, 2), -15794.0, 72.0, -16.0),
    ((0, 0, -2, 2, 0), 21783.0, 0.0, 13.0),
    ((1, 0, 0, -2, 1), -12873.0, -10.0, -37.0),
    ((0, -1, 0, 0, 1), -12654.0, 11.0, 63.0),
    ((-1, 0, 2, 2, 1), -10204.0, 0.0, 25.0),
    ((0, 2, 0, 0, 0), 16707.0, -85.0, -10.0),
    ((1, 0, 2, 2, 2), -7691.0, 0.0, 44.0),
    ((-2, 0, 2, 0, 0), -11024.0, 0.0, -14.0),
    ((0, 1, 2, 0, 2), 7566.0, -21.0, -11.0),
    ((0, 0, 2, 2, 1), -6637.0, -11.0, 25.0),
    ((0, -1, 2, 0, 2), -7141.0, 21.0, 8.0),
    ((0, 0, 0, 2, 1), -6302.0, -11.0, 2.0),
    ((1, 0, 2, -2, 1), 5800.0, 10.0, 2.0),
    ((2, 0, 2, -2, 2), 6443.0, 0.0, -7.0),
    ((-2, 0, 0, 2, 1), -5774.0, -11.0, -15.0),
    ((2, 0, 2, 0, 1), -5350.0, 0.0, 21.0),
    ((0, -1, 2, -2, 1), -4752.0, -11.0, -3.0),
    ((0, 0, 0, -2, 1), -4940.0, -11.0, -21.0),
    ((-1, -1, 0, 2, 0), 7350.0, 0.0, -8.0),
    ((2, 0, 0, -2, 1), 4065.0, 0.0, 6.0),
    ((1, 0, 0, 2, 0), 6579.0, 0.0, -24.0),
    ((0, 1, 2, -2, 1), 3579.0, 0.0, 5.0),
    ((1, -1, 0, 0, 0), 4725.0, 0.0, -6.0),
    ((-2, 0, 2, 0, 2), -3075.0, 0.0, -2.0),
    ((3, 0, 2, 0, 2), -2904.0, 0.0, 15.0),
    ((0, -1, 0, 2, 0), 4348.0, 0.0, -10.0),
    ((1, -1, 2, 0, 2), -2878.0, 0.0, 8.0),
    ((0, 0, 0, 1, 0), -4230.0, 0.0, 5.0),
    ((-1, -1, 2, 2, 2), -2819.0, 0.0, 7.0),
    ((-1, 0, 2, 0, 0), -4056.0, 0.0, 5.0),
    ((0, -1, 2, 2, 2), -2647.0, 0.0, 11.0),
    ((-2, 0, 0, 0, 1), -2294.0, 0.0, -10.0),
    ((1, 1, 2, 0, 2), 2481.0, 0.0, -7.0),
    ((2, 0, 0, 0, 1), 2179.0, 0.0, -2.0),
    ((-1, 1, 0, 1, 0), 3276.0, 0.0, 1.0),
    ((1, 1, 0, 0, 0), -3389.0, 0.0, 5.0),
    ((1, 0, 2, 0, 0), 3339.0, 0.0, -13.0),
    ((-1, 0, 2, -2, 1), -1987.0, 0.0, -6.0),
    ((1, 0, 0, 0, 2), -1981.0, 0.0, 0.0),
    ((-1, 0, 0, 1, 0), 4026.0, 0.0, -353.0),
    ((0, 0, 2, 1, 2), 1660.0, 0.0, -5.0),
    ((-1, 0, 2, 4, 2), -1521.0, 0.0, 9.0),
    ((-1, 1, 0, 1, 1), 1314.0, 0.0, 0.0),
    ((0, -2, 2, -2, 1), -1283.0, 0.0, 0.0),
    ((1, 0, 2, 2, 1), -1331.0, 0.0, 8.0),
    ((-2, 0, 2, 2, 2), 1383.0, 0.0, -2.0),
    ((-1, 0, 0, 0, 2), 1405.0, 0.0, 4.0),
    ((1, 1, 2, -2, 2), 1290.0, 0.0, 0.0),
)

# VSOP87D Earth heliocentric longitude of date: (A in 1e-8 rad, B rad, C rad per tau).
_VSOP87D_L: tuple[tuple[tuple[float, float, float], ...], ...] = (
    # tau^0: 333 terms
    (
        (175347045.673, 0.0, 0.0),
        (3341656.456, 4.66925680417, 6283.0758499914),
        (34894.275, 4.62610241759, 12566.1516999828),
        (3417.571, 2.82886579606, 3.523118349),
        (3497.056, 2.74411800971, 5753.3848848968),
        (3135.896, 3.62767041758, 77713.7714681205),
        (2676.218, 4.41808351397, 7860.4193924392),
        (2342.687, 6.13516237631, 3930.2096962196),
        (1273.166, 2.03709655772, 529.6909650946),
        (1324.292, 0.74246356352, 11506.7697697936),
        (901.855, 2.04505443513, 26.2983197998),
        (1199.167, 1.10962944315, 1577.3435424478),
        (857.223, 3.50849156957, 398.1490034082),
        (779.786, 1.17882652114, 5223.6939198022),
        (990.25, 5.23268129594, 5884.9268465832),
        (753.141, 2.53339053818, 5507.5532386674),
        (505.264, 4.58292563052, 18849.2275499742),
        (492.379, 4.20506639861, 775.522611324),
        (356.655, 2.91954116867, 0.0673103028),
        (284.125, 1.89869034186, 796.2980068164),
        (242.81, 0.34481140906, 5486.777843175),
        (317.087, 5.84901952218, 11790.6290886588),
        (271.039, 0.31488607649, 10977.078804699),
        (206.16, 4.80646606059, 2544.3144198834),
        (205.385, 1.86947813692, 5573.1428014331),
        (202.261, 2.45767795458, 6069.7767545534),
        (126.184, 1.0830263021, 20.7753954924),
        (155.516, 0.83306073807, 213.299095438),
        (115.132, 0.64544911683, 0.9803210682),
        (102.851, 0.63599846727, 4694.0029547076),
        (101.724, 4.26679821365, 7.1135470008),
        (99.206, 6.20992940258, 2146.1654164752),
        (132.212, 3.41118275555, 2942.4634232916),
        (97.607, 0.6810127227, 155.4203994342),
        (85.128, 1.29870743025, 6275.9623029906),
        (74.651, 1.75508916159, 5088.6288397668),
        (101.895, 0.97569221824, 15720.8387848784),
        (84.711, 3.67080093025, 71430.69561812909),
        (73.547, 4.67926565481, 801.8209311238),
        (73.874, 3.50319443167, 3154.6870848956),
        (78.756, 3.03698313141, 12036.4607348882),
        (79.637, 1.807913307, 17260.1546546904),
        (85.803, 5.98322631256, 161000.6857376741),
        (56.963, 2.78430398043, 6286.5989683404),
        (61.148, 1.81839811024, 7084.8967811152),
        (69.627, 0.83297596966, 9437.762934887),
        (56.116, 4.38694880779, 14143.4952424306),
        (62.449, 3.97763880587, 8827.3902698748),
        (51.145, 0.28306864501, 5856.4776591154),
        (55.577, 3.47006009062, 6279.5527316424),
        (41.036, 5.36817351402, 8429.2412664666),
        (51.605, 1.33282746983, 1748.016413067),
        (51.992, 0.18914945834, 12139.5535091068),
        (49.0, 0.48735065033, 1194.4470102246),
        (39.2, 6.16832995016, 10447.3878396044),
        (35.566, 1.77597314691, 6812.766815086),
        (36.77, 6.04133859347, 10213.285546211),
        (36.596, 2.56955238628, 1059.3819301892),
        (33.291, 0.59309499459, 17789.845619785),
        (35.954, 1.70876111898, 2352.8661537718),
        (40.938, 2.39850881707, 19651.048481098),
        (30.047, 2.73975123935, 1349.8674096588),
        (30.412, 0.44294464135, 83996.84731811189),
        (23.663, 0.48473567763, 8031.0922630584),
        (23.574, 2.06527720049, 3340.6124266998),
        (21.089, 4.14825464101, 951.7184062506),
        (24.738, 0.21484762138, 3.5904286518),
        (25.352, 3.16470953405, 4690.4798363586),
        (22.82, 5.22197888032, 4705.7323075436),
        (21.419, 1.42563735525, 16730.4636895958),
        (21.891, 5.55594302562, 553.5694028424),
        (17.481, 4.56052900359, 135.0650800354),
        (19.925, 5.22208471269, 12168.0026965746),
        (19.86, 5.77470167653, 6309.3741697912),
        (20.3, 0.37133792946, 283.8593188652),
        (14.421, 4.19315332546, 242.728603974),
        (16.225, 5.98837722564, 11769.8536931664),
        (15.077, 4.19567181073, 6256.7775301916),
        (19.124, 3.82219996949, 23581.2581773176),
        (18.888, 5.38626880969, 149854.4001348079),
        (14.346, 3.72355084422, 38.0276726358),
        (17.898, 2.21490735647, 13367.9726311066),
        (12.054, 2.62229588349, 955.5997416086),
        (11.287, 0.17739328092, 4164.311989613),
        (13.971, 4.40138139996, 6681.2248533996),
        (13.621, 1.88934471407, 7632.9432596502),
        (12.503, 1.13052412208, 5.5229243074),
        (10.498, 5.35909518669, 1592.5960136328),
        (9.803, 0.99947478995, 11371.7046897582),
        (9.22, 4.57138609781, 4292.3308329504),
        (10.327, 6.19982566125, 6438.4962494256),
        (12.003, 1.003514567, 632.7837393132),
        (10.827, 0.32734520222, 103.0927742186),
        (8.356, 4.53902685948, 25132.3033999656),
        (10.005, 6.0291496328, 5746.271337896),
        (8.409, 3.29946744189, 7234.794256242),
        (8.006, 5.82145271907, 28.4491874678),
        (10.523, 0.93871805506, 11926.2544136688),
        (7.686, 3.12142363172, 7238.6755916),
        (9.378, 2.62414241032, 5760.4984318976),
        (8.127, 6.11228001785, 4732.0306273434),
        (9.232, 0.48343968736, 522.5774180938),
        (9.802, 5.24413991147, 27511.4678735372),
        (7.871, 0.99590177926, 5643.1785636774),
        (8.123, 6.2705301365, 426.598190876),
        (9.048, 5.33686335897, 6386.16862421),
        (8.62, 4.16538210888, 7058.5984613154),
        (6.297, 4.71724819317, 6836.6452528338),
        (7.575, 3.97382858911, 11499.6562227928),
        (7.756, 2.95729056763, 23013.5395395872),
        (7.314, 0.60652505806, 11513.8833167944),
        (5.955, 2.87641047971, 6283.14316029419),
        (6.534, 5.79072926033, 18073.7049386502),
        (7.188, 3.99831508699, 74.7815985673),
        (7.346, 4.38582365437, 316.3918696566),
        (5.413, 5.39199024641, 419.4846438752),
        (5.127, 2.36062848786, 10973.55568635),
        (7.056, 0.32258441903, 263.0839233728),
        (6.625, 3.66475158672, 17298.1823273262),
        (6.762, 5.91132535899, 90955.5516944961),
        (4.938, 5.73672165674, 9917.6968745098),
        (5.547, 2.45152597661, 12352.8526045448),
        (5.958, 3.32051344676, 6283.0085396886),
        (4.471, 2.06385999536, 7079.3738568078),
        (6.153, 1.45823331144, 233141.3144043615),
        (4.348, 4.4234217548, 5216.5803728014),
        (6.123, 1.07494905258, 19804.8272915828),
        (4.488, 3.6528503715, 206.1855484372),
        (4.02, 0.83995823171, 20.3553193988),
        (5.188, 4.06503864016, 6208.2942514241),
        (5.307, 0.38217636096, 31441.6775697568),
        (3.785, 2.34369213733, 3.881335358),
        (4.497, 3.27230796845, 11015.1064773348),
        (4.132, 0.92128915753, 3738.761430108),
        (3.521, 5.97844807108, 3894.1818295422),
        (4.215, 1.90601120623, 245.8316462294),
        (3.701, 5.03069397926, 536.8045120954),
        (3.865, 1.82634360607, 11856.2186514245),
        (3.652, 1.01838584934, 16200.7727245012),
        (3.39, 0.97785123922, 8635.9420037632),
        (3.737, 2.95380107829, 3128.3887650958),
        (3.507, 3.71291946325, 6290.1893969922),
        (3.086, 3.64646921512, 10.6366653498),
        (3.397, 1.10590684017, 14712.317116458),
        (3.334, 0.83684924911, 6496.3749454294),
        (2.805, 2.58504514144, 14314.1681130498),
        (3.65, 1.08344142571, 88860.05707098669),
        (3.388, 3.20185096055, 5120.6011455836),
        (3.252, 3.47859752062, 6133.5126528568),
        (2.553, 3.94869034189, 1990.745017041),
        (3.52, 2.05559692878, 244287.60000722768),
        (2.565, 1.560717849, 23543.23050468179),
        (2.621, 3.85639359951, 266.6070417218),
        (2.955, 3.39692949667, 9225.539273283),
        (2.876, 6.02635617464, 154717.6098876827),
        (2.395, 1.16131956403, 10984.1923516998),
        (3.161, 1.32798718453, 10873.9860304804),
        (3.163, 5.08946464629, 21228.3920235458),
        (2.361, 4.27212906992, 6040.3472460174),
        (3.03, 1.80209931347, 35371.8872659764),
        (2.343, 3.576898605, 10969.9652576982),
        (2.618, 2.57870156528, 22483.84857449259),
        (2.113, 3.71393780256, 65147.6197681377),
        (2.019, 0.81393923319, 170.6728706192),
        (2.003, 0.38091017375, 6172.869528772),
        (2.506, 3.74379142438, 10575.4066829418),
        (2.381, 0.10581361289, 7.046236698),
        (1.949, 4.86892513469, 36.0278666774),
        (2.074, 4.2279477457, 5650.2921106782),
        (1.924, 5.5946054986, 6282.0955289232),
        (1.949, 1.07002512703, 5230.807466803),
        (1.988, 5.19736046771, 6262.300454499),
        (1.887, 3.74365662683, 23.8784377478),
        (1.787, 1.25929682929, 12559.038152982),
        (1.883, 1.90364058477, 15.252471185),
        (1.816, 3.68083868442, 15110.4661198662),
        (1.701, 4.4110589538, 110.2063212194),
        (1.99, 3.93295788548, 6206.8097787158),
        (2.103, 0.75354917468, 13521.7514415914),
        (1.774, 0.48747535361, 1551.045222648),
        (1.882, 0.86684493432, 22003.9146348698),
        (1.924, 1.22898324132, 709.9330485583),
        (2.009, 4.6285092198, 6037.244203762),
        (1.924, 0.60231842508, 6284.0561710596),
        (1.596, 3.98332956992, 13916.0191096416),
        (1.664, 4.41939715469, 8662.240323563),
        (1.971, 1.04560500503, 18209.33026366019),
        (1.942, 4.31335979989, 6244.9428143536),
        (1.476, 0.93271367331, 2379.1644735716),
        (1.81, 0.49112137707, 1.4844727083),
        (1.346, 1.51574702235, 4136.9104335162),
        (1.528, 5.61835711404, 6127.6554505572),
        (1.791, 3.22187270126, 39302.096962196),
        (1.747, 3.05638656738, 18319.5365848796),
        (1.431, 4.51153808594, 20426.571092422),
        (1.695, 0.22047718414, 25158.6017197654),
        (1.242, 4.46665769933, 17256.6315363414),
        (1.463, 4.69242679213, 14945.3161735544),
        (1.205, 1.86912144659, 4590.910180489),
        (1.192, 2.74227166898, 12569.6748183318),
        (1.222, 5.18120087482, 5333.9002410216),
        (1.39, 5.42894648983, 143571.32428481648),
        (1.473, 1.70479245805, 11712.9553182308),
        (1.362, 2.61069503292, 6062.6632075526),
        (1.148, 6.0300180054, 3634.6210245184),
        (1.198, 5.15294130422, 10177.2576795336),
        (1.266, 0.11421493643, 18422.62935909819),
        (1.411, 1.09908857534, 3496.032826134),
        (1.349, 2.99805109633, 17654.7805397496),
        (1.253, 2.79850152848, 167283.7615876655),
        (1.311, 1.60942984879, 5481.2549188676),
        (1.079, 6.20304501787, 3.2863574178),
        (1.181, 1.20653776978, 131.5419616864),
        (1.254, 5.45103277798, 6076.8903015542),
        (1.035, 2.32142722747, 7342.4577801806),
        (1.117, 0.38838354256, 949.1756089698),
        (0.966, 3.18341890851, 11087.2851259184),
        (1.171, 3.39635049962, 12562.6285816338),
        (1.121, 0.72627490378, 220.4126424388),
        (1.024, 2.19378315386, 11403.676995575),
        (0.888, 3.91173199285, 4686.8894077068),
        (0.91, 1.98802695087, 735.8765135318),
        (0.83, 0.48984915507, 24072.9214697764),
        (1.096, 6.17377835617, 5436.9930152402),
        (0.908, 0.44959639433, 7477.522860216),
        (0.974, 1.52996238356, 9623.6882766912),
        (0.84, 1.79543266333, 5429.8794682394),
        (0.778, 6.17699177946, 38.1330356378),
        (0.776, 4.09855402433, 14.2270940016),
        (1.068, 4.64200173735, 43232.3066584156),
        (0.954, 1.49988435748, 1162.4747044078),
        (0.907, 0.86986870809, 10344.2950653858),
        (0.931, 4.06044689031, 28766.924424484),
        (0.739, 5.04368197372, 639.897286314),
        (0.937, 3.4688469896, 1589.0728952838),
        (0.763, 5.86304932998, 16858.4825329332),
        (0.953, 4.20801492835, 11190.377900137),
        (0.708, 1.7289998894, 13095.8426650774),
        (0.969, 1.64439522215, 29088.811415985),
        (0.717, 0.16688678895, 11.729352836),
        (0.962, 3.53092337542, 12416.5885028482),
        (0.747, 5.77866940346, 12592.4500197826),
        (0.672, 1.91095796194, 3.9321532631),
        (0.671, 5.46240843677, 18052.9295431578),
        (0.675, 6.28311558823, 4535.0594369244),
        (0.684, 0.3997501208, 5849.3641121146),
        (0.799, 0.29851185294, 12132.439962106),
        (0.758, 0.96370823331, 1052.2683831884),
        (0.782, 5.33878339919, 13517.8701062334),
        (0.73, 1.70106160291, 17267.26820169119),
        (0.749, 2.59599901875, 11609.8625440122),
        (0.734, 2.78417782952, 640.8776073822),
        (0.688, 5.15048287468, 16496.3613962024),
        (0.77, 1.62469589333, 4701.1165017084),
        (0.633, 2.20587893893, 25934.1243310894),
        (0.76, 4.21317219403, 377.3736079158),
        (0.584, 2.13420121623, 10557.5941608238),
        (0.574, 0.24250054587, 9779.1086761254),
        (0.573, 3.16435264609, 533.2140834436),
        (0.685, 3.19344289472, 12146.6670561076),
        (0.675, 0.96179233959, 10454.5013866052),
        (0.648, 1.46327342555, 6268.8487559898),
        (0.589, 2.50543543638, 3097.88382272579),
        (0.551, 5.28099026956, 9388.0059094152),
        (0.696, 3.65342150016, 4804.209275927),
        (0.669, 2.51030077026, 2388.8940204492),
        (0.55, 0.06883864342, 20199.094959633),
        (0.629, 4.13350995675, 45892.73043315699),
        (0.678, 6.09190163533, 135.62532501),
        (0.593, 1.50136257618, 226858.23855437007),
        (0.542, 3.58573645173, 6148.010769956),
        (0.682, 5.02203067788, 17253.04110768959),
        (0.565, 4.2930923861, 11933.3679606696),
        (0.486, 0.77746204893, 27.4015560968),
        (0.503, 0.58963565969, 15671.0817594066),
        (0.616, 4.06539884128, 227.476132789),
        (0.583, 6.12695541996, 18875.525869774),
        (0.537, 2.1505644098, 21954.15760939799),
        (0.669, 6.06986269566, 47162.5163546352),
        (0.475, 0.4034384211, 6915.8595893046),
        (0.54, 2.83444222174, 5326.7866940208),
        (0.53, 5.26359885263, 10988.808157535),
        (0.582, 3.24533095664, 153.7788104848),
        (0.641, 3.24711791371, 2107.0345075424),
        (0.621, 3.09698523779, 33019.0211122046),
        (0.466, 3.14982372198, 10440.2742926036),
        (0.466, 0.90708835657, 5966.6839803348),
        (0.528, 0.8192645447, 813.5502839598),
        (0.603, 3.81378921927, 316428.22867391503),
        (0.559, 1.81894804124, 17996.0311682222),
        (0.437, 2.28625594435, 6303.8512454838),
        (0.518, 4.86069178322, 20597.2439630412),
        (0.424, 6.23520018693, 6489.2613984286),
        (0.518, 6.17617826756, 0.2438174835),
        (0.404, 5.72804304258, 5642.1982426092),
        (0.458, 1.34117773915, 6287.0080032545),
        (0.548, 5.6845445832, 155427.542936241),
        (0.547, 1.03391472061, 3646.3503773544),
        (0.428, 4.69800981138, 846.0828347512),
        (0.413, 6.02520699406, 6279.4854213396),
        (0.534, 3.03030638223, 66567.48586525429),
        (0.383, 1.49056949125, 19800.9459562248),
        (0.41, 5.28319622279, 18451.07854656599),
        (0.352, 4.68891600359, 4907.3020501456),
        (0.48, 5.36572651091, 348.924420448),
        (0.344, 5.89157452896, 6546.1597733642),
        (0.34, 0.3755742644, 13119.72110282519),
        (0.434, 4.98417785901, 6702.5604938666),
        (0.332, 2.68902519126, 29296.6153895786),
        (0.448, 2.16478480251, 5905.7022420756),
        (0.344, 2.06546633735, 49.7570254718),
        (0.315, 1.24023811803, 4061.2192153944),
        (0.324, 2.30897526929, 5017.508371365),
        (0.413, 0.17171692962, 6286.6662786432),
        (0.431, 3.86601101393, 12489.8856287072),
        (0.349, 4.55372342974, 4933.2084403326),
        (0.323, 0.41971136084, 10770.8932562618),
        (0.341, 2.68612860807, 11.0457002639),
        (0.316, 3.52936906658, 17782.7320727842),
        (0.315, 5.63357264999, 568.8218740274),
        (0.34, 3.83571212349, 10660.6869350424),
        (0.405, 1.00085779471, 16460.33352952499),
        (0.414, 1.21998752076, 51092.7260508548),
        (0.336, 4.71465945226, 6179.9830757728),
        (0.361, 3.71227508354, 28237.2334593894),
        (0.385, 6.21925225757, 24356.7807886416),
        (0.327, 1.05606504715, 11919.140866668),
        (0.327, 6.14222420989, 6254.6266625236),
        (0.345, 0.93461290184, 6058.7310542895),
        (0.353, 4.50033653082, 36949.2308084242),
        (0.311, 1.23668016334, 6281.5913772831),
        (0.332, 3.55576945724, 7668.6374249425),
        (0.319, 1.38633229189, 163096.18036118348),
    ),
    # tau^1: 50 terms
    (
        (628331966747.491, 0.0, 0.0),
        (206058.863, 2.67823455584, 6283.0758499914),
        (4303.43, 2.63512650414, 12566.1516999828),
        (425.264, 1.59046980729, 3.523118349),
        (108.977, 2.96618001993, 1577.3435424478),
        (93.478, 2.59212835365, 18849.2275499742),
        (119.261, 5.79557487799, 26.2983197998),
        (72.122, 1.13846158196, 529.6909650946),
        (67.768, 1.87472304791, 398.1490034082),
        (67.327, 4.40918235168, 5507.5532386674),
        (59.027, 2.8879703846, 5223.6939198022),
        (55.976, 2.17471680261, 155.4203994342),
        (45.407, 0.39803079805, 796.2980068164),
        (36.369, 0.46624739835, 775.522611324),
        (28.958, 2.64707383882, 7.1135470008),
        (19.097, 1.84628332577, 5486.777843175),
        (20.844, 5.34138275149, 0.9803210682),
        (18.508, 4.96855124577, 213.299095438),
        (16.233, 0.03216483047, 2544.3144198834),
        (17.293, 2.99116864949, 6275.9623029906),
        (15.832, 1.43049285325, 2146.1654164752),
        (14.615, 1.20532366323, 10977.078804699),
        (11.877, 3.25804815607, 5088.6288397668),
        (11.514, 2.07502418155, 4694.0029547076),
        (9.721, 4.23925472239, 1349.8674096588),
        (9.969, 1.30262991097, 6286.5989683404),
        (9.452, 2.69957062864, 242.728603974),
        (12.461, 2.83432285512, 1748.016413067),
        (11.808, 5.2737979048, 1194.4470102246),
        (8.577, 5.64475868067, 951.7184062506),
        (10.641, 0.76614199202, 553.5694028424),
        (7.576, 5.30062664886, 2352.8661537718),
        (5.834, 1.76649917904, 1059.3819301892),
        (6.385, 2.65033984967, 9437.762934887),
        (5.223, 5.66135767624, 71430.69561812909),
        (5.305, 0.90857521574, 3154.6870848956),
        (6.101, 4.66632584188, 4690.4798363586),
        (4.33, 0.24102555403, 6812.766815086),
        (5.041, 1.42490103709, 6438.4962494256),
        (4.259, 0.77355900599, 10447.3878396044),
        (5.198, 1.85353197345, 801.8209311238),
        (3.744, 2.00119516488, 8031.0922630584),
        (3.558, 2.42901552681, 14143.4952424306),
        (3.372, 3.86210700128, 1592.5960136328),
        (3.374, 0.88776219727, 12036.4607348882),
        (3.175, 3.18785710594, 4705.7323075436),
        (3.221, 0.61599835472, 8429.2412664666),
        (4.132, 5.23992859705, 7084.8967811152),
        (3.504, 4.79975694359, 6279.5527316424),
        (3.25, 3.39954640038, 7632.9432596502),
    ),
    # tau^2: 3 terms
    (
        (52918.87, 0.0, 0.0),
        (8719.837, 1.07209665242, 6283.0758499914),
        (309.125, 0.86728818832, 12566.1516999828),
    ),
    # tau^3: 0 terms
    (
    ),
    # tau^4: 0 terms
    (
    ),
    # tau^5: 0 terms
    (
    ),
)

# VSOP87D Earth radius vector: (A in 1e-8 au, B rad, C rad per tau).
_VSOP87D_R: tuple[tuple[tuple[float, float, float], ...], ...] = (
    # tau^0: 17 terms
    (
        (100013988.799, 0.0, 0.0),
        (1670699.626, 3.09846350771, 6283.0758499914),
        (13956.023, 3.0552460962, 12566.1516999828),
        (3083.72, 5.19846674381, 77713.7714681205),
        (1628.461, 1.17387749012, 5753.3848848968),
        (1575.568, 2.84685245825, 7860.4193924392),
        (924.799, 5.45292234084, 11506.7697697936),
        (542.444, 4.56409149777, 3930.2096962196),
        (472.11, 3.66100022149, 5884.9268465832),
        (328.78, 5.89983646482, 5223.6939198022),
        (345.983, 0.96368617687, 5507.5532386674),
        (306.784, 0.29867139512, 5573.1428014331),
        (174.844, 3.01193636534, 18849.2275499742),
        (243.189, 4.27349536153, 11790.6290886588),
        (211.829, 5.84714540314, 1577.3435424478),
        (185.752, 5.02194447178, 10977.078804699),
        (109.835, 5.05510636285, 5486.777843175),
    ),
    # tau^1: 2 terms
    (
        (103018.608, 1.10748969588, 6283.0758499914),
        (1721.238, 1.06442301418, 12566.1516999828),
    ),
    # tau^2: 0 terms
    (
    ),
    # tau^3: 0 terms
    (
    ),
    # tau^4: 0 terms
    (
    ),
    # tau^5: 0 terms
    (
    ),
)
# GENERATED-TABLES-END
