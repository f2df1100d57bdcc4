"""The profile is checked once, at load: wrong types, typos, dates kizuna cannot serve."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from kizuna.cli import cli
from kizuna.errors import InputError, KizunaError, ProfileError, SlotError
from kizuna.kinds import KINDS
from kizuna.models import JST, Candidate, Slot
from kizuna.output import render_draft
from kizuna.pipeline import draft_message
from kizuna.profile import Profile, load_profile, sample_profile_text
from kizuna.slots import SlotPolicy, propose

ON = dt.date(2026, 11, 26)
OUTSIDE = ["9999-12-31", "0001-01-01", "1899-12-31", "2101-01-01"]
EDGES = ["1900-01-01", "2100-12-31"]


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
        ('start_date = "2027-04-01"', "start_date = 0001-01-01", "position.start_date",
         "from 1900-01-01 to 2100-12-31"),
        ('start_date = "2027-04-01"', 'start_date = "9999-12-31"', "position.start_date",
         "from 1900-01-01 to 2100-12-31"),
    ],
)
def test_numbers_and_dates_beyond_what_kizuna_serves(
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


# --- dates kizuna cannot serve ------------------------------------------------------------------

DATE_OPTIONS = ("--date", "--from", "--before", "--at", "--slot")

# The other arguments each command needs to reach its date; a command with a date option
# missing here fails the walk, so a new one cannot skip the check.
NEEDS: dict[str, list[str]] = {
    "draft": ["screening_result", "--name", "山田 太郎", "--result", "passed", "--no-log"],
    "batch": ["{csv}", "--kind", "screening_result", "--out", "{out}", "--dry-run", "-q"],
    "pending": [],
    "purge": ["-y"],
    "topics": ["--kind", "screening_result"],
    "slots": [],
    "reminders": [],
    "reply": ["A-0001", "--text", "①でお願いします"],
    "inbox": [],  # no source: only the kept messages are tried (none here)
    "check": ["-"],
    "today": [],
}


def date_commands() -> Iterator[tuple[str, str]]:
    """(command, option) for every date option of every command, subcommands included."""

    def walk(group: click.Group, prefix: str) -> Iterator[tuple[str, str]]:
        for name, command in group.commands.items():
            for param in command.params:
                for opt in param.opts:
                    if opt in DATE_OPTIONS:
                        yield prefix + name, opt
            if isinstance(command, click.Group):
                yield from walk(command, f"{prefix}{name} ")

    yield from walk(cli, "")


def invoke(tmp_path: Path, command: str, option: str, value: str) -> Any:
    csv = tmp_path / "a.csv"
    csv.write_text("id,name,email,result\nA-0001,山田 太郎,t@example.com,passed\n", encoding="utf-8")
    if command == "draft" and option == "--slot":
        # 1900-01-01 and 2100-12-31 fall in the year-end closure: --force takes them anyway.
        args = ["interview_confirmation", "--name", "山田 太郎", "--no-log", "--date", "2026-11-26",
                "--force"]
        value = f"{value}T10:00"
    elif option == "--at":
        value = f"{value}T10:00"
        args = NEEDS[command]
    else:
        args = NEEDS[command]
    args = [a.format(csv=csv, out=tmp_path / "out") for a in args]
    return CliRunner().invoke(
        cli, ["--db", str(tmp_path / "k.db"), *command.split(), *args, option, value]
    )


@pytest.mark.parametrize("value", OUTSIDE)
@pytest.mark.parametrize(("command", "option"), sorted(date_commands()))
def test_every_date_option_refuses_dates_outside_the_served_years(
    tmp_path: Path, command: str, option: str, value: str
) -> None:
    result = invoke(tmp_path, command, option, value)
    assert isinstance(result.exception, SystemExit), result.exception  # no uncaught error
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert f"{option.lstrip('-')}'" in lines[0] and value in lines[0]
    assert "1900–2100" in lines[0] and "1900-01-01 to 2100-12-31" in lines[0]


def test_every_date_option_serves_the_first_and_last_day(tmp_path: Path) -> None:
    """The range is what kizuna really serves: its first and last days work everywhere
    (1900-01-01 once failed: the town's climate shift looked up a term of 1899)."""
    found = set(date_commands())
    assert {("slots", "--from"), ("draft", "--date"), ("draft", "--slot"), ("purge", "--before"),
            ("reminders", "--date"), ("pending", "--date"), ("topics", "--date"),
            ("batch", "--date"), ("reply", "--at"), ("today", "--date")} <= found
    assert {command for command, _ in found} <= set(NEEDS)
    failures = []
    for command, option in sorted(found):
        for value in EDGES:
            result = invoke(tmp_path, command, option, value)
            if command == "reply":  # the applicant is not in the log: refused, not for the date
                ok = result.exit_code == 1 and "1900–2100" not in result.output
            elif command == "slots" and value.startswith("2100"):
                # Slots start after the lead days, past the last day served: said so plainly.
                ok = result.exit_code == 1 and "the last day kizuna serves" in result.output
            else:
                ok = result.exit_code == 0
            if not ok:
                failures.append(f"{command} {option} {value}: {result.output.strip()}")
    assert not failures, "\n".join(failures)


def test_every_kind_drafts_on_the_edges_of_the_range() -> None:
    profile = load_profile()
    for day in (dt.date(1900, 1, 1), dt.date(2100, 12, 31)):
        start = dt.datetime.combine(day, dt.time(10), JST)
        for kind, spec in KINDS.items():
            if spec.offers_slots and day.year == 2100:
                # Its slots would fall after the reply deadline, in 2101: refused, not offered.
                with pytest.raises(SlotError, match="the last day kizuna serves"):
                    draft_message(profile, kind, Candidate(id="A-0001", name="山田 太郎"), on=day)
                continue
            if kind == "pre_arrival_guide" and profile.start_date and day >= profile.start_date:
                continue  # refused: a guide for a first day already past (tested in test_conversation)
            drafted = draft_message(
                profile, kind, Candidate(id="A-0001", name="山田 太郎"), on=day,
                result="passed" if spec.needs_result else None,
                slot=Slot(start, start + dt.timedelta(hours=1)) if spec.needs_slot else None,
                slots=[Slot(start, start + dt.timedelta(hours=1))] if spec.repeats_offer else None,
                **extras(kind),
            )
            assert drafted.message.date == day


@pytest.mark.parametrize("day", [dt.date(9999, 12, 31), dt.date(1, 1, 1), dt.date(1899, 12, 31)])
def test_library_entry_points_refuse_dates_outside_the_served_years(day: dt.date) -> None:
    profile = load_profile()
    with pytest.raises(InputError, match="1900–2100") as caught:
        draft_message(profile, "interview_invitation", Candidate(id="A-1", name="山田 太郎"), on=day)
    assert caught.value.field == "on"
    with pytest.raises(InputError, match="1900–2100") as caught:
        propose(profile.slots, day, 3)
    assert caught.value.field == "start_day"


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


def extras(kind: str) -> dict[str, str]:
    """What a kind needs besides a result and a slot: a note's text, a reminder's meeting URL."""
    if KINDS[kind].written_by_hand:
        return {"note": "書類の受け取りについてご連絡いたします。"}
    if kind == "interview_reminder":
        return {"meeting_url": "https://meet.example.jp/r/1"}
    return {}


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
                # A nudge repeats held slots, which without a log are given.
                slots=[Slot(start, start + dt.timedelta(hours=1))] if spec.repeats_offer else None,
                **extras(kind),
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
    for n, (path, value) in enumerate((p, v) for p in sample_paths() for v in WRONG_VALUES):
        # A file of its own each time: nothing keyed on a path and its mtime can be stale.
        folder = tmp_path / f"variant-{n}"
        folder.mkdir()
        file = write(folder, to_toml(with_value(path, value)))
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


@pytest.mark.parametrize(("key", "value", "said"), [
    ("email", "not an email", "contains a space"),
    ("email", "saiyo@例え", "non-ASCII"),
    ("name", "", "cannot be empty"),
    ("sender", "  ", "cannot be empty"),
])
def test_organisation_values_every_message_relies_on_are_checked_at_load(
    tmp_path: Path, key: str, value: str, said: str
) -> None:
    import re

    text = re.sub(rf'(?m)^{key} = ".*"$', f'{key} = "{value}"', sample_profile_text(), count=1)
    path = tmp_path / "kizuna.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.field == f"organisation.{key}" and said in str(caught.value)
    assert caught.value.line is not None


# --- [mail] and [mail.imap] ------------------------------------------------------------------

MAIL = """
[mail]
host = "smtp.example.lg.jp"
user = "dx-saiyo@example.lg.jp"
archive_bcc = "archive@example.lg.jp"

[mail.imap]
host = "imap.example.lg.jp"
user = "dx-saiyo@example.lg.jp"
"""


def test_mail_tables_are_typed_with_defaults(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, sample_profile_text() + MAIL))
    assert profile.mail is not None and profile.imap is not None
    assert (profile.mail.host, profile.mail.port, profile.mail.security) == (
        "smtp.example.lg.jp", 587, "starttls")
    assert profile.mail.password_env == "KIZUNA_SMTP_PASSWORD"
    assert profile.mail.rate_per_minute == 30 and profile.mail.timeout_seconds == 30
    assert profile.mail.archive_bcc == "archive@example.lg.jp"
    assert (profile.imap.port, profile.imap.security, profile.imap.folder) == (993, "tls", "INBOX")
    assert load_profile().mail is None and load_profile().imap is None


