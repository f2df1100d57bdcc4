"""Solar terms, 雑節 and era dates (kizuna.seasons) and the `kizuna seasons` command."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

from kizuna.cli import cli
from kizuna.errors import InputError
from kizuna.seasons import (
    era_date,
    era_year,
    solar_terms,
    term_on,
    zassetsu,
    zassetsu_on,
)

D = dt.date

# FACTS.md §1: reference instants (JST) from two independent ephemerides.
FACTS_2025 = {
    "小寒": "01-05 11:32", "大寒": "01-20 04:59", "立春": "02-03 23:10", "雨水": "02-18 19:06",
    "啓蟄": "03-05 17:07", "春分": "03-20 18:01", "清明": "04-04 21:48", "穀雨": "04-20 04:56",
    "立夏": "05-05 14:57", "小満": "05-21 03:54", "芒種": "06-05 18:56", "夏至": "06-21 11:42",
    "小暑": "07-07 05:05", "大暑": "07-22 22:29", "立秋": "08-07 14:51", "処暑": "08-23 05:33",
    "白露": "09-07 17:51", "秋分": "09-23 03:19", "寒露": "10-08 09:41", "霜降": "10-23 12:50",
    "立冬": "11-07 13:03", "小雪": "11-22 10:35", "大雪": "12-07 06:04", "冬至": "12-22 00:02",
}
FACTS_2026 = {
    "立春": "02-04 05:01", "春分": "03-20 23:45", "清明": "04-05 03:39", "夏至": "06-21 17:24",
    "立秋": "08-07 20:42", "秋分": "09-23 09:05", "立冬": "11-07 18:51", "冬至": "12-22 05:49",
}

ORDER = ["小寒", "大寒", "立春", "雨水", "啓蟄", "春分", "清明", "穀雨", "立夏", "小満", "芒種", "夏至",
         "小暑", "大暑", "立秋", "処暑", "白露", "秋分", "寒露", "霜降", "立冬", "小雪", "大雪", "冬至"]


def _facts_instant(year: int, text: str) -> dt.datetime:
    return dt.datetime.strptime(f"{year}-{text}", "%Y-%m-%d %H:%M").replace(
        tzinfo=dt.timezone(dt.timedelta(hours=9)))


@pytest.mark.parametrize(("year", "facts"), [(2025, FACTS_2025), (2026, FACTS_2026)])
def test_instants_and_dates_match_the_reference(year: int, facts: dict[str, str]) -> None:
    by_name = {term.name: term for term in solar_terms(year)}
    for name, text in facts.items():
        expected = _facts_instant(year, text)
        term = by_name[name]
        assert abs((term.instant - expected).total_seconds()) <= 120, (name, term.instant)
        assert term.date == expected.date(), name


def test_a_year_has_the_24_terms_in_order_with_their_longitudes() -> None:
    terms = solar_terms(2026)
    assert [t.name for t in terms] == ORDER
    assert [t.index for t in terms] == list(range(24))
    assert [t.longitude for t in terms] == [(285 + 15 * k) % 360 for k in range(24)]
    assert terms[5].reading == "しゅんぶん" and terms[0].reading == "しょうかん"
    assert all(a.date < b.date for a, b in zip(terms, terms[1:], strict=False))
    for term in terms:
        assert term.instant.utcoffset() == dt.timedelta(hours=9)
        assert term.instant.date() == term.date
        assert term.instant.microsecond == 0


def test_dates_that_a_fixed_table_gets_wrong() -> None:
    # 2021: 立春 on 3 February for the first time in 124 years, so 節分 was on the 2nd.
    assert solar_terms(2021)[2].date == D(2021, 2, 3)
    assert zassetsu(2021)[1].id == "setsubun" and zassetsu(2021)[1].date == D(2021, 2, 2)
    # 2026 立春 is back on the 4th; 2025's 冬至 is on the 22nd, 2026's 小寒 on the 5th.
    assert solar_terms(2026)[2].date == D(2026, 2, 4)


# Crossings within about two minutes of JST midnight, checked against SOFA and JPL DE421 by
# scripts/verify_solar_terms.py (seconds to midnight in the comment).
NEAR_MIDNIGHT = [
    (2025, "冬至", D(2025, 12, 22)),  # 00:03, after
    (2030, "雨水", D(2030, 2, 18)),  # 3 s before
    (1917, "秋分", D(1917, 9, 24)),  # 6 s after
    (1950, "大寒", D(1950, 1, 20)),  # 25 s before
    (1964, "白露", D(1964, 9, 7)),  # 33 s before
    (2053, "大寒", D(2053, 1, 19)),  # 34 s before
    (1927, "春分", D(1927, 3, 21)),  # 58 s before
    (2019, "小雪", D(2019, 11, 22)),  # 64 s before
    (2021, "立春", D(2021, 2, 3)),  # 72 s before
    (1998, "霜降", D(1998, 10, 23)),  # 85 s before
    (1953, "小寒", D(1953, 1, 6)),  # 122 s after
    (1982, "寒露", D(1982, 10, 9)),  # 128 s after
    (2023, "夏至", D(2023, 6, 21)),  # 131 s before
    (2064, "立冬", D(2064, 11, 7)),  # 127 s after
    (2095, "冬至", D(2095, 12, 22)),  # 136 s after (PyEphem's steeper ΔT forecast says the 21st)
]


@pytest.mark.parametrize(("year", "name", "expected"), NEAR_MIDNIGHT)
def test_near_midnight_crossings(year: int, name: str, expected: dt.date) -> None:
    term = next(t for t in solar_terms(year) if t.name == name)
    assert term.date == expected


def test_near_midnight_zassetsu() -> None:
    by_id = {z.id: z for z in zassetsu(1967)}
    assert by_id["nyubai"].date == D(1967, 6, 12)  # 87 s after midnight
    assert {z.id: z for z in zassetsu(2061)}["doyo_winter"].date == D(2061, 1, 17)  # 74 s after
    assert {z.id: z for z in zassetsu(2030)}["doyo_summer"].date == D(2030, 7, 19)  # 96 s before


def test_summer_time_years_use_standard_time_for_the_date() -> None:
    # 立夏 1948 began at 23:52 JST (00:52 of the 6th on the clocks of Japan's 1948 summer time).
    rikka = solar_terms(1948)[8]
    assert rikka.date == D(1948, 5, 5)
    assert rikka.instant.astimezone(dt.timezone(dt.timedelta(hours=9))).date() == D(1948, 5, 5)


@pytest.mark.parametrize("year", [1899, 2101, 0, -5, 3000])
def test_years_outside_the_range_are_refused(year: int) -> None:
    for function in (solar_terms, zassetsu):
        with pytest.raises(InputError, match="1900–2100"):
            function(year)


def test_the_edges_of_the_range() -> None:
    assert solar_terms(1900)[0].date == D(1900, 1, 6)
    assert solar_terms(2100)[-1].date == D(2100, 12, 22)
    assert term_on(D(1900, 1, 1)).term.name == "冬至"  # of 1899, computed for the edge
    assert term_on(D(2100, 12, 31)).next_term.date.year == 2101
    with pytest.raises(InputError, match="1900–2100"):
        term_on(D(1899, 12, 31))


def test_zassetsu_of_2026() -> None:
    got = {z.id: (z.name, z.date, z.end) for z in zassetsu(2026)}
    assert got == {
        "doyo_winter": ("冬の土用入り", D(2026, 1, 17), D(2026, 2, 3)),
        "setsubun": ("節分", D(2026, 2, 3), None),
        "higan_spring_start": ("春の彼岸入り", D(2026, 3, 17), D(2026, 3, 23)),
        "higan_spring_middle": ("春の彼岸の中日", D(2026, 3, 20), None),
        "higan_spring_end": ("春の彼岸明け", D(2026, 3, 23), None),
        "doyo_spring": ("春の土用入り", D(2026, 4, 17), D(2026, 5, 4)),
        "hachijuhachiya": ("八十八夜", D(2026, 5, 2), None),
        "nyubai": ("入梅", D(2026, 6, 11), None),
        "hangesho": ("半夏生", D(2026, 7, 2), None),
        "doyo_summer": ("夏の土用入り", D(2026, 7, 20), D(2026, 8, 6)),
        "nihyakutoka": ("二百十日", D(2026, 9, 1), None),
        "nihyakuhatsuka": ("二百二十日", D(2026, 9, 11), None),
        "higan_autumn_start": ("秋の彼岸入り", D(2026, 9, 20), D(2026, 9, 26)),
        "higan_autumn_middle": ("秋の彼岸の中日", D(2026, 9, 23), None),
        "higan_autumn_end": ("秋の彼岸明け", D(2026, 9, 26), None),
        "doyo_autumn": ("秋の土用入り", D(2026, 10, 20), D(2026, 11, 6)),
    }
    dates = [z.date for z in zassetsu(2026)]
    assert dates == sorted(dates)


@pytest.mark.parametrize("year", [1901, 1948, 2025, 2027, 2099])
def test_zassetsu_follow_their_terms(year: int) -> None:
    terms = solar_terms(year)
    by_id = {z.id: z for z in zassetsu(year)}
    risshun = terms[2].date
    assert by_id["setsubun"].date == risshun - dt.timedelta(days=1)
    assert by_id["hachijuhachiya"].date == risshun + dt.timedelta(days=87)
    assert by_id["nihyakutoka"].date == risshun + dt.timedelta(days=209)
    assert by_id["nihyakuhatsuka"].date == risshun + dt.timedelta(days=219)
    for season, equinox in (("spring", terms[5].date), ("autumn", terms[17].date)):
        assert by_id[f"higan_{season}_middle"].date == equinox
        assert by_id[f"higan_{season}_start"].date == equinox - dt.timedelta(days=3)
        assert by_id[f"higan_{season}_start"].end == equinox + dt.timedelta(days=3)
        assert by_id[f"higan_{season}_end"].date == equinox + dt.timedelta(days=3)
    # Each 土用 lasts to the eve of the next season's start; it is 17 to 20 days long.
    for season, start_index in (("winter", 2), ("spring", 8), ("summer", 14), ("autumn", 20)):
        doyo = by_id[f"doyo_{season}"]
        assert doyo.end == terms[start_index].date - dt.timedelta(days=1)
        assert 16 <= (doyo.end - doyo.date).days <= 19
    # 入梅 falls between 芒種 and 夏至, 半夏生 between 夏至 and 小暑.
    assert terms[10].date < by_id["nyubai"].date < terms[11].date
    assert terms[11].date < by_id["hangesho"].date < terms[12].date


def test_zassetsu_on_a_day() -> None:
    assert {z.id for z in zassetsu_on(D(2026, 3, 20))} == {"higan_spring_start", "higan_spring_middle"}
    assert {z.id for z in zassetsu_on(D(2026, 3, 23))} == {"higan_spring_start", "higan_spring_end"}
    assert [z.id for z in zassetsu_on(D(2026, 7, 26))] == ["doyo_summer"]
    assert [z.id for z in zassetsu_on(D(2026, 8, 7))] == []  # 立秋: the 土用 ended the day before
    assert {z.id for z in zassetsu_on(D(2026, 2, 3))} == {"doyo_winter", "setsubun"}
    assert [z.id for z in zassetsu_on(D(2026, 6, 11))] == ["nyubai"]
    assert zassetsu_on(D(2026, 6, 1)) == []


def test_term_on() -> None:
    position = term_on(D(2026, 11, 26))
    assert (position.term.name, position.day_index, position.next_term.name) == ("小雪", 4, "大雪")
    assert position.days_to_next == 11  # 大雪 on 12-07
    first = term_on(D(2026, 11, 22))
    assert (first.term.name, first.day_index) == ("小雪", 0)
    eve = term_on(D(2026, 12, 6))
    assert (eve.term.name, eve.days_to_next) == ("小雪", 1)


def test_term_on_across_the_new_year() -> None:
    position = term_on(D(2026, 1, 1))
    assert position.term.name == "冬至" and position.term.date == D(2025, 12, 22)
    assert position.day_index == 10
    assert position.next_term.name == "小寒" and position.next_term.date == D(2026, 1, 5)
    last = term_on(D(2025, 12, 31))
    assert last.term.date == D(2025, 12, 22) and last.next_term.date == D(2026, 1, 5)


def test_term_on_accepts_an_aware_datetime_in_jst() -> None:
    # 2025-12-21 15:30 UTC is 00:30 on the 22nd in Japan: already 冬至.
    moment = dt.datetime(2025, 12, 21, 15, 30, tzinfo=dt.UTC)
    assert term_on(moment).term.name == "冬至"


def test_every_day_of_a_year_is_in_exactly_one_term() -> None:
    day, seen = D(2026, 1, 1), []
    while day.year == 2026:
        position = term_on(day)
        assert position.term.date + dt.timedelta(days=position.day_index) == day
        assert position.term.date <= day < position.next_term.date
        seen.append(position.term.name)
        day += dt.timedelta(days=1)
    assert len(set(seen)) == 24


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 12, 5), "令和8年"),
        (D(2019, 5, 1), "令和元年"),
        (D(2019, 4, 30), "平成31年"),
        (D(1989, 1, 8), "平成元年"),
        (D(1989, 1, 7), "昭和64年"),
        (D(1926, 12, 25), "昭和元年"),
        (D(2020, 1, 1), "令和2年"),
    ],
)
def test_era_year(day: dt.date, expected: str) -> None:
    assert era_year(day) == expected


def test_era_date_and_its_limit() -> None:
    assert era_date(D(2026, 12, 5)) == "令和8年12月5日"
    assert era_date(D(2019, 5, 1)) == "令和元年5月1日"
    with pytest.raises(InputError, match="1926-12-25"):
        era_year(D(1926, 12, 24))


# --- the command --------------------------------------------------------------------------------


def test_cli_csv(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(cli, ["seasons", "--year", "2025", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "name,date"
    assert len(lines) == 25
    assert lines[1] == "小寒,2025-01-05"
    assert lines[-1] == "冬至,2025-12-22"
    assert [line.split(",")[0] for line in lines[1:]] == ORDER


def test_cli_json(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(cli, ["seasons", "--year", "2026", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data) == 24
    assert data[2] == {
        "name": "立春", "reading": "りっしゅん", "longitude": 315, "date": "2026-02-04",
        "instant": data[2]["instant"],
    }
    assert data[2]["instant"].startswith("2026-02-04T05:0") and data[2]["instant"].endswith("+09:00")


def test_cli_zassetsu(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(cli, ["seasons", "--year", "2026", "--format", "json", "--zassetsu"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"id": "setsubun", "name": "節分", "date": "2026-02-03", "end": None} in data
    csv = runner.invoke(cli, ["seasons", "--year", "2026", "--format", "csv", "--zassetsu"])
    assert csv.output.splitlines()[0] == "id,name,date,end"
    assert "doyo_summer,夏の土用入り,2026-07-20,2026-08-06" in csv.output.splitlines()


def test_cli_text_shows_terms_and_zassetsu(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(cli, ["seasons", "--year", "2025"])
    assert result.exit_code == 0, result.output
    assert "冬至  2025-12-22 00:03" in result.output
    assert "2025-02-02  節分" in result.output
    assert "2025-03-17 – 2025-03-23  春の彼岸入り" in result.output


def test_cli_defaults_to_this_year(runner) -> None:  # type: ignore[no-untyped-def]
    from kizuna.cli import today_jst

    result = runner.invoke(cli, ["seasons", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].startswith(f"小寒,{today_jst().year}-01-")


@pytest.mark.parametrize("year", ["1899", "2101"])
def test_cli_year_out_of_range(runner, year: str) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(cli, ["seasons", "--year", year])
    assert result.exit_code == 1
    assert "1900–2100" in result.output
    assert "Traceback" not in result.output


# --- the generated tables (kizuna/_season_tables.py) -------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "scripts" / "generate_seasons_tables.py"

# sha256 of repr() of each table as it stood at the end of seasons.py before the move.
TABLE_CHECKSUMS = {
    "FRAME_CORRECTION": "554517be23e464719a0cd375afe3436c863c1ff96ac78c49c8941f4def3fe8f2",
    "DELTA_T": "10aed6eba32cd3617acd52b2148f53db9a8798fc4223dfe1b99ab7da1f7b12e8",
    "NUTATION_ARGUMENTS": "45d20063aababeac63959b3124add64eef9fb538f4755f3f1047f3133b46d23d",
    "NUTATION_TERMS": "81671e6ca6f1443b41d6e751b0b1ae06453f931b3e34943940f73c819dda3c7f",
    "VSOP87D_L": "90f7ba431b1d4f440924a599731d996b32b7948ae9d0b383d58e711041740e6d",
    "VSOP87D_R": "478d0f8ca96026aca2f3d5262a162f440318ca5d81a9e1f54fd11694b8a5ae84",
}


def test_generated_tables_keep_their_shapes_and_values() -> None:
    from kizuna import _season_tables as tables

    assert tables.DELTA_T_FIRST_YEAR == 1899 and len(tables.DELTA_T) == 2102 - 1899 + 1
    assert len(tables.NUTATION_ARGUMENTS) == 5 and len(tables.NUTATION_TERMS) == 77
    assert [len(group) for group in tables.VSOP87D_L] == [333, 50, 3, 0, 0, 0]
    assert [len(group) for group in tables.VSOP87D_R] == [17, 2, 0, 0, 0, 0]
    for name, checksum in TABLE_CHECKSUMS.items():
        assert hashlib.sha256(repr(getattr(tables, name)).encode()).hexdigest() == checksum, name
    source = (ROOT / "kizuna" / "_season_tables.py").read_text(encoding="utf-8")
    assert source.startswith("# Generated by scripts/generate_seasons_tables.py; do not edit.\n")


def _generator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(GENERATOR), "--check", *args],
                          capture_output=True, text=True, cwd=ROOT)


@pytest.mark.slow
def test_generated_tables_module_is_the_scripts_rendering_of_its_values() -> None:
    # Needs no dev package: the file is byte for byte what the script writes for these values.
    done = _generator("--from-module")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kizuna/_season_tables.py is up to date" in done.stdout


@pytest.mark.slow
@pytest.mark.skipif(any(find_spec(m) is None for m in ("numpy", "erfa", "skyfield", "pymeeus")),
                    reason="needs the dev extra: pip install -e '.[dev]'")
def test_generated_tables_module_is_regenerated_from_the_sources() -> None:
    done = _generator()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kizuna/_season_tables.py is up to date" in done.stdout


def test_the_tabled_instants_are_the_computed_ones_for_every_year() -> None:
    """kizuna/_term_instants.py against kizuna.seasons.compute_crossing, every year and
    longitude: run scripts/generate_term_instants.py after changing the computation."""
    from kizuna import _term_instants as table
    from kizuna.seasons import CROSSING_LONGITUDES, _crossing, compute_crossing

    assert min(table.CROSSINGS) == 1899 and max(table.CROSSINGS) == 2101
    for year, row in table.CROSSINGS.items():
        for longitude, seconds in zip(CROSSING_LONGITUDES, row, strict=True):
            computed = compute_crossing(year, longitude)
            assert int(computed[0].timestamp()) == seconds, (year, longitude)
            assert _crossing(year, longitude) == computed
    # Outside the table, computed as before.
    assert _crossing(1890, 315.0) == compute_crossing(1890, 315.0)
