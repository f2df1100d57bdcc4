"""Email (.eml) and calendar (.ics) output for drafted messages.

Two wire formats for the same draft: UTF-8 (the default; every name can be written) and
ISO-2022-JP (some municipal mail systems still demand it). Python's modern ``EmailMessage`` API
writes every header as ``=?utf-8?...?=`` whatever the body charset, so both formats are built with
the compat32 ``email.mime`` classes and ``email.header.Header`` in the chosen charset, then
parsed back into an ``EmailMessage``: callers get the modern object (decoded headers,
``get_body()``), and its stored header lines, already encoded, are written back unchanged.

Nothing is produced from unsafe input: a CR or LF in a header value, an address that is not an
address, or a character ISO-2022-JP cannot carry raises ``MailError`` before any object exists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, replace
from email import encoders
from email import policy as email_policy
from email.charset import Charset
from email.header import Header
from email.message import EmailMessage
from email.message import Message as RawMessage
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.parser import BytesParser
from email.utils import format_datetime, formataddr

from . import headers
from .errors import CharsetError, MailError
from .models import JST, Message, Slot
from .profile import Profile

__all__ = [
    "CharProblem",
    "as_bytes",
    "booking_uid",
    "check_email",
    "check_header_value",
    "check_iso2022jp",
    "fix_iso2022jp",
    "invitation_ics",
    "to_email",
    "validate_address",
]

CHARSETS: tuple[str, ...] = ("utf-8", "iso-2022-jp")

# The generator policy for files and SMTP alike: CRLF line ends, 78-column folding. Header lines
# are written back exactly as to_email encoded them (refold_source="none"): refolding decodes a
# header and encodes it again in UTF-8, which would undo the ISO-2022-JP headers and write a
# name typed like an encoded word as raw text, for mail clients to decode.
WIRE = email_policy.SMTP.clone(refold_source="none")

# RFC 5322 §2.1.1: a line is at most 998 octets, excluding CRLF.
MAX_LINE_OCTETS = 998

ICS_FILENAME = "invitation.ics"
PRODID = "-//kizuna//kizuna//JA"


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
        where = f"{self.field} line {self.line}, column {self.column}"
        what = _describe(self.char)
        if self.in_name:
            return f"{where}: {what} is in the applicant's name, which is never altered"
        if self.suggestion is None:
            return f"{where}: {what} has no replacement; reword it"
        return f"{where}: {what} → '{self.suggestion}'"


def _describe(chars: str) -> str:
    """'①' (U+2460); a run of several characters (half-width kana) lists each code point."""
    points = " ".join(f"U+{ord(c):04X}" for c in chars)
    return f"'{chars}' ({points})"


# ---------------------------------------------------------------------------------------------
# Header safety and addresses: the rules are kizuna.headers'; a broken one is a MailError here.


def check_header_value(value: str, field: str) -> str:
    """``kizuna.headers.check_header_value``, raising MailError (the .eml writer's error)."""
    return headers.check_header_value(value, field, error=MailError)


def validate_address(addr: str, field: str) -> str:
    """``kizuna.headers.validate_address``, raising MailError."""
    return headers.validate_address(addr, field, error=MailError)


def _address_header(name: str, addr: str, charset: str) -> str:
    """``Name <addr>`` for From or To, in a form every mail client shows as typed.

    An ASCII name is written as itself, quoted where it holds specials (``"``, ``<``, ``,``...)
    or spaces a bare phrase would collapse (a run, a tab, one at either end). Any other name is
    one RFC 2047 encoded word in ``charset``: a non-ASCII name, and one containing ``=?``, which
    a client would otherwise decode as an encoded word of its own, even inside quotes (a name
    typed as ``=?utf-8?b?...?=`` could show as "Bcc: someone@example.jp"). Encoded, those
    characters are the text the client decodes, so it shows them literally. One word, not
    several: decoders disagree on the space between adjacent encoded words in a display name
    (RFC 2047 drops it, Python's parser keeps it), so only a name too long for one header line
    is split.
    """
    if not name:
        return addr
    if name.isascii() and "=?" not in name:
        if " ".join(name.split()) == name:
            return formataddr((name, addr))
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}" <{addr}>'
    return f"{_encoded_name(name, charset)} <{addr}>"


