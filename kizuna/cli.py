"""The `kizuna` command: parse options, call one library function, print.

Heavy libraries (babel, holidays, sqlite_utils) are imported inside the commands that use them,
so `kizuna --help` starts fast. Every KizunaError becomes one paragraph and exit status 1.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .cli_i18n import Group
from .errors import KizunaError
from .i18n import N_, _, ljust, ngettext, unknown_language

if TYPE_CHECKING:
    from .log import Log
    from .profile import Profile

F = TypeVar("F", bound=Callable[..., Any])
D = TypeVar("D", bound=dt.date)


class Settings:
    """Global options, resolved lazily so a command opens only what it uses."""

    def __init__(self, profile_path: str | None, db_path: str | None) -> None:
        self.profile_path = profile_path
        self.db_path = db_path
        self._profile: Profile | None = None

    @property
    def profile(self) -> Profile:
        if self._profile is None:
            from .profile import load_profile

            self._profile = load_profile(self.profile_path)
        return self._profile

    def database_path(self) -> Path:
        if self.db_path is not None and not self.db_path.strip():
            # An empty --db (or KIZUNA_DB="") is a mistake, not a request for the default log.
            raise click.UsageError(_("--db (or KIZUNA_DB) is empty: give the log's file name."))
        if self.db_path:
            return Path(self.db_path)
        return Path(click.get_app_dir("kizuna")) / "kizuna.db"

    def open_log(self) -> Log:
        _load_sqlite_utils_lean()
        from .log import Log

        return Log.open(self.database_path())


def _load_sqlite_utils_lean() -> None:
    """Import sqlite-utils without pandas and numpy.

    sqlite-utils imports both when they are installed (about 0.6 s) for type conversions
    kizuna never uses. This process is the kizuna command's own, so it may hide them while
    sqlite-utils loads; a program importing kizuna as a library is left alone.
    """
    if "sqlite_utils" in sys.modules:
        return
    hidden = [name for name in ("pandas", "numpy") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail fast
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]


def user_errors(func: F) -> F:
    """Turn a KizunaError into a one-paragraph ClickException (exit status 1).

    An OSError that reaches this far comes from a path or device the user named (a file name
    too long, a full disk, a folder where a file was expected): it gets the same treatment,
    naming the file, rather than a traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KizunaError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(
                _("{where}{reason}. Check the path (and that the disk has room), then run the "
                  "command again.").format(where=where, reason=exc.strerror or exc)
            ) from None

    return wrapper  # type: ignore[return-value]


def served(param: click.Parameter | None, value: D) -> D:
    """A date (or time) kizuna can serve, else one paragraph naming the option and the range."""
    from .seasons import check_served_date

    try:
        return check_served_date(value, param.opts[0] if param is not None else "date")
    except KizunaError as exc:
        raise click.ClickException(str(exc)) from None


def _not_empty(value: str, option: str) -> str:
    if not value.strip():
        raise click.BadParameter(_("{option} is empty: give a folder.").format(option=option))
    return value


def _edit(text: str) -> str | None:
    """The recruiter's version of a draft from $EDITOR (None: closed without saving)."""
    try:
        return click.edit(text, extension=".txt")
    except UnicodeDecodeError:
        raise click.ClickException(
            _("The editor saved the draft in an encoding other than UTF-8, so nothing was "
              "recorded. Set the editor to save UTF-8 and draft again.")
        ) from None


def parse_date(ctx: click.Context | None, param: click.Parameter | None, value: str | None) -> dt.date | None:
    """Option callback: YYYY-MM-DD within the served years, or None."""
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("'{value}' is not a date; use YYYY-MM-DD, e.g. "
                                   "2026-12-05.").format(value=value)) from None
    return served(param, day)


def today_jst() -> dt.date:
    from .models import JST

    return dt.datetime.now(JST).date()


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kizuna")
@click.option(
    "--profile", "profile_path", envvar="KIZUNA_PROFILE", type=click.Path(dir_okay=False),
    help=N_("Organisation profile (kizuna.toml). Default: the built-in 北上市 sample. Env: KIZUNA_PROFILE."),
)
@click.option(
    "--db", "db_path", envvar="KIZUNA_DB", type=click.Path(dir_okay=False),
    help=N_("SQLite log of every exchange. Default: kizuna.db in the user app folder. Env: KIZUNA_DB."),
)
@click.pass_context
def cli(ctx: click.Context, profile_path: str | None, db_path: str | None) -> None:
    """Draft warm, careful Japanese emails to job applicants, and log every exchange."""
    if (unknown := unknown_language()) is not None:
        raise click.UsageError(_("KIZUNA_LANG={value!r} is not a language kizuna speaks: set it "
                                 "to ja (日本語) or en (English).").format(value=unknown))
    if db_path is None and os.environ.get("KIZUNA_DB") == "":
        db_path = ""  # click reads an empty variable as unset; it is an empty name here
    ctx.obj = Settings(profile_path, db_path)


pass_settings = click.make_pass_decorator(Settings)


@cli.command()
def kinds() -> None:
    """List the message kinds of the selection pipeline."""
    from .kinds import KINDS

    for kind in KINDS.values():
        needs = []
        if kind.needs_result:
            needs.append("--result")
        if kind.needs_slot:
            needs.append(_("--slot or a booking"))
        if kind.repeats_offer:
            needs.append(_("slots held for the applicant in the log"))
        if kind.written_by_hand:
            needs.append(_("--body-file or --edit"))
        suffix = _("  (needs {options})").format(options=_(", ").join(needs)) if needs else ""
        click.echo(f"{kind.id:<24}{kind.label}{suffix}")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), default=".")
