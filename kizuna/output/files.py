"""Files kizuna writes: atomic (all or nothing, even after a kill), private (0600: they hold
applicants' data) and swept of the temporaries a killed run left."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..errors import BatchError, InputError
from ..i18n import _

# Temporary files are hidden and carry this suffix, so a re-run can sweep the ones a kill left.
TMP_SUFFIX = ".kizuna-tmp"


def private_file(path: str | Path, mode: str, **kwargs: Any) -> IO[Any]:
    """Open ``path`` for writing, readable by its owner only (0600, like the log), whatever the
    umask: what kizuna writes to a file holds applicants' data."""
    if not str(path).strip():
        raise InputError(_("The output file name is empty."), field="output")
    try:
        # O_NOFOLLOW: a symbolic link put where the file goes is refused, not written through
        # (its target would get applicants' data and a new mode).
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as exc:
        reason = _("it is a symbolic link") if exc.errno == errno.ELOOP else exc.strerror
        raise InputError(_("Cannot write the file: {reason}.").format(reason=reason),
                         path=str(path)) from None
    # A file that was already there keeps its mode otherwise; a device or pipe (/dev/stdout,
    # /dev/null) is not ours to change.
    if hasattr(os, "fchmod") and stat.S_ISREG(os.fstat(fd).st_mode):
        os.fchmod(fd, 0o600)
    return os.fdopen(fd, mode, **kwargs)


def prepare_out_dir(out: Path) -> None:
    """Create the folder and prove it takes files, before any row is processed."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = mkstemp_beside(out, "probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise BatchError(
            _("The output folder cannot be written: {reason}.").format(reason=exc.strerror or exc),
            path=str(out), hint=_("Choose a folder you can write to with --out."),
        ) from None
    for stale in out.glob(f".*{TMP_SUFFIX}"):
        # Left by a run that was killed mid-write (the log still knows every message). A
        # temporary of a run still going, in the same folder, is left alone.
        pid = stale.name[: -len(TMP_SUFFIX)].rsplit(".", 1)[-1]
        if pid.isdigit() and _alive(int(pid)):
            continue
        with contextlib.suppress(OSError):
            stale.unlink()


def mkstemp_beside(folder: Path, name: str) -> tuple[int, str]:
    """A hidden temporary beside its target, named with our process id (see the sweep).

    mkstemp creates it 0600 whatever the umask, and os.replace keeps that mode for the file
    it becomes: every batch output (and rejects.csv) holds applicants' data, like the log."""
    return tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=f".{os.getpid()}{TMP_SUFFIX}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, but belongs to someone else
    return True


def write_atomic(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write a file so that a reader (or a re-run after a kill) sees all of it or none of it."""
    fd, tmp = mkstemp_beside(path.parent, path.name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def writing(path: Path) -> Iterator[None]:
    """A full disk or a folder removed mid-run becomes one clear paragraph, not a traceback."""
    try:
        yield
    except OSError as exc:
        raise BatchError(
            _("Cannot write the file: {reason}.").format(reason=exc.strerror or exc),
            path=str(path),
            hint=_("Every message drafted so far is in the log; fix the folder and run the same "
                   "command again to finish."),
        ) from None


def sync_dir(path: Path) -> None:
    """Make the renames in a folder durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class StreamFile:
    """A file built line by line in a hidden temporary, put in place only when complete."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fd, tmp = mkstemp_beside(path.parent, path.name)
        self.tmp = Path(tmp)
        self.handle: IO[str] = os.fdopen(fd, "w", encoding="utf-8", newline="")

    def finish(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        self.handle.close()
        with contextlib.suppress(OSError):
            self.tmp.unlink()


