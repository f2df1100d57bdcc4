"""Batch runs: a CSV of applicants becomes one drafted, logged message each, safely re-runnable.

The work happens in two streaming passes over the file, so memory stays flat however many
rows there are. The first pass detects the encoding, reads the header and validates every row
(nothing is written if a row is bad, unless ``skip_invalid``). The second pass renders the
messages in chunks: each chunk is recorded in the log in one transaction, under idempotency
keys built from the kind, stage, date and applicant id, and only then are its files written.
A run killed at any moment is finished by running it again: rows already in the log are not
rendered twice, and a file lost to the kill is written again from the logged message.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import json
import os
import re
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, NamedTuple

from .errors import BatchError, CharsetError, KizunaError
from .headers import HEADER_BREAK, PLAIN_ADDRESS, address_problem
from .kinds import KINDS, get_kind
from .models import Candidate, Exchange, Message, Slot, Topic
from .topics import TopicChoice

if TYPE_CHECKING:
    from .log import Log
    from .profile import Profile

__all__ = [
    "BatchEvent",
    "BatchPlan",
    "BatchRow",
    "BatchRun",
    "BatchSummary",
    "RowProblem",
    "batch_key",
    "detect_encoding",
    "plan_batch",
    "run_batch",
    "safe_file_stem",
]

Format = Literal["txt", "eml", "jsonl"]
Status = Literal["written", "already_done", "skipped", "rejected", "planned"]

FORMATS: tuple[str, ...] = ("txt", "eml", "jsonl")
JSONL_NAME = "messages.jsonl"
REJECTS_NAME = "rejects.csv"
# Rows recorded per log transaction: large enough that commits are rare, small enough that a
# kill loses little work and memory stays flat.
CHUNK_SIZE = 500
# Temporary files are hidden and carry this suffix, so a re-run can sweep the ones a kill left.
TMP_SUFFIX = ".kizuna-tmp"
MAX_STEM = 100

# Column roles and the header names that mean them. English names match case-insensitively.
# フリガナ is accepted beside ふりがな: job sites export either.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("応募番号", "id"),
    "name": ("氏名", "name"),
    "kana": ("ふりがな", "フリガナ", "kana"),
    "email": ("メールアドレス", "email"),
    "result": ("結果", "result"),
}
_HEADER_ROLE: dict[str, str] = {
    name.casefold(): role for role, names in COLUMN_NAMES.items() for name in names
}
RESULT_WORDS: dict[str, str] = {
    "通過": "passed",
    "不通過": "not_passed",
    "合格": "passed",
    "不合格": "not_passed",
    "passed": "passed",
    "not_passed": "not_passed",
}
# Excel's "Shift_JIS" is really Microsoft's CP932: plain shift_jis cannot decode 髙 or 﨑,
# which are common in surnames, so these names are read as CP932.
_ENCODING_ALIASES = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "s-jis": "cp932",
    "ms932": "cp932",
    "windows-31j": "cp932",
    "utf-8": "utf-8-sig",
    "utf8": "utf-8-sig",
}
_TRIM = " \t\u3000\ufeff"
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85\x0b\x0c]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_LEADING_DOTS = re.compile(r"^\.+")
# Names Windows reserves for devices: a file called CON.txt cannot be created there.
_WINDOWS_DEVICES = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)} | {
    f"lpt{i}" for i in range(1, 10)
}
# An id that is its own file name (the usual case, like S-000123): only safe characters, no
# leading dot, a letter or digit, not too long, not a device name. safe_file_stem returns such
# an id unchanged, so one match spares it the substitutions.
_SAFE_STEM = re.compile(
    r"(?!\.)(?!(?i:con|prn|aux|nul|com[1-9]|lpt[1-9])(?:\.|\Z))(?=.*?[A-Za-z0-9])"
    rf"[A-Za-z0-9._-]{{1,{MAX_STEM}}}"
)


def _fail(
    message: str, *, path: str | None = None, hint: str | None = None, problems: list[str] | None = None
) -> BatchError:
    """A BatchError naming the file, with what to do."""
    return BatchError(message, path=path, hint=hint, problems=problems)


# --- small public helpers ----------------------------------------------------------------------


def batch_key(kind: str, stage: str | None, on: dt.date, candidate_id: str) -> str:
    """The idempotency key of one applicant's message in a batch."""
    return f"batch:{kind}:{stage or '-'}:{on.isoformat()}:{candidate_id}"


def safe_file_stem(candidate_id: str) -> str | None:
    """The file name (without extension) for an applicant id, or None if none can be made.

    Only ``[A-Za-z0-9._-]`` survive; anything else becomes ``_``, and leading dots become ``_``
    too, so ``../../x`` turns into ``___.._x``: no separator, no hidden file, no way out of the
    output folder. An id with no letter or digit at all would give a meaningless name.
    """
    if _SAFE_STEM.fullmatch(candidate_id):
        return candidate_id
    stem = _UNSAFE_FILE_CHARS.sub("_", candidate_id)
    stem = _LEADING_DOTS.sub(lambda m: "_" * len(m.group()), stem)
    if not any(c.isalnum() for c in stem) or len(stem) > MAX_STEM:
        return None
    if stem.split(".")[0].casefold() in _WINDOWS_DEVICES:
        stem = "_" + stem
    return stem


def detect_encoding(path: Path, encoding: str | None = None) -> str:
    """UTF-8 (with or without BOM) or CP932, checked over the whole file; ``encoding`` overrides.

    The file is streamed through an incremental decoder, so a 100,000-row file is never held
    in memory. Anything that is neither, or that holds NUL bytes (a spreadsheet, UTF-16, an
    image), is a BatchError naming the file and, for a byte that cannot be read, its line and
    column in each encoding tried. A named ``encoding`` is checked over the whole file too: one
    that does not fit names the line, one Python does not know lists the accepted names.
    """
    try:
        with path.open("rb") as f:
            head = f.read(4)
    except FileNotFoundError:
        raise _fail("Input file not found.", path=str(path)) from None
    except IsADirectoryError:
        raise _fail("Expected a CSV file, found a folder.", path=str(path)) from None
    except OSError as exc:
        raise _fail(f"Cannot read the input file: {exc.strerror}.", path=str(path)) from None
    if encoding is not None:
        return _named_encoding(path, encoding)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(
            "The file is UTF-16 (Excel's 'Unicode Text'), not CSV.", path=str(path),
            hint="In Excel, save it as 'CSV UTF-8 (Comma delimited)'.",
        )
    found: list[_BadBytes] = []
    for candidate in DETECTED:
        bad = _first_bad_bytes(path, candidate)
        if bad is None:
            return candidate
        found.append(bad)
    raise _fail(
        "The file is not UTF-8 or CP932 (Shift_JIS) text: "
        + "; ".join(f"as {_label(bad.encoding)}, {bad}" for bad in found) + ".",
        path=str(path),
        hint="Save it from Excel as 'CSV UTF-8 (Comma delimited)', or name the encoding with --encoding.",
    )


