"""The command's own contract: help everywhere, fast start-up, errors without tracebacks,
and `draft` end to end on a tmp_path log."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kizuna.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def all_commands() -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []

    def walk(prefix: str, group: click.Group) -> None:
        for name, command in group.commands.items():
            found.append((f"{prefix}{name}", command))
            if isinstance(command, click.Group):
                walk(f"{prefix}{name} ", command)

    walk("", cli)
    return found


@pytest.mark.parametrize(("name", "command"), all_commands(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_has_help_and_is_in_readme(runner: CliRunner, name: str, command: click.Command) -> None:
    assert command.help, f"`kizuna {name}` has no help text"
    result = runner.invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert f"kizuna {name}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from kizuna.cli import cli\n"
        "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('babel', 'holidays', 'sqlite_utils', 'jinja2') if m in sys.modules]\n"
        "print('HEAVY:' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "HEAVY:"


def test_a_draft_does_not_import_the_holidays_package() -> None:
    """Slots and deadlines read the holiday table (kizuna/_holiday_tables.py): importing the
    holidays package and building a year cost a third of a second of every draft. Nor does a
    draft without a log load the reading of replies."""
    code = (
        "import sys\n"
        "from kizuna.cli import cli\n"
        "try:\n    cli(['draft', 'interview_invitation', '--name', '山田 太郎', '--no-log',"
        " '--date', '2026-12-25'])\nexcept SystemExit:\n    pass\n"
        "print('HEAVY:' + ','.join(m for m in ('holidays', 'babel', 'kizuna.replytext',"
        " 'kizuna.slots.choice', 'kizuna.mentions', 'html.parser', 'kizuna.log', 'sqlite_utils')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "12月" in out.stdout  # a real invitation, its slots past the year-end closure
    assert out.stdout.strip().splitlines()[-1] == "HEAVY:"


def test_python_dash_m(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "kizuna", "kinds"], capture_output=True, text=True, check=True)
    assert "interview_invitation" in out.stdout and "面接のご案内" in out.stdout


def test_kinds_lists_all(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["kinds"])
    assert result.exit_code == 0
    for kind in ("application_received", "screening_result", "interview_invitation",
                 "interview_confirmation", "interview_reminder", "reply_reminder", "final_result",
                 "pre_arrival_guide"):
        assert kind in result.output


def test_init_writes_a_profile_that_loads(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["init", str(tmp_path / "conf")])
    assert result.exit_code == 0, result.output
    path = tmp_path / "conf" / "kizuna.toml"
    assert "# " in path.read_text(encoding="utf-8")
    again = runner.invoke(cli, ["init", str(tmp_path / "conf")])
    assert again.exit_code == 1 and "--force" in again.output
    draft = runner.invoke(cli, ["--profile", str(path), "draft", "application_received",
                                "--name", "山田 太郎", "--date", "2026-11-26", "--no-log"])
    assert draft.exit_code == 0, draft.output


def test_wrong_profile_names_file_and_key(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "kizuna.toml"
    path.write_text('[organisation]\nname = "北上市"\nsender = 3\n', encoding="utf-8")
    result = runner.invoke(cli, ["--profile", str(path), "kinds"])
    assert result.exit_code == 0  # kinds does not read the profile
    result = runner.invoke(cli, ["--profile", str(path), "draft", "application_received",
                                "--name", "山田 太郎", "--no-log"])
    assert result.exit_code == 1
    assert str(path) in result.output and "organisation.sender" in result.output
    assert "Traceback" not in result.output


def test_draft_text_is_logged_before_it_is_printed(runner: CliRunner, db_path: Path) -> None:
    result = runner.invoke(cli, ["--db", str(db_path), "draft", "screening_result", "--name", "山田 太郎",
                                "--candidate", "A-0001", "--result", "passed", "--date", "2026-11-26"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("件名：【北上市】第1次試験（書類選考）結果のご連絡\n\n山田 太郎 様\n")
    from kizuna.log import Log

    with Log.open(db_path) as log:
        rows = log.timeline("A-0001")
    assert len(rows) == 1 and rows[0].kind == "screening_result" and rows[0].status == "draft"
    assert rows[0].body in result.output


def test_draft_json_fields(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["draft", "interview_invitation", "--name", "山田 太郎", "--candidate",
                                "A-0001", "--date", "2026-11-26", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["kind"] == "interview_invitation" and data["date"] == "2026-11-26"
    assert data["candidate"] == {"id": "A-0001", "name": "山田 太郎", "email": ""}
    assert data["slots"] and all(s["start"].endswith("+09:00") for s in data["slots"])
    for topic in data["topics"]:
        assert set(topic) == {"id", "source", "role", "tone", "theme", "text"}
        assert topic["text"] in data["body"]
    assert data["exchange_id"] == 1


def test_draft_no_log_writes_no_database(runner: CliRunner, db_path: Path) -> None:
    result = runner.invoke(cli, ["--db", str(db_path), "draft", "application_received",
                                "--name", "山田 太郎", "--no-log"])
    assert result.exit_code == 0, result.output
    assert not db_path.exists()


def test_draft_with_slot_for_confirmation(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["draft", "interview_confirmation", "--name", "山田 太郎",
                                "--slot", "2026-12-05T10:00", "--date", "2026-11-27", "--no-log"])
    assert result.exit_code == 0, result.output
    assert "12月5日（土）10:00〜11:00" in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["draft", "thanks", "--name", "山田 太郎"], "interview_invitation"),
        (["draft", "screening_result", "--name", "山田 太郎"], "--result"),
        (["draft", "interview_confirmation", "--name", "山田 太郎"], "--slot"),
        (["draft", "application_received", "--name", "山田\n太郎"], "name"),
        (["draft", "application_received", "--name", "山田 太郎", "--email", "a@b.jp\nBcc: c@d.jp"], "email"),
        (["draft", "application_received", "--name", "山田 太郎", "--stage", "party"], "screening"),
        (["draft", "interview_confirmation", "--name", "山田 太郎", "--slot", "tomorrow"], "ISO 8601"),
    ],
)
def test_draft_user_errors(runner: CliRunner, args: list[str], expected: str) -> None:
    result = runner.invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_bad_date_is_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["draft", "application_received", "--name", "x", "--date", "12/5"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output


@pytest.mark.parametrize("name", ["{{ 7*7 }}", "{% raw %}"])
def test_template_syntax_name_printed_literally(runner: CliRunner, name: str) -> None:
    result = runner.invoke(cli, ["draft", "application_received", "--name", name, "--no-log"])
    assert result.exit_code == 0, result.output
    assert f"{name} 様" in result.output


def test_edit_keeps_the_recruiters_text(runner: CliRunner, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_edit(text: str, **_: object) -> str:
        # A new subject line, and a word of the body changed (the edited draft is then checked:
        # what is left must still be a letter, 宛名 first).
        return text.replace(text.split("\n", 1)[0], "件名：【北上市】ご応募ありがとうございます", 1).replace(
            "引き続き", "この先も"
        )

    monkeypatch.setattr(click, "edit", fake_edit)
    result = runner.invoke(cli, ["--db", str(db_path), "draft", "application_received", "--name", "山田 太郎",
                                "--candidate", "A-1", "--edit", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["subject"] == "【北上市】ご応募ありがとうございます"
    assert "この先も、どうぞよろしくお願いいたします。" in data["body"]
    from kizuna.log import Log

    with Log.open(db_path) as log:
        assert "この先も" in log.timeline("A-1")[0].body


@pytest.mark.parametrize("returned", [None, "", "   \n"])
def test_edit_cancelled_records_nothing(runner: CliRunner, db_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        returned: str | None) -> None:
    monkeypatch.setattr(click, "edit", lambda text, **_: returned)
    result = runner.invoke(cli, ["--db", str(db_path), "draft", "application_received", "--name", "山田 太郎",
                                "--candidate", "A-1", "--edit"])
    assert result.exit_code == 1 and "cancelled" in result.output
    from kizuna.log import Log

    with Log.open(db_path) as log:
        assert log.timeline() == []


def test_draft_eml_parses_back(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    import email
    from email import policy

    ics = tmp_path / "interview.ics"
    result = runner.invoke(cli, ["--db", str(db_path), "draft", "interview_confirmation", "--name", "山田 太郎",
                                "--candidate", "A-0001", "--email", "taro.yamada@example.jp",
                                "--slot", "2026-12-05T10:00", "--date", "2026-11-27", "--format", "eml",
                                "--ics", str(ics)])
    assert result.exit_code == 0, result.output
    msg = email.message_from_bytes(result.stdout_bytes, policy=policy.default)
    assert msg["Subject"] == "【北上市】第2次試験（一次面接）日時確定のご連絡"
    assert msg["X-Unsent"] == "1"
    body = msg.get_body(preferencelist=("plain",)).get_content()
    assert "12月5日（土）10:00〜11:00" in body
    assert b"BEGIN:VEVENT" in ics.read_bytes()


def test_draft_iso2022jp_needs_fix_for_circled_numbers(runner: CliRunner, db_path: Path) -> None:
    args = ["--db", str(db_path), "draft", "interview_invitation", "--name", "山田 太郎", "--candidate",
            "A-0001", "--email", "taro.yamada@example.jp", "--date", "2026-11-26", "--format", "eml",
            "--charset", "iso-2022-jp"]
    refused = runner.invoke(cli, args)
    assert refused.exit_code == 1 and "①" in refused.output
    assert not db_path.exists() or _count(db_path) == 0
    fixed = runner.invoke(cli, [*args, "--fix"])
    assert fixed.exit_code == 0, fixed.output
    assert max(fixed.stdout_bytes) < 128
    from kizuna.log import Log

    with Log.open(db_path) as log:
        logged = log.timeline("A-0001")
    assert len(logged) == 1 and "(1)" in logged[0].body and "①" not in logged[0].body


def test_draft_iso2022jp_refuses_a_name_it_cannot_carry(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["draft", "application_received", "--name", "髙橋 一郎", "--email",
                                "ichiro@example.jp", "--format", "eml", "--charset", "iso-2022-jp", "--fix"])
    assert result.exit_code == 1 and "髙" in result.output and "UTF-8" in result.output


def _count(db_path: Path) -> int:
    from kizuna.log import Log

    with Log.open(db_path) as log:
        return len(log.timeline())


def test_command_does_not_load_pandas_through_sqlite_utils(tmp_path: Path) -> None:
    """sqlite-utils pulls in pandas and numpy when installed (~0.6 s); the command hides them."""
    code = (
        "import sys\n"
        "from kizuna.cli import cli\n"
        f"try:\n    cli(['--db', {str(tmp_path / 'k.db')!r}, 'draft', 'application_received', '--name', 'x'])\n"
        "except SystemExit:\n    pass\n"
        "import sqlite_utils.db as d\n"
        "print('LOADED:' + ','.join(m for m in ('pandas', 'numpy') if sys.modules.get(m)), d.pd is None)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "LOADED: True"
