"""Constants and row helpers the log's modules share: timestamps, SQL fragments, conversions
between rows and kizuna's models, and the translation of sqlite3 errors."""

from __future__ import annotations

import datetime as dt
import functools
import json
import sqlite3
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ..errors import InputError
from ..i18n import _
from ..language import language_code
from ..models import JST, Attachment, Candidate, Exchange, Message, Slot, Topic

if TYPE_CHECKING:

    pass


DEFAULT_BUSY_TIMEOUT_MS = 5000
MIGRATION_SET = "kizuna"

# Statuses that a later, ordinary message must not overwrite: the decision stands.
DECIDED_STATUSES = ("not_passed", "final_passed", "withdrawn")
OUTBOUND_STATUSES = ("draft", "sent")
# Every status an exchange may have (m006): an outbound message is a draft, is being sent
# (marked before the server is asked), was sent, or was refused; a reply is received.
EXCHANGE_STATUSES = ("draft", "sending", "sent", "failed", "received")
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
            log: Any = args[0]  # a LogCore: its own method turns the error into a LogError
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
        message_id=row.get("message_id"),
        charset=row.get("charset"),
        server_reply=row.get("server_reply"),
        failure=row.get("failure"),
        in_reply_to=row.get("in_reply_to"),
        attachments=tuple(
            Attachment(str(a.get("name", "")), int(a.get("size", 0)),
                       str(a.get("content_type", "application/octet-stream")))
            for a in json.loads(row.get("attachments") or "[]") if isinstance(a, Mapping)
        ),
        matched_by=row.get("matched_by"),
        said=tuple(json.loads(row.get("said") or "[]")),
        answers=row.get("answers"),
        result=row.get("result"),
        message_date=row.get("message_date"),
        language=row.get("language") or ("ja" if row["direction"] == "out" else None),
    )


def _message_from_row(row: Mapping[str, Any], candidate: Candidate) -> Message:
    """A logged outbound exchange as the Message that was recorded."""
    topics = tuple(
        Topic(id=str(t["id"]), source=t.get("source", "season"), role=t.get("role", "opening"),
              tone=t.get("tone", "neutral"), text=str(t.get("text", "")),
              theme=str(t.get("theme", "")))
        for t in json.loads(row["topics"] or "[]") if isinstance(t, Mapping) and "id" in t
    )
    slots = tuple(Slot.from_dict(s) for s in json.loads(row["slots"] or "[]") if isinstance(s, Mapping))
    day = row["message_date"] or row["created_at"] or ""
    return Message(
        kind=row["kind"] or "", candidate=candidate, date=dt.date.fromisoformat(str(day)[:10]),
        subject=row["subject"] or "", body=row["body"] or "", result=row["result"],
        stage=row["stage"], topics=topics, slots=slots,
        said=tuple(json.loads(row.get("said") or "[]")), answers=row.get("answers"),
        language=row.get("language") or "ja",
    )


def _candidate_from_row(row: Mapping[str, Any]) -> Candidate:
    return Candidate(
        id=row["id"],
        name=row["name"],
        kana=row["kana"] or "",
        email=row["email"] or "",
        timezone=row["timezone"] or "Asia/Tokyo",
        extra=json.loads(row["extra"] or "{}"),
        family_name=row.get("family_name") or "",
        given_name=row.get("given_name") or "",
        language=row.get("language") or "ja",
    )


def _status_for(message: Message) -> str:
    """The applicant status a message implies (before 'already decided' is considered)."""
    if message.result == "not_passed":
        return "not_passed"
    if message.kind == "final_result" and message.result == "passed":
        return "final_passed"
    return "active"


# One word as a substring of the subject or the body (LIKE wildcards in it escaped).
_LIKE_EITHER = "e.subject LIKE ? ESCAPE '\\' OR e.body LIKE ? ESCAPE '\\'"


def _candidate_row(
    candidate: Candidate,
    position: str | None,
    stage: str | None,
    status: str,
    force_status: bool,
    now: str,
    language: str = "ja",
) -> tuple[Any, ...]:
    """The parameters of ``_CANDIDATE_UPSERT``, in its numbered order. The applicant's stated
    language wins; not stated, a new applicant gets ``language`` (the message's) and one the
    log knows keeps theirs."""
    if not candidate.id.strip():
        raise InputError(_("The applicant id is empty."), field="candidate.id")
    extra = candidate.extra
    return (
        candidate.id, candidate.name, candidate.kana, candidate.email, candidate.timezone,
        json.dumps(dict(extra), ensure_ascii=False, sort_keys=True) if extra else "{}",
        position, stage, status, force_status, now, candidate.family_name, candidate.given_name,
        language_code(candidate.language, field="candidate.language"), language,
    )


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# Numbered parameters bound from a tuple: binding by name costs a dictionary lookup per value,
# which a batch pays for every column of every row.
# ?1 id, ?2 name, ?3 kana, ?4 email, ?5 timezone, ?6 extra, ?7 position, ?8 stage, ?9 status,
# ?10 force_status, ?11 now, ?12 family_name, ?13 given_name, ?14 the stated language ('' if
# none), ?15 the language of a new applicant who stated none.
_CANDIDATE_UPSERT = f"""
    INSERT INTO candidates (id, name, kana, email, timezone, extra, position, stage, status,
                            created_at, updated_at, family_name, given_name, language)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?11, ?11, ?12, ?13, COALESCE(NULLIF(?14, ''), ?15))
    ON CONFLICT(id) DO UPDATE SET
        name = excluded.name,
        language = COALESCE(NULLIF(?14, ''), candidates.language),
        family_name = excluded.family_name,
        given_name = excluded.given_name,
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

# What applicants already read, one row per item: topic ids, "said:<id>" for the statements
# their messages made, "told:<stage>:<result>" for the results they were told. ``{marks}`` is
# the list of applicant ids, given three times.
HISTORY_SQL = """
    SELECT DISTINCT e.candidate_id, json_extract(t.value, '$.id')
    FROM exchanges e, json_each(e.topics) t
    WHERE e.candidate_id IN ({marks}) AND e.direction = 'out'
    UNION
    SELECT DISTINCT e.candidate_id, 'said:' || s.value
    FROM exchanges e, json_each(e.said) s
    WHERE e.candidate_id IN ({marks}) AND e.direction = 'out'
    UNION
    SELECT DISTINCT candidate_id, 'told:' || stage || ':' || result
    FROM exchanges
    WHERE candidate_id IN ({marks}) AND direction = 'out' AND result IS NOT NULL
      AND stage IS NOT NULL
"""

_EXCHANGE_INSERT = """
    INSERT INTO exchanges (candidate_id, direction, kind, stage, result, subject, body, topics,
                           slots, status, idempotency_key, message_date, created_at, sent_at,
                           charset, said, answers, language)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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


