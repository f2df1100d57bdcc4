"""Handing messages to an SMTP server (smtplib), and saying exactly what became of each.

SMTP cannot tell a client whether a message was delivered when the connection breaks after
the message was handed over and before the server's reply (RFC 5321 §4.1.1.4, §6.1): the
server may have queued it. So every attempt ends in one of four outcomes, and only the
caller (``kizuna.mailing``) writes them to the log:

- ``sent``: the server took the message (its reply is kept);
- ``refused``: the server said no (sender, recipient, or the message); nothing was delivered,
  the connection can go on;
- ``not_sent``: the connection broke before the message was handed over; nothing was
  delivered, the connection is gone;
- ``unknown``: the connection broke (or the server fell silent past the timeout) after the
  message was handed over: it may have been delivered, so it must not be sent again by itself.

DATA is sent in its two steps (the command, then the message after the server's 354) so that
a refusal or a break before the message leaves is told apart from one after.

Nothing here reads the log or the profile file; no SQL.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal

from ..errors import MailServerError
from ..i18n import _

Outcome = Literal["sent", "refused", "not_sent", "unknown"]


@dataclass(frozen=True)
class Delivery:
    """What became of one message: the outcome, the server's words, and a note (a refused
    archive copy, say)."""

    outcome: Outcome
    reply: str
    note: str = ""


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(words.split())}".strip()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    text = str(exc).strip() or type(exc).__name__
    return text.rstrip(".")


def _stuff(data: bytes) -> bytes:
    """The message as DATA carries it: CRLF line ends, a leading dot doubled, the final
    CRLF "." CRLF."""
    text = re.sub(rb"\r\n|\r|\n", b"\r\n", data)
    text = re.sub(rb"(?m)^\.", b"..", text)
    if not text.endswith(b"\r\n"):
        text += b"\r\n"
    return text + b".\r\n"


class SmtpConnection:
    """One logged-in connection to the server. Use :func:`connect`; close it, or use it as
    a context manager."""

    def __init__(self, smtp: smtplib.SMTP, where: str) -> None:
        self._smtp = smtp
        self.where = where
        self.usable = True

    def deliver(self, sender: str, recipient: str, data: bytes, *, bcc: str = "") -> Delivery:
        """Hand one message to the server for ``recipient`` (and a blind copy to ``bcc``,
        whose refusal does not stop the message)."""
        smtp = self._smtp
        note = ""
        try:
            code, text = smtp.mail(sender)
            if code != 250:
                smtp.rset()
                return Delivery("refused", _reply(code, text),
                                _("the sender {sender} was refused").format(sender=sender))
            code, text = smtp.rcpt(recipient)
            if code not in (250, 251):
                smtp.rset()
                return Delivery("refused", _reply(code, text),
                                _("{recipient} was refused").format(recipient=recipient))
            if bcc:
                code, text = smtp.rcpt(bcc)
                if code not in (250, 251):
                    note = _("the archive copy to {bcc} was refused ({reply})").format(
                        bcc=bcc, reply=_reply(code, text))
            smtp.putcmd("data")
            code, text = smtp.getreply()
            if code != 354:
                smtp.rset()
                return Delivery("refused", _reply(code, text), _("the server refused DATA"))
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.usable = False
            return Delivery("not_sent", _reason(exc),
                            _("the connection broke before the message was handed over"))
        try:
            smtp.send(_stuff(data))
            code, text = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.usable = False
            return Delivery("unknown", _reason(exc),
                            _("the connection broke after the message was handed over, before "
                              "the server answered"))
        if code != 250:
            return Delivery("refused", _reply(code, text), note)
        return Delivery("sent", _reply(code, text), note)

    def close(self) -> None:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            if self.usable:
                self._smtp.quit()
        smtp_close(self._smtp)

    def __enter__(self) -> SmtpConnection:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """The system's certificate checks, with an extra CA (a company's own) when one is named."""
    try:
        return ssl.create_default_context(cafile=str(ca_file) if ca_file is not None else None)
    except (OSError, ssl.SSLError) as exc:
        raise MailServerError(_("Cannot read the CA file: {reason}.").format(reason=exc),
                              path=str(ca_file),
                              field="ca_file") from None


def connect(
    host: str,
    port: int,
    *,
    security: str,
    user: str = "",
    password: str | None = None,
    timeout: float = 30,
    ca_file: Path | None = None,
) -> SmtpConnection:
    """Connect, say EHLO, STARTTLS or implicit TLS as asked, and log in when a user is given.
    Every failure here is a MailServerError, raised before any message is touched."""
    where = f"{host}:{port}"
    context = tls_context(ca_file) if security in ("tls", "starttls") else None
    smtp: smtplib.SMTP | None = None
    try:
        if security == "tls":
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        smtp.ehlo()
        if security == "starttls":
            if not smtp.has_extn("starttls"):
                raise MailServerError(
                    _("The SMTP server {server} does not offer STARTTLS; nothing was sent.").format(
                        server=where),
                    field="mail.security",
                    hint=_("Use security = \"tls\" (port 465) if it speaks TLS from the start, or "
                           "\"none\" only for a relay on this machine."),
                )
            smtp.starttls(context=context)
            smtp.ehlo()
        if user:
            if password is None:
                raise MailServerError(
                    _("No password for the SMTP user {user}; nothing was sent.").format(user=user),
                    field="mail.password_env",
                    hint=_("Set the environment variable named by password_env, or store the "
                           "password in the system keyring."),
                )
            smtp.login(user, password)
    except MailServerError:
        smtp_close(smtp)
        raise
    except smtplib.SMTPAuthenticationError as exc:
        smtp_close(smtp)
        raise MailServerError(
            _("The SMTP server {server} refused the login for {user} ({reason}); nothing was "
              "sent or marked.").format(server=where, user=user, reason=_reason(exc)),
            field="mail.user", hint=_("Check the user name and the password."),
        ) from None
    except smtplib.SMTPNotSupportedError:
        smtp_close(smtp)
        raise MailServerError(
            _("The SMTP server {server} offers no login (AUTH); nothing was sent or "
              "marked.").format(server=where),
            field="mail.user",
            hint=_("Leave user empty for a server that needs none, or use STARTTLS (many servers "
                   "offer AUTH only after it)."),
        ) from None
    except ssl.SSLError as exc:
        smtp_close(smtp)
        raise MailServerError(
            _("TLS with the SMTP server {server} failed ({reason}); nothing was sent or "
              "marked.").format(server=where, reason=exc.reason or exc),
            field="mail.security",
            hint=_("Check security and port, or name the server's CA in ca_file."),
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        smtp_close(smtp)
        reason = _reason(exc)
        if isinstance(exc, socket.timeout | TimeoutError) or "timed out" in reason:
            reason = _("it did not answer within {seconds:g} s").format(seconds=timeout)
        raise MailServerError(
            _("Cannot reach the SMTP server {server}: {reason}. Nothing was sent or "
              "marked.").format(server=where, reason=reason),
            field="mail.host", hint=_("Check host, port and security in the profile's [mail]."),
        ) from None
    return SmtpConnection(smtp, where)


def smtp_close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        with contextlib.suppress(OSError):
            smtp.close()
