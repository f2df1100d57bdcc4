"""Japanese at the terminal: the catalogs are complete and current, and the commands speak the
language the environment asks for (KIZUNA_LANG, else LC_ALL, LC_MESSAGES, LANG), in one process
and in a real one. The rest of the suite reads English (conftest sets KIZUNA_LANG=en)."""

from __future__ import annotations

import ast
import gettext
import inspect
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_file
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from click.testing import CliRunner, Result

from kizuna import i18n
from kizuna.cli import cli
from kizuna.cli_i18n import wrap_paragraph
from kizuna.errors import ProfileError
from kizuna.profile import load_profile

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "kizuna" / "locale"
POT = LOCALE / "kizuna.pot"
PO = LOCALE / "ja" / "LC_MESSAGES" / "kizuna.po"
MO = LOCALE / "ja" / "LC_MESSAGES" / "kizuna.mo"

LOCALE_VARS = ("KIZUNA_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")
JA = {"LANG": "ja_JP.UTF-8"}
C = {"LANG": "C"}


def env_of(**values: str) -> dict[str, str | None]:
    """CliRunner's env: every locale variable cleared but the ones given."""
    return {name: values.get(name) for name in LOCALE_VARS}


def invoke(runner: CliRunner, args: list[str], **values: str) -> Result:
    """The command as the user types it (`kizuna …`), with only these locale variables set."""
    return runner.invoke(cli, args, env=env_of(**values), prog_name="kizuna")


def read(path: Path) -> Catalog:
    with path.open("rb") as fp:
        return read_po(fp, locale="ja" if path.suffix == ".po" else None)


def entries(catalog: Catalog) -> Iterator[Message]:
    return (m for m in catalog if m.id)


def key(message: Message) -> str | tuple[str, ...]:
    return message.id if isinstance(message.id, str) else tuple(message.id)


# --- (a) every message translated, placeholders kept, the .mo compiled from this .po ---

FIELD = re.compile(r"(?<!\{)\{(\w+)(![rsa])?(:[^{}]*)?\}(?!\})")
PERCENT = re.compile(r"%\(\w+\)[a-z]|%[sdr]")


def placeholders(text: str) -> set[str]:
    return {m.group(0) for m in FIELD.finditer(text)} | set(PERCENT.findall(text))


def test_every_message_has_a_japanese_translation_that_is_not_fuzzy() -> None:
    untranslated = []
    for message in entries(read(PO)):
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if message.fuzzy or not all(s.strip() for s in strings):
            untranslated.append(key(message))
    assert untranslated == []


def test_the_japanese_catalog_holds_exactly_the_messages_of_the_template() -> None:
    assert {key(m) for m in entries(read(PO))} == {key(m) for m in entries(read(POT))}


def test_translations_keep_every_placeholder() -> None:
    broken = []
    for message in entries(read(PO)):
        if isinstance(message.id, str):
            wanted = allowed = placeholders(message.id)
            strings = [message.string]
        else:  # a plural: Japanese has one form, for any count
            forms = [placeholders(form) for form in message.id]
            wanted, allowed = set.intersection(*forms), set.union(*forms)
            strings = list(message.string)
        for text in strings:
            found = placeholders(text)
            if not wanted <= found <= allowed or text.count("\b") != str(message.id).count("\b"):
                broken.append((key(message), text))
    assert broken == []


def test_the_compiled_catalog_is_the_japanese_po() -> None:
    expected: dict[object, str] = {}
    for message in entries(read(PO)):
        if message.fuzzy:
            continue
        if isinstance(message.id, str):
            expected[message.id] = message.string
        else:
            for index, text in enumerate(message.string):
                expected[(message.id[0], index)] = text
    with MO.open("rb") as fp:
        compiled = dict(gettext.GNUTranslations(fp)._catalog)  # type: ignore[attr-defined]
    compiled.pop("", None)
    assert compiled == expected, "kizuna.mo is stale: run `pybabel compile` (see the README)"


def test_the_placeholder_check_catches_a_broken_translation() -> None:
    assert placeholders("{count} of {rows} rows") != placeholders("{rows}行のうち {cnt}行")
    assert placeholders("{value!r} is not") != placeholders("{value} ではありません")
    assert placeholders("{{ }} and {% %}") == set()


# --- (b) the template is what the sources mark today ---


