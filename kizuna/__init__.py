"""kizuna: warm, careful Japanese emails to job applicants, drafted and logged.

The public API is the names in ``__all__``. Modules that pull in heavy libraries (jinja2,
babel, holidays, sqlite_utils) load on first use, so ``kizuna --help`` stays fast.
"""

from importlib import import_module
from typing import Any

from .errors import KizunaError
from .models import Candidate, Exchange, Message, Slot, Topic

__all__ = [
    "Candidate",
    "Composer",
    "Exchange",
    "KizunaError",
    "Log",
    "Message",
    "Profile",
    "Slot",
    "Topic",
    "compose",
    "draft_message",
    "load_profile",
]

_LAZY = {
    "Composer": "compose",
    "compose": "compose",
    "Log": "log",
    "Profile": "profile",
    "load_profile": "profile",
    "draft_message": "pipeline",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kizuna' has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)
