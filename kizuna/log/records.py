"""What the log's reports return: typed records with a to_dict() for JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..models import JST, Candidate, Slot

if TYPE_CHECKING:

    pass


# --------------------------------------------------------------------------- result types


@dataclass(frozen=True)
class Booking:
    """An applicant's booked interview: the slot, the number it had in the invitation that
    offered it (① = 1), that invitation's exchange id, and its own meeting URL if one was
    recorded."""

    slot: Slot
    number: int | None
    offered_in: int | None
    meeting_url: str = ""


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




# --------------------------------------------------------------------------- the morning list


@dataclass(frozen=True)
class HeldOffer:
    """The slots still held for an applicant from their latest invitation, in its numbering
    (① = 1), the invitation's exchange id and when the holds run out (the end of the reply
    deadline)."""

    invitation: int | None
    slots: tuple[tuple[int, Slot], ...]
    held_until: dt.datetime

    @property
    def deadline(self) -> dt.date:
        return self.held_until.astimezone(JST).date()


@dataclass(frozen=True)
class Unanswered:
    """An applicant whose latest message no outbound message follows: the earliest of their
    messages since our last one (what they have waited on longest), its start, and how many
    there are."""

    candidate_id: str
    name: str
    exchange_id: int
    received_at: str
    head: str
    messages: int


@dataclass(frozen=True)
class UpcomingInterview:
    """A booked interview, when it was booked, and whether its reminder is in the log."""

    candidate_id: str
    name: str
    slot: Slot
    number: int | None
    booked_at: str
    meeting_url: str
    reminded: bool


@dataclass(frozen=True)
class ExpiringOffer:
    """Slots held for an applicant that run out soon: the invitation, when they were offered,
    their numbers, and whether the applicant has written since or been nudged already."""

    candidate_id: str
    name: str
    invitation: int | None
    held_until: str
    offered_at: str
    numbers: tuple[int, ...]
    replied: bool
    nudged: bool


@dataclass(frozen=True)
class UnsentDraft:
    """An applicant's most urgent draft not sent yet (a result notice first, then the
    oldest), and how many drafts of theirs are waiting."""

    candidate_id: str
    name: str
    exchange_id: int
    kind: str | None
    result: str | None
    created_at: str
    drafts: int


@dataclass(frozen=True)
class Silent:
    """An applicant still in the selection, when anything last passed between us, and our
    last message to them (kind, result, stage), if any."""

    candidate_id: str
    name: str
    last_at: str
    last_kind: str | None
    last_result: str | None
    last_stage: str | None


@dataclass(frozen=True)
class MailProblem:
    """A message whose sending failed or was never answered (``failed``, ``sending``), or
    mail kept because it matched no applicant (``unmatched``: ``id`` is the kept mail's)."""

    status: str
    id: int
    candidate_id: str | None
    name: str
    kind: str | None
    subject: str
    why: str
    since: str