# The encodings tried, in order, when none is named.
DETECTED: tuple[str, ...] = ("utf-8-sig", "cp932")
ACCEPTED_ENCODINGS = (
    "utf-8 (with or without BOM), cp932 (also named shift_jis, sjis, ms932 or windows-31j), "
    "or another text encoding Python knows, such as euc_jp or iso-2022-jp"
)


def _label(encoding: str) -> str:
    return {"utf-8-sig": "UTF-8", "cp932": "CP932 (Shift_JIS)"}.get(encoding, encoding)


class _BadBytes(NamedTuple):
    """The first bytes of a file an encoding cannot read; line and column count from 1
    (the column in characters, as an editor shows it)."""

    encoding: str
    line: int
    column: int
    data: bytes

    def shown(self) -> str:
        return " ".join(f"0x{b:02X}" for b in self.data[:4]) or "the end of the file"

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column} ({self.shown()})"


def _named_encoding(path: Path, encoding: str) -> str:
    """The codec for an ``--encoding`` value, once the whole file has been read with it."""
    key = encoding.strip().lower().replace("_", "-")
    name = _ENCODING_ALIASES.get(key, encoding.strip())
    try:
        # TextIOWrapper refuses codecs that are not text encodings (rot13, base64, zlib...).
        io.TextIOWrapper(io.BytesIO(), encoding=name)
        codecs.getincrementaldecoder(name)("strict").decode(b"a")
    except (LookupError, UnicodeError):
        raise _fail(
            f"Unknown encoding '{encoding}'.", path=str(path),
            hint=f"Use {ACCEPTED_ENCODINGS}, or leave --encoding out to detect UTF-8 or CP932.",
        ) from None
    wide = codecs.lookup(name).name.startswith(("utf-16", "utf-32"))
    bad = _first_bad_bytes(path, name, binary_check=not wide)
    if bad is None:
        return name
    fits = next((c for c in DETECTED if c != name and _fits(path, c)), None)
    hint = (
        f"The file reads as {_label(fits)}: leave --encoding out, or pass --encoding "
        f"{'utf-8' if fits == 'utf-8-sig' else fits}."
        if fits else "Name the encoding the file was saved in, or save it from Excel as "
        "'CSV UTF-8 (Comma delimited)'."
    )
    error = _fail(
        f"Cannot decode the file as {encoding}: column {bad.column} holds {bad.shown()}, "
        f"which is not {encoding} text.",
        path=str(path), hint=hint,
    )
    error.line = bad.line
    raise error


def _fits(path: Path, encoding: str) -> bool:
    """Whether the whole file decodes (a file with NUL bytes fits no detected encoding)."""
    try:
        return _first_bad_bytes(path, encoding) is None
    except BatchError:
        return False


def _first_bad_bytes(path: Path, encoding: str, *, binary_check: bool = True) -> _BadBytes | None:
    """None if the whole file decodes, else where it first fails. Blocks are decoded first
    (fast); only a file that fails is read again line by line to find the place."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            if binary_check and b"\x00" in block:
                raise _fail(
                    "The file holds binary data (NUL bytes); it is not a CSV file.", path=str(path),
                    hint="Export the applicant list as CSV from the job site or Excel.",
                )
            try:
                decoder.decode(block)
            except UnicodeError:
                return _locate(path, encoding)
        try:
            decoder.decode(b"", final=True)
        except UnicodeError:
            return _locate(path, encoding)
    return None


def _locate(path: Path, encoding: str) -> _BadBytes:
    """Where ``encoding`` first fails on the file: the lines are counted in the decoded text,
    so this holds for any encoding, the bytes before the failure decoded on their own."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    line, column = 1, 1

    def advance(text: str) -> None:
        nonlocal line, column
        breaks = text.count("\n")
        if breaks:
            line += breaks
            column = len(text) - text.rfind("\n")
        else:
            column += len(text)

    with path.open("rb") as f:
        for chunk in f:
            state = decoder.getstate()
            try:
                advance(decoder.decode(chunk))
            except UnicodeDecodeError as exc:
                # exc.object is the bytes the decoder held from before, then this chunk.
                held = len(exc.object) - len(chunk)
                decoder.setstate(state)
                with contextlib.suppress(UnicodeDecodeError):
                    advance(decoder.decode(chunk[: max(exc.start - held, 0)]))
                return _BadBytes(encoding, line, column, bytes(exc.object[exc.start:exc.end]))
            except UnicodeError:  # a codec that cannot say where (UTF-16 without a BOM)
                return _BadBytes(encoding, line, column, chunk[:2])
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return _BadBytes(encoding, line, column, bytes(exc.object[exc.start:exc.end]))
        except UnicodeError:
            pass
    return _BadBytes(encoding, line, column, b"")


# --- the plan: header, validation, rows ---------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    """One reason a row cannot be used."""

    line: int
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class BatchRow:
    """A validated row: the applicant, their result, and the file name their message gets."""

    line: int
    candidate: Candidate
    result: str | None
    stem: str


class _Record(NamedTuple):
    """One CSV record as read: where it starts, its cells, and what is wrong with it."""

    line: int
    fields: list[str]
    row: BatchRow | None
    problems: list[RowProblem]
    blank: bool = False


class _Layout(NamedTuple):
    """Where each role's cell is, looked up once per pass instead of once per row (-1: absent)."""

    width: int
    id: int
    name: int
    kana: int
    email: int
    result: int  # -1 also when the kind needs no result
    extra: tuple[tuple[int, str], ...]
    require_email: bool

    @classmethod
    def of(cls, plan: BatchPlan) -> _Layout:
        columns = plan.columns
        needs_result = KINDS[plan.kind].needs_result
        return cls(
            len(plan.header), columns["id"], columns["name"], columns.get("kana", -1),
            columns.get("email", -1), columns["result"] if needs_result else -1,
            plan.extra_columns, plan.require_email,
        )


