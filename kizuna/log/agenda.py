"""What the morning list (``kizuna today``) reads from the log: one query per section, each
served by an index, so that it reads the rows that may need doing and never every exchange.

Times are compared as ISO 8601 text in JST, as kizuna writes them. The business-day
arithmetic and the order of the sections are ``kizuna.today``'s.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..models import JST, Slot
from .core import LogCore
from .records import ExpiringOffer, MailProblem, Silent, Unanswered, UnsentDraft, UpcomingInterview
from .rows import _iso_jst, _translating

# The applicant's latest message (by id), when no outbound message was recorded after it and
# none answers it or was written or sent at or after the time it arrived; with every message
# of theirs since our last one, each marked answered or not.
_UNANSWERED = """
    WITH latest AS (
        SELECT candidate_id, max(id) AS last_in
        FROM exchanges WHERE direction = 'in' GROUP BY candidate_id
    ),
    open AS (
        SELECT l.candidate_id, l.last_in,
               (SELECT max(o.id) FROM exchanges o
                WHERE o.candidate_id = l.candidate_id AND o.direction = 'out') AS last_out
        FROM latest l JOIN exchanges x ON x.id = l.last_in
        WHERE NOT EXISTS (
            SELECT 1 FROM exchanges o
            WHERE o.candidate_id = l.candidate_id AND o.id > l.last_in AND o.direction = 'out'
        ) AND NOT EXISTS (
            SELECT 1 FROM exchanges o
            WHERE o.candidate_id = l.candidate_id AND o.direction = 'out'
              AND (o.answers = x.id OR o.created_at >= x.sent_at OR o.sent_at >= x.sent_at)
        )
    )
    SELECT m.id, m.candidate_id, c.name, m.sent_at, substr(m.body, 1, 400) AS head,
           EXISTS (
               SELECT 1 FROM exchanges o
               WHERE o.candidate_id = m.candidate_id AND o.direction = 'out'
                 AND (o.answers = m.id OR o.created_at >= m.sent_at OR o.sent_at >= m.sent_at)
           ) AS answered,
           m.id = p.last_in AS latest
    FROM open p
    -- CROSS JOIN keeps this order: each open applicant's messages by index, not every one.
    CROSS JOIN exchanges m ON m.candidate_id = p.candidate_id AND m.direction = 'in'
         AND m.id > COALESCE(p.last_out, 0) AND m.id <= p.last_in
    JOIN candidates c ON c.id = p.candidate_id
    ORDER BY m.candidate_id, m.id
"""

# A reminder belongs to an interview when it carries its slot (whoever drafted it, with or
# without the idempotency key of `kizuna reminders`).
_INTERVIEWS = """
    SELECT h.candidate_id, c.name, h.start, h."end", h.number, h.updated_at, h.meeting_url,
           EXISTS (
               SELECT 1 FROM exchanges r
               WHERE r.candidate_id = h.candidate_id AND r.direction = 'out'
                 AND r.kind = 'interview_reminder'
                 AND json_extract(r.slots, '$[0].start') = h.start
           ) AS reminded
    FROM slot_holds h JOIN candidates c ON c.id = h.candidate_id
    WHERE h.status = 'booked' AND h.start >= ? AND h.start < ?
    ORDER BY h.start, h.candidate_id
