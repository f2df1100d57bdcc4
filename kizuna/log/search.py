"""Searching the log: the full-text index (FTS5 trigram) and LIKE for short words."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ..errors import InputError, LogError
from ..i18n import _
from ..models import Exchange
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
        """Exchanges whose subject or body contains every word of ``text``, newest first, at
        most ``limit`` of them (all when None); see ``iter_search``."""
        return list(self.iter_search(text, candidate_id=candidate_id, limit=limit))

    def iter_search(
        self, text: str, *, candidate_id: str | None = None, limit: int | None = None
    ) -> Iterator[Exchange]:
        """Exchanges whose subject or body contains every word of ``text``, newest first,
        one at a time: memory stays flat however many match, and a ``limit`` stops early.

        Words of three characters or more use the trigram full-text index, walked newest
        first (FTS5 reads its lists backwards, so no sort of all matches is needed); one- and
        two-character words (面接, 北上, 2番) are matched as substrings with LIKE on the rows
        the index yields, or on the newest rows first when every word is short.

        The index is first brought up to date (``refresh_search_index``). If that cannot be
        done now (the file is read-only, or another program holds the write lock past the busy
        timeout), the exchanges not indexed yet are matched with LIKE instead, so the answer
        is complete either way.
        """
        words = text.split()
        if not words:
            raise InputError(_("The search text is empty."))
        if limit is not None and limit < 0:
            raise InputError(_("The limit cannot be negative."), field="limit")
        with contextlib.suppress(LogError):
            self.refresh_search_index()
        long_words = [w for w in words if len(w) >= 3]
        filters: list[str] = []
        params: list[Any] = []
        for word in words if not long_words else [w for w in words if len(w) < 3]:
            filters.append(f"({_LIKE_EITHER})")
            params += [_like_pattern(word)] * 2
        if candidate_id is not None:
            filters.append("e.candidate_id = ?")
            params.append(candidate_id)
        queries: list[tuple[str, list[Any]]] = []
        if long_words:
            match = " ".join('"' + w.replace('"', '""') + '"' for w in long_words)
            likes = [f"({_LIKE_EITHER})"] * len(long_words)
            like_params = [p for w in long_words for p in [_like_pattern(w)] * 2]
            mark = self.db.conn.execute("SELECT indexed_upto FROM _kizuna_fts_state").fetchone()[0]
            # Rows above the mark are not in the index yet (only when the refresh could not
            # run): they are the newest, so they come first.
            queries.append((
                "SELECT e.* FROM exchanges e WHERE e.id > ? AND "
                + " AND ".join(likes + filters) + " ORDER BY e.id DESC",
                [mark, *like_params, *params],
            ))
            queries.append((
                "SELECT e.* FROM exchanges_fts JOIN exchanges e ON e.id = exchanges_fts.rowid "
                "WHERE exchanges_fts MATCH ? AND exchanges_fts.rowid <= ?"
                + "".join(f" AND {f}" for f in filters)
                + " ORDER BY exchanges_fts.rowid DESC",
                [match, mark, *params],
            ))
        else:
            queries.append((
                "SELECT e.* FROM exchanges e WHERE " + " AND ".join(filters) + " ORDER BY e.id DESC",
                params,
            ))
        left = limit
        for sql, values in queries:
            if left == 0:
                return
            if left is not None:
                sql += f" LIMIT {int(left)}"
            cursor = self.db.conn.execute(sql, values)
            names = [d[0] for d in cursor.description]
            for row in cursor:
                yield _exchange_from_row(dict(zip(names, row, strict=True)))
                if left is not None:
                    left -= 1
