"""Mail out and in, over the log: ``send`` hands drafts to the SMTP server at most once each,
``import_messages`` and ``import_imap`` read replies and handle each as ``kizuna reply`` does.

Above the log, the output layer (``output.smtp``, ``output.render``), the inbox reader
(``kizuna.inbox``) and the pipeline (``handle_reply``); below the CLI.

At most once, in the order it happens for each message:

1. every draft chosen is rendered first (charset, headers, address): a draft that cannot be
   sent is an error before the server is asked about anything;
2. the connection and the login come next: an unreachable server or a wrong password is an
   error before anything is marked;
3. the message is marked ``sending`` with its Message-ID, and that is committed;
4. only then is it handed over; the server's answer makes it ``sent`` (with the reply) or
   ``failed`` (with the refusal). A connection that breaks after the message was handed over
   leaves it ``sending``: it may have arrived, so no later run sends it by itself. Each run
   lists the messages left ``sending``; ``resend`` (``kizuna send --resend ID``) sends one
   again on purpose, under the same Message-ID.
"""

from __future__ import annotations

import collections
import datetime as dt
import importlib
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import InputError, KizunaError, ProfileError
from .i18n import N_, _
from .models import JST, Exchange, Message
from .pipeline import ReplyOutcome, handle_reply

if TYPE_CHECKING:
    from .log import KeptMail, Log
    from .profile import MailSettings, Profile


# --------------------------------------------------------------------------------------------
# Passwords
# --------------------------------------------------------------------------------------------


def server_password(variable: str, service: str, user: str) -> str | None:
    """The password for a mail server: the environment variable ``variable``, else the system
    keyring (``service``, ``user``) when the ``keyring`` package is installed, else None."""
    value = os.environ.get(variable)
    if value:
        return value
    if not user:
        return None
    try:
        keyring: Any = importlib.import_module("keyring")
    except ImportError:
        return None
    try:
        found = keyring.get_password(service, user)
    except Exception:  # keyring's backends raise their own errors (no backend, locked, ...)
        return None
    return found if isinstance(found, str) and found else None


def _mail_settings(profile: Profile) -> MailSettings:
    if profile.mail is None:
        raise ProfileError(
            _("The profile has no [mail] table, so kizuna does not know which server to send "
              "through; nothing was sent or marked."),
            path=profile.source, field="mail",
            hint=_("Add [mail] with host, port, security and user (see `kizuna init` for the "
                   "commented sample)."),
        )
    return profile.mail


# --------------------------------------------------------------------------------------------
# Sending
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendEvent:
    """What happened to one message of a send run. ``outcome`` is ``sent``, ``failed``,
    ``sending`` (handed over, the answer never came), ``skipped`` (not attempted: ``detail``
    says why) or ``would send`` (a dry run)."""

    index: int
    total: int
    exchange_id: int
    candidate_id: str
    outcome: str
    detail: str
    message_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "total": self.total, "exchange_id": self.exchange_id,
            "candidate_id": self.candidate_id, "outcome": self.outcome, "detail": self.detail,
            "message_id": self.message_id,
        }

    def line(self) -> str:
        return (f"[{self.index}/{self.total}] #{self.exchange_id} {self.candidate_id}: "
                f"{_(SEND_OUTCOMES.get(self.outcome, self.outcome))}"
                + (f" ({self.detail})" if self.detail else ""))


# The outcomes of a send run as the terminal shows them (the JSON keeps the ids).
SEND_OUTCOMES = {"sent": N_("sent"), "failed": N_("failed"), "sending": N_("sending"),
                 "skipped": N_("skipped"), "would send": N_("would send")}


