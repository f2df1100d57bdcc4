"""The profile is checked once, at load: wrong types, typos, dates kizuna cannot serve."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kizuna.cli import cli
from kizuna.errors import KizunaError, ProfileError
from kizuna.kinds import KINDS
from kizuna.models import JST, Candidate, Slot
from kizuna.pipeline import draft_message, render_draft
from kizuna.profile import Profile, load_profile, sample_profile_text
from kizuna.slots import SlotPolicy

ON = dt.date(2026, 11, 26)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kizuna.toml"
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str) -> str:
    text = sample_profile_text()
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if line.startswith(needle))


# --- typed at load ----------------------------------------------------------------------------


def test_slots_are_a_typed_policy_after_load() -> None:
    profile = load_profile()
    assert isinstance(profile.slots, SlotPolicy)
    assert profile.slots.offer_count == 3
    assert SlotPolicy.from_profile(profile) is profile.slots


def test_a_wrong_type_in_slots_is_a_profile_error_at_load(tmp_path: Path) -> None:
    text = edited("offer_count = 3", 'offer_count = "three"')
    path = write(tmp_path, text)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    error = caught.value
    assert error.path == str(path) and error.field == "slots.offer_count"
    assert error.line == line_of(text, "offer_count")
    assert "whole number" in error.message and "'three'" in error.message


@pytest.mark.parametrize(
    ("old", "new", "field", "expected"),
    [
        ("days = 365", "days = 99999999999", "retention.days", "from 1 to 36500"),
        ("deadline_business_days = 3", "deadline_business_days = 10000000000",
         "replies.deadline_business_days", "from 1 to 60"),
        ("horizon_days = 21", "horizon_days = 99999999999", "slots.horizon_days", "from 1 to 366"),
    ],
)
def test_numbers_beyond_what_kizuna_serves(
    tmp_path: Path, old: str, new: str, field: str, expected: str
) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile(write(tmp_path, edited(old, new)))
    assert caught.value.field == field
    assert expected in str(caught.value)


# --- typos ------------------------------------------------------------------------------------


def test_a_misspelt_table_is_an_error_naming_the_nearest(tmp_path: Path) -> None:
    text = edited("[retention]", "[retension]")
    path = write(tmp_path, text)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert str(caught.value) == (
        f"{path}, line {line_of(text, '[retension]')}, field 'retension': Unknown table. "
        "Did you mean 'retention'?"
    )


@pytest.mark.parametrize(
    ("old", "new", "field", "nearest"),
    [
        ("[position]\n", "[position]\ntitel = 'x'\n", "position.titel", "title"),
        ('sender = "北上 花子"', 'sendr = "北上 花子"', "organisation.sendr", "sender"),
        ('tool = "Zoom"', 'tool = "Zoom"\nformt = "online"', "stages[1].formt", "format"),
        ("use_era = true", "use_eras = true", "wording.use_eras", "use_era"),
        ('town = "kitakami"', 'twon = "kitakami"', "topics.twon", "town"),
        ("deadline_business_days = 3", "deadline_days = 3", "replies.deadline_days",
         "deadline_business_days"),
        ("offer_count = 3", "offer_cont = 3", "slots.offer_cont", "offer_count"),
        ("days = 365", "day = 365", "retention.day", "days"),
        ("[guide]\n", "[guide]\nvist = 'x'\n", "guide.vist", "visit"),
        ("[wording]\n", "[wordings]\n", "wordings", "wording"),
        ("[[stages]]\nid = \"final\"", "[[stage]]\nid = \"final\"", "stage", "stages"),
    ],
)
def test_unknown_keys_at_every_level_name_the_nearest(
    tmp_path: Path, old: str, new: str, field: str, nearest: str
) -> None:
    text = edited(old, new)
    with pytest.raises(ProfileError) as caught:
        load_profile(write(tmp_path, text))
    error = caught.value
    assert error.field == field
    assert f"Did you mean '{nearest}'?" in str(error)
    last = field.rsplit(".", 1)[-1]
    assert error.line is not None
    assert text.splitlines()[error.line - 1].lstrip("[").startswith(last)


def test_an_unknown_key_without_a_near_one_lists_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile(write(tmp_path, edited("days = 365", "days = 365\nzzz = 1")))
    assert caught.value.field == "retention.zzz"
    assert "Valid keys here: days." in str(caught.value)


def test_cli_typo_is_one_paragraph(tmp_path: Path) -> None:
    path = write(tmp_path, edited("[retention]", "[retension]"))
    result = CliRunner().invoke(
        cli, ["--profile", str(path), "--db", str(tmp_path / "k.db"), "purge", "--expired", "-y"]
    )
    assert result.exit_code == 1
    assert "Did you mean 'retention'?" in result.output and "Traceback" not in result.output


# --- every sample key with values of the wrong type ---------------------------------------------

WRONG_VALUES: list[Any] = [
    "three", "", 3, 0, -1, 2**63 - 1, 1.5, True, False, [], ["x"], [1], [{"a": 1}], {}, {"a": 1},
    dt.date(2026, 12, 5), dt.time(10, 0),
]


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    assert isinstance(value, Mapping)
    return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"


def to_toml(data: Mapping[str, Any]) -> str:
    """Enough TOML for the sample profile's shape: root keys, tables, arrays of tables."""
    out = [f"{k} = {toml_value(v)}" for k, v in data.items()
           if not (isinstance(v, Mapping) and v) and not (isinstance(v, list) and v
                                                        and all(isinstance(i, Mapping) for i in v))]
    for key, value in data.items():
        if isinstance(value, Mapping) and value:
            out.append(f"[{key}]")
            out += [f"{k} = {toml_value(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(i, Mapping) for i in value):
            for item in value:
                out.append(f"[[{key}]]")
                out += [f"{k} = {toml_value(v)}" for k, v in item.items()]
    return "\n".join(out) + "\n"


def sample_paths() -> Iterator[tuple[str | int, ...]]:
    """Every table, array of tables and key of the sample profile (stage minutes too)."""
    data = tomllib.loads(sample_profile_text())
    for key, value in data.items():
        yield (key,)
        if isinstance(value, Mapping):
            for inner in value:
                yield (key, inner)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield (key, i)
                for inner in {*item, "minutes"}:
                    yield (key, i, inner)


def with_value(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    data: Any = tomllib.loads(sample_profile_text())
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return data  # type: ignore[no-any-return]


def draft_every_kind(profile: Profile) -> int:
    """Draft and render every kind; a KizunaError is a fine answer, anything else is a bug.
    Returns how many kinds drafted."""
    start = dt.datetime(2026, 12, 5, 10, tzinfo=JST)
    candidate = Candidate(id="A-0001", name="山田 太郎", email="taro@example.com")
    done = 0
    for kind, spec in KINDS.items():
        try:
            drafted = draft_message(
                profile, kind, candidate, on=ON, result="passed" if spec.needs_result else None,
                slot=Slot(start, start + dt.timedelta(hours=1)) if spec.needs_slot else None,
            )
            render_draft(drafted.message, profile, "eml")
        except KizunaError:
            continue
        done += 1
    return done


def test_wrong_types_are_profile_errors_and_never_crash_a_draft(tmp_path: Path) -> None:
    """Every key of the sample, given each wrong value: a ProfileError naming the file, or a
    profile that drafts every kind (or refuses with a KizunaError)."""
    sample = tomllib.loads(sample_profile_text())
    assert tomllib.loads(to_toml(sample)) == sample  # the writer is faithful
    assert draft_every_kind(load_profile(write(tmp_path, to_toml(sample)))) == len(KINDS)
    problems = []
    for path in sample_paths():
        for value in WRONG_VALUES:
            file = write(tmp_path, to_toml(with_value(path, value)))
            try:
                profile = load_profile(file)
            except ProfileError as exc:
                if exc.path != str(file):
                    problems.append(f"{path} = {value!r}: error without the file: {exc}")
                continue
            except Exception as exc:
                problems.append(f"{path} = {value!r}: load raised {exc!r}")
                continue
            try:
                draft_every_kind(profile)
            except Exception as exc:
                problems.append(f"{path} = {value!r}: drafting raised {exc!r}")
    assert not problems, "\n".join(problems)
