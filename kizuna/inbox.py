"""Mail in: reading replies from an .eml, an mbox, a Maildir or an IMAP folder, decoding
whatever they are, and finding the applicant each one is from.

- **Formats**: one message (RFC 5322), an mbox (RFC 4155: "From " lines, ``>From`` unescaped)
  or a Maildir (``new`` and ``cur``); anything else is a MailboxError with the file's name
  and why. A message inside an mbox that cannot be read is an item with its position and the
  problem; the others are read.
- **Decoding** (FACTS §6, §9): ISO-2022-JP as Windows mailers write it (CP50220/50221: NEC
  and IBM characters such as ①, Ⅲ, ㈱, half-width kana), Shift_JIS read as CP932, EUC-JP,
  UTF-8, a label that lies; quoted-printable and base64; multipart/alternative (the text
  part preferred), HTML only (made text by ``replytext.html_to_text``); headers in encoded
  words or raw 8-bit. A message is never dropped for its encoding: the last resort is U+FFFD.
- **Matching**: by ``In-Reply-To``/``References`` against the Message-IDs kizuna sent, else
  by the sender's address, else by an applicant number in the subject; a message that points
  at nobody, or at more than one applicant, matches no one (it is never guessed).
- **IMAP**: the folder's messages above the last UID read, read-only (nothing is marked seen).

No SQL and no log here: matching asks a ``Directory`` (the Log is one).
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import email
import email.header
import email.utils
import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from email import policy as email_policy
from email.message import Message as RawMessage
from pathlib import Path
from typing import Protocol

from .errors import MailboxError, MailServerError
from .i18n import _
from .models import Attachment, MailFacts
from .replytext import html_to_text

__all__ = [
    "Directory",
    "Item",
    "MailMessage",
    "Match",
    "decode_bytes",
    "decode_header_text",
    "looks_like_email",
    "match",
    "parse_message",
    "read_bytes",
    "read_path",
]


# --------------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------------

_JIS = {
    "iso-2022-jp", "iso2022jp", "iso2022_jp", "csiso2022jp", "iso-2022-jp-1", "iso-2022-jp-2",
    "iso-2022-jp-3", "iso-2022-jp-2004", "iso-2022-jp-ext", "cp50220", "cp50221", "cp50222",
    "jis", "x-jis",
}
_SJIS = {
    "shift_jis", "shift-jis", "sjis", "x-sjis", "s-jis", "ms_kanji", "csshiftjis",
    "windows-31j", "cp932", "ms932", "x-ms-cp932", "ibm-943", "shift_jis_2004", "shift_jisx0213",
}
_EUC = {"euc-jp", "eucjp", "x-euc-jp", "euc_jp", "cseucpkdfmtjapanese", "cp51932"}
_UNLABELLED = {"", "us-ascii", "ascii", "unknown-8bit", "x-unknown", "unknown", "default"}


def _jis_pair_to_cp932(first: int, second: int) -> bytes:
    """One JIS X 0208 code (rows 1–94, NEC row 13 and the IBM rows 89–92 included) as the
    Shift_JIS bytes CP932 decodes."""
    lead = (first + 1) // 2 + (0x70 if first <= 0x5E else 0xB0)
    odd = second + (0x1F if second <= 0x5F else 0x20)
    return bytes((lead, odd if first % 2 else second + 0x7E))


def decode_iso2022jp(data: bytes) -> str:
    """ISO-2022-JP as mail clients write it: Python's codec when it can, else a reading of
    the escape sequences with CP932 for the two-byte sets (Microsoft's CP50220/50221
    extensions: ①, Ⅲ, ㈱, IBM kanji), JIS X 0201 kana (``ESC ( I`` or SO/SI) and JIS X 0212."""
    try:
        return data.decode("iso2022_jp")
    except UnicodeDecodeError:
        pass
    out: list[str] = []
    mode = "ascii"
    saved = "ascii"
    i = 0
    n = len(data)
    while i < n:
        byte = data[i]
        if byte == 0x1B:
            seq = data[i:i + 4]
            if seq[:3] in (b"\x1b(B", b"\x1b(J", b"\x1b(H"):
                mode, i = "ascii", i + 3
            elif seq[:3] == b"\x1b(I":
                mode, i = "kana", i + 3
            elif seq[:3] in (b"\x1b$@", b"\x1b$B"):
                mode, i = "jis0208", i + 3
            elif seq in (b"\x1b$(D",):
                mode, i = "jis0212", i + 4
            elif seq in (b"\x1b$(O", b"\x1b$(Q", b"\x1b$(P"):
                mode, i = "jis0208", i + 4  # JIS X 0213 plane 1 is JIS X 0208 where they meet
            elif seq[:2] == b"\x1b&":
                i += 3  # JIS X 0208-1990's announcer before ESC $ B
            else:
                out.append("\ufffd")
                i += 1
            continue
        if byte == 0x0E:  # SO: half-width kana (CP50222)
            saved, mode, i = mode, "kana", i + 1
            continue
        if byte == 0x0F:  # SI
            mode, i = saved if saved != "kana" else "ascii", i + 1
            continue
        if byte in (0x0A, 0x0D) and mode != "ascii":
            mode = "ascii"  # a line never carries a two-byte set over its end
        if mode in ("jis0208", "jis0212") and 0x21 <= byte <= 0x7E and i + 1 < n and (
            0x21 <= data[i + 1] <= 0x7E
        ):
            if mode == "jis0208":
                run = bytearray()
                while i + 1 < n and 0x21 <= data[i] <= 0x7E and 0x21 <= data[i + 1] <= 0x7E:
                    run += _jis_pair_to_cp932(data[i], data[i + 1])
                    i += 2
                out.append(run.decode("cp932", "replace"))
            else:
                pair = b"\x1b$(D" + data[i:i + 2] + b"\x1b(B"
                out.append(pair.decode("iso2022_jp_2", "replace"))
                i += 2
            continue
        if mode == "kana" and 0x21 <= byte <= 0x5F:
            out.append(bytes((byte + 0x80,)).decode("cp932"))
        elif byte < 0x80:
            out.append(chr(byte))
        else:  # 8-bit bytes have no place in ISO-2022-JP; some mailers send CP932 anyway
            out.append(bytes((byte,)).decode("cp932", "replace"))
        i += 1
    return "".join(out)


def _guess(data: bytes) -> str:
    """Bytes with no (or a useless) label: ISO-2022-JP if it escapes into it, else the first
    of UTF-8, CP932 and EUC-JP that reads it all, else UTF-8 with U+FFFD."""
    if b"\x1b$" in data or b"\x1b(I" in data:
        return decode_iso2022jp(data)
    for codec in ("utf-8", "cp932", "euc_jp"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        # CP932 reads stray bytes 0xFD–0xFF, and both read the user-defined rows, as private
        # use characters: a sign the guess is wrong.
        if not any("\ue000" <= ch <= "\uf8ff" for ch in text):
            return text
    return data.decode("utf-8", "replace")


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Mail text in its declared ``charset``, read as what mailers really write under that
    label (ISO-2022-JP with Microsoft's extensions, Shift_JIS as CP932)."""
    name = (charset or "").strip().strip('"').lower()
    if name in _JIS:
        return decode_iso2022jp(data)
    if name in _SJIS:
        return data.decode("cp932", "replace")
    if name in _EUC:
        for codec in ("euc_jp", "euc_jis_2004"):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                continue
        return data.decode("euc_jp", "replace")
    if name in _UNLABELLED:
        return _guess(data)
    try:
        codecs.lookup(name)
    except LookupError:
        return _guess(data)
    try:
        return data.decode(name)
    except UnicodeDecodeError:
        # A label that lies (CP932 sent as UTF-8, say): read what it is.
        return _guess(data)


def decode_header_text(value: object) -> str:
    """A header as text: encoded words in any of the charsets above, or raw 8-bit bytes."""
    if value is None:
        return ""
    if isinstance(value, str) and "=?" not in value:
        if value.isascii():
            return _unfold(value)
        raw = value.encode("ascii", "surrogateescape") if _has_surrogates(value) else None
        return _unfold(_guess(raw) if raw is not None else value)
    try:
        parts = email.header.decode_header(value)  # type: ignore[arg-type]
    except (ValueError, LookupError, AssertionError):
        return _unfold(str(value))
    out: list[str] = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
        else:
            out.append(decode_bytes(chunk, charset))
    return _unfold("".join(out))


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _unfold(text: str) -> str:
    return re.sub(r"\r?\n[ \t]*", " ", text).strip()


# --------------------------------------------------------------------------------------------
# One message
# --------------------------------------------------------------------------------------------

_MSGID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class MailMessage:
    """A message as kizuna reads it: who, when, what it answers, its text, its files."""

    raw: bytes
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    from_name: str
    from_address: str
    subject: str
    sent_at: dt.datetime | None
    text: str
    html: bool
    attachments: tuple[Attachment, ...]

    @property
    def key(self) -> str:
        """What the message is recorded under, once: its Message-ID, else a hash of it."""
        return mail_key(self.raw, self.message_id)

    def facts(self, matched_by: str | None) -> MailFacts:
        return MailFacts(key=self.key, message_id=self.message_id, in_reply_to=self.in_reply_to,
                         attachments=self.attachments, matched_by=matched_by)


def mail_key(raw: bytes, message_id: str | None) -> str:
    if message_id:
        return f"mail:{message_id}"
    return f"mail:sha256:{hashlib.sha256(raw).hexdigest()}"


_KNOWN_HEADERS = ("from", "date", "message-id", "subject", "to", "received", "mime-version",
                  "content-type", "return-path", "in-reply-to", "references", "delivered-to")
_FIELD = re.compile(rb"^[!-9;-~]+:")


def looks_like_email(data: bytes) -> bool:
    """Whether ``data`` starts like a mail message: header lines (``Name: value``, continued
    lines allowed) up to a blank line, among them From, Date, Message-ID, Subject, ..."""
    head = data.lstrip(b"\r\n")[:65536]
    lines = re.split(rb"\r?\n", head)
    if not lines or not _FIELD.match(lines[0]):
        return False
    known = False
    for line in lines:
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t"):
            continue
        if not _FIELD.match(line):
            return False
        known = known or line.split(b":", 1)[0].decode("ascii").lower() in _KNOWN_HEADERS
    return known


def parse_message(raw: bytes) -> MailMessage:
    """Read one message; MailboxError when it is not one (no header kizuna can read)."""
    if not raw.strip():
        raise MailboxError(_("The message is empty."))
    if not looks_like_email(raw):
        raise MailboxError(
            _("This is not a mail message: it does not start with header lines such as "
              "'From: …' and 'Date: …'.")
        )
    msg = email.message_from_bytes(raw, policy=email_policy.compat32)
    message_id = _first_id(msg.get("Message-ID"))
    in_reply_to = _first_id(msg.get("In-Reply-To"))
    references = tuple(_MSGID.findall(decode_header_text(msg.get("References"))))
    from_name, from_address = email.utils.parseaddr(decode_header_text(msg.get("From")))
    sent_at = _date(msg.get("Date"))
    text, html, attachments = _content(msg)
    return MailMessage(
        raw=raw, message_id=message_id, in_reply_to=in_reply_to, references=references,
        from_name=from_name, from_address=from_address.strip().lower(),
        subject=decode_header_text(msg.get("Subject")), sent_at=sent_at, text=text,
        html=html, attachments=attachments,
    )


def _first_id(value: object) -> str | None:
    if value is None:
        return None
    found = _MSGID.findall(decode_header_text(value))
    return found[0] if found else None


def _date(value: object) -> dt.datetime | None:
    if value is None:
        return None
    try:
        when = email.utils.parsedate_to_datetime(decode_header_text(value))
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # "-0000": the time is UTC, the zone unknown
        when = when.replace(tzinfo=dt.UTC)
    return when


def _payload(part: RawMessage) -> bytes:
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data
    return b""


def _content(msg: RawMessage) -> tuple[str, bool, tuple[Attachment, ...]]:
    """The body as text (the text part of an alternative preferred; HTML only made text) and
    the attachments, by name and size. An attached message is one attachment."""
    plain: RawMessage | None = None
    html: RawMessage | None = None
    attachments: list[Attachment] = []

    def visit(part: RawMessage) -> None:
        nonlocal plain, html
        ctype = part.get_content_type()
        if part.is_multipart() and ctype != "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list):
                for sub in payload:
                    if isinstance(sub, RawMessage):
                        visit(sub)
            return
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        name = decode_header_text(filename) if filename else ""
        if ctype == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], RawMessage):
                size = len(inner[0].as_bytes())
                subject = decode_header_text(inner[0].get("Subject"))
            else:
                size, subject = 0, ""
            attachments.append(Attachment(name or f"{subject or 'message'}.eml", size, ctype))
            return
        if disposition == "attachment" or (name and ctype not in ("text/plain", "text/html")):
            attachments.append(Attachment(name or f"(unnamed {ctype})", len(_payload(part)), ctype))
            return
        if ctype == "text/plain" and plain is None:
            plain = part
        elif ctype == "text/html" and html is None:
            html = part
        elif ctype.startswith(("image/", "audio/", "video/", "application/")):
            attachments.append(Attachment(name or f"(unnamed {ctype})", len(_payload(part)), ctype))

    visit(msg)
    if plain is not None:
        text = decode_bytes(_payload(plain), plain.get_content_charset())
        return _lines(text), False, tuple(attachments)
    if html is not None:
        text = decode_bytes(_payload(html), html.get_content_charset())
        return html_to_text(text), True, tuple(attachments)
    return "", False, tuple(attachments)


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --------------------------------------------------------------------------------------------
# Files, mboxes, Maildirs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One message of a source: where it is, its bytes, and the message or why not."""

    source: str
    position: str
    raw: bytes
    mail: MailMessage | None
    problem: str | None = None

    @property
    def key(self) -> str:
        return self.mail.key if self.mail is not None else mail_key(self.raw, None)