@dataclass(frozen=True)
class SendReport:
    """A send run: every message's event, why it stopped early (if it did), and every
    message the log has left ``sending`` afterwards (this run's and earlier ones')."""

    events: tuple[SendEvent, ...]
    stuck: tuple[Exchange, ...] = ()
    stopped: str | None = None
    not_attempted: tuple[int, ...] = ()
    dry_run: bool = False

    def of(self, outcome: str) -> list[SendEvent]:
        return [e for e in self.events if e.outcome == outcome]

    def summary(self) -> str:
        if self.dry_run:
            parts = [_("Dry run: {count} would be sent").format(count=len(self.of("would send")))]
        else:
            parts = [_("{count} sent").format(count=len(self.of("sent"))),
                     _("{count} failed").format(count=len(self.of("failed"))),
                     _("{count} unanswered").format(count=len(self.of("sending")))]
        parts.append(_("{count} skipped").format(count=len(self.of("skipped"))))
        if self.not_attempted:
            parts.append(_("{count} not attempted").format(count=len(self.not_attempted)))
        return _("{parts}.").format(parts=_(", ").join(parts))

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": [e.to_dict() for e in self.events],
            "stuck": [e.to_dict() for e in self.stuck],
            "stopped": self.stopped,
            "not_attempted": list(self.not_attempted),
            "dry_run": self.dry_run,
            "summary": self.summary(),
        }


def stuck_note(exchange: Exchange) -> str:
    """One line for a message left ``sending``: since when, why, and what to do."""
    why = f": {exchange.failure}" if exchange.failure else ""
    return _("#{id} {candidate} is still 'sending'{why}. It may have arrived: check the sent "
             "mail or ask, then `kizuna sent {id}` if it did, or `kizuna send --resend {id}` to "
             "send it again.").format(id=exchange.id, candidate=exchange.candidate_id, why=why)


@dataclass
class _Item:
    exchange: Exchange
    message: Message
    charset: str
    resend: bool
    message_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class _RateLimit:
    """At most ``per_minute`` messages in any 60 seconds (a sliding window)."""

    def __init__(self, per_minute: int, clock: Callable[[], float],
                 sleep: Callable[[float], None]) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.sleep = sleep
        self.times: collections.deque[float] = collections.deque()

    def wait(self) -> None:
        if len(self.times) >= self.per_minute:
            pause = self.times[0] + 60.0 - self.clock()
            if pause > 0:
                self.sleep(pause)
            self.times.popleft()
        self.times.append(self.clock())


