"""The header values kizuna writes (From, To, Subject): checked with ``kizuna.headers``'
rules, and encoded so that a mail client shows exactly what was typed."""

from __future__ import annotations

from email.charset import Charset
from email.utils import formataddr

from .. import headers
from ..errors import MailError
from ..i18n import _
from ..models import Message
from ..profile import Profile

# RFC 5322 §2.1.1: a line is at most 998 octets, excluding CRLF.
MAX_LINE_OCTETS = 998


# ---------------------------------------------------------------------------------------------
# Header safety and addresses: the rules are kizuna.headers'; a broken one is a MailError here.


def check_header_value(value: str, field: str) -> str:
    """``kizuna.headers.check_header_value``, raising MailError (the .eml writer's error)."""
    return headers.check_header_value(value, field, error=MailError)


def validate_address(addr: str, field: str) -> str:
    """``kizuna.headers.validate_address``, raising MailError."""
    return headers.validate_address(addr, field, error=MailError)


def address_header(name: str, addr: str, charset: str) -> str:
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
    # An ASCII name too long for one header line (998 octets) is split into encoded words too.
    if name.isascii() and "=?" not in name and len(name) + len(addr) < MAX_LINE_OCTETS - 16:
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


def sender_name(profile: Profile, language: str = "ja") -> str:
    """The sender as From shows them: 「北上市 北上 花子」; in an English letter the English
    name and organisation (the profile's sender_en, name_en), "Hanako Kitakami (Kitakami City)"."""
    org = profile.organisation
    if language == "en":
        from ..profile import in_english

        sender = in_english(profile, org.sender, org.sender_en, "organisation.sender")
        name = in_english(profile, org.name, org.name_en, "organisation.name")
        return f"{sender} ({name})"
    return f"{org.name} {org.sender}".strip()


def check_headers(message: Message, profile: Profile) -> None:
    """Every value that becomes a header (or an iCalendar address) is one safe line."""
    org = profile.organisation
    check_header_value(message.subject, "subject")
    check_header_value(message.candidate.name, "candidate.name")
    check_header_value(org.name, "organisation.name")
    check_header_value(org.sender, "organisation.sender")
    if not org.email:
        raise MailError(
            _("The profile has no sender address, and an email needs a From address."),
            path=profile.source, field="organisation.email",
            hint=_("Set organisation.email in the profile."),
        )
    validate_address(org.email, "organisation.email")
    if message.candidate.email:
        validate_address(message.candidate.email, "candidate.email")


