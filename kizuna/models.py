"""The values that move through kizuna: frozen dataclasses, no behaviour beyond conversion."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")

Source = Literal["season", "town"]
Role = Literal["opening", "town", "closing"]
Tone = Literal["festive", "neutral", "gentle"]
Direction = Literal["out", "in"]
Result = Literal["passed", "not_passed"]

RESULTS: tuple[str, ...] = ("passed", "not_passed")
TONES: tuple[str, ...] = ("festive", "neutral", "gentle")


@dataclass(frozen=True)
class Candidate:
    """One applicant. ``id`` is the job site's or the CSV's applicant number."""

    id: str
    name: str
    kana: str = ""
    email: str = ""
    timezone: str = "Asia/Tokyo"
    extra: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kana": self.kana,
            "email": self.email,
            "timezone": self.timezone,
            "extra": dict(self.extra),
        }


@dataclass(frozen=True)
class Topic:
    """One seasonal or town line placed in a message, with where it came from."""

    id: str
    source: Source
    role: Role
    tone: Tone
    text: str

    def to_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "source": self.source,
            "role": self.role,
            "tone": self.tone,
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "body": self.body,
            "date": self.date.isoformat(),
            "result": self.result,
            "stage": self.stage,
            "deadline": self.deadline.isoformat() if self.deadline else None,
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
        }