def send(
    profile: Profile,
    log: Log,
    exchange_ids: Sequence[int] = (),
    *,
    drafts: bool = False,
    candidate_id: str | None = None,
    resend: Sequence[int] = (),
    dry_run: bool = False,
    force: bool = False,
    password: str | None = None,
    progress: Callable[[SendEvent], None] | None = None,
    now: Callable[[], dt.datetime] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> SendReport:
    """Send drafts through the profile's ``[mail]`` server, each at most once.

    Chooses ``exchange_ids`` (drafts, or messages the server refused before), every unsent
    message with ``drafts``, one applicant's with ``candidate_id``, and the messages left
    ``sending`` named in ``resend``. A message already sent, or left ``sending`` and not named
    in ``resend``, is skipped and said so. Each goes in the charset it was drafted in (else
    ``[mail] charset``), from the profile's sender to the applicant's address as the log knows
    it, with a blind copy to ``[mail] archive_bcc``, at most ``rate_per_minute`` a minute.
    ``progress`` gets each event as it happens. ``password`` overrides the environment and the
    keyring. A dry run renders and lists, and neither connects nor marks anything.

    Every message is first checked (``kizuna check``, with the other applicants' names and the
    applicant's booking from the log): one with errors is not sent but skipped with its first
    finding, unless ``force``.

    Raises (before anything is marked): ProfileError without ``[mail]``, InputError for
    nothing chosen or a reply's id, MailError for a draft that cannot be written as email,
    MailServerError for a server that cannot be reached or refuses the login.
    """
    from .output import render_draft
    from .output.eml import message_id
    from .output.smtp import connect

    settings = _mail_settings(profile)
    if not (exchange_ids or drafts or candidate_id or resend):
        raise InputError(
            _("Nothing to send was named."),
            hint=_("Give exchange ids (see `kizuna log`), --drafts for every unsent draft, "
                   "--candidate ID for one applicant's, or --resend ID."),
        )
    moment = now or (lambda: dt.datetime.now(JST))
    skipped: list[tuple[Exchange, str]] = []
    chosen: dict[int, tuple[Exchange, bool]] = {}
    for exchange in log.outbound(list(exchange_ids)):
        _check_outbound(exchange)
        if exchange.status == "sent":
            skipped.append((exchange, _("already sent at {time}").format(time=exchange.sent_at)))
        elif exchange.status == "sending":
            skipped.append((exchange, _("left 'sending' by an earlier run; see below")))
        else:
            chosen.setdefault(exchange.id, (exchange, False))
    if drafts or candidate_id:
        for exchange in log.unsent(candidate_id):
            chosen.setdefault(exchange.id, (exchange, False))
    for exchange in log.outbound(list(resend)):
        _check_outbound(exchange)
        if exchange.status != "sending":
            raise InputError(
                _("Exchange {id} is '{status}', not 'sending': --resend is only for a message "
                  "whose sending was never answered.").format(id=exchange.id,
                                                               status=exchange.status),
                hint=(_("Send it with `kizuna send {id}`.").format(id=exchange.id)
                      if exchange.status in ("draft", "failed")
                      else _("It was sent; it is not sent twice.")),
            )
        chosen[exchange.id] = (exchange, True)

    from .check import checker_for
    from .log import holds

    checker = checker_for(profile)
    names = log.applicant_names() if chosen else {}
    items: list[_Item] = []
    for exchange, again in chosen.values():
        message = log.outbound_message(exchange)
        if not message.candidate.email:
            skipped.append((exchange, _("the log has no email address for {id}").format(
                id=exchange.candidate_id)))
            continue
        item = _Item(exchange, message, exchange.charset or settings.charset, again)
        item.message_id = exchange.message_id or message_id(message, profile,
                                                           exchange_id=exchange.id)
        try:
            render_draft(message, profile, "eml", charset=item.charset, msgid=item.message_id,
                         draft=False, now=moment())
        except KizunaError as exc:
            raise type(exc)(
                _("Exchange {id} ({candidate}) cannot be sent as email in {charset}: {reason} "
                  "Nothing was sent or marked.").format(
                    id=exchange.id, candidate=exchange.candidate_id, charset=item.charset,
                    reason=exc.message),
                path=exc.path, field=exc.field, hint=exc.hint, problems=exc.problems,
            ) from None
        errors = [f for f in checker.check_message(
            message, others=[n for i, n in names.items() if i != exchange.candidate_id],
            booking=holds.booked_slot(log, exchange.candidate_id),
            charset=exchange.charset or settings.charset,
        ) if f.severity == "error"]
        if errors and not force:
            first = errors[0]
            skipped.append((exchange, _(
                "kizuna check found {count} error(s), first at line {line}: {rule} {message} "
                "Correct it (`kizuna check --exchange {id}`), or send it with --force.").format(
                count=len(errors), line=first.line, rule=first.rule, message=first.message,
                id=exchange.id)))
            continue
        items.append(item)

    total = len(items) + len(skipped)
    events: list[SendEvent] = []

    def emit(event: SendEvent) -> None:
        events.append(event)
        if progress is not None:
            progress(event)

    for exchange, why in skipped:
        emit(SendEvent(len(events) + 1, total, exchange.id, exchange.candidate_id, "skipped", why,
                       exchange.message_id))
    if dry_run or not items:
        for item in items:
            emit(SendEvent(len(events) + 1, total, item.exchange.id, item.exchange.candidate_id,
                           "would send", _("to {address} in {charset}").format(
                               address=item.message.candidate.email, charset=item.charset),
                           item.message_id))
        return SendReport(tuple(events), tuple(log.sending()), dry_run=dry_run)

    secret = password if password is not None else server_password(
        settings.password_env, settings.keyring_service, settings.user
    )
    sender = profile.organisation.email
    limit = _RateLimit(settings.rate_per_minute, clock, sleep)
    stopped: str | None = None
    not_attempted: list[int] = []
    try:
        opened = connect(settings.host, settings.port, security=settings.security,
                         user=settings.user, password=secret, timeout=settings.timeout_seconds,
                         ca_file=settings.ca_file)
    except KizunaError as exc:
        exc.path = exc.path or profile.source  # the [mail] settings are the profile's
        raise
    with opened as connection:
        for item in items:
            if stopped is not None:
                not_attempted.append(item.exchange.id)
                continue
            exchange = item.exchange
            limit.wait()
            claimed = log.mark_sending(exchange.id, item.message_id, at=moment(),
                                       resend=item.resend)
            if claimed is None:
                emit(SendEvent(len(events) + 1, total, exchange.id, exchange.candidate_id,
                               "skipped", _("its status changed meanwhile (another kizuna send?)")))
                continue
            msgid = claimed.message_id or item.message_id
            rendered = render_draft(item.message, profile, "eml", charset=item.charset,
                                    msgid=msgid, draft=False, now=moment())
            assert isinstance(rendered.output, bytes)
            delivery = connection.deliver(sender, item.message.candidate.email, rendered.output,
                                          bcc=settings.archive_bcc)
            detail = delivery.reply + (f"; {delivery.note}" if delivery.note else "")
            if delivery.outcome == "sent":
                log.mark_delivered(exchange.id, detail, at=moment())
                outcome = "sent"
            elif delivery.outcome == "unknown":
                log.note_unknown(exchange.id, detail)
                outcome = "sending"
                stopped = _("The connection to {server} broke while #{id} was being handed "
                            "over; the rest were not attempted.").format(
                    server=connection.where, id=exchange.id)
            else:
                log.mark_refused(exchange.id, detail)
                outcome = "failed"
                if delivery.outcome == "not_sent":
                    stopped = _("The connection to {server} broke before #{id} was handed over; "
                                "the rest were not attempted.").format(
                        server=connection.where, id=exchange.id)
            emit(SendEvent(len(events) + 1, total, exchange.id, exchange.candidate_id, outcome,
                           detail, msgid))
    return SendReport(tuple(events), tuple(log.sending()), stopped, tuple(not_attempted))


def _check_outbound(exchange: Exchange) -> None:
    if exchange.direction != "out":
        raise InputError(
            _("Exchange {id} is a message from {candidate}, not one to send; nothing was "
              "sent.").format(id=exchange.id, candidate=exchange.candidate_id),
            hint=_("`kizuna log` shows each exchange's direction (→ to the applicant)."),
        )


# --------------------------------------------------------------------------------------------
# Reading replies
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxEntry:
    """What became of one message of an import. ``outcome`` is ``recorded`` (``reply`` is
    what ``kizuna reply`` would have said), ``duplicate`` (imported before), ``kept`` (no
    applicant found: kept for a later import, ``detail`` says why), ``unreadable`` (kept too,
    with the problem) or ``own`` (a message kizuna sent, seen again)."""

    source: str
    position: str
    outcome: str
    detail: str
    candidate_id: str | None = None
    matched_by: str | None = None
    message_id: str | None = None
    subject: str = ""
    from_address: str = ""
    reply: ReplyOutcome | None = None
    kept_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "position": self.position, "outcome": self.outcome,
            "detail": self.detail, "candidate_id": self.candidate_id,
            "matched_by": self.matched_by, "message_id": self.message_id,
            "subject": self.subject, "from_address": self.from_address,
            "reply": self.reply.to_dict() if self.reply is not None else None,
            "kept_id": self.kept_id,
        }

    def line(self) -> str:
        where = f"{self.source}: {self.position}" if self.position else self.source
        who = f" {self.candidate_id}" if self.candidate_id else ""
        how = _(" (by {how})").format(how=_(MATCHED_BY.get(self.matched_by, self.matched_by))) \
            if self.matched_by else ""
        outcome = _(INBOX_OUTCOMES.get(self.outcome, self.outcome))
        return _("{where}:{who} {outcome}{how}. {detail}").format(
            where=where, who=who, outcome=outcome, how=how, detail=self.detail).rstrip()