"""

# Only invitations that were sent: one still a draft (or refused by the server) was never read,
# and is listed as such. Offered: when the invitation was recorded (the holds' own time, for
# holds made without one).
# Replied: a message from the applicant recorded after the invitation. Nudged: a reply_reminder
# recorded after it (one per invitation).
_EXPIRING = """
    WITH offers AS (
        SELECT candidate_id, offered_in, min(held_until) AS held_until,
               min(created_at) AS offered_at, group_concat(number) AS numbers
        FROM slot_holds
        WHERE status = 'held' AND held_until >= ? AND held_until < ?
        GROUP BY candidate_id, offered_in
    )
    SELECT f.candidate_id, c.name, f.offered_in, f.held_until, f.numbers,
           COALESCE((SELECT i.created_at FROM exchanges i WHERE i.id = f.offered_in),
                    f.offered_at) AS offered_at,
           EXISTS (
               SELECT 1 FROM exchanges r
               WHERE r.candidate_id = f.candidate_id AND r.direction = 'in'
                 AND (r.id > f.offered_in OR (f.offered_in IS NULL AND r.sent_at >= f.offered_at))
           ) AS replied,
           EXISTS (
               SELECT 1 FROM exchanges r
               WHERE r.candidate_id = f.candidate_id AND r.direction = 'out'
                 AND r.kind = 'reply_reminder'
                 AND (r.id > f.offered_in OR (f.offered_in IS NULL AND r.created_at >= f.offered_at))
           ) AS nudged
    FROM offers f JOIN candidates c ON c.id = f.candidate_id
    WHERE f.offered_in IS NULL OR EXISTS (
        SELECT 1 FROM exchanges i WHERE i.id = f.offered_in AND i.status = 'sent'
    )
    ORDER BY f.held_until, offered_at, f.candidate_id
"""

# Per applicant, the draft to send first: a result notice (the applicant is waiting for a
# decision), then the oldest. One range of the partial index of drafts (those old enough),
# grouped by applicant; the bare columns are those of the row with the smallest key (SQLite's rule for
# a single min()), which sorts result notices first, then by time, then by id.
_UNSENT = """
    SELECT d.candidate_id, c.name, d.id, d.kind, d.result, d.created_at, d.n
    FROM (
        SELECT candidate_id, id, kind, result, created_at, count(*) AS n,
               min((result IS NULL) || created_at || printf('%020d', id)) AS first
        FROM exchanges
        WHERE direction = 'out' AND status = 'draft' AND created_at < ?
        GROUP BY candidate_id
    ) d JOIN candidates c ON c.id = d.candidate_id
    ORDER BY d.first
"""

# Still in the selection ('active': not passed, withdrawn and final passes are decided), with
# nothing between us since ``before``, and no next step already set: an interview booked
# ahead, or slots held for them that have not run out.
_SILENT = """
    WITH active AS (
        SELECT c.id, c.name,
               COALESCE((
                   SELECT max(CASE WHEN e.sent_at > e.created_at THEN e.sent_at
                                   ELSE e.created_at END)
                   FROM exchanges e WHERE e.candidate_id = c.id
               ), c.created_at) AS last_at,
               (SELECT max(e.id) FROM exchanges e
                WHERE e.candidate_id = c.id AND e.direction = 'out') AS last_out
        FROM candidates c WHERE c.status = 'active'
    )
    SELECT a.id, a.name, a.last_at, o.kind, o.result, o.stage
    FROM active a LEFT JOIN exchanges o ON o.id = a.last_out
    WHERE a.last_at < ?
      AND NOT EXISTS (
          SELECT 1 FROM slot_holds h
          WHERE h.candidate_id = a.id
            AND ((h.status = 'booked' AND h.start >= ?)
                 OR (h.status = 'held' AND h.held_until >= ?))
      )
    ORDER BY a.last_at, a.id
"""

_MAIL_PROBLEMS = """
    SELECT e.status, e.id, e.candidate_id, c.name, e.kind, e.subject,
           COALESCE(e.failure, '') AS why, COALESCE(e.send_started_at, e.created_at) AS since
    FROM exchanges e JOIN candidates c ON c.id = e.candidate_id
    WHERE e.direction = 'out' AND e.status IN ('failed', 'sending')
    ORDER BY since, e.id
"""

_UNMATCHED = """
    SELECT id, from_address, subject, reason, COALESCE(sent_at, created_at) AS since
    FROM inbox_unmatched ORDER BY since, id
