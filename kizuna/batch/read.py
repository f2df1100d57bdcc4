"""Reading an applicant file: its encoding, the header's column roles and one validator of
every row, streamed so that a 100,000-row file is never held in memory."""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NamedTuple

from ..errors import BatchError
from ..headers import HEADER_BREAK, PLAIN_ADDRESS, address_problem
from ..i18n import N_, _
from ..kinds import KINDS, get_kind
from ..language import available as available_languages
from ..language import known_code
from ..models import Candidate

MAX_STEM = 100

# Column roles and the header names that mean them. English names match case-insensitively.
# フリガナ is accepted beside ふりがな: job sites export either.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("応募番号", "id"),
    "name": ("氏名", "name"),
    # 姓 and 名 in two columns, beside 氏名 or instead of it (氏名 is then 姓 + space + 名).
    "family": ("姓", "family_name", "family"),
    "given": ("名", "given_name", "given"),
    "kana": ("ふりがな", "フリガナ", "kana"),
    "email": ("メールアドレス", "email"),
    "result": ("結果", "result"),
    # The language of the applicant's letter: ja or en (empty: the log's for an applicant it
    # knows, else Japanese). One file may mix them.
    "language": ("言語", "lang", "language"),
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
TRIM = " \t\u3000\ufeff"
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
        raise _fail(_("Input file not found."), path=str(path)) from None
    except IsADirectoryError:
        raise _fail(_("Expected a CSV file, found a folder."), path=str(path)) from None
    except OSError as exc:
        raise _fail(_("Cannot read the input file: {reason}.").format(reason=exc.strerror),
                    path=str(path)) from None
    if encoding is not None:
        return _named_encoding(path, encoding)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(
            _("The file is UTF-16 (Excel's 'Unicode Text'), not CSV."), path=str(path),
            hint=_("In Excel, save it as 'CSV UTF-8 (Comma delimited)'."),
        )
    found: list[_BadBytes] = []
    for candidate in DETECTED:
        bad = _first_bad_bytes(path, candidate)
        if bad is None:
            return candidate
        found.append(bad)
    raise _fail(
        _("The file is not UTF-8 or CP932 (Shift_JIS) text: {reasons}.").format(
            reasons=_("; ").join(_("as {encoding}, {where}").format(
                encoding=_label(bad.encoding), where=bad) for bad in found)),
        path=str(path),
        hint=_("Save it from Excel as 'CSV UTF-8 (Comma delimited)', or name the encoding with "
               "--encoding."),
    )


