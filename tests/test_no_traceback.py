"""Hostile input from the adversarial battery: every case is one paragraph and exit 1 (or 2
for click's own usage errors), never a traceback."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from kizuna.cli import cli


def run(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def one_paragraph(output: str) -> bool:
    return output.startswith("Error: ") and "\n\n" not in output.strip()


def test_a_time_zone_name_too_long_for_a_file(tmp_path: Path) -> None:
    code, out = run(["--db", str(tmp_path / "k.db"), "draft", "application_received", "--name", "山田 太郎",
                     "--timezone", "x" * 300, "--no-log"])
    assert code == 1 and one_paragraph(out) and "time zone" in out


def test_a_log_path_too_long(tmp_path: Path) -> None:
    code, out = run(["--db", str(tmp_path / ("z" * 300)), "log"])
    assert code == 1 and one_paragraph(out)


def test_an_exchange_id_beyond_sqlite_integers(tmp_path: Path) -> None:
    code, out = run(["--db", str(tmp_path / "k.db"), "sent", str(2**63)])
    assert code == 2 and "2**63" not in out and "range" in out


def test_init_into_a_file_is_one_paragraph(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out = run(["init", str(blocker / "sub")])
    assert code == 1 and one_paragraph(out) and str(blocker) in out


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_export_to_a_full_disk(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    run(["--db", db, "draft", "application_received", "--name", "山田 太郎"])
    mode = stat.S_IMODE(os.stat("/dev/full").st_mode)
    code, out = run(["--db", db, "export", "--output", "/dev/full"])
    assert code == 1 and one_paragraph(out) and "No space left" in out
    assert stat.S_IMODE(os.stat("/dev/full").st_mode) == mode


def test_profiles_nested_too_deeply_endless_or_with_a_bom(tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 1000 + "]" * 1000 + "\n", encoding="utf-8")
    code, out = run(["--profile", str(deep), "draft", "application_received", "--name", "a", "--no-log"])
    assert code == 1 and one_paragraph(out) and "nested too deeply" in out
    code, out = run(["topics", "check", str(deep)])
    assert code == 1 and "nested too deeply" in out
    if Path("/dev/zero").exists():
        code, out = run(["--profile", "/dev/zero", "draft", "application_received", "--name", "a", "--no-log"])
        assert code == 1 and one_paragraph(out) and "larger than" in out
    from kizuna.profile import sample_profile_text

    bom = tmp_path / "notepad.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + sample_profile_text().encode("utf-8"))
    code, out = run(["--profile", str(bom), "draft", "application_received", "--name", "山田 太郎", "--no-log"])
    assert code == 0, out


def test_a_reply_file_that_is_not_utf8_names_line_and_column(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    run(["--db", db, "draft", "application_received", "--name", "山田 太郎", "--candidate", "A-1"])
    reply = tmp_path / "reply.txt"
    reply.write_bytes("お世話になっております。\n".encode() + "２番でお願いします".encode("cp932"))
    code, out = run(["--db", db, "reply", "A-1", "--file", str(reply)])
    assert code == 1 and one_paragraph(out) and "line 2" in out and "column 1" in out


@pytest.mark.parametrize("script", [
    "printf '\\377\\376' >> \"$1\"",   # an editor that saves another encoding
    "rm -f \"$1\"",                     # an editor that deletes its file
])
def test_a_misbehaving_editor(tmp_path: Path, script: str) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text(f"#!/bin/sh\n{script}\n")
    editor.chmod(0o755)
    db = tmp_path / "k.db"
    code, out = run(["--db", str(db), "draft", "application_received", "--name", "山田 太郎", "--edit"],
                    env={"EDITOR": str(editor)})
    assert code == 1 and one_paragraph(out)
    code, listed = run(["--db", str(db), "log"])
    assert "application_received" not in listed  # nothing was recorded


def test_an_empty_file_made_beforehand_becomes_a_private_log(tmp_path: Path) -> None:
    db = tmp_path / "kizuna.db"
    db.touch()
    db.chmod(0o644)
    code, _ = run(["--db", str(db), "draft", "application_received", "--name", "山田 太郎"])
    assert code == 0
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_csv_outputs_do_not_hand_excel_a_formula(tmp_path: Path) -> None:
    import csv

    db = str(tmp_path / "k.db")
    source = tmp_path / "in.csv"
    source.write_text(
        "応募番号,氏名,メールアドレス,結果\n"
        'A-1,"=HYPERLINK(""http://evil.example/"")",a@example.jp,通過\n'
        "A-2,+1+1,,不明\n", encoding="utf-8")
    code, out = run(["--db", db, "batch", str(source), "--kind", "screening_result",
                     "--out", str(tmp_path / "out"), "--skip-invalid"])
    assert code == 0, out
    rejects = list(csv.reader((tmp_path / "out" / "rejects.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rejects[1][3] == "'+1+1"
    run(["--db", db, "export", "--output", str(tmp_path / "x.csv")])
    rows = list(csv.DictReader((tmp_path / "x.csv").read_text(encoding="utf-8").splitlines()))
    assert rows[0]["candidate_name"] == "'=HYPERLINK(\"http://evil.example/\")"


def test_empty_names_are_refused_not_taken_for_the_default(tmp_path: Path) -> None:
    code, out = run(["--db", "", "log"])
    assert code == 2 and "--db (or KIZUNA_DB) is empty" in out
    code, out = run(["log"], env={"KIZUNA_DB": ""})
    assert code == 2 and "is empty" in out
    code, out = run(["--db", str(tmp_path / "k.db"), "batch", str(tmp_path / "x.csv"),
                     "--kind", "screening_result", "--out", ""])
    assert code == 2 and "--out is empty" in out


def test_export_never_writes_through_a_symbolic_link(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    run(["--db", db, "draft", "application_received", "--name", "山田 太郎"])
    target = tmp_path / "target.txt"
    target.write_text("keep me")
    target.chmod(0o644)
    (tmp_path / "link.csv").symlink_to(target)
    code, out = run(["--db", db, "export", "--output", str(tmp_path / "link.csv")])
    assert code == 1 and "symbolic link" in out
    assert target.read_text() == "keep me" and stat.S_IMODE(target.stat().st_mode) == 0o644
    code, out = run(["--db", db, "export", "--output", "-"])
    assert code == 0 and "candidate_name" in out and not (Path.cwd() / "-").exists()