@dataclass
class BatchPlan:
    """What a batch file holds, after the validation pass. Rows are not kept: ``records()``
    reads the file again, so a plan of 100,000 rows costs what a plan of ten does."""

    path: Path
    kind: str
    encoding: str
    header: tuple[str, ...]
    columns: Mapping[str, int]
    extra_columns: tuple[tuple[int, str], ...]
    japanese: bool
    require_email: bool = False
    stamp: tuple[int, int] = (0, 0)
    rows: int = 0
    blank: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    _bad: dict[int, list[RowProblem]] = field(default_factory=dict, repr=False)

    @property
    def valid(self) -> int:
        """Rows that will get a message."""
        return self.rows - len(self._bad)

    @property
    def total(self) -> int:
        """Records a run reports on: every row, blank ones included."""
        return self.rows + self.blank

    @property
    def ok(self) -> bool:
        return not self.problems

    def bad_lines(self) -> Mapping[int, list[RowProblem]]:
        """Problems by the line their row starts on."""
        return self._bad

    def error(self, limit: int = 20) -> BatchError:
        """One paragraph naming the file and the first ``limit`` problems."""
        shown = "; ".join(str(p) for p in self.problems[:limit])
        more = len(self.problems) - limit
        if more > 0:
            shown += f"; and {more} more"
        return _fail(
            f"{len(self._bad)} of {self.rows} rows cannot be used, so nothing was written: {shown}.",
            path=str(self.path), problems=[str(p) for p in self.problems],
            hint="Correct them and run again, or pass --skip-invalid to write the other rows "
            "and list these in rejects.csv.",
        )

    def records(self) -> Iterator[_Record]:
        """Read the file again, yielding every record with its row or its problems.

        Duplicate ids are found only by the validation pass; here they come from the plan,
        which is why a file changed since it was checked is refused.
        """
        for item in self._rows(records=True):
            assert isinstance(item, _Record)  # records=True wraps every row
            yield item

    def _rows(self, *, records: bool = False) -> Iterator[BatchRow | _Record]:
        """The second pass: a BatchRow for each row the plan found valid (wrapped in a
        _Record if ``records``), a _Record for the others.

        Rows the plan found valid are not validated again, only read: the file is the one the
        plan checked (size and modification time), and a row that reads differently after all
        takes the full check, whose problems the run reports as a changed line.
        """
        if _stamp(self.path) != self.stamp:
            raise _fail(
                "The file changed after it was checked.", path=str(self.path),
                hint="Run the batch again once the file is saved.",
            )
        bad_lines = self._bad
        layout = _Layout.of(self)
        width, id_at, name_at, kana_at, email_at, result_at, extra, require_email = layout
        unwanted = HEADER_BREAK.search
        words = RESULT_WORDS
        with _open_text(self.path, self.encoding) as handle:
            rows = _csv_rows(self.path, handle)
            next(rows, None)  # the header
            for line, cells in rows:
                joined = "".join(cells)
                if not joined.strip(_TRIM):
                    yield _Record(line, cells, None, [], blank=True)
                    continue
                bad = bad_lines.get(line)
                if bad:
                    if len(cells) < width:
                        cells = cells + [""] * (width - len(cells))
                    yield _Record(line, cells, None, bad)
                    continue
                if len(cells) == width and not unwanted(joined):
                    candidate_id = cells[id_at].strip(_TRIM)
                    name = cells[name_at].strip(_TRIM)
                    email = cells[email_at].strip(_TRIM) if email_at >= 0 else ""
                    result: str | None = None
                    if result_at >= 0:
                        raw = cells[result_at].strip(_TRIM)
                        result = words.get(raw) or words.get(raw.casefold())
                    stem = safe_file_stem(candidate_id) if candidate_id else None
                    if (stem is not None and name and (email or not require_email)
                            and (result is not None or result_at < 0)):
                        kana = cells[kana_at].strip(_TRIM) if kana_at >= 0 else ""
                        fields = {key: cells[index].strip(_TRIM) for index, key in extra} if extra else {}
                        candidate = Candidate(id=candidate_id, name=name, kana=kana, email=email, extra=fields)
                        row = BatchRow(line, candidate, result, stem)
                        yield _Record(line, cells, row, []) if records else row
                        continue
                yield _check_row(self, layout, line, cells, joined, check_email=False)

    def _add(self, problem: RowProblem) -> None:
        self.problems.append(problem)
        self._bad.setdefault(problem.line, []).append(problem)


def plan_batch(
    path: str | Path,
    *,
    kind: str,
    encoding: str | None = None,
    require_email: bool = False,
) -> BatchPlan:
    """Read and validate a batch file without writing anything.

    Raises BatchError for a file that cannot be read as CSV or whose header lacks a needed
    column; row problems are collected in ``plan.problems`` (every one, with line and column).
    """
    spec = get_kind(kind)
    path = Path(path)
    enc = detect_encoding(path, encoding)
    plan = _read_header(path, spec.id, enc, require_email)
    plan.stamp = _stamp(path)
    layout = _Layout.of(plan)
    width, id_at, name_at, _, email_at, result_at, _, _ = layout
    seen = _SeenIds()
    unwanted = HEADER_BREAK.search
    words = RESULT_WORDS
    blank = rows = 0
    with _open_text(path, enc) as handle:
        records = _csv_rows(path, handle)
        next(records, None)  # the header
        for line, cells in records:
            joined = "".join(cells)
            if not joined.strip(_TRIM):
                blank += 1
                continue
            rows += 1
            # The everyday row takes a few string operations: the right width, no control
            # character, an id that names a file, a name, a plain address (or none where none
            # is needed) and a known result. Any other row takes the full check, which names
            # every problem it has.
            if len(cells) == width and not unwanted(joined):
                candidate_id = cells[id_at].strip(_TRIM)
                email = cells[email_at].strip(_TRIM) if email_at >= 0 else ""
                stem = safe_file_stem(candidate_id) if candidate_id else None
                if (
                    stem is not None
                    and cells[name_at].strip(_TRIM)
                    and ((len(email) <= 254 and PLAIN_ADDRESS.fullmatch(email)) if email else not require_email)
                    and (result_at < 0 or (raw := cells[result_at].strip(_TRIM)) in words
                         or raw.casefold() in words)
                ):
                    _check_duplicate(plan, seen, line, candidate_id, stem)
                    continue
            record = _check_row(plan, layout, line, cells, joined, check_email=True)
            for problem in record.problems:
                plan._add(problem)
            if record.row is not None:
                _check_duplicate(plan, seen, line, record.row.candidate.id, record.row.stem)
    plan.rows, plan.blank = rows, blank
    plan.problems.sort(key=lambda p: p.line)
    return plan


def _check_duplicate(plan: BatchPlan, seen: _SeenIds, line: int, candidate_id: str, stem: str) -> None:
    """Note the row's file name; two rows with the same one are both problems."""
    earlier = seen.add(stem.casefold(), candidate_id, line)
    if earlier is None:
        return
    first_line, same_id = earlier
    column = plan.header[plan.columns["id"]]
    if same_id:
        plan._add(RowProblem(line, column, f"duplicate id '{candidate_id}' (first on line {first_line})"))
        plan._add(RowProblem(first_line, column, f"duplicate id '{candidate_id}' (again on line {line})"))
    else:
        plan._add(RowProblem(
            line, column,
            f"id '{candidate_id}' gives the file name '{stem}', which line {first_line}'s id also gives",
        ))
        plan._add(RowProblem(
            first_line, column, f"its file name '{stem}' is also given by line {line}'s id",
        ))


def _stamp(path: Path) -> tuple[int, int]:
    """Size and modification time: enough to notice the file was saved again between passes."""
    try:
        info = path.stat()
    except OSError:
        return (-1, -1)
    return (info.st_size, info.st_mtime_ns)


def _open_text(path: Path, encoding: str) -> IO[str]:
    try:
        return path.open("r", encoding=encoding, errors="strict", newline="")
    except OSError as exc:
        raise _fail(f"Cannot read the input file: {exc.strerror}.", path=str(path)) from None