@click.option("--force", is_flag=True, help=N_("Overwrite an existing kizuna.toml."))
@user_errors
def init(directory: str, force: bool) -> None:
    """Write a commented kizuna.toml profile to DIRECTORY (default: here) to edit."""
    from .profile import write_sample_profile

    path = write_sample_profile(Path(directory), force=force)
    click.echo(_("Wrote {path}. Edit it, then use it with --profile {path} or "
                 "KIZUNA_PROFILE.").format(path=path))


@cli.command()
@click.argument("kind")
@click.option("--name", help=N_("Applicant's full name, as they wrote it (never altered)."))
@click.option("--candidate", "candidate_id", help=N_("Applicant id (the job site's number). "
              "With only --candidate, the name and email come from the log."))
@click.option("--email", default="", help=N_("Applicant's email address."))
@click.option("--kana", default="", help=N_("Reading of the name."))
@click.option("--timezone", "tz", default="Asia/Tokyo", show_default=True,
              help=N_("Applicant's time zone: interview times are also shown in their local time."))
@click.option("--lang", "language", metavar="CODE",
              help=N_("Language of the applicant's letters: ja or en (default: the one the log "
                      "keeps for them, else ja); kept in the log for their later drafts."))
@click.option("--result", type=click.Choice(["passed", "not_passed"]),
              help=N_("Result, for screening_result and final_result."))
@click.option("--stage", help=N_("Selection stage id from the profile (default: inferred from the kind)."))
@click.option("--date", "on", callback=parse_date, help=N_("Send date, YYYY-MM-DD (default: today in Japan)."))
@click.option("--slot", "slot_text", help=N_("Interview start for a confirmation or reminder, "
              "e.g. 2026-12-05T10:00 (default: the applicant's booking)."))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "eml"]), default="text",
              show_default=True)
@click.option("--charset", type=click.Choice(["utf-8", "iso-2022-jp"]), default="utf-8",
              show_default=True, help=N_("Charset of --format eml."))
@click.option("--fix", is_flag=True, help=N_("With iso-2022-jp, replace characters it cannot carry "
              "(①→(1), ～→〜) in template text; never in the applicant's name."))
@click.option("--ics", "ics_path", type=click.Path(dir_okay=False, writable=True),
              help=N_("Also write the interview as a calendar file (.ics) here."))
@click.option("--edit", is_flag=True, help=N_("Open the draft in $EDITOR before it is logged; the "
              "edited draft is then checked (`kizuna check`) and errors stop it."))
@click.option("--body-file", type=click.File("r", encoding="utf-8"),
              help=N_("For the kind note: your own text, which kizuna frames ('-' = stdin)."))
@click.option("--meeting-url", default="", help=N_("An online interview's meeting URL; recorded on "
              "the booking, so its reminder carries it."))
@click.option("--force", is_flag=True, help=N_("Draft even when the --slot day is closed or the "
              "kind does not follow the applicant's history in the log; with --edit, record the "
              "draft even when the check finds errors (they are shown)."))
@click.option("--no-log", is_flag=True, help=N_("Do not record the draft in the log."))
@pass_settings
@user_errors
def draft(settings: Settings, kind: str, name: str | None, candidate_id: str | None, email: str,
          kana: str, tz: str, language: str | None, result: str | None, stage: str | None, on: dt.date | None,
          slot_text: str | None, fmt: str, charset: str, fix: bool, ics_path: str | None,
          edit: bool, body_file: Any, meeting_url: str, force: bool, no_log: bool) -> None:
    """Draft one message of KIND for an applicant and record it in the log.

    \b
    Examples:
      kizuna draft screening_result --name "山田 太郎" --result passed
      kizuna draft interview_invitation --candidate A-0001 --format json
      kizuna draft note --candidate A-0001 --body-file answer.txt
      kizuna draft application_received --name "Jane Smith" --lang en
    """
    from .output import private_file
    from .pipeline import applicant, draft_output, slot_from_text

    profile = settings.profile
    with contextlib.ExitStack() as stack:
        log = None if no_log else stack.enter_context(settings.open_log())
        if name is None and (candidate_id is None or log is None):
            raise click.UsageError(_("Give the applicant's --name (and --candidate ID if known)."))
        candidate = applicant(log, candidate_id=candidate_id, name=name, email=email, kana=kana,
                              timezone=tz, language=language)
        written = draft_output(
            profile, kind, candidate, on=on or today_jst(), log=log, result=result, stage=stage,
            slot=slot_from_text(profile, slot_text, force=force) if slot_text else None, fmt=fmt,
            charset=charset, fix=fix, ics=bool(ics_path),
            edit=_edit if edit else None,
            note=body_file.read() if body_file is not None else "", meeting_url=meeting_url,
            check=edit, force=force,
        )
    for finding in written.findings:
        click.echo(_("check: {finding}").format(finding=finding), err=True)
    if ics_path and written.ics is not None:
        with private_file(ics_path, "wb") as calendar_file:
            calendar_file.write(written.ics)
    if fmt == "json":
        data = written.message.to_dict()
        data["exchange_id"] = written.exchange.id if written.exchange else None
        echo_json(data)
    elif isinstance(written.output, bytes):
        stream = sys.stdout.buffer
        stream.write(written.output)
        stream.flush()
    else:
        click.echo(written.output, nl=False)


# --- commands added by later modules go below; keep each one a thin adapter ---


@cli.command()
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(dir_okay=False))
@click.option("--kind", required=True, help=N_("Message kind for every row, e.g. screening_result."))
@click.option("--stage", help=N_("Stage id from the profile. Default: the stage the kind refers to."))
@click.option("--date", "on", callback=parse_date, help=N_("Date of the messages (YYYY-MM-DD). Default: today in Japan."))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              callback=lambda ctx, param, value: _not_empty(value, "--out"),
              help=N_("Folder for the output files (created if needed)."))
@click.option("--format", "fmt", type=click.Choice(["txt", "jsonl", "eml"]), default="txt",
              show_default=True, help=N_("One .txt or .eml per applicant, or one messages.jsonl."))
