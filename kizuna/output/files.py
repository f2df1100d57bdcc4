"""Files kizuna writes: atomic (all or nothing, even after a kill), private (0600: they hold
applicants' data) and swept of the temporaries a killed run left. One file is written with
:func:`write_atomic`; a batch chunk's files with :class:`FileSet`, synced once together."""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, cast

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


class FileSet:
    """The files of one batch chunk, put in place together: each complete or absent under its
    final name, whatever stops the run, at the cost of one sync for the chunk.

    :func:`write_atomic` syncs each file before it renames it: a crash then leaves every file
    under its name whole, but one ``fsync`` per file is most of what a batch of ``.txt`` files
    costs (each one a journal commit of its own). Here each file is written to a hidden
    temporary beside its target (0600, created anew: never through a symbolic link), and
    :meth:`commit` syncs the folder's filesystem once (Linux ``syncfs``), then renames every
    temporary to its name, then syncs the folder once, so the renames are on disk before the
    rows are reported written. Where there is no ``syncfs``, each temporary is synced as it is
    written, as write_atomic does.

    What a stop can leave, the batch log being the record (a chunk is committed there before
    its files are written, and a re-run writes every logged row whose file is missing, from
    the logged text):

    - a kill (the process dies, the system goes on): the kernel keeps what was written, so a
      name is either absent (its temporary, whole or partial, is left behind) or the complete
      file, since a temporary is renamed only once it has all its bytes;
    - a crash or power cut before the sync: the temporaries may be short or empty, but none
      has been renamed, so no final name points at them;
    - during the renames, or before the folder is synced: each name is absent or points at a
      temporary whose bytes were already on disk, so it is the complete file.

    A re-run sweeps the temporaries (:func:`prepare_out_dir`) and writes again every file
    that is absent: nothing is lost, and no file is half-written under its name.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._pending: list[tuple[str, Path]] = []
        self._syncfs = _syncfs()

    def add(self, path: Path, data: bytes) -> None:
        """Write ``data`` to a hidden temporary for ``path`` (in place on :meth:`commit`)."""
        fd, tmp = _create_temporary(path)
        self._pending.append((tmp, path))
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if self._syncfs is None:
                f.flush()
                os.fsync(f.fileno())

    def commit(self) -> None:
        """Put every file added in place, durably (see the class)."""
        if not self._pending:
            return
        if self._syncfs is not None:
            self._sync_filesystem(self._syncfs)
        while self._pending:
            tmp, path = self._pending[0]
            os.replace(tmp, path)
            del self._pending[0]
        sync_dir(self.folder)

    def discard(self) -> None:
        """Remove the temporaries not yet in place (after an error: the log keeps their rows)."""
        for tmp, _target in self._pending:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self._pending.clear()

    def _sync_filesystem(self, syncfs: Callable[[int], int]) -> None:
        import ctypes

        fd = os.open(self.folder, os.O_RDONLY)
        try:
            if syncfs(fd) != 0:
                code = ctypes.get_errno()
                raise OSError(code, os.strerror(code))
        finally:
            os.close(fd)


_TEMPORARY_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                    | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


def _create_temporary(path: Path) -> tuple[int, str]:
    """A new hidden temporary beside ``path``, 0600: ``.{name}.{pid}.kizuna-tmp``, the name
    :func:`mkstemp_beside` would give without its random part (one process writes one file
    of a name at a time), or mkstemp's own when that is taken."""
    tmp = os.path.join(path.parent, f".{path.name}.{os.getpid()}{TMP_SUFFIX}")
    try:
        return os.open(tmp, _TEMPORARY_FLAGS, 0o600), tmp
    except FileExistsError:
        return mkstemp_beside(path.parent, path.name)


@functools.cache
def _syncfs() -> Callable[[int], int] | None:
    """Linux's syncfs(2): every file of one filesystem to disk in one call; None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (ImportError, OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return cast("Callable[[int], int]", function)


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


