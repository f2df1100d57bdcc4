"""Check kizuna.seasons against independent ephemerides for every year 1900–2100 (dev only).

For each year and each of the 30 longitudes kizuna uses (the 24 solar terms and the 雑節 at
297°, 27°, 80°, 100°, 117°, 207°) it compares kizuna's instant with:

* SOFA/ERFA (pyerfa; IAU 2006/2000A, Earth from epv00), 1900–2100;
* JPL DE421 through skyfield (the ``skyfield-data`` package), 1900–2052;
* PyEphem (libastro's VSOP87 and its own ΔT), 1900–2100, directly in UT.

The SOFA and DE421 instants are in TT; they are turned into JST dates with skyfield's ΔT (the
model kizuna tabulates) and also with the Espenak–Meeus polynomials and PyEphem's ΔT, to show
which dates depend on the ΔT model. It prints the largest instant differences, every date that
disagrees, and the crossings closest to JST midnight. Exit status 1 if any date disagrees.

Needs the ``dev`` extra (numpy, pyerfa, skyfield, skyfield-data, ephem; everything it reads
ships in those packages, so it runs offline). From the repository root::

    pip install -e '.[dev]'
    python scripts/verify_solar_terms.py [--first 1900] [--last 2100] [--closest 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import reference_sun as ref  # noqa: E402

from kizuna import seasons  # noqa: E402

DE421_LAST_YEAR = 2052


def kizuna_crossings(years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(TT Julian days, JST day numbers) of kizuna's crossings, shape (years, 30)."""
    tt = np.empty((len(years), len(ref.LONGITUDES)))
    days = np.empty_like(tt)
    for i, year in enumerate(years):
        for j, lon in enumerate(ref.LONGITUDES):
            guess = seasons._julian_day(dt.date(int(year), 1, 5)) + ((lon - 285) % 360) * 365.2422 / 360
            tt[i, j] = seasons._solve_longitude(float(lon), guess)
            _, day = seasons._crossing(int(year), float(lon))
            days[i, j] = day.toordinal() + 1721424.5 + 0.5  # JD at noon: the JST day number
    return tt, days


