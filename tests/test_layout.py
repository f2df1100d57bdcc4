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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    """kizuna module → the kizuna modules it imports, at module level or inside functions,
    TYPE_CHECKING blocks included (a type-only import that goes upward is a cycle too)."""
    modules = {_module_name(p): p for p in _sources()}

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package
                for _ in range(max(node.level - 1, 0)):
                    base = base.rpartition(".")[0]
                if node.level:
                    source = f"{base}.{node.module}" if node.module else base
                else:
                    source = node.module or ""
                candidates = [source] + [f"{source}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                continue
            for candidate in candidates:
                if candidate.startswith("kizuna"):
                    target = resolve(candidate)
                    # A package's __init__ importing its own modules is not a cycle.
                    if target and target != name and not (
                        path.name == "__init__.py" and target.startswith(name + ".")
                    ) and target != "kizuna":
                        targets.add(target)
        graph[name] = targets
    return graph


def test_no_import_cycles() -> None:
    graph = import_graph()
    # The CLI and the package's public names sit on top: nothing imports them.
    for top in ("kizuna", "kizuna.cli", "kizuna.__main__"):
        graph.pop(top, None)
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                cycles.append(" → ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == []


def test_no_sql_outside_the_log_package() -> None:
    import re

    sql = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|PRAGMA|BEGIN|VACUUM)\b|\.execute\(|\.conn\b|\bsqlite3\b")
    found = []
    for path in _sources():
        if path.parent.name == "log" and path.parent.parent == PACKAGE:
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            if sql.search(code):
                found.append(f"{path.relative_to(PACKAGE)}:{lineno}: {line.strip()}")
    assert found == []
