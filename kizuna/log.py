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
import csv
import datetime as dt
import difflib
import functools
import io
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ParamSpec, TypeVar

from .errors import InputError, LogError
from .models import JST, Candidate, Exchange, Message, Slot, Topic

if TYPE_CHECKING:
    import sqlite_utils
    from sqlite_utils.migrations import Migrations

    from .calendar import OfficeCalendar

__all__ = [
    "CandidateRecord",
    "DEFAULT_BUSY_TIMEOUT_MS",
    "Log",
    "PurgeReport",
    "StageCount",
    "Stats",
    "Waiting",
    "migrations",
]

DEFAULT_BUSY_TIMEOUT_MS = 5000
MIGRATION_SET = "kizuna"

# Statuses that a later, ordinary message must not overwrite: the decision stands.
DECIDED_STATUSES = ("not_passed", "final_passed", "withdrawn")
OUTBOUND_STATUSES = ("draft", "sent")
EXPORT_FORMATS = ("csv", "json")
EXPORT_COLUMNS = (
    "id", "candidate_id", "candidate_name", "direction", "kind", "stage", "result", "status",
    "subject", "body", "topics", "slots", "idempotency_key", "message_date", "created_at",
    "sent_at",
)
# SQLite's expression for "now" as ISO 8601 in JST, for column defaults (other writers such as
# Datasette or sqlite-utils inserts then still get well-formed timestamps).
NOW_JST_SQL = "(strftime('%Y-%m-%dT%H:%M:%S+09:00', 'now', '+9 hours'))"

# When an exchange last happened: recorded, or sent/received if that is later.
LAST_EXCHANGE_TIME = (
    "CASE WHEN e.sent_at > e.created_at THEN e.sent_at ELSE e.created_at END"
)

P = ParamSpec("P")
R = TypeVar("R")


# --------------------------------------------------------------------------- migrations


def _m001_initial(db: sqlite_utils.Database) -> None:
    """Candidates, exchanges and slot holds, as in the first release."""
    db.execute(
        f"""
        CREATE TABLE candidates (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kana TEXT NOT NULL DEFAULT '',
            email TEXT NOT NULL DEFAULT '',
            timezone TEXT NOT NULL DEFAULT 'Asia/Tokyo',
            position TEXT,
            stage TEXT,
            status TEXT NOT NULL DEFAULT 'active',
            extra TEXT NOT NULL DEFAULT '{{}}',
            created_at TEXT NOT NULL DEFAULT {NOW_JST_SQL},
            updated_at TEXT NOT NULL DEFAULT {NOW_JST_SQL}
        )
        """
    )
    db.execute(
        f"""
        CREATE TABLE exchanges (
            id INTEGER PRIMARY KEY,
            candidate_id TEXT NOT NULL REFERENCES candidates(id),
            direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),
            kind TEXT,
            stage TEXT,
            result TEXT,
            subject TEXT NOT NULL DEFAULT '',
            body TEXT NOT NULL DEFAULT '',
            topics TEXT NOT NULL DEFAULT '[]',
            slots TEXT NOT NULL DEFAULT '[]',
            status TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'received')),
            idempotency_key TEXT UNIQUE,
            message_date TEXT,
            created_at TEXT NOT NULL DEFAULT {NOW_JST_SQL},
            sent_at TEXT
        )
        """
    )
    db.execute("CREATE INDEX exchanges_candidate ON exchanges(candidate_id, id)")
    db.execute(
        f"""
        CREATE TABLE slot_holds (
            id INTEGER PRIMARY KEY,
            candidate_id TEXT NOT NULL REFERENCES candidates(id),
            start TEXT NOT NULL,
            "end" TEXT NOT NULL,
            number INTEGER,
            status TEXT NOT NULL DEFAULT 'held',
            offered_in INTEGER REFERENCES exchanges(id),
            held_until TEXT,
            created_at TEXT NOT NULL DEFAULT {NOW_JST_SQL},
            updated_at TEXT NOT NULL DEFAULT {NOW_JST_SQL}
        )
        """
    )
    db.execute("CREATE INDEX slot_holds_candidate ON slot_holds(candidate_id)")
    # A slot can never be booked twice, whoever writes the row.
    db.execute(
        "CREATE UNIQUE INDEX slot_holds_one_booking ON slot_holds(start) WHERE status = 'booked'"
    )


