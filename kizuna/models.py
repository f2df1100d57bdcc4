"""The values that move through kizuna: frozen dataclasses, no behaviour beyond conversion."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


def in_jst(moment: dt.datetime | None) -> dt.datetime:
    """The given moment in JST (a naive one is taken to be JST already), or now."""
    if moment is None:
        return dt.datetime.now(JST)
    return moment.replace(tzinfo=JST) if moment.tzinfo is None else moment.astimezone(JST)

Source = Literal["season", "town"]
Role = Literal["opening", "town", "closing"]
Tone = Literal["festive", "neutral", "gentle"]
Direction = Literal["out", "in"]
Result = Literal["passed", "not_passed"]

RESULTS: tuple[str, ...] = ("passed", "not_passed")
TONES: tuple[str, ...] = ("festive", "neutral", "gentle")


# The spaces that separate 姓 and 名 in a name typed as one field (ASCII or full-width).
_NAME_SPACES = (" ", "\u3000")


_KANA_OR_KANJI = re.compile("[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def _is_japanese(text: str) -> bool:
    """True if ``text`` holds kana or kanji: a name written in Japanese order (姓 first)."""
    return _KANA_OR_KANJI.search(text) is not None


def split_name(name: str) -> tuple[str, str]:
    """(family, given) of a full name typed as one field.

    A Japanese name is split on its first space, ASCII or full-width (「山田 太郎」, 「山田　太郎」);
    a name with no space stays whole as the family name. A name in Latin letters is not split:
    which part is the family name cannot be told from the order, so it stays whole too.
    """
    text = name.strip(" \u3000")
    if not _is_japanese(text):
        return text, ""
    cut = min((i for i in (text.find(s) for s in _NAME_SPACES) if i >= 0), default=-1)
    if cut < 0:
        return text, ""
    return text[:cut], text[cut + 1:].strip(" \u3000")


@dataclass(frozen=True)
class Candidate:
    """One applicant. ``id`` is the job site's or the CSV's applicant number.

    ``name`` is the full name as the applicant wrote it (the 宛名 uses it whole);
    ``family_name`` and ``given_name`` are 姓 and 名. Give them when they are known apart (a
    CSV with 姓 and 名 columns): without them they are derived from ``name`` (``split_name``),
    and without a ``name`` it is made from them.

    ``language`` is the language their letters are written in ("ja" or "en",
    ``kizuna.language``); "" means not stated: the log's language for an applicant it knows,
    else Japanese.
    """

    id: str
    name: str
    kana: str = ""
    email: str = ""
    timezone: str = "Asia/Tokyo"
    extra: Mapping[str, str] = field(default_factory=dict)
    family_name: str = ""
    given_name: str = ""
    language: str = ""

    def __post_init__(self) -> None:
        if not self.family_name and not self.given_name:
            family, given = split_name(self.name)
            object.__setattr__(self, "family_name", family)
            object.__setattr__(self, "given_name", given)
        elif not self.name.strip():
            full = f"{self.family_name} {self.given_name}".strip()
            object.__setattr__(self, "name", full)

    @property
    def sama(self) -> str:
        """How the body of a letter addresses the applicant: the family name + 様 (山田様);
        a name in Latin letters, kept whole, gets a space before 様."""
        family = self.family_name or self.name
        return f"{family} 様" if family[-1:].isascii() else f"{family}様"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "family_name": self.family_name,
            "given_name": self.given_name,
            "kana": self.kana,
            "email": self.email,
            "timezone": self.timezone,
            "extra": dict(self.extra),
            "language": self.language,
        }


@dataclass(frozen=True)
class Topic:
    """One seasonal or town line placed in a message, with where it came from."""

    id: str
    source: Source
    role: Role
    tone: Tone
    text: str
    # What the line is about (its file's ``theme``): an applicant reads each theme once.
    theme: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "source": self.source,
            "role": self.role,
            "tone": self.tone,
            "theme": self.theme or self.id,
            "text": self.text,
        }


@dataclass(frozen=True, order=True)
class Slot:
    """An interview time, tz-aware in Asia/Tokyo."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Slot times must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("Slot end must be after its start")

    def to_dict(self) -> dict[str, str]:
        return {
            "start": self.start.astimezone(JST).isoformat(),
            "end": self.end.astimezone(JST).isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, str]) -> Slot:
        return cls(
            dt.datetime.fromisoformat(data["start"]).astimezone(JST),
            dt.datetime.fromisoformat(data["end"]).astimezone(JST),
        )


