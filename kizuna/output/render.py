"""A draft in its output form: the text a recruiter reads and pastes, or the bytes of an .eml
(with its .ics for a confirmation)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..errors import InputError
from ..i18n import _
from ..kinds import get_kind
from ..models import Message
from ..profile import Profile


def as_text(message: Message) -> str:
    """The draft as a recruiter reads and pastes it: subject line (「件名：…」, or "Subject: …"
    for an English letter), blank line, body."""
    head = "Subject: " if message.language == "en" else "件名："
    return f"{head}{message.subject}\n\n{message.body}"


@dataclass(frozen=True)
class RenderedDraft:
    """A draft in its output form (text, or the bytes of an .eml) and its calendar file.
    ``message`` is what was rendered (after ``--fix``): log this one, so the log holds what
    the applicant receives."""

    message: Message
    output: str | bytes
    ics: bytes | None = None


def render_draft(
    message: Message, profile: Profile, fmt: str, *, charset: str = "utf-8", fix: bool = False,
    ics: bool = False, msgid: str | None = None, draft: bool = True,
    now: dt.datetime | None = None,
) -> RenderedDraft:
    """Turn a draft into text or an .eml. Runs every check (charset, header values, address)
    before anything is logged or written. A confirmation's .eml carries its .ics. ``msgid``,
    ``draft`` and ``now`` are :func:`to_email`'s (the Message-ID, no ``X-Unsent`` for a
    message being sent, the Date)."""
    calendar: bytes | None = None
    if fmt == "eml" and charset == "iso-2022-jp" and fix:
        from .charset import fix_iso2022jp

        message, _fixes = fix_iso2022jp(message, profile)
    if (ics or fmt == "eml") and get_kind(message.kind).needs_slot and message.slots:
        from .ics import invitation_ics  # icalendar loads only for a calendar

        calendar = invitation_ics(
            message, profile, message.slots[0], uid_seed=message.stage or ""
        )
    if ics and calendar is None:
        raise InputError(
            _("A calendar file needs an interview: use it with interview_confirmation or "
              "interview_reminder."), field="ics",
        )
    if fmt == "eml":
        from .eml import email_bytes  # the email package loads only for an .eml

        attach = calendar if message.kind == "interview_confirmation" else None
        # as_bytes(to_email(...)), made once.
        data = email_bytes(message, profile, charset=charset, fix=fix, ics=attach, now=now,
                           msgid=msgid, draft=draft)
        return RenderedDraft(message, data, calendar)
    return RenderedDraft(message, as_text(message), calendar)