def _m002_search(db: sqlite_utils.Database) -> None:
    """Full-text search over subject and body.

    FTS5's default tokenizer does not split Japanese; the trigram tokenizer indexes every
    three-character sequence, so any substring of three characters or more is found. Shorter
    words are matched with LIKE by ``Log.search``. The index is an external-content table kept
    in step by triggers, so rows written by other tools are indexed too; it is named
    ``exchanges_fts`` as sqlite-utils and Datasette expect.
    """
    db.execute(
        "CREATE VIRTUAL TABLE exchanges_fts USING fts5("
        "subject, body, content='exchanges', content_rowid='id', tokenize='trigram')"
    )
    # While a row is in this table the insert trigger stands aside: Log.record_outbound_many
    # sets it inside its own transaction and indexes all its rows with one INSERT ... SELECT,
    # which measured about 2.5 times faster than a trigger per row. No other connection can
    # ever see the row, so writes by other tools are always indexed by the trigger.
    db.execute("CREATE TABLE _kizuna_fts_deferred (flag INTEGER)")
    db.execute(
        """
        CREATE TRIGGER exchanges_fts_ai AFTER INSERT ON exchanges
        WHEN NOT EXISTS (SELECT 1 FROM _kizuna_fts_deferred) BEGIN
            INSERT INTO exchanges_fts(rowid, subject, body) VALUES (new.id, new.subject, new.body);
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER exchanges_fts_ad AFTER DELETE ON exchanges BEGIN
            INSERT INTO exchanges_fts(exchanges_fts, rowid, subject, body)
            VALUES ('delete', old.id, old.subject, old.body);
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER exchanges_fts_au AFTER UPDATE OF subject, body ON exchanges BEGIN
            INSERT INTO exchanges_fts(exchanges_fts, rowid, subject, body)
            VALUES ('delete', old.id, old.subject, old.body);
            INSERT INTO exchanges_fts(rowid, subject, body) VALUES (new.id, new.subject, new.body);
        END
        """
    )
    # Index what a database upgraded from m001 already holds.
    db.execute("INSERT INTO exchanges_fts(exchanges_fts) VALUES ('rebuild')")


def _m003_activity_index(db: sqlite_utils.Database) -> None:
    """Pending and purge look up exchanges by direction and time."""
    db.execute("CREATE INDEX exchanges_direction ON exchanges(direction, candidate_id, sent_at)")


def _m004_lazy_search(db: sqlite_utils.Database) -> None:
    """Index new exchanges when someone searches, not when they are recorded.

    Trigram indexing was more than half of the cost of recording a message, paid for every row
    of a batch although most logs are searched rarely. ``_kizuna_fts_state`` holds one row,
    ``indexed_upto``, the high-water mark: exchanges above it are not indexed yet, and
    ``Log.refresh_search_index`` (called by ``Log.search``) indexes them in one statement and
    moves the mark to the newest id. There is no insert trigger, so recording a row costs
    nothing extra; the triggers left keep the indexed part exact:

    - delete and update remove a row from the index only if it is there (its id is in
      ``exchanges_fts_docsize``): an FTS5 'delete' of a row that was never indexed would
      damage the index;
    - an update re-indexes the row at once if its (new) id is at or below the mark;
    - a delete (or an id change) that leaves the newest id below the mark lowers the mark to
      it, so the ids SQLite gives the next rows (newest + 1) are above the mark again.

    A row another tool inserts with an explicit id below the mark is found by the next
    refresh, which compares the row count with the index's.

    ``_kizuna_fts_deferred`` (m002's switch for batch inserts) is dropped: nothing needs it
    now, and a kizuna too old to know m004 then fails loudly instead of indexing rows twice.
    """
    for trigger in ("exchanges_fts_ai", "exchanges_fts_ad", "exchanges_fts_au"):
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    db.execute("DROP TABLE IF EXISTS _kizuna_fts_deferred")
    db.execute("CREATE TABLE _kizuna_fts_state (indexed_upto INTEGER NOT NULL)")
    # m002 indexed every row the log held and its trigger (or the batch's own statement) every
    # row since, so the whole log is indexed now.
    db.execute(
        "INSERT INTO _kizuna_fts_state (indexed_upto) SELECT COALESCE(max(id), 0) FROM exchanges"
    )
    unindex_old = """
        INSERT INTO exchanges_fts(exchanges_fts, rowid, subject, body)
        SELECT 'delete', old.id, old.subject, old.body
        WHERE EXISTS (SELECT 1 FROM exchanges_fts_docsize WHERE id = old.id);
    """
    lower_mark = """
        UPDATE _kizuna_fts_state SET indexed_upto = (SELECT COALESCE(max(id), 0) FROM exchanges)
        WHERE indexed_upto > (SELECT COALESCE(max(id), 0) FROM exchanges);
    """
    db.execute(
        f"""
        CREATE TRIGGER exchanges_fts_ad AFTER DELETE ON exchanges BEGIN
            {unindex_old}
            {lower_mark}
        END
        """
    )
    db.execute(
        f"""
        CREATE TRIGGER exchanges_fts_au AFTER UPDATE OF id, subject, body ON exchanges BEGIN
            {unindex_old}
            INSERT INTO exchanges_fts(rowid, subject, body)
            SELECT new.id, new.subject, new.body
            WHERE new.id <= (SELECT indexed_upto FROM _kizuna_fts_state);
            {lower_mark}
        END
        """
    )


