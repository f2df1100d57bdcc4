"""The exchange log: every message to and from an applicant, in one SQLite database.

The library records, not the CLI, so another HR tool that imports kizuna logs through the same
functions (the ``llm`` pattern). The schema is a list of recorded migrations
(``sqlite_utils.migrations.Migrations``, set ``"kizuna"``) applied every time a log is opened;
the tables use plain column types and foreign keys so ``sqlite-utils`` and Datasette read them
without kizuna.

Ordering rules, in one place:

- ``timeline`` is in log order (oldest first, by exchange id).
- ``search`` returns the newest matches first (highest exchange id first).
- ``pending`` is oldest waiting applicant first.

Search index: ``exchanges_fts`` (FTS5, trigram) is current whenever a kizuna write returns.
Every write of exchanges indexes the rows it added in its own transaction, with one
``INSERT ... SELECT`` of the rows above the high-water mark (``_index_new``): for a batch that
is once per chunk, and a batch ran twice as fast as with an insert trigger per row. Datasette's
search box, ``sqlite-utils search`` and raw ``MATCH`` queries see every row kizuna recorded.
Rows another tool inserts are indexed by kizuna's next write or search; until then ``search``
matches them with LIKE. The bookkeeping is migrations m004 (the mark) and m005 (a declaration
sqlite-utils and Datasette recognise).

Concurrency: every write runs in one ``BEGIN IMMEDIATE`` transaction, so a second writer waits
for the busy timeout instead of failing half-way; a lock held longer than that becomes a
``LogError``. Other modules that write through ``Log.db`` should use ``Log.transaction()``.
The database file is only ever opened by SQLite (see ``_prepare_file``): closing a Python file
object on it would drop the POSIX locks of every connection in this process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import json
import os
import sqlite3
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from ..errors import InputError, LogError
from ..models import Candidate, Exchange, Message, Slot, Topic

if TYPE_CHECKING:
    import sqlite_utils


from ..i18n import _
from .records import (
    CandidateRecord,
)
from .rows import (
    _CANDIDATE_UPSERT,
    _EXCHANGE_INSERT,
    _INDEX_ABOVE_MARK,
    _MARK_ALL_INDEXED,
    DEFAULT_BUSY_TIMEOUT_MS,
    HISTORY_SQL,
    LAST_EXCHANGE_TIME,
    OUTBOUND_STATUSES,
    _candidate_from_row,
    _candidate_row,
    _describe,
    _exchange_from_row,
    _is_lock_error,
    _iso_jst,
    _message_from_row,
    _now_iso,
    _status_for,
    _translating,
)
from .schema import (
    migrations,
)

# --------------------------------------------------------------------------- the log


class LogCore:
    """An open exchange log. Use ``Log.open(path)``; close it, or use it as a context manager.

    ``db`` is the ``sqlite_utils.Database`` for modules that keep their own rows here (slot
    holds); they should write inside ``transaction()``.
    """

    def __init__(
        self,
        db: sqlite_utils.Database,
        path: Path | None,
        *,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        clock: Callable[[], str] | None = None,
    ) -> None:
        self.db = db
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self._clock = clock or _now_iso

    # ---- opening and closing

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        clock: Callable[[], str] | None = None,
    ) -> Self:
        """Open (creating if needed) the log at ``path`` and bring its schema up to date.

        A new file is created with mode 0600 before SQLite touches it, since it will hold
        applicants' personal data. A file that is not a SQLite database is refused and left
        untouched. ``":memory:"`` gives a private in-memory log.
        """
        import sqlite_utils

        if str(path) == ":memory:":
            conn = sqlite3.connect(":memory:", isolation_level=None)
            log_path: Path | None = None
        else:
            log_path = Path(path).expanduser()
            _prepare_file(log_path)
            try:
                conn = sqlite3.connect(
                    str(log_path), timeout=busy_timeout_ms / 1000, isolation_level=None
                )
            except sqlite3.Error as exc:
                raise LogError(_("Cannot open the log: {reason}").format(reason=_describe(exc)),
                               path=str(log_path)) from None
        db = sqlite_utils.Database(conn, execute_plugins=False)
        log = cls(db, log_path, busy_timeout_ms=busy_timeout_ms, clock=clock)
        # Opening is idempotent (the schema check and the migrations look before they write),
        # so a lock that outlasted the busy timeout while another process was opening or
        # writing the same new log is tried again, twice, before it is an error.
        for attempt in range(3):
            try:
                log._configure()
                log._migrate()
                break
            except sqlite3.Error as exc:
                if attempt < 2 and _is_lock_error(exc):
                    continue
                conn.close()
                raise log._as_log_error(exc) from None
            except LogError as exc:
                if attempt < 2 and "locked" in exc.message:
                    continue
                conn.close()
                raise
            except BaseException:
                conn.close()
                raise
        return log

    @classmethod
    def memory(cls, *, clock: Callable[[], str] | None = None) -> Self:
        """A private in-memory log (tests, one-off tools)."""
        return cls.open(":memory:", clock=clock)

    def _configure(self) -> None:
        conn = self.db.conn
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys = ON")
        # Reading the schema first makes a damaged file fail here, before any write.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()

    def _migrate(self) -> None:
        found = migrations()
        # Cheap read first: an up-to-date log takes no write lock at all.
        pending = found.pending(self.db)
        if pending:
            self._refuse_foreign_database()
        # WAL lets readers work while a batch writes; set after the check above, since it
        # changes the file's header.
        conn = self.db.conn
        if self.path is not None and conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        if not pending:
            return
        # The check and the migrations run under one write lock, so two processes opening a
        # fresh log at the same moment cannot both apply m001. A process that waited out the
        # busy timeout behind another one's migrations and writes looks again: if the other
        # process has brought the schema up to date meanwhile, there is nothing left to do.
        # Foreign keys are off while migrations run: a migration may rebuild a table that
        # others refer to (m006, SQLite's documented procedure), which the enforcement would
        # refuse half-way; the references are checked before the commit instead.
        conn.execute("PRAGMA foreign_keys = OFF")
        try:
            with self.transaction():
                found.apply(self.db)
                broken = conn.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise LogError(
                        _("Upgrading the log would leave {count} broken reference(s) (table "
                          "{table}); nothing was changed.").format(count=len(broken),
                                                                   table=broken[0][0]),
                        path=str(self.path) if self.path else None,
                    )
        except LogError:
            if found.pending(self.db):
                raise
        finally:
            conn.execute("PRAGMA foreign_keys = ON")

    def _refuse_foreign_database(self) -> None:
        """A database with tables but no kizuna migrations belongs to some other program."""
        applied = migrations().applied(self.db)
        tables = [t for t in self.db.table_names() if not t.startswith(("sqlite_", "_sqlite"))]
        if tables and not applied:
            raise LogError(
                _("This SQLite database belongs to another program (it has tables {tables} but "
                  "no kizuna schema); it was left untouched.").format(
                    tables=_(", ").join(sorted(tables)[:5])),
                path=str(self.path) if self.path else None,
                hint=_("Choose another file with --db or KIZUNA_DB."),
            )

    def close(self) -> None:
        """Close the connection."""
        self.db.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _as_log_error(self, exc: sqlite3.Error) -> LogError:
        where = str(self.path) if self.path else None
        if _is_lock_error(exc):
            seconds = self.busy_timeout_ms / 1000
            return LogError(
                _("The log is locked by another program; waited {seconds:g} s and gave up. "
                  "Nothing was written.").format(seconds=seconds),
                path=where,
                hint=_("Try again when the other kizuna command or database tool has finished."),
            )
        if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
            return LogError(
                _("This file is not a SQLite database (or is damaged); it was left untouched."),
                path=where,
                hint=_("Choose another file with --db or KIZUNA_DB."),
            )
        return LogError(_("The log could not be updated: {reason}").format(reason=_describe(exc)),
                        path=where)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """One write transaction (``BEGIN IMMEDIATE``); nested calls become savepoints.

        IMMEDIATE takes the write lock at the start, so a concurrent writer waits on the busy
        timeout instead of failing when its read lock would have to be upgraded.
        """
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield self.db
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._as_log_error(exc) from None
        try:
            yield self.db
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise self._as_log_error(exc) from None

    def _now(self) -> str:
        return self._clock()

    def _rows(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[dict[str, Any]]:
        cursor = self.db.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # ---- candidates

    @_translating
    def upsert_candidate(
        self,
        candidate: Candidate,
        *,
        position: str | None = None,
        stage: str | None = None,
        status: str | None = None,
    ) -> CandidateRecord:
        """Insert or update an applicant. ``None`` leaves a field as it is; a ``status`` given
        here is set as is (it may undo a decision, unlike the status a message implies)."""
        with self.transaction():
            self._upsert(candidate, position=position, stage=stage, status=status or "active",
                         force_status=status is not None)
        return self.get_candidate_record(candidate.id)

    def _upsert(
        self,
        candidate: Candidate,
        *,
        position: str | None,
        stage: str | None,
        status: str,
        force_status: bool,
    ) -> None:
        self.db.conn.execute(_CANDIDATE_UPSERT, _candidate_row(
            candidate, position, stage, status, force_status, self._now()
        ))

    @_translating
    def get_candidate(self, candidate_id: str) -> Candidate:
        """The applicant with this id; an unknown id is a LogError listing near matches."""
        return self.get_candidate_record(candidate_id).candidate

    @_translating
    def get_candidate_record(self, candidate_id: str) -> CandidateRecord:
        """The applicant with this id, with stage, status and activity."""
        rows = list(self._candidate_rows("WHERE c.id = ?", [candidate_id]))
        if not rows:
            raise self._unknown_candidate(candidate_id)
        return rows[0]

    @_translating
    def candidates(
        self, *, stage: str | None = None, status: str | None = None
    ) -> list[CandidateRecord]:
        """Every applicant, optionally only those at a stage or with a status, by id."""
        return list(self.iter_candidates(stage=stage, status=status))

    def iter_candidates(
        self,
        *,
        stage: str | None = None,
        status: str | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> Iterator[CandidateRecord]:
        """Applicants by id, one at a time, from the one after ``after`` (a page's last id),
        at most ``limit`` of them (all when None); optionally only those at a stage or with a
        status. Memory stays flat however many there are, and a page costs what it shows: each
        applicant's count and last activity are read from their own rows (exchanges_candidate),
        not from a pass over the whole log."""
        if limit is not None and limit < 0:
            raise InputError(_("The limit cannot be negative."), field="limit")
        clauses: list[str] = []
        params: list[Any] = []
        if stage is not None:
            clauses.append("c.stage = ?")
            params.append(stage)
        if status is not None:
            clauses.append("c.status = ?")
            params.append(status)
        if after is not None:
            clauses.append("c.id > ?")
            params.append(after)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        if limit is not None:
            where += " ORDER BY c.id LIMIT ?"
            params.append(limit)
        else:
            where += " ORDER BY c.id"
        try:
            yield from self._candidate_rows(where, params)
        except sqlite3.Error as exc:
            raise self._as_log_error(exc) from None

    def _candidate_rows(self, where: str, params: Sequence[Any]) -> Iterator[CandidateRecord]:
        cursor = self.db.conn.execute(
            f"""
            SELECT c.*,
                   (SELECT count(*) FROM exchanges e WHERE e.candidate_id = c.id) AS n_exchanges,
                   (SELECT max({LAST_EXCHANGE_TIME}) FROM exchanges e
                    WHERE e.candidate_id = c.id) AS last_activity
            FROM candidates c
            {where}
            """,
            params,
        )
        names = [d[0] for d in cursor.description]
        for values in cursor:
            row = dict(zip(names, values, strict=True))
            yield CandidateRecord(
                candidate=_candidate_from_row(row),
                position=row["position"],
                stage=row["stage"],
                status=row["status"],
                created_at=row["created_at"],
                updated_at=row["updated_at"],
                exchanges=row["n_exchanges"],
                last_activity=row["last_activity"],
            )

    def _unknown_candidate(self, candidate_id: str) -> LogError:
        known = self._rows("SELECT id, name FROM candidates ORDER BY id")
        names = {row["id"]: row["name"] for row in known}
        near = difflib.get_close_matches(candidate_id, list(names), n=5, cutoff=0.6)
        by_name = [i for i, name in names.items() if candidate_id and candidate_id in name]
        by_name += [
            i for name in difflib.get_close_matches(candidate_id, list(names.values()), n=5,
                                                    cutoff=0.5)
            for i, n in names.items() if n == name
        ]
        for i in by_name:
            if i not in near:
                near.append(i)
        if near:
            listed = _(", ").join(f"{i} ({names[i]})" for i in near[:5])
            hint = _("Did you mean: {names}?").format(names=listed)
        elif names:
            hint = _("`kizuna candidates` lists the applicants in the log.")
        else:
            hint = _("The log has no applicants yet.")
        return LogError(_("No applicant with id '{id}' in the log.").format(id=candidate_id),
                        hint=hint)

    # ---- recording

    @_translating
    def record_outbound(
        self,
        message: Message,
        *,
        status: str = "draft",
        idempotency_key: str | None = None,
        charset: str | None = None,
    ) -> Exchange:
        """Record a message to an applicant (and create or update the applicant).

        The same ``idempotency_key`` twice returns the exchange recorded the first time: the
        UNIQUE constraint decides, so two processes racing with one key still get one row.
        ``charset`` is the charset the draft was written in as email, if it was (``kizuna
        send`` sends it in that charset).
        """
        return self.record_outbound_many(
            [(message, idempotency_key)], status=status, charset=charset
        )[0]

    @_translating
    def record_outbound_many(
        self,
        items: Iterable[tuple[Message, str | None]],
        *,
        status: str = "draft",
        charset: str | None = None,
    ) -> list[Exchange]:
        """Record many messages in ONE transaction; all are recorded or none.

        Returns one Exchange per item, in order; an item whose key is already in the log (or
        earlier in ``items``) gets the existing exchange, and its applicant is left as is. A key
        already used for a different applicant is a LogError and nothing is recorded. Built for
        batch runs: the keys are looked up a few hundred per query, then one ``executemany``
        per table. The new rows are indexed for search in the same transaction
        (``_index_new``).
        """
        if status not in OUTBOUND_STATUSES:
            raise InputError(
                _("Unknown outbound status '{status}'.").format(status=status),
                hint=_("Use 'draft' or 'sent'."),
            )
        entries = list(items)
        if not entries:
            return []
        now = self._now()
        sent_at = now if status == "sent" else None
        conn = self.db.conn
        with self.transaction():
            # Under the write lock nobody else writes, so the keys looked up now stay true, and
            # each new row takes max(id) + 1: the ids are ``before`` + 1, + 2, ... in insert
            # order, known before inserting (checked below, never read back).
            existing = self._exchanges_by_keys([k for _, k in entries if k is not None])
            before = conn.execute("SELECT COALESCE(max(id), 0) FROM exchanges").fetchone()[0]
            next_id = before
            first: dict[str, int] = {}  # key -> index of its first new item in this batch
            results: list[Exchange] = []
            candidate_rows: list[tuple[Any, ...]] = []
            exchange_rows: list[tuple[Any, ...]] = []
            # A batch repeats the same few topic lists, slot lists and dates: each is converted
            # once per call, not once per row.
            topic_cache: dict[tuple[Topic, ...], tuple[str, tuple[str, ...]]] = {}
            slot_cache: dict[tuple[Slot, ...], str] = {(): "[]"}
            date_cache: dict[dt.date, str] = {}
            said_cache: dict[tuple[str, ...], str] = {(): "[]"}
            for index, (message, key) in enumerate(entries):
                candidate = message.candidate
                if key is not None:
                    done = existing.get(key)
                    if done is None and key in first:
                        done = results[first[key]]
                    if done is not None:
                        if done.candidate_id != candidate.id:
                            # A reused key would silently skip this applicant: refuse the
                            # whole batch.
                            raise LogError(
                                _("Idempotency key '{key}' is already used for applicant "
                                  "'{used_by}', not '{id}'. Nothing was recorded.").format(
                                    key=key, used_by=done.candidate_id, id=candidate.id),
                                hint=_("Each message needs its own key."),
                            )
                        results.append(done)
                        continue
                    first[key] = index
                candidate_rows.append(_candidate_row(
                    candidate, None, message.stage, _status_for(message), False, now,
                    message.language,
                ))
                topics = message.topics
                converted = topic_cache.get(topics)
                if converted is None:
                    converted = topic_cache[topics] = (
                        json.dumps([t.to_dict() for t in topics], ensure_ascii=False),
                        tuple(t.id for t in topics),
                    )
                slots = message.slots
                slots_json = slot_cache.get(slots)
                if slots_json is None:
                    slots_json = slot_cache[slots] = json.dumps([s.to_dict() for s in slots])
                day = message.date
                day_iso = date_cache.get(day)
                if day_iso is None:
                    day_iso = date_cache[day] = day.isoformat()
                said = message.said
                said_json = said_cache.get(said)
                if said_json is None:
                    said_json = said_cache[said] = json.dumps(list(said))
                exchange_rows.append((
                    candidate.id, "out", message.kind, message.stage, message.result,
                    message.subject, message.body, converted[0], slots_json, status, key,
                    day_iso, now, sent_at, charset, said_json, message.answers, message.language,
                ))
                next_id += 1
                results.append(Exchange(
                    id=next_id,
                    candidate_id=candidate.id,
                    direction="out",
                    kind=message.kind,
                    stage=message.stage,
                    subject=message.subject,
                    body=message.body,
                    status=status,
                    created_at=now,
                    topics=converted[1],
                    slots=tuple(slots),
                    idempotency_key=key,
                    sent_at=sent_at,
                    charset=charset,
                    said=said,
                    answers=message.answers,
                    result=message.result,
                    message_date=day_iso,
                    language=message.language,
                ))
            if exchange_rows:
                conn.executemany(_CANDIDATE_UPSERT, candidate_rows)
                inserted = conn.executemany(_EXCHANGE_INSERT, exchange_rows).rowcount
                top = conn.execute("SELECT max(id) FROM exchanges").fetchone()[0]
                if inserted != len(exchange_rows) or top != next_id:
                    raise LogError(_("The log changed while recording; nothing was recorded."),
                                   hint=_("Run the command again."))
                self._index_new()
        return results

    def _index_new(self) -> None:
        """Index the exchanges above the high-water mark and move it to the newest id.

        Called inside every write transaction that inserts exchanges, after the inserts: the
        index is current when the write commits, and one statement per transaction (a batch
        chunk) made a batch twice as fast as an insert trigger per row did. Rows another tool
        inserted above the mark since kizuna's last write are indexed here too.
        """
        conn = self.db.conn
        conn.execute(_INDEX_ABOVE_MARK)
        conn.execute(_MARK_ALL_INDEXED)

    def _exchanges_by_keys(self, keys: Sequence[str]) -> dict[str, Exchange]:
        """Existing exchanges for these idempotency keys, a few hundred keys per query."""
        found: dict[str, Exchange] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._rows(
                f"SELECT * FROM exchanges WHERE idempotency_key IN ({marks})", chunk
            ):
                found[row["idempotency_key"]] = _exchange_from_row(row)
        return found

    @_translating
    def logged_messages(
        self, keys: Sequence[str], candidates: Mapping[str, Candidate]
    ) -> dict[str, tuple[int, Message]]:
        """The messages recorded under these idempotency keys, as (exchange id, Message), for a
        run that finishes what an earlier one logged. ``candidates`` maps each key to the
        applicant as the caller has them (the log keeps only their id on the exchange)."""
        found: dict[str, tuple[int, Message]] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._rows(
                f"SELECT * FROM exchanges WHERE idempotency_key IN ({marks})", chunk
            ):
                key = row["idempotency_key"]
                found[key] = (row["id"], _message_from_row(row, candidates[key]))
        return found

    @_translating
    def topic_histories(self, candidate_ids: Sequence[str]) -> dict[str, set[str]]:
        """``topic_history`` for many applicants, a few hundred per query; applicants with no
        message yet (most of a first batch) are left out."""
        found: dict[str, set[str]] = {}
        unique = list(dict.fromkeys(candidate_ids))
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for cid, topic_id in self.db.conn.execute(HISTORY_SQL.format(marks=marks), chunk * 3):
                if topic_id is not None:
                    found.setdefault(cid, set()).add(topic_id)
        return found

    @_translating
    def candidate_languages(self, candidate_ids: Sequence[str]) -> dict[str, str]:
        """The language the log keeps for each of these applicants, when it is not Japanese
        (the usual case, left out), a few hundred per query."""
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(candidate_ids))
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for cid, language in self.db.conn.execute(
                f"SELECT id, language FROM candidates WHERE id IN ({marks}) AND language != 'ja'",
                chunk,
            ):
                found[cid] = language
        return found

    @staticmethod
    def inbound_key(candidate_id: str, text: str, received_at: dt.datetime) -> str:
        """The idempotency key of a reply with a known arrival time: the applicant, the time
        (to the second, in JST) and a hash of the text (line endings and surrounding blank
        space aside). Recording it again finds the first row."""
        import hashlib

        words = text.replace("\r\n", "\n").replace("\r", "\n").strip()
        digest = hashlib.sha256(words.encode("utf-8")).hexdigest()[:16]
        return f"reply:{candidate_id}:{_iso_jst(received_at)}:{digest}"

    @_translating
    def record_inbound(
        self,
        candidate_id: str,
        text: str,
        *,
        received_at: dt.datetime | None = None,
        subject: str = "",
        idempotency_key: str | None = None,
    ) -> Exchange:
        """Record what an applicant wrote. The applicant must already be in the log.

        ``received_at`` (default: now; naive means JST) is stored in ``sent_at``: the moment
        the applicant sent it, which ``pending`` compares with our answers. With a
        ``received_at`` and no ``idempotency_key``, the key is ``inbound_key(...)``: the same
        reply recorded again (same applicant, time and text) returns the first exchange. With
        no time given, every call records a new message.
        """
        if not text.strip():
            raise InputError(_("The reply text is empty."), hint=_("Give the applicant's message."))
        received = _iso_jst(received_at) if received_at is not None else self._now()
        if idempotency_key is None and received_at is not None:
            idempotency_key = self.inbound_key(candidate_id, text, received_at)
        conn = self.db.conn
        with self.transaction():
            row = conn.execute("SELECT stage FROM candidates WHERE id = ?", [candidate_id]).fetchone()
            if row is None:
                raise self._unknown_candidate(candidate_id)
            cursor = conn.execute(_EXCHANGE_INSERT, (
                candidate_id, "in", None, row[0], None, subject, text, "[]", "[]", "received",
                idempotency_key, received[:10], self._now(), received, None, "[]", None, None,
            ))
            if cursor.rowcount:
                exchange_id = cursor.lastrowid
                assert exchange_id is not None
                self._index_new()
                found = self._exchange(exchange_id)
            else:
                found = self._exchange_by_key(idempotency_key)
        if found.candidate_id != candidate_id:
            raise LogError(
                _("Idempotency key '{key}' was already used for applicant '{used_by}'.").format(
                    key=idempotency_key, used_by=found.candidate_id),
                hint=_("Each message needs its own key."),
            )
        return found

    @_translating
    def mark_sent(self, exchange_id: int, *, sent_at: dt.datetime | None = None) -> Exchange:
        """Mark a drafted message as sent (once: a second call keeps the first time)."""
        with self.transaction():
            found = self.get_exchange(exchange_id)
            if found.direction != "out":
                raise LogError(
                    _("Exchange {id} is a message from the applicant, not one to send.").format(
                        id=exchange_id)
                )
            if found.status == "sent":
                return found
            when = _iso_jst(sent_at) if sent_at is not None else self._now()
            self.db.conn.execute(
                "UPDATE exchanges SET status = 'sent', sent_at = ? WHERE id = ?", [when, exchange_id]
            )
            return self._exchange(exchange_id)

    # ---- reading

    @_translating
    def get_exchange(self, exchange_id: int) -> Exchange:
        """One exchange by id; unknown → LogError."""
        rows = self._rows("SELECT * FROM exchanges WHERE id = ?", [exchange_id])
        if not rows:
            raise LogError(
                _("No exchange with id {id} in the log.").format(id=exchange_id),
                hint=_("`kizuna log` lists the exchanges with their ids."),
            )
        return _exchange_from_row(rows[0])

    @_translating
    def outbound_messages(
        self, exchange_ids: Sequence[int] | None = None
    ) -> list[tuple[Exchange, Message]]:
        """Messages to applicants as recorded, each with its exchange, in log order: these
        exchanges (an unknown id, or a message from an applicant, is a LogError), or with None
        every unsent draft. The Message carries the applicant as the log knows them."""
        if exchange_ids is None:
            rows = self._rows(
                "SELECT * FROM exchanges WHERE direction = 'out' AND status = 'draft' ORDER BY id"
            )
        else:
            rows = []
            for exchange_id in exchange_ids:
                exchange = self.get_exchange(exchange_id)  # unknown → LogError
                if exchange.direction != "out":
                    raise LogError(
                        _("Exchange {id} is a message from the applicant, not a draft.").format(
                            id=exchange_id),
                        hint=_("`kizuna log` lists the exchanges; → marks messages to "
                               "applicants."),
                    )
                rows += self._rows("SELECT * FROM exchanges WHERE id = ?", [exchange_id])
        people: dict[str, Candidate] = {}
        found: list[tuple[Exchange, Message]] = []
        for row in rows:
            cid = row["candidate_id"]
            if cid not in people:
                people[cid] = self.get_candidate(cid)
            found.append((_exchange_from_row(row), _message_from_row(row, people[cid])))
        return found

    @_translating
    def applicant_names(self) -> dict[str, str]:
        """Every applicant's name, by id."""
        return {row[0]: row[1] for row in self.db.conn.execute("SELECT id, name FROM candidates")}

    def _exchange(self, exchange_id: int) -> Exchange:
        return _exchange_from_row(self._rows("SELECT * FROM exchanges WHERE id = ?",
                                             [exchange_id])[0])

    @_translating
    def has_key(self, idempotency_key: str) -> bool:
        """Whether an exchange was recorded under this idempotency key."""
        return self.db.conn.execute(
            "SELECT 1 FROM exchanges WHERE idempotency_key = ?", [idempotency_key]
        ).fetchone() is not None

    @_translating
    def exchange_with_key(self, idempotency_key: str) -> Exchange:
        """The exchange recorded under this idempotency key; none is a LogError."""
        if not self.has_key(idempotency_key):
            raise LogError(_("No exchange was recorded under the key '{key}'.").format(key=idempotency_key))
        return self._exchange_by_key(idempotency_key)

    def _exchange_by_key(self, key: str | None) -> Exchange:
        return _exchange_from_row(self._rows("SELECT * FROM exchanges WHERE idempotency_key = ?",
                                             [key])[0])

    @_translating
    def timeline(self, candidate_id: str | None = None) -> list[Exchange]:
        """Exchanges in log order, oldest first; for one applicant (unknown → LogError)."""
        if candidate_id is None:
            rows = self._rows("SELECT * FROM exchanges ORDER BY id")
        else:
            rows = self._rows(
                "SELECT * FROM exchanges WHERE candidate_id = ? ORDER BY id", [candidate_id]
            )
            if not rows:
                self.get_candidate(candidate_id)  # unknown applicant → near matches
        return [_exchange_from_row(row) for row in rows]

    @_translating
    def topic_history(self, candidate_id: str) -> set[str]:
        """What this applicant already read (drafts included): the ids of the topics used in
        messages to them, ``said:<id>`` for each statement made, and ``told:<stage>:<result>``
        for each result they were told (``HISTORY_SQL``)."""
        return self.topic_histories([candidate_id]).get(candidate_id, set())


def _prepare_file(path: Path) -> None:
    """Create the folder and a new 0600 file; an existing file is left for SQLite to check.

    An existing file is never opened here, not even to read its header: closing any file
    descriptor on a database drops every POSIX lock this process holds on it, including those
    of another ``Log`` already open on the same file, and another process could then
    checkpoint and delete the WAL under that connection (SQLite's documented POSIX advisory
    locks problem). SQLite itself reports a file that is not a database ("file is not a
    database") on the first read, before anything is written, and ``Log.open`` turns that into
    a ``LogError`` with the file untouched.
    """
    if path.is_dir():
        raise LogError(_("This is a folder, not a database file."), path=str(path),
                       hint=_("Give a file name such as kizuna.db."))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LogError(_("Cannot create the log's folder: {reason}.").format(reason=exc.strerror),
                       path=str(path.parent)) from None
    try:
        # Created here, before SQLite opens it, so it is never readable by others; SQLite gives
        # the -wal and -shm files the same mode. O_EXCL: an existing file is not opened at all.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if not os.access(path, os.R_OK):
            raise LogError(_("Cannot read the log: permission denied."), path=str(path)) from None
        info = path.stat()
        if stat.S_ISREG(info.st_mode) and info.st_size == 0 and stat.S_IMODE(info.st_mode) & 0o077:
            # An empty file made beforehand (`touch kizuna.db`) is about to hold applicants'
            # data: it gets the mode a new log has. chmod works on the path, opening nothing.
            os.chmod(path, 0o600)
        return
    except OSError as exc:
        raise LogError(_("Cannot create the log: {reason}.").format(reason=exc.strerror),
                       path=str(path)) from None
    # Closing is safe: no connection has had a chance to lock a file created a moment ago.
    os.close(fd)
