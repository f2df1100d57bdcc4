"""Interview slots: the profile's slot policy, proposing slots, and reading an applicant's choice.

Everything here is pure (no log, no clock unless one is passed in). Interviews are offered on
weekday evenings and at weekends so that people who have jobs can attend; Japanese public
holidays (``holidays``, JP, in Japanese: 振替休日 and 国民の休日 included) and the year-end
closure are skipped. All times are aware datetimes in Asia/Tokyo.
"""

from typing import TYPE_CHECKING, Any

from ..dates import circled as circled
from ..dates import local_time_note as local_time_note
from ..dates import slot_text as format_slot
from .policy import DEFAULTS as DEFAULTS
from .policy import SlotPolicy as SlotPolicy
from .propose import propose as propose
from .propose import reply_deadline as reply_deadline

if TYPE_CHECKING:
    from .choice import Choice as Choice
    from .choice import parse_choice as parse_choice


def __getattr__(name: str) -> Any:
    # Reading a reply (kizuna.slots.choice, with kizuna.replytext) is loaded when first asked
    # for: drafting a message never needs it.
    if name in ("Choice", "parse_choice"):
        from . import choice

        return getattr(choice, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULTS",
    "Choice",
    "SlotPolicy",
    "circled",
    "format_slot",
    "local_time_note",
    "parse_choice",
    "propose",
    "reply_deadline",
]
