"""Retention: deleting applicants everywhere, the search index and free pages included."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..models import JST

if TYPE_CHECKING:

    pass

from ..i18n import _
from .core import LogCore
from .records import (
    PurgeReport,
)
from .rows import (
    _MARK_ALL_INDEXED,
    LAST_EXCHANGE_TIME,
    _is_lock_error,
    _translating,
)


class RetentionMixin(LogCore):
    """Retention."""

    @_translating
    def purge(
        self,
        before: dt.date | None = None,
        candidate_id: str | Sequence[str] | None = None,
        expired_days: int | None = None,
        *,
        today: dt.date | None = None,
        dry_run: bool = False,
    ) -> PurgeReport:
        """Delete applicants and everything about them, leaving no readable remnant.

        Exactly one selector: ``before`` removes applicants whose last activity (latest
        exchange, or their creation if none) was before that date; ``expired_days`` is the
        same with ``today - N days``; ``candidate_id`` removes one applicant, or each of a
        list of them (one merge of the search index for all: a hundred cost about as much as
        one). Rows go from
        every table and the search index, with ``secure_delete`` on, which overwrites deleted
        content and freed pages with zeros; the search index is merged without them; the WAL is
        then checkpointed and truncated, so neither file holds the deleted text. The file is
        not vacuumed (a rewrite of the whole log for each purge): it keeps its size, its free
        pages zeroed, and later writes reuse them.
        """
        chosen = [x is not None for x in (before, candidate_id, expired_days)]
        if sum(chosen) != 1:
            raise InputError(_("Give exactly one of before, candidate_id or expired_days."))
        if expired_days is not None:
            if expired_days < 0:
                raise InputError(_("expired_days must be zero or more."))
            before = (today or dt.datetime.now(JST).date()) - dt.timedelta(days=expired_days)
        conn = self.db.conn
        chosen_ids: list[str] = []
        if candidate_id is not None:
            chosen_ids = [candidate_id] if isinstance(candidate_id, str) else list(dict.fromkeys(candidate_id))
            if not chosen_ids:
                raise InputError(_("Give at least one applicant id to purge."))
            for one in chosen_ids:
                self.get_candidate(one)  # unknown → near matches
            selected = ""
            params: list[Any] = []
        else:
            assert before is not None
            selected = f"""
                SELECT c.id FROM candidates c LEFT JOIN exchanges e ON e.candidate_id = c.id
                GROUP BY c.id
                HAVING substr(COALESCE(max({LAST_EXCHANGE_TIME}), c.created_at), 1, 10) < ?
            """
            params = [before.isoformat()]
        conn.execute("PRAGMA secure_delete = ON")
        with self.transaction():
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS purge_ids (id TEXT PRIMARY KEY)")
            conn.execute("DELETE FROM purge_ids")
            if chosen_ids:
                conn.executemany("INSERT INTO purge_ids (id) VALUES (?)", [(i,) for i in chosen_ids])
            else:
                conn.execute(f"INSERT INTO purge_ids (id) {selected}", params)
            ids = tuple(r[0] for r in conn.execute("SELECT id FROM purge_ids ORDER BY id"))
            names = tuple(r[0] for r in conn.execute(
                "SELECT name FROM candidates WHERE id IN (SELECT id FROM purge_ids)"
            ))
            n_holds = conn.execute(
                "SELECT count(*) FROM slot_holds WHERE candidate_id IN (SELECT id FROM purge_ids)"
            ).fetchone()[0]
            n_exchanges = conn.execute(
                "SELECT count(*) FROM exchanges WHERE candidate_id IN (SELECT id FROM purge_ids)"
            ).fetchone()[0]
            if not dry_run and ids:
                for table in ("slot_holds", "exchanges", "candidates"):
                    column = "id" if table == "candidates" else "candidate_id"
                    conn.execute(
                        f"DELETE FROM {table} WHERE {column} IN (SELECT id FROM purge_ids)"
                    )
                # The delete triggers only add tombstones to the search index: its segments
                # still hold the deleted text's trigrams until they are merged. Rows above the
                # high-water mark are indexed first (their own cost), then 'optimize' merges
                # the segments into one without the deleted rows: it reads the index, not every
                # exchange's text again as 'rebuild' did (4.5x faster), and secure_delete zeroes
                # the pages the old segments leave.
                self._index_new()
                conn.execute("INSERT INTO exchanges_fts(exchanges_fts) VALUES ('optimize')")
                conn.execute(_MARK_ALL_INDEXED)
            conn.execute("DROP TABLE purge_ids")
        wal_cleared = True
        if not dry_run and ids:
            # The checkpoint copies the zeroed pages into the file and truncates the WAL, which
            # held the old pages, to nothing.
            try:
                if self.path is not None:
                    busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                    wal_cleared = busy == 0
            except sqlite3.OperationalError as exc:
                # The rows are gone and secure_delete zeroed them; only the compaction waits.
                if not _is_lock_error(exc):
                    raise
                wal_cleared = False
        return PurgeReport(
            candidates=ids, exchanges=n_exchanges, holds=n_holds, dry_run=dry_run,
            wal_cleared=wal_cleared, names=names,
        )