def pyephem_crossings_ut(kizuna_ut: np.ndarray) -> np.ndarray:
    """PyEphem's crossing instants (UT Julian days), refined from kizuna's."""
    import ephem

    def longitude(jd_ut: float) -> float:
        date = ephem.Date(jd_ut - 2415020.0)
        sun = ephem.Sun(date)
        ecl = ephem.Ecliptic(ephem.Equatorial(sun.g_ra, sun.g_dec, epoch=date), epoch=date)
        return float(np.degrees(float(ecl.lon))) % 360.0

    target = np.array([ref.LONGITUDES] * kizuna_ut.shape[0], float)
    out = kizuna_ut.copy()
    for idx in np.ndindex(out.shape):
        t = out[idx]
        for _ in range(3):
            f = (target[idx] - longitude(t) + 180) % 360 - 180
            t += f / 0.9856
            if abs(f) < 1e-9:
                break
        out[idx] = t
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=seasons.FIRST_YEAR)
    parser.add_argument("--last", type=int, default=seasons.LAST_YEAR)
    parser.add_argument("--closest", type=int, default=20, help="how many near-midnight cases to list")
    parser.add_argument("--no-pyephem", action="store_true")
    args = parser.parse_args()
    years = np.arange(args.first, args.last + 1)
    names = np.array([[f"{y} {lon:>3}°" for lon in ref.LONGITUDES] for y in years])

    k_tt, k_day = kizuna_crossings(years)
    k_ut = k_tt - np.array([[seasons._delta_t(float(x)) for x in row] for row in k_tt]) / 86400
    k_day_ut, k_sec = ref.jst_seconds(k_ut)
    assert np.array_equal(k_day_ut, k_day), "kizuna's own dates are inconsistent with its instants"

    failures = 0
    print(f"{len(years)} years x {len(ref.LONGITUDES)} longitudes = {k_tt.size} crossings\n")

    references = {"SOFA (ERFA)": (years, ref.crossings(ref.sofa_longitude, years))}
    jpl_years = years[years <= DE421_LAST_YEAR]
    if len(jpl_years):
        references["JPL DE421 (skyfield)"] = (jpl_years, ref.crossings(ref.jpl_longitude, jpl_years))

    for label, (ref_years, r_tt) in references.items():
        rows = slice(0, len(ref_years))
        diff = (k_tt[rows] - r_tt) * 86400
        print(f"{label}, {ref_years[0]}–{ref_years[-1]}: kizuna − reference instant (TT): "
              f"max |Δ| {np.abs(diff).max():.2f} s, mean {diff.mean():+.2f} s, rms {diff.std():.2f} s")
        for dt_label, dt_fn in (("skyfield ΔT", ref.skyfield_delta_t),
                                ("Espenak–Meeus ΔT", ref.espenak_meeus_delta_t),
                                ("PyEphem ΔT", ref.pyephem_delta_t)):
            r_ut = r_tt - dt_fn(r_tt.ravel()).reshape(r_tt.shape) / 86400
            r_day, _ = ref.jst_seconds(r_ut)
            bad = np.argwhere(r_day != k_day[rows])
            print(f"    dates with {dt_label:<17}: {len(bad)} disagree")
            for i, j in bad:
                print(f"        {names[i, j]}: kizuna {dt.date.fromordinal(int(k_day[i, j] - 1721425))}, "
                      f"reference {dt.date.fromordinal(int(r_day[i, j] - 1721425))}")
            if dt_label == "skyfield ΔT":
                failures += len(bad)
        print()

    if not args.no_pyephem:
        p_ut = pyephem_crossings_ut(k_ut)
        diff = (k_ut - p_ut) * 86400
        p_day, _ = ref.jst_seconds(p_ut)
        bad = np.argwhere(p_day != k_day)
        p_tt = p_ut + ref.pyephem_delta_t(p_ut.ravel()).reshape(p_ut.shape) / 86400
        diff_tt = (k_tt - p_tt) * 86400
        print(f"PyEphem (own ephemeris and ΔT), {years[0]}–{years[-1]}: kizuna − PyEphem (UT): "
              f"max |Δ| {np.abs(diff).max():.2f} s, mean {diff.mean():+.2f} s; "
              f"{len(bad)} dates disagree (informational: a lower-accuracy reference)")
        print(f"    same in TT, i.e. without the ΔT difference: max |Δ| {np.abs(diff_tt).max():.2f} s, "
              f"mean {diff_tt.mean():+.2f} s")
        for i, j in bad:
            print(f"    {names[i, j]}: kizuna {dt.date.fromordinal(int(k_day[i, j] - 1721425))}, "
                  f"PyEphem {dt.date.fromordinal(int(p_day[i, j] - 1721425))}")
        print()

    margin = np.minimum(k_sec, 86400 - k_sec)
    sofa_tt = references["SOFA (ERFA)"][1]
    print("Crossings closest to JST midnight (kizuna's instant; margin = seconds to midnight):")
    for flat in np.argsort(margin.ravel())[: args.closest]:
        i, j = np.unravel_index(flat, margin.shape)
        utc = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=float(k_ut[i, j]) - 2440587.5)
        jst = utc.astimezone(dt.timezone(dt.timedelta(hours=9)))
        side = "after" if k_sec[i, j] < 43200 else "before"
        print(f"    {names[i, j]}  {jst:%Y-%m-%d %H:%M:%S} JST  {margin[i, j]:6.1f} s {side} midnight;"
              f" kizuna − SOFA {(k_tt[i, j] - sofa_tt[i, j]) * 86400:+.2f} s")
    print(f"\nminimum margin to midnight: {margin.min():.1f} s")
    print("RESULT:", "all dates agree" if failures == 0 else f"{failures} dates disagree")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