def _encoded_name(name: str, charset: str) -> str:
    """``name`` as one encoded word, or, if that would not fit on a header line, as words of
    at most 75 characters (RFC 2047 §2) that the folder puts on lines of their own."""
    encode = Charset(charset).header_encode
    word = encode(name)
    if len(word) + len("From: ") <= MAX_LINE_OCTETS:
        return word
    words: list[str] = []
    piece = ""
    for ch in name:
        if piece and len(encode(piece + ch)) > 75:
            words.append(encode(piece))
            piece = ""
        piece += ch
    words.append(encode(piece))
    return " ".join(words)


def _sender_name(profile: Profile) -> str:
    org = profile.organisation
    return f"{org.name} {org.sender}".strip()


def _check_headers(message: Message, profile: Profile) -> None:
    """Every value that becomes a header (or an iCalendar address) is one safe line."""
    org = profile.organisation
    check_header_value(message.subject, "subject")
    check_header_value(message.candidate.name, "candidate.name")
    check_header_value(org.name, "organisation.name")
    check_header_value(org.sender, "organisation.sender")
    if not org.email:
        raise MailError(
            "The profile has no sender address, and an email needs a From address.",
            path=profile.source, field="organisation.email",
            hint="Set organisation.email in the profile.",
        )
    validate_address(org.email, "organisation.email")
    if message.candidate.email:
        validate_address(message.candidate.email, "candidate.email")


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
    problems: list[CharProblem] = []
    spans = _name_spans(text, name) if name else []
    offset = 0
    for lineno, line in enumerate(text.split("\n"), start=1):
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