def _m005_eager_search(db: sqlite_utils.Database) -> None:
    """Recreate the search index so that sqlite-utils and Datasette find it, and fill it.

    Both find a table's index by the virtual table's SQL naming it as ``content="exchanges"``
    or ``content=[exchanges]``; m002 wrote ``content='exchanges'``, which neither matches, so
    Datasette showed no search box. The columns, the trigram tokenizer and the rowid mapping are
    as before. The rebuild indexes every exchange, including those m004 had not indexed yet,
    so the high-water mark moves to the newest id; from now on each write indexes its own rows
    (``Log._index_new``). m004's delete and update triggers name the index and its
    ``exchanges_fts_docsize`` table, so they work unchanged on the recreated table.

    ``automerge`` 16 (FTS5's default is 4): each write transaction adds a small segment, and
    FTS5 merges segments once that many of one size have gathered. Merging at 16 made a
    100,000-row batch 30-40 % faster than at 4, and searches measured as fast.
    """
    db.execute("DROP TABLE exchanges_fts")
    db.execute(
        'CREATE VIRTUAL TABLE exchanges_fts USING fts5(subject, body, content="exchanges", '
        "content_rowid='id', tokenize='trigram')"
    )
    db.execute("INSERT INTO exchanges_fts(exchanges_fts, rank) VALUES ('automerge', 16)")
    db.execute("INSERT INTO exchanges_fts(exchanges_fts) VALUES ('rebuild')")
    db.execute(
        "UPDATE _kizuna_fts_state SET indexed_upto = (SELECT COALESCE(max(id), 0) FROM exchanges)"
    )


_MIGRATION_FUNCTIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _m001_initial,
    _m002_search,
    _m003_activity_index,
    _m004_lazy_search,
    _m005_eager_search,
)


@functools.cache
def migrations() -> Migrations:
    """The ordered migration set. Never edit an applied migration: add the next one."""
    from sqlite_utils.migrations import Migrations

    found = Migrations(MIGRATION_SET)
    for fn in _MIGRATION_FUNCTIONS:
        # Recorded as m001_initial, m002_search, ...: the name is the contract, not the function.
        found(name=fn.__name__.lstrip("_"))(fn)
    return found


# --------------------------------------------------------------------------- result types


@dataclass(frozen=True)
class CandidateRecord:
    """An applicant as the log knows them: the Candidate plus where they are in the process."""

    candidate: Candidate
    position: str | None
    stage: str | None
    status: str
    created_at: str
    updated_at: str
    exchanges: int = 0
    last_activity: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = self.candidate.to_dict()
        data.update(
            position=self.position,
            stage=self.stage,
            status=self.status,
            created_at=self.created_at,
            updated_at=self.updated_at,
            exchanges=self.exchanges,
            last_activity=self.last_activity,
        )
        return data


