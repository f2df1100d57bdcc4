"""Write the numeric tables at the end of kizuna/seasons.py (development only).

Run from the repository root: ``python scripts/generate_seasons_tables.py``. Needs the
development packages ``pymeeus`` (the complete VSOP87D Earth series as published by Bretagnon &
Francou), ``skyfield`` (IAU 2000 nutation coefficients, ΔT table), ``pyerfa`` (SOFA, for the frame
correction fit) and ``numpy``; none of them is needed at run time.

What it writes between the GENERATED-TABLES markers:

* ``_VSOP87D_L`` / ``_VSOP87D_R``: VSOP87D Earth longitude and radius series. A term A·cos(B+Cτ)
  of power k is kept when A·0.1^k ≥ 0.3e-8 rad (longitude) or 1e-6 au (radius): |τ| ≤ 0.1 over
  1900–2100, so every dropped term is below about 0.0006″.
* ``_NUTATION_*``: IAU 2000B, the first 77 luni-solar terms of IAU 2000A with linear
  fundamental arguments (McCarthy & Luzum 2003), in 0.1 µas.
* ``_DELTA_T``: TT − UT1 on 1 January of each year 1899–2102 from skyfield's built-in table
  (IERS Bulletin observations, then the Morrison, Stephenson, Hohenkerk & Zawilski 2021 spline).
* ``_FRAME_CORRECTION``: a quadratic in Julian centuries from J2000 (arcseconds) fitted to
  SOFA's apparent longitude minus the uncorrected series at 4000 instants over 1899–2101. It
  absorbs the difference between VSOP87D+FK5 (IAU 1976 precession, FK5 frame) and IAU 2006 /
  ICRS: the fitted slope is close to the IAU 2000 precession-rate correction (−0.2997″/cy).
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MODULE = ROOT / "kizuna" / "seasons.py"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import reference_sun  # noqa: E402

L_THRESHOLD = 0.3  # 1e-8 rad
R_THRESHOLD = 100.0  # 1e-8 au
NUTATION_TERMS = 77
FIRST_DT_YEAR, LAST_DT_YEAR = 1899, 2102


def truncate(series: list[list[list[float]]], threshold: float) -> list[list[tuple[float, float, float]]]:
    return [
        [(float(a), float(b), float(c)) for a, b, c in group if abs(a) * 0.1**k >= threshold]
        for k, group in enumerate(series)
    ]


def series_source(name: str, series: list[list[tuple[float, float, float]]], comment: str) -> str:
    lines = [f"# {comment}", f"{name}: tuple[tuple[tuple[float, float, float], ...], ...] = ("]
    for k, group in enumerate(series):
        lines.append(f"    # tau^{k}: {len(group)} terms")
        lines.append("    (")
        lines += [f"        ({a!r}, {b!r}, {c!r})," for a, b, c in group]
        lines.append("    ),")
    lines.append(")")
    return "\n".join(lines)


def tables_source(correction: tuple[float, float, float]) -> str:
    import pymeeus.Earth as earth
    import skyfield.nutationlib as nut

    parts = [
        "# Arcseconds added to the series longitude: c0 + c1 T + c2 T^2, T in Julian centuries from",
        "# J2000 (VSOP87D/FK5 to IAU 2006/ICRS, fitted against SOFA over 1899-2101).",
        "_FRAME_CORRECTION: tuple[float, float, float] = ("
        + ", ".join(f"{c:.6f}" for c in correction) + ")",
        "",
        "# TT - UT1 in seconds on 1 January of each year from _DELTA_T_FIRST_YEAR.",
        f"_DELTA_T_FIRST_YEAR = {FIRST_DT_YEAR}",
        "_DELTA_T: tuple[float, ...] = (",
    ]
    years = np.arange(FIRST_DT_YEAR, LAST_DT_YEAR + 1)
    jd = reference_sun.J2000 + (years - 2000) * 365.25
    values = reference_sun.skyfield_delta_t(jd)
    for start in range(0, len(values), 10):
        chunk = values[start:start + 10]
        parts.append(f"    {', '.join(f'{v:.2f}' for v in chunk)},  # {years[start]}")
    parts.append(")")
    parts += [
        "",
        "# Fundamental arguments l, l', F, D, Omega: arcseconds at J2000 and per Julian century.",
        "_NUTATION_ARGUMENTS: tuple[tuple[float, float], ...] = (",
    ]
    for a0, a1 in zip(nut.fa0.ravel(), nut.fa1.ravel(), strict=True):
        parts.append(f"    ({float(a0)!r}, {float(a1)!r}),")
    parts += [
        ")",
        "# IAU 2000B luni-solar nutation in longitude: multipliers of (l, l', F, D, Omega),",
        "# then S, S' (per century) and C' in 0.1 microarcseconds.",
        "_NUTATION_TERMS: tuple[tuple[tuple[int, int, int, int, int], float, float, float], ...] = (",
    ]
    for m, (s, sdot, c) in zip(nut.nals_t[:NUTATION_TERMS],
                               nut.lunisolar_longitude_coefficients[:NUTATION_TERMS], strict=True):
        mult = ", ".join(str(int(x)) for x in m)
        parts.append(f"    (({mult}), {float(s)!r}, {float(sdot)!r}, {float(c)!r}),")
    parts.append(")")
    parts.append("")
    parts.append(series_source("_VSOP87D_L", truncate(earth.VSOP87_L, L_THRESHOLD),
                               "VSOP87D Earth heliocentric longitude of date: (A in 1e-8 rad, B rad, C rad per tau)."))
    parts.append("")
    parts.append(series_source("_VSOP87D_R", truncate(earth.VSOP87_R, R_THRESHOLD),
                               "VSOP87D Earth radius vector: (A in 1e-8 au, B rad, C rad per tau)."))
    return "\n".join(parts)


def write(correction: tuple[float, float, float]) -> None:
    text = MODULE.read_text(encoding="utf-8")
    block = tables_source(correction)
    new, count = re.subn(
        r"(# GENERATED-TABLES-BEGIN\n).*?(# GENERATED-TABLES-END)",
        lambda m: m.group(1) + block + "\n" + m.group(2),
        text,
        flags=re.S,
    )
    if count != 1:
        raise SystemExit("markers not found in kizuna/seasons.py")
    MODULE.write_text(new, encoding="utf-8")


def fit_correction() -> tuple[float, float, float]:
    import kizuna.seasons as seasons

    importlib.reload(seasons)
    rng = np.random.default_rng(20251222)
    jd = np.sort(rng.uniform(2415020.5 - 365, 2488069.5 + 365, 4000))
    reference = reference_sun.sofa_longitude(jd)
    raw = np.array([seasons._raw_longitude(float(j)) for j in jd])
    diff = ((reference - raw + 180.0) % 360.0 - 180.0) * 3600.0
    t = (jd - reference_sun.J2000) / 36525.0
    design = np.vstack([np.ones_like(t), t, t * t]).T
    coeffs, *_ = np.linalg.lstsq(design, diff, rcond=None)
    residual = diff - design @ coeffs
    print(f"frame correction (arcsec): {coeffs[0]:+.6f} {coeffs[1]:+.6f} T {coeffs[2]:+.6f} T^2")
    print(f"residual vs SOFA: max {np.abs(residual).max():.4f}\" rms {residual.std():.4f}\"")
    return (float(coeffs[0]), float(coeffs[1]), float(coeffs[2]))


def main() -> None:
    write((0.0, 0.0, 0.0))
    write(fit_correction())
    print(f"wrote tables into {MODULE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
