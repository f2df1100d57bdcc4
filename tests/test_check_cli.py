"""`kizuna check` on files, stdin and the log; the check after `kizuna draft --edit`; and the
check a batch makes before it writes anything."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kizuna.cli import cli
from kizuna.compose import Composer
from kizuna.log import Log
from kizuna.models import Candidate
from kizuna.profile import load_profile, sample_profile_text

DAY = "2026-11-26"
CLEAN = ("件名：【北上市】第2次試験（一次面接）日程のご案内\n\n山田 太郎 様\n\n"
         "北上市役所 企画部の北上 花子です。\n面接は12月5日（土）18:00からです。\n")
WRONG_WEEKDAY = CLEAN.replace("（土）", "（金）")


def run(runner: CliRunner, db: Path, *args: str, input: bytes | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(cli, ["--db", str(db), *args], input=input, catch_exceptions=False)


def test_a_clean_draft_passes_and_an_error_is_exit_status_1(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    clean, wrong = tmp_path / "clean.txt", tmp_path / "wrong.txt"
    clean.write_text(CLEAN, encoding="utf-8")
    wrong.write_text(WRONG_WEEKDAY, encoding="utf-8")
    ok = run(runner, db_path, "check", str(clean), "--date", DAY)
    assert ok.exit_code == 0, ok.output
    assert ok.output.strip() == "0 errors, 0 warnings in 1 draft."
    bad = run(runner, db_path, "check", str(clean), str(wrong), "--date", DAY)
    assert bad.exit_code == 1
    assert f"{wrong}:6:4: error date.weekday: 12月5日 is a Saturday (土) in 2026, not 金" in bad.output
    assert "→ 12月5日（土）" in bad.output
    assert bad.output.strip().endswith("1 error, 0 warnings in 2 drafts.")
    # Checking a file does not create a log just to look.
    assert not db_path.exists()


def test_warnings_alone_exit_0_and_json_lists_every_field(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "draft.txt"
    path.write_text(CLEAN + "日程の件、了解しました。\n", encoding="utf-8")
    result = run(runner, db_path, "check", str(path), "--date", DAY, "--format", "json")
    assert result.exit_code == 0, result.output
    (item,) = json.loads(result.output)
    assert item["source"] == str(path) and (item["errors"], item["warnings"]) == (0, 1)
    assert item["findings"] == [{
        "rule": "keigo.ryokai", "severity": "warning", "line": 7, "column": 6, "text": "了解しました",
        "message": "了解 is not polite enough for an applicant.", "suggestion": "承知しました / かしこまりました",
    }]
    errors = run(runner, db_path, "check", "-", "--date", DAY, "--format", "json", input=WRONG_WEEKDAY.encode())
    assert errors.exit_code == 1
    assert json.loads(errors.output)[0]["findings"][0]["rule"] == "date.weekday"


def test_the_profile_switches_a_rule_off(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "wrong.txt"
    path.write_text(WRONG_WEEKDAY, encoding="utf-8")
    profile = tmp_path / "kizuna.toml"
    profile.write_text(sample_profile_text().replace("disable = []", 'disable = ["date.weekday"]'), encoding="utf-8")
    assert run(runner, db_path, "--profile", str(profile), "check", str(path), "--date", DAY).exit_code == 0
    profile.write_text(sample_profile_text().replace("disable = []", 'disable = ["date.wekday"]'), encoding="utf-8")
    typo = run(runner, db_path, "--profile", str(profile), "check", str(path), "--date", DAY)
    assert typo.exit_code == 1
    assert "field 'check.disable[0]': Unknown check rule 'date.wekday'. Did you mean 'date.weekday'?" in typo.output
    assert "Traceback" not in typo.output


@pytest.mark.parametrize(("content", "says"), [
    (b"\x00\x01\x02PK binary", "This is a binary file"),
    (b"\x81\x7f\xff\xfe\xfa\xfb", "unknown encoding"),
])
def test_bad_input_is_one_paragraph_naming_the_file(runner: CliRunner, db_path: Path, tmp_path: Path,
                                                    content: bytes, says: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    result = run(runner, db_path, "check", str(path))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {path}: ") and says in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    missing = run(runner, db_path, "check", str(tmp_path / "gone.txt"))
    assert missing.exit_code == 1 and f"{tmp_path / 'gone.txt'}: File not found." in missing.output
    assert run(runner, db_path, "check").exit_code == 2  # nothing to check


def _log_with_drafts(db_path: Path) -> tuple[int, int, int]:
    """Two applicants; a clean draft, a draft naming the other applicant, and a reply."""
    profile = load_profile()
    composer = Composer(profile)
    day = dt.date(2026, 11, 26)
    yamada = Candidate(id="A-1", name="山田 太郎")
    sato = Candidate(id="A-2", name="佐藤 花子")
    with Log.open(db_path) as log:
        clean = log.record_outbound(composer.compose("screening_result", sato, on=day, result="passed"))
        message = composer.compose("screening_result", yamada, on=day, result="passed")
        assert "山田様は" in message.body
        mixed = dataclasses.replace(message, body=message.body.replace("山田様は", "佐藤 花子様は"))
        wrong = log.record_outbound(mixed)
        reply = log.record_inbound("A-1", "ありがとうございます。")
    return clean.id, wrong.id, reply.id


def test_drafts_and_exchanges_in_the_log(runner: CliRunner, db_path: Path) -> None:
    clean, wrong, reply = _log_with_drafts(db_path)
    result = run(runner, db_path, "check", "--drafts", "--date", DAY)
    assert result.exit_code == 1
    assert f"exchange {wrong}:" in result.output and f"exchange {clean}:" not in result.output
    assert "person.other: 佐藤 花子 is another applicant in the log" in result.output
    assert result.output.strip().endswith("in 2 drafts.")
    assert run(runner, db_path, "check", "--exchange", str(clean), "--date", DAY).exit_code == 0
    # Once sent, a message is no longer an unsent draft; --exchange still checks it.
    assert run(runner, db_path, "sent", str(wrong)).exit_code == 0
    assert run(runner, db_path, "check", "--drafts", "--date", DAY).exit_code == 0
    assert run(runner, db_path, "check", "--exchange", str(wrong), "--date", DAY).exit_code == 1
    inbound = run(runner, db_path, "check", "--exchange", str(reply))
    assert inbound.exit_code == 1 and "is a message from the applicant" in inbound.output
    unknown = run(runner, db_path, "check", "--exchange", "999")
    assert unknown.exit_code == 1 and "No exchange with id 999" in unknown.output


def test_a_file_checked_against_an_applicant_in_the_log(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    _log_with_drafts(db_path)
    path = tmp_path / "draft.txt"
    path.write_text(CLEAN.replace("山田 太郎 様", "佐藤 花子 様"), encoding="utf-8")
    for who in (["--candidate", "A-1"], ["--name", "山田 太郎"]):
        result = run(runner, db_path, "check", str(path), "--date", DAY, *who)
        assert result.exit_code == 1
        # Another applicant in the log: one finding (person.other), not also person.name.
        assert f"{path}:3:1: error person.other: 佐藤 花子 is another applicant in the log" in result.output
        assert "person.name" not in result.output
    assert run(runner, db_path, "check", str(path), "--date", DAY, "--candidate", "A-2").exit_code == 0
    # Not told who it is for, the 宛名 says so: 佐藤 花子 is then not "another applicant".
    assert run(runner, db_path, "check", str(path), "--date", DAY).exit_code == 0


def test_draft_edit_is_checked_errors_stop_it_unless_forced(runner: CliRunner, db_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["draft", "application_received", "--name", "山田 太郎", "--candidate", "A-1", "--date", DAY, "--edit"]
    monkeypatch.setattr(click, "edit", lambda text, **_: text.replace("引き続き", "〇〇、引き続き"))
    refused = run(runner, db_path, *args)
    assert refused.exit_code == 1
    assert "The edited draft has 1 error (kizuna check), so nothing was recorded" in refused.output
    assert "leftover.placeholder" in refused.output and "--force" in refused.output
    with Log.open(db_path) as log:
        assert log.timeline() == []
    forced = run(runner, db_path, *args, "--force")
    assert forced.exit_code == 0
    assert "check: " in forced.stderr and "leftover.placeholder" in forced.stderr
    assert "〇〇" in forced.stdout
    monkeypatch.setattr(click, "edit", lambda text, **_: text.replace("引き続き", "了解しました。引き続き"))
    warned = run(runner, db_path, *args)
    assert warned.exit_code == 0
    assert "warning keigo.ryokai" in warned.stderr and "keigo" not in warned.stdout
    with Log.open(db_path) as log:
        assert len(log.timeline("A-1")) == 2
    # Without --edit the composer's own draft is not checked (and has nothing to find).
    assert run(runner, db_path, "draft", "application_received", "--name", "山田 太郎", "--date", DAY).stderr == ""


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(["応募番号", "氏名", "ふりがな", "メールアドレス", "結果"])
        writer.writerows(rows)
    return path


def test_batch_checks_every_row_before_anything_is_written(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    source = _csv(tmp_path / "in.csv", [["B-1", "山田 太郎", "", "", "通過"], ["B-2", "〇〇 〇〇", "", "", "不通過"],
                                         ["B-3", "佐藤 花子", "", "", "不通過"]])
    out = tmp_path / "out"
    refused = run(runner, db_path, "batch", str(source), "--kind", "screening_result", "--date", DAY, "--out", str(out))
    assert refused.exit_code == 1
    assert "1 of 3 rows did not pass the checks, so nothing was written: line 3 (B-2): check: 3:1: error " \
           "leftover.placeholder" in refused.output
    assert not out.exists() or list(out.iterdir()) == []
    with Log.open(db_path) as log:
        assert log.timeline() == []
    skipped = run(runner, db_path, "batch", str(source), "--kind", "screening_result", "--date", DAY,
                  "--out", str(out), "--skip-invalid")
    assert skipped.exit_code == 0, skipped.output
    assert sorted(p.name for p in out.iterdir()) == ["B-1.txt", "B-3.txt", "rejects.csv"]
    rejects = (out / "rejects.csv").read_text(encoding="utf-8-sig")
    assert "leftover.placeholder" in rejects and "B-2" in rejects


def test_batch_refuses_a_template_with_a_leftover(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    builtin = (Path(__file__).resolve().parent.parent / "message_templates" / "ja" / "screening_result.txt")
    (templates / "screening_result.txt").write_text(
        builtin.read_text(encoding="utf-8").replace("{% if passed %}\n", "{% if passed %}\nTODO 日程を書く。\n", 1), encoding="utf-8")
    profile = tmp_path / "kizuna.toml"
    profile.write_text(sample_profile_text().replace('templates = ""', 'templates = "templates"'), encoding="utf-8")
    source = _csv(tmp_path / "in.csv", [["B-1", "山田 太郎", "", "", "通過"], ["B-2", "佐藤 花子", "", "", "不通過"]])
    out = tmp_path / "out"
    result = run(runner, db_path, "--profile", str(profile), "batch", str(source), "--kind", "screening_result",
                 "--date", DAY, "--out", str(out), "--format", "jsonl")
    assert result.exit_code == 1
    assert "line 2 (B-1): check:" in result.output and "leftover.todo" in result.output
    assert "B-2" not in result.output  # the not-passed notice does not have the line
    assert not (out / "messages.jsonl").exists()


def test_checking_first_leaves_the_batch_as_it_was(tmp_path: Path) -> None:
    """The first pass chooses each chunk's topics and the run uses them: the messages are those
    of a run without the checks, chunk by chunk, with a rejected row in the middle too."""
    from kizuna.batch import run_batch

    rows = [[f"B-{n:04d}", f"試験 {n}号", "", "", "通過" if n % 3 else "不通過"] for n in range(1, 260)]
    rows[120][1] = "〇〇 〇〇"
    source = _csv(tmp_path / "in.csv", rows)
    profile = load_profile()
    written = {}
    for check in (True, False):
        with Log.open(tmp_path / f"{check}.db") as log:
            run_batch(source, kind="screening_result", profile=profile, log=log, out_dir=tmp_path / f"out-{check}",
                      on=dt.date(2026, 11, 26), fmt="jsonl", chunk_size=50, skip_invalid=True, check=check).run()
        lines = (tmp_path / f"out-{check}" / "messages.jsonl").read_text(encoding="utf-8").splitlines()
        written[check] = {json.loads(line)["candidate"]["id"]: json.loads(line) for line in lines}
    assert "B-0121" not in written[True] and "B-0121" in written[False]
    # Without the rejected row the chunks differ from the 121st row on; before it they are one.
    for cid, message in written[True].items():
        if cid < "B-0101":
            assert message["topics"] == written[False][cid]["topics"], cid
    # And a run that is told the same rows (the bad one left out of the file) matches exactly.
    del rows[120]
    again = _csv(tmp_path / "again.csv", rows)
    with Log.open(tmp_path / "again.db") as log:
        run_batch(again, kind="screening_result", profile=profile, log=log, out_dir=tmp_path / "out-again",
                  on=dt.date(2026, 11, 26), fmt="jsonl", chunk_size=50, check=False).run()
    lines = (tmp_path / "out-again" / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    plain = {json.loads(line)["candidate"]["id"]: json.loads(line) for line in lines}
    assert {cid: (m["topics"], m["body"]) for cid, m in written[True].items()} == \
           {cid: (m["topics"], m["body"]) for cid, m in plain.items()}
