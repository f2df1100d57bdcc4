"""Reports over the log: who is waiting (pending), the funnel (stats), and export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any

from ..errors import InputError
from ..models import JST
from ..textfiles import spreadsheet_cell

if TYPE_CHECKING:

    from ..calendar import OfficeCalendar

from ..i18n import _
from .core import LogCore
from .records import (
    StageCount,
    Stats,
    Waiting,
)
from .rows import (
    EXPORT_COLUMNS,
    EXPORT_FORMATS,
    _translating,
)

# Each applicant's latest message, when no sent message answers it; whether a draft does. Served
# by exchanges_direction (the latest) and exchanges_thread (the answers): a few index rows per
# waiting applicant, whatever the size of the log (tests check the plan).
PENDING_SQL = """
WITH latest AS (
    SELECT id, candidate_id, sent_at,
           row_number() OVER (
               PARTITION BY candidate_id ORDER BY sent_at DESC, id DESC
           ) AS rn
    FROM exchanges WHERE direction = 'in'
)
SELECT l.id, l.candidate_id, l.sent_at, c.name,
       EXISTS (
           SELECT 1 FROM exchanges o
           WHERE o.candidate_id = l.candidate_id AND o.direction = 'out'
             AND o.status = 'draft' AND (o.created_at >= l.sent_at OR o.answers = l.id)
       ) AS draft_ready
FROM latest l JOIN candidates c ON c.id = l.candidate_id
WHERE l.rn = 1 AND NOT EXISTS (
    SELECT 1 FROM exchanges o
    WHERE o.candidate_id = l.candidate_id AND o.direction = 'out'
      AND o.status = 'sent' AND (o.sent_at >= l.sent_at OR o.answers = l.id)
)
ORDER BY l.sent_at, l.id
"""

# How many applicants reached each stage, from exchanges_stage alone.
REACHED_SQL = """
SELECT stage, count(DISTINCT candidate_id) AS n, min(id) AS first
FROM exchanges GROUP BY stage ORDER BY first
"""

# Each applicant's latest result per stage (SQLite gives the bare column ``result`` from the
# row whose id is the max), read from exchanges_decided in its order: no sort of the log.
DECIDED_SQL = """
SELECT stage, result, count(*) AS n FROM (
    SELECT stage, candidate_id, result, max(id)
    FROM exchanges INDEXED BY exchanges_decided
    WHERE direction = 'out' AND result IS NOT NULL
    GROUP BY candidate_id, stage
)
GROUP BY stage, result
"""

REPORT_QUERIES = {"pending": PENDING_SQL, "reached": REACHED_SQL, "decided": DECIDED_SQL}


class ReportsMixin(LogCore):
    """Reports over the log."""

    @_translating
    def pending(
        self,
        today: dt.date,
        min_days: int = 0,
        *,
        calendar: OfficeCalendar | None = None,
    ) -> list[Waiting]:
        """Applicants whose latest message has no answer yet, oldest first.

        Answered means an outbound exchange with status 'sent' that answers the applicant's
        message (``answers``, set for a confirmation of their reply and a note) or whose
        ``sent_at`` is at or after it: a draft is not an answer, but shows as ``draft_ready``.
        ``business_days`` counts office days after the day it arrived up to ``today``
        (weekends, Japanese holidays and the year-end closure do not count).
        """
        from ..calendar import OfficeCalendar

        office = calendar or OfficeCalendar()
        rows = self._rows(PENDING_SQL)
        waiting = []
        for row in rows:
            received_on = dt.datetime.fromisoformat(row["sent_at"]).astimezone(JST).date()
            days = office.business_days_between(received_on, today)
            if days >= min_days:
                waiting.append(Waiting(
                    candidate_id=row["candidate_id"],
                    name=row["name"],
                    exchange_id=row["id"],
                    received_at=row["sent_at"],
                    business_days=days,
                    draft_ready=bool(row["draft_ready"]),
                ))
        return waiting

    @_translating
    def stats(self, stages: Sequence[str] = ()) -> Stats:
        """Applicants per status and, per stage, how many reached it and were passed or not.

        A result counts from the latest outbound message carrying one for that applicant and
        stage, draft or sent (the decision is made when the notice is written). ``stages``
        gives the display order (the profile's); other stages follow in order of appearance.
        """
        conn = self.db.conn
        total = conn.execute("SELECT count(*) FROM candidates").fetchone()[0]
        statuses = dict(conn.execute(
            "SELECT status, count(*) FROM candidates GROUP BY status ORDER BY status"
        ).fetchall())
        reached = self._rows(REACHED_SQL)
        results = self._rows(DECIDED_SQL)
        counts: dict[str | None, dict[str, int]] = {}
        for row in results:
            counts.setdefault(row["stage"], {})[row["result"]] = row["n"]
        order = {stage: i for i, stage in enumerate(stages)}
        reached.sort(key=lambda r: (order.get(r["stage"], len(order)), r["first"]))
        stage_counts = tuple(
            StageCount(
                stage=row["stage"],
                candidates=row["n"],
                passed=counts.get(row["stage"], {}).get("passed", 0),
                not_passed=counts.get(row["stage"], {}).get("not_passed", 0),
            )
            for row in reached
        )
        exchanges = {
            f"{direction}_{status}": n
            for direction, status, n in conn.execute(
                "SELECT direction, status, count(*) FROM exchanges GROUP BY direction, status"
            ).fetchall()
        }
        return Stats(total, statuses, stage_counts, exchanges)

    # ---- export

    def export_rows(self) -> Iterator[dict[str, Any]]:
        """Every exchange with the applicant's name, oldest first (topics/slots as lists)."""
        try:
            cursor = self.db.conn.execute(
                """
                SELECT e.id, e.candidate_id, c.name AS candidate_name, e.direction, e.kind,
                       e.stage, e.result, e.status, e.subject, e.body, e.topics, e.slots,
                       e.idempotency_key, e.message_date, e.created_at, e.sent_at
                FROM exchanges e JOIN candidates c ON c.id = e.candidate_id
                ORDER BY e.id
                """
            )
            names = [d[0] for d in cursor.description]
            for values in cursor:
                row = dict(zip(names, values, strict=True))
                row["topics"] = json.loads(row["topics"] or "[]")
                row["slots"] = json.loads(row["slots"] or "[]")
                yield row
        except sqlite3.Error as exc:
            raise self._as_log_error(exc) from None

    def write_export(self, fmt: str, out: IO[str]) -> int:
        """Stream the export to ``out`` as CSV (topics and slots as JSON text) or a JSON
        list; returns the number of exchanges written."""
        if fmt not in EXPORT_FORMATS:
            raise InputError(_("Unknown export format '{format}'.").format(format=fmt),
                             hint=_("Use csv or json."))
        count = 0
        if fmt == "csv":
            writer = csv.DictWriter(out, fieldnames=list(EXPORT_COLUMNS), lineterminator="\n")
            writer.writeheader()
            for row in self.export_rows():
                row["topics"] = json.dumps(row["topics"], ensure_ascii=False)
                row["slots"] = json.dumps(row["slots"])
                writer.writerow({key: spreadsheet_cell(value) for key, value in row.items()})
                count += 1
            return count
        out.write("[")
        for row in self.export_rows():
            out.write(",\n  " if count else "\n  ")
            out.write(json.dumps(row, ensure_ascii=False))
            count += 1
        out.write("\n]\n" if count else "]\n")
        return count

    def export(self, fmt: str) -> str:
        """The whole log as CSV or JSON text."""
        buffer = io.StringIO()
        self.write_export(fmt, buffer)
        return buffer.getvalue()

    # ---- retention