# The outcomes of an import and how a message was matched, as the terminal shows them.
INBOX_OUTCOMES = {"recorded": N_("recorded"), "duplicate": N_("duplicate"), "kept": N_("kept"),
                  "unreadable": N_("unreadable"), "own": N_("own")}
MATCHED_BY = {"thread": N_("thread"), "address": N_("address"), "subject": N_("subject"),
              "given": N_("given")}


@dataclass(frozen=True)
class InboxReport:
    """An import: one entry per message, and every message kept for a later import after it
    (this import's and earlier ones' still unmatched)."""

    entries: tuple[InboxEntry, ...]
    kept: tuple[KeptMail, ...] = ()

    def of(self, outcome: str) -> list[InboxEntry]:
        return [e for e in self.entries if e.outcome == outcome]

    def summary(self) -> str:
        counts = collections.Counter(e.outcome for e in self.entries)
        parts = [_("{count} {outcome}").format(count=counts.get(k, 0), outcome=_(INBOX_OUTCOMES[k]))
                 for k in ("recorded", "duplicate", "kept", "unreadable", "own")]
        return _("{count} messages: {parts}.").format(count=sum(counts.values()),
                                                      parts=_(", ").join(parts))

    def to_dict(self) -> dict[str, Any]:
        return {"entries": [e.to_dict() for e in self.entries],
                "kept": [k.to_dict() for k in self.kept], "summary": self.summary()}