def test_the_template_is_up_to_date_with_the_sources(tmp_path: Path) -> None:
    fresh = tmp_path / "kizuna.pot"
    CommandLineInterface().run([
        "pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-c", "TRANSLATORS:",
        "--add-location=file", "--sort-output", "-o", str(fresh), str(ROOT / "kizuna"),
    ])
    missing = {key(m) for m in entries(read(fresh))} - {key(m) for m in entries(read(POT))}
    stale = {key(m) for m in entries(read(POT))} - {key(m) for m in entries(read(fresh))}
    assert (missing, stale) == (set(), set()), (
        "kizuna.pot does not match the sources: run pybabel extract, update and compile "
        "(see the README's Translating) and translate the new messages"
    )


def test_the_extractor_finds_command_help_and_click_plurals() -> None:
    template = read(POT)
    assert template.get("Draft warm, careful Japanese emails to job applicants, and log every "
                        "exchange.") is not None
    assert template.get(("{value!r} is not {choice}.", "{value!r} is not one of {choices}.")) \
        is not None


def test_every_message_of_click_is_in_the_catalog() -> None:
    """click's own words (Usage:, Error: …) are translated by kizuna's catalog: a click that
    brings new ones fails here, listing them (add them to CLICK_MESSAGES in cli_i18n.py)."""
    folder = Path(click.__file__).parent
    known = {key(m) for m in entries(read(PO))}
    new = set()
    for name in ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types",
                 "utils", "_termui_impl", "shell_completion"):
        for _lineno, message, _comments, _context in extract_from_file(
            "python", str(folder / f"{name}.py")
        ):
            if message and (message if isinstance(message, str) else tuple(message)) not in known:
                new.add(message if isinstance(message, str) else tuple(message))
    assert new == set()


# --- (c) the language of the moment ---


