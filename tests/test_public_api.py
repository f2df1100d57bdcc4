"""The public API an HR tool imports: every name real and typed, nothing shadowing a module."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import kizuna

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "typed" / "user_script.py"


def test_every_public_name_resolves_and_none_is_a_submodule() -> None:
    submodules = {m.name for m in pkgutil.iter_modules(kizuna.__path__)}
    for name in kizuna.__all__:
        assert getattr(kizuna, name) is not None, name
        assert name not in submodules, f"kizuna.{name} is both a public name and a submodule"


def test_lazy_names_are_the_type_checked_ones() -> None:
    # Each lazily loaded name is also imported under TYPE_CHECKING from the same module, so
    # mypy sees the real type; a name only in _LAZY would be Any to a user's type checker.
    tree = ast.parse(Path(kizuna.__file__).read_text(encoding="utf-8"))
    typed: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom)
                for alias in stmt.names:
                    typed[alias.asname or alias.name] = (stmt.module or "").split(".")[0]
    assert typed == kizuna._LAZY


@pytest.mark.slow
def test_a_user_script_type_checks_strictly_with_real_types(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir",
         str(tmp_path / "cache"), str(SCRIPT)],
        capture_output=True, text=True, cwd=HERE.parent,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    revealed = [line for line in done.stdout.splitlines() if "Revealed type" in line]
    assert len(revealed) == 10, done.stdout
    assert not [line for line in revealed if "Any" in line], revealed
    assert any('"kizuna.log.Log"' in line for line in revealed)
    assert any('"kizuna.pipeline.ReplyOutcome"' in line for line in revealed)


@pytest.mark.slow
def test_the_user_script_drafts_books_and_batches(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path), str(HERE / "data" / "applicants-utf8.csv")],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    subject, booked, size, summary = done.stdout.splitlines()
    assert subject == "【北上市】第2次試験（一次面接）日程のご案内"
    assert booked == "2026-12-02T18:00:00+09:00"
    assert int(size) > 1000
    assert summary.startswith("8 written")