def _csv_rows(plan_path: Path, handle: IO[str]) -> Iterator[tuple[int, list[str]]]:
    """(first line of the record, cells), turning decode and CSV errors into BatchError."""
    reader = csv.reader(handle, strict=False)
    previous = 0
    try:
        for cells in reader:
            yield previous + 1, cells
            previous = reader.line_num
    except UnicodeError as exc:
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
        raise _fail(
            f"Cannot decode the file after line {previous}: {reason}.", path=str(plan_path),
            hint="Name the right encoding with --encoding, or save it as 'CSV UTF-8'.",
        ) from None
    except csv.Error as exc:
        raise _fail(
            f"Not readable as CSV near line {previous + 1}: {exc}.", path=str(plan_path),
            hint="Check for a quotation mark that is opened and never closed.",
        ) from None


def _read_header(path: Path, kind: str, encoding: str, require_email: bool) -> BatchPlan:
    with _open_text(path, encoding) as handle:
        first = next(_csv_rows(path, handle), None)
    if first is None:
        raise _fail("The file is empty; expected a header row and one row per applicant.", path=str(path))
    header = tuple(cell.strip(_TRIM) for cell in first[1])
    columns: dict[str, int] = {}
    extra: list[tuple[int, str]] = []
    japanese = False
    for index, name in enumerate(header):
        role = _HEADER_ROLE.get(name.casefold())
        if role is None:
            extra.append((index, name or f"column_{index + 1}"))
            continue
        if role in columns:
            raise _fail(
                f"The header names the {role} column twice (columns {columns[role] + 1} and {index + 1}).",
                path=str(path), hint="Keep one of them.",
            )
        columns[role] = index
        japanese = japanese or not name.isascii()
    needed = ["id", "name"] + (["result"] if KINDS[kind].needs_result else [])
    missing = [role for role in needed if role not in columns]
    if missing:
        found = ", ".join(name or "(empty)" for name in header)
        want = ", ".join(f"{COLUMN_NAMES[r][0]} or {COLUMN_NAMES[r][-1]}" for r in needed)
        optional = ", ".join(f"{COLUMN_NAMES[r][0]} or {COLUMN_NAMES[r][-1]}" for r in ("kana", "email"))
        hint = f"Expected columns: {want} (optional: {optional}; any other column is passed to the templates)."
        if len(header) == 1 and "\t" in first[1][0]:
            hint += " The header looks tab-separated: save the file as CSV (comma-separated)."
        why = " The id names each applicant's file and makes re-runs safe." if "id" in missing else ""
        raise _fail(
            f"The header has no {', '.join(COLUMN_NAMES[r][0] + '/' + COLUMN_NAMES[r][-1] for r in missing)} "
            f"column. Columns found: {found}.{why}",
            path=str(path), hint=hint,
        )
    return BatchPlan(
        path=path, kind=kind, encoding=encoding, header=header, columns=columns,
        extra_columns=tuple(extra), japanese=japanese, require_email=require_email,
    )


def _check_row(
    plan: BatchPlan, layout: _Layout, line: int, cells: list[str], joined: str, *, check_email: bool
) -> _Record:
    """The full check of one non-blank row: every problem it has, or its BatchRow.

    Both passes send here only the rows their quick test does not clear, so this stays the
    one statement of what makes a row usable.
    """
    width = layout.width
    header = plan.header
    problems: list[RowProblem] = []
    if len(cells) > width:
        problems.append(RowProblem(
            line, None,
            f"{len(cells)} values but the header has {width} columns (a comma inside an unquoted value?)",
        ))
    elif len(cells) < width:
        cells = cells + [""] * (width - len(cells))
    # One search over the whole row; only a row with a hit is examined cell by cell.
    for index, cell in enumerate(cells[:width] if HEADER_BREAK.search(joined) else ()):
        if _LINE_BREAKS.search(cell):
            problems.append(RowProblem(line, header[index] or f"column_{index + 1}", "line break inside the value"))
        elif _CONTROL.search(cell):
            problems.append(RowProblem(line, header[index] or f"column_{index + 1}", "control character inside the value"))
    if problems:
        return _Record(line, cells, None, problems)
    row = _parse_row(plan, line, cells, layout.result >= 0, problems, check_email)
    return _Record(line, cells, row if not problems else None, problems)


def _parse_row(
    plan: BatchPlan,
    line: int,
    cells: list[str],
    needs_result: bool,
    problems: list[RowProblem],
    check_email: bool,
) -> BatchRow | None:
    columns = plan.columns
    header = plan.header
    candidate_id = cells[columns["id"]].strip(_TRIM)
    stem: str | None = None
    if not candidate_id:
        problems.append(RowProblem(line, header[columns["id"]], "empty id"))
    else:
        stem = safe_file_stem(candidate_id)
        if stem is None:
            problems.append(RowProblem(
                line, header[columns["id"]],
                f"id '{candidate_id}' cannot name a file (it needs a letter or digit and at most {MAX_STEM} characters)",
            ))
    name = cells[columns["name"]].strip(_TRIM)
    if not name:
        problems.append(RowProblem(line, header[columns["name"]], "empty name"))
    kana = cells[columns["kana"]].strip(_TRIM) if "kana" in columns else ""
    email = cells[columns["email"]].strip(_TRIM) if "email" in columns else ""
    if email:
        reason = email_problem(email) if check_email else None
        if reason:
            problems.append(RowProblem(line, header[columns["email"]], reason))
    elif plan.require_email:
        column = header[columns["email"]] if "email" in columns else "email"
        problems.append(RowProblem(line, column, "empty email (an .eml file needs an address)"))
    result: str | None = None
    if needs_result:
        raw = cells[columns["result"]].strip(_TRIM)
        result = RESULT_WORDS.get(raw) or RESULT_WORDS.get(raw.casefold())
        if not raw:
            problems.append(RowProblem(line, header[columns["result"]], "empty result"))
        elif result is None:
            words = ", ".join(RESULT_WORDS)
            problems.append(RowProblem(line, header[columns["result"]], f"unknown result '{raw}' (use one of {words})"))
    if problems or stem is None:
        return None
    extra = {key: cells[index].strip(_TRIM) for index, key in plan.extra_columns}
    candidate = Candidate(id=candidate_id, name=name, kana=kana, email=email, extra=extra)
    return BatchRow(line, candidate, result, stem)


def email_problem(address: str) -> str | None:
    """Why an address is unusable, or None: ``kizuna.headers.address_problem``, the rule the
    .eml writer applies."""
    problem = address_problem(address)
    return None if problem is None else f"malformed email: {problem}"


