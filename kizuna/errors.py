"""Exceptions raised by kizuna.

Every error a user can cause is a ``KizunaError``. The CLI turns one into a single paragraph
(which file, which line, which field, what to do) and exit status 1; nothing else should reach
the user as a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .i18n import _


class KizunaError(Exception):
    """Base class: a problem the user can fix, described in one paragraph.

    The one constructor of every kizuna error: ``path``, ``line`` and ``field`` say where,
    ``hint`` what to do, and ``problems`` lists every finding when there are several (a topic
    file, a batch, a charset check). Subclasses only name the kind of problem.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
        problems: Sequence[object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.field = field
        self.hint = hint
        self.problems: list[Any] = list(problems or [])

    def __str__(self) -> str:
        where = []
        if self.path:
            where.append(str(self.path))
        if self.line is not None:
            where.append(_("line {line}").format(line=self.line))
        if self.field:
            where.append(_("field '{field}'").format(field=self.field))
        text = self.message
        if where:
            text = _("{where}: {message}").format(where=_(", ").join(where), message=text)
        if self.hint:
            text = _("{message} {hint}").format(message=text, hint=self.hint)
        return text


class ProfileError(KizunaError):
    """The organisation profile (kizuna.toml) is missing, malformed or has a wrong value."""


class DraftCancelled(KizunaError):
    """The recruiter emptied or left unchanged the draft in the editor: nothing is recorded."""


class CheckFailed(KizunaError):
    """A draft has errors by the rules of ``kizuna check``; ``problems`` lists the findings
    (``kizuna.check.Finding``), and the message ends with them."""

    def __init__(self, message: str, **where: Any) -> None:
        problems = where.get("problems") or []
        if problems:
            message = _("{message} {problems}.").format(
                message=message, problems=_("; ").join(str(p) for p in problems))
        super().__init__(message, **where)


class TemplateProblem(KizunaError):
    """A message template has a syntax error or uses a variable that was not given."""


class InputError(KizunaError):
    """Applicant data or a command argument is unusable (bad name, email, date, kind...)."""


class TopicFileError(KizunaError):
    """A seasonal or town topic file is malformed; ``problems`` lists every finding (and the
    message ends with them)."""

    def __init__(self, message: str, **where: Any) -> None:
        problems = where.get("problems") or []
        if problems:
            message = _("{message} {problems}").format(
                message=message, problems=_("; ").join(str(p) for p in problems))
        super().__init__(message, **where)


class LogError(KizunaError):
    """The exchange log cannot be opened, is locked, or does not hold what was asked for."""


class SlotError(KizunaError):
    """No slot can be proposed, or a booking is impossible (taken, never offered)."""


class BatchError(KizunaError):
    """A batch input file is unreadable or has invalid rows; ``problems`` lists them."""


class MailError(KizunaError):
    """A message cannot be written as email: bad header value, address or charset."""


class CharsetError(MailError):
    """ISO-2022-JP was asked for but cannot carry the text; ``problems`` lists every character
    (``kizuna.mail.CharProblem``)."""


class MailServerError(MailError):
    """The SMTP or IMAP server cannot be reached, refuses the login, or breaks off: raised
    before anything is marked, or saying exactly what was."""


class MailboxError(KizunaError):
    """A mail file, mbox or Maildir cannot be read as mail: its name and why."""


class SlotTaken(SlotError):
    """The slot was booked (or is held) by another applicant; ``slot`` is the one asked for."""

    def __init__(self, message: str, *, slot: object, **where: Any) -> None:
        super().__init__(message, **where)
        self.slot = slot