@click.option("--dry-run", is_flag=True, help=N_("Validate and render, but write and log nothing."))
@click.option("--skip-invalid", is_flag=True,
              help=N_("Write the valid rows and list the others, with reasons, in rejects.csv."))
@click.option("--encoding", help=N_("Encoding of the CSV (default: detect UTF-8, UTF-8 with BOM or CP932)."))
@click.option("--quiet", "-q", is_flag=True, help=N_("No progress bar; only the closing summary."))
@click.option("--charset", type=click.Choice(["utf-8", "iso-2022-jp"]), default="utf-8",
              show_default=True, help=N_("Charset of --format eml; every row is checked first."))
@click.option("--fix", is_flag=True, help=N_("With iso-2022-jp, replace characters it cannot carry "
              "in template text (①→(1)); never in a name."))
@pass_settings
@user_errors
def batch(settings: Settings, csv_file: str, kind: str, stage: str | None, on: dt.date | None,
          out_dir: str, fmt: str, dry_run: bool, skip_invalid: bool, encoding: str | None,
          quiet: bool, charset: str, fix: bool) -> None:
    """Draft, log and write one message per applicant in FILE.csv; safe to run again.

    Headers in Japanese (応募番号, 氏名, ふりがな, メールアドレス, 結果, 言語) or English (id, name,
    kana, email, result, language); other columns reach the templates as candidate.extra.
    言語/language (ja, en) may differ from row to row.
    """
    from .batch import run_batch

    with settings.open_log() as log:
        run = run_batch(csv_file, kind=kind, profile=settings.profile, log=log, out_dir=out_dir,
                        on=on or today_jst(), stage=stage, fmt=fmt, skip_invalid=skip_invalid,
                        dry_run=dry_run, encoding=encoding, charset=charset, fix=fix)
        if not quiet and sys.stderr.isatty():
            with click.progressbar(run, length=run.total, label=_("Drafting"),
                                   file=sys.stderr) as bar:
                for _event in bar:
                    pass
        else:
            run.run()
    click.echo(run.summary.line())
    if run.rejects_path is not None:
        click.echo(_("Rejected rows, with reasons: {path}").format(path=run.rejects_path))
    if dry_run:
        click.echo(_("Dry run: nothing was written or logged."))


@cli.command()
@click.argument("files", nargs=-1, metavar="[FILE|-]...")
@click.option("--exchange", "exchange_ids", type=int, multiple=True,
              help=N_("Check this logged message (an id from `kizuna log`); may be repeated."))
@click.option("--drafts", "unsent", is_flag=True, help=N_("Check every unsent draft in the log."))
@click.option("--candidate", "candidate_id", help=N_("The applicant a file's draft is for (an id in the log)."))
@click.option("--name", help=N_("The applicant's full name, when the log does not know them."))
@click.option("--date", "on", callback=parse_date,
              help=N_("Send date, YYYY-MM-DD (default: the draft's own date, else today in Japan)."))
@click.option("--kind", help=N_("Message kind of a text draft (default: guessed from its subject)."))
@click.option("--lang", "language", metavar="CODE",
              help=N_("Language of the drafts: ja or en (default: the draft's own, else told from "
                      "its text)."))
@click.option("--result", type=click.Choice(["passed", "not_passed"]),
              help=N_("Result of a text draft (default: a not-passed notice is told by its wording)."))
@click.option("--charset", type=click.Choice(["utf-8", "iso-2022-jp"]),
              help=N_("Charset the mail will be sent in (default: an .eml's own, else utf-8)."))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
@user_errors
def check(settings: Settings, files: tuple[str, ...], exchange_ids: tuple[int, ...], unsent: bool,
          candidate_id: str | None, name: str | None, on: dt.date | None, kind: str | None,
          language: str | None, result: str | None, charset: str | None, fmt: str) -> None:
    """Check drafts before they are sent: the applicant's name, dates and weekdays, tone,
    keigo, leftovers (〇〇, {{ }}) and what the mail's charset can carry.

    \b
    FILE is a text draft (a first line 件名：… is the subject), an .eml or a JSON draft
    (`kizuna draft --format json`, or a batch's messages.jsonl); '-' reads stdin.
    Exit status 1 when any draft has errors. Rules and their ids: see the README; switch
    them in the profile's [check] table.
    """
    from .pipeline import check_drafts

    if not files and not exchange_ids and not unsent:
        raise click.UsageError(_("Give a FILE (or '-'), --exchange ID or --drafts."))
    stdin = sys.stdin.buffer.read() if "-" in files else None
    with contextlib.ExitStack() as stack:
        log = None
        # A file is checked against the log when there is one; none is created just to look.
        if exchange_ids or unsent or settings.database_path().exists():
            log = stack.enter_context(settings.open_log())
        checked = check_drafts(
            settings.profile, log=log, paths=files, stdin=stdin, exchange_ids=exchange_ids,
            unsent=unsent, candidate_id=candidate_id, name=name, on=on, kind=kind, result=result,
            charset=charset, language=language,
        )
    errors = sum(len(c.errors) for c in checked)
    if fmt == "json":
        echo_json([c.to_dict() for c in checked])
    else:
        for item in checked:
            for finding in item.findings:
                click.echo(f"{item.source}:{finding}")
        warnings = sum(len(c.warnings) for c in checked)
        click.echo(_("{errors}, {warnings} in {drafts}.").format(
            errors=ngettext("{count} error", "{count} errors", errors).format(count=errors),
            warnings=ngettext("{count} warning", "{count} warnings", warnings).format(
                count=warnings),
            drafts=ngettext("{count} draft", "{count} drafts", len(checked)).format(
                count=len(checked))))
    if errors:
        raise SystemExit(1)


# --- the exchange log (kizuna.log) ---


