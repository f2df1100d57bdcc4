"""The package's shape: what docs/architecture.md promises and a reviewer would otherwise check
by hand (every exception in errors.py, each taking where and what to do, ...)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from kizuna import errors

PACKAGE = Path(__file__).resolve().parent.parent / "kizuna"


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_exception_class_is_in_errors_py() -> None:
    outside = []
    for path in _sources():
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(b) for b in node.bases}
                if any(b.endswith(("Error", "Exception", "Taken")) for b in bases):
                    outside.append(f"{path.relative_to(PACKAGE)}: {node.name}")
    assert outside == []


@pytest.mark.parametrize(
    "cls",
    [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, errors.KizunaError)],
)
def test_every_error_takes_where_and_what_to_do(cls: type[errors.KizunaError]) -> None:
    extra = {"slot": None} if cls is errors.SlotTaken else {}
    exc = cls("Something is wrong.", path="f.csv", line=3, field="name", hint="Fix it.", **extra)
    assert (exc.path, exc.line, exc.field, exc.hint) == ("f.csv", 3, "name", "Fix it.")
    assert str(exc).startswith("f.csv, line 3, field 'name': Something is wrong.")
    assert str(exc).endswith("Fix it.")
