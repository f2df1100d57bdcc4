"""Email (.eml) output for drafted messages.

Two wire formats for the same draft: UTF-8 (the default; every name can be written) and
ISO-2022-JP (some municipal mail systems still demand it). Python's modern ``EmailMessage`` API
writes every header as ``=?utf-8?...?=`` whatever the body charset, so both formats are built with
the compat32 ``email.mime`` classes and ``email.header.Header`` in the chosen charset, then
parsed back into an ``EmailMessage``: callers get the modern object (decoded headers,
``get_body()``), and its stored header lines, already encoded, are written back unchanged.
Where only the bytes are needed (a file, SMTP), :func:`email_bytes` makes the same bytes once,
and :class:`EmailWriter` makes them for a whole batch, the shared header lines once.

Nothing is produced from unsafe input: a CR or LF in a header value, an address that is not an
address, or a character ISO-2022-JP cannot carry raises ``MailError`` before any object exists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from email import encoders
from email import policy as email_policy
from email.charset import BASE64, Charset
from email.header import Header
from email.message import EmailMessage
from email.message import Message as RawMessage
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.parser import BytesParser
from email.utils import format_datetime

from ..errors import MailError
from ..i18n import _
from ..models import JST, Message
from ..profile import Profile
from .addressing import MAX_LINE_OCTETS, address_header, check_headers, sender_name
from .charset import check_iso2022jp, fix_iso2022jp, raise_for_problems
from .ics import ICS_FILENAME

CHARSETS: tuple[str, ...] = ("utf-8", "iso-2022-jp")

# The generator policy for files and SMTP alike: CRLF line ends, 78-column folding. Header lines
# are written back exactly as to_email encoded them (refold_source="none"): refolding decodes a
# header and encodes it again in UTF-8, which would undo the ISO-2022-JP headers and write a
# name typed like an encoded word as raw text, for mail clients to decode.
WIRE = email_policy.SMTP.clone(refold_source="none")
# What to_email builds with: compat32's folding (email.header.Header, 78 columns), CRLF.
_COMPAT32 = email_policy.compat32.clone(linesep="\r\n")



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


def message_id(message: Message, profile: Profile, *, exchange_id: int | None = None) -> str:
    """The Message-ID kizuna gives a draft: from the draft's digest (the same draft, the same
    id) and, for a message sent from the log, its exchange id, so that two identical drafts
    logged twice still get ids of their own. The domain is the sender's."""
    domain = profile.organisation.email.rpartition("@")[2] or "kizuna.invalid"
    suffix = f".{exchange_id}" if exchange_id is not None else ""
    return f"<kizuna.{_digest(message)}{suffix}@{domain}>"


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
    An English letter is always checked as UTF-8 (``mail_charset``).
    """
    charset = charset.lower().replace("_", "-")
    if charset not in CHARSETS:
        raise MailError(
            _("Unknown charset '{charset}'.").format(charset=charset), field="charset",
            hint=_("Choose utf-8 or iso-2022-jp."),
        )
    charset = mail_charset(message, charset)
    check_headers(message, profile)
    if charset == "iso-2022-jp":
        if fix:
            message, profile = fix_iso2022jp(message, profile)
        else:
            problems = check_iso2022jp(message, profile)
            if problems:
                raise_for_problems(problems, fix=False)
        for lineno, line in enumerate(_normal_body(message.body).split("\n"), start=1):
            if len(line.encode("iso-2022-jp")) > MAX_LINE_OCTETS:
                raise MailError(
                    _("Body line {line} is longer than the {maximum} octets an email line may "
                      "have in ISO-2022-JP.").format(line=lineno, maximum=MAX_LINE_OCTETS),
                    field="body", hint=_("Break the line, or write the email in UTF-8."),
                )
    return message, profile


def mail_charset(message: Message, charset: str) -> str:
    """The charset a message is written in: the one asked for, except that an English letter
    is always UTF-8. ISO-2022-JP is for Japanese mail systems that need it; an English letter
    has no Japanese to carry in it, and may hold characters it cannot (Shōsetsu, the en dash)."""
    return "utf-8" if message.language == "en" else charset


def to_email(
    message: Message,
    profile: Profile,
    *,
    charset: str = "utf-8",
    fix: bool = False,
    ics: bytes | None = None,
    now: dt.datetime | None = None,
    msgid: str | None = None,
    draft: bool = True,
) -> EmailMessage:
    """The draft as an RFC 5322 message that mail clients open as an unsent draft.

    From is the profile's sender, To the applicant when an email is known, Date ``now`` in
    +0900 (default: the current time), plus Message-ID, MIME-Version, Content-Language ("ja",
    or "en" for an English letter, which is always UTF-8) and ``X-Unsent: 1``. The body
    is text/plain: UTF-8 in base64 (7-bit safe through any relay, every line 76 characters) or,
    with ``charset="iso-2022-jp"``, ISO-2022-JP in 7bit with the headers in ISO-2022-JP too.
    ``fix`` replaces template and profile characters ISO-2022-JP cannot carry (never the
    applicant's name). ``ics`` (from :func:`invitation_ics`) is attached as ``invitation.ics``.

    ``msgid`` replaces the draft's own Message-ID (:func:`message_id`); ``draft=False`` is
    the message as it is sent: no ``X-Unsent``.

    Serialise with :func:`as_bytes` (for the bytes alone, :func:`email_bytes` makes them once,
    the same bytes). Raises MailError before building anything if a header value is unsafe, an
    address is invalid, or the charset cannot carry the text (see :func:`check_email`).
    """
    raw = _compat32_bytes(message, profile, charset=charset, fix=fix, ics=ics, now=now,
                          msgid=msgid, draft=draft)
    parsed = BytesParser(policy=WIRE).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _compat32_bytes(
    message: Message, profile: Profile, *, charset: str, fix: bool, ics: bytes | None,
    now: dt.datetime | None, msgid: str | None, draft: bool,
) -> bytes:
    """The draft built with the compat32 classes and serialised: what :func:`to_email` parses."""
    charset = charset.lower().replace("_", "-")
    message, profile = check_email(message, profile, charset=charset, fix=fix)
    charset = mail_charset(message, charset)
    body = _normal_body(message.body)

    org = profile.organisation
    when = now or dt.datetime.now(JST)
    if when.tzinfo is None:
        raise MailError(_("The message time must be timezone-aware."), field="date")

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

    root["From"] = address_header(sender_name(profile, message.language), org.email, charset)
    if message.candidate.email:
        root["To"] = address_header(message.candidate.name, message.candidate.email, charset)
    # compat32 folds a Header object in its own charset (typeshed only admits str here). Every
    # subject is encoded, ASCII too, so a subject typed like an encoded word reads as typed.
    root["Subject"] = Header(message.subject, charset, header_name="Subject")  # type: ignore[assignment]
    root["Date"] = format_datetime(when.astimezone(JST))
    # RFC 3282: the language of the text, so that mail clients and screen readers read it as
    # what it is.
    root["Content-Language"] = "en" if message.language == "en" else "ja"
    digest = _digest(message)
    root["Message-ID"] = msgid or message_id(message, profile)
    if draft:
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

    return root.as_bytes(policy=_COMPAT32)


def as_bytes(msg: RawMessage) -> bytes:
    """The message as it goes in an .eml file or on the wire: CRLF line ends."""
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


# ---------------------------------------------------------------------------------------------
# The bytes, made once


def email_bytes(
    message: Message,
    profile: Profile,
    *,
    charset: str = "utf-8",
    fix: bool = False,
    ics: bytes | None = None,
    now: dt.datetime | None = None,
    msgid: str | None = None,
    draft: bool = True,
) -> bytes:
    """``as_bytes(to_email(message, profile, ...))``, the same bytes, made once.

    :func:`to_email` builds the compat32 message, serialises it and parses the bytes back, and
    :func:`as_bytes` serialises the parsed message again; a file or an SMTP server needs only
    the bytes. A draft without an attachment is made by :class:`EmailWriter`; one with ``ics``
    is the compat32 message serialised once. The same checks run first (see :func:`to_email`).
    """
    if ics is None:
        writer = EmailWriter(profile, charset=charset, fix=fix, draft=draft)
        return writer.render(message, now=now, msgid=msgid)
    return _compat32_bytes(message, profile, charset=charset, fix=fix, ics=ics, now=now,
                           msgid=msgid, draft=draft)


# Line ends as the generator writes them: every CRLF, CR or LF of a payload becomes CRLF.
_LINE_END = re.compile(r"\r\n|\r|\n")
# A header value compat32 writes as it is: printable ASCII, words separated by single spaces.
_PLAIN_VALUE = re.compile(r"[!-~]+(?: [!-~]+)*")
# Bytes per base64 line of 76 characters, as email.base64mime.body_encode cuts them.
_BASE64_CHUNK = 57


def _header_line(name: str, value: str) -> bytes:
    """``compat32.fold_binary(name, value)`` with CRLF: a header line as the generator
    writes it, folded at 78 columns.

    email.header.Header leaves a value that fits on its line and has nothing to encode as it
    is (it splits only a line longer than 78 characters, and encodes only non-ASCII text), so
    such a line is written directly; any other goes through Header. tests/test_mail.py holds
    the two to agree on values of every length around the limit.
    """
    if len(name) + 2 + len(value) <= 78 and _PLAIN_VALUE.fullmatch(value):
        return f"{name}: {value}\r\n".encode("ascii")
    return _COMPAT32.fold_binary(name, value)


def _base64_lines(data: bytes) -> bytes:
    """``email.base64mime.body_encode(data)`` with CRLF line ends: lines of 76 characters,
    each the encoding of 57 bytes (a multiple of 3, so the encoding of the whole, cut)."""
    from binascii import b2a_base64

    if not data:
        return b""
    encoded = b2a_base64(data, newline=False)
    width = _BASE64_CHUNK * 4 // 3
    return b"\r\n".join([encoded[i:i + width] for i in range(0, len(encoded), width)]) + b"\r\n"


# Distinct subjects kept folded at most; a batch has one or a few.
_SUBJECTS_KEPT = 256


# The Content-Language line of each language (RFC 3282), as compat32 writes it.
_CONTENT_LANGUAGE = {code: _header_line("Content-Language", code) for code in ("ja", "en")}


class EmailWriter:
    """The bytes of text/plain drafts of one profile, exactly as ``as_bytes(to_email(...))``
    gives them, for a batch of thousands: each made once, the shared parts once per batch.

    :func:`to_email` builds compat32 objects (MIMEText, Header), serialises them and parses
    them back, and :func:`as_bytes` serialises that again: three passes through the email
    package for one file, most of it spent on headers that are the same in every message of a
    batch. The writer makes what the compat32 generator makes, as it makes it:

    - each header line is ``compat32.fold_binary(name, value)`` (``email.header.Header`` in
      the charset, folded at 78 columns, CRLF; a short plain ASCII value is written directly,
      see ``_header_line``), the values and their order as in to_email: From, To (when the
      applicant has an address), Subject, Date, Content-Language, Message-ID, X-Unsent (a draft), MIME-Version,
      Content-Type, Content-Transfer-Encoding;
    - then a blank line and the body as MIMEText encodes it (UTF-8 in base64 lines of 76,
      ``_base64_lines``; ISO-2022-JP as it is, 7bit), with the generator's CRLF line ends.

    The lines that depend only on the profile and charset (From, X-Unsent, MIME-Version,
    Content-Type and Content-Transfer-Encoding, the last two taken from a MIMEText the email
    package builds) are made once; a Subject once per distinct subject, a Date once per
    second. Every check of :func:`check_email` runs on every message before its bytes are made
    (with ``fix``, on the replaced text, as to_email). tests/test_mail.py compares the bytes
    with to_email's for UTF-8 and ISO-2022-JP, with ``fix``, names that need encoding or
    quoting and headers long enough to fold; tests/test_batch.py a batch's files with them.
    """

    def __init__(
        self, profile: Profile, *, charset: str = "utf-8", fix: bool = False, draft: bool = True
    ) -> None:
        charset = charset.lower().replace("_", "-")
        if charset not in CHARSETS:
            raise MailError(
                _("Unknown charset '{charset}'.").format(charset=charset), field="charset",
                hint=_("Choose utf-8 or iso-2022-jp."),
            )
        self.profile = profile
        self.charset = charset
        self.fix = fix
        self._draft = draft
        self._fold = _header_line
        # Per charset of a message (an English letter is UTF-8 in an ISO-2022-JP batch too):
        # its codec, whether the body is base64, and the header lines after Message-ID.
        self._parts: dict[str, tuple[Charset, bool, bytes]] = {}
        self._senders: dict[tuple[str, str, str], bytes] = {}
        self._subjects: dict[tuple[str, str], bytes] = {}
        self._date: tuple[str, bytes] = ("", b"")

    def _charset_parts(self, charset: str) -> tuple[Charset, bool, bytes]:
        parts = self._parts.get(charset)
        if parts is None:
            fold = self._fold
            encoding = Charset(charset)
            sample = MIMEText("\n", "plain", charset)
            tail = b"".join([
                *([fold("X-Unsent", "1")] if self._draft else []),
                fold("MIME-Version", "1.0"),
                fold("Content-Type", str(sample["Content-Type"])),
                fold("Content-Transfer-Encoding", str(sample["Content-Transfer-Encoding"])),
                b"\r\n",
            ])
            parts = self._parts[charset] = (encoding, encoding.body_encoding == BASE64, tail)
        return parts

    def render(
        self, message: Message, *, now: dt.datetime | None = None, msgid: str | None = None
    ) -> bytes:
        """The .eml bytes of ``message`` (Date ``now``, default the current time; Message-ID
        ``msgid``, default :func:`message_id`), or MailError as :func:`to_email` raises it."""
        fold = self._fold
        message, profile = check_email(message, self.profile, charset=self.charset, fix=self.fix)
        charset = mail_charset(message, self.charset)
        encoding, base64, tail = self._charset_parts(charset)
        body = _normal_body(message.body)
        when = now or dt.datetime.now(JST)
        if when.tzinfo is None:
            raise MailError(_("The message time must be timezone-aware."), field="date")

        org = profile.organisation
        sender = (sender_name(profile, message.language), org.email, charset)
        head = self._senders.get(sender)
        if head is None:
            head = self._senders[sender] = fold("From", address_header(*sender))
        lines = [head]
        candidate = message.candidate
        if candidate.email:
            lines.append(fold("To", address_header(candidate.name, candidate.email, charset)))
        subject = self._subjects.get((message.subject, charset))
        if subject is None:
            if len(self._subjects) >= _SUBJECTS_KEPT:
                self._subjects.clear()
            subject = self._subjects[(message.subject, charset)] = _COMPAT32.fold_binary(
                "Subject", Header(message.subject, charset, header_name="Subject"))  # type: ignore[arg-type]
        lines.append(subject)
        date = format_datetime(when.astimezone(JST))
        if date != self._date[0]:
            self._date = (date, fold("Date", date))
        lines.append(self._date[1])
        lines.append(_CONTENT_LANGUAGE["en" if message.language == "en" else "ja"])
        lines.append(fold("Message-ID", msgid or message_id(message, profile)))
        lines.append(tail)

        data = body.encode(encoding.output_charset or charset)
        if base64:
            lines.append(_base64_lines(data))
        else:
            # ISO-2022-JP is 7-bit, written as it is (MIMEText's 7bit), with CRLF line ends.
            lines.append("\r\n".join(_LINE_END.split(data.decode("ascii"))).encode("ascii"))
        return b"".join(lines)
