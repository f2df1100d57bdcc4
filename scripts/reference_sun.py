"""Development-only reference for the Sun's apparent longitude (not imported by kizuna).

Two independent ways to get the Sun's apparent geocentric ecliptic longitude (true ecliptic and
equinox of date), both vectorised with NumPy:

* ``sofa_longitude``: SOFA/ERFA (pyerfa): Earth from epv00 (VSOP2000-based, 1900–2100), light
  time, stellar aberration with eraAb, IAU 2006/2000A precession-nutation (pnm06a), true
  obliquity (obl06 + nut06a);
* ``jpl_longitude``: skyfield with the JPL DE421 ephemeris shipped by the ``skyfield-data``
  package (offline; covers 1900–2053), true ecliptic of date (``ecliptic_frame``).

Not run on its own: ``generate_seasons_tables.py`` and ``verify_solar_terms.py`` beside it
import it. Needs the ``dev`` extra (numpy, pyerfa, skyfield, skyfield-data): from the
repository root, ``pip install -e '.[dev]'``.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

C_AU_PER_DAY = 173.1446326846693
J2000 = 2451545.0

# Longitudes (degrees) kizuna computes: the 24 terms from 小寒, then the 雑節 longitudes.
TERM_LONGITUDES = [(285 + 15 * k) % 360 for k in range(24)]
ZASSETSU_LONGITUDES = [297, 27, 80, 100, 117, 207]
LONGITUDES = TERM_LONGITUDES + ZASSETSU_LONGITUDES


def sofa_longitude(jd_tt: Any) -> np.ndarray:
    """Apparent longitude in degrees at TT Julian days ``jd_tt`` (SOFA/ERFA)."""
    import erfa

    jd = np.atleast_1d(np.asarray(jd_tt, float))
    d1 = np.full_like(jd, J2000)
    d2 = jd - J2000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # epv00 warns just outside 1900-2100
        pvh, pvb = erfa.epv00(d1, d2)
        earth_bary = pvb["p"]
        sun = -pvh["p"]
        for _ in range(2):  # light time: the Sun where it was when the light left it
            tau = np.linalg.norm(sun, axis=-1) / C_AU_PER_DAY
            pvh2, pvb2 = erfa.epv00(d1, d2 - tau)
            sun = (pvb2["p"] - pvh2["p"]) - earth_bary
        distance = np.linalg.norm(sun, axis=-1)
        velocity = pvb["v"] / C_AU_PER_DAY
        bm1 = np.sqrt(1.0 - np.sum(velocity * velocity, axis=-1))
        proper = erfa.ab(sun / distance[..., None], velocity, distance, bm1)
        of_date = np.einsum("...ij,...j->...i", erfa.pnm06a(d1, d2), proper)
        _, deps = erfa.nut06a(d1, d2)
        eps = erfa.obl06(d1, d2) + deps
    y = np.cos(eps) * of_date[..., 1] + np.sin(eps) * of_date[..., 2]
    return np.degrees(np.arctan2(y, of_date[..., 0])) % 360.0


_SKYFIELD: dict[str, Any] = {}


def jpl_longitude(jd_tt: Any) -> np.ndarray:
    """Apparent longitude in degrees at TT Julian days ``jd_tt`` (skyfield + DE421)."""
    from skyfield.api import load
    from skyfield.framelib import ecliptic_frame
    from skyfield.jpllib import SpiceKernel

    if not _SKYFIELD:
        import skyfield_data

        path = os.path.join(os.path.dirname(skyfield_data.__file__), "data", "de421.bsp")
        _SKYFIELD["ts"] = load.timescale(builtin=True)
        _SKYFIELD["eph"] = SpiceKernel(path)
    ts, eph = _SKYFIELD["ts"], _SKYFIELD["eph"]
    t = ts.tt_jd(np.atleast_1d(np.asarray(jd_tt, float)))
    apparent = eph["earth"].at(t).observe(eph["sun"]).apparent()
    _, lon, _ = apparent.frame_latlon(ecliptic_frame)
    return np.asarray(lon.degrees) % 360.0


def skyfield_delta_t(jd_tt: Any) -> np.ndarray:
    """TT − UT1 in seconds from skyfield's built-in table (IERS, then Morrison et al. 2021)."""
    from skyfield.api import load

    ts = _SKYFIELD.get("ts") or load.timescale(builtin=True)
    return np.asarray(ts.tt_jd(np.atleast_1d(np.asarray(jd_tt, float))).delta_t)


def espenak_meeus_delta_t(jd_tt: Any) -> np.ndarray:
    """TT − UT1 in seconds from the NASA polynomials of Espenak & Meeus (2006), 1900–2150."""

    def one(y: float) -> float:
        if y < 1920:
            t = y - 1900
            return -2.79 + 1.494119 * t - 0.0598939 * t**2 + 0.0061966 * t**3 - 0.000197 * t**4
        if y < 1941:
            t = y - 1920
            return 21.20 + 0.84493 * t - 0.076100 * t**2 + 0.0020936 * t**3
        if y < 1961:
            t = y - 1950
            return 29.07 + 0.407 * t - t**2 / 233 + t**3 / 2547
        if y < 1986:
            t = y - 1975
            return 45.45 + 1.067 * t - t**2 / 260 - t**3 / 718
        if y < 2005:
            t = y - 2000
            return (63.86 + 0.3345 * t - 0.060374 * t**2 + 0.0017275 * t**3
                    + 0.000651814 * t**4 + 0.00002373599 * t**5)
        if y < 2050:
            t = y - 2000
            return 62.92 + 0.32217 * t + 0.005589 * t**2
        return -20 + 32 * ((y - 1820) / 100) ** 2 - 0.5628 * (2150 - y)

    jd = np.atleast_1d(np.asarray(jd_tt, float))
    return np.array([one(2000.0 + (j - J2000) / 365.25) for j in jd])


def pyephem_delta_t(jd_tt: Any) -> np.ndarray:
    """TT − UT1 in seconds as PyEphem (libastro) models it."""
    import ephem

    jd = np.atleast_1d(np.asarray(jd_tt, float))
    return np.array([ephem.delta_t(ephem.Date(j - 2415020.0)) for j in jd])


def guesses(years: np.ndarray) -> np.ndarray:
    """Mean-Sun first guesses (JD) for every longitude of every year, shape (years, 30)."""
    rows = []
    for year in years:
        jd0 = dt.date(int(year), 1, 5).toordinal() + 1721424.5
        rows.append([jd0 + ((lon - 285) % 360) * 365.2422 / 360 for lon in LONGITUDES])
    return np.array(rows)


def crossings(longitude_fn: Callable[[Any], np.ndarray], years: np.ndarray) -> np.ndarray:
    """TT Julian days when the Sun reaches each of LONGITUDES in each year (Newton on arrays)."""
    target = np.array([LONGITUDES] * len(years), float)
    t = guesses(years)
    for _ in range(6):
        t = t + ((target - longitude_fn(t.ravel()).reshape(t.shape) + 180) % 360 - 180) / 0.9856
    for _ in range(3):
        f = (target - longitude_fn(t.ravel()).reshape(t.shape) + 180) % 360 - 180
        g = (target - longitude_fn((t + 0.01).ravel()).reshape(t.shape) + 180) % 360 - 180
        t = t + f / ((f - g) / 0.01)
    return t


def jst_seconds(jd_ut: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(JST day number, seconds after JST midnight) of UT Julian days."""
    local = jd_ut + 0.5 + 9.0 / 24.0
    day = np.floor(local)
    return day, (local - day) * 86400.0