def _exchange_line(exchange: Any) -> str:
    """One exchange as a line: id, time, direction, status, kind, applicant, subject."""
    when = (exchange.sent_at or exchange.created_at)[:16].replace("T", " ")
    arrow = "→" if exchange.direction == "out" else "←"
    first_line = next((line for line in exchange.body.splitlines() if line.strip()), "")
    title = exchange.subject or first_line
    status = ljust(_(EXCHANGE_STATUS_LABELS.get(exchange.status, exchange.status)), 8)
    return (f"#{exchange.id:<5} {when}  {arrow} {status} {exchange.kind or '-':<24} "
            f"{exchange.candidate_id}  {title}")


# Statuses as the terminal shows them (the log and the JSON keep the ids).
EXCHANGE_STATUS_LABELS = {"draft": N_("draft"), "sending": N_("sending"), "sent": N_("sent"),
                          "failed": N_("failed"), "received": N_("received")}
CANDIDATE_STATUS_LABELS = {"active": N_("active"), "not_passed": N_("not_passed"),
                           "final_passed": N_("final_passed"), "withdrawn": N_("withdrawn")}


def _parse_moment(ctx: click.Context | None, param: click.Parameter | None, value: str | None) -> dt.datetime | None:
    """Option callback: ISO 8601 date and time (JST when no offset is given), or None."""
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("'{value}' is not a date and time; use e.g. "
                                   "2026-11-27T09:30.").format(value=value)) from None
    return served(param, moment)


@cli.command()
@click.argument("exchange_id", type=click.IntRange(min=1, max=2**63 - 1))
@pass_settings
@user_errors
def sent(settings: Settings, exchange_id: int) -> None:
    """Mark the drafted message EXCHANGE_ID (see `kizuna log`) as sent."""
    with settings.open_log() as log:
        exchange = log.mark_sent(exchange_id)
    click.echo(_("Exchange {id} to {candidate} is marked sent ({time}).").format(
        id=exchange.id, candidate=exchange.candidate_id, time=exchange.sent_at))


@cli.command(name="send")
@click.argument("exchange_ids", metavar="[ID]...", nargs=-1, type=int)
@click.option("--drafts", is_flag=True, help=N_("Every unsent draft (and each the server refused before)."))
@click.option("--candidate", "candidate_id", help=N_("Every unsent draft to this applicant."))
@click.option("--resend", "resend", multiple=True, type=int, metavar="ID",
              help=N_("Send again a message left 'sending' (its first sending was never answered)."))
@click.option("--dry-run", is_flag=True, help=N_("Render and list what would be sent; connect to nothing."))
@click.option("--force", is_flag=True, help=N_("Send even a message `kizuna check` finds errors in."))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
@user_errors
def send_command(settings: Settings, exchange_ids: tuple[int, ...], drafts: bool,
                 candidate_id: str | None, resend: tuple[int, ...], dry_run: bool, force: bool,
                 fmt: str) -> None:
    """Send drafts through the profile's [mail] SMTP server, each at most once, after `kizuna
    check` (a message with errors is skipped and listed, unless --force).

    Each message is marked 'sending' before the server is asked, then 'sent' (with the
    server's reply) or 'failed' (with the refusal; send it again later). One whose sending was
    never answered stays 'sending' and is listed by every run: check whether it arrived, then
    `kizuna sent ID`, or `kizuna send --resend ID`. Exit status 1 when a message failed or
    was left unanswered.
    """
    from .mailing import send, stuck_note

    def show(event: Any) -> None:
        if fmt == "text":
            click.echo(event.line(), err=True)

    with settings.open_log() as log:
        report = send(settings.profile, log, exchange_ids, drafts=drafts,
                      candidate_id=candidate_id, resend=resend, dry_run=dry_run, force=force,
                      progress=show)
    if fmt == "json":
        echo_json(report.to_dict())
    else:
        click.echo(report.summary())
        if report.stopped:
            click.echo(report.stopped)
        for exchange in report.stuck:
            click.echo(stuck_note(exchange))
    if report.of("failed") or report.of("sending") or report.not_attempted:
        raise SystemExit(1)


@cli.command()
@click.argument("candidate_id", metavar="CANDIDATE")
@click.option("--text", help=N_("What the applicant wrote."))
@click.option("--file", "reply_file", type=click.File("rb"),
              help=N_("Read the reply from a UTF-8 text file, or a mail message (.eml: decoded, "
              "quote cut, its Date and Message-ID kept) ('-' = stdin)."))
@click.option("--subject", default="", help=N_("The reply's subject line, if any."))
@click.option("--at", "received_at", callback=_parse_moment,
              help=N_("When it arrived (ISO 8601; JST unless an offset is given). Default: now. "
              "With --at, recording the same reply again changes nothing."))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