def import_messages(
    profile: Profile,
    log: Log,
    source: str | os.PathLike[str] | bytes | Iterable[bytes] | None = None,
    *,
    name: str | None = None,
    on: dt.date | None = None,
    retry_kept: bool = True,
    progress: Callable[[InboxEntry], None] | None = None,
) -> InboxReport:
    """Import replies: from a path (an .eml, an mbox, a Maildir), from ``bytes`` (one message
    or an mbox, named ``name``), or from messages an HR tool fetched itself (an iterable of
    ``bytes``). With ``retry_kept`` the messages kept by earlier imports are tried first.

    Each message is matched to its applicant (``inbox.match``), recorded once under its
    Message-ID with its Date, attachments and how it was matched, and handled as ``kizuna
    reply`` does (``handle_reply``: the chosen slot booked, the confirmation drafted for
    ``on``, default today in Japan), in one transaction. A message that matches no one, or
    cannot be read, is kept (``Log.kept_mail``) and listed, never dropped or guessed.

    Raises MailboxError when the source is not a mailbox (its name and why) before anything
    is imported.
    """
    from . import inbox

    items: Iterable[inbox.Item]
    if source is None:
        items = ()
    elif isinstance(source, bytes):
        items = list(inbox.read_bytes(source, name or "<bytes>"))
    elif isinstance(source, str | os.PathLike):
        items = list(inbox.read_path(source))  # a bad source fails before anything is done
    else:
        items = inbox.items_of(source, name or "<messages>")
    day = on or dt.datetime.now(JST).date()
    entries: list[InboxEntry] = []

    def emit(entry: InboxEntry) -> None:
        entries.append(entry)
        if progress is not None:
            progress(entry)

    if retry_kept:
        for kept in log.kept_mail():
            item = inbox._item(kept.source or "kept", f"kept #{kept.id}", kept.raw)
            if item.mail is None:
                continue
            entry = _import_one(profile, log, item, day, retrying=kept.id)
            if entry.outcome != "kept":
                emit(entry)
    for item in items:
        emit(_import_one(profile, log, item, day))
    return InboxReport(tuple(entries), tuple(log.kept_mail()))


