"""ISO-2022-JP: which characters of a draft it cannot carry, and the faithful replacements
(``--fix``) for those outside the applicant's name (FACTS §6)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from ..errors import CharsetError
from ..i18n import _
from ..models import Message
from ..profile import Profile


@dataclass(frozen=True)
class CharProblem:
    """One character ISO-2022-JP cannot carry: where it is and what could replace it.

    ``line`` and ``column`` count from 1 (characters, not bytes). ``char`` is one character, or
    a whole run of half-width kana (replaced together so ﾀﾞ becomes ダ). ``suggestion`` is None when
    there is no faithful replacement (emoji, ♡) or the character belongs to the applicant's name,
    which is never altered.
    """

    field: str
    line: int
    column: int
    char: str
    suggestion: str | None
    in_name: bool = False

    @property
    def fixable(self) -> bool:
        return self.suggestion is not None and not self.in_name

    def __str__(self) -> str:
        where = _("{field} line {line}, column {column}").format(
            field=self.field, line=self.line, column=self.column)
        what = _describe(self.char)
        if self.in_name:
            return _("{where}: {what} is in the applicant's name, which is never altered").format(
                where=where, what=what)
        if self.suggestion is None:
            return _("{where}: {what} has no replacement; reword it").format(where=where, what=what)
        return f"{where}: {what} → '{self.suggestion}'"


def _describe(chars: str) -> str:
    """'①' (U+2460); a run of several characters (half-width kana) lists each code point."""
    points = " ".join(f"U+{ord(c):04X}" for c in chars)
    return f"'{chars}' ({points})"


# ---------------------------------------------------------------------------------------------
# ISO-2022-JP checks

# Replacements people expect; NFKC alone gives "1" for ① and "~" for ～ (FACTS §6).
_REPLACEMENTS: dict[str, str] = {
    "\uff5e": "\u301c",  # ～ FULLWIDTH TILDE (what Windows IMEs type) → 〜 WAVE DASH
    "\uff0d": "\u2212",  # － FULLWIDTH HYPHEN-MINUS → − MINUS SIGN
    "\u2225": "\u2016",  # ∥ PARALLEL TO → ‖ DOUBLE VERTICAL LINE
    "\u2014": "\u2015",  # — EM DASH → ― HORIZONTAL BAR
    "\uffe0": "\u00a2",  # ￠ → ¢
    "\uffe1": "\u00a3",  # ￡ → £
    "\uffe2": "\u00ac",  # ￢ → ¬
    "\u2116": "No.",  # №
    "\u2121": "TEL",  # ℡
    "\u3231": "(株)",  # ㈱
    "\u3232": "(有)",  # ㈲
    "\u3239": "(代)",  # ㈹
    "\u9ad9": "高",  # 髙 (only ever suggested outside a name)
    "\ufa11": "崎",  # 﨑 (only ever suggested outside a name)
    "\u24ea": "(0)",  # ⓪
}
_REPLACEMENTS.update({chr(0x2460 + i): f"({i + 1})" for i in range(20)})  # ①..⑳
_REPLACEMENTS.update({chr(0x2776 + i): f"({i + 1})" for i in range(10)})  # ❶..❿
_REPLACEMENTS.update({chr(0x2780 + i): f"({i + 1})" for i in range(10)})  # ➀..➉
_REPLACEMENTS.update({chr(0x278A + i): f"({i + 1})" for i in range(10)})  # ➊..➓

_HALFWIDTH_KANA = re.compile("[\uff61-\uff9f]+")


def _encodable(text: str) -> bool:
    try:
        text.encode("iso-2022-jp")
    except UnicodeEncodeError:
        return False
    return True


def _suggest(ch: str) -> str | None:
    """A replacement ISO-2022-JP can carry, or None."""
    if ch in _REPLACEMENTS:
        return _REPLACEMENTS[ch]
    normal = unicodedata.normalize("NFKC", ch)
    if normal != ch and normal.strip() and _encodable(normal):
        return normal
    if ch == "\uff9e":  # ﾞ on its own: NFKC gives a combining mark, the spacing one is in JIS
        return "\u309b"
    if ch == "\uff9f":  # ﾟ likewise
        return "\u309c"
    return None


def _name_spans(text: str, name: str) -> list[tuple[int, int]]:
    """Character ranges of the applicant's name (and its parts) inside ``text``."""
    spans: list[tuple[int, int]] = []
    parts = {name, *name.split()} if name.strip() else set()
    for part in sorted(parts, key=len, reverse=True):
        for m in re.finditer(re.escape(part), text):
            spans.append((m.start(), m.end()))
    return spans


