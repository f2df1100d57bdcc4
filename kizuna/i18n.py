"""The language kizuna speaks at the terminal: Japanese or English.

Messages are written in English in the source, marked with ``_()`` (translated where they are
made) or ``N_()`` (a constant, translated where it is shown), and looked up in the compiled
gettext catalog ``kizuna/locale/ja/LC_MESSAGES/kizuna.mo``. The catalogs are kept with babel
(see the README's "Translating"); at run time only the standard library's ``gettext`` reads
them, so importing this module costs nothing worth measuring.

The language is read from the environment at every call, so a command (or a test, or an HR
tool) run under another environment speaks that environment's language:

1. ``KIZUNA_LANG`` (``ja`` or ``en``), when set and not empty;
2. else the first of ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` that is set and not empty, as
   POSIX orders them: a value starting with ``ja`` (``ja_JP.UTF-8``) is Japanese, anything else
   (``C``, ``POSIX``, ``en_US.UTF-8``, ``de_DE``) is English;
3. else English.

Letters to applicants are not this module's business: their language is the applicant's.
"""

from __future__ import annotations

import functools
import gettext as _gettext
import os
from typing import Any

DOMAIN = "kizuna"
LANGUAGES = ("ja", "en")
"""The languages of kizuna's messages; the first is the one the catalogs translate into."""

ENV = "KIZUNA_LANG"


def _code(value: str) -> str | None:
    """The language a locale-like value names (``ja``, ``ja_JP.UTF-8``, ``en``, ``C``), else None."""
    value = value.strip().lower()
    if value.startswith("ja"):
        return "ja"
    if value.startswith("en") or value in ("c", "posix") or value.startswith("c."):
        return "en"
    return None


def unknown_language() -> str | None:
    """``KIZUNA_LANG``'s value when it names no language kizuna speaks (the command refuses
    it), else None. Such a value is otherwise ignored: the locale decides."""
    value = os.environ.get(ENV, "")
    if value.strip() and _code(value) is None:
        return value
    return None


# The four variables, read straight from os.environ's own table where it has one (POSIX: bytes
# keys): a batch asks for the language once per message, and four os.environ lookups were
# most of what checking a message cost. Any change made through os.environ (monkeypatch,
# putenv through it) is in that table, so the answer is always the current one.
_NAMES = (ENV, "LC_ALL", "LC_MESSAGES", "LANG")
_RAW: Any = getattr(os.environ, "_data", None)
_RAW_KEYS = tuple(os.fsencode(name) for name in _NAMES) if os.name == "posix" else ()
_BY_VALUES: dict[tuple[object, ...], str] = {}


def language() -> str:
    """``"ja"`` or ``"en"``: the language of the messages made now."""
    table: Any = _RAW
    if _RAW_KEYS and table is not None and id(vars(os.environ).get("_data")) == id(table):
        get = table.get
        values = tuple(get(key) for key in _RAW_KEYS)
        known = _BY_VALUES.get(values)
        if known is None:
            if len(_BY_VALUES) > 64:
                _BY_VALUES.clear()
            known = _BY_VALUES[values] = _language()
        return known
    return _language()


def _language() -> str:
    chosen = _code(os.environ.get(ENV, ""))
    if chosen is not None:
        return chosen
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "ja" if value.strip().lower().startswith("ja") else "en"
    return "en"


@functools.cache
def catalog(lang: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``lang``; English (the source's own text) is no catalog at all,
    and a missing catalog falls back to English."""
    if lang == "en":
        return _gettext.NullTranslations()
    import io

    name = f"locale/{lang}/LC_MESSAGES/{DOMAIN}.mo"
    try:
        return _gettext.GNUTranslations(io.BytesIO(_package_data(name)))
    except OSError:  # pragma: no cover - the wheel ships the catalogs
        return _gettext.NullTranslations()


def _package_data(name: str) -> bytes:
    """A file shipped in the kizuna package, read through its loader (a folder or a zip): the
    loader's ``get_data`` costs no import, where ``importlib.resources`` costs a few
    milliseconds of the command's start-up; it is the fallback for a loader without it."""
    import sys

    spec = sys.modules["kizuna"].__spec__
    loader = getattr(spec, "loader", None) if spec is not None else None
    folder = spec.submodule_search_locations[0] if spec and spec.submodule_search_locations else None
    if loader is not None and hasattr(loader, "get_data") and folder is not None:
        return bytes(loader.get_data(os.path.join(folder, *name.split("/"))))
    from importlib.resources import files  # pragma: no cover - other loaders

    return files("kizuna").joinpath(*name.split("/")).read_bytes()  # pragma: no cover


def _(message: str) -> str:
    """``message`` in the language of the moment."""
    if not message:  # gettext("") is the catalog's header
        return message
    return catalog(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the language of the moment (Japanese has one)."""
    return catalog(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it yet: a constant defined at import
    time, translated with ``_()`` where it is shown."""
    return message


def width(text: str) -> int:
    """Columns ``text`` takes on a terminal: wide (CJK) characters take two."""
    if text.isascii():
        return len(text)
    from unicodedata import east_asian_width

    return sum(2 if east_asian_width(ch) in "WF" else 1 for ch in text)


def ljust(text: str, columns: int) -> str:
    """``text`` padded with spaces to ``columns`` terminal columns (``str.ljust`` counts
    characters, which misaligns Japanese)."""
    return text + " " * max(columns - width(text), 0)