class _SeenIds:
    """Which file names earlier rows took, and on which line, in compact arrays.

    A set of strings costs about 100 bytes per id; at 100,000 rows that alone would break the
    flat-memory target. Here an id costs its bytes plus about 60: an open-addressing table of
    indexes into parallel arrays, with the names packed in one bytearray. Each name's hash is
    kept, so a probe compares two integers before any bytes, and growing never rehashes.
    """

    def __init__(self) -> None:
        self._slots = array("l", [-1]) * 1024
        self._mask = 1023
        self._hashes = array("q")
        self._offsets = array("q")
        self._lines = array("l")
        self._raw_hashes = array("q")
        self._data = bytearray()

    def add(self, stem: str, raw_id: str, line: int) -> tuple[int, bool] | None:
        """Record ``stem``; if an earlier row took it, return (its line, same raw id?)."""
        code = hash(stem)
        mask = self._mask
        slots = self._slots
        slot = code & mask
        index = slots[slot]
        while index >= 0:
            if self._hashes[index] == code and self._stem(index) == stem:
                return self._lines[index], self._raw_hashes[index] == hash(raw_id)
            slot = (slot + 1) & mask
            index = slots[slot]
        count = len(self._hashes)
        slots[slot] = count
        self._hashes.append(code)
        self._offsets.append(len(self._data))
        self._data += stem.encode("utf-8")
        self._lines.append(line)
        self._raw_hashes.append(hash(raw_id))
        if count * 2 >= mask:
            self._grow()
        return None

    def _stem(self, index: int) -> str:
        offsets = self._offsets
        end = offsets[index + 1] if index + 1 < len(offsets) else len(self._data)
        return self._data[offsets[index]:end].decode("utf-8")

    def _grow(self) -> None:
        size = len(self._slots) * 2
        slots = array("l", [-1]) * size
        mask = size - 1
        for index, code in enumerate(self._hashes):
            slot = code & mask
            while slots[slot] >= 0:
                slot = (slot + 1) & mask
            slots[slot] = index
        self._slots, self._mask = slots, mask


# --- the run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchEvent:
    """What happened to one record of the file.

    ``written``: a message was rendered, logged and written (or its lost file written again
    from the log: ``restored``); ``already_done``: an earlier run did it; ``skipped``: a blank
    row; ``rejected``: an invalid row left out (``skip_invalid``); ``planned``: a dry run
    rendered it and would write it.
    """

    status: Status
    line: int
    candidate_id: str | None = None
    path: Path | None = None
    key: str | None = None
    reason: str = ""
    restored: bool = False


@dataclass
class BatchSummary:
    """Counts of a run's events."""

    written: int = 0
    already_done: int = 0
    skipped: int = 0
    rejected: int = 0
    planned: int = 0

    def add(self, event: BatchEvent) -> None:
        setattr(self, event.status, getattr(self, event.status) + 1)

    def line(self) -> str:
        """The closing summary the CLI prints."""
        first = f"{self.planned} would be written" if self.planned else f"{self.written} written"
        return (
            f"{first}, {self.already_done} already done, {self.skipped} skipped, "
            f"{self.rejected} rejected."
        )


class BatchRun:
    """An iterator over a batch's events; ``summary`` counts them as they pass.

    Planning and the output-folder check happen when the run is created, so a bad file or an
    unwritable folder raises before the first event, and ``total`` is known for a progress bar.
    """

    def __init__(
        self, plan: BatchPlan, events: Iterator[BatchEvent], out_dir: Path, fmt: str, dry_run: bool
    ) -> None:
        self.plan = plan
        self.out_dir = out_dir
        self.format = fmt
        self.dry_run = dry_run
        self.summary = BatchSummary()
        self._events = events

    @property
    def total(self) -> int:
        return self.plan.total

    @property
    def rejects_path(self) -> Path | None:
        """Where the rejected rows were listed (None when there were none, or a dry run)."""
        return self.out_dir / REJECTS_NAME if self.summary.rejected and not self.dry_run else None

    def __iter__(self) -> BatchRun:
        return self

    def __next__(self) -> BatchEvent:
        event = next(self._events)
        self.summary.add(event)
        return event

    def close(self) -> None:
        """Stop early; what was committed stays, and a re-run finishes the rest."""
        close = getattr(self._events, "close", None)
        if close is not None:
            close()

    def run(self) -> BatchSummary:
        """Drain the events and return the summary."""
        for _ in self:
            pass
        return self.summary


def run_batch(
    path: str | Path,
    *,
    kind: str,
    profile: Profile,
    log: Log,
    out_dir: str | Path,
    on: dt.date,
    stage: str | None = None,
    fmt: str = "txt",
    skip_invalid: bool = False,
    dry_run: bool = False,
    encoding: str | None = None,
    chunk_size: int = CHUNK_SIZE,
    charset: str = "utf-8",
    fix: bool = False,
) -> BatchRun:
    """Validate ``path``, then draft, log and write one message per applicant, lazily.

    Returns a BatchRun: iterate it (or call ``.run()``) to do the work, one BatchEvent per
    record (blank and rejected rows are reported as they are read, the others once their
    chunk is logged, so events are not strictly in line order). Invalid rows raise BatchError before anything is written, unless ``skip_invalid``,
    which writes the good rows and lists the others in rejects.csv with their reasons.

    With ``fmt="eml"``, every row is first drafted (or, when an earlier run logged it and its
    file is missing, taken from the log) and put through every check of the .eml writer:
    header values, addresses, and with ``charset="iso-2022-jp"`` every character (a name is
    never altered; template text only with ``fix``). A row that fails raises BatchError
    listing them all before anything is logged or written, or with ``skip_invalid`` is listed
    in rejects.csv with the invalid rows.
    """
    from .compose import default_stage

    if fmt not in FORMATS:
        raise _fail(f"Unknown output format '{fmt}'.", hint=f"Use one of: {', '.join(FORMATS)}.")
    if charset not in ("utf-8", "iso-2022-jp"):
        raise _fail(f"Unknown charset '{charset}'.", hint="Use utf-8 or iso-2022-jp.")
    if charset != "utf-8" and fmt != "eml":
        raise _fail("A charset applies to .eml output only.", hint="Add --format eml.")
    spec = get_kind(kind)
    if spec.needs_slot or spec.offers_slots:
        raise _fail(
            f"'{kind}' works with interview slots, which are offered and booked one applicant at a time.",
            hint="Draft it per applicant with `kizuna draft`; batch runs suit application_received, "
            "screening_result, final_result and pre_arrival_guide.",
        )
    # The key uses the stage the message will name, so --stage given or left to its default
    # gives the same key and a re-run cannot duplicate.
    stage_obj = profile.stage(stage) if stage else default_stage(profile, spec)
    stage_id = stage_obj.id if stage_obj else None
    plan = plan_batch(path, kind=spec.id, encoding=encoding, require_email=fmt == "eml")
    if not plan.ok and not skip_invalid:
        raise plan.error()
    out = Path(out_dir)
    if not dry_run:
        _prepare_out_dir(out)
    work = _Work(plan, profile, log, out, on, stage_id, fmt, dry_run, max(1, chunk_size),
                 charset=charset, fix=fix)
    if fmt == "eml":
        work.check_messages(skip_invalid=skip_invalid)
    return BatchRun(plan, work.events(), out, fmt, dry_run)


