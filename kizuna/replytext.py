"""What an applicant wrote in a reply, as plain text: HTML made plain, quotes and addresses gone.

A reply is read for what the applicant chose (a slot number, a date), and only the words they
wrote themselves may choose. Everything else in a mail body can carry digits that look like a
choice: HTML attributes (``<font size="3">``), style sheets, the quoted invitation with its
①②③ list, the quote header's date, URLs and mail addresses. :func:`reply_text` takes all of
that away; the pieces are public so the inbox (reading ``.eml`` files) can use them one by one.

How mail clients quote (FACTS §9): Gmail, Thunderbird and iPhone Mail write an attribution line
(「2026年12月1日(火) 10:00 北上 花子 <hanako@example.jp>:」, 「On …, … wrote:」, 「…のメール:」)
and then ``>`` lines; Outlook writes 「-----Original Message-----」 or a 「差出人: … 送信日時: …」
block and the original below it, unmarked. In HTML the quote is a ``<blockquote>``.

Pure functions, standard library only (``html.parser``); nothing here reads the log or a clock.
The original text is never changed in place: callers record what was sent and read the result.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

__all__ = [
    "blank_addresses",
    "html_to_text",
    "looks_like_html",
    "reply_text",
    "strip_quoted",
]


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

_TAG_NAMES = (
    r"html|head|body|meta|style|script|title|div|p|br|span|font|table|tbody|thead|tr|td|th|"
    r"blockquote|a|b|i|u|s|em|strong|small|big|center|ul|ol|li|dl|dt|dd|h[1-6]|hr|img|pre|"
    r"section|article|header|footer|o:p"
)
# A real tag (not 「<hanako@example.jp>」 or 「<3」): a known element name, then space, / or >.
_HTML_HINT = re.compile(rf"<!doctype\s|<!--|</?(?:{_TAG_NAMES})(?=[\s/>])", re.IGNORECASE)
# Tags that end a line. HTML without any of them is text with inline markup: keep its newlines.
_LINE_HINT = re.compile(
    r"</?(?:br|p|div|li|tr|h[1-6]|blockquote|pre|table|hr|dt|dd|section|article)(?=[\s/>])",
    re.IGNORECASE,
)

# Elements whose content starts and ends on a line of its own.
_BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "caption", "center", "dd", "details", "dialog",
    "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hr", "legend", "li", "main", "nav", "ol", "p", "pre",
    "section", "summary", "table", "tbody", "tfoot", "thead", "tr", "ul",
})
# Elements whose content is never shown as text.
_HIDDEN = frozenset({
    "head", "style", "script", "title", "noscript", "template", "xml", "object", "iframe", "svg",
})
_VOID = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
})
_CELL = frozenset({"td", "th"})
_DISPLAY_NONE = re.compile(r"display\s*:\s*none", re.IGNORECASE)
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")


def looks_like_html(text: str) -> bool:
    """True when the text has HTML tags (a fragment is enough: ``<font size="3">…</font>``).

    Mail addresses in angle brackets and stray ``<`` are not tags, so plain text stays plain.
    """
    return _HTML_HINT.search(text) is not None


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML document as lines, each with its quote depth."""

    def __init__(self, *, keep_newlines: bool) -> None:
        super().__init__(convert_charrefs=True)
        self._keep_newlines = keep_newlines
        # Open elements: (name, hidden, quote, pre).
        self._open: list[tuple[str, bool, bool, bool]] = []
        self.lines: list[tuple[int, str]] = []
        self._buffer: list[str] = []
        self._depth = 0

    # The state of the innermost position, from the open elements.
    def _hidden(self) -> bool:
        return any(hidden for _, hidden, _, _ in self._open)

    def _quote_depth(self) -> int:
        return sum(1 for _, _, quote, _ in self._open if quote)

    def _pre(self) -> bool:
        return any(pre for _, _, _, pre in self._open)

    def _newline(self) -> None:
        """End the current line (an empty one too: ``<br><br>`` is a blank line)."""
        depth = self._depth if self._buffer else self._quote_depth()
        self.lines.append((depth, "".join(self._buffer)))
        self._buffer = []

    def _break(self) -> None:
        """End the current line unless it is empty (block elements do not stack blank lines)."""
        if self._buffer:
            self._newline()

    def _write(self, text: str) -> None:
        if not self._buffer:
            if not self._pre():
                text = text.lstrip(" ")
            if not text:
                return
            self._depth = self._quote_depth()
        self._buffer.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            # A <head> left open ends where the body begins.
            while any(name == "head" for name, *_ in self._open):
                self._open.pop()
        if tag == "br":
            self._newline()
            return
        if tag in _BLOCK:
            self._break()
        if tag in _CELL and self._buffer:
            self._write(" ")
        if tag in _VOID:
            return
        style = " ".join(value or "" for name, value in attrs if name == "style")
        hidden = tag in _HIDDEN or bool(_DISPLAY_NONE.search(style))
        self._open.append((tag, hidden, tag == "blockquote", tag == "pre"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "br":  # browsers read a stray </br> as <br>
            self._newline()
            return
        if any(name == tag for name, *_ in self._open):
            # Close it, and whatever was left open inside it.
            while self._open:
                name, *_ = self._open.pop()
                if name == tag:
                    break
        if tag in _BLOCK:
            self._break()

    def handle_data(self, data: str) -> None:
        if self._hidden():
            return
        if self._pre():
            pieces = data.split("\n")
        elif self._keep_newlines:
            pieces = [_HTML_SPACE.sub(" ", p) for p in re.split(r"\r\n|\r|\n", data)]
        else:
            pieces = [_HTML_SPACE.sub(" ", data)]
        for i, piece in enumerate(pieces):
            if i:
                self._newline()
            self._write(piece.replace("\xa0", " "))

    def close(self) -> None:
        super().close()
        self._break()


def html_to_text(html: str) -> str:
    """The text a reader sees in an HTML mail body, as plain lines.

    Tags and their attributes go, and so do ``<head>``, ``<style>``, ``<script>``, comments and
    elements styled ``display:none``; entities are decoded (``&#9312;`` → ①, ``&nbsp;`` → a
    space); ``<br>`` and block elements (``<p>``, ``<div>``, ``<li>``, ``<tr>`` …) end lines;
    each line inside a ``<blockquote>`` is marked ``> `` (once per level), as a plain-text
    client would quote it. A fragment without any line-ending tag keeps its own newlines.
    """
    parser = _TextExtractor(keep_newlines=_LINE_HINT.search(html) is None)
    parser.feed(html)
    parser.close()
    lines = [("> " * depth + text).rstrip() for depth, text in parser.lines]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


# --------------------------------------------------------------------------------------------
# Quotes
# --------------------------------------------------------------------------------------------

# A line that introduces a quoted earlier message (matched after NFKC, so 「：」 is ":").
_QUOTE_HEADER = re.compile(
    r"^\s*(?:"
    # Outlook and forwards: -----Original Message----- / -----元のメッセージ----- / 転送
    r"-{2,}+.*(?:original|元の|転送|forwarded).*"  # possessive: a line of dashes is not slow
    # Thunderbird, Gmail, iPhone: 「On …, … wrote:」 「…のメッセージ:」 「…のメール:」
    r"|.*(?:wrote|書きました|のメッセージ|のメール)\s*:\s*"
    # Gmail in Japanese: 「2026年12月1日(火) 10:00 北上 花子 <hanako@example.jp>:」
    r"|.*<\s*[^<>\s@]+@[^<>\s]+\s*>\s*(?:さん)?\s*:\s*"
    # Outlook's header block: 「差出人: …」 / 「From: …」
    r"|(?:from|差出人|送信者)\s*:.*"
    r")$",
    re.IGNORECASE,
)
# The first line of an attribution that a client wrapped onto two lines (「On …」, a date).
_HEADER_START = re.compile(r"^\s*(?:on\s|\d{4}\s*[/年.\-]\s*\d{1,2})", re.IGNORECASE)
# RFC 3676 §4.3: a line "-- " starts the signature (many clients drop the trailing space).
_SIGNATURE = re.compile(r"^--[ \t]?$")
# What mobile clients add below the text ("Sent from my iPhone"): the end of what was written.
_CLIENT_FOOTER = re.compile(
    r"^\s*(?:sent from my \w+|sent from (?:outlook|mail|yahoo mail)\b|get outlook for \w+|"
    r"iphoneから送信|androidから送信)",
    re.IGNORECASE,
)
# An English sign-off alone on its line ("Kind regards," "Best wishes" "Thanks,"): what follows
# is the writer's name and signature (a flat number, a phone number), not a choice.
_VALEDICTION = re.compile(
    r"^\s*(?:(?:kind|best|warm|warmest|many|with)\s+(?:regards|wishes|thanks)|regards|best|"
    r"all the best|cheers|thanks(?: again| so much| very much)?|thank you(?: (?:again|very much|so much))?|"
    r"many thanks|(?:yours\s+)?(?:sincerely|faithfully|truly)|yours|respectfully|take care)"
    r"\s*[,.!]?\s*$",
    re.IGNORECASE,
)
# At most this many lines after a sign-off make a signature (more is still the letter).
_SIGNATURE_LINES = 8


def _nfkc(line: str) -> str:
    return unicodedata.normalize("NFKC", line)


def _is_quoted(line: str) -> bool:
    """A line quoted from an earlier message: it starts with ``>`` or a full-width ``＞``."""
    return _nfkc(line).lstrip()[:1] == ">"


def _header_length(lines: list[str], i: int) -> int:
    """How many lines (0, 1 or 2) of a quote header start at line ``i``."""
    if _QUOTE_HEADER.match(_nfkc(lines[i])):
        return 1
    if i + 1 < len(lines) and _HEADER_START.match(_nfkc(lines[i])):
        joined = _nfkc(lines[i].rstrip() + " " + lines[i + 1].strip())
        if lines[i + 1].rstrip().endswith((":", "：")) and _QUOTE_HEADER.match(joined):
            return 2
    return 0


def _signature_follows(lines: list[str], i: int) -> bool:
    """Whether what follows the sign-off on line ``i`` is a signature: a few short lines,
    up to a quote header or the end."""
    count = 0
    for j in range(i + 1, len(lines)):
        line = lines[j]
        if _is_quoted(line) or _header_length(lines, j) or _SIGNATURE.match(line):
            return True
        if line.strip():
            count += 1
            if count > _SIGNATURE_LINES or len(line.strip()) > 80:
                return False
    return True


def strip_quoted(text: str) -> str:
    """The text without what it quotes from earlier messages, and without the signature.

    Dropped: lines starting with ``>`` or ``＞``; a quote header (attribution line, even one
    wrapped onto two lines); after a header whose original follows unmarked (Outlook), the
    whole rest of the text; from a signature line ``-- `` on, the rest, and likewise from an
    English sign-off ("Kind regards,") followed by a few short lines, or a client's footer
    ("Sent from my iPhone"). A header followed by
    ``>`` lines only drops those lines, so an answer written below the quote (Becky!, or a
    writer who answers between quoted lines) is kept.
    """
    lines = text.splitlines()
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _SIGNATURE.match(line) or _CLIENT_FOOTER.match(line):
            break
        if _VALEDICTION.match(line) and any(k.strip() for k in kept) and _signature_follows(lines, i):
            break
        if _is_quoted(line):
            i += 1
            continue
        length = _header_length(lines, i)
        if length:
            after = i + length
            while after < len(lines) and not lines[after].strip():
                after += 1
            if after < len(lines) and _is_quoted(lines[after]):
                i = after
                continue
            break
        kept.append(line)
        i += 1
    return "\n".join(kept).strip("\n")


# --------------------------------------------------------------------------------------------
# Addresses
# --------------------------------------------------------------------------------------------

# A URL runs to the next space or Japanese punctuation: an IRI may hold any other character
# (https://example.jp/2番/, http://例え.jp/②), and what it holds was not written as a choice.
_URL_CHARS = r"[^\s<>\"「」『』（）【】、。]"
# Each pattern starts only where its first part could not go on to the left, so a long run of
# letters without "://" or "@" is scanned once, not once per letter.
_URL = re.compile(
    rf"(?<![A-Za-z0-9+.\-])(?:[A-Za-z][A-Za-z0-9+.\-]{{0,31}}://|www\.|mailto:|tel:){_URL_CHARS}+",
    re.IGNORECASE,
)
_LOCAL = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-"
_EMAIL = re.compile(
    rf"(?<![{_LOCAL}])[{_LOCAL}]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+"
)


# An address whose local part or domain is not ASCII (2番太郎@example.jp, taro@例え.jp): only
# from the start of a line, a space or punctuation, so that a plain address written straight
# after the applicant's words takes only itself (the ASCII pattern runs first).
_WIDE = r"[^\s@<>\"'「」『』（）()【】、。，,;:：；]"
_WIDE_EMAIL = re.compile(
    rf"(?:^|(?<=[\s、。「」『』（）()【】:：]))({_WIDE}{{1,40}})@(?={_WIDE}*\.){_WIDE}+",
    re.MULTILINE,
)


def blank_addresses(text: str) -> str:
    """URLs (``https://…``, ``www.…``, ``mailto:``, ``tel:``) and mail addresses → a space."""
    return _WIDE_EMAIL.sub(" ", _EMAIL.sub(" ", _URL.sub(" ", text)))


# --------------------------------------------------------------------------------------------
# All together
# --------------------------------------------------------------------------------------------


def reply_text(raw: str) -> str:
    """Only what the applicant wrote: HTML made plain, quotes, signature and addresses gone.

    ``raw`` is a mail body as received or pasted, plain text or HTML (detected by its tags).
    The result is for reading, not for keeping: lines and columns do not match ``raw``.
    """
    text = html_to_text(raw) if looks_like_html(raw) else raw
    return blank_addresses(strip_quoted(text))