# The encodings tried, in order, when none is named.
DETECTED: tuple[str, ...] = ("utf-8-sig", "cp932")
ACCEPTED_ENCODINGS = N_(
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
        return " ".join(f"0x{b:02X}" for b in self.data[:4]) or _("the end of the file")

    def __str__(self) -> str:
        return _("line {line}, column {column} ({bytes})").format(
            line=self.line, column=self.column, bytes=self.shown())


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
            _("Unknown encoding '{encoding}'.").format(encoding=encoding), path=str(path),
            hint=_("Use {encodings}, or leave --encoding out to detect UTF-8 or CP932.").format(
                encodings=_(ACCEPTED_ENCODINGS)),
        ) from None
    wide = codecs.lookup(name).name.startswith(("utf-16", "utf-32"))
    bad = _first_bad_bytes(path, name, binary_check=not wide)
    if bad is None:
        return name
    fits = next((c for c in DETECTED if c != name and _fits(path, c)), None)
    hint = (
        _("The file reads as {label}: leave --encoding out, or pass --encoding "
          "{encoding}.").format(label=_label(fits),
                                encoding="utf-8" if fits == "utf-8-sig" else fits)
        if fits else _("Name the encoding the file was saved in, or save it from Excel as "
                       "'CSV UTF-8 (Comma delimited)'.")
    )
    error = _fail(
        _("Cannot decode the file as {encoding}: column {column} holds {bytes}, which is not "
          "{encoding} text.").format(encoding=encoding, column=bad.column, bytes=bad.shown()),
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
                    _("The file holds binary data (NUL bytes); it is not a CSV file."),
                    path=str(path),
                    hint=_("Export the applicant list as CSV from the job site or Excel."),
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
        where = (_("line {line}, column {column}") if self.column else _("line {line}")).format(
            line=self.line, column=self.column)
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class BatchRow:
    """A validated row: the applicant, their result, and the file name their message gets."""

    line: int
    candidate: Candidate
    result: str | None
    stem: str


class Record(NamedTuple):
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
    name: int  # -1 when 姓 and 名 come in their own columns only
    kana: int
    email: int
    result: int  # -1 also when the kind needs no result
    extra: tuple[tuple[int, str], ...]
    require_email: bool
    family: int = -1
    given: int = -1
    language: int = -1

    @classmethod
    def of(cls, plan: BatchPlan) -> _Layout:
        columns = plan.columns
        needs_result = KINDS[plan.kind].needs_result
        return cls(
            len(plan.header), columns["id"], columns.get("name", -1), columns.get("kana", -1),
            columns.get("email", -1), columns["result"] if needs_result else -1,
            plan.extra_columns, plan.require_email, columns.get("family", -1),
            columns.get("given", -1), columns.get("language", -1),
        )

    def names(self, cells: list[str]) -> tuple[str, str, str]:
        """(full name, family name, given name) of a row, as the columns give them."""
        name = cells[self.name].strip(TRIM) if self.name >= 0 else ""
        family = cells[self.family].strip(TRIM) if self.family >= 0 else ""
        given = cells[self.given].strip(TRIM) if self.given >= 0 else ""
        return name, family, given


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
        shown = _("; ").join(str(p) for p in self.problems[:limit])
        more = len(self.problems) - limit
        if more > 0:
            shown += _("; and {count} more").format(count=more)
        return _fail(
            _("{bad} of {rows} rows cannot be used, so nothing was written: {problems}.").format(
                bad=len(self._bad), rows=self.rows, problems=shown),
            path=str(self.path), problems=[str(p) for p in self.problems],
            hint=_("Correct them and run again, or pass --skip-invalid to write the other rows "
                   "and list these in rejects.csv."),
        )

    def records(self) -> Iterator[Record]:
        """Read the file again, yielding every record with its row or its problems.

        Duplicate ids are found only by the validation pass; here they come from the plan,
        which is why a file changed since it was checked is refused.
        """
        for item in self.iter_rows(records=True):
            assert isinstance(item, Record)  # records=True wraps every row
            yield item

    def iter_rows(self, *, records: bool = False) -> Iterator[BatchRow | Record]:
        """The second pass: a BatchRow for each row the plan found valid (wrapped in a
        Record if ``records``), a Record for the others.

        Rows the plan found valid are not validated again, only read: the file is the one the
        plan checked (size and modification time), and a row that reads differently after all
        takes the full check, whose problems the run reports as a changed line.
        """
        if _stamp(self.path) != self.stamp:
            raise _fail(
                _("The file changed after it was checked."), path=str(self.path),
                hint=_("Run the batch again once the file is saved."),
            )
        bad_lines = self._bad
        layout = _Layout.of(self)
        width, id_at, kana_at, email_at = layout.width, layout.id, layout.kana, layout.email
        result_at, extra, require_email = layout.result, layout.extra, layout.require_email
        language_at = layout.language
        unwanted = HEADER_BREAK.search
        words = RESULT_WORDS
        with _open_text(self.path, self.encoding) as handle:
            rows = _csv_rows(self.path, handle)
            next(rows, None)  # the header
            for line, cells in rows:
                joined = "".join(cells)
                if not joined.strip(TRIM):
                    yield Record(line, cells, None, [], blank=True)
                    continue
                bad = bad_lines.get(line)
                if bad:
                    if len(cells) < width:
                        cells = cells + [""] * (width - len(cells))
                    yield Record(line, cells, None, bad)
                    continue
                if len(cells) == width and not unwanted(joined):
                    candidate_id = cells[id_at].strip(TRIM)
                    name, family, given = layout.names(cells)
                    email = cells[email_at].strip(TRIM) if email_at >= 0 else ""
                    result: str | None = None
                    if result_at >= 0:
                        raw = cells[result_at].strip(TRIM)
                        result = words.get(raw) or words.get(raw.casefold())
                    stem = safe_file_stem(candidate_id) if candidate_id else None
                    language = known_code(cells[language_at]) if language_at >= 0 else ""
                    if (stem is not None and (name or family) and (email or not require_email)
                            and (result is not None or result_at < 0) and language is not None):
                        kana = cells[kana_at].strip(TRIM) if kana_at >= 0 else ""
                        fields = {key: cells[index].strip(TRIM) for index, key in extra} if extra else {}
                        candidate = Candidate(id=candidate_id, name=name, kana=kana, email=email, extra=fields,
                                              family_name=family, given_name=given,
                                              language=language or "")
                        row = BatchRow(line, candidate, result, stem)
                        yield Record(line, cells, row, []) if records else row
                        continue
                yield _check_row(self, layout, line, cells, joined, check_email=False)

    def add_problem(self, problem: RowProblem) -> None:
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
    width, id_at, email_at, result_at = layout.width, layout.id, layout.email, layout.result
    language_at = layout.language
    seen = _SeenIds()
    unwanted = HEADER_BREAK.search
    words = RESULT_WORDS
    blank = rows = 0
    with _open_text(path, enc) as handle:
        records = _csv_rows(path, handle)
        next(records, None)  # the header
        for line, cells in records:
            joined = "".join(cells)
            if not joined.strip(TRIM):
                blank += 1
                continue
            rows += 1
            # The everyday row takes a few string operations: the right width, no control
            # character, an id that names a file, a name, a plain address (or none where none
            # is needed) and a known result. Any other row takes the full check, which names
            # every problem it has.
            if len(cells) == width and not unwanted(joined):
                candidate_id = cells[id_at].strip(TRIM)
                email = cells[email_at].strip(TRIM) if email_at >= 0 else ""
                stem = safe_file_stem(candidate_id) if candidate_id else None
                if (
                    stem is not None
                    and any(layout.names(cells)[:2])
                    and ((len(email) <= 254 and PLAIN_ADDRESS.fullmatch(email)) if email else not require_email)
                    and (result_at < 0 or (raw := cells[result_at].strip(TRIM)) in words
                         or raw.casefold() in words)
                    and (language_at < 0 or known_code(cells[language_at]) is not None)
                ):
                    _check_duplicate(plan, seen, line, candidate_id, stem)
                    continue
            record = _check_row(plan, layout, line, cells, joined, check_email=True)
            for problem in record.problems:
                plan.add_problem(problem)
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
        plan.add_problem(RowProblem(line, column, _(
            "duplicate id '{id}' (first on line {line})").format(id=candidate_id, line=first_line)))
        plan.add_problem(RowProblem(first_line, column, _(
            "duplicate id '{id}' (again on line {line})").format(id=candidate_id, line=line)))
    else:
        plan.add_problem(RowProblem(
            line, column,
            _("id '{id}' gives the file name '{stem}', which line {line}'s id also gives").format(
                id=candidate_id, stem=stem, line=first_line),
        ))
        plan.add_problem(RowProblem(
            first_line, column, _("its file name '{stem}' is also given by line {line}'s id").format(
                stem=stem, line=line),
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
        raise _fail(_("Cannot read the input file: {reason}.").format(reason=exc.strerror),
                    path=str(path)) from None


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
            _("Cannot decode the file after line {line}: {reason}.").format(
                line=previous, reason=reason), path=str(plan_path),
            hint=_("Name the right encoding with --encoding, or save it as 'CSV UTF-8'."),
        ) from None
    except csv.Error as exc:
        raise _fail(
            _("Not readable as CSV near line {line}: {reason}.").format(
                line=previous + 1, reason=exc), path=str(plan_path),
            hint=_("Check for a quotation mark that is opened and never closed."),
        ) from None


def _read_header(path: Path, kind: str, encoding: str, require_email: bool) -> BatchPlan:
    with _open_text(path, encoding) as handle:
        first = next(_csv_rows(path, handle), None)
    if first is None:
        raise _fail(_("The file is empty; expected a header row and one row per applicant."),
                    path=str(path))
    header = tuple(cell.strip(TRIM) for cell in first[1])
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
                _("The header names the {role} column twice (columns {first} and "
                  "{second}).").format(role=role, first=columns[role] + 1, second=index + 1),
                path=str(path), hint=_("Keep one of them."),
            )
        columns[role] = index
        japanese = japanese or not name.isascii()
    needed = ["id", "name"] + (["result"] if KINDS[kind].needs_result else [])
    if "name" not in columns and "family" in columns:
        needed.remove("name")  # 姓 (and 名) make the name
    missing = [role for role in needed if role not in columns]
    if missing:
        found = _(", ").join(name or _("(empty)") for name in header)
        either = _("{japanese} or {english}")
        want = _(", ").join(either.format(japanese=COLUMN_NAMES[r][0], english=COLUMN_NAMES[r][-1])
                            for r in needed)
        optional = _(", ").join(either.format(japanese=COLUMN_NAMES[r][0],
                                              english=COLUMN_NAMES[r][-1])
                                for r in ("kana", "email", "language"))
        hint = _("Expected columns: {columns} (optional: {optional}; any other column is passed "
                 "to the templates).").format(columns=want, optional=optional)
        if len(header) == 1 and "\t" in first[1][0]:
            hint += _(" The header looks tab-separated: save the file as CSV (comma-separated).")
        why = _(" The id names each applicant's file and makes re-runs safe.") if "id" in missing else ""
        raise _fail(
            _("The header has no {columns} column. Columns found: {found}.{why}").format(
                columns=_(", ").join(COLUMN_NAMES[r][0] + "/" + COLUMN_NAMES[r][-1] for r in missing),
                found=found, why=why),
            path=str(path), hint=hint,
        )
    return BatchPlan(
        path=path, kind=kind, encoding=encoding, header=header, columns=columns,
        extra_columns=tuple(extra), japanese=japanese, require_email=require_email,
    )


def _check_row(
    plan: BatchPlan, layout: _Layout, line: int, cells: list[str], joined: str, *, check_email: bool
) -> Record:
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
            _("{count} values but the header has {width} columns (a comma inside an unquoted "
              "value?)").format(count=len(cells), width=width),
        ))
    elif len(cells) < width:
        cells = cells + [""] * (width - len(cells))
    # One search over the whole row; only a row with a hit is examined cell by cell.
    for index, cell in enumerate(cells[:width] if HEADER_BREAK.search(joined) else ()):
        if _LINE_BREAKS.search(cell):
            problems.append(RowProblem(line, header[index] or f"column_{index + 1}",
                                       _("line break inside the value")))
        elif _CONTROL.search(cell):
            problems.append(RowProblem(line, header[index] or f"column_{index + 1}",
                                       _("control character inside the value")))
    if problems:
        return Record(line, cells, None, problems)
    row = _parse_row(plan, line, cells, layout.result >= 0, problems, check_email)
    return Record(line, cells, row if not problems else None, problems)


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
    candidate_id = cells[columns["id"]].strip(TRIM)
    stem: str | None = None
    if not candidate_id:
        problems.append(RowProblem(line, header[columns["id"]], _("empty id")))
    else:
        stem = safe_file_stem(candidate_id)
        if stem is None:
            problems.append(RowProblem(
                line, header[columns["id"]],
                _("id '{id}' cannot name a file (it needs a letter or digit and at most {maximum} "
                  "characters)").format(id=candidate_id, maximum=MAX_STEM),
            ))
    name = cells[columns["name"]].strip(TRIM) if "name" in columns else ""
    family = cells[columns["family"]].strip(TRIM) if "family" in columns else ""
    given = cells[columns["given"]].strip(TRIM) if "given" in columns else ""
    if not name and not family:
        column = header[columns["name"]] if "name" in columns else header[columns["family"]]
        problems.append(RowProblem(line, column, _("empty name")))
    kana = cells[columns["kana"]].strip(TRIM) if "kana" in columns else ""
    email = cells[columns["email"]].strip(TRIM) if "email" in columns else ""
    if email:
        reason = email_problem(email) if check_email else None
        if reason:
            problems.append(RowProblem(line, header[columns["email"]], reason))
    elif plan.require_email:
        column = header[columns["email"]] if "email" in columns else "email"
        problems.append(RowProblem(line, column, _("empty email (an .eml file needs an address)")))
    result: str | None = None
    if needs_result:
        raw = cells[columns["result"]].strip(TRIM)
        result = RESULT_WORDS.get(raw) or RESULT_WORDS.get(raw.casefold())
        if not raw:
            problems.append(RowProblem(line, header[columns["result"]], _("empty result")))
        elif result is None:
            words = _(", ").join(RESULT_WORDS)
            problems.append(RowProblem(line, header[columns["result"]], _(
                "unknown result '{value}' (use one of {words})").format(value=raw, words=words)))
    language: str | None = ""
    if "language" in columns:
        raw_language = cells[columns["language"]].strip(TRIM)
        language = known_code(raw_language)
        if language is None:
            problems.append(RowProblem(
                line, header[columns["language"]],
                _("unknown language '{value}' (use one of {languages}, or leave it empty for the "
                  "log's, else Japanese)").format(value=raw_language, languages=available_languages()),
            ))
    if problems or stem is None:
        return None
    extra = {key: cells[index].strip(TRIM) for index, key in plan.extra_columns}
    candidate = Candidate(id=candidate_id, name=name, kana=kana, email=email, extra=extra,
                          family_name=family, given_name=given, language=language or "")
    return BatchRow(line, candidate, result, stem)


def email_problem(address: str) -> str | None:
    """Why an address is unusable, or None: ``kizuna.headers.address_problem``, the rule the
    .eml writer applies."""
    problem = address_problem(address)
    return None if problem is None else _("malformed email: {problem}").format(problem=problem)


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