@user_errors
def reply(settings: Settings, candidate_id: str, text: str | None, reply_file: Any, subject: str,
          received_at: dt.datetime | None, fmt: str) -> None:
    """Record a message from applicant CANDIDATE (--text, or --file; '-' reads stdin), book the
    offered slot it chooses and draft the confirmation; or say why nothing was booked."""
    if (text is None) == (reply_file is None):
        raise click.UsageError(_("Give the reply with exactly one of --text or --file."))
    raw: bytes | None = None
    if reply_file is not None:
        from .errors import InputError
        from .inbox import looks_like_email
        from .textfiles import decode_utf8

        raw = reply_file.read()
        if not looks_like_email(raw):
            text = decode_utf8(raw, path=getattr(reply_file, "name", "<stdin>"), what=N_("reply"),
                               error=InputError)
            raw = None
    from .pipeline import handle_reply

    on = received_at.date() if received_at is not None else today_jst()
    with settings.open_log() as log:
        if raw is not None:  # a mail message (.eml): decoded, recorded under its Message-ID
            from .mailing import reply_from_mail

            outcome = reply_from_mail(settings.profile, log, candidate_id, raw,
                                      on=on if received_at is not None else None,
                                      now=received_at, name=getattr(reply_file, "name", "<stdin>"))
        else:
            assert text is not None
            outcome = handle_reply(settings.profile, log, candidate_id, text, on=on,
                                   now=received_at, subject=subject)
    if fmt == "json":
        echo_json(outcome.to_dict())
        return
    if not outcome.duplicate:  # a duplicate's note says it was already recorded, and where
        click.echo(_("Recorded the reply from {candidate} as exchange {id}.").format(
            candidate=outcome.exchange.candidate_id, id=outcome.exchange.id))
    click.echo(outcome.note)
    if outcome.confirmation is not None:
        message = outcome.confirmation.message
        logged = outcome.confirmation.exchange
        where = _(" (exchange {id})").format(id=logged.id) if logged is not None else ""
        from .output import as_text

        click.echo("\n" + _("Drafted {kind}{where}:").format(kind=message.kind, where=where)
                   + f"\n\n{as_text(message)}")
        if message.kind == "interview_confirmation" and "question-ack" in message.said:
            click.echo(_("The reply asks a question: answer it with `kizuna draft note "
                         "--candidate {id} --edit`.").format(id=message.candidate.id))


@cli.command()
@click.argument("source", metavar="[FILE.eml|MBOX|MAILDIR|-]", required=False)
@click.option("--imap", is_flag=True, help=N_("Read the profile's [mail.imap] folder (only messages not read yet)."))
@click.option("--date", "on", callback=parse_date,
              help=N_("Draft confirmations on this day (YYYY-MM-DD). Default: today (JST)."))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
@user_errors
def inbox(settings: Settings, source: str | None, imap: bool, on: dt.date | None, fmt: str) -> None:
    """Import applicants' replies from mail, book the slots they choose, draft the confirmations.

    Each message is matched to its applicant (the message of kizuna's it answers, else the
    sender's address, else an applicant number in the subject), decoded (ISO-2022-JP,
    Shift_JIS, UTF-8, HTML), recorded once under its Message-ID, and handled as `kizuna reply`
    does. One that matches no applicant is kept and listed, and tried again by every import
    (with no SOURCE, only those are tried).
    """
    from .mailing import import_imap, import_messages

    if source is not None and imap:
        raise click.UsageError(_("Give a SOURCE or --imap, not both."))

    def show(entry: Any) -> None:
        if fmt != "text":
            return
        click.echo(entry.line())
        confirmation = entry.reply.confirmation if entry.reply is not None else None
        if confirmation is not None and confirmation.exchange is not None:
            click.echo(_("  Drafted {kind} for {candidate} as exchange {id}.").format(
                kind=confirmation.message.kind, candidate=entry.candidate_id,
                id=confirmation.exchange.id))

    with settings.open_log() as log:
        if imap:
            report = import_imap(settings.profile, log, on=on, progress=show)
        elif source == "-":
            report = import_messages(settings.profile, log, sys.stdin.buffer.read(),
                                     name="<stdin>", on=on, progress=show)
        else:
            report = import_messages(settings.profile, log, source, on=on, progress=show)
    if fmt == "json":
        echo_json(report.to_dict())
        return
    click.echo(report.summary())
    if report.kept:
        click.echo(_("Kept for a later import ({count}):").format(count=len(report.kept)))
        for kept in report.kept:
            subject = f" '{kept.subject}'" if kept.subject else ""
            sender = kept.from_address or _("unknown sender")
            click.echo(f"  #{kept.id} {sender}{subject} ({kept.source} {kept.position}): {kept.reason}")


