"""The log's schema: recorded migrations (sqlite-utils' Migrations, set "kizuna"), applied
whenever a log is opened. Never edit an applied migration; add the next one."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils
    from sqlite_utils.migrations import Migrations


from .rows import (
    MIGRATION_SET,
    NOW_JST_SQL,
)

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


# The columns of exchanges before m006, in their order (copied as they are).
_M005_EXCHANGE_COLUMNS = (
    "id, candidate_id, direction, kind, stage, result, subject, body, topics, slots, status, "
    "idempotency_key, message_date, created_at, sent_at"
)


def _m006_mail(db: sqlite_utils.Database) -> None:
    """Mail out and in: the send states, the Message-ID, and the mail kept for later.

    ``exchanges.status`` gains ``sending`` (marked before the SMTP server is asked, so a
    process killed mid-send leaves it, and it is never sent again by itself) and ``failed``
    (the server refused; ``failure`` says why). A CHECK constraint cannot be changed in place,
    so the table is rebuilt as SQLite's ALTER TABLE documentation describes (a new table, the
    rows copied with their ids, the old one dropped, the new one renamed), with foreign keys
    off meanwhile (``LogCore._migrate``) and checked before the commit; the indexes and the
    search triggers are made again as they were, and the search index, keyed by id, is still
    right. New columns:

    - ``message_id``: the Message-ID kizuna gave a message it sends (recorded before it is
      sent), or that a reply carried; unique.
    - ``charset``: the charset a draft was written in as email (``utf-8``, ``iso-2022-jp``).
    - ``send_started_at``, ``send_attempts``: when it was last handed to the server, how often.
    - ``server_reply``: what the server answered when it took the message.
    - ``failure``: why it was refused, or why it is still ``sending`` (connection lost).
    - ``in_reply_to``, ``attachments`` (JSON list of name, size, type), ``matched_by``
      (``thread``, ``address``, ``subject`` or ``given``) for replies read from mail.

    ``inbox_unmatched`` keeps every message an import could not give to an applicant (its
    raw bytes, why, where it came from), for a later import; ``imap_state`` the last UID
    read from each IMAP folder.
    """
    triggers = [
        row[0] for row in db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'exchanges' "
            "ORDER BY name"
        ).fetchall()
    ]
    db.execute(
        f"""
        CREATE TABLE exchanges_m006 (
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
            status TEXT NOT NULL
                CHECK (status IN ('draft', 'sending', 'sent', 'failed', 'received')),
            idempotency_key TEXT UNIQUE,
            message_date TEXT,
            created_at TEXT NOT NULL DEFAULT {NOW_JST_SQL},
            sent_at TEXT,
            message_id TEXT,
            charset TEXT,
            send_started_at TEXT,
            send_attempts INTEGER NOT NULL DEFAULT 0,
            server_reply TEXT,
            failure TEXT,
            in_reply_to TEXT,
            attachments TEXT NOT NULL DEFAULT '[]',
            matched_by TEXT
        )
        """
    )
    db.execute(
        f"INSERT INTO exchanges_m006 ({_M005_EXCHANGE_COLUMNS}) "
        f"SELECT {_M005_EXCHANGE_COLUMNS} FROM exchanges"
    )
    db.execute("DROP TABLE exchanges")
    db.execute("ALTER TABLE exchanges_m006 RENAME TO exchanges")
    db.execute("CREATE INDEX exchanges_candidate ON exchanges(candidate_id, id)")
    db.execute("CREATE INDEX exchanges_direction ON exchanges(direction, candidate_id, sent_at)")
    db.execute("CREATE INDEX exchanges_status ON exchanges(direction, status)")
    db.execute(
        "CREATE UNIQUE INDEX exchanges_message_id ON exchanges(message_id) "
        "WHERE message_id IS NOT NULL"
    )
    for sql in triggers:
        db.execute(sql)
    db.execute(
        f"""
        CREATE TABLE inbox_unmatched (
            id INTEGER PRIMARY KEY,
            mail_key TEXT NOT NULL UNIQUE,
            message_id TEXT,
            source TEXT NOT NULL DEFAULT '',
            position TEXT NOT NULL DEFAULT '',
            from_address TEXT NOT NULL DEFAULT '',
            subject TEXT NOT NULL DEFAULT '',
            sent_at TEXT,
            reason TEXT NOT NULL,
            raw BLOB NOT NULL,
            created_at TEXT NOT NULL DEFAULT {NOW_JST_SQL}
        )
        """
    )
    db.execute(
        f"""
        CREATE TABLE imap_state (
            account TEXT NOT NULL,
            folder TEXT NOT NULL,
            uidvalidity INTEGER NOT NULL,
            last_uid INTEGER NOT NULL,
            updated_at TEXT NOT NULL DEFAULT {NOW_JST_SQL},
            PRIMARY KEY (account, folder)
        )
        """
    )


def _m007_names(db: sqlite_utils.Database) -> None:
    """姓 and 名 apart: ``family_name`` and ``given_name`` beside the full ``name``.

    Rows written before are left with both empty, which reads as "derive them from the name"
    (``kizuna.models.split_name``), exactly what kizuna did for them until now.
    """
    db.execute("ALTER TABLE candidates ADD COLUMN family_name TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE candidates ADD COLUMN given_name TEXT NOT NULL DEFAULT ''")


def _m008_conversation(db: sqlite_utils.Database) -> None:
    """What makes one conversation of an applicant's messages.

    - ``exchanges.said``: the statements of substance a message made (a JSON list of ids,
      such as "evening-weekend"), so a later message does not make them again;
    - ``exchanges.answers``: the exchange (the applicant's message) an outbound message
      answers; ``pending`` counts it answered once that answer is sent, whatever the clocks;
    - ``slot_holds.meeting_url``: an online interview's own meeting URL, carried by its
      reminder.
    """
    db.execute("ALTER TABLE exchanges ADD COLUMN said TEXT NOT NULL DEFAULT '[]'")
    db.execute("ALTER TABLE exchanges ADD COLUMN answers INTEGER")
    db.execute("ALTER TABLE slot_holds ADD COLUMN meeting_url TEXT NOT NULL DEFAULT ''")


def _m009_language(db: sqlite_utils.Database) -> None:
    """The language of an applicant's letters ("ja" or "en"), and of each message.

    - ``candidates.language``: kept from the applicant's first stated language (a CSV's
      言語/language column, ``--lang``) and used by every later draft for them;
    - ``exchanges.language``: the language an outbound message was written in (NULL for a
      reply), so that a logged draft is checked and sent as what it is.

    Everything written before was Japanese: applicants get 'ja', their messages stay NULL,
    which reads as Japanese.
    """
    db.execute("ALTER TABLE candidates ADD COLUMN language TEXT NOT NULL DEFAULT 'ja'")
    db.execute("ALTER TABLE exchanges ADD COLUMN language TEXT")


def _m010_today(db: sqlite_utils.Database) -> None:
    """Indexes for ``kizuna today``, so that its morning list reads only the rows that may need
    doing, never every exchange:

    - ``slot_holds_held_until``: the holds still awaiting a reply, by when they run out (the
      held slots expiring today or on the next office day);
    - ``candidates_status``: the applicants still in the selection (the silent ones);
    - ``exchanges_drafts``: the drafts not sent yet, by age, with what picks each applicant's
      first (a partial, covering index: once sent, a message leaves it, and only the drafts
      older than a business day are read; it names direction and status too, or the planner,
      without statistics, prefers ``exchanges_status`` and reads every draft's row).
    """
    db.execute(
        "CREATE INDEX slot_holds_held_until ON slot_holds(held_until) WHERE status = 'held'"
    )
    db.execute("CREATE INDEX candidates_status ON candidates(status)")
    db.execute(
        "CREATE INDEX exchanges_drafts ON exchanges(direction, status, created_at, candidate_id, "
        "result, kind) "
        "WHERE direction = 'out' AND status = 'draft'"
    )


def _m011_report_indexes(db: sqlite_utils.Database) -> None:
    """Indexes that let the reports read a few rows per applicant, not the whole log.

    - ``exchanges_thread`` (applicant, direction, status, sent_at): whether an applicant's
      message has an answer, sent or drafted (``pending``), without reading every draft in
      the log for every waiting applicant (at 100,000 exchanges that took 31 s, now 12 ms);
    - ``exchanges_stage`` (stage, applicant): how many applicants reached each stage
      (``stats``), read from the index instead of the table with every body in it;
    - ``exchanges_decided`` (applicant, stage, id, result), only over outbound rows with a
      result: each applicant's latest result per stage, in the index's order.
    """
    db.execute("CREATE INDEX exchanges_thread ON exchanges(candidate_id, direction, status, sent_at)")
    db.execute("CREATE INDEX exchanges_stage ON exchanges(stage, candidate_id)")
    db.execute(
        "CREATE INDEX exchanges_decided ON exchanges(candidate_id, stage, id, result) "
        "WHERE direction = 'out' AND result IS NOT NULL"
    )


_MIGRATION_FUNCTIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _m001_initial,
    _m002_search,
    _m003_activity_index,
    _m004_lazy_search,
    _m005_eager_search,
    _m006_mail,
    _m007_names,
    _m008_conversation,
    _m009_language,
    _m010_today,
    _m011_report_indexes,
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