def _prepare_out_dir(out: Path) -> None:
    """Create the folder and prove it takes files, before any row is processed."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = _mkstemp(out, "probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise _fail(
            f"The output folder cannot be written: {exc.strerror or exc}.", path=str(out),
            hint="Choose a folder you can write to with --out.",
        ) from None
    for stale in out.glob(f".*{TMP_SUFFIX}"):
        # Left by a run that was killed mid-write (the log still knows every message). A
        # temporary of a run still going, in the same folder, is left alone.
        pid = stale.name[: -len(TMP_SUFFIX)].rsplit(".", 1)[-1]
        if pid.isdigit() and _alive(int(pid)):
            continue
        with contextlib.suppress(OSError):
            stale.unlink()


def _mkstemp(folder: Path, name: str) -> tuple[int, str]:
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
    fd, tmp = _mkstemp(path.parent, path.name)
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
def _writing(path: Path) -> Iterator[None]:
    """A full disk or a folder removed mid-run becomes one clear paragraph, not a traceback."""
    try:
        yield
    except OSError as exc:
        raise _fail(
            f"Cannot write the file: {exc.strerror or exc}.", path=str(path),
            hint="Every message drafted so far is in the log; fix the folder and run the same "
            "command again to finish.",
        ) from None


def _sync_dir(path: Path) -> None:
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


class _StreamFile:
    """A file built line by line in a hidden temporary, put in place only when complete."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fd, tmp = _mkstemp(path.parent, path.name)
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


@dataclass
class _Chunk:
    """Rows of one transaction: those an earlier run logged, and the new messages."""

    rows: list[BatchRow]
    keys: list[str]
    logged: dict[str, dict[str, Any]]
    pairs: list[tuple[Message, str]]
    exchanges: list[Exchange]


