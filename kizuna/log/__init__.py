"""The exchange log: every message to and from an applicant, in one SQLite database.

The package owns every SQL statement kizuna runs: ``schema`` (the recorded migrations),
``core`` (opening, transactions, applicants and exchanges), ``mail`` (send states,
Message-IDs, replies read from mail, mail kept for later, IMAP progress), ``holds`` (interview slots offered
and booked), ``search`` (the full-text index), ``reports`` (pending, stats, export),
``agenda`` (the sections of the morning list, ``kizuna today``) and ``retention``
(purge). ``Log`` is all of them on one connection.
"""

from __future__ import annotations

from .agenda import AgendaMixin
from .core import LogCore
from .mail import KeptMail as KeptMail
from .mail import MailMixin
from .records import CandidateRecord as CandidateRecord
from .records import PurgeReport as PurgeReport
from .records import StageCount as StageCount
from .records import Stats as Stats
from .records import Waiting as Waiting
from .reports import ReportsMixin
from .retention import RetentionMixin
from .rows import DEFAULT_BUSY_TIMEOUT_MS as DEFAULT_BUSY_TIMEOUT_MS
from .schema import migrations as migrations
from .search import SearchMixin

__all__ = [
    "DEFAULT_BUSY_TIMEOUT_MS",
    "CandidateRecord",
    "KeptMail",
    "Log",
    "LogCore",
    "PurgeReport",
    "StageCount",
    "Stats",
    "Waiting",
    "migrations",
]


class Log(MailMixin, SearchMixin, ReportsMixin, AgendaMixin, RetentionMixin, LogCore):
    """An open exchange log. Use ``Log.open(path)``; close it, or use it as a context manager.

    Recording, mail (send states, Message-IDs, kept mail), search, reports, the morning list
    and retention are methods; slot holds are the functions of
    ``kizuna.log.holds``, which take the log.
    """