def _scan(field: str, text: str, name: str | None) -> list[CharProblem]:
    """Problems in one text, line by line; runs of half-width kana get one run-wide suggestion."""
    if _encodable(text):
        # The codec maps one character at a time: a text it carries whole holds no problem.
        return []
    problems: list[CharProblem] = []
    spans = _name_spans(text, name) if name else []
    offset = 0
    for lineno, line in enumerate(text.split("\n"), start=1):
        if _encodable(line):
            offset += len(line) + 1
            continue
        # Half-width kana are replaced per run, so ﾀﾞ becomes ダ rather than タ゛.
        run_fix: dict[int, str] = {}
        for m in _HALFWIDTH_KANA.finditer(line):
            full = unicodedata.normalize("NFKC", m.group())
            if _encodable(full):
                run_fix[m.start()] = full
        col = 0
        while col < len(line):
            ch = line[col]
            if _encodable(ch):
                col += 1
                continue
            pos = offset + col
            in_name = any(a <= pos < b for a, b in spans)
            if col in run_fix and not in_name:
                run = _HALFWIDTH_KANA.match(line, col)
                assert run is not None
                problems.append(CharProblem(field, lineno, col + 1, run.group(), run_fix[col]))
                col = run.end()
                continue
            suggestion = None if in_name else _suggest(ch)
            problems.append(CharProblem(field, lineno, col + 1, ch, suggestion, in_name))
            col += 1
        offset += len(line) + 1
    return problems


def scan_iso2022jp(text: str, *, field: str = "text", name: str | None = None) -> list[CharProblem]:
    """Every character of ``text`` ISO-2022-JP cannot carry, by line and column (a run of
    half-width kana is one problem); those inside ``name`` (the applicant's) get no
    replacement, since a name is never altered."""
    return _scan(field, text, name)


def check_iso2022jp(message: Message, profile: Profile) -> list[CharProblem]:
    """Every character of the draft's headers and body that ISO-2022-JP cannot carry.

    Fields: ``candidate.name`` (the To name), ``organisation.name`` and ``organisation.sender``
    (the From name), ``subject`` and ``body``. A half-width kana run is one problem.
    """
    name = message.candidate.name
    org = profile.organisation
    problems: list[CharProblem] = []
    for p in _scan("candidate.name", name, None):
        problems.append(replace(p, suggestion=None, in_name=True))
    problems += _scan("organisation.name", org.name, None)
    problems += _scan("organisation.sender", org.sender, None)
    problems += _scan("subject", message.subject, name)
    problems += _scan("body", message.body, name)
    return problems


def _apply(text: str, problems: list[CharProblem]) -> str:
    """Replace the listed characters (all fixable) in ``text``; later positions first."""
    lines = text.split("\n")
    for p in sorted(problems, key=lambda p: (p.line, p.column), reverse=True):
        assert p.suggestion is not None
        line = lines[p.line - 1]
        start = p.column - 1
        lines[p.line - 1] = line[:start] + p.suggestion + line[start + len(p.char):]
    return "\n".join(lines)


def raise_for_problems(problems: list[CharProblem], *, fix: bool) -> None:
    """Raise the one error that explains why ISO-2022-JP cannot be written as asked."""
    name_problems = [p for p in problems if p.field == "candidate.name"]
    listing = _("; ").join(str(p) for p in problems)
    if name_problems:
        chars = _(", ").join(_describe(p.char) for p in name_problems)
        raise CharsetError(
            _("ISO-2022-JP cannot carry {chars} in the applicant's name, and a name is never "
              "altered: this applicant's email needs UTF-8. All problems: {problems}.").format(
                chars=chars, problems=listing),
            problems=problems, field="candidate.name",
            hint=_("Write it in UTF-8 (the default: drop --charset iso-2022-jp)."),
        )
    unfixable = [p for p in problems if not p.fixable]
    if fix and unfixable:
        raise CharsetError(
            _("ISO-2022-JP cannot carry these characters and they have no replacement: "
              "{problems}.").format(problems=_("; ").join(str(p) for p in unfixable)),
            problems=problems,
            hint=_("Reword them in the template or profile, or write the email in UTF-8."),
        )
    raise CharsetError(
        _("ISO-2022-JP cannot carry these characters: {problems}.").format(problems=listing),
        problems=problems,
        hint=_("Pass --fix to use the suggested replacements, or write the email in UTF-8."),
    )


def fix_iso2022jp(message: Message, profile: Profile) -> tuple[Message, Profile]:
    """The draft and profile with every fixable character replaced, or CharsetError.

    The applicant's name is never touched: if it cannot be carried, the error says UTF-8 is
    needed for this applicant.
    """
    problems = check_iso2022jp(message, profile)
    if not problems:
        return message, profile
    if any(p.field == "candidate.name" or not p.fixable for p in problems):
        raise_for_problems(problems, fix=True)

    def fixed(field: str, text: str) -> str:
        return _apply(text, [p for p in problems if p.field == field])

    message = replace(message, subject=fixed("subject", message.subject),
                      body=fixed("body", message.body))
    org = profile.organisation
    org = replace(org, name=fixed("organisation.name", org.name),
                  sender=fixed("organisation.sender", org.sender))
    return message, replace(profile, organisation=org)