class _Work:
    """The second pass: render, log and write, one chunk at a time."""

    def __init__(
        self,
        plan: BatchPlan,
        profile: Profile,
        log: Log,
        out: Path,
        on: dt.date,
        stage: str | None,
        fmt: str,
        dry_run: bool,
        chunk_size: int,
        *,
        charset: str = "utf-8",
        fix: bool = False,
    ) -> None:
        self.charset = charset
        self.fix = fix
        self.plan = plan
        self.profile = profile
        self.log = log
        self.out = out
        self.on = on
        self.stage = stage
        self.fmt = fmt
        self.dry_run = dry_run
        self.chunk_size = chunk_size
        self.kind = plan.kind
        self._render_file = self._file_renderer()
        self._json_lines = _JsonLines()
        # Every key of the batch starts the same way: built once, not per row.
        self._key_prefix = batch_key(self.kind, stage, on, "")
        from .compose import composer_for

        # Built now, so a broken or missing template is an error before the first row.
        self.composer = composer_for(profile)
        self.composer.template(self.kind)

    def events(self) -> Iterator[BatchEvent]:
        jsonl = rejects = None
        finished = False
        try:
            if not self.dry_run:
                with _writing(self.out):
                    if self.fmt == "jsonl":
                        jsonl = _StreamFile(self.out / JSONL_NAME)
                    if self.plan.problems:
                        rejects = _StreamFile(self.out / REJECTS_NAME)
                        self._start_rejects(rejects)
            chunk: list[BatchRow] = []
            for record in self.plan._rows():
                if isinstance(record, BatchRow):
                    row = record
                elif record.row is not None:
                    row = record.row
                elif record.blank:
                    yield BatchEvent("skipped", record.line, reason="blank row")
                    continue
                else:
                    known = self.plan.bad_lines().get(record.line)
                    if not known:
                        raise _fail(
                            f"Line {record.line} changed while the batch was running.",
                            path=str(self.plan.path), hint="Run the batch again on the saved file.",
                        )
                    reason = "; ".join(p.reason if p.column is None else f"{p.column}: {p.reason}" for p in known)
                    if rejects is not None:
                        self._reject(rejects, record, reason)
                    id_index = self.plan.columns["id"]
                    raw_id = record.fields[id_index].strip(_TRIM) if id_index < len(record.fields) else ""
                    yield BatchEvent("rejected", record.line, raw_id or None, reason=reason)
                    continue
                chunk.append(row)
                if len(chunk) >= self.chunk_size:
                    yield from self._complete(self._record(chunk), jsonl)
                    chunk = []
            if chunk:
                yield from self._complete(self._record(chunk), jsonl)
            with _writing(self.out):
                if jsonl is not None:
                    jsonl.finish()
                if rejects is not None:
                    rejects.finish()
                elif not self.dry_run:
                    # A rejects file from an earlier run of a file since corrected would mislead.
                    (self.out / REJECTS_NAME).unlink(missing_ok=True)
            if not self.dry_run:
                _sync_dir(self.out)
            finished = True
        finally:
            if not finished:
                for stream in (jsonl, rejects):
                    if stream is not None:
                        stream.discard()

    # --- rejects.csv ---

    def _start_rejects(self, rejects: _StreamFile) -> None:
        # UTF-8 with BOM: Excel opens it with the Japanese intact.
        rejects.handle.write("\ufeff")
        extra = ("行", "理由") if self.plan.japanese else ("line", "reason")
        csv.writer(rejects.handle).writerow([*extra, *self.plan.header])

    def _reject(self, rejects: _StreamFile, record: _Record, reason: str) -> None:
        csv.writer(rejects.handle).writerow([record.line, reason, *record.fields])

    # --- one chunk ---

    def _record(self, rows: Sequence[BatchRow]) -> _Chunk:
        """Look up which rows an earlier run did, render the others and record them in one
        transaction (none in a dry run)."""
        keys = [self._key_prefix + row.candidate.id for row in rows]
        logged = self._logged(keys)
        fresh = [(row, key) for row, key in zip(rows, keys, strict=True) if key not in logged]
        messages = self._compose(fresh)
        pairs = [(message, key) for message, (_, key) in zip(messages, fresh, strict=True)]
        exchanges = self.log.record_outbound_many(pairs) if pairs and not self.dry_run else []
        return _Chunk(list(rows), keys, logged, pairs, exchanges)

    def _complete(self, chunk: _Chunk, jsonl: _StreamFile | None) -> Iterator[BatchEvent]:
        """Write the files of a committed chunk and report each row."""
        rows, keys, logged = chunk.rows, chunk.keys, chunk.logged
        exchange_ids: dict[str, int] = {}
        if chunk.exchanges:  # none in a dry run
            exchange_ids = {key: ex.id for (_, key), ex in zip(chunk.pairs, chunk.exchanges, strict=True)}
        rendered = {key: message for message, key in chunk.pairs}
        if jsonl is not None and not self.dry_run:
            yield from self._flush_jsonl(rows, keys, rendered, logged, exchange_ids, jsonl)
            return
        for row, key in zip(rows, keys, strict=True):
            message = rendered.get(key)
            if self.dry_run:
                if message is not None:
                    yield BatchEvent("planned", row.line, row.candidate.id, key=key)
                else:
                    yield BatchEvent("already_done", row.line, row.candidate.id, key=key)
                continue
            target = self.out / f"{row.stem}.{self.fmt}"
            if message is not None:
                with _writing(target):
                    write_atomic(target, self._render_file(message))
                yield BatchEvent("written", row.line, row.candidate.id, target, key)
            elif target.exists():
                yield BatchEvent("already_done", row.line, row.candidate.id, target, key)
            else:
                # Logged by a run that died before writing the file: write it from the log,
                # never by rendering again (the logged text is what counts as sent).
                with _writing(target):
                    write_atomic(target, self._render_file(_message_from_log(logged[key], row)))
                yield BatchEvent("written", row.line, row.candidate.id, target, key, restored=True)

    def _flush_jsonl(
        self,
        rows: Sequence[BatchRow],
        keys: Sequence[str],
        rendered: Mapping[str, Message],
        logged: Mapping[str, Mapping[str, Any]],
        exchange_ids: Mapping[str, int],
        jsonl: _StreamFile,
    ) -> Iterator[BatchEvent]:
        """Every row of the chunk gets its line, new ones from the message, done ones from the
        log, so the finished file holds each applicant exactly once whatever happened before."""
        lines = []
        json_line = self._json_lines.line
        for row, key in zip(rows, keys, strict=True):
            message = rendered.get(key)
            if message is not None:
                lines.append(json_line(message, key, exchange_ids.get(key)))
            else:
                entry = logged[key]
                lines.append(json_line(_message_from_log(entry, row), key, entry["id"]))
        with _writing(jsonl.path):
            jsonl.handle.write("".join(lines))
        path = jsonl.path
        for row, key in zip(rows, keys, strict=True):
            status: Status = "written" if key in rendered else "already_done"
            yield BatchEvent(status, row.line, row.candidate.id, path, key)

    def _choices(self, rows: Sequence[BatchRow]) -> list[TopicChoice]:
        """Topics for a chunk: each result group is spread evenly over its eligible lines
        (choose_many), and nobody gets a line their history already holds."""
        from .topics import choose_many

        known = self._candidates_with_history([row.candidate.id for row in rows])
        histories = {cid: self.log.topic_history(cid) for cid in known}
        groups: dict[str | None, list[int]] = {}
        for index, row in enumerate(rows):
            groups.setdefault(row.result, []).append(index)
        choices: list[TopicChoice] = [TopicChoice()] * len(rows)
        for result, indexes in groups.items():
            picked = choose_many(
                self.on, self.kind, [rows[i].candidate.id for i in indexes], result=result,
                histories=histories, profile=self.profile,
            )
            for index, choice in zip(indexes, picked, strict=True):
                choices[index] = choice
        return choices

    def check_messages(self, *, skip_invalid: bool) -> None:
        """Before anything is logged or written: build every message an .eml will be made of
        and run on it every check the .eml writer makes (kizuna.mail.check_email: header
        values, addresses, the charset with or without ``fix``, line lengths).

        New rows are drafted as the run will draft them; rows an earlier run logged are taken
        from the log, as the run restores them, unless their file is there already. A row that
        fails becomes a problem of the plan: with ``skip_invalid`` it is left out and listed in
        rejects.csv, otherwise BatchError names every such line and nothing is written.

        Topics are chosen per chunk, so leaving rows out changes the topics of the others in
        their chunk: rows are checked in the chunks the run will make, and a chunk that loses
        rows is checked again once it is full, until every row in it passes.
        """
        failed: dict[int, str] = {}
        ids: dict[int, str] = {}
        chunk: list[BatchRow] = []
        size = self.chunk_size

        def settle(rows: list[BatchRow]) -> list[BatchRow]:
            while rows:
                found = self._check_chunk(rows)
                if not found:
                    break
                failed.update(found)
                ids.update((row.line, row.candidate.id) for row in rows if row.line in found)
                rows = [row for row in rows if row.line not in found]
                if not skip_invalid:
                    break  # nothing will be written: the rest need no second look
            return rows

        for record in self.plan._rows():
            row = record if isinstance(record, BatchRow) else record.row
            if row is None:
                continue
            chunk.append(row)
            if len(chunk) >= size:
                chunk = settle(chunk)
                if len(chunk) >= size or not skip_invalid:
                    chunk = []
        settle(chunk)
        if not failed:
            return
        if skip_invalid:
            for line, reason in failed.items():
                self.plan._add(RowProblem(line, None, reason))
            self.plan.problems.sort(key=lambda p: p.line)
            return
        listed = [f"line {line} ({ids[line]}): {failed[line]}" for line in sorted(failed)]
        shown = listed[:20] + ([f"and {len(listed) - 20} more"] if len(listed) > 20 else [])
        charset = " in ISO-2022-JP" if self.charset == "iso-2022-jp" else ""
        raise _fail(
            f"{len(listed)} of {self.plan.valid} rows cannot be written as email{charset}, so "
            "nothing was written: " + "; ".join(shown) + ".",
            path=str(self.plan.path), problems=listed,
            hint="Correct them and run again, or pass --skip-invalid to write the other rows "
            "and list these in rejects.csv"
            + (". Use --charset utf-8 (the default) for a name ISO-2022-JP cannot carry, or "
               "--fix for template text." if charset else "."),
        )

    def _check_chunk(self, rows: Sequence[BatchRow]) -> dict[int, str]:
        """The rows of one chunk whose .eml cannot be written, by line, with the reason."""
        from .mail import check_email

        keys = [self._key_prefix + row.candidate.id for row in rows]
        logged = self._logged(keys)
        fresh = [(row, key) for row, key in zip(rows, keys, strict=True) if key not in logged]
        picked = self._choices([row for row, _ in fresh]) if fresh else []
        choices = {key: choice for (_, key), choice in zip(fresh, picked, strict=True)}
        found: dict[int, str] = {}
        for row, key in zip(rows, keys, strict=True):
            entry = logged.get(key)
            try:
                if entry is None:
                    message = self._draft(row, choices[key], fixing=False)
                elif (self.out / f"{row.stem}.{self.fmt}").exists():
                    continue  # already done: the run leaves the file alone
                else:
                    message = _message_from_log(entry, row)
                check_email(message, self.profile, charset=self.charset, fix=self.fix)
            except CharsetError as exc:
                found[row.line] = self._charset_reason(exc) or exc.message
            except KizunaError as exc:
                if isinstance(exc, BatchError) or exc.line is not None:
                    raise  # the template or the file, not this row
                found[row.line] = f"{exc.field}: {exc.message}" if exc.field else exc.message
        return found

    def _charset_reason(self, exc: CharsetError) -> str:
        """What ISO-2022-JP cannot carry in one message, each character once."""
        reasons: list[str] = []
        seen: set[tuple[str, str]] = set()
        for p in exc.problems:
            where = "the name" if p.in_name else p.field
            if (p.in_name or p.suggestion is None or not self.fix) and (where, p.char) not in seen:
                seen.add((where, p.char))
                hint = (" (an applicant's name is never altered: write this row in UTF-8)"
                        if p.in_name else f" (→ {p.suggestion} with --fix)" if p.suggestion else "")
                reasons.append(f"ISO-2022-JP cannot carry {p.char!r} in {where}{hint}")
        return "; ".join(reasons)

    def _draft(self, row: BatchRow, choice: TopicChoice, *, fixing: bool = True) -> Message:
        message = self.composer.compose(self.kind, row.candidate, on=self.on, result=row.result,
                                        stage=self.stage, topics=choice.topics)
        if fixing and self.fix and self.charset == "iso-2022-jp":
            from .mail import fix_iso2022jp

            # Log the fixed text: the log holds what the applicant receives.
            message, _ = fix_iso2022jp(message, self.profile)
        return message

    def _compose(self, fresh: Sequence[tuple[BatchRow, str]]) -> list[Message]:
        if not fresh:
            return []
        choices = self._choices([row for row, _ in fresh])
        messages = []
        draft = self._draft
        for (row, _), choice in zip(fresh, choices, strict=True):
            try:
                messages.append(draft(row, choice))
            except KizunaError as exc:
                if isinstance(exc, BatchError) or exc.line is not None:
                    raise
                # A row the validation pass let through but the composer refuses: name it.
                raise _fail(
                    f"Line {row.line} (id '{row.candidate.id}'): {exc}", path=str(self.plan.path),
                ) from None
        return messages

    def _candidates_with_history(self, ids: Sequence[str]) -> set[str]:
        """Which of these applicants have any message logged: most rows of a first batch have
        none, and asking once per chunk spares a query per row."""
        marks = ",".join("?" * len(ids))
        rows = self.log.db.execute(
            f"SELECT DISTINCT candidate_id FROM exchanges WHERE candidate_id IN ({marks})", list(ids)
        ).fetchall()
        return {r[0] for r in rows}

    def _logged(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The logged exchanges of these keys (one query per chunk)."""
        marks = ",".join("?" * len(keys))
        cursor = self.log.db.execute(
            f"SELECT * FROM exchanges WHERE idempotency_key IN ({marks})", list(keys)
        )
        names = [d[0] for d in cursor.description]
        found = {}
        for values in cursor.fetchall():
            entry = dict(zip(names, values, strict=True))
            found[entry["idempotency_key"]] = entry
        return found

    def _file_renderer(self) -> Callable[[Message], bytes]:
        if self.fmt == "eml":
            from .mail import as_bytes, to_email

            profile, charset, fix = self.profile, self.charset, self.fix

            def eml(message: Message) -> bytes:
                # fix as checked: a drafted message is fixed already, the profile is not.
                return as_bytes(to_email(message, profile, charset=charset, fix=fix))

            return eml

        from .pipeline import as_text

        def txt(message: Message) -> bytes:
            # The same text `kizuna draft` prints: subject line, blank line, body.
            return as_text(message).encode("utf-8")

        return txt


_JSON = json.JSONEncoder(ensure_ascii=False)
# The function _JSON applies to every string (json.encoder picks it for ensure_ascii=False),
# called directly: going through _JSON.encode costs a Python call per string.
_json_string = json.encoder.encode_basestring
# Distinct topic lists kept as JSON at most; a batch has a few dozen, so this only bounds a
# re-run that rebuilds every line from the log.
_TOPICS_CACHED = 4096


def _json_line(message: Message, key: str, exchange_id: int | None) -> str:
    """A messages.jsonl line the plain way: the reference ``_JsonLines`` must match."""
    data = message.to_dict()
    data["idempotency_key"] = key
    data["exchange_id"] = exchange_id
    return _JSON.encode(data) + "\n"


class _JsonLines:
    """messages.jsonl lines, the same text as ``_json_line`` at a fraction of the cost.

    Encoding ``message.to_dict()`` walks every key and value of every message, though a batch
    shares its kind, date, result, stage and a few dozen topic lists among thousands of
    messages. Here those parts are encoded once each and kept by value; only the applicant's
    own strings (subject, body, id, name, email) and the key are encoded per line, with the
    same encoder, and the line is joined in the key order of ``Message.to_dict``.
    """

    def __init__(self) -> None:
        self._heads: dict[tuple[Any, ...], tuple[str, str]] = {}
        self._topics: dict[tuple[Topic, ...], str] = {}

    def line(self, message: Message, key: str, exchange_id: int | None) -> str:
        string = _json_string
        head_key = (message.kind, message.date, message.result, message.stage, message.deadline)
        head = self._heads.get(head_key)
        if head is None:
            kind, date, result, stage, deadline = (_JSON.encode(v) for v in (
                message.kind, message.date.isoformat(), message.result, message.stage,
                message.deadline.isoformat() if message.deadline else None,
            ))
            head = self._heads[head_key] = (
                kind, f'"date": {date}, "result": {result}, "stage": {stage}, "deadline": {deadline}',
            )
        topics = message.topics
        topics_json = self._topics.get(topics) if topics else "[]"
        if topics_json is None:
            if len(self._topics) >= _TOPICS_CACHED:
                self._topics.clear()
            topics_json = self._topics[topics] = _JSON.encode([t.to_dict() for t in topics])
        slots = _JSON.encode([s.to_dict() for s in message.slots]) if message.slots else "[]"
        if exchange_id is None:
            number = "null"
        elif type(exchange_id) is int:
            number = int.__repr__(exchange_id)  # what the encoder writes for an int
        else:
            number = _JSON.encode(exchange_id)
        candidate = message.candidate
        return (
            f'{{"kind": {head[0]}, "subject": {string(message.subject)}, "body": {string(message.body)}, '
            f'{head[1]}, "candidate": {{"id": {string(candidate.id)}, "name": {string(candidate.name)}, '
            f'"email": {string(candidate.email)}}}, "topics": {topics_json}, "slots": {slots}, '
            f'"idempotency_key": {string(key)}, "exchange_id": {number}}}\n'
        )


def _message_from_log(entry: Mapping[str, Any], row: BatchRow) -> Message:
    """Rebuild the message a previous run logged, with the applicant as the file gives them."""
    topics = tuple(_topic(t) for t in _json_list(entry.get("topics")))
    slots = tuple(Slot.from_dict(s) for s in _json_list(entry.get("slots")) if isinstance(s, Mapping))
    day = entry.get("message_date") or entry.get("created_at") or ""
    return Message(
        kind=entry.get("kind") or "",
        candidate=row.candidate,
        date=dt.date.fromisoformat(str(day)[:10]),
        subject=entry.get("subject") or "",
        body=entry.get("body") or "",
        result=entry.get("result"),
        stage=entry.get("stage"),
        topics=tuple(t for t in topics if t is not None),
        slots=slots,
    )


def _json_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return list(value) if isinstance(value, list | tuple) else []


def _topic(value: Any) -> Topic | None:
    if isinstance(value, Mapping):
        try:
            return Topic(
                id=str(value["id"]), source=value.get("source", "season"), role=value.get("role", "opening"),
                tone=value.get("tone", "neutral"), text=str(value.get("text", "")),
            )
        except KeyError:
            return None
    return None


def drain(events: Iterable[BatchEvent]) -> BatchSummary:
    """Count a stream of events (for library users who do not need each one)."""
    summary = BatchSummary()
    for event in events:
        summary.add(event)
    return summary