@pytest.mark.parametrize(("values", "expected"), [
    ({}, "en"),
    ({"LANG": "ja_JP.UTF-8"}, "ja"),
    ({"LANG": "C"}, "en"),
    ({"LANG": "POSIX"}, "en"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "ja"}, "ja"),
    ({"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}, "en"),
    ({"LC_ALL": "", "LANG": "ja_JP.UTF-8"}, "ja"),
    ({"LC_MESSAGES": "ja_JP.UTF-8", "LANG": "C"}, "ja"),
    ({"LC_ALL": "ja_JP.eucJP", "LC_MESSAGES": "C"}, "ja"),
    ({"KIZUNA_LANG": "ja", "LANG": "C"}, "ja"),
    ({"KIZUNA_LANG": "en", "LC_ALL": "ja_JP.UTF-8"}, "en"),
    ({"KIZUNA_LANG": "", "LANG": "ja_JP.UTF-8"}, "ja"),
    ({"KIZUNA_LANG": "fr", "LANG": "ja_JP.UTF-8"}, "ja"),
])
def test_the_language_follows_kizuna_lang_then_the_posix_locale(
    monkeypatch: pytest.MonkeyPatch, values: dict[str, str], expected: str
) -> None:
    for name in LOCALE_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    assert i18n.language() == expected


def test_help_in_japanese_and_in_english(runner: CliRunner) -> None:
    ja = invoke(runner, ["--help"], **JA)
    assert ja.exit_code == 0, ja.output
    assert "使い方: kizuna [OPTIONS] COMMAND [ARGS]..." in ja.output
    assert "\nオプション:\n" in ja.output and "\nコマンド:\n" in ja.output
    assert "すべてのやり取りを記録します。" in ja.output
    assert "このヘルプを表示して終了します。" in ja.output
    assert "下書きをメールで送信します" in ja.output  # a command's short help
    en = invoke(runner, ["--help"], **C)
    assert "Usage: kizuna [OPTIONS] COMMAND [ARGS]..." in en.output
    assert "Show this message and exit." in en.output and "使い方" not in en.output


def test_option_help_and_click_extras_in_japanese(runner: CliRunner) -> None:
    result = invoke(runner, ["draft", "--help"], **JA)
    assert "  --email TEXT                   応募者のメールアドレス。\n" in result.output
    assert "[既定値: Asia/Tokyo]" in result.output
    assert "例:\n    kizuna draft screening_result" in result.output  # the \b block as written


def test_kizuna_lang_overrides_the_locale(runner: CliRunner) -> None:
    en = invoke(runner, ["--help"], KIZUNA_LANG="en", LANG="ja_JP.UTF-8")
    assert "Usage:" in en.output and "使い方" not in en.output
    ja = invoke(runner, ["--help"], KIZUNA_LANG="ja", LC_ALL="C")
    assert "使い方:" in ja.output


def test_an_error_paragraph_in_japanese_and_in_english(runner: CliRunner, tmp_path: Path) -> None:
    args = ["--profile", str(tmp_path / "none.toml"), "draft", "application_received",
            "--name", "山田 太郎", "--no-log"]
    ja = invoke(runner, args, **JA)
    assert ja.exit_code == 1
    assert ja.output == (f"エラー: {tmp_path / 'none.toml'}: プロファイルが見つかりません。"
                         "`kizuna init DIR` で作成するか、--profile を省いて組み込みのサンプルを"
                         "使ってください。\n")
    en = invoke(runner, args, **C)
    assert en.output.startswith(f"Error: {tmp_path / 'none.toml'}: Profile file not found. ")


def test_a_library_error_raised_in_the_language_of_the_moment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KIZUNA_LANG", "ja")
    with pytest.raises(ProfileError) as raised:
        load_profile(tmp_path / "none.toml")
    assert raised.value.message == "プロファイルが見つかりません。"
    profile = tmp_path / "kizuna.toml"
    profile.write_text('[organisation]\nname = "北上市"\nsender = 3\n', encoding="utf-8")
    with pytest.raises(ProfileError) as wrong:
        load_profile(profile)
    assert str(wrong.value) == (f"{profile}、3行目、項目「organisation.sender」: "
                                "文字列を指定してください（値: 3）。")


def test_clicks_own_errors_in_japanese(runner: CliRunner) -> None:
    result = invoke(runner, ["draft", "screening_result", "--nmae", "x"], **JA)
    assert result.exit_code == 2
    assert "エラー: オプション '--nmae' はありません。" in result.output
    assert "使い方は 'kizuna draft --help' で確認できます。" in result.output
    missing = invoke(runner, ["batch", "x.csv", "--out", "o"], **JA)
    assert "エラー: 次のオプションが指定されていません: '--kind'." in missing.output
    choice = invoke(runner, ["draft", "screening_result", "--format", "pdf"], **JA)
    assert "'--format' の値が正しくありません: 'pdf' は指定できません。" in choice.output


def test_a_table_header_in_japanese_and_in_english(runner: CliRunner) -> None:
    ja = invoke(runner, ["seasons", "--year", "2026"], **JA)
    assert ja.output.startswith("二十四節気 2026年（日本時間）\n  小寒  2026-01-05")
    assert "\n雑節 2026年\n" in ja.output
    en = invoke(runner, ["seasons", "--year", "2026"], **C)
    assert en.output.startswith("Solar terms 2026 (JST)\n")


def test_a_summary_and_a_log_table_in_japanese(runner: CliRunner, tmp_path: Path) -> None:
    args = ["--db", str(tmp_path / "k.db"), "batch", str(ROOT / "tests" / "data" /
            "applicants-utf8.csv"), "--kind", "screening_result", "--out", str(tmp_path / "out"),
            "--date", "2026-11-26", "--quiet"]
    ja = invoke(runner, args, **JA)
    assert ja.exit_code == 0, ja.output
    assert re.fullmatch(r"出力 \d+件、作成済み 0件、スキップ 0件、除外 0件。\n", ja.output)
    again = invoke(runner, args, **C)
    assert re.fullmatch(r"0 written, \d+ already done, 0 skipped, 0 rejected.\n", again.output)
    log = invoke(runner, ["--db", str(tmp_path / "k.db"), "log"], **JA)
    assert " → 下書き   screening_result " in log.output
    stats = invoke(runner, ["--db", str(tmp_path / "k.db"), "stats"], **JA)
    assert stats.output.startswith("応募者: ")
    assert "メッセージ: 下書き " in stats.output


def test_one_process_switches_language_between_commands(runner: CliRunner) -> None:
    """Help texts are translated when shown, and click's stored help option stays English
    underneath: Japanese, English, Japanese again, with nothing left behind."""
    for env, shown in ((JA, "このヘルプを表示して終了します。"), (C, "Show this message and exit."),
                       (JA, "このヘルプを表示して終了します。")):
        result = invoke(runner, ["reply", "--help"], **env)
        assert shown in result.output
    assert click.core._ is gettext.gettext  # type: ignore[attr-defined]  # click's own again


def test_an_unknown_kizuna_lang_is_refused_with_the_languages(runner: CliRunner) -> None:
    result = invoke(runner, ["kinds"], KIZUNA_LANG="fr", LANG="C")
    assert result.exit_code == 2
    assert "KIZUNA_LANG='fr' is not a language kizuna speaks: set it to ja (日本語) or en " \
           "(English)." in result.output


def test_japanese_help_fits_the_terminal(runner: CliRunner) -> None:
    for name in ["", *cli.commands]:  # type: ignore[attr-defined]
        result = runner.invoke(cli, [*name.split(), "--help"], env=env_of(**JA),
                               terminal_width=80, prog_name="kizuna")
        too_wide = [line for line in result.output.splitlines() if i18n.width(line) > 80]
        assert too_wide == [], name


def test_japanese_lines_break_where_japanese_may_break() -> None:
    lines = wrap_paragraph("プロファイル（kizuna.toml）のパス。既定は組み込みのサンプルです。", 20)
    assert all(i18n.width(line) <= 20 for line in lines)
    assert not any(line.startswith(("。", "）", "、")) or line.endswith("（") for line in lines)
    assert "".join(lines) == "プロファイル（kizuna.toml）のパス。既定は組み込みのサンプルです。"
    assert wrap_paragraph("kizuna.toml の --db です", 12) == ["kizuna.toml", "の --db です"]


def _installed(*args: str, **values: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in LOCALE_VARS}
    env.update(values)
    command = Path(sys.executable).with_name("kizuna")
    return subprocess.run([str(command), *args], capture_output=True, text=True, env=env,
                          check=False)


def test_the_installed_command_speaks_the_locales_language(tmp_path: Path) -> None:
    ja = _installed("--help", LANG="ja_JP.UTF-8")
    assert ja.returncode == 0 and "使い方: kizuna" in ja.stdout and "コマンド:" in ja.stdout
    error = _installed("--profile", str(tmp_path / "none.toml"), "draft", "application_received",
                       "--name", "山田 太郎", "--no-log", LANG="ja_JP.UTF-8")
    assert error.returncode == 1 and "エラー: " in error.stderr
    assert "プロファイルが見つかりません。" in error.stderr and "Traceback" not in error.stderr
    seasons = _installed("seasons", "--year", "2026", LC_ALL="ja_JP.UTF-8", LANG="C")
    assert seasons.stdout.startswith("二十四節気 2026年（日本時間）")
    en = _installed("--help", LANG="C")
    assert "Usage: kizuna" in en.stdout and "使い方" not in en.stdout
    override = _installed("seasons", "--year", "2026", KIZUNA_LANG="en", LANG="ja_JP.UTF-8")
    assert override.stdout.startswith("Solar terms 2026 (JST)")


# --- new messages cannot slip in untranslated ---


def _commands(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")


def test_every_command_and_option_help_has_a_japanese_translation() -> None:
    """A command or option added without its translation (or an option's help not marked
    with N_) fails here: run the commands of the README's Translating."""
    japanese = i18n.catalog("ja")
    untranslated = []
    for name, command in [("", cli), *_commands(cli)]:
        texts = [inspect.cleandoc(command.help or "")]
        texts += [p.help for p in command.params if getattr(p, "help", None)]  # type: ignore[attr-defined]
        untranslated += [(name, t) for t in texts if t and japanese.gettext(t) == t]
    assert untranslated == []


def test_every_error_message_is_marked_for_translation() -> None:
    """The first argument (and the hint) of every kizuna error, and of click's usage errors,
    is made with _() (or passed in), never a bare English string."""
    from kizuna import errors

    raising = {name for name, value in vars(errors).items()
               if isinstance(value, type) and issubclass(value, errors.KizunaError)}
    raising |= {"UsageError", "BadParameter", "ClickException"}
    bare = []
    for path in sorted((ROOT / "kizuna").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name not in raising:
                continue
            for value in [*node.args[:1], *(k.value for k in node.keywords if k.arg == "hint")]:
                if isinstance(value, ast.JoinedStr) or (
                    isinstance(value, ast.Constant) and isinstance(value.value, str)
                    and re.search("[A-Za-z]{2}", value.value)
                ):
                    bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bare == []


def test_the_language_follows_every_change_of_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """language() answers from os.environ's own table, remembered by its values: every change
    through os.environ is seen at the next call."""
    for name in ("KIZUNA_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert i18n.language() == "en"
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    assert i18n.language() == "ja"
    monkeypatch.setenv("LC_ALL", "C")
    assert i18n.language() == "en"
    monkeypatch.setenv("KIZUNA_LANG", "ja")
    assert i18n.language() == "ja"
    monkeypatch.delenv("KIZUNA_LANG")
    monkeypatch.delenv("LC_ALL")
    assert i18n.language() == "ja"