def import_imap(
    profile: Profile,
    log: Log,
    *,
    on: dt.date | None = None,
    password: str | None = None,
    retry_kept: bool = True,
    progress: Callable[[InboxEntry], None] | None = None,
) -> InboxReport:
    """Import the replies in the profile's ``[mail.imap]`` folder that were not read yet
    (above the last UID read; the folder is opened read-only), as ``import_messages`` does.
    Each message and the folder's new position are recorded in one transaction, so a run
    that is stopped goes on where it stopped."""
    from . import inbox

    settings = profile.imap
    if settings is None:
        raise ProfileError(
            _("The profile has no [mail.imap] table, so kizuna does not know where to read "
              "replies; nothing was read."), path=profile.source, field="mail.imap",
            hint=_("Add [mail.imap] with host, user and folder (see `kizuna init`)."),
        )
    secret = password if password is not None else server_password(
        settings.password_env, settings.keyring_service, settings.user
    )
    account = inbox.imap_account(settings.host, settings.port, settings.user)
    report = import_messages(profile, log, None, on=on, retry_kept=retry_kept,
                             progress=progress)
    entries = list(report.entries)
    day = on or dt.datetime.now(JST).date()
    where = f"imap://{account}/{settings.folder}"
    for validity, uid, raw in inbox.fetch_imap(
        settings.host, settings.port, security=settings.security, user=settings.user,
        password=secret, folder=settings.folder, timeout=settings.timeout_seconds,
        after=log.imap_position(account, settings.folder), ca_file=settings.ca_file,
    ):
        item = inbox._item(where, f"UID {uid}", raw)
        with log.transaction():
            entry = _import_one(profile, log, item, day)
            log.set_imap_position(account, settings.folder, validity, uid)
        entries.append(entry)
        if progress is not None:
            progress(entry)
    return InboxReport(tuple(entries), tuple(log.kept_mail()))


def reply_from_mail(
    profile: Profile,
    log: Log,
    candidate_id: str,
    raw: bytes,
    *,
    on: dt.date | None = None,
    now: dt.datetime | None = None,
    name: str = "<message>",
) -> ReplyOutcome:
    """``kizuna reply ID --file reply.eml``: one message read as mail (decoded, the quote
    left for ``handle_reply`` to cut), recorded once under its Message-ID for this applicant,
    at its Date unless ``now`` is given, and handled as any reply."""
    from . import inbox

    try:
        mail = inbox.parse_message(raw)
    except KizunaError as exc:
        exc.path = name
        raise
    when = now or mail.sent_at
    day = on or (when.astimezone(JST).date() if when else dt.datetime.now(JST).date())
    return handle_reply(profile, log, candidate_id, mail.text, on=day, now=when,
                        subject=mail.subject, mail=mail.facts("given"))


def _import_one(
    profile: Profile, log: Log, item: Any, day: dt.date, *, retrying: int | None = None
) -> InboxEntry:
    from . import inbox

    mail = item.mail
    if mail is None:
        kept = log.keep_unmatched(item.key, item.raw,
                                  _("unreadable: {problem}").format(problem=item.problem),
                                  source=item.source, position=item.position)
        return InboxEntry(item.source, item.position, "unreadable",
                          _("{problem} Kept as #{id}.").format(problem=item.problem, id=kept.id),
                          kept_id=kept.id)
    common: dict[str, Any] = {"message_id": mail.message_id, "subject": mail.subject,
                              "from_address": mail.from_address}
    if mail.message_id is not None:
        own = log.exchange_by_message_id(mail.message_id)
        if own is not None and own.direction == "out":
            return InboxEntry(item.source, item.position, "own",
                              _("it is exchange #{id}, which kizuna sent").format(id=own.id),
                              own.candidate_id,
                              **common)
    found = inbox.match(mail, log)
    if found.candidate_id is None:
        kept = log.keep_unmatched(
            mail.key, mail.raw, found.reason, message_id=mail.message_id, source=item.source,
            position=item.position, from_address=mail.from_address, subject=mail.subject,
            sent_at=mail.sent_at,
        )
        return InboxEntry(item.source, item.position, "kept",
                          _("No applicant found: {reason} Kept as #{id} for a later "
                            "import.").format(reason=found.reason, id=kept.id),
                          kept_id=kept.id, **common)
    with log.transaction():
        outcome = handle_reply(profile, log, found.candidate_id, mail.text, on=day,
                               now=mail.sent_at, subject=mail.subject,
                               mail=mail.facts(found.how))
        log.forget_kept(mail.key)
    detail = outcome.note
    if retrying is not None:
        detail = _("(kept #{id} until now) {detail}").format(id=retrying, detail=detail)
    return InboxEntry(item.source, item.position,
                      "duplicate" if outcome.duplicate else "recorded", detail,
                      found.candidate_id, found.how, reply=outcome, **common)