def test_the_default_port_follows_security(tmp_path: Path) -> None:
    text = sample_profile_text() + '\n[mail]\nhost = "localhost"\nsecurity = "tls"\n'
    profile = load_profile(write(tmp_path, text))
    assert profile.mail is not None and profile.mail.port == 465


@pytest.mark.parametrize(("old", "new", "message"), [
    ('user = "dx-saiyo@example.lg.jp"\narchive', 'pasword = "x"\narchive',
     "field 'mail.pasword': Unknown key. Did you mean 'password_env'?"),
    ('user = "dx-saiyo@example.lg.jp"\narchive', 'password = "hunter2"\narchive',
     "field 'mail.password': A password is never kept in the profile."),
    ('host = "smtp.example.lg.jp"', 'host = "smtp.example.lg.jp"\nport = "587"',
     "field 'mail.port': Expected a whole number from 1 to 65535, found '587'."),
    ('host = "smtp.example.lg.jp"', 'host = "smtp.example.lg.jp"\nsecurity = "ssl"',
     "field 'mail.security': Expected 'starttls', 'tls' or 'none', found 'ssl'."),
    ('host = "smtp.example.lg.jp"', 'host = "smtp.example.lg.jp"\nrate_per_minute = 0',
     "field 'mail.rate_per_minute': Expected a whole number from 1 to 6000, found 0."),
    ('host = "smtp.example.lg.jp"', 'host = "smtp.example.lg.jp"\npassword_env = "MY PASS"',
     "field 'mail.password_env': Expected an environment variable name, found 'MY PASS'."),
    ('archive_bcc = "archive@example.lg.jp"', 'archive_bcc = "archive＠example.lg.jp"',
     "field 'mail.archive_bcc': 'archive＠example.lg.jp' contains non-ASCII characters"),
    ('host = "imap.example.lg.jp"', 'host = "imap.example.lg.jp"\nfolders = "INBOX"',
     "field 'mail.imap.folders': Unknown key. Did you mean 'folder'?"),
    ('host = "imap.example.lg.jp"', 'host = "imap.example.lg.jp"\npassword = "x"',
     "field 'mail.imap.password': A password is never kept in the profile."),
])
def test_a_wrong_mail_setting_names_its_key_and_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    mail = MAIL.replace(old, new, 1)
    assert mail != MAIL
    text = sample_profile_text() + mail
    path = write(tmp_path, text)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{path}, line ")


def test_mail_without_a_host_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, sample_profile_text() + '\n[mail]\nuser = "x"\n')
    with pytest.raises(ProfileError, match="field 'mail.host': Required key is missing."):
        load_profile(path)
    # [mail.imap] alone is reading only.
    text = sample_profile_text() + '\n[mail.imap]\nhost = "imap.example.jp"\nuser = "x"\n'
    profile = load_profile(write(tmp_path, text))
    assert profile.mail is None and profile.imap is not None
