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

import csv
import dataclasses
import datetime as dt
import json
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import BatchError, CharsetError, KizunaError
from ..i18n import _
from ..kinds import get_kind
from ..models import Candidate, Exchange, Message, Topic
from ..output.files import FileSet, StreamFile, prepare_out_dir, sync_dir, writing
from ..pipeline import prepare_message, record_many
from ..textfiles import spreadsheet_cell
from ..topics import TopicChoice
from .read import (
    TRIM,
    BatchPlan,
    BatchRow,
    Record,
    RowProblem,
    plan_batch,
)

if TYPE_CHECKING:
    from ..log import Log
    from ..profile import Profile


Status = Literal["written", "already_done", "skipped", "rejected", "planned"]

FORMATS: tuple[str, ...] = ("txt", "eml", "jsonl")
JSONL_NAME = "messages.jsonl"
REJECTS_NAME = "rejects.csv"
# Rows recorded per log transaction: large enough that commits are rare, small enough that a
# kill loses little work and memory stays flat.
CHUNK_SIZE = 500

def _fail(
    message: str, *, path: str | None = None, hint: str | None = None, problems: list[str] | None = None
) -> BatchError:
    """A BatchError naming the file, with what to do."""
    return BatchError(message, path=path, hint=hint, problems=problems)


