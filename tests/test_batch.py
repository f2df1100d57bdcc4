"""Batch runs: CSV in (UTF-8, BOM, CP932), validated first, one logged message per applicant,
safe to re-run and to kill."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kizuna.batch import (
    BatchEvent,
    batch_key,
    detect_encoding,
    plan_batch,
    run_batch,
    safe_file_stem,
)
from kizuna.cli import cli
from kizuna.errors import BatchError
from kizuna.log import Log
from kizuna.profile import load_profile, sample_profile_text

DATA = Path(__file__).parent / "data"
SAMPLES = {
    "cp932": DATA / "applicants-cp932.csv",
    "utf8": DATA / "applicants-utf8.csv",
    "en": DATA / "applicants-en.csv",
}
DAY = "2026-11-26"
JA_HEADER = ["応募番号", "氏名", "ふりがな", "メールアドレス", "結果"]
EN_HEADER = ["id", "name", "kana", "email", "result"]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = JA_HEADER, encoding: str = "utf-8") -> Path:
    """A CSV the way Excel writes one: CRLF line ends, quoting only where needed."""
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def good_row(n: int, result: str = "通過") -> list[str]:
    return [f"B-{n:04d}", f"試験 {n}号", "しけん", f"user{n}@example.jp", result]


def exchanges(db: Path) -> list[tuple[str, str]]:
    """(candidate_id, idempotency_key) of every logged message."""
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        try:
            return conn.execute(
                "SELECT candidate_id, idempotency_key FROM exchanges ORDER BY id"
            ).fetchall()
        except sqlite3.OperationalError:
            return []


def invoke(runner, db: Path, *args: str):
    return runner.invoke(cli, ["--db", str(db), "batch", *args], catch_exceptions=False)


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- reading the file --------------------------------------------------------------------------


def test_samples_are_byte_identical_copies() -> None:
    shared = Path(__file__).resolve().parents[2] / "shared" / "samples"
    if not shared.is_dir():
        pytest.skip("shared/ is not beside the repository")
    for path in SAMPLES.values():
        assert path.read_bytes() == (shared / path.name).read_bytes()


def test_three_encodings_give_the_same_eight_candidates() -> None:
    seen = {}
    for label, path in SAMPLES.items():
        plan = plan_batch(path, kind="screening_result")
        assert plan.ok and plan.rows == 8 and plan.valid == 8
        rows = [r.row for r in plan.records()]
        seen[label] = [(r.candidate.id, r.candidate.name, r.candidate.kana, r.candidate.email, r.result)
                       for r in rows if r is not None]
    assert seen["cp932"] == seen["utf8"] == seen["en"]
    names = [row[1] for row in seen["cp932"]]
    assert "髙橋 一郎" in names and "山﨑 美咲" in names
    assert [row[4] for row in seen["en"]].count("passed") == 4
    assert detect_encoding(SAMPLES["cp932"]) == "cp932"
    assert detect_encoding(SAMPLES["utf8"]) == "utf-8-sig"


def test_bom_and_japanese_results_and_extra_columns(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    write_csv(path, [["C-1", "髙橋 一郎", "", "", "合格", "総務課"], ["C-2", "山﨑 美咲", "", "", "不合格", ""]],
              header=[*JA_HEADER, "部署"], encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    plan = plan_batch(path, kind="final_result")
    rows = [r.row for r in plan.records()]
    assert plan.header[0] == "応募番号"  # the BOM is not part of the first column's name
    assert [(r.candidate.name, r.result, dict(r.candidate.extra)) for r in rows if r] == [
        ("髙橋 一郎", "passed", {"部署": "総務課"}),
        ("山﨑 美咲", "not_passed", {"部署": ""}),
    ]


def test_english_header_is_trimmed_and_case_insensitive(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "en.csv", [["X1", "Ann Lee", "", "ann@example.com", "Passed"]],
                     header=[" ID ", "Name", "KANA", "E-Mail", " Result"])
    plan = plan_batch(path, kind="screening_result")
    (record,) = list(plan.records())
    assert record.row is not None and record.row.result == "passed"
    # An unknown header is an extra field, not an error.
    assert dict(record.row.candidate.extra) == {"E-Mail": "ann@example.com"}


def test_encoding_option_overrides_and_shift_jis_means_cp932() -> None:
    plan = plan_batch(SAMPLES["cp932"], kind="screening_result", encoding="Shift_JIS")
    assert plan.encoding == "cp932"
    assert "髙橋 一郎" in [r.row.candidate.name for r in plan.records() if r.row]
    with pytest.raises(BatchError, match="Unknown encoding 'klingon'"):
        plan_batch(SAMPLES["cp932"], kind="screening_result", encoding="klingon")
    with pytest.raises(BatchError, match="Cannot decode"):
        plan_batch(SAMPLES["cp932"], kind="screening_result", encoding="utf-8")


def cp932_with_a_bad_byte(path: Path) -> Path:
    """A CP932 file whose line 3 has a byte CP932 has no character for (0x85), at column 10."""
    path.write_bytes("応募番号,氏名,結果\r\nA-1,山田 太郎,通過\r\nA-2,佐藤 花子".encode("cp932")
                     + b"\x85\x20" + ",通過\r\n".encode("cp932"))
    return path


def test_an_undecodable_file_names_the_line_and_column_in_each_encoding(tmp_path: Path) -> None:
    path = cp932_with_a_bad_byte(tmp_path / "bad.csv")
    with pytest.raises(BatchError) as info:
        plan_batch(path, kind="screening_result")
    text = str(info.value)
    assert str(path) in text and "not UTF-8 or CP932" in text
    assert "as CP932 (Shift_JIS), line 3, column 10 (0x85)" in text
    assert "as UTF-8, line 1, column 1 (0x89)" in text
    # A multibyte character cut off at the end of the file is found there too.
    cut = tmp_path / "cut.csv"
    cut.write_bytes("応募番号,氏名,結果\r\nA-1,山田 太郎,通".encode()[:-1])
    with pytest.raises(BatchError, match=r"as UTF-8, line 2, column 11 \(0xE9 0x80\)"):
        plan_batch(cut, kind="screening_result")


def test_an_encoding_option_that_does_not_fit_names_the_file_and_line(
    tmp_path: Path, runner, db_path: Path
) -> None:
    bad = cp932_with_a_bad_byte(tmp_path / "bad.csv")
    no_bom = tmp_path / "no-bom.csv"
    no_bom.write_bytes("応募番号,氏名,結果\r\nA-1,山田 太郎,通過\r\n".encode("utf-16-le"))
    cases = [
        # (file, --encoding, what the one paragraph must say)
        (SAMPLES["cp932"], "utf-8", ["line 1: Cannot decode the file as utf-8: column 1 holds 0x89",
                                     "reads as CP932 (Shift_JIS)", "--encoding cp932"]),
        (SAMPLES["utf8"], "shift_jis", ["line 2: Cannot decode the file as shift_jis", "reads as UTF-8"]),
        (bad, "cp932", ["line 3: Cannot decode the file as cp932: column 10 holds 0x85"]),
        (bad, "foo", ["Unknown encoding 'foo'", "utf-8", "cp932", "shift_jis", "euc_jp"]),
        (bad, "rot13", ["Unknown encoding 'rot13'"]),  # a codec, but not a text encoding
        (bad, "undefined", ["Unknown encoding 'undefined'"]),
        (no_bom, "utf-16", ["line 1: Cannot decode the file as utf-16"]),
    ]
    for path, encoding, words in cases:
        result = invoke(runner, db_path, str(path), "--kind", "screening_result", "--date", DAY,
                        "--out", str(tmp_path / "out"), "--encoding", encoding)
        assert result.exit_code == 1, (encoding, result.output)
        assert "Traceback" not in result.output and result.output.count("\n") == 1
        assert result.output.startswith(f"Error: {path}"), result.output
        for word in words:
            assert word in result.output, (encoding, word, result.output)
    assert visible(tmp_path / "out") == [] and exchanges(db_path) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        (b"\xff\xfei\x00d\x00", "UTF-16"),
        ("id,name,result\r\nA-1,José,passed\r\n".encode("latin-1"), "not UTF-8 or CP932"),
        (b"", "empty"),
    ],
)
def test_unreadable_files_name_the_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "input.csv"
    path.write_bytes(content)
    with pytest.raises(BatchError, match=message) as info:
        plan_batch(path, kind="screening_result")
    assert str(path) in str(info.value)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(BatchError, match="not found"):
        plan_batch(tmp_path / "nope.csv", kind="screening_result")
    with pytest.raises(BatchError, match="folder"):
        plan_batch(tmp_path, kind="screening_result")


def test_header_without_needed_columns_lists_found_and_expected(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "h.csv", [["A-1", "山田", "x@example.jp"]], header=["応募番号", "名前", "メール"])
    with pytest.raises(BatchError) as info:
        plan_batch(path, kind="screening_result")
    text = str(info.value)
    assert "氏名/name" in text and "結果/result" in text
    assert "Columns found: 応募番号, 名前, メール" in text
    assert "Expected columns: 応募番号 or id, 氏名 or name, 結果 or result" in text
    # A kind without a result does not need the result column ...
    path2 = write_csv(tmp_path / "h2.csv", [["A-1", "山田 太郎"]], header=["応募番号", "氏名"])
    assert plan_batch(path2, kind="application_received").ok
    # ... but every kind needs the id: it names the files and keys the log.
    path3 = write_csv(tmp_path / "h3.csv", [["山田 太郎"]], header=["氏名"])
    with pytest.raises(BatchError, match="no 応募番号/id column.*re-runs safe"):
        plan_batch(path3, kind="application_received")


def test_tab_separated_header_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("応募番号\t氏名\t結果\r\nA-1\t山田\t通過\r\n", encoding="utf-8")
    with pytest.raises(BatchError, match="tab-separated"):
        plan_batch(path, kind="screening_result")


def test_every_bad_row_is_reported_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("応募番号,氏名,ふりがな,メールアドレス,結果\r\n")
        f.write("A-1,山田 太郎,やまだ,taro@example.jp,通過\r\n")  # line 2: good, but see line 8
        f.write("A-2,,,hanako@example.jp,通過\r\n")  # 3: empty name
        f.write("A-3,佐藤 次郎,,jiro@example,通過\r\n")  # 4: malformed email
        f.write("A-4,鈴木 一,,ichi＠example.jp,通過\r\n")  # 5: full-width ＠
        f.write("A-5,田中 二郎,,,保留\r\n")  # 6: unknown result
        f.write('A-6,"伊藤\r\nさくら",,,通過\r\n')  # 7-8: line break inside a field
        f.write("A-1,山田 太郎,,,不通過\r\n")  # 9: duplicate id
        f.write(",名無し,,,通過\r\n")  # 10: empty id
        f.write("山田,山田 花子,,,通過\r\n")  # 11: id with no letter or digit for a file name
        f.write("A-9,渡辺 翔,,,通過,余り\r\n")  # 12: one value too many
        f.write("a/b,甲,,,通過\r\n")  # 13: file name a_b ...
        f.write("a_b,乙,,,通過\r\n")  # 14: ... which this id also gives
        f.write("A-10,正しい 人,,ok@example.jp,passed\r\n")  # 15: good
    plan = plan_batch(path, kind="screening_result")
    found = [(p.line, p.column, p.reason) for p in plan.problems]

    def has(line: int, column: str | None, words: str) -> bool:
        return any(ln == line and col == column and words in reason for ln, col, reason in found)

    assert has(2, "応募番号", "duplicate id 'A-1' (again on line 9)")
    assert has(3, "氏名", "empty name")
    assert has(4, "メールアドレス", "malformed email")
    assert has(5, "メールアドレス", "non-ASCII")
    assert has(6, "結果", "unknown result '保留'")
    assert has(7, "氏名", "line break")
    assert has(9, "応募番号", "duplicate id 'A-1' (first on line 2)")
    assert has(10, "応募番号", "empty id")
    assert has(11, "応募番号", "cannot name a file")
    assert has(12, None, "6 values but the header has 5 columns")
    assert has(14, "応募番号", "gives the file name 'a_b', which line 13")
    assert has(13, "応募番号", "also given by line 14")
    assert plan.rows == 13 and plan.valid == 1
    assert [p.line for p in plan.problems] == sorted(p.line for p in plan.problems)
    error = plan.error()
    assert str(path) in str(error) and "12 of 13 rows cannot be used" in str(error)
    assert "line 3, column 氏名: empty name" in error.problems


def test_bad_rows_mean_nothing_is_written(tmp_path: Path, runner, db_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", [good_row(1), good_row(2), ["B-3", "", "", "", "通過"]])
    out = tmp_path / "out"
    result = invoke(runner, db_path, str(path), "--kind", "screening_result", "--date", DAY, "--out", str(out))
    assert result.exit_code == 1
    assert "line 4, column 氏名: empty name" in result.output
    assert "Traceback" not in result.output
    assert visible(out) == []
    assert exchanges(db_path) == []


def test_long_problem_lists_are_cut_at_twenty(tmp_path: Path, runner, db_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", [[f"B-{n}", "", "", "", "通過"] for n in range(30)])
    result = invoke(runner, db_path, str(path), "--kind", "screening_result", "--out", str(tmp_path / "o"))
    assert result.exit_code == 1
    assert "line 21, column 氏名" in result.output and "line 22," not in result.output
    assert "and 10 more" in result.output


def test_safe_file_stem() -> None:
    assert safe_file_stem("A-0001") == "A-0001"
    assert safe_file_stem("../../x") == "___.._x"
    assert safe_file_stem("..") is None
    assert safe_file_stem("応募 12") == "___12"
    assert safe_file_stem("CON") == "_CON"
    assert safe_file_stem("x" * 101) is None


# --- running -----------------------------------------------------------------------------------


def test_samples_write_identical_messages_in_all_three_encodings(tmp_path: Path, runner) -> None:
    texts = {}
    for label, path in SAMPLES.items():
        out = tmp_path / label
        db = tmp_path / f"{label}.db"
        result = invoke(runner, db, str(path), "--kind", "screening_result", "--date", DAY, "--out", str(out))
        assert result.exit_code == 0, result.output
        assert "8 written, 0 already done, 0 skipped, 0 rejected." in result.output
        assert visible(out) == [f"A-000{n}.txt" for n in range(1, 9)]
        texts[label] = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()}
        assert len(exchanges(db)) == 8
    assert texts["cp932"] == texts["utf8"] == texts["en"]
    assert "髙橋 一郎" in texts["cp932"]["A-0003.txt"]
    assert "山﨑 美咲" in texts["cp932"]["A-0004.txt"]
    assert texts["cp932"]["A-0001.txt"].startswith("件名")


def test_rerun_duplicates_nothing(tmp_path: Path, runner, db_path: Path) -> None:
    out = tmp_path / "out"
    args = [str(SAMPLES["utf8"]), "--kind", "screening_result", "--date", DAY, "--out", str(out)]
    assert invoke(runner, db_path, *args).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    again = invoke(runner, db_path, *args)
    assert again.exit_code == 0
    assert "0 written, 8 already done, 0 skipped, 0 rejected." in again.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    logged = exchanges(db_path)
    assert len(logged) == 8 and len({key for _, key in logged}) == 8
    assert logged[0] == ("A-0001", batch_key("screening_result", "screening", dt.date(2026, 11, 26), "A-0001"))
    # Naming the default stage explicitly is the same batch, not a new one.
    same = invoke(runner, db_path, *args, "--stage", "screening")
    assert "8 already done" in same.output and len(exchanges(db_path)) == 8


def test_lost_file_is_written_again_from_the_log(tmp_path: Path, db_path: Path) -> None:
    profile = load_profile()
    out = tmp_path / "out"
    with Log.open(db_path) as log:
        first = run_batch(SAMPLES["en"], kind="screening_result", profile=profile, log=log,
                          out_dir=out, on=dt.date(2026, 11, 26)).run()
        assert first.written == 8
        original = (out / "A-0005.txt").read_bytes()
        (out / "A-0005.txt").unlink()
        # Even with the logged body edited, the restored file is the logged text, not a re-render.
        log.db.conn.execute("UPDATE exchanges SET body = body || '（追記）' WHERE candidate_id = 'A-0005'")
        events = list(run_batch(SAMPLES["en"], kind="screening_result", profile=profile, log=log,
                                out_dir=out, on=dt.date(2026, 11, 26)))
    restored = [e for e in events if e.status == "written"]
    assert [(e.candidate_id, e.restored) for e in restored] == [("A-0005", True)]
    assert sum(e.status == "already_done" for e in events) == 7
    text = (out / "A-0005.txt").read_text(encoding="utf-8")
    assert text.rstrip().endswith("（追記）") and original.decode("utf-8") in text + "\n"


def test_library_streams_events(tmp_path: Path, db_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", [good_row(1), ["", "", "", "", ""], good_row(2, "不通過")])
    with Log.open(db_path) as log:
        run = run_batch(path, kind="screening_result", profile=load_profile(), log=log,
                        out_dir=tmp_path / "out", on=dt.date(2026, 11, 26))
        assert run.total == 3
        first = next(run)
        assert isinstance(first, BatchEvent)
        events = [first, *run]
    assert sorted((e.status, e.line) for e in events) == [("skipped", 3), ("written", 2), ("written", 4)]
    assert run.summary.line() == "2 written, 0 already done, 1 skipped, 0 rejected."
    assert next(e for e in events if e.line == 4).path == tmp_path / "out" / "B-0002.txt"


def test_skip_invalid_writes_good_rows_and_rejects(tmp_path: Path, runner, db_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", [good_row(1), ["B-2", "", "", "", "通過"], good_row(3),
                                            ["B-4", "名前", "", "bad@", "通過"]])
    out = tmp_path / "out"
    result = invoke(runner, db_path, str(path), "--kind", "screening_result", "--date", DAY,
                    "--out", str(out), "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "2 written, 0 already done, 0 skipped, 2 rejected." in result.output
    assert visible(out) == ["B-0001.txt", "B-0003.txt", "rejects.csv"]
    raw = (out / "rejects.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["行", "理由", *JA_HEADER]
    assert rows[1][:3] == ["3", "氏名: empty name", "B-2"]
    assert rows[2][0] == "5" and "malformed email" in rows[2][1] and rows[2][5] == "bad@"
    assert [c for c, _ in exchanges(db_path)] == ["B-0001", "B-0003"]
    # Fixed and run again: the rejects file goes, the two rows are written, nothing twice.
    write_csv(path, [good_row(1), good_row(2), good_row(3), good_row(4)])
    again = invoke(runner, db_path, str(path), "--kind", "screening_result", "--date", DAY, "--out", str(out))
    assert "2 written, 2 already done" in again.output
    assert visible(out) == [f"B-000{n}.txt" for n in range(1, 5)]
    assert len(exchanges(db_path)) == 4


def test_escaping_id_and_template_syntax_are_written_literally(tmp_path: Path, runner, db_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", [["../../x", "{{ 7*7 }} {% raw %}", "", "", "通過"],
                                            ["/etc/passwd", "山田/太郎", "", "", "不通過"]])
    work = tmp_path / "deep" / "er"
    out = work / "out"
    # `kizuna check` would refuse the name as a leftover of template syntax: switched off here,
    # since what is tested is that it is written as typed.
    profile = tmp_path / "kizuna.toml"
    profile.write_text(sample_profile_text().replace("disable = []", 'disable = ["leftover.template"]'),
                       encoding="utf-8")
    result = runner.invoke(cli, ["--db", str(db_path), "--profile", str(profile), "batch", str(path),
                                 "--kind", "screening_result", "--date", DAY, "--out", str(out)],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert visible(out) == ["___.._x.txt", "_etc_passwd.txt"]
    assert visible(work) == ["out"] and visible(tmp_path / "deep") == ["er"]
    text = (out / "___.._x.txt").read_text(encoding="utf-8")
    assert "{{ 7*7 }} {% raw %}" in text and "49" not in text
    assert "山田/太郎" in (out / "_etc_passwd.txt").read_text(encoding="utf-8")
    assert [c for c, _ in exchanges(db_path)] == ["../../x", "/etc/passwd"]


def test_unwritable_output_folder_fails_before_any_row(tmp_path: Path, runner, db_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    out = blocker / "sub"
    result = invoke(runner, db_path, str(SAMPLES["utf8"]), "--kind", "screening_result", "--out", str(out))
    assert result.exit_code == 1
    assert "output folder cannot be written" in result.output and str(out) in result.output
    with Log.open(db_path) as log, pytest.raises(BatchError, match="cannot be written"):
        run_batch(SAMPLES["utf8"], kind="screening_result", profile=load_profile(), log=log,
                  out_dir=blocker, on=dt.date(2026, 11, 26))
    assert exchanges(db_path) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_output_folder(tmp_path: Path, runner, db_path: Path) -> None:
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o500)
    try:
        result = invoke(runner, db_path, str(SAMPLES["utf8"]), "--kind", "screening_result", "--out", str(out))
    finally:
        out.chmod(0o700)
    assert result.exit_code == 1 and "cannot be written" in result.output
    assert exchanges(db_path) == []


def test_jsonl_one_line_per_applicant_even_when_run_again(tmp_path: Path, runner, db_path: Path) -> None:
    out = tmp_path / "out"
    args = [str(SAMPLES["cp932"]), "--kind", "screening_result", "--date", DAY, "--out", str(out), "--format", "jsonl"]
    assert "8 written" in invoke(runner, db_path, *args).output
    first = (out / "messages.jsonl").read_text(encoding="utf-8")
    assert "8 already done" in invoke(runner, db_path, *args).output
    assert visible(out) == ["messages.jsonl"]
    lines = [json.loads(x) for x in (out / "messages.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 8 and len({x["idempotency_key"] for x in lines}) == 8
    assert lines[2]["candidate"]["name"] == "髙橋 一郎"
    assert {x["result"] for x in lines} == {"passed", "not_passed"}
    # Rebuilt from the log on the second run: the same lines, topics included.
    assert [json.loads(x)["body"] for x in first.splitlines()] == [x["body"] for x in lines]
    assert [json.loads(x)["topics"] for x in first.splitlines()] == [x["topics"] for x in lines]


def test_eml_files_need_addresses(tmp_path: Path, runner, db_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(runner, db_path, str(SAMPLES["utf8"]), "--kind", "screening_result", "--date", DAY,
                    "--out", str(out), "--format", "eml")
    assert result.exit_code == 0, result.output
    raw = (out / "A-0003.eml").read_bytes()
    assert b"\r\nTo: " in raw and b"ichiro.takahashi@example.jp" in raw
    no_email = write_csv(tmp_path / "n.csv", [["N-1", "山田 太郎", "", "", "通過"]])
    result = invoke(runner, db_path, str(no_email), "--kind", "screening_result", "--out", str(out), "--format", "eml")
    assert result.exit_code == 1 and "empty email" in result.output


def test_dry_run_writes_and_logs_nothing(tmp_path: Path, runner, db_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(runner, db_path, str(SAMPLES["utf8"]), "--kind", "screening_result", "--date", DAY,
                    "--out", str(out), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "8 would be written, 0 already done" in result.output and "Dry run" in result.output
    assert not out.exists() and exchanges(db_path) == []


def test_topics_vary_and_respect_history(tmp_path: Path, db_path: Path) -> None:
    rows = [good_row(n, "通過") for n in range(1, 41)]
    path = write_csv(tmp_path / "in.csv", rows)
    profile = load_profile()
    with Log.open(db_path) as log:
        run_batch(path, kind="application_received", profile=profile, log=log, out_dir=tmp_path / "a",
                  on=dt.date(2026, 11, 26), fmt="jsonl").run()
        run_batch(path, kind="pre_arrival_guide", profile=profile, log=log, out_dir=tmp_path / "b",
                  on=dt.date(2026, 11, 27), fmt="jsonl").run()
    first = [json.loads(x) for x in (tmp_path / "a" / "messages.jsonl").read_text("utf-8").splitlines()]
    second = [json.loads(x) for x in (tmp_path / "b" / "messages.jsonl").read_text("utf-8").splitlines()]
    openings = {tuple(t["id"] for t in m["topics"]) for m in first}
    assert len(openings) > 1, "every applicant got the same topics"
    for a, b in zip(first, second, strict=True):
        assert a["candidate"]["id"] == b["candidate"]["id"]
        assert not {t["id"] for t in a["topics"]} & {t["id"] for t in b["topics"]}


def test_kinds_with_slots_are_refused(tmp_path: Path, db_path: Path) -> None:
    with Log.open(db_path) as log, pytest.raises(BatchError, match="interview slots"):
        run_batch(SAMPLES["utf8"], kind="interview_invitation", profile=load_profile(), log=log,
                  out_dir=tmp_path / "o", on=dt.date(2026, 11, 26))


def test_many_rows_cross_chunks(tmp_path: Path, db_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", [good_row(n) for n in range(1, 24)])
    with Log.open(db_path) as log:
        run = run_batch(path, kind="screening_result", profile=load_profile(), log=log,
                        out_dir=tmp_path / "out", on=dt.date(2026, 11, 26), chunk_size=5)
        assert run.run().written == 23
    assert len(visible(tmp_path / "out")) == 23 and len(exchanges(db_path)) == 23


# --- a real kill ---------------------------------------------------------------------------------


def _kill_when(folder: Path, ready, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> bool:
    """SIGKILL the process once ``ready(folder)``; False if it finished first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if folder.exists() and ready(folder):
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.005)
    proc.kill()
    raise AssertionError("the batch neither finished nor wrote anything in time")


