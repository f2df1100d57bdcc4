"""The user's cache folder: what kizuna can make again from its own files, kept between runs.

$KIZUNA_CACHE_DIR, else $XDG_CACHE_HOME/kizuna, else ~/.cache/kizuna; private (0700) and the
user's own, or not used at all. Everything in it is keyed by what it was made from (a
checksum of the source text), so a stale entry is never read; deleting the folder only costs
the next run the time to make it again. Holds Jinja's compiled built-in templates
(kizuna.compose) and parsed topic files (kizuna.topics.files).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any


@lru_cache(maxsize=8)
def cache_folder(name: str) -> Path | None:
    """The cache's subfolder ``name``, made if needed; None when it cannot be made private."""
    base = os.environ.get("KIZUNA_CACHE_DIR") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kizuna")
    folder = Path(base) / name
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o077 or not os.access(folder, os.W_OK):
            return None
    except (OSError, RuntimeError):
        return None
    return folder


def cached_parse(kind: str, text: str, parse: Any) -> Any:
    """``parse(text)``, kept in the cache under a checksum of ``text``: the next run with the
    same text reads the result instead of parsing again. ``parse`` must return plain data
    (what pickle writes); an exception from it is raised as it is, and nothing is kept."""
    folder = cache_folder(f"parsed-{kind}")
    if folder is None:
        return parse(text)
    key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    path = folder / f"{key}.pickle"
    with contextlib.suppress(OSError, pickle.UnpicklingError, EOFError, AttributeError,
                             ValueError, TypeError), path.open("rb") as f:
        return pickle.load(f)  # noqa: S301 - our own private folder, keyed by content
    value = parse(text)
    with contextlib.suppress(OSError, pickle.PicklingError, TypeError):
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return value