def batch_key(kind: str, stage: str | None, on: dt.date, candidate_id: str) -> str:
    """The idempotency key of one applicant's message in a batch."""
    return f"batch:{kind}:{stage or '-'}:{on.isoformat()}:{candidate_id}"


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
        first = (_("{count} would be written").format(count=self.planned) if self.planned
                 else _("{count} written").format(count=self.written))
        return _("{first}, {done} already done, {skipped} skipped, {rejected} rejected.").format(
            first=first, done=self.already_done, skipped=self.skipped, rejected=self.rejected)


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
        for _event in self:
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
    check: bool = True,
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

    With ``check`` (the default), every new row's message goes through ``kizuna check``
    (``kizuna.check``, the profile's ``[check]`` rules) in the same first pass: a row whose
    message has errors is refused like an invalid row, with its line and the findings.
    """
    from ..compose import default_stage

    if fmt not in FORMATS:
        raise _fail(_("Unknown output format '{format}'.").format(format=fmt),
                    hint=_("Use one of: {names}.").format(names=_(", ").join(FORMATS)))
    if charset not in ("utf-8", "iso-2022-jp"):
        raise _fail(_("Unknown charset '{charset}'.").format(charset=charset),
                    hint=_("Use utf-8 or iso-2022-jp."))
    if charset != "utf-8" and fmt != "eml":
        raise _fail(_("A charset applies to .eml output only."), hint=_("Add --format eml."))
    spec = get_kind(kind)
    if spec.written_by_hand:
        raise _fail(
            _("'{kind}' is written by the recruiter for one applicant, answering what they "
              "wrote.").format(kind=kind),
            hint=_("Draft it with `kizuna draft note --candidate ID --body-file FILE`."),
        )
    if spec.needs_slot or spec.offers_slots or spec.repeats_offer:
        raise _fail(
            _("'{kind}' works with interview slots, which are offered and booked one applicant "
              "at a time.").format(kind=kind),
            hint=_("Draft it per applicant with `kizuna draft`; batch runs suit "
                   "application_received, screening_result, final_result and pre_arrival_guide."),
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
        prepare_out_dir(out)
    work = _Work(plan, profile, log, out, on, stage_id, fmt, dry_run, max(1, chunk_size),
                 charset=charset, fix=fix, check=check)
    if fmt == "eml" or check:
        work.check_messages(skip_invalid=skip_invalid)
    return BatchRun(plan, work.events(), out, fmt, dry_run)


class _KeptDrafts:
    """What the first pass drafted, kept for the run so that no message is composed twice.

    Keeping every message would hold the whole batch in memory. A batch's messages of one
    result and one choice of topics differ only by the applicant's name, so one message of
    each such shape is kept with its text as a skeleton (``check.stand_ins``: the names taken
    out), and each row's message is the skeleton with its name put back. The first pass
    proves that for every row it drafts (the rebuilt message must equal the drafted one); a
    shape where it fails once, because a template uses more of the applicant than the name,
    is never rebuilt, and its rows are drafted again.
    """

    _LIMIT = 4096  # shapes kept at most; a batch has a few dozen

    def __init__(self) -> None:
        # By shape: one message, its subject and body skeletons; None: not to be rebuilt.
        self._shapes: dict[tuple[Any, ...], tuple[Message, str, str] | None] = {}

    @staticmethod
    def _key(row: BatchRow, choice: TopicChoice) -> tuple[Any, ...]:
        return (row.result, row.candidate.language, tuple(choice.topics))

    def keep(self, row: BatchRow, choice: TopicChoice, message: Message) -> None:
        from ..check import put_back, stand_ins

        key = self._key(row, choice)
        candidate = message.candidate
        name, family = candidate.name, candidate.family_name
        if key not in self._shapes:
            if len(self._shapes) >= self._LIMIT:
                return
            subject, _ = stand_ins(message.subject, name, family)
            body, _ = stand_ins(message.body, name, family)
            self._shapes[key] = (message, subject, body)
        elif (shape := self._shapes[key]) is not None:
            kept, subject, body = shape
            # What rebuild would give, compared without building it.
            if not (put_back(body, name, family) == message.body
                    and put_back(subject, name, family) == message.subject
                    and _same_but_the_applicant(kept, message)):
                self._shapes[key] = None

    def rebuild(self, row: BatchRow, choice: TopicChoice) -> Message | None:
        """This row's message from its shape, or None when it must be drafted."""
        from ..check import put_back

        shape = self._shapes.get(self._key(row, choice))
        if shape is None:
            return None
        message, subject, body = shape
        candidate = row.candidate
        if candidate == message.candidate:
            return message
        name, family = candidate.name, candidate.family_name
        subject_text, body_text = put_back(subject, name, family), put_back(body, name, family)
        if subject_text is None or body_text is None:
            return None
        return _with_applicant(message, candidate, subject_text, body_text)


# Every field of a message but the applicant, subject and body, read at once.
_SHAPE_FIELDS = operator.attrgetter(*(f.name for f in dataclasses.fields(Message)
                                      if f.name not in ("candidate", "subject", "body")))


def _with_applicant(message: Message, candidate: Candidate, subject: str, body: str) -> Message:
    """``dataclasses.replace(message, candidate=…, subject=…, body=…)`` at a tenth of the cost
    (a frozen dataclass's fields, copied as they are: nothing to validate again)."""
    new = object.__new__(Message)
    fields = new.__dict__
    fields.update(message.__dict__)
    fields["candidate"], fields["subject"], fields["body"] = candidate, subject, body
    return new


def _same_but_the_applicant(a: Message, b: Message) -> bool:
    """Whether two messages agree in every field but the applicant, subject and body."""
    return bool(_SHAPE_FIELDS(a) == _SHAPE_FIELDS(b))


@dataclass
class _Chunk:
    """Rows of one transaction: those an earlier run logged, and the new messages."""

    rows: list[BatchRow]
    keys: list[str]
    logged: dict[str, tuple[int, Message]]
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
        check: bool = False,
    ) -> None:
        self.charset = charset
        self.fix = fix
        self.check = check
        self._content_failed = False
        # The topics the first pass chose for each chunk's new rows, by (hash, count) of their
        # ids: the run uses them instead of choosing again (the same rows, log and day give
        # the same choice), so checking every message first costs little more than reading.
        self._chosen: dict[tuple[int, int], list[TopicChoice]] = {}
        self._last_chosen: tuple[tuple[int, int], list[TopicChoice]] | None = None
        self._kept = _KeptDrafts()
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
        from ..compose import composer_for

        # Built now, so a broken or missing template is an error before the first row.
        self.composer = composer_for(profile)
        self.composer.template(self.kind)

    def events(self) -> Iterator[BatchEvent]:
        jsonl = rejects = None
        finished = False
        try:
            if not self.dry_run:
                with writing(self.out):
                    if self.fmt == "jsonl":
                        jsonl = StreamFile(self.out / JSONL_NAME)
                    if self.plan.problems:
                        rejects = StreamFile(self.out / REJECTS_NAME)
                        self._start_rejects(rejects)
            chunk: list[BatchRow] = []
            for record in self.plan.iter_rows():
                if isinstance(record, BatchRow):
                    row = record
                elif record.row is not None:
                    row = record.row
                elif record.blank:
                    yield BatchEvent("skipped", record.line, reason=_("blank row"))
                    continue
                else:
                    known = self.plan.bad_lines().get(record.line)
                    if not known:
                        raise _fail(
                            _("Line {line} changed while the batch was running.").format(
                                line=record.line),
                            path=str(self.plan.path),
                            hint=_("Run the batch again on the saved file."),
                        )
                    reason = _("; ").join(p.reason if p.column is None else f"{p.column}: {p.reason}"
                                          for p in known)
                    if rejects is not None:
                        self._reject(rejects, record, reason)
                    id_index = self.plan.columns["id"]
                    raw_id = record.fields[id_index].strip(TRIM) if id_index < len(record.fields) else ""
                    yield BatchEvent("rejected", record.line, raw_id or None, reason=reason)
                    continue
                chunk.append(row)
                if len(chunk) >= self.chunk_size:
                    yield from self._complete(self._record(chunk), jsonl)
                    chunk = []
            if chunk:
                yield from self._complete(self._record(chunk), jsonl)
            with writing(self.out):
                if jsonl is not None:
                    jsonl.finish()
                if rejects is not None:
                    rejects.finish()
                elif not self.dry_run:
                    # A rejects file from an earlier run of a file since corrected would mislead.
                    (self.out / REJECTS_NAME).unlink(missing_ok=True)
            if not self.dry_run:
                sync_dir(self.out)
            finished = True
        finally:
            if not finished:
                for stream in (jsonl, rejects):
                    if stream is not None:
                        stream.discard()

    # --- rejects.csv ---

    def _start_rejects(self, rejects: StreamFile) -> None:
        # UTF-8 with BOM: Excel opens it with the Japanese intact.
        rejects.handle.write("\ufeff")
        extra = ("行", "理由") if self.plan.japanese else ("line", "reason")
        csv.writer(rejects.handle).writerow([*extra, *self.plan.header])

    def _reject(self, rejects: StreamFile, record: Record, reason: str) -> None:
        csv.writer(rejects.handle).writerow(
            [record.line, reason, *(spreadsheet_cell(cell) for cell in record.fields)]
        )

    # --- one chunk ---

    def _record(self, rows: Sequence[BatchRow]) -> _Chunk:
        """Look up which rows an earlier run did, render the others and record them in one
        transaction (none in a dry run)."""
        rows = self._with_languages(rows)
        keys = [self._key_prefix + row.candidate.id for row in rows]
        logged = self._logged(rows, keys)
        fresh = [(row, key) for row, key in zip(rows, keys, strict=True) if key not in logged]
        messages = self._compose(fresh)
        pairs = [(message, key) for message, (_, key) in zip(messages, fresh, strict=True)]
        exchanges = (
            record_many(self.log, pairs, charset=self.charset if self.fmt == "eml" else None)
            if pairs and not self.dry_run else []
        )
        # Another run of the same batch may have recorded some of these keys between the look-up
        # and the insert: the log kept its message, and that is the one to write.
        recorded = zip(pairs, exchanges, strict=True) if exchanges else ()  # none in a dry run
        raced = [key for (message, key), exchange in recorded
                 if (exchange.subject, exchange.body) != (message.subject, message.body)]
        if raced:
            theirs = self._logged([row for row, key in fresh if key in set(raced)], raced)
            pairs = [(theirs[key][1], key) if key in theirs else (message, key)
                     for message, key in pairs]
        return _Chunk(list(rows), keys, logged, pairs, exchanges)

    def _complete(self, chunk: _Chunk, jsonl: StreamFile | None) -> Iterator[BatchEvent]:
        """Write the files of a committed chunk and report each row.

        The chunk's files are put in place together (``FileSet``: hidden temporaries, one sync,
        the renames, the folder synced), and only then are its rows reported: a row is
        ``written`` once its file is on disk under its name. A stop before that leaves each
        name absent or complete, and the run that follows writes the absent ones from the log.
        """
        rows, keys, logged = chunk.rows, chunk.keys, chunk.logged
        exchange_ids: dict[str, int] = {}
        if chunk.exchanges:  # none in a dry run
            exchange_ids = {key: ex.id for (_, key), ex in zip(chunk.pairs, chunk.exchanges, strict=True)}
        rendered = {key: message for message, key in chunk.pairs}
        if jsonl is not None and not self.dry_run:
            yield from self._flush_jsonl(rows, keys, rendered, logged, exchange_ids, jsonl)
            return
        if self.dry_run:
            for row, key in zip(rows, keys, strict=True):
                status: Status = "planned" if key in rendered else "already_done"
                yield BatchEvent(status, row.line, row.candidate.id, key=key)
            return
        events: list[BatchEvent] = []
        files = FileSet(self.out)
        render, suffix = self._render_file, f".{self.fmt}"
        try:
            for row, key in zip(rows, keys, strict=True):
                message = rendered.get(key)
                target = self.out / (row.stem + suffix)
                if message is not None:
                    with writing(target):
                        files.add(target, render(message))
                    events.append(BatchEvent("written", row.line, row.candidate.id, target, key))
                elif target.exists():
                    events.append(BatchEvent("already_done", row.line, row.candidate.id, target, key))
                else:
                    # Logged by a run that died before writing the file: write it from the log,
                    # never by rendering again (the logged text is what counts as sent).
                    with writing(target):
                        files.add(target, render(logged[key][1]))
                    events.append(BatchEvent("written", row.line, row.candidate.id, target, key,
                                             restored=True))
            with writing(self.out):
                files.commit()
        finally:
            files.discard()  # what an error left unplaced; nothing after a commit
        yield from events

    def _flush_jsonl(
        self,
        rows: Sequence[BatchRow],
        keys: Sequence[str],
        rendered: Mapping[str, Message],
        logged: Mapping[str, tuple[int, Message]],
        exchange_ids: Mapping[str, int],
        jsonl: StreamFile,
    ) -> Iterator[BatchEvent]:
        """Every row of the chunk gets its line, new ones from the message, done ones from the
        log, so the finished file holds each applicant exactly once whatever happened before."""
        lines = []
        json_line = self._json_lines.line
        for key in keys:
            message = rendered.get(key)
            if message is not None:
                lines.append(json_line(message, key, exchange_ids.get(key)))
            else:
                exchange_id, logged_message = logged[key]
                lines.append(json_line(logged_message, key, exchange_id))
        with writing(jsonl.path):
            jsonl.handle.write("".join(lines))
        path = jsonl.path
        for row, key in zip(rows, keys, strict=True):
            status: Status = "written" if key in rendered else "already_done"
            yield BatchEvent(status, row.line, row.candidate.id, path, key)

    def _choices(self, rows: Sequence[BatchRow], *, planned: bool = False) -> list[TopicChoice]:
        """Topics for a chunk, through the pipeline: each result group spread evenly over its
        eligible lines, and nobody gets a line their history already holds. With ``planned``,
        those the first pass chose for exactly these rows, when it did."""
        from ..pipeline import choose_topics

        if planned:
            done = self._chosen.pop((hash(tuple(row.candidate.id for row in rows)), len(rows)), None)
            if done is not None:
                return done
        return choose_topics(
            self.profile, self.kind, [(row.candidate.id, row.result) for row in rows],
            on=self.on, log=self.log, languages=[row.candidate.language for row in rows],
        )

    def _with_languages(self, rows: Sequence[BatchRow]) -> Sequence[BatchRow]:
        """The rows with each applicant's language: a row's own (the 言語/language column),
        else the one the log keeps for them (one query per chunk), else Japanese."""
        unstated = [row.candidate.id for row in rows if not row.candidate.language]
        known = self.log.candidate_languages(unstated) if unstated else {}
        if not known:
            return rows
        return [
            dataclasses.replace(row, candidate=dataclasses.replace(
                row.candidate, language=known[row.candidate.id]))
            if not row.candidate.language and row.candidate.id in known else row
            for row in rows
        ]

    def check_messages(self, *, skip_invalid: bool) -> None:
        """Before anything is logged or written: build every message an .eml will be made of
        and run on it every check the .eml writer makes (kizuna.mail.check_email: header
        values, addresses, the charset with or without ``fix``, line lengths), and with
        ``check`` the rules of ``kizuna check`` on every new message.

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

        def keep() -> None:
            if self._last_chosen is not None and self._last_chosen[1]:
                self._chosen[self._last_chosen[0]] = self._last_chosen[1]

        def settle(rows: list[BatchRow]) -> list[BatchRow]:
            self._last_chosen = None
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

        for record in self.plan.iter_rows():
            row = record if isinstance(record, BatchRow) else record.row
            if row is None:
                continue
            chunk.append(row)
            if len(chunk) >= size:
                chunk = settle(chunk)
                if len(chunk) >= size or not skip_invalid:
                    keep()  # the chunk the run will make
                    chunk = []
        settle(chunk)
        keep()
        if not failed:
            return
        if skip_invalid:
            for line, reason in failed.items():
                self.plan.add_problem(RowProblem(line, None, reason))
            self.plan.problems.sort(key=lambda p: p.line)
            return
        listed = [_("line {line} ({id}): {reason}").format(line=line, id=ids[line],
                                                          reason=failed[line])
                  for line in sorted(failed)]
        shown = listed[:20] + ([_("and {count} more").format(count=len(listed) - 20)]
                               if len(listed) > 20 else [])
        iso = self.charset == "iso-2022-jp"
        if self._content_failed:
            raise _fail(
                _("{count} of {rows} rows did not pass the checks, so nothing was written: "
                  "{problems}.").format(count=len(listed), rows=self.plan.valid,
                                        problems=_("; ").join(shown)),
                path=str(self.plan.path), problems=listed,
                hint=_("Correct the file, template or profile and run again, or pass "
                       "--skip-invalid to write the other rows and list these in rejects.csv. A "
                       "rule can be switched off in the profile's [check] table."),
            )
        raise _fail(
            (_("{count} of {rows} rows cannot be written as email in ISO-2022-JP, so nothing was "
               "written: {problems}.") if iso else
             _("{count} of {rows} rows cannot be written as email, so nothing was written: "
               "{problems}.")).format(count=len(listed), rows=self.plan.valid,
                                      problems=_("; ").join(shown)),
            path=str(self.plan.path), problems=listed,
            hint=(_("Correct them and run again, or pass --skip-invalid to write the other rows "
                    "and list these in rejects.csv. Use --charset utf-8 (the default) for a name "
                    "ISO-2022-JP cannot carry, or --fix for template text.") if iso else
                  _("Correct them and run again, or pass --skip-invalid to write the other rows "
                    "and list these in rejects.csv.")),
        )

    def _check_chunk(self, rows: Sequence[BatchRow]) -> dict[int, str]:
        """The rows of one chunk whose .eml cannot be written, or (with ``check``) whose new
        message has errors by the rules of ``kizuna check``, by line, with the reason."""
        from ..check import checker_for
        from ..output import check_email

        eml = self.fmt == "eml"
        checker = checker_for(self.profile) if self.check else None
        mail_charset = self.charset if eml else "utf-8"

        rows = self._with_languages(rows)
        keys = [self._key_prefix + row.candidate.id for row in rows]
        logged = self._logged(rows, keys)
        fresh = [(row, key) for row, key in zip(rows, keys, strict=True) if key not in logged]
        picked = self._choices([row for row, _ in fresh]) if fresh else []
        self._last_chosen = ((hash(tuple(row.candidate.id for row, _ in fresh)), len(fresh)), picked)
        choices = {key: choice for (_, key), choice in zip(fresh, picked, strict=True)}
        found: dict[int, str] = {}
        for row, key in zip(rows, keys, strict=True):
            entry = logged.get(key)
            try:
                if entry is None:
                    message = self._draft(row, choices[key], fixing=False)
                    self._kept.keep(row, choices[key], message)
                    if checker is not None:
                        errors = [f for f in checker.check_message(message, charset=mail_charset,
                                                                   fix=self.fix)
                                  if f.severity == "error"]
                        if errors:
                            self._content_failed = True
                            found[row.line] = "check: " + _("; ").join(str(f) for f in errors)
                            continue
                    if not eml:
                        continue
                elif not eml or (self.out / f"{row.stem}.{self.fmt}").exists():
                    continue  # already done: the run leaves the file alone
                else:
                    message = entry[1]
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
            where = _("the name") if p.in_name else p.field
            if (p.in_name or p.suggestion is None or not self.fix) and (where, p.char) not in seen:
                seen.add((where, p.char))
                hint = (_(" (an applicant's name is never altered: write this row in UTF-8)")
                        if p.in_name else _(" (→ {suggestion} with --fix)").format(
                            suggestion=p.suggestion) if p.suggestion else "")
                reasons.append(_("ISO-2022-JP cannot carry {char!r} in {where}{hint}").format(
                    char=p.char, where=where, hint=hint))
        return _("; ").join(reasons)

    def _draft(self, row: BatchRow, choice: TopicChoice, *, fixing: bool = True) -> Message:
        message = self._kept.rebuild(row, choice) if fixing else None
        if message is None:
            message = prepare_message(
                self.profile, self.kind, row.candidate, on=self.on, result=row.result,
                stage=self.stage, topics=choice.topics, composer=self.composer,
            )
        if fixing and self.fix and self.charset == "iso-2022-jp":
            from ..output import fix_iso2022jp

            # Log the fixed text: the log holds what the applicant receives.
            message, _fixes = fix_iso2022jp(message, self.profile)
        return message

    def _compose(self, fresh: Sequence[tuple[BatchRow, str]]) -> list[Message]:
        if not fresh:
            return []
        choices = self._choices([row for row, _ in fresh], planned=True)
        messages = []
        draft = self._draft
        for (row, _key), choice in zip(fresh, choices, strict=True):
            try:
                messages.append(draft(row, choice))
            except KizunaError as exc:
                if isinstance(exc, BatchError) or exc.line is not None:
                    raise
                # A row the validation pass let through but the composer refuses: name it.
                raise _fail(
                    _("Line {line} (id '{id}'): {reason}").format(
                        line=row.line, id=row.candidate.id, reason=exc), path=str(self.plan.path),
                ) from None
        return messages

    def _logged(self, rows: Sequence[BatchRow], keys: Sequence[str]) -> dict[str, tuple[int, Message]]:
        """What an earlier run logged under these keys (one query per chunk), as (exchange id,
        message) with the applicant as the file gives them."""
        return self.log.logged_messages(keys, {key: row.candidate for row, key in zip(rows, keys, strict=True)})

    def _file_renderer(self) -> Callable[[Message], bytes]:
        if self.fmt == "eml":
            from ..output.eml import EmailWriter

            # The bytes as_bytes(to_email(...)) gives, made once, after the same checks; fix as
            # checked: a drafted message is fixed already, the profile is not.
            return EmailWriter(self.profile, charset=self.charset, fix=self.fix).render

        from ..output import as_text

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
        head_key = (message.kind, message.date, message.result, message.stage, message.deadline,
                    message.language)
        head = self._heads.get(head_key)
        if head is None:
            kind, date, result, stage, deadline, language = (_JSON.encode(v) for v in (
                message.kind, message.date.isoformat(), message.result, message.stage,
                message.deadline.isoformat() if message.deadline else None, message.language,
            ))
            head = self._heads[head_key] = (
                kind, f'"date": {date}, "result": {result}, "stage": {stage}, "deadline": {deadline}, '
                f'"language": {language}',
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


def drain(events: Iterable[BatchEvent]) -> BatchSummary:
    """Count a stream of events (for library users who do not need each one)."""
    summary = BatchSummary()
    for event in events:
        summary.add(event)
    return summary