_DATE_LINE = re.compile(rb"\r\nDate: [^\r]*\r\n")


def _file_bytes(path: Path) -> bytes:
    """A file's bytes, an .eml's Date (the moment it was written) left out."""
    return _DATE_LINE.sub(b"\r\nDate: -\r\n", path.read_bytes())


@pytest.mark.slow
@pytest.mark.parametrize(("fmt", "moment"), [("txt", "files"), ("txt", "temporaries"), ("eml", "files"),
                                             ("eml", "temporaries"), ("jsonl", "logged")])
def test_killed_batch_finishes_on_rerun(tmp_path: Path, fmt: str, moment: str) -> None:
    """SIGKILL a batch while its files go in place (or while a chunk's temporaries are being
    written): every file under its name is then complete, and the re-run leaves exactly the
    files of a run never interrupted, byte for byte, and no temporary."""
    count = 1200
    path = write_csv(tmp_path / "many.csv", [good_row(n, "通過" if n % 3 else "不通過") for n in range(count)])
    db = tmp_path / "kill.db"
    out = tmp_path / "out"
    command = [sys.executable, "-m", "kizuna", "--db", str(db), "batch", str(path), "--kind",
               "screening_result", "--date", DAY, "--out", str(out), "--format", fmt, "--quiet"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    reference = tmp_path / "uninterrupted"
    with Log.open(tmp_path / "uninterrupted.db") as log:
        run_batch(path, kind="screening_result", profile=load_profile(), log=log, out_dir=reference,
                  on=dt.date.fromisoformat(DAY), fmt=fmt).run()

    def some_files(folder: Path) -> bool:
        return sum(1 for _ in folder.glob(f"*.{fmt}")) >= 50

    def some_temporaries(folder: Path) -> bool:
        return any(name.endswith(".kizuna-tmp") for name in os.listdir(folder))

    def some_logged(folder: Path) -> bool:
        # The jsonl is written at the end; kill once the log holds part of the batch.
        return 0 < len(exchanges(db)) < count

    ready = {"files": some_files, "temporaries": some_temporaries, "logged": some_logged}[moment]
    with (tmp_path / "stderr.txt").open("wb") as errors:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, env=env)
        killed = _kill_when(out, ready, proc)
    assert killed, "the batch finished before it could be killed"
    partial = len(exchanges(db))
    survivors = sorted(out.glob(f"*.{fmt}")) if fmt != "jsonl" else []
    assert 0 < partial <= count
    # Nothing is half-written under its name: each file there is the one it should be.
    for file in survivors:
        assert _file_bytes(file) == _file_bytes(reference / file.name), file.name
    finished = subprocess.run(command, capture_output=True, env=env, timeout=300)
    assert finished.returncode == 0, finished.stderr.decode()
    summary = finished.stdout.decode()
    written, done = (int(x) for x in re.findall(r"(\d+) written, (\d+) already done", summary)[0])
    assert written + done == count
    if fmt != "jsonl":
        # Files that survived the kill are kept; the rest are rendered or restored from the log.
        assert done == len(survivors)
        if moment == "files":
            assert done >= 50
    else:
        # Everything logged before the kill is taken from the log, not rendered twice.
        assert done == partial
    logged = exchanges(db)
    assert len(logged) == count
    assert len({key for _, key in logged}) == count
    assert {c for c, _ in logged} == {f"B-{n:04d}" for n in range(count)}
    names = visible(out)  # hidden names too: no temporary is left
    if fmt != "jsonl":
        assert names == sorted(f"B-{n:04d}.{fmt}" for n in range(count))
        for name in names:
            assert _file_bytes(out / name) == _file_bytes(reference / name), name
    else:
        assert names == ["messages.jsonl"]
        lines = (out / "messages.jsonl").read_text(encoding="utf-8").splitlines()
        assert sorted(json.loads(x)["candidate"]["id"] for x in lines) == [f"B-{n:04d}" for n in range(count)]
        assert (out / "messages.jsonl").read_bytes() == (reference / "messages.jsonl").read_bytes()