"""


class AgendaMixin(LogCore):
    """The sections of the morning list, as the log holds them."""

    @_translating
    def unanswered(self) -> list[Unanswered]:
        """Applicants whose latest message no outbound message (drafted or sent) follows,
        answers, or was written after it arrived; by applicant id."""
        found: list[Unanswered] = []
        rows: dict[str, list[dict[str, Any]]] = {}
        for row in self._rows(_UNANSWERED):
            rows.setdefault(row["candidate_id"], []).append(row)
        for candidate_id, messages in rows.items():
            # Waiting only when their latest message itself is unanswered.
            if messages[-1]["answered"] or not messages[-1]["latest"]:
                continue
            waiting = [m for m in messages if not m["answered"]]
            first = waiting[0]
            found.append(Unanswered(
                candidate_id=candidate_id, name=first["name"], exchange_id=first["id"],
                received_at=first["sent_at"], head=first["head"] or "", messages=len(waiting),
            ))
        return found

    @_translating
    def interviews_between(self, low: dt.datetime, high: dt.datetime) -> list[UpcomingInterview]:
        """Interviews booked from ``low`` until before ``high``, soonest first."""
        return [
            UpcomingInterview(
                candidate_id=row["candidate_id"], name=row["name"],
                slot=Slot(dt.datetime.fromisoformat(row["start"]).astimezone(JST),
                          dt.datetime.fromisoformat(row["end"]).astimezone(JST)),
                number=row["number"], booked_at=row["updated_at"],
                meeting_url=row["meeting_url"] or "", reminded=bool(row["reminded"]),
            )
            for row in self._rows(_INTERVIEWS, [_iso_jst(low), _iso_jst(high)])
        ]

    @_translating
    def expiring_offers(self, low: dt.datetime, high: dt.datetime) -> list[ExpiringOffer]:
        """Slots still held whose hold ends from ``low`` until before ``high``, one entry per
        applicant and invitation, the first to run out first."""
        return [
            ExpiringOffer(
                candidate_id=row["candidate_id"], name=row["name"], invitation=row["offered_in"],
                held_until=row["held_until"], offered_at=row["offered_at"],
                numbers=tuple(sorted(int(n) for n in str(row["numbers"] or "").split(",") if n)),
                replied=bool(row["replied"]), nudged=bool(row["nudged"]),
            )
            for row in self._rows(_EXPIRING, [_iso_jst(low), _iso_jst(high)])
        ]

    @_translating
    def unsent_drafts(self, before: dt.datetime) -> list[UnsentDraft]:
        """Per applicant, the draft to send first among those recorded before ``before`` and
        not sent: result notices first, then the oldest."""
        return [
            UnsentDraft(
                candidate_id=row["candidate_id"], name=row["name"], exchange_id=row["id"],
                kind=row["kind"], result=row["result"], created_at=row["created_at"],
                drafts=row["n"],
            )
            for row in self._rows(_UNSENT, [_iso_jst(before)])
        ]

    @_translating
    def silent_applicants(self, before: dt.datetime, now: dt.datetime) -> list[Silent]:
        """Applicants still in the selection with nothing between us since before ``before``
        and no interview booked or slots held from ``now`` on; the longest silent first."""
        moment = _iso_jst(now)
        return [
            Silent(
                candidate_id=row["id"], name=row["name"], last_at=row["last_at"],
                last_kind=row["kind"], last_result=row["result"], last_stage=row["stage"],
            )
            for row in self._rows(_SILENT, [_iso_jst(before), moment, moment])
        ]

    @_translating
    def mail_problems(self) -> list[MailProblem]:
        """Messages ``failed`` or left ``sending``, oldest first, then mail that matched no
        applicant (kept for a later import), oldest first."""
        found = [
            MailProblem(status=row["status"], id=row["id"], candidate_id=row["candidate_id"],
                        name=row["name"], kind=row["kind"], subject=row["subject"],
                        why=row["why"], since=row["since"])
            for row in self._rows(_MAIL_PROBLEMS)
        ]
        found += [
            MailProblem(status="unmatched", id=row["id"], candidate_id=None,
                        name=row["from_address"], kind=None, subject=row["subject"],
                        why=row["reason"], since=row["since"])
            for row in self._rows(_UNMATCHED)
        ]
        return found
