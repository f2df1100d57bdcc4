"""Reading the small text files kizuna is given (a profile, a topic file, a reply): UTF-8, with
or without the BOM Windows Notepad writes, bounded in size, and every failure one error that
names the file and, for a bad byte, its line and column."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .errors import KizunaError
from .i18n import _

__all__ = ["MAX_TEXT_BYTES", "decode_utf8", "parse_toml", "read_text_file", "spreadsheet_cell"]

# Far beyond any profile, topic file or reply; a device such as /dev/zero stops here.
MAX_TEXT_BYTES = 4 * 1024 * 1024


def decode_utf8(data: bytes, *, path: str, what: str, error: type[KizunaError]) -> str:
    """``data`` as UTF-8 text (a leading BOM dropped), or ``error`` naming the line and column
    of the first byte that is not UTF-8. ``what`` names the file (marked with ``N_``: it is
    translated here)."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[:exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        raise error(
            _("The {what} is not UTF-8 text: column {column} holds byte 0x{byte:02X}.").format(
                what=_(what), column=column, byte=data[exc.start]),
            path=path, line=line, hint=_("Save it as UTF-8."),
        ) from None


def read_text_file(path: str | Path, *, what: str, error: type[KizunaError]) -> str:
    """The text of a small UTF-8 file, or ``error`` saying which file and why not."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            data = f.read(MAX_TEXT_BYTES + 1)
    except FileNotFoundError:
        raise error(_("The {what} was not found.").format(what=_(what)), path=str(p)) from None
    except IsADirectoryError:
        raise error(_("Expected a {what}, found a folder.").format(what=_(what)),
                    path=str(p)) from None
    except OSError as exc:
        raise error(_("Cannot read the {what}: {reason}.").format(
            what=_(what), reason=exc.strerror or exc), path=str(p)) from None
    if len(data) > MAX_TEXT_BYTES:
        raise error(
            _("The {what} is larger than {size} MiB; it cannot be one.").format(
                what=_(what), size=MAX_TEXT_BYTES // (1024 * 1024)),
            path=str(p),
        )
    if b"\x00" in data:
        raise error(_("The {what} holds binary data (NUL bytes); it is not a text file.").format(
            what=_(what)), path=str(p))
    return decode_utf8(data, path=str(p), what=what, error=error)


def parse_toml(text: str, *, source: str, error: type[KizunaError]) -> dict[str, Any]:
    """TOML text as a table, or ``error`` naming the file (and the line tomllib reports)."""
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise error(_("Not valid TOML: {reason}.").format(reason=exc), path=source) from None
    except RecursionError:
        raise error(_("Not valid TOML: arrays or tables are nested too deeply."),
                    path=source) from None


# What a spreadsheet reads as a formula at the start of a cell (OWASP's CSV injection list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """A CSV cell that Excel shows as text: one starting like a formula (``=HYPERLINK(...)``
    typed as an applicant's name) gets a leading apostrophe, which Excel hides."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