@pytest.mark.parametrize(
    "address",
    ["taro.yamada@example.jp", "a+b@x.co.jp", "a_b-c@sub.example.com", "x@y.z", "a..b@example.jp",
     ".a@example.jp", "a.@example.jp", "a@-x.jp", "a@x", "a@@x.jp", "a b@x.jp", "ａ@x.jp",
     "o'brien@example.ie", "a@x_y.jp", ("a" * 250) + "@x.jp"],
)
def test_quick_email_check_agrees_with_the_eml_writer(address: str) -> None:
    from kizuna.batch.read import email_problem
    from kizuna.errors import MailError
    from kizuna.output.addressing import validate_address

    try:
        validate_address(address, "email")
        accepted = True
    except MailError:
        accepted = False
    assert (email_problem(address) is None) == accepted


def test_a_failed_write_is_one_paragraph_and_a_rerun_finishes(tmp_path: Path, runner, db_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from kizuna.output.files import FileSet

    real = FileSet.add
    calls = []

    def full_disk(self: FileSet, path: Path, data: bytes) -> None:
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real(self, path, data)

    monkeypatch.setattr(FileSet, "add", full_disk)
    out = tmp_path / "out"
    args = [str(SAMPLES["utf8"]), "--kind", "screening_result", "--date", DAY, "--out", str(out), "--quiet"]
    result = invoke(runner, db_path, *args)
    assert result.exit_code == 1
    assert "No space left on device" in result.output and "run the same command again" in result.output
    assert len(exchanges(db_path)) == 8  # the chunk was logged before its files were written
    # The chunk's files go in place together: none of them, and no temporary left behind.
    assert list(out.iterdir()) == []
    monkeypatch.setattr(FileSet, "add", real)
    again = invoke(runner, db_path, *args)
    assert again.output == "8 written, 0 already done, 0 skipped, 0 rejected.\n"
    assert len(visible(out)) == 8 and len(exchanges(db_path)) == 8


def test_a_days_batch_spreads_evenly_over_the_lines(tmp_path: Path, db_path: Path) -> None:
    """273 applicants (the seed city's count) on one day: each eligible line is used by
    N // n or N // n + 1 of those who passed, although a message never says one theme twice
    (those whose opening line rules a closing wish out choose first)."""
    from collections import Counter

    csv_path = write_csv(tmp_path / "273.csv", [good_row(n) for n in range(273)])
    with Log.open(db_path) as log:
        run_batch(csv_path, kind="screening_result", profile=load_profile(), log=log,
                  out_dir=tmp_path / "out", on=dt.date(2026, 11, 26), fmt="jsonl").run()
    lines = [json.loads(x) for x in (tmp_path / "out" / "messages.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 273
    for role in ("opening", "closing"):
        counts = Counter(t["id"] for m in lines for t in m["topics"] if t["role"] == role)
        assert len(counts) > 1
        assert max(counts.values()) - min(counts.values()) <= 1, (role, counts)


def test_iso2022jp_batch_checks_every_row_before_writing(tmp_path: Path, runner, db_path: Path) -> None:
    out = tmp_path / "out"
    sample = Path(__file__).parent / "data" / "applicants-cp932.csv"
    args = [str(sample), "--kind", "screening_result", "--date", "2026-12-03", "--out", str(out),
            "--format", "eml", "--charset", "iso-2022-jp", "--fix"]
    result = runner.invoke(cli, ["--db", str(db_path), "batch", *args])
    assert result.exit_code == 1
    assert "'髙'" in result.output and "'﨑'" in result.output and "UTF-8" in result.output
    assert visible(out) == [] and exchanges(db_path) == []


def test_iso2022jp_batch_writes_seven_bit_mail(tmp_path: Path, runner, db_path: Path) -> None:
    import email
    from email import policy

    csv_path = write_csv(tmp_path / "ok.csv", [good_row(1), good_row(2, "不通過")])
    out = tmp_path / "out"
    result = runner.invoke(cli, ["--db", str(db_path), "batch", str(csv_path), "--kind", "screening_result",
                                 "--date", "2026-12-03", "--out", str(out), "--format", "eml",
                                 "--charset", "iso-2022-jp"])
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.eml"))
    assert len(files) == 2
    for path in files:
        raw = path.read_bytes()
        assert max(raw) < 128
        msg = email.message_from_bytes(raw, policy=policy.default)
        assert msg["Subject"] == "【北上市】第1次試験（書類選考）結果のご連絡"
        assert "試験 " in msg.get_body(preferencelist=("plain",)).get_content()


# --- the fast paths give what the plain ones give ------------------------------------------------


def test_quick_file_stem_agrees_with_the_substitutions() -> None:
    import itertools

    from kizuna.batch.read import _LEADING_DOTS, _UNSAFE_FILE_CHARS, _WINDOWS_DEVICES, MAX_STEM

    def plain(candidate_id: str) -> str | None:
        stem = _UNSAFE_FILE_CHARS.sub("_", candidate_id)
        stem = _LEADING_DOTS.sub(lambda m: "_" * len(m.group()), stem)
        if not any(c.isalnum() for c in stem) or len(stem) > MAX_STEM:
            return None
        return "_" + stem if stem.split(".")[0].casefold() in _WINDOWS_DEVICES else stem

    ids = ["S-000123", "a", "_", "-", ".", "..", ".a", "a.", "a..b", "x" * 100, "x" * 101, "con", "CON",
           "Con.txt", "con.", "con-1", "conx", "com0", "com1", "COM9.a", "lpt1", "lpt10", "nul_", "aux",
           "prn.x.y", "a\n", "con\n", "İ1", "応募1", "A B", "Ａ1", "a/b", "\u212aon"]
    ids += ["".join(p) for n in range(1, 4) for p in itertools.product("a0._-/C", repeat=n)]
    for candidate_id in ids:
        assert safe_file_stem(candidate_id) == plain(candidate_id), candidate_id


def test_second_pass_rows_equal_the_full_check(tmp_path: Path) -> None:
    """Rows the plan found valid are only read again, not checked: what the second pass builds
    must be what the full check builds, row by row, and rejects keep their padded cells."""
    from kizuna.batch.read import _check_row, _Layout

    path = tmp_path / "mixed.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("応募番号,氏名,ふりがな,メールアドレス,結果,部署\r\n")
        f.write("A-1, 山田 太郎 ,やまだ,taro@example.jp,通過,総務課\r\n")
        f.write("A-2,佐藤 花子\r\n")  # short: the missing cells are empty, so no result
        f.write("A-3,鈴木 一,,o'brien@example.ie,Not_Passed,\r\n")  # past the quick address test
        f.write("con,伊藤 翔,,,passed,x\r\n")  # a device name: its file gets a prefix
        f.write("A-5,田中 二郎,,,保留,\r\n")  # an unknown result
        f.write(",,,,,\r\n")
        f.write("A-6,\"渡辺\r\n結衣\",,,通過,\r\n")
        f.write("A-7,小林 蓮,,,不通過\r\n")  # one value short, but valid
    plan = plan_batch(path, kind="screening_result")
    assert sorted(plan.bad_lines()) == [3, 6, 8]
    layout = _Layout.of(plan)
    valid = []
    for record in plan.records():
        if record.row is not None:
            full = _check_row(plan, layout, record.line, record.fields, "".join(record.fields), check_email=False)
            assert full.row == record.row and full.problems == []
            valid.append(record.row)
        elif not record.blank:
            assert record.problems == plan.bad_lines()[record.line]
            assert len(record.fields) >= 6  # padded like the rows rejects.csv lists
    assert [(r.line, r.candidate.id, r.candidate.name, r.result, r.stem, dict(r.candidate.extra)) for r in valid] == [
        (2, "A-1", "山田 太郎", "passed", "A-1", {"部署": "総務課"}),
        (4, "A-3", "鈴木 一", "not_passed", "A-3", {"部署": ""}),
        (5, "con", "伊藤 翔", "passed", "_con", {"部署": "x"}),
        (10, "A-7", "小林 蓮", "not_passed", "A-7", {"部署": ""}),
    ]


def test_duplicates_are_found_after_the_id_table_grows(tmp_path: Path) -> None:
    rows = [good_row(n) for n in range(3000)]
    rows.append(good_row(5))  # line 3002 repeats line 7
    rows.append(["b-0009", "試験 九", "", "", "通過"])  # line 3003: B-0009's file name, another id
    plan = plan_batch(write_csv(tmp_path / "many.csv", rows), kind="screening_result")
    found = {(p.line, p.reason) for p in plan.problems}
    assert found == {
        (7, "duplicate id 'B-0005' (again on line 3002)"),
        (3002, "duplicate id 'B-0005' (first on line 7)"),
        (11, "its file name 'b-0009' is also given by line 3003's id"),
        (3003, "id 'b-0009' gives the file name 'b-0009', which line 11's id also gives"),
    }
    assert plan.valid == 3002 - 4



def test_jsonl_lines_are_the_encoded_message(tmp_path: Path) -> None:
    """Lines built from cached pieces are the very text json gives for the message's dict."""
    from kizuna.batch.run import _json_line, _JsonLines
    from kizuna.compose import Composer
    from kizuna.models import JST, Candidate, Message, Slot, Topic

    profile = load_profile()
    composer = Composer(profile)
    on = dt.date(2026, 11, 26)
    topic = Topic("t-1", "season", "opening", "neutral", '小雪の頃 "冬" \\ {{ x }} 🍁')
    town = Topic("t-2", "town", "town", "gentle", "北上\u2028の冬")
    names = ['山田 "太郎"', "O'Brien \\ 健", "佐藤 🌸 花子", "{{ name }} {% raw %}", "Ann\u00a0Lee", "髙橋 一郎"]
    messages = []
    for n, name in enumerate(names):
        candidate = Candidate(f"J-{n}", name, email=f"j{n}@example.jp" if n % 2 else "")
        for result in ("passed", "not_passed"):
            messages.append(composer.compose("screening_result", candidate, on=on, result=result,
                                             topics=(topic, town) if result == "passed" else ()))
    start = dt.datetime(2026, 12, 5, 10, 0, tzinfo=JST)
    messages.append(Message(
        kind="interview_invitation", candidate=Candidate("J-x", "無\t名", email="x@example.jp"), date=on,
        subject="面接\x7f\u2028のご案内", body="本文\r\n\"引用\"\n", result=None, stage=None,
        topics=(Topic("t-1", "season", "opening", "neutral", "同じ id、違う文"), town),
        slots=(Slot(start, start + dt.timedelta(minutes=30)),), deadline=dt.date(2026, 12, 1),
    ))
    lines = _JsonLines()
    for _ in range(2):  # the second round comes from the caches
        for n, message in enumerate(messages):
            key = f"batch:{message.kind}:-:{on}:{message.candidate.id}"
            exchange_id = None if n % 3 == 0 else n
            built = lines.line(message, key, exchange_id)
            assert built == _json_line(message, key, exchange_id)
            assert built.endswith("\n") and built.count("\n") == 1
            assert json.loads(built) == {**message.to_dict(), "idempotency_key": key, "exchange_id": exchange_id}


# --- every row is checked before the first file is written -------------------------------------


def iso_rows(count: int, bad_lines: set[int]) -> list[list[str]]:
    """``count`` good rows; those on ``bad_lines`` (file lines: row n is on line n + 2) have a
    name ISO-2022-JP cannot carry (髙, never altered)."""
    rows = []
    for n in range(count):
        row = good_row(n)
        if n + 2 in bad_lines:
            row[1] = f"髙橋 {n}号"
        rows.append(row)
    return rows


def test_a_rerun_checks_every_row_before_writing_any_file(tmp_path: Path, runner, db_path: Path) -> None:
    """Rows logged by an earlier run are rebuilt from the log for their .eml, and are checked
    with the new rows before anything is written: nothing at all, or every row but the bad."""
    path = write_csv(tmp_path / "all.csv", iso_rows(600, {302}))
    subset = write_csv(tmp_path / "subset.csv", iso_rows(600, {302})[:400])
    first = invoke(runner, db_path, str(subset), "--kind", "screening_result", "--date", DAY,
                   "--out", str(tmp_path / "txt"))
    assert "400 written" in first.output and len(exchanges(db_path)) == 400
    out = tmp_path / "eml"
    args = [str(path), "--kind", "screening_result", "--date", DAY, "--out", str(out),
            "--format", "eml", "--charset", "iso-2022-jp", "--quiet"]

    refused = invoke(runner, db_path, *args)
    assert refused.exit_code == 1
    assert "Traceback" not in refused.output
    assert "1 of 600 rows cannot be written as email in ISO-2022-JP, so nothing was written" in refused.output
    assert "line 302 (B-0300): ISO-2022-JP cannot carry '髙' in the name" in refused.output
    assert visible(out) == [] and len(exchanges(db_path)) == 400

    skipped = invoke(runner, db_path, *args, "--skip-invalid")
    assert skipped.exit_code == 0, skipped.output
    assert "599 written, 0 already done, 0 skipped, 1 rejected." in skipped.output
    names = visible(out)
    assert len(names) == 600 and "rejects.csv" in names and "B-0300.eml" not in names
    rejects = list(csv.reader((out / "rejects.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert [row[:3] for row in rejects[1:]] == [
        ["302", "ISO-2022-JP cannot carry '髙' in the name (an applicant's name is never "
                "altered: write this row in UTF-8)", "B-0300"]]
    assert max((out / "B-0301.eml").read_bytes()) < 128
    # 400 logged by the txt run (line 302 among them) and 200 new: each once.
    logged = exchanges(db_path)
    assert len(logged) == 600 and len({key for _, key in logged}) == 600


def test_skip_invalid_rejects_rows_the_charset_cannot_carry_in_every_chunk(
    tmp_path: Path, db_path: Path
) -> None:
    """Small chunks, bad rows together and apart: the rows left out never make the run fail
    later (topics are chosen per chunk, so the checked chunks are the written ones)."""
    import email
    from email import policy

    bad = {3, 4, 9, 14, 15, 16, 21}
    path = write_csv(tmp_path / "in.csv", [
        row if n % 4 else [*row[:4], "不通過"] for n, row in enumerate(iso_rows(24, bad))
    ])
    with Log.open(db_path) as log:
        events = list(run_batch(path, kind="screening_result", profile=load_profile(), log=log,
                                out_dir=tmp_path / "out", on=dt.date(2026, 11, 26), fmt="eml",
                                charset="iso-2022-jp", skip_invalid=True, chunk_size=4))
    assert sorted(e.line for e in events if e.status == "rejected") == sorted(bad)
    assert sum(e.status == "written" for e in events) == 24 - len(bad)
    for file in (tmp_path / "out").glob("*.eml"):
        msg = email.message_from_bytes(file.read_bytes(), policy=policy.default)
        assert msg["To"].addresses[0].display_name.startswith("試験 ")
    assert len(exchanges(db_path)) == 24 - len(bad)


def test_fix_covers_the_profile_in_every_file(tmp_path: Path, db_path: Path) -> None:
    """--fix replaces what ISO-2022-JP cannot carry in the profile (㈱ in the sender's name)
    in the files too, not only in the check."""
    import dataclasses
    import email
    from email import policy

    profile = load_profile()
    org = dataclasses.replace(profile.organisation, name="北上市㈱")
    profile = dataclasses.replace(profile, organisation=org)
    path = write_csv(tmp_path / "in.csv", [good_row(n) for n in range(3)])
    with Log.open(db_path) as log:
        summary = run_batch(path, kind="screening_result", profile=profile, log=log,
                            out_dir=tmp_path / "out", on=dt.date(2026, 11, 26), fmt="eml",
                            charset="iso-2022-jp", fix=True).run()
    assert summary.written == 3
    for file in (tmp_path / "out").glob("*.eml"):
        msg = email.message_from_bytes(file.read_bytes(), policy=policy.default)
        assert msg["From"].addresses[0].display_name.startswith("北上市(株)")


def test_batch_eml_headers_show_names_as_typed(tmp_path: Path, db_path: Path) -> None:
    import email
    from email import policy

    spoof = "=?utf-8?b?QmNjOiBib3NzQGV4YW1wbGUuanAsIOaOoeeUqOaLheW9kw==?="
    names = [spoof, f"山田 {spoof}", 'Boss "CEO" <boss@example.jp>, hr@example.jp']
    path = write_csv(tmp_path / "in.csv", [
        [f"N-{n}", name, "", f"n{n}@example.jp", "通過"] for n, name in enumerate(names)
    ])
    for charset in ("utf-8", "iso-2022-jp"):
        out = tmp_path / charset
        with Log.open(tmp_path / f"{charset}.db") as log:
            run_batch(path, kind="screening_result", profile=load_profile(), log=log, out_dir=out,
                      on=dt.date(2026, 11, 26), fmt="eml", charset=charset).run()
        for n, name in enumerate(names):
            msg = email.message_from_bytes((out / f"N-{n}.eml").read_bytes(), policy=policy.default)
            (to,) = msg["To"].addresses
            assert (to.display_name, to.addr_spec) == (name, f"n{n}@example.jp"), charset


# --- files with applicants' data are the owner's only --------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_every_file_with_applicant_data_is_0600_whatever_the_umask(
    tmp_path: Path, runner, db_path: Path
) -> None:
    import stat

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    old = os.umask(0o022)
    try:
        ics = tmp_path / "interview.ics"
        drafted = runner.invoke(cli, [
            "--db", str(db_path), "draft", "interview_confirmation", "--name", "山田 太郎",
            "--candidate", "A-0001", "--email", "taro.yamada@example.jp", "--slot", "2026-12-05T10:00",
            "--date", "2026-11-27", "--ics", str(ics)])
        assert drafted.exit_code == 0, drafted.output
        exported = tmp_path / "export.csv"
        exported.write_text("")
        exported.chmod(0o644)  # an existing file is not left readable either
        for extra in ([], ["--format", "json", "--bom"]):
            result = runner.invoke(cli, ["--db", str(db_path), "export", "--output", str(exported), *extra])
            assert result.exit_code == 0, result.output
            assert mode(exported) == 0o600 and "山田 太郎" in exported.read_text(encoding="utf-8-sig")
        assert mode(ics) == 0o600
        missing = runner.invoke(cli, ["--db", str(db_path), "export", "--output", str(tmp_path / "no" / "x.csv")])
        assert missing.exit_code == 1 and "Traceback" not in missing.output
        assert "Cannot write the file" in missing.output

        rows = [good_row(1), ["B-2", "", "", "", "通過"]]
        path = write_csv(tmp_path / "in.csv", rows)
        for fmt in ("txt", "eml", "jsonl"):
            out = tmp_path / fmt
            result = invoke(runner, db_path, str(path), "--kind", "screening_result", "--date", DAY,
                            "--out", str(out), "--format", fmt, "--skip-invalid")
            assert result.exit_code == 0, result.output
            files = list(out.iterdir())
            assert len(files) == 2 and (out / "rejects.csv") in files
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        os.umask(old)


def test_seen_ids_table_matches_a_dict() -> None:
    # _SeenIds keeps the flat-memory target at 100,000 rows (a dict of strings would not); it
    # must answer exactly as a dict would, through growth and hash-slot collisions.
    import random

    from kizuna.batch.read import _SeenIds

    rng = random.Random(7)
    seen, plain = _SeenIds(), {}
    pool = [f"S-{n:05d}" for n in range(6000)] + ["髙橋", "a", "A_1", ""]
    for line in range(1, 20000):
        stem = rng.choice(pool)
        raw = stem if rng.random() < 0.7 else stem + " "
        expected = None if stem not in plain else (plain[stem][0], plain[stem][1] == raw)
        assert seen.add(stem, raw, line) == expected, (line, stem)
        plain.setdefault(stem, (line, raw))


def test_private_files_leave_devices_alone(tmp_path: Path) -> None:
    # `kizuna export --output /dev/stdout` (or /dev/null) must not chmod the device: as root
    # that would make /dev/null unusable for every other user.
    import os
    import stat

    from kizuna.output import private_file

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo, 0o644)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        with private_file(fifo, "w") as out:
            out.write("x")
    finally:
        os.close(reader)
    assert stat.S_IMODE(os.stat(fifo).st_mode) == 0o644
    with private_file(tmp_path / "plain.csv", "w") as out:
        out.write("x")
    assert stat.S_IMODE(os.stat(tmp_path / "plain.csv").st_mode) == 0o600


@pytest.mark.parametrize("fmt", ["txt", "jsonl"])
def test_a_concurrent_run_that_logged_first_is_what_the_files_hold(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    # Two runs of one batch: the other run records some keys between this run's look-up and its
    # insert. The log keeps the other run's message; the file must hold that one, not ours.
    import dataclasses
    import datetime as dt
    import json

    import kizuna.batch.run as batch_run
    from kizuna.pipeline import record_many as real_record_many

    csv_path = write_csv(tmp_path / "in.csv", [good_row(n) for n in range(1, 7)])
    other = Log.open(db_path)

    def racing(log: Log, pairs, **options):  # type: ignore[no-untyped-def]
        theirs = [(dataclasses.replace(m, body=m.body + "\n（別の実行が記録した本文）"), k)
                  for m, k in pairs[::2]]
        other.record_outbound_many(theirs)
        return real_record_many(log, pairs, **options)

    monkeypatch.setattr(batch_run, "record_many", racing)
    with Log.open(db_path) as log:
        batch_run.run_batch(csv_path, kind="screening_result", profile=load_profile(), log=log,
                            out_dir=tmp_path / "out", on=dt.date(2026, 11, 26), fmt=fmt).run()
        logged = {e.candidate_id: e.body for e in log.timeline()}
    other.close()
    assert sum("別の実行" in body for body in logged.values()) == 3
    if fmt == "txt":
        for cid, body in logged.items():
            assert body in (tmp_path / "out" / f"{cid}.txt").read_text(encoding="utf-8")
    else:
        lines = [json.loads(x) for x in (tmp_path / "out" / "messages.jsonl").read_text(encoding="utf-8").splitlines()]
        assert {line["candidate"]["id"]: line["body"] for line in lines} == logged


# --- drafts kept from the first pass -------------------------------------------------------------


def _jsonl(folder: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (folder / "messages.jsonl").read_text(encoding="utf-8").splitlines()]


def _distinct_rows(count: int) -> list[list[str]]:
    heads, tails = "山佐鈴田渡伊中小加吉", "田藤橋木中辺村林野本"
    return [[f"K-{n:04d}", f"{heads[n % 10]}{tails[n // 10 % 10]} 太郎", "", f"k{n}@example.jp",
             "通過" if n % 3 else "不通過"] for n in range(count)]


@pytest.mark.parametrize("custom", [False, True])
def test_the_run_writes_what_the_checked_drafts_were_composing_each_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, custom: bool) -> None:
    """With the checks on, the first pass drafts every message and the run uses those drafts
    (rebuilt from one kept message per shape): the same messages as a run that drafts them
    itself, each composed once. A template that uses more of the applicant than the name (here
    the email address) makes the rebuilt text wrong, so those rows are drafted again."""
    from kizuna.compose import Composer

    profile_path = None
    if custom:
        folder = tmp_path / "my_templates"
        folder.mkdir()
        (folder / "screening_result.txt").write_text(
            '{% extends "base.txt" %}{% block subject %}【{{ org.name }}】選考結果のご連絡{% endblock %}'
            "{% block body %}{{ sama }}のご連絡先（{{ candidate.email }}）あてにお送りしています。"
            "{% endblock %}", encoding="utf-8")
        profile_path = tmp_path / "kizuna.toml"
        profile_path.write_text(sample_profile_text().replace('templates = ""', 'templates = "my_templates"'),
                                encoding="utf-8")
    profile = load_profile(profile_path)
    path = write_csv(tmp_path / "in.csv", _distinct_rows(60))
    composed = {"n": 0}
    original = Composer.compose

    def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        composed["n"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Composer, "compose", counting)
    outputs = {}
    for check in (False, True):
        composed["n"] = 0
        out = tmp_path / f"out-{check}"
        with Log.open(tmp_path / f"{check}.db") as log:
            run_batch(path, kind="screening_result", profile=profile, log=log, out_dir=out,
                      on=dt.date(2026, 11, 26), fmt="jsonl", check=check, chunk_size=16).run()
        outputs[check] = (_jsonl(out), composed["n"])
    (plain, plain_count), (checked, checked_count) = outputs[False], outputs[True]
    assert checked == plain and len(plain) == 60
    assert plain_count == 60
    if custom:
        assert all(str(m["candidate"]["email"]) in str(m["body"]) for m in checked)  # type: ignore[index]
        # Drafted again, but for a shape only one applicant has (their own draft is theirs).
        assert 100 <= checked_count <= 120
    else:
        assert checked_count == 60  # not 120: the run used the checked drafts


# --- files: one sync per chunk, the eml bytes made once ------------------------------------------


def _synced(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the real fsync and syncfs calls of kizuna's file writing (each still made)."""
    import kizuna.output.files as files

    counts = {"fsync": 0, "syncfs": 0}
    real_fsync, real_syncfs = os.fsync, files._syncfs()

    def fsync(fd: int) -> None:
        counts["fsync"] += 1
        real_fsync(fd)

    def syncfs(fd: int) -> int:
        counts["syncfs"] += 1
        assert real_syncfs is not None
        return real_syncfs(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)
    if real_syncfs is not None:
        monkeypatch.setattr(files, "_syncfs", lambda: syncfs)
    return counts


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="syncfs(2) is Linux's")
@pytest.mark.parametrize("fmt", ["txt", "eml"])
def test_a_chunk_of_files_is_synced_once_not_file_by_file(
        tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    counts = _synced(monkeypatch)
    path = write_csv(tmp_path / "in.csv", [good_row(n) for n in range(1, 24)])
    with Log.open(db_path) as log:
        summary = run_batch(path, kind="screening_result", profile=load_profile(), log=log,
                            out_dir=tmp_path / "out", on=dt.date(2026, 11, 26), fmt=fmt, chunk_size=5).run()
    assert summary.written == 23 and len(visible(tmp_path / "out")) == 23
    # Five chunks: the filesystem once each before the renames, the folder once each after
    # them (and once at the end of the run); not one fsync per file.
    assert counts == {"syncfs": 5, "fsync": 6}


@pytest.mark.parametrize("fmt", ["txt", "eml"])
def test_without_syncfs_each_file_is_synced_and_the_files_are_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    import kizuna.output.files as files

    path = write_csv(tmp_path / "in.csv", [good_row(n, "通過" if n % 3 else "不通過") for n in range(1, 24)])
    made = {}
    for way in ("syncfs", "fsync"):
        if way == "fsync":
            monkeypatch.setattr(files, "_syncfs", lambda: None)
            counts = _synced(monkeypatch)
        with Log.open(tmp_path / f"{way}.db") as log:
            run_batch(path, kind="screening_result", profile=load_profile(), log=log,
                      out_dir=tmp_path / way, on=dt.date(2026, 11, 26), fmt=fmt, chunk_size=5).run()
        made[way] = {p.name: _file_bytes(p) for p in (tmp_path / way).iterdir()}
    assert made["fsync"] == made["syncfs"] and len(made["fsync"]) == 23
    assert counts == {"syncfs": 0, "fsync": 23 + 5 + 1}


@pytest.mark.parametrize(("charset", "fix"), [("utf-8", False), ("iso-2022-jp", False), ("iso-2022-jp", True)])
def test_batch_eml_files_are_the_bytes_of_the_parsed_email(
        tmp_path: Path, charset: str, fix: bool) -> None:
    """Each .eml of a batch, made once, is what the plain path (build, serialise, parse back,
    serialise again) gives for the logged message at the file's Date; with --fix, on template
    and profile text (① and ～ in the template, ㈱ in the sender's name); names in every form."""
    import dataclasses
    import email.policy
    import email.utils

    from kizuna.models import Candidate
    from kizuna.output import as_bytes, to_email

    profile_path = None
    if fix:
        folder = tmp_path / "my_templates"
        folder.mkdir()
        (folder / "screening_result.txt").write_text(
            '{% extends "base.txt" %}{% block subject %}【{{ org.name }}】選考結果①のご連絡{% endblock %}'
            "{% block body %}{{ sama }}\n\n選考の結果①をお知らせします～。\n{% endblock %}", encoding="utf-8")
        profile_path = tmp_path / "kizuna.toml"
        profile_path.write_text(sample_profile_text().replace('templates = ""', 'templates = "my_templates"'),
                                encoding="utf-8")
    profile = load_profile(profile_path)
    if fix:
        org = dataclasses.replace(profile.organisation, name="北上市㈱")
        profile = dataclasses.replace(profile, organisation=org)
    names = ["山田 太郎", "John Smith", "O'Brien, Pat", "=?utf-8?b?QmNjOg==?=", "長" * 40, "Mary  Jane"]
    rows = [[f"E-{n}", name, "", f"e{n}@example.jp" if n % 4 else "someone.with.a.long.address@sub.example.co.jp",
             "通過" if n % 3 else "不通過"] for n, name in enumerate(names * 3)]
    path = write_csv(tmp_path / "in.csv", rows)
    out = tmp_path / "out"
    candidates = {batch_key("screening_result", "screening", dt.date(2026, 11, 26), row[0]):
                  Candidate(row[0], row[1], email=row[3]) for row in rows}
    with Log.open(tmp_path / "kizuna.db") as log:
        run = run_batch(path, kind="screening_result", profile=profile, log=log, out_dir=out,
                        on=dt.date(2026, 11, 26), fmt="eml", charset=charset, fix=fix, chunk_size=7)
        assert {event.key for event in run if event.status == "written"} == set(candidates)
        logged = log.logged_messages(list(candidates), candidates)
    assert len(logged) == len(rows)
    for key, (_, message) in logged.items():
        raw = (out / f"{message.candidate.id}.eml").read_bytes()
        date = re.search(rb"\r\nDate: ([^\r]*)\r\n", raw)
        assert date is not None
        now = email.utils.parsedate_to_datetime(date.group(1).decode("ascii"))
        assert raw == as_bytes(to_email(message, profile, charset=charset, fix=fix, now=now)), key
        if fix:  # the log holds the fixed text, and the file the fixed sender
            assert "①" not in message.subject and "(1)" in message.subject
            sender = email.message_from_bytes(raw, policy=email.policy.default)["From"]
            assert sender.addresses[0].display_name.startswith("北上市(株)")


@pytest.mark.skipif(os.name != "posix", reason="symbolic links and modes")
def test_batch_files_never_go_through_a_symbolic_link(tmp_path: Path, db_path: Path) -> None:
    """A link put where a file goes is replaced, not written through; one put where this
    process's temporary would go makes it take another name."""
    import stat

    secret, other = tmp_path / "secret.txt", tmp_path / "other.txt"
    secret.write_text("secret\n")
    other.write_text("other\n")
    path = write_csv(tmp_path / "in.csv", [good_row(n) for n in range(1, 4)])
    out = tmp_path / "out"
    with Log.open(db_path) as log:
        run = run_batch(path, kind="screening_result", profile=load_profile(), log=log, out_dir=out,
                        on=dt.date(2026, 11, 26))
        # After the run's sweep of temporaries, before its first file.
        (out / f".B-0001.txt.{os.getpid()}.kizuna-tmp").symlink_to(secret)
        (out / "B-0002.txt").symlink_to(other)
        assert run.run().written == 3
    assert secret.read_text() == "secret\n" and other.read_text() == "other\n"
    for n in (1, 2, 3):
        file = out / f"B-{n:04d}.txt"
        assert not file.is_symlink() and stat.S_IMODE(file.stat().st_mode) == 0o600
        assert file.read_text(encoding="utf-8").startswith("件名：")
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [f".B-0001.txt.{os.getpid()}.kizuna-tmp"]
