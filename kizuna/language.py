"""The languages kizuna writes letters in: Japanese (the default) and English.

An applicant's language is a code kept on the candidate in the log ("ja" or "en"); an empty
code means "not stated", which is the log's language for an applicant it knows, else
Japanese. Codes are read leniently where people type them (a CSV cell, ``--lang``): "EN",
"en-GB", "English", 英語 all mean "en".
"""

from __future__ import annotations

from .errors import InputError
from .i18n import _

DEFAULT = "ja"
# Code → how it is named in a list of the available ones.
LANGUAGES: dict[str, str] = {"ja": "Japanese (日本語)", "en": "English"}
_ALIASES: dict[str, str] = {
    "ja": "ja", "jp": "ja", "jpn": "ja", "japanese": "ja", "日本語": "ja", "和文": "ja",
    "en": "en", "eng": "en", "english": "en", "英語": "en", "英文": "en",
}


def available() -> str:
    """The codes with their names, for an error's hint: "ja (Japanese (日本語)), en (English)"."""
    return ", ".join(f"{code} ({name})" for code, name in LANGUAGES.items())


def known_code(value: str) -> str | None:
    """The code ``value`` stands for ("en-GB" → "en", "英語" → "en"), "" for an empty value,
    or None when it is no language kizuna writes."""
    text = value.strip(" \t\u3000").casefold()
    if not text:
        return ""
    if text in _ALIASES:
        return _ALIASES[text]
    head = text.replace("_", "-").split("-", 1)[0]
    return _ALIASES.get(head) if head in LANGUAGES else None


def language_code(value: str | None, *, field: str = "language") -> str:
    """``known_code`` or an InputError naming the value and listing the available codes;
    None and "" give "" (not stated)."""
    if value is None:
        return ""
    code = known_code(value)
    if code is None:
        raise InputError(
            _("Unknown language '{value}'.").format(value=value.strip()), field=field,
            hint=_("kizuna writes letters in: {languages}.").format(languages=available()),
        )
    return code


def has_japanese(text: str) -> bool:
    """True if ``text`` holds kana, kanji or Japanese (full-width) punctuation: what an
    English letter never shows its reader."""
    return any(
        "\u3000" <= c <= "\u30ff" or "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff"
        or "\uff01" <= c <= "\uff9f"
        for c in text
    )
