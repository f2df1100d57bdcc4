"""Mail in the log: the send states of an outbound message, the Message-IDs, replies read from
mail, the messages no applicant could be found for, and how far each IMAP folder was read.

The send states, in the only order they move (``kizuna.mailing`` drives them)::

    draft | failed ──mark_sending──► sending ──mark_delivered──► sent
                                        │ └────mark_refused────► failed
                                        └─(killed, connection lost)─ stays sending

``mark_sending`` commits before the server is asked, and only one caller can move a row out
of draft or failed (the UPDATE names the states it expects), so two ``kizuna send`` running
at once never both send the same message. A row left ``sending`` is sent again only by
``claim_resend`` (``kizuna send --resend ID``), asked for by name.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import LogError
from ..i18n import _
from ..models import Exchange, MailFacts, Message
from .core import LogCore
from .rows import _EXCHANGE_INSERT, _exchange_from_row, _iso_jst, _message_from_row, _translating

# What the send states are for kizuna send: sendable without asking, or left alone.
SENDABLE = ("draft", "failed")


@dataclass(frozen=True)
class KeptMail:
    """A message an import could not give to an applicant, kept for a later import."""

    id: int
    mail_key: str
    message_id: str | None
    source: str
    position: str
    from_address: str
    subject: str
    sent_at: str | None
    reason: str
    raw: bytes
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "mail_key": self.mail_key, "message_id": self.message_id,
            "source": self.source, "position": self.position,
            "from_address": self.from_address, "subject": self.subject,
            "sent_at": self.sent_at, "reason": self.reason, "size": len(self.raw),
            "created_at": self.created_at,
        }


class MailMixin(LogCore):
    """Send states, Message-IDs, mail replies, kept mail and IMAP progress."""

    # ---- the outbox

    @_translating
    def outbound(self, exchange_ids: Sequence[int]) -> list[Exchange]:
        """These exchanges, in the order given; an unknown id is a LogError."""
        found = []
        for exchange_id in exchange_ids:
            found.append(self.get_exchange(exchange_id))
        return found

    @_translating
    def unsent(self, candidate_id: str | None = None) -> list[Exchange]:
        """Outbound messages that may be sent: drafts and those the server refused, oldest
        first; for one applicant (unknown → LogError)."""
        if candidate_id is not None:
            self.get_candidate(candidate_id)
        where = "AND candidate_id = ?" if candidate_id is not None else ""
        params: list[Any] = list(SENDABLE) + ([candidate_id] if candidate_id is not None else [])
        rows = self._rows(
            f"SELECT * FROM exchanges WHERE direction = 'out' AND status IN (?, ?) {where} "
            "ORDER BY id",
            params,
        )
        return [_exchange_from_row(row) for row in rows]

    @_translating
    def sending(self) -> list[Exchange]:
        """Messages left ``sending``: handed to a server whose answer never came (a process
        killed, a connection lost). Never sent again by themselves."""
        rows = self._rows(
            "SELECT * FROM exchanges WHERE direction = 'out' AND status = 'sending' ORDER BY id"
        )
        return [_exchange_from_row(row) for row in rows]

    @_translating
    def outbound_message(self, exchange: Exchange) -> Message:
        """The recorded draft as the Message to render, addressed to the applicant as the log
        knows them now (their current email)."""
        candidate = self.get_candidate(exchange.candidate_id)
        rows = self._rows("SELECT * FROM exchanges WHERE id = ?", [exchange.id])
        return _message_from_row(rows[0], candidate)

    # ---- the send states

    @_translating
    def mark_sending(
        self,
        exchange_id: int,
        message_id: str,
        *,
        at: dt.datetime | None = None,
        resend: bool = False,
    ) -> Exchange | None:
        """Claim a draft (or a refused message) for sending: status ``sending``, its
        Message-ID recorded (kept if it has one), committed before this returns. None when the
        row is no longer in a state to send (another process claimed it, or it was sent).
        ``resend`` claims a row left ``sending`` instead, on purpose."""
        expected = ("sending",) if resend else SENDABLE
        when = _iso_jst(at) if at is not None else self._now()
        with self.transaction():
            marks = ",".join("?" * len(expected))
            cursor = self.db.conn.execute(
                f"""
                UPDATE exchanges SET status = 'sending',
                    message_id = COALESCE(message_id, ?), send_started_at = ?,
                    send_attempts = send_attempts + 1, failure = NULL
                WHERE id = ? AND direction = 'out' AND status IN ({marks})
                """,
                [message_id, when, exchange_id, *expected],
            )
            if not cursor.rowcount:
                return None
            return self._exchange(exchange_id)

    @_translating
    def mark_delivered(
        self, exchange_id: int, server_reply: str, *, at: dt.datetime | None = None
    ) -> Exchange:
        """The server took the message: ``sent``, with its reply and the time."""
        when = _iso_jst(at) if at is not None else self._now()
        return self._move(exchange_id, "sent", when, server_reply=server_reply, failure=None)

    @_translating
    def mark_refused(self, exchange_id: int, reason: str) -> Exchange:
        """The server refused the message (it was not delivered): ``failed``, with why. It
        may be sent again."""
        return self._move(exchange_id, "failed", None, server_reply=None, failure=reason)

    @_translating
    def note_unknown(self, exchange_id: int, reason: str) -> Exchange:
        """The outcome is unknown (the connection broke after the message was handed over):
        it stays ``sending``, and ``failure`` says what happened."""
        return self._move(exchange_id, "sending", None, server_reply=None, failure=reason)

    def _move(
        self,
        exchange_id: int,
        status: str,
        sent_at: str | None,
        *,
        server_reply: str | None,
        failure: str | None,
    ) -> Exchange:
        with self.transaction():
            cursor = self.db.conn.execute(
                """
                UPDATE exchanges SET status = ?, sent_at = COALESCE(?, sent_at),
                    server_reply = ?, failure = ?
                WHERE id = ? AND status = 'sending'
                """,
                [status, sent_at, server_reply, failure, exchange_id],
            )
            if not cursor.rowcount:
                found = self.get_exchange(exchange_id)
                raise LogError(
                    _("Exchange {id} is '{status}', not 'sending'; it was left as it is.").format(
                        id=exchange_id, status=found.status),
                )
            return self._exchange(exchange_id)

    # ---- Message-IDs and applicants, for matching replies

    @_translating
    def exchange_by_message_id(self, message_id: str) -> Exchange | None:
        """The exchange that carries this Message-ID (one kizuna sent, or a reply), or None."""
        rows = self._rows("SELECT * FROM exchanges WHERE message_id = ?", [message_id])
        return _exchange_from_row(rows[0]) if rows else None

    @_translating
    def candidates_for_message_ids(self, message_ids: Sequence[str]) -> dict[str, str]:
        """Message-ID → applicant id, for the given ids that kizuna sent (or tried to)."""
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(message_ids))
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for message_id, candidate_id in self.db.conn.execute(
                f"SELECT message_id, candidate_id FROM exchanges "
                f"WHERE direction = 'out' AND message_id IN ({marks})",
                chunk,
            ):
                found[message_id] = candidate_id
        return found

    @_translating
    def candidates_with_email(self, address: str) -> list[str]:
        """The applicants with this address (compared without regard to case)."""
        rows = self.db.conn.execute(
            "SELECT id FROM candidates WHERE email != '' AND lower(email) = lower(?) ORDER BY id",
            [address.strip()],
        ).fetchall()
        return [row[0] for row in rows]

    @_translating
    def candidate_ids_in(self, text: str) -> list[str]:
        """Applicant ids (of three characters or more) that occur in ``text``; the caller
        decides whether each stands as a word."""
        if not text:
            return []
        rows = self.db.conn.execute(
            "SELECT id FROM candidates WHERE length(id) >= 3 AND instr(?, id) > 0 ORDER BY id",
            [text],
        ).fetchall()
        return [row[0] for row in rows]

    # ---- replies read from mail

    @_translating
    def record_mail(
        self,
        candidate_id: str,
        text: str,
        mail: MailFacts,
        *,
        received_at: dt.datetime | None = None,
        subject: str = "",
    ) -> Exchange:
        """Record a reply read from mail, once: under ``mail.key`` (from its Message-ID), so
        the same message imported again returns the first row. ``received_at`` is its Date
        (default: now)."""
        received = _iso_jst(received_at) if received_at is not None else self._now()
        attachments = json.dumps([a.to_dict() for a in mail.attachments], ensure_ascii=False)
        conn = self.db.conn
        with self.transaction():
            row = conn.execute("SELECT stage FROM candidates WHERE id = ?", [candidate_id]).fetchone()
            if row is None:
                raise self._unknown_candidate(candidate_id)
            existing = self._rows("SELECT * FROM exchanges WHERE idempotency_key = ?", [mail.key])
            if not existing and mail.message_id is not None:
                existing = self._rows(
                    "SELECT * FROM exchanges WHERE message_id = ?", [mail.message_id]
                )
            if existing:
                found = _exchange_from_row(existing[0])
                if found.candidate_id != candidate_id or found.direction != "in":
                    raise LogError(
                        _("The message {message} is already in the log as exchange {id} "
                          "({direction}, {candidate}).").format(
                            message=mail.message_id or mail.key, id=found.id,
                            direction=found.direction, candidate=found.candidate_id),
                        hint=_("Nothing was recorded."),
                    )
                return found
            cursor = conn.execute(_EXCHANGE_INSERT, (
                candidate_id, "in", None, row[0], None, subject, text, "[]", "[]", "received",
                mail.key, received[:10], self._now(), received, None, "[]", None, None,
            ))
            exchange_id = cursor.lastrowid
            assert exchange_id is not None
            conn.execute(
                """
                UPDATE exchanges SET message_id = ?, in_reply_to = ?, attachments = ?,
                    matched_by = ?
                WHERE id = ?
                """,
                [mail.message_id, mail.in_reply_to, attachments, mail.matched_by, exchange_id],
            )
            self._index_new()
            return self._exchange(exchange_id)

    # ---- mail kept for a later import

    @_translating
    def keep_unmatched(
        self,
        mail_key: str,
        raw: bytes,
        reason: str,
        *,
        message_id: str | None = None,
        source: str = "",
        position: str = "",
        from_address: str = "",
        subject: str = "",
        sent_at: dt.datetime | None = None,
    ) -> KeptMail:
        """Keep a message no applicant was found for (or that could not be read), once per
        ``mail_key``; kept again, its reason and where it was last seen are updated."""
        with self.transaction():
            self.db.conn.execute(
                """
                INSERT INTO inbox_unmatched (mail_key, message_id, source, position,
                    from_address, subject, sent_at, reason, raw, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(mail_key) DO UPDATE SET reason = excluded.reason,
                    source = excluded.source, position = excluded.position
                """,
                [mail_key, message_id, source, position, from_address, subject,
                 _iso_jst(sent_at) if sent_at is not None else None, reason, raw, self._now()],
            )
            rows = self._rows("SELECT * FROM inbox_unmatched WHERE mail_key = ?", [mail_key])
        return _kept(rows[0])

    @_translating
    def kept_mail(self) -> list[KeptMail]:
        """Every message kept for a later import, oldest first."""
        return [_kept(row) for row in self._rows("SELECT * FROM inbox_unmatched ORDER BY id")]

    @_translating
    def forget_kept(self, mail_key: str) -> None:
        """The kept message has been given to an applicant: drop it from the kept ones."""
        with self.transaction():
            self.db.conn.execute("DELETE FROM inbox_unmatched WHERE mail_key = ?", [mail_key])

    # ---- IMAP progress

    @_translating
    def imap_position(self, account: str, folder: str) -> tuple[int, int] | None:
        """(UIDVALIDITY, the last UID read) of an IMAP folder, or None if never read."""
        row = self.db.conn.execute(
            "SELECT uidvalidity, last_uid FROM imap_state WHERE account = ? AND folder = ?",
            [account, folder],
        ).fetchone()
        return (int(row[0]), int(row[1])) if row else None

    @_translating
    def set_imap_position(self, account: str, folder: str, uidvalidity: int, last_uid: int) -> None:
        """Remember that every message of the folder up to ``last_uid`` was read."""
        with self.transaction():
            self.db.conn.execute(
                """
                INSERT INTO imap_state (account, folder, uidvalidity, last_uid, updated_at)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(account, folder) DO UPDATE SET uidvalidity = excluded.uidvalidity,
                    last_uid = excluded.last_uid, updated_at = excluded.updated_at
                """,
                [account, folder, uidvalidity, last_uid, self._now()],
            )


def _kept(row: dict[str, Any]) -> KeptMail:
    return KeptMail(
        id=row["id"], mail_key=row["mail_key"], message_id=row["message_id"],
        source=row["source"], position=row["position"], from_address=row["from_address"],
        subject=row["subject"], sent_at=row["sent_at"], reason=row["reason"],
        raw=bytes(row["raw"]), created_at=row["created_at"],
    )