@dataclass(frozen=True)
class Waiting:
    """An applicant whose latest message has not been answered yet."""

    candidate_id: str
    name: str
    exchange_id: int
    received_at: str
    business_days: int
    draft_ready: bool

    @property
    def received_on(self) -> dt.date:
        return dt.datetime.fromisoformat(self.received_at).astimezone(JST).date()

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidate_id": self.candidate_id,
            "name": self.name,
            "exchange_id": self.exchange_id,
            "received_at": self.received_at,
            "business_days": self.business_days,
            "draft_ready": self.draft_ready,
        }


@dataclass(frozen=True)
class StageCount:
    """How many applicants reached a stage, and the results decided there."""

    stage: str | None
    candidates: int
    passed: int
    not_passed: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "candidates": self.candidates,
            "passed": self.passed,
            "not_passed": self.not_passed,
        }


@dataclass(frozen=True)
class Stats:
    """The selection funnel: applicants, their statuses, and results per stage."""

    candidates: int
    statuses: Mapping[str, int]
    stages: tuple[StageCount, ...]
    exchanges: Mapping[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidates": self.candidates,
            "statuses": dict(self.statuses),
            "stages": [s.to_dict() for s in self.stages],
            "exchanges": dict(self.exchanges),
        }


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removed (or, with ``dry_run``, would remove)."""

    candidates: tuple[str, ...]
    exchanges: int
    holds: int
    dry_run: bool = False
    # False when another connection kept the file from being vacuumed or the WAL from being
    # emptied: old page images may remain in the -wal file until the next checkpoint.
    wal_cleared: bool = True
    names: tuple[str, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidates": list(self.candidates),
            "exchanges": self.exchanges,
            "holds": self.holds,
            "dry_run": self.dry_run,
            "wal_cleared": self.wal_cleared,
        }


# --------------------------------------------------------------------------- helpers


def _now_iso() -> str:
    return dt.datetime.now(JST).isoformat(timespec="seconds")


def _iso_jst(value: dt.datetime) -> str:
    """ISO 8601 with +09:00; a naive datetime is taken to be JST already."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=JST)
    return value.astimezone(JST).isoformat(timespec="seconds")


