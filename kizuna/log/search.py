"""Searching the log: the full-text index (FTS5 trigram) and LIKE for short words."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from ..errors import InputError, LogError
from ..models import Exchange

if TYPE_CHECKING:

    pass

from .core import LogCore
from .rows import (
    _LIKE_EITHER,
    _MARK_ALL_INDEXED,
    _UNINDEXED_COUNT,
    _exchange_from_row,
    _like_pattern,
    _translating,
)


class SearchMixin(LogCore):
    """Searching the log."""

    @_translating
    def refresh_search_index(self) -> int:
        """Index the exchanges the index lacks; returns how many were indexed.

        kizuna's own writes index their rows as they commit, so this finds only rows another
        tool inserted (above the mark, or with an explicit id below it). ``search`` calls it
        first. An up-to-date index costs one read and takes no write lock.
        """
        conn = self.db.conn
        if not conn.execute(_UNINDEXED_COUNT).fetchone()[0]:
            return 0
        with self.transaction():
            # The mark is read under the write lock: another process may have just indexed.
            mark = conn.execute("SELECT indexed_upto FROM _kizuna_fts_state").fetchone()[0]
            count = conn.execute(
                "INSERT INTO exchanges_fts (rowid, subject, body) "
                "SELECT id, subject, body FROM exchanges WHERE id > ?", [mark]
            ).rowcount
            if conn.execute(_UNINDEXED_COUNT).fetchone()[0]:
                # Rows another tool inserted with an explicit id below the mark: rare, and
                # found only by reading every row, so only when the counts say so.
                count += conn.execute(
                    "INSERT INTO exchanges_fts (rowid, subject, body) "
                    "SELECT id, subject, body FROM exchanges e WHERE id <= ? AND NOT EXISTS "
                    "(SELECT 1 FROM exchanges_fts_docsize d WHERE d.id = e.id)", [mark]
                ).rowcount
            conn.execute(_MARK_ALL_INDEXED)
        return count

    @_translating
    def search(
        self, text: str, *, candidate_id: str | None = None, limit: int | None = None
    ) -> list[Exchange]:
        """Exchanges whose subject or body contains every word of ``text``, newest first.

        Words of three characters or more use the trigram full-text index; one- and
        two-character words (面接, 北上, 2番) are matched as substrings with LIKE, since a
        trigram index cannot hold them.

        The index is first brought up to date (``refresh_search_index``). If that cannot be
        done now (the file is read-only, or another program holds the write lock past the busy
        timeout), the exchanges not indexed yet are matched with LIKE instead, so the answer
        is complete either way.
        """
        words = text.split()
        if not words:
            raise InputError("The search text is empty.")
        with contextlib.suppress(LogError):
            self.refresh_search_index()
        clauses: list[str] = []
        params: list[Any] = []
        long_words = [w for w in words if len(w) >= 3]
        if long_words:
            query = " ".join('"' + w.replace('"', '""') + '"' for w in long_words)
            tail = " AND ".join([f"({_LIKE_EITHER})"] * len(long_words))
            clauses.append(
                "e.id IN (SELECT rowid FROM exchanges_fts WHERE exchanges_fts MATCH ? "
                "UNION ALL SELECT id FROM exchanges "
                f"WHERE id > (SELECT indexed_upto FROM _kizuna_fts_state) AND {tail})"
            )
            params.append(query)
            for word in long_words:
                params += [_like_pattern(word)] * 2
        for word in words:
            if len(word) < 3:
                clauses.append(f"({_LIKE_EITHER})")
                params += [_like_pattern(word)] * 2
        if candidate_id is not None:
            clauses.append("e.candidate_id = ?")
            params.append(candidate_id)
        sql = f"SELECT e.* FROM exchanges e WHERE {' AND '.join(clauses)} ORDER BY e.id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_exchange_from_row(row) for row in self._rows(sql, params)]