@dataclass(frozen=True)
class Message:
    """A drafted email: what the composer returns and the log records."""

    kind: str
    candidate: Candidate
    date: dt.date
    subject: str
    body: str
    result: str | None = None
    stage: str | None = None
    topics: tuple[Topic, ...] = ()
    slots: tuple[Slot, ...] = ()
    deadline: dt.date | None = None
    # Statements of substance the message makes (ids such as "evening-weekend"), so that a
    # later message in the applicant's timeline does not make them again.
    said: tuple[str, ...] = ()
    # The exchange (the applicant's message) this one answers, when it answers one.
    answers: int | None = None
    # The language it is written in ("ja" or "en").
    language: str = "ja"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "body": self.body,
            "date": self.date.isoformat(),
            "result": self.result,
            "stage": self.stage,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "language": self.language,
            "candidate": {
                "id": self.candidate.id,
                "name": self.candidate.name,
                "email": self.candidate.email,
            },
            "topics": [t.to_dict() for t in self.topics],
            "slots": [s.to_dict() for s in self.slots],
        }


@dataclass(frozen=True)
class Attachment:
    """A file attached to a message read from mail: its name, size in bytes and MIME type."""

    name: str
    size: int
    content_type: str = "application/octet-stream"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "content_type": self.content_type}


@dataclass(frozen=True)
class MailFacts:
    """What the log keeps of a reply read from mail, beyond its text: the key it is recorded
    under once (from its Message-ID), the Message-ID and the one it answers, its attachments,
    and how it was matched to the applicant (thread, address, subject or given)."""

    key: str
    message_id: str | None = None
    in_reply_to: str | None = None
    attachments: tuple[Attachment, ...] = ()
    matched_by: str | None = None


@dataclass(frozen=True)
class Conversation:
    """What the applicant's timeline holds before a message, as the templates need it.

    The pipeline reads it from the log (``kizuna.pipeline.conversation``); without a log it
    is empty, and each message reads as if it were the first of its kind.
    """

    # Statement ids already made in earlier messages (see Message.said).
    said: frozenset[str] = frozenset()
    # (stage id, result) of every result the applicant was told, drafts included.
    told: frozenset[tuple[str, str]] = frozenset()
    # The number (① = 1) the booked slot had in its invitation.
    chosen: int | None = None
    # The numbers the slots a nudge repeats had in their invitation (empty: 1, 2, 3 ...).
    offered_numbers: tuple[int, ...] = ()
    # The applicant's latest message, and what it mentions (``kizuna.mentions``).
    reply: str = ""
    travel: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    # The exchange id of that message, when this one answers it.
    answers: int | None = None
    # The online interview's meeting URL (the booking's, else the stage's).
    meeting_url: str = ""
    # The recruiter's own text, for a message written by hand (kind ``note``).
    note: str = ""
    # Drafted to be edited: leave a marked spot where only the recruiter can write.
    editing: bool = False


@dataclass(frozen=True)
class Exchange:
    """One row of the log: a message out to, or in from, an applicant."""

    id: int
    candidate_id: str
    direction: Direction
    kind: str | None
    stage: str | None
    subject: str
    body: str
    status: str
    created_at: str
    topics: tuple[str, ...] = ()
    slots: tuple[Slot, ...] = ()
    idempotency_key: str | None = None
    sent_at: str | None = None
    message_id: str | None = None
    charset: str | None = None
    server_reply: str | None = None
    failure: str | None = None
    in_reply_to: str | None = None
    attachments: tuple[Attachment, ...] = ()
    matched_by: str | None = None
    said: tuple[str, ...] = ()
    answers: int | None = None
    result: str | None = None
    message_date: str | None = None
    # The language of an outbound message ("ja" or "en"); None for a reply.
    language: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "candidate_id": self.candidate_id,
            "direction": self.direction,
            "kind": self.kind,
            "stage": self.stage,
            "subject": self.subject,
            "body": self.body,
            "status": self.status,
            "created_at": self.created_at,
            "sent_at": self.sent_at,
            "topics": list(self.topics),
            "slots": [s.to_dict() for s in self.slots],
            "idempotency_key": self.idempotency_key,
            "message_id": self.message_id,
            "charset": self.charset,
            "server_reply": self.server_reply,
            "failure": self.failure,
            "in_reply_to": self.in_reply_to,
            "attachments": [a.to_dict() for a in self.attachments],
            "matched_by": self.matched_by,
            "said": list(self.said),
            "answers": self.answers,
            "result": self.result,
            "message_date": self.message_date,
            "language": self.language,
        }
