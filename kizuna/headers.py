"""What may stand in an email header: the one definition of a safe header value and of an
applicant's address, used by the composer, the .eml writer and the batch validator alike."""

from __future__ import annotations

import re

from .errors import InputError, KizunaError
from .i18n import _

__all__ = ["HEADER_BREAK", "PLAIN_ADDRESS", "address_problem", "check_header_value", "validate_address"]

# What may never stand in a header value: every control character but TAB (CR, LF, VT, FF,
# the C1 range with NEL...) and the Unicode line and paragraph separators.
HEADER_BREAK = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")

# A strict addr-spec: dot-atom local part, a domain of at least two labels. Quoted local parts and
# IP literals are legal but never seen in applicant data, and usually a typo when they are.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")
# The everyday address (letters, digits, ``._+-``): a subset of _ADDRESS that needs no parse.
PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)


def check_header_value(
    value: str, field: str, *, error: type[KizunaError] = InputError
) -> str:
    """Return ``value``, or raise ``error`` if it holds CR, LF or another control character
    (header injection), naming the character and its position."""
    found = HEADER_BREAK.search(value)
    if found is not None:
        ch = found.group()
        label = {"\r": _("a carriage return (CR)"), "\n": _("a line feed (LF)")}.get(
            ch, _("the control character U+{code:04X}").format(code=ord(ch))
        )
        raise error(
            _("The value contains {character} at position {position}: line breaks are not "
              "allowed here, they would break the email header.").format(
                character=label, position=found.start() + 1),
            field=field,
            hint=_("Put it on one line."),
        )
    return value


def address_problem(addr: str) -> str | None:
    """Why ``addr`` is not a plain ``local@domain.tld`` address, or None.

    Strict on purpose: the address goes into a header and a calendar invitation, and a typo
    (a space, a full-width ＠, a missing dot) is better caught here than bounced later. The
    everyday address is accepted by one regular expression; only the rest pay for the parse.
    """
    if len(addr) <= 254 and PLAIN_ADDRESS.fullmatch(addr):
        return None
    if not addr:
        return _("The address is empty.")
    if HEADER_BREAK.search(addr):
        return _("{address!r} contains a line break or control character.").format(address=addr)
    if not addr.isascii():
        return _("'{address}' contains non-ASCII characters (a full-width ＠ or letter?).").format(
            address=addr)
    if any(c.isspace() for c in addr):
        return _("'{address}' contains a space.").format(address=addr)
    wrong = _("'{address}' is not an email address of the form name@example.jp.").format(address=addr)
    if len(addr) > 254 or not _ADDRESS.fullmatch(addr):
        return wrong
    from email.headerregistry import Address  # the email package only for an unusual address

    try:
        parsed = Address(addr_spec=addr)
    except (ValueError, IndexError):
        return wrong
    return wrong if parsed.addr_spec != addr else None


def validate_address(addr: str, field: str, *, error: type[KizunaError] = InputError) -> str:
    """Return ``addr`` if it is a plain address, else raise ``error`` saying why."""
    check_header_value(addr, field, error=error)
    problem = address_problem(addr)
    if problem:
        raise error(problem, field=field, hint=_("Correct the address and run again."))
    return addr
