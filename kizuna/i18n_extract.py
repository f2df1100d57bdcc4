"""The extractor ``pybabel extract`` runs on kizuna's sources (babel.cfg); never imported by
kizuna itself.

It finds what babel's own Python extractor finds (``_()``, ``N_()``, ``ngettext()``, with the
``TRANSLATORS:`` comments above them), and also:

- ``NN_(singular, plural)``, the marker of a plural pair click uses (``kizuna.cli_i18n``);
- the docstring of every click command and group (a function decorated with
  ``….command(…)`` or ``….group(…)``), cleaned as click cleans it: it is the command's help,
  translated when the help is shown.
"""

from __future__ import annotations

import ast
import io
from collections.abc import Collection, Iterator
from typing import IO, Any

from babel.messages.extract import extract_python

_COMMAND_HELP = ("TRANSLATORS: the help of a kizuna command. Keep each line that holds only "
                 "\\b: the paragraph after it is printed as written.")


def _is_command(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr in ("command", "group")


def extract(fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str],
            options: Any) -> Iterator[tuple[Any, ...]]:
    """babel's extractor protocol: (line, function, message(s), comments) per message."""
    data = fileobj.read()
    tags = [*comment_tags, *(["TRANSLATORS:"] if "TRANSLATORS:" not in comment_tags else [])]
    names = dict.fromkeys([*keywords, "NN_"])  # babel reads only whether a name is a keyword
    found: Iterator[Any] = extract_python(io.BytesIO(data), names, tags, options)
    for lineno, funcname, messages, comments in found:
        yield lineno, "ngettext" if funcname == "NN_" else funcname, messages, comments
    for node in ast.walk(ast.parse(data)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
            _is_command(d) for d in node.decorator_list
        ):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                yield node.body[0].lineno, None, doc, [_COMMAND_HELP]