def _raise_for(problems: list[CharProblem], *, fix: bool) -> None:
    """Raise the one error that explains why ISO-2022-JP cannot be written as asked."""
    name_problems = [p for p in problems if p.field == "candidate.name"]
    listing = "; ".join(str(p) for p in problems)
    if name_problems:
        chars = ", ".join(_describe(p.char) for p in name_problems)
        raise CharsetError(
            f"ISO-2022-JP cannot carry {chars} in the applicant's name, and a name is never "
            f"altered: this applicant's email needs UTF-8. All problems: {listing}.",
            problems=problems, field="candidate.name",
            hint="Write it in UTF-8 (the default: drop --charset iso-2022-jp).",
        )
    unfixable = [p for p in problems if not p.fixable]
    if fix and unfixable:
        raise CharsetError(
            "ISO-2022-JP cannot carry these characters and they have no replacement: "
            + "; ".join(str(p) for p in unfixable) + ".",
            problems=problems,
            hint="Reword them in the template or profile, or write the email in UTF-8.",
        )
    raise CharsetError(
        f"ISO-2022-JP cannot carry these characters: {listing}.",
        problems=problems,
        hint="Pass --fix to use the suggested replacements, or write the email in UTF-8.",
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
        _raise_for(problems, fix=True)

    def fixed(field: str, text: str) -> str:
        return _apply(text, [p for p in problems if p.field == field])

    message = replace(message, subject=fixed("subject", message.subject),
                      body=fixed("body", message.body))
    org = profile.organisation
    org = replace(org, name=fixed("organisation.name", org.name),
                  sender=fixed("organisation.sender", org.sender))
    return message, replace(profile, organisation=org)


# ---------------------------------------------------------------------------------------------
# The email


def _digest(message: Message) -> str:
    """A hex digest of the draft: the same draft always gets the same Message-ID and boundary."""
    return hashlib.sha256(
        "\x1f".join(
            [message.candidate.id, message.kind, message.stage or "", message.date.isoformat(),
             message.subject, message.body]
        ).encode("utf-8")
    ).hexdigest()[:32]


def _normal_body(body: str) -> str:
    """LF line ends and one final line break: what the reader of the file gets back."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") else text + "\n"


def _ics_method(ics: bytes) -> str | None:
    m = re.search(rb"(?:^|\r?\n)METHOD:([A-Za-z-]+)\r?\n", ics)
    return m.group(1).decode("ascii").upper() if m else None


def check_email(
    message: Message, profile: Profile, *, charset: str = "utf-8", fix: bool = False
) -> tuple[Message, Profile]:
    """Every check :func:`to_email` makes before it builds anything, without building it.

    Returns the draft and profile the email is made of (with ``fix``, the ISO-2022-JP
    replacements made), or raises MailError: an unknown charset, an unsafe header value, an
    invalid address, a body line over 998 octets in ISO-2022-JP, or (CharsetError) characters
    ISO-2022-JP cannot carry. A batch runs it on every row before it writes the first file.
    """
    charset = charset.lower().replace("_", "-")
    if charset not in CHARSETS:
        raise MailError(
            f"Unknown charset '{charset}'.", field="charset",
            hint="Choose utf-8 or iso-2022-jp.",
        )
    _check_headers(message, profile)
    if charset == "iso-2022-jp":
        if fix:
            message, profile = fix_iso2022jp(message, profile)
        else:
            problems = check_iso2022jp(message, profile)
            if problems:
                _raise_for(problems, fix=False)
        for lineno, line in enumerate(_normal_body(message.body).split("\n"), start=1):
            if len(line.encode("iso-2022-jp")) > MAX_LINE_OCTETS:
                raise MailError(
                    f"Body line {lineno} is longer than the {MAX_LINE_OCTETS} octets an email "
                    "line may have in ISO-2022-JP.",
                    field="body", hint="Break the line, or write the email in UTF-8.",
                )
    return message, profile


def to_email(
    message: Message,
    profile: Profile,
    *,
    charset: str = "utf-8",
    fix: bool = False,
    ics: bytes | None = None,
    now: dt.datetime | None = None,
) -> EmailMessage:
    """The draft as an RFC 5322 message that mail clients open as an unsent draft.

    From is the profile's sender, To the applicant when an email is known, Date ``now`` in
    +0900 (default: the current time), plus Message-ID, MIME-Version and ``X-Unsent: 1``. The body
    is text/plain: UTF-8 in base64 (7-bit safe through any relay, every line 76 characters) or,
    with ``charset="iso-2022-jp"``, ISO-2022-JP in 7bit with the headers in ISO-2022-JP too.
    ``fix`` replaces template and profile characters ISO-2022-JP cannot carry (never the
    applicant's name). ``ics`` (from :func:`invitation_ics`) is attached as ``invitation.ics``.

    Serialise with :func:`as_bytes`. Raises MailError before building anything if a header value
    is unsafe, an address is invalid, or the charset cannot carry the text (see
    :func:`check_email`).
    """
    charset = charset.lower().replace("_", "-")
    message, profile = check_email(message, profile, charset=charset, fix=fix)
    body = _normal_body(message.body)

    org = profile.organisation
    when = now or dt.datetime.now(JST)
    if when.tzinfo is None:
        raise MailError("The message time must be timezone-aware.", field="date")
    domain = org.email.rpartition("@")[2]

    # MIMEText picks the transfer encoding from the charset: base64 for UTF-8, 7bit for
    # ISO-2022-JP (already 7-bit, and readable by every Japanese mail client).
    text = MIMEText(body, "plain", charset)
    root: RawMessage
    if ics is None:
        root = text
    else:
        del text["MIME-Version"]
        cal = MIMEBase("text", "calendar", charset="UTF-8")
        method = _ics_method(ics)
        if method:
            cal.set_param("method", method)
        cal.set_param("name", ICS_FILENAME)
        cal.set_payload(ics)
        # base64 keeps the calendar's CRLF lines byte-exact through any relay.
        encoders.encode_base64(cal)
        cal.add_header("Content-Disposition", "attachment", filename=ICS_FILENAME)
        del cal["MIME-Version"]
        root = MIMEMultipart("mixed", _subparts=[text, cal])

    root["From"] = _address_header(_sender_name(profile), org.email, charset)
    if message.candidate.email:
        root["To"] = _address_header(message.candidate.name, message.candidate.email, charset)
    # compat32 folds a Header object in its own charset (typeshed only admits str here). Every
    # subject is encoded, ASCII too, so a subject typed like an encoded word reads as typed.
    root["Subject"] = Header(message.subject, charset, header_name="Subject")  # type: ignore[assignment]
    root["Date"] = format_datetime(when.astimezone(JST))
    digest = _digest(message)
    root["Message-ID"] = f"<kizuna.{digest}@{domain}>"
    root["X-Unsent"] = "1"
    # MIME-Version was added first by the MIME classes; move it among the other headers.
    del root["MIME-Version"]
    root["MIME-Version"] = "1.0"
    # Keep Content-Type and Content-Transfer-Encoding last, as mail clients write them.
    for name in ("Content-Type", "Content-Transfer-Encoding"):
        value = root[name]
        if value is not None:
            del root[name]
            root[name] = value
    if root.is_multipart():
        # A boundary from the draft's digest instead of a random one: the same draft gives the
        # same file. "=_" cannot occur in base64, and the digest not in the 7-bit body.
        root.set_boundary(f"=_kizuna_{digest}")

    raw = root.as_bytes(policy=email_policy.compat32.clone(linesep="\r\n"))
    parsed = BytesParser(policy=WIRE).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    return parsed


def as_bytes(msg: RawMessage) -> bytes:
    """The message as it goes in an .eml file or on the wire: CRLF line ends."""
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


# ---------------------------------------------------------------------------------------------
# The calendar invitation

METHODS = ("REQUEST", "CANCEL", "PUBLISH")


def booking_uid(message: Message, profile: Profile, uid_seed: str = "") -> str:
    """The event UID: the same applicant, stage and seed always give the same UID.

    The slot time is deliberately not part of it: a rescheduled interview sent with the same
    seed and a higher SEQUENCE updates the event already in the applicant's calendar.
    """
    org = profile.organisation
    key = "\x1f".join(
        [org.email or org.name, message.candidate.id, message.stage or message.kind, uid_seed]
    )
    return f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@kizuna"


def _pick_slot(message: Message, slot: Slot | None) -> Slot:
    if slot is not None:
        return slot
    if len(message.slots) == 1:
        return message.slots[0]
    if not message.slots:
        raise MailError(
            "The message has no interview time, so there is nothing to put in a calendar.",
            field="slot", hint="Give the booked slot.",
        )
    raise MailError(
        f"The message offers {len(message.slots)} times; a calendar invitation needs the one "
        "that was booked.",
        field="slot", hint="Give the booked slot.",
    )


def invitation_ics(
    message: Message,
    profile: Profile,
    slot: Slot | None = None,
    *,
    uid_seed: str = "",
    sequence: int = 0,
    method: str = "REQUEST",
    now: dt.datetime | None = None,
) -> bytes:
    """An RFC 5545 invitation for the booked interview, as UTF-8 bytes with CRLF line ends.

    ``slot`` defaults to the message's only slot. DTSTART/DTEND are in Asia/Tokyo with its
    VTIMEZONE; the UID comes from :func:`booking_uid` (pass the same ``uid_seed`` and a higher
    ``sequence`` when the time changes). ``now`` sets DTSTAMP (default: the current time).
    """
    import icalendar

    method = method.upper()
    if method not in METHODS:
        raise MailError(
            f"Unknown calendar method '{method}'.", field="method",
            hint=f"Choose one of: {', '.join(METHODS)}.",
        )
    if sequence < 0:
        raise MailError("SEQUENCE cannot be negative.", field="sequence")
    _check_headers(message, profile)
    booked = _pick_slot(message, slot)
    org = profile.organisation
    stage = profile.stage(message.stage) if message.stage else None
    label = stage.label if stage else "面接"

    location = ""
    if stage is not None and stage.format == "online":
        location = f"オンライン（{stage.tool}）" if stage.tool else "オンライン"
    elif stage is not None and stage.place:
        location = stage.place
    elif org.address:
        location = org.address

    # Short on purpose: the email body carries every detail (LGWAN gateways may strip the file).
    description = [f"{org.name} {profile.position} {label}",
                   "詳しいご案内はメール本文をご確認ください。"]
    contact = " ".join(x for x in (org.department, org.sender, org.phone) if x)
    if contact:
        description.append(f"お問い合わせ先：{contact}")

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)

    event = icalendar.Event()
    event.add("uid", booking_uid(message, profile, uid_seed))
    if now is not None and now.tzinfo is None:
        raise MailError("The DTSTAMP time must be timezone-aware.", field="now")
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    event.add("dtstamp", stamp)
    event.add("dtstart", booked.start.astimezone(JST))
    event.add("dtend", booked.end.astimezone(JST))
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("summary", f"【{org.name}】{label}")
    if location:
        event.add("location", location)
    event.add("description", "\n".join(description))

    organizer = icalendar.vCalAddress(f"mailto:{org.email}")
    organizer.params["CN"] = _sender_name(profile)
    event.add("organizer", organizer)
    if message.candidate.email:
        attendee = icalendar.vCalAddress(f"mailto:{message.candidate.email}")
        attendee.params["CN"] = message.candidate.name
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        attendee.params["PARTSTAT"] = "NEEDS-ACTION"
        attendee.params["RSVP"] = "TRUE"
        event.add("attendee", attendee)
    cal.add_component(event)
    # Outlook ignores TZID without a VTIMEZONE; icalendar writes one from zoneinfo.
    cal.add_missing_timezones()
    data: bytes = cal.to_ical()
    return data
