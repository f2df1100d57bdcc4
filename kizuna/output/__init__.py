"""Output: a drafted message as text, .eml (UTF-8 or ISO-2022-JP) or .ics, and the files
kizuna writes (atomic, private).

The names below are typed for checkers (TYPE_CHECKING) and loaded on first use: a text draft
never pays for the email package.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .charset import CharProblem as CharProblem
    from .charset import check_iso2022jp as check_iso2022jp
    from .charset import fix_iso2022jp as fix_iso2022jp
    from .eml import CHARSETS as CHARSETS
    from .eml import as_bytes as as_bytes
    from .eml import check_email as check_email
    from .eml import to_email as to_email
    from .files import private_file as private_file
    from .files import write_atomic as write_atomic
    from .ics import booking_uid as booking_uid
    from .ics import invitation_ics as invitation_ics
    from .render import RenderedDraft as RenderedDraft
    from .render import as_text as as_text
    from .render import render_draft as render_draft

__all__ = [
    "CHARSETS",
    "CharProblem",
    "RenderedDraft",
    "as_bytes",
    "as_text",
    "booking_uid",
    "check_email",
    "check_iso2022jp",
    "fix_iso2022jp",
    "invitation_ics",
    "private_file",
    "render_draft",
    "to_email",
    "write_atomic",
]

_LAZY = {
    "CharProblem": "charset",
    "check_iso2022jp": "charset",
    "fix_iso2022jp": "charset",
    "CHARSETS": "eml",
    "as_bytes": "eml",
    "check_email": "eml",
    "to_email": "eml",
    "private_file": "files",
    "write_atomic": "files",
    "booking_uid": "ics",
    "invitation_ics": "ics",
    "RenderedDraft": "render",
    "as_text": "render",
    "render_draft": "render",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kizuna.output' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
