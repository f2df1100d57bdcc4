"""kizuna: warm, careful Japanese emails to job applicants, drafted and logged.

What another HR tool needs is named here: the profile, the applicant, drafting one message or
many, the log, replies and booking, reminders, the morning list (``today``), batch runs, .eml and .ics, slot proposal, and
mail out (``send``) and in (``import_messages``, ``import_imap``), and the checks a draft
must pass before it is sent.
Type checkers see every name with its real type (the imports under TYPE_CHECKING); at run time
the modules that pull in heavy libraries (jinja2, holidays, sqlite_utils, icalendar) load on
first use, so ``kizuna --help`` stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .errors import KizunaError as KizunaError
from .models import Candidate as Candidate
from .models import Conversation as Conversation
from .models import Exchange as Exchange
from .models import Message as Message
from .models import Slot as Slot
from .models import Topic as Topic

if TYPE_CHECKING:
    from .agenda import NotDrafted as NotDrafted
    from .agenda import Today as Today
    from .agenda import TodayItem as TodayItem
    from .agenda import today as today
    from .batch import BatchEvent as BatchEvent
    from .batch import BatchRun as BatchRun
    from .batch import BatchSummary as BatchSummary
    from .batch import run_batch as run_batch
    from .check import Checked as Checked
    from .check import Finding as Finding
    from .check import check_message as check_message
    from .check import check_text as check_text
    from .compose import Composer as Composer
    from .log import Log as Log
    from .mailing import InboxReport as InboxReport
    from .mailing import SendReport as SendReport
    from .mailing import import_imap as import_imap
    from .mailing import import_messages as import_messages
    from .mailing import reply_from_mail as reply_from_mail
    from .mailing import send as send
    from .output import as_bytes as as_bytes
    from .output import as_text as as_text
    from .output import invitation_ics as invitation_ics
    from .output import render_draft as render_draft
    from .output import to_email as to_email
    from .pipeline import Drafted as Drafted
    from .pipeline import ReplyOutcome as ReplyOutcome
    from .pipeline import Written as Written
    from .pipeline import applicant as applicant
    from .pipeline import check_drafts as check_drafts
    from .pipeline import choose_topics as choose_topics
    from .pipeline import draft_message as draft_message
    from .pipeline import draft_output as draft_output
    from .pipeline import draft_reminders as draft_reminders
    from .pipeline import free_slots as free_slots
    from .pipeline import handle_reply as handle_reply
    from .pipeline import prepare_message as prepare_message
    from .pipeline import record_many as record_many
    from .pipeline import record_message as record_message
    from .pipeline import set_meeting_url as set_meeting_url
    from .profile import Profile as Profile
    from .profile import load_profile as load_profile

__all__ = [
    "BatchEvent",
    "BatchRun",
    "BatchSummary",
    "Candidate",
    "Checked",
    "Composer",
    "Conversation",
    "Drafted",
    "Exchange",
    "InboxReport",
    "Finding",
    "KizunaError",
    "Log",
    "Message",
    "NotDrafted",
    "Profile",
    "ReplyOutcome",
    "SendReport",
    "Slot",
    "Today",
    "TodayItem",
    "Topic",
    "Written",
    "applicant",
    "as_bytes",
    "as_text",
    "check_drafts",
    "check_message",
    "check_text",
    "choose_topics",
    "draft_message",
    "draft_output",
    "draft_reminders",
    "free_slots",
    "handle_reply",
    "import_imap",
    "import_messages",
    "invitation_ics",
    "load_profile",
    "prepare_message",
    "record_many",
    "record_message",
    "render_draft",
    "reply_from_mail",
    "run_batch",
    "send",
    "set_meeting_url",
    "to_email",
    "today",
]

# Where each lazily loaded name lives (the same modules as the TYPE_CHECKING imports above).
_LAZY = {
    "NotDrafted": "agenda",
    "Today": "agenda",
    "TodayItem": "agenda",
    "today": "agenda",
    "BatchEvent": "batch",
    "BatchRun": "batch",
    "BatchSummary": "batch",
    "run_batch": "batch",
    "Checked": "check",
    "Finding": "check",
    "check_message": "check",
    "check_text": "check",
    "Composer": "compose",
    "Log": "log",
    "InboxReport": "mailing",
    "SendReport": "mailing",
    "import_imap": "mailing",
    "import_messages": "mailing",
    "reply_from_mail": "mailing",
    "send": "mailing",
    "as_bytes": "output",
    "as_text": "output",
    "invitation_ics": "output",
    "render_draft": "output",
    "to_email": "output",
    "Drafted": "pipeline",
    "ReplyOutcome": "pipeline",
    "Written": "pipeline",
    "applicant": "pipeline",
    "check_drafts": "pipeline",
    "choose_topics": "pipeline",
    "draft_message": "pipeline",
    "draft_output": "pipeline",
    "draft_reminders": "pipeline",
    "free_slots": "pipeline",
    "handle_reply": "pipeline",
    "prepare_message": "pipeline",
    "record_many": "pipeline",
    "record_message": "pipeline",
    "set_meeting_url": "pipeline",
    "Profile": "profile",
    "load_profile": "profile",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kizuna' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value