@cli.command(name="log")
@click.argument("candidate_id", metavar="[CANDIDATE]", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
@user_errors
def log_command(settings: Settings, candidate_id: str | None, fmt: str) -> None:
    """Show the exchanges, oldest first: all, or one applicant's with the full text."""
    with settings.open_log() as log:
        exchanges = log.timeline(candidate_id)
    if fmt == "json":
        echo_json([e.to_dict() for e in exchanges])
        return
    if not exchanges:
        click.echo(_("The log is empty."))
    for exchange in exchanges:
        click.echo(_exchange_line(exchange))
        if candidate_id is not None:
            click.echo("")
            for line in exchange.body.splitlines():
                click.echo(f"    {line}")
            click.echo("")


@cli.command()
@click.option("--stage", help=N_("Only applicants at this stage (a stage id of the profile)."))
@click.option("--status", help=N_("Only applicants with this status: active, not_passed, final_passed..."))
@click.option("--limit", type=click.IntRange(min=0), default=1000, show_default=True,
              help=N_("Show at most N applicants, by id (0: all of them)."))
@click.option("--after", metavar="ID", help=N_("Start after this applicant id: the last one of the page before."))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
@user_errors
def candidates(settings: Settings, stage: str | None, status: str | None, limit: int,
               after: str | None, fmt: str) -> None:
    """List the applicants in the log with their stage and status, by id, a page at a time."""
    with settings.open_log() as log:
        # One more than shown, to say whether there are more; printed as they are read.
        found = log.iter_candidates(stage=stage, status=status, after=after,
                                    limit=limit + 1 if limit else None)
        shown, last = 0, None
        more = False
        if fmt == "json":
            click.echo("[", nl=False)
        for record in found:
            if limit and shown == limit:
                more = True
                break
            if fmt == "json":
                item = json.dumps(record.to_dict(), ensure_ascii=False, indent=2)
                click.echo(("," if shown else "") + "\n  " + item.replace("\n", "\n  "), nl=False)
            else:
                r = record
                seen = (r.last_activity or r.created_at)[:10]
                label = ljust(_(CANDIDATE_STATUS_LABELS.get(r.status, r.status)), 13)
                click.echo(f"{r.candidate.id:<12} {r.candidate.name:<12} {r.stage or '-':<12} {label} "
                           + ngettext("{count} exchange, last {date}", "{count} exchanges, last {date}",
                                      r.exchanges).format(count=r.exchanges, date=seen))
            shown, last = shown + 1, record.candidate.id
    if fmt == "json":
        click.echo("\n]" if shown else "]")
    elif not shown:
        click.echo(_("No applicants match."))
    if more:
        again = " ".join(f"--{name} {shlex.quote(value)}"
                         for name, value in (("stage", stage), ("status", status)) if value is not None)
        command = f"kizuna candidates {again + ' ' if again else ''}--after {shlex.quote(last or '')}"
        click.echo(_("… and more: {limit} are shown. The next page: {command}").format(
            limit=limit, command=command), err=fmt == "json")


@cli.command()
@click.option("--days", "min_days", type=click.IntRange(min=0), default=0, show_default=True,
              help=N_("Only applicants who have waited at least N business days."))
@click.option("--date", "on", callback=parse_date, help=N_("Count up to this day (YYYY-MM-DD). Default: today (JST)."))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
@user_errors
def pending(settings: Settings, min_days: int, on: dt.date | None, fmt: str) -> None:
    """Applicants whose latest message is unanswered, with business days waited, oldest first.

    Only a message marked sent (`kizuna sent`) counts as an answer; an unsent draft is shown
    as "draft ready". Weekends, Japanese holidays and the year-end closure do not count.
    """
    calendar = settings.profile.slots.calendar
    with settings.open_log() as log:
        waiting = log.pending(on or today_jst(), min_days, calendar=calendar)
    if fmt == "json":
        echo_json([w.to_dict() for w in waiting])
        return
    if not waiting:
        click.echo(_("Nobody is waiting for an answer."))
    for w in waiting:
        note = _("  (draft ready)") if w.draft_ready else ""
        days = ngettext("{count} business day", "{count} business days", w.business_days).format(
            count=w.business_days)
        click.echo(f"{w.candidate_id:<12} {w.name:<12} "
                   + _("since {time}  {days}{note}").format(
                       time=w.received_at[:16].replace("T", " "), days=days, note=note))


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
@user_errors
def stats(settings: Settings, fmt: str) -> None:
    """Counts per stage and result: the selection funnel."""
    stages = {s.id: s.label for s in settings.profile.stages}
    with settings.open_log() as log:
        result = log.stats(list(stages))
    if fmt == "json":
        echo_json(result.to_dict())
        return
    statuses = _(", ").join(f"{_(CANDIDATE_STATUS_LABELS.get(k, k))} {v}"
                            for k, v in result.statuses.items())
    click.echo((_("Applicants: {count} ({statuses})") if statuses else _("Applicants: {count}"))
               .format(count=result.candidates, statuses=statuses))
    for s in result.stages:
        label = stages.get(s.stage or "", s.stage or _("applied (before any stage)"))
        click.echo(_("  {stage}: {reached} reached, {passed} passed, {not_passed} not "
                     "passed").format(stage=label, reached=s.candidates, passed=s.passed,
                                      not_passed=s.not_passed))
    counts = result.exchanges
    click.echo(_("Messages: {drafts} drafts, {sent} sent, {received} received").format(
        drafts=counts.get("out_draft", 0), sent=counts.get("out_sent", 0),
        received=counts.get("in_received", 0)))


@cli.command()
@click.argument("words", nargs=-1, required=True, metavar="TEXT...")
@click.option("--candidate", "candidate_id", help=N_("Only this applicant's exchanges."))
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help=N_("Show at most N exchanges, newest first (0: all of them)."))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
@user_errors
def search(settings: Settings, words: tuple[str, ...], candidate_id: str | None, limit: int,
           fmt: str) -> None:
    """Exchanges containing every word of TEXT (Japanese works, 面接 too), newest first."""
    with settings.open_log() as log:
        # One more than shown, to say whether there are more; printed as they are found.
        found = log.iter_search(" ".join(words), candidate_id=candidate_id,
                                limit=limit + 1 if limit else None)
        if fmt == "json":
            items = [e.to_dict() for e in found]
            echo_json(items[:limit] if limit else items)
            return
        shown = 0
        for exchange in found:
            if limit and shown == limit:
                click.echo(_("… and more: the newest {limit} are shown; use --limit to see "
                             "more.").format(limit=limit))
                break
            click.echo(_exchange_line(exchange))
            shown += 1
        if not shown:
            click.echo(_("Nothing found."))


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help=N_("Write to this file instead of the screen ('-': the screen)."))
@click.option("--bom", is_flag=True, help=N_("Start with a UTF-8 BOM, so Excel opens the CSV with its Japanese intact."))
@pass_settings
@user_errors
def export(settings: Settings, fmt: str, output: str | None, bom: bool) -> None:
    """Export every exchange with the applicant's name, as CSV or JSON (UTF-8)."""
    with settings.open_log() as log:
        if output is None or output == "-":
            if bom:
                sys.stdout.write("\ufeff")
            log.write_export(fmt, sys.stdout)
            return
        from .output import private_file

        with private_file(output, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out:
            count = log.write_export(fmt, out)
    click.echo(_("Wrote {count} exchanges to {path}.").format(count=count, path=output), err=True)


@cli.command()
@click.option("--before", callback=parse_date, help=N_("Applicants with no activity since before this day (YYYY-MM-DD)."))
@click.option("--candidate", "candidate_ids", multiple=True, metavar="ID",
              help=N_("One applicant, by id; repeat it for several (one pass for all of them)."))
@click.option("--expired", is_flag=True, help=N_("Applicants idle longer than the profile's retention days."))
@click.option("--yes", "-y", is_flag=True, help=N_("Do not ask for confirmation."))
@pass_settings
@user_errors
def purge(settings: Settings, before: dt.date | None, candidate_ids: tuple[str, ...], expired: bool,
          yes: bool) -> None:
    """Delete applicants and all their exchanges and slot holds, leaving no readable trace."""
    candidate_id = candidate_ids or None
    if sum((before is not None, candidate_id is not None, expired)) != 1:
        raise click.UsageError(_("Give exactly one of --before, --candidate or --expired."))
    selector: dict[str, Any] = {"before": before, "candidate_id": candidate_id}
    if expired:
        selector = {"expired_days": settings.profile.retention_days, "today": today_jst()}
    with settings.open_log() as log:
        if not yes:
            plan = log.purge(**selector, dry_run=True)
            if not plan.candidates:
                click.echo(_("Nothing to purge."))
                return
            click.echo(_("This deletes {count} applicant(s) ({ids}), {exchanges} exchange(s) and "
                         "{holds} slot hold(s).").format(
                count=len(plan.candidates), ids=_(", ").join(plan.candidates),
                exchanges=plan.exchanges, holds=plan.holds))
            click.confirm(_("Delete them permanently?"), abort=True)
        report = log.purge(**selector)
    click.echo(_("Purged {count} applicant(s), {exchanges} exchange(s) and {holds} slot "
                 "hold(s).").format(count=len(report.candidates), exchanges=report.exchanges,
                                    holds=report.holds))
    if not report.wal_cleared:
        click.echo(_("Another program has the log open: deleted text may stay in the -wal file "
                     "until it closes."))


@cli.command()
@click.option("--year", type=int, help=N_("Calendar year, 1900–2100. Default: this year (JST)."))
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text", show_default=True)
@click.option("--zassetsu", "only_zassetsu", is_flag=True,
              help=N_("With csv or json, list the 雑節 (id, name, date, end) instead of the 24 terms."))
@user_errors
def seasons(year: int | None, fmt: str, only_zassetsu: bool) -> None:
    """Print the 24 solar terms (exact JST dates) and the 雑節 of a year."""
    from .seasons import almanac

    result = almanac(today_jst().year if year is None else year)
    if fmt == "json":
        echo_json([item.as_dict() for item in (result.zassetsu if only_zassetsu else result.terms)])
    elif fmt == "csv" and only_zassetsu:
        click.echo("id,name,date,end")
        for z in result.zassetsu:
            click.echo(f"{z.id},{z.name},{z.date.isoformat()},{z.end.isoformat() if z.end else ''}")
    elif fmt == "csv":
        click.echo("name,date")
        for term in result.terms:
            click.echo(f"{term.name},{term.date.isoformat()}")
    else:
        click.echo(_("Solar terms {year} (JST)").format(year=result.year))
        for term in result.terms:
            click.echo(f"  {term.name}  {term.date.isoformat()} {term.instant:%H:%M}  "
                       f"{term.longitude:>3}°  {term.reading}")
        click.echo("\n" + _("Zassetsu {year}").format(year=result.year))
        for z in result.zassetsu:
            span = f" – {z.end.isoformat()}" if z.end else ""
            click.echo(f"  {z.date.isoformat()}{span}  {z.name}")


@cli.group(invoke_without_command=True)
@click.option("--date", "on", callback=parse_date, help=N_("Send date, YYYY-MM-DD (default: today in Japan)."))
@click.option("--kind", help=N_("Message kind, e.g. interview_invitation (see `kizuna kinds`)."))
@click.option("--result", type=click.Choice(["passed", "not_passed"]), help=N_("Result, for result notices."))
@click.option("--candidate", "candidate_id", help=N_("Applicant id: leave out the topics they already got (from the log)."))
@click.option("--lang", "language", metavar="CODE",
              help=N_("Language of the letter: ja (default) or en (only lines with an English text)."))
@click.option("--all", "show_all", is_flag=True, help=N_("Also list the lines that are out of season."))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
@user_errors
def topics(ctx: click.Context, on: dt.date | None, kind: str | None, result: str | None,
           candidate_id: str | None, language: str | None, show_all: bool, fmt: str) -> None:
    """Show the season and town topics for a date and kind: eligible, excluded (and why), and the pick."""
    if ctx.invoked_subcommand is not None:
        return
    if kind is None:
        raise click.UsageError(_("Give --kind (see `kizuna kinds`), or use `kizuna topics check "
                                 "FILE`."))
    from .language import language_code
    from .topics import explain

    code = language_code(language) or "ja"
    settings = ctx.ensure_object(Settings)
    history: set[str] = set()
    # Read the log only for an applicant, and never create a database just to look.
    if candidate_id and settings.database_path().exists():
        with settings.open_log() as log:
            history = log.topic_history(candidate_id)
    report = explain(on or today_jst(), kind, result=result, candidate_id=candidate_id,
                     history=history, profile=settings.profile, language=code)
    if fmt == "json":
        echo_json(report.to_dict())
    else:
        click.echo(report.to_text(show_all=show_all))


@topics.command(name="check")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
def topics_check(path: str) -> None:
    """Validate a town or season topic file, listing every problem with its entry and key,
    and the entries English letters leave out (no English line)."""
    from .errors import TopicFileError
    from .topics import check_topic_file_report

    try:
        report = check_topic_file_report(path)
    except TopicFileError as exc:
        click.echo(f"{exc.path or path}: {exc.message}", err=True)
        for problem in exc.problems:
            click.echo(f"  - {problem}", err=True)
        raise SystemExit(1) from None
    click.echo(_("OK: {count} entries").format(count=report.entries))
    if report.no_english:
        click.echo(_("Not used in English letters ({count}: no English line):").format(
            count=len(report.no_english)))
        for item in report.no_english:
            click.echo(f"  - {item}")


# --- interview slots and reminders (kizuna.slots, kizuna.log.holds) ---


@cli.command(name="slots")
@click.option("--from", "start_day", callback=parse_date,
              help=N_("Count the lead time from this day (YYYY-MM-DD). Default: today (JST)."))
@click.option("--count", type=click.IntRange(min=1), help=N_("How many slots. Default: the profile's slots.offer_count."))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
@user_errors
def slots_command(settings: Settings, start_day: dt.date | None, count: int | None, fmt: str) -> None:
    """Propose free interview slots (weekday evenings, weekends), skipping holidays, the
    year-end closure, and slots booked or held for other applicants."""
    from .pipeline import free_slots
    from .slots import circled, format_slot

    with settings.open_log() as log:
        found = free_slots(settings.profile, log, start_day or today_jst(), count)
    if fmt == "json":
        echo_json([slot.to_dict() for slot in found])
        return
    for number, slot in enumerate(found, start=1):
        click.echo(f"{circled(number)} {format_slot(slot)}")


@cli.command()
@click.argument("candidate_id", metavar="CANDIDATE")
@click.argument("url")
@pass_settings
@user_errors
def meeting(settings: Settings, candidate_id: str, url: str) -> None:
    """Record URL as the meeting room of CANDIDATE's booked online interview; its reminder
    carries it."""
    from .dates import slot_text
    from .pipeline import set_meeting_url

    with settings.open_log() as log:
        slot = set_meeting_url(log, candidate_id, url)
    click.echo(_("Recorded the meeting URL of {id}'s interview {slot}.").format(
        id=candidate_id, slot=slot_text(slot)))


@cli.command()
@click.option("--date", "on", callback=parse_date,
              help=N_("Draft on this day for the interviews of the next day (YYYY-MM-DD). Default: today (JST)."))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
@user_errors
def reminders(settings: Settings, on: dt.date | None, fmt: str) -> None:
    """Draft interview_reminder for each interview on the next day (once per interview)."""
    from .output import as_text
    from .pipeline import draft_reminders

    day = on or today_jst()
    with settings.open_log() as log:
        drafted = draft_reminders(settings.profile, log, on=day)
    if fmt == "json":
        echo_json([
            {**d.message.to_dict(), "exchange_id": d.exchange.id if d.exchange else None}
            for d in drafted
        ])
        return
    if not drafted:
        click.echo(_("No reminders to draft: every interview on {day} already has one, or there "
                     "is none.").format(day=day + dt.timedelta(days=1)))
    for d in drafted:
        where = _(" (exchange {id})").format(id=d.exchange.id) if d.exchange is not None else ""
        click.echo(_("Drafted interview_reminder for {id}{where}:").format(
            id=d.message.candidate.id, where=where) + f"\n\n{as_text(d.message)}\n")


# --- the morning list (kizuna.agenda) ---


@cli.command(name="today")
@click.option("--date", "on", callback=parse_date,
              help=N_("The day to list (YYYY-MM-DD), from its first hour. Default: now, in Japan."))
@click.option("--draft", "draft", is_flag=True,
              help=N_("First draft every interview reminder and reply nudge the day calls for "
                      "(each once), then list what is left."))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
@user_errors
def today_command(settings: Settings, on: dt.date | None, draft: bool, fmt: str) -> None:
    """What needs doing today, most urgent first: who waits for our answer, interviews
    without a reminder, held slots running out, drafts not sent, silent applicants and mail
    problems. Each applicant once, with business days waited and the command to run next.
    Exit status 1 when --draft could not draft something the day calls for.
    """
    from .agenda import day_label, today
    from .models import JST

    now = None if on is not None else dt.datetime.now(JST)
    day = on or today_jst()
    with settings.open_log() as log:
        report = today(settings.profile, log, on=day, now=now, draft=draft)
    if fmt == "json":
        echo_json(report.to_dict())
    else:
        _print_today(report, day_label, draft)
    if report.not_drafted:
        raise SystemExit(1)


def _print_today(report: Any, day_label: Callable[[dt.date], str], draft: bool) -> None:
    if draft:
        from .output import as_text

        for d in report.drafted:
            where = _(" (exchange {id})").format(id=d.exchange.id) if d.exchange is not None else ""
            click.echo(_("Drafted {kind} for {id} {name}{where}:").format(
                kind=d.message.kind, id=d.message.candidate.id, name=d.message.candidate.name,
                where=where) + f"\n\n{as_text(d.message)}\n")
        for n in report.not_drafted:
            click.echo(_("Not drafted: {kind} for {id}: {reason} → {command}").format(
                kind=n.kind, id=n.candidate_id, reason=n.reason, command=n.command))
        if not report.drafted and not report.not_drafted:
            click.echo(_("Nothing new to draft: every reminder and nudge the day calls for is "
                         "in the log."))
        click.echo("")
    if report.empty:
        click.echo(_("Nothing needs doing on {day}: nobody is waiting, and no interview, held "
                     "slot, draft, applicant or mail needs you.").format(day=day_label(report.date)))
        return
    click.echo(_("Today {day}; the next office day is {next}.").format(
        day=day_label(report.date), next=day_label(report.next_office_day)))
    for key, title, items in report.sections():
        if not items:
            continue
        heading = _(title)
        if key == "silence":
            heading = _("Silent for {days} business days or more, still in the selection").format(
                days=report.silence_days)
        click.echo(f"\n{heading} ({len(items)})")
        for item in items:
            who = f"{item.candidate_id} {item.name}" if item.candidate_id else item.name
            waited = ngettext("{count} business day", "{count} business days",
                              item.business_days).format(count=item.business_days)
            click.echo(f"  {who} · {waited} · {item.reason} → {item.command}")
    if not draft and (report.interviews or report.expiring):
        click.echo("\n" + _("`kizuna today --draft` drafts the reminders and nudges above."))