def _is_lock_error(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _describe(exc: sqlite3.Error) -> str:
    return str(exc).rstrip(".") + "."


def _translating(method: Callable[P, R]) -> Callable[P, R]:
    """Turn sqlite3 errors raised inside a Log method into one-paragraph LogErrors."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            log = args[0]
            assert isinstance(log, Log)
            raise log._as_log_error(exc) from exc

    return wrapper


def _exchange_from_row(row: Mapping[str, Any]) -> Exchange:
    topics = json.loads(row["topics"] or "[]")
    slots = json.loads(row["slots"] or "[]")
    return Exchange(
        id=row["id"],
        candidate_id=row["candidate_id"],
        direction=row["direction"],
        kind=row["kind"],
        stage=row["stage"],
        subject=row["subject"],
        body=row["body"],
        status=row["status"],
        created_at=row["created_at"],
        topics=tuple(t["id"] if isinstance(t, Mapping) else str(t) for t in topics),
        slots=tuple(Slot.from_dict(s) for s in slots),
        idempotency_key=row["idempotency_key"],
        sent_at=row["sent_at"],
    )


def _message_from_row(row: Mapping[str, Any], candidate: Candidate) -> Message:
    """A logged outbound exchange as the Message that was recorded."""
    topics = tuple(
        Topic(id=str(t["id"]), source=t.get("source", "season"), role=t.get("role", "opening"),
              tone=t.get("tone", "neutral"), text=str(t.get("text", "")))
        for t in json.loads(row["topics"] or "[]") if isinstance(t, Mapping) and "id" in t
    )
    slots = tuple(Slot.from_dict(s) for s in json.loads(row["slots"] or "[]") if isinstance(s, Mapping))
    day = row["message_date"] or row["created_at"] or ""
    return Message(
        kind=row["kind"] or "", candidate=candidate, date=dt.date.fromisoformat(str(day)[:10]),
        subject=row["subject"] or "", body=row["body"] or "", result=row["result"],
        stage=row["stage"], topics=topics, slots=slots,
    )


def _candidate_from_row(row: Mapping[str, Any]) -> Candidate:
    return Candidate(
        id=row["id"],
        name=row["name"],
        kana=row["kana"] or "",
        email=row["email"] or "",
        timezone=row["timezone"] or "Asia/Tokyo",
        extra=json.loads(row["extra"] or "{}"),
    )


def _status_for(message: Message) -> str:
    """The applicant status a message implies (before 'already decided' is considered)."""
    if message.result == "not_passed":
        return "not_passed"
    if message.kind == "final_result" and message.result == "passed":
        return "final_passed"
    return "active"


# One word as a substring of the subject or the body (LIKE wildcards in it escaped).
_LIKE_EITHER = "subject LIKE ? ESCAPE '\\' OR body LIKE ? ESCAPE '\\'"


def _candidate_row(
    candidate: Candidate,
    position: str | None,
    stage: str | None,
    status: str,
    force_status: bool,
    now: str,
) -> tuple[Any, ...]:
    """The parameters of ``_CANDIDATE_UPSERT``, in its numbered order."""
    if not candidate.id.strip():
        raise InputError("The applicant id is empty.", field="candidate.id")
    extra = candidate.extra
    return (
        candidate.id, candidate.name, candidate.kana, candidate.email, candidate.timezone,
        json.dumps(dict(extra), ensure_ascii=False, sort_keys=True) if extra else "{}",
        position, stage, status, force_status, now,
    )


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# Numbered parameters bound from a tuple: binding by name costs a dictionary lookup per value,
# which a batch pays for every column of every row.
# ?1 id, ?2 name, ?3 kana, ?4 email, ?5 timezone, ?6 extra, ?7 position, ?8 stage, ?9 status,
# ?10 force_status, ?11 now.
_CANDIDATE_UPSERT = f"""
    INSERT INTO candidates (id, name, kana, email, timezone, extra, position, stage, status,
                            created_at, updated_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?11, ?11)
    ON CONFLICT(id) DO UPDATE SET
        name = excluded.name,
        -- An empty value from a later message never erases what the log already knows.
        kana = COALESCE(NULLIF(excluded.kana, ''), candidates.kana),
        email = COALESCE(NULLIF(excluded.email, ''), candidates.email),
        timezone = excluded.timezone,
        extra = CASE WHEN excluded.extra = '{{}}' THEN candidates.extra ELSE excluded.extra END,
        position = COALESCE(excluded.position, candidates.position),
        stage = COALESCE(excluded.stage, candidates.stage),
        status = CASE
            WHEN ?10 THEN excluded.status
            WHEN excluded.status IN {DECIDED_STATUSES!r} THEN excluded.status
            WHEN candidates.status IN {DECIDED_STATUSES!r} THEN candidates.status
            ELSE excluded.status
        END,
        updated_at = excluded.updated_at
"""

_EXCHANGE_INSERT = """
    INSERT INTO exchanges (candidate_id, direction, kind, stage, result, subject, body, topics,
                           slots, status, idempotency_key, message_date, created_at, sent_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT(idempotency_key) DO NOTHING
"""

# How many exchanges the search index lacks. Both counts are cheap (SQLite counts a table
# from its smallest b-tree) and every indexed row exists, so 0 means fully indexed.
_UNINDEXED_COUNT = """
    SELECT (SELECT count(*) FROM exchanges) - (SELECT count(*) FROM exchanges_fts_docsize)
"""

# Once every exchange is indexed, the high-water mark is the newest id (see _m004_lazy_search).
_MARK_ALL_INDEXED = """
    UPDATE _kizuna_fts_state SET indexed_upto = (SELECT COALESCE(max(id), 0) FROM exchanges)
"""

# The exchanges above the high-water mark, indexed in one statement: a range of the rowid, so
# its cost is that of the new rows only, however large the log.
_INDEX_ABOVE_MARK = """
    INSERT INTO exchanges_fts (rowid, subject, body)
    SELECT id, subject, body FROM exchanges
    WHERE id > (SELECT indexed_upto FROM _kizuna_fts_state)
"""


# --------------------------------------------------------------------------- the log


class Log:
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
    ) -> Log:
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
                raise LogError(f"Cannot open the log: {_describe(exc)}", path=str(log_path)) from None
        db = sqlite_utils.Database(conn, execute_plugins=False)
        log = cls(db, log_path, busy_timeout_ms=busy_timeout_ms, clock=clock)
        try:
            log._configure()
            log._migrate()
        except sqlite3.Error as exc:
            conn.close()
            raise log._as_log_error(exc) from None
        except BaseException:
            conn.close()
            raise
        return log

    @classmethod
    def memory(cls, *, clock: Callable[[], str] | None = None) -> Log:
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
        # fresh log at the same moment cannot both apply m001.
        with self.transaction():
            found.apply(self.db)

    def _refuse_foreign_database(self) -> None:
        """A database with tables but no kizuna migrations belongs to some other program."""
        applied = migrations().applied(self.db)
        tables = [t for t in self.db.table_names() if not t.startswith(("sqlite_", "_sqlite"))]
        if tables and not applied:
            raise LogError(
                "This SQLite database belongs to another program (it has tables "
                f"{', '.join(sorted(tables)[:5])} but no kizuna schema); it was left untouched.",
                path=str(self.path) if self.path else None,
                hint="Choose another file with --db or KIZUNA_DB.",
            )

    def close(self) -> None:
        """Close the connection."""
        self.db.conn.close()

    def __enter__(self) -> Log:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _as_log_error(self, exc: sqlite3.Error) -> LogError:
        where = str(self.path) if self.path else None
        if _is_lock_error(exc):
            seconds = self.busy_timeout_ms / 1000
            return LogError(
                f"The log is locked by another program; waited {seconds:g} s and gave up. "
                "Nothing was written.",
                path=where,
                hint="Try again when the other kizuna command or database tool has finished.",
            )
        if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
            return LogError(
                "This file is not a SQLite database (or is damaged); it was left untouched.",
                path=where,
                hint="Choose another file with --db or KIZUNA_DB.",
            )
        return LogError(f"The log could not be updated: {_describe(exc)}", path=where)

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
        rows = self._candidate_rows("WHERE c.id = ?", [candidate_id])
        if not rows:
            raise self._unknown_candidate(candidate_id)
        return rows[0]

    @_translating
    def candidates(
        self, *, stage: str | None = None, status: str | None = None
    ) -> list[CandidateRecord]:
        """Every applicant, optionally only those at a stage or with a status, by id."""
        clauses, params = [], []
        if stage is not None:
            clauses.append("c.stage = ?")
            params.append(stage)
        if status is not None:
            clauses.append("c.status = ?")
            params.append(status)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return self._candidate_rows(where, params)

    def _candidate_rows(self, where: str, params: Sequence[Any]) -> list[CandidateRecord]:
        rows = self._rows(
            f"""
            SELECT c.*, count(e.id) AS n_exchanges,
                   max({LAST_EXCHANGE_TIME}) AS last_activity
            FROM candidates c LEFT JOIN exchanges e ON e.candidate_id = c.id
            {where}
            GROUP BY c.id ORDER BY c.id
            """,
            params,
        )
        return [
            CandidateRecord(
                candidate=_candidate_from_row(row),
                position=row["position"],
                stage=row["stage"],
                status=row["status"],
                created_at=row["created_at"],
                updated_at=row["updated_at"],
                exchanges=row["n_exchanges"],
                last_activity=row["last_activity"],
            )
            for row in rows
        ]

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
            listed = ", ".join(f"{i} ({names[i]})" for i in near[:5])
            hint = f"Did you mean: {listed}?"
        elif names:
            hint = "`kizuna candidates` lists the applicants in the log."
        else:
            hint = "The log has no applicants yet."
        return LogError(f"No applicant with id '{candidate_id}' in the log.", hint=hint)

    # ---- recording

    @_translating
    def record_outbound(
        self, message: Message, *, status: str = "draft", idempotency_key: str | None = None
    ) -> Exchange:
        """Record a message to an applicant (and create or update the applicant).

        The same ``idempotency_key`` twice returns the exchange recorded the first time: the
        UNIQUE constraint decides, so two processes racing with one key still get one row.
        """
        return self.record_outbound_many([(message, idempotency_key)], status=status)[0]

    @_translating
    def record_outbound_many(
        self, items: Iterable[tuple[Message, str | None]], *, status: str = "draft"
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
                f"Unknown outbound status '{status}'.", hint="Use 'draft' or 'sent'."
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
                                f"Idempotency key '{key}' is already used for applicant "
                                f"'{done.candidate_id}', not '{candidate.id}'. "
                                "Nothing was recorded.",
                                hint="Each message needs its own key.",
                            )
                        results.append(done)
                        continue
                    first[key] = index
                candidate_rows.append(_candidate_row(
                    candidate, None, message.stage, _status_for(message), False, now
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
                exchange_rows.append((
                    candidate.id, "out", message.kind, message.stage, message.result,
                    message.subject, message.body, converted[0], slots_json, status, key,
                    day_iso, now, sent_at,
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
                ))
            if exchange_rows:
                conn.executemany(_CANDIDATE_UPSERT, candidate_rows)
                inserted = conn.executemany(_EXCHANGE_INSERT, exchange_rows).rowcount
                top = conn.execute("SELECT max(id) FROM exchanges").fetchone()[0]
                if inserted != len(exchange_rows) or top != next_id:
                    raise LogError("The log changed while recording; nothing was recorded.",
                                   hint="Run the command again.")
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
            for cid, topic_id in self.db.conn.execute(
                f"""
                SELECT DISTINCT e.candidate_id, json_extract(t.value, '$.id')
                FROM exchanges e, json_each(e.topics) t
                WHERE e.candidate_id IN ({marks}) AND e.direction = 'out'
                """,
                chunk,
            ):
                if topic_id is not None:
                    found.setdefault(cid, set()).add(topic_id)
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
            raise InputError("The reply text is empty.", hint="Give the applicant's message.")
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
                idempotency_key, received[:10], self._now(), received,
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
                f"Idempotency key '{idempotency_key}' was already used for applicant "
                f"'{found.candidate_id}'.", hint="Each message needs its own key.",
            )
        return found

    @_translating
    def mark_sent(self, exchange_id: int, *, sent_at: dt.datetime | None = None) -> Exchange:
        """Mark a drafted message as sent (once: a second call keeps the first time)."""
        with self.transaction():
            found = self.get_exchange(exchange_id)
            if found.direction != "out":
                raise LogError(
                    f"Exchange {exchange_id} is a message from the applicant, not one to send."
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
                f"No exchange with id {exchange_id} in the log.",
                hint="`kizuna log` lists the exchanges with their ids.",
            )
        return _exchange_from_row(rows[0])

    def _exchange(self, exchange_id: int) -> Exchange:
        return _exchange_from_row(self._rows("SELECT * FROM exchanges WHERE id = ?",
                                             [exchange_id])[0])

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
        """Ids of the topics already used in messages to this applicant (drafts included)."""
        rows = self.db.conn.execute(
            """
            SELECT DISTINCT json_extract(t.value, '$.id')
            FROM exchanges e, json_each(e.topics) t
            WHERE e.candidate_id = ? AND e.direction = 'out'
            """,
            [candidate_id],
        ).fetchall()
        return {row[0] for row in rows if row[0] is not None}

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

    @_translating
    def pending(
        self,
        today: dt.date,
        min_days: int = 0,
        *,
        calendar: OfficeCalendar | None = None,
    ) -> list[Waiting]:
        """Applicants whose latest message has no answer yet, oldest first.

        Answered means an outbound exchange with status 'sent' whose ``sent_at`` is at or after
        the applicant's message: a draft is not an answer, but shows as ``draft_ready``.
        ``business_days`` counts office days after the day it arrived up to ``today``
        (weekends, Japanese holidays and the year-end closure do not count).
        """
        from .calendar import OfficeCalendar

        office = calendar or OfficeCalendar()
        rows = self._rows(
            """
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
                         AND o.status = 'draft' AND o.created_at >= l.sent_at
                   ) AS draft_ready
            FROM latest l JOIN candidates c ON c.id = l.candidate_id
            WHERE l.rn = 1 AND NOT EXISTS (
                SELECT 1 FROM exchanges o
                WHERE o.candidate_id = l.candidate_id AND o.direction = 'out'
                  AND o.status = 'sent' AND o.sent_at >= l.sent_at
            )
            ORDER BY l.sent_at, l.id
            """
        )
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
        reached = self._rows(
            """
            SELECT stage, count(DISTINCT candidate_id) AS n, min(id) AS first
            FROM exchanges GROUP BY stage ORDER BY first
            """
        )
        results = self._rows(
            """
            WITH decided AS (
                SELECT stage, candidate_id, result,
                       row_number() OVER (
                           PARTITION BY candidate_id, stage ORDER BY id DESC
                       ) AS rn
                FROM exchanges WHERE direction = 'out' AND result IS NOT NULL
            )
            SELECT stage, result, count(*) AS n FROM decided WHERE rn = 1 GROUP BY stage, result
            """
        )
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
            raise InputError(f"Unknown export format '{fmt}'.", hint="Use csv or json.")
        count = 0
        if fmt == "csv":
            writer = csv.DictWriter(out, fieldnames=list(EXPORT_COLUMNS), lineterminator="\n")
            writer.writeheader()
            for row in self.export_rows():
                row["topics"] = json.dumps(row["topics"], ensure_ascii=False)
                row["slots"] = json.dumps(row["slots"])
                writer.writerow(row)
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

    @_translating
    def purge(
        self,
        before: dt.date | None = None,
        candidate_id: str | None = None,
        expired_days: int | None = None,
        *,
        today: dt.date | None = None,
        dry_run: bool = False,
    ) -> PurgeReport:
        """Delete applicants and everything about them, leaving no readable remnant.

        Exactly one selector: ``before`` removes applicants whose last activity (latest
        exchange, or their creation if none) was before that date; ``expired_days`` is the
        same with ``today - N days``; ``candidate_id`` removes one applicant. Rows go from
        every table and the search index, with ``secure_delete`` on; the file is then vacuumed
        and the WAL checkpointed and truncated, so neither holds the deleted text.
        """
        chosen = [x is not None for x in (before, candidate_id, expired_days)]
        if sum(chosen) != 1:
            raise InputError("Give exactly one of before, candidate_id or expired_days.")
        if expired_days is not None:
            if expired_days < 0:
                raise InputError("expired_days must be zero or more.")
            before = (today or dt.datetime.now(JST).date()) - dt.timedelta(days=expired_days)
        conn = self.db.conn
        if candidate_id is not None:
            self.get_candidate(candidate_id)  # unknown → near matches
            selected = "SELECT ?"
            params: list[Any] = [candidate_id]
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
                # The delete triggers only add tombstones to the FTS index; the old segments
                # still hold the text until rebuilt. The rebuild indexes every remaining row,
                # those above the high-water mark too, so the mark moves past them all.
                conn.execute("INSERT INTO exchanges_fts(exchanges_fts) VALUES ('rebuild')")
                conn.execute(_MARK_ALL_INDEXED)
            conn.execute("DROP TABLE purge_ids")
        wal_cleared = True
        if not dry_run and ids:
            # VACUUM rewrites the file without free pages; the checkpoint then copies it back
            # from the WAL and truncates the WAL to nothing.
            try:
                conn.execute("VACUUM")
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
        raise LogError("This is a folder, not a database file.", path=str(path),
                       hint="Give a file name such as kizuna.db.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LogError(f"Cannot create the log's folder: {exc.strerror}.",
                       path=str(path.parent)) from None
    try:
        # Created here, before SQLite opens it, so it is never readable by others; SQLite gives
        # the -wal and -shm files the same mode. O_EXCL: an existing file is not opened at all.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if not os.access(path, os.R_OK):
            raise LogError("Cannot read the log: permission denied.", path=str(path)) from None
        return
    except OSError as exc:
        raise LogError(f"Cannot create the log: {exc.strerror}.", path=str(path)) from None
    # Closing is safe: no connection has had a chance to lock a file created a moment ago.
    os.close(fd)