def _item(source: str, position: str, raw: bytes) -> Item:
    try:
        return Item(source, position, raw, parse_message(raw))
    except MailboxError as exc:
        return Item(source, position, raw, None, exc.message)


def _split_mbox(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(number, line, bytes) of each message of an mbox: a message begins at a line
    "From " at the start or after a blank line; ">From " lines lose one ">" (mboxrd)."""
    lines = data.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines)
              if line.startswith(b"From ") and (i == 0 or not lines[i - 1].strip())]
    for number, start in enumerate(starts, start=1):
        end = starts[number] if number < len(starts) else len(lines)
        body = lines[start + 1:end]
        if body and not body[-1].strip():
            body = body[:-1]  # the blank line before the next "From "
        unescaped = [line[1:] if re.match(rb">+From ", line) else line for line in body]
        yield number, start + 1, b"".join(unescaped)


def read_bytes(data: bytes, name: str) -> Iterator[Item]:
    """The messages of ``data`` (an mbox, or one message), named ``name`` in positions and
    errors; MailboxError when it is neither."""
    if not data.strip():
        raise MailboxError(_("Not a mailbox: the input is empty."), path=name)
    if data.startswith(b"From "):
        for number, line, raw in _split_mbox(data):
            yield _item(name, _("message {number} (line {line})").format(number=number, line=line),
                        raw)
        return
    if looks_like_email(data):
        yield _item(name, _("the message"), data)
        return
    first = data.lstrip()[:40].split(b"\n", 1)[0]
    raise MailboxError(
        _("Not a mailbox: it does not start with an mbox 'From ' line, and is not one message "
          "(its first line, {first!r}, is not a header such as 'From: …').").format(
            first=first.decode("utf-8", "replace")),
        path=name, hint=_("Give an .eml file, an mbox file, or a Maildir folder."),
    )


def read_path(path: str | os.PathLike[str]) -> Iterator[Item]:
    """The messages of a file (.eml or mbox) or a Maildir folder."""
    where = Path(path)
    if where.is_dir():
        subdirs = [where / sub for sub in ("new", "cur")]
        if not all(d.is_dir() for d in subdirs):
            raise MailboxError(
                _("Not a Maildir: the folder has no 'new' and 'cur' folders inside."),
                path=str(where), hint=_("Give a Maildir folder, an mbox file or an .eml file."),
            )
        for sub in subdirs:
            for entry in sorted(sub.iterdir()):
                if entry.is_file() and not entry.name.startswith("."):
                    yield _item(str(where), f"{sub.name}/{entry.name}", entry.read_bytes())
        return
    try:
        data = where.read_bytes()
    except FileNotFoundError:
        raise MailboxError(_("No such file or folder."), path=str(where)) from None
    except OSError as exc:
        raise MailboxError(_("Cannot read it: {reason}.").format(reason=exc.strerror),
                           path=str(where)) from None
    yield from read_bytes(data, str(where))


def items_of(messages: Iterable[bytes], name: str) -> Iterator[Item]:
    """Messages an HR tool fetched itself, one ``bytes`` each."""
    for number, raw in enumerate(messages, start=1):
        yield _item(name, _("message {number}").format(number=number), raw)


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------


class Directory(Protocol):
    """What matching needs to know of the log (``kizuna.log.Log`` is one)."""

    def candidates_for_message_ids(self, message_ids: Sequence[str]) -> dict[str, str]: ...

    def candidates_with_email(self, address: str) -> list[str]: ...

    def candidate_ids_in(self, text: str) -> list[str]: ...


@dataclass(frozen=True)
class Match:
    """Whom a message is from (None: no one, for sure) and how that was found: ``thread``,
    ``address`` or ``subject``. ``reason`` says in English why, or why nobody."""

    candidate_id: str | None
    how: str | None
    reason: str


def match(mail: MailMessage, directory: Directory) -> Match:
    """In-Reply-To/References against the Message-IDs kizuna sent, else the sender's
    address, else an applicant number standing as a word in the subject. Each rule must point
    at exactly one applicant; several is as good as none (the next rule is asked)."""
    notes: list[str] = []
    refs = list(dict.fromkeys(([mail.in_reply_to] if mail.in_reply_to else [])
                              + list(reversed(mail.references))))
    if refs:
        owners = directory.candidates_for_message_ids(refs)
        if mail.in_reply_to and mail.in_reply_to in owners:
            who = owners[mail.in_reply_to]
            return Match(who, "thread", _("answers {message_id}, which kizuna sent to {id}").format(
                message_id=mail.in_reply_to, id=who))
        found = sorted(set(owners.values()))
        if len(found) == 1:
            return Match(found[0], "thread",
                         _("its References name a message kizuna sent to {id}").format(id=found[0]))
        notes.append(_("its References name messages to several applicants ({ids})").format(
                     ids=_(", ").join(found)) if found else
                     _("it answers no message kizuna sent"))
    else:
        notes.append(_("it names no earlier message (no In-Reply-To or References)"))
    if mail.from_address:
        people = directory.candidates_with_email(mail.from_address)
        if len(people) == 1:
            return Match(people[0], "address", _("{address} is {id}'s address").format(
                address=mail.from_address, id=people[0]))
        notes.append((_("{address} is the address of several applicants ({ids})") if people
                      else _("{address} is the address of no applicant")).format(
            address=mail.from_address, ids=_(", ").join(people)))
    else:
        notes.append(_("it has no sender address"))
    subject = unicodedata.normalize("NFKC", mail.subject)
    numbers = [cid for cid in directory.candidate_ids_in(subject)
               if re.search(rf"(?<![0-9A-Za-z]){re.escape(cid)}(?![0-9A-Za-z])", subject)]
    if len(numbers) == 1:
        return Match(numbers[0], "subject", _("its subject names {id}").format(id=numbers[0]))
    notes.append(_("its subject names several applicants ({ids})").format(
        ids=_(", ").join(numbers)) if numbers else _("its subject names no applicant number"))
    return Match(None, None, _("{reasons}.").format(reasons=_("; ").join(notes)))


# --------------------------------------------------------------------------------------------
# IMAP
# --------------------------------------------------------------------------------------------


def imap_account(host: str, port: int, user: str) -> str:
    return f"{user}@{host}:{port}"


def fetch_imap(
    host: str,
    port: int,
    *,
    security: str,
    user: str,
    password: str | None,
    folder: str,
    timeout: float,
    after: tuple[int, int] | None,
    ca_file: Path | None = None,
) -> Iterator[tuple[int, int, bytes]]:
    """(UIDVALIDITY, UID, bytes) of each message in ``folder`` not read yet: above the last
    UID of ``after`` = (UIDVALIDITY, UID) when the folder's UIDVALIDITY is still that one,
    else every message. The folder is opened read-only (EXAMINE): nothing is marked seen.
    Connection and login failures are MailServerErrors raised before the first message."""
    import imaplib
    import ssl

    from .output.smtp import tls_context

    where = f"{host}:{port}"
    if password is None:
        raise MailServerError(
            _("No password for the IMAP user {user}; nothing was read.").format(user=user),
            field="mail.imap.password_env",
            hint=_("Set the environment variable named by password_env, or store the password "
                   "in the system keyring."),
        )
    try:
        client: imaplib.IMAP4
        if security == "tls":
            client = imaplib.IMAP4_SSL(host, port, ssl_context=tls_context(ca_file),
                                       timeout=timeout)
        else:
            client = imaplib.IMAP4(host, port, timeout=timeout)
            if security == "starttls":
                client.starttls(ssl_context=tls_context(ca_file))
    except ssl.SSLError as exc:
        raise MailServerError(
            _("TLS with the IMAP server {server} failed ({reason}); nothing was read.").format(
                server=where, reason=exc.reason or exc),
            field="mail.imap.security",
            hint=_("Check security and port, or name the server's CA in ca_file."),
        ) from None
    except (OSError, imaplib.IMAP4.error) as exc:
        reason = str(exc).strip() or type(exc).__name__
        if isinstance(exc, TimeoutError) or "timed out" in reason:
            reason = _("it did not answer within {seconds:g} s").format(seconds=timeout)
        raise MailServerError(
            _("Cannot reach the IMAP server {server}: {reason}. Nothing was read.").format(
                server=where, reason=reason),
            field="mail.imap.host", hint=_("Check host, port and security in [mail.imap]."),
        ) from None
    try:
        try:
            client.login(user, password)
        except imaplib.IMAP4.error as exc:
            raise MailServerError(
                _("The IMAP server {server} refused the login for {user} ({reason}); nothing was "
                  "read.").format(server=where, user=user, reason=exc),
                field="mail.imap.user", hint=_("Check the user name and the password."),
            ) from None
        status, _selected = client.select(_quote(folder), readonly=True)
        if status != "OK":
            raise MailServerError(
                _("The IMAP server {server} has no folder '{folder}'.").format(
                    server=where, folder=folder), field="mail.imap.folder",
            )
        validity_data = client.response("UIDVALIDITY")[1]
        uidvalidity = int(validity_data[0]) if validity_data and validity_data[0] else 0
        last = after[1] if after is not None and after[0] == uidvalidity else 0
        status, found = client.uid("SEARCH", f"UID {last + 1}:*" if last else "ALL")
        uids = sorted(int(u) for u in (found[0] or b"").split()) if status == "OK" else []
        for uid in uids:
            if uid <= last:
                continue  # "N:*" always includes the newest message, even below N
            status, data = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
            raw = next((part[1] for part in data if isinstance(part, tuple)), None)
            if status != "OK" or not isinstance(raw, bytes):
                continue
            yield uidvalidity, uid, raw
    except (OSError, imaplib.IMAP4.abort) as exc:
        raise MailServerError(
            _("The connection to the IMAP server {server} broke ({reason}); what was read so far "
              "is recorded. Run the command again for the rest.").format(server=where, reason=exc),
        ) from None
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()


def _quote(folder: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9._/-]+", folder):
        return folder
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
