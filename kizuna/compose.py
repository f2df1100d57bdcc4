"""Render a message kind for one applicant: the Jinja2 environment, date filters, Message.

Templates are data and so are applicants. The environment is sandboxed with StrictUndefined,
and an applicant's name, a reply or a CSV cell only ever reaches a template as a variable's
value, never as template source, so ``{{ 7*7 }}`` in a name prints as typed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .dates import (
    circled,
    clock,
    clock_en,
    era_date,
    full_date,
    full_date_en,
    local_note,
    local_note_en,
    month_day,
    month_day_en,
    option,
    slot_text,
    slot_text_en,
    time_range,
    time_range_en,
)
from .errors import InputError, TemplateProblem
from .headers import check_header_value
from .i18n import _
from .kinds import Kind, get_kind
from .language import DEFAULT as DEFAULT_LANGUAGE
from .language import language_code
from .models import JST, Candidate, Conversation, Message, Slot, Topic
from .profile import English, PerProfile, Profile, Stage, in_english

TEMPLATE_LANGUAGE = DEFAULT_LANGUAGE
# The languages with built-in templates (message_templates/<code>/).
TEMPLATE_LANGUAGES: tuple[str, ...] = ("ja", "en")


class _BuiltinLoader(jinja2.BaseLoader):
    """Templates shipped in the package (``kizuna.message_templates``), via importlib.resources
    so the same code works from a wheel, an editable install or a zip."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.root = resources.files("kizuna.message_templates").joinpath(language)

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if "/" in template or "\\" in template or template.startswith("."):
            raise jinja2.TemplateNotFound(template)
        item = self.root.joinpath(template)
        if not item.is_file():
            raise jinja2.TemplateNotFound(template)
        return item.read_text(encoding="utf-8"), f"message_templates/{self.language}/{template}", lambda: True

    def list_templates(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.name.endswith(".txt"))


# --- filters: the one date and slot formatter (kizuna.dates) ---------------------------------


FILTERS: dict[str, Callable[..., Any]] = {
    "month_day": month_day,
    "full_date": full_date,
    "era_date": era_date,
    "clock": clock,
    "time_range": time_range,
    "slot_text": slot_text,
    "local_note": local_note,
    "circled": circled,
}


def international_phone(number: str) -> str:
    """A Japanese number as a reader abroad dials it: 0197-00-0000 → +81 197-00-0000 (a
    number already international, or not Japanese-looking, stays as written)."""
    text = number.strip()
    digits = text.replace("-", "").replace(" ", "")
    if text.startswith("0") and not text.startswith("00") and digits.isdigit() and 10 <= len(digits) <= 11:
        return f"+81 {text[1:]}"
    return text


# The same filters in an English letter: babel's English dates, the zone after every time, and
# "Option 1" for ① (there is no era year in English: era_date is the full date).
FILTERS_EN: dict[str, Callable[..., Any]] = {
    "month_day": month_day_en,
    "full_date": full_date_en,
    "era_date": full_date_en,
    "clock": clock_en,
    "time_range": time_range_en,
    "slot_text": slot_text_en,
    "local_note": local_note_en,
    "circled": option,
    "phone": international_phone,
}
_FILTERS_BY_LANGUAGE = {"ja": FILTERS, "en": FILTERS_EN}


# --- the composer --------------------------------------------------------------------------------


def validate_candidate(candidate: Candidate) -> Candidate:
    """The checks every message needs: a name, no line breaks in header-bound fields."""
    if not candidate.name.strip():
        raise InputError(_("The applicant's name is empty."), field="name")
    for field in ("id", "name", "kana", "email"):
        check_header_value(getattr(candidate, field), field)
    if candidate.timezone and not _known_zone(candidate.timezone):
        raise InputError(
            _("Unknown time zone '{zone}'.").format(zone=candidate.timezone), field="timezone",
            hint=_("Use an IANA name such as Asia/Tokyo or Europe/London."),
        )
    return candidate


@lru_cache(maxsize=256)
def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        return False
    return True


def default_stage(profile: Profile, kind: Kind) -> Stage | None:
    """The stage a kind refers to when none is given: the first document screening for its
    result, the first interview for invitations and interview results, the last stage for the
    final result; none for the kinds that are about no stage."""
    stages = profile.stages
    if kind.stage_type == "":
        return None
    if kind.stage_type == "final":
        return stages[-1]
    if kind.stage_type == "document":
        documents = [s for s in stages if not s.interview]
        return documents[0] if documents else stages[0]
    interviews = [s for s in stages if s.interview]
    return interviews[0] if interviews else stages[-1]


def check_stage(profile: Profile, kind: Kind, stage: Stage | None) -> None:
    """Refuse a stage the kind cannot be about: an interview result is never worded as a
    document screening's (「書類をもとに」), and the other way round."""
    if stage is None or kind.stage_type == "":
        return
    last = profile.stages[-1]
    problem = hint = ""
    if kind.stage_type == "document" and stage.interview:
        problem = _("'{stage}' ({label}) is an interview, not a document screening.").format(
            stage=stage.id, label=stage.label)
        hint = _("Use interview_result for an interview's result, or final_result for the last "
                 "stage's.")
    elif kind.stage_type == "interview" and not stage.interview:
        problem = _("'{stage}' ({label}) is a document screening, not an interview.").format(
            stage=stage.id, label=stage.label)
        hint = _("Choose an interview stage (one with a format), or use screening_result.")
    elif kind.id == "interview_result" and stage is last:
        problem = _("'{stage}' ({label}) is the last stage: its result is the final one.").format(
            stage=stage.id, label=stage.label)
        hint = _("Use final_result.")
    elif kind.stage_type == "final" and stage is not last:
        problem = _("final_result is about the last stage ({last}), not '{stage}'.").format(
            last=last.id, stage=stage.id)
        hint = _("Use interview_result for an interview before it, screening_result for a "
                 "document screening.")
    if problem:
        raise InputError(problem, field="stage", hint=hint)


# Private-use markers standing in for an applicant while a message is rendered once for many.
_MARK_START = "\ue000"
_MARKS = {f: f"\ue000kizuna-{f}\ue001"
          for f in ("id", "name", "kana", "email", "family", "given", "sama")}
_NAME_MARKS = ("name", "family", "given", "sama")
_MEMO_SIZE = 4096

# A statement of substance a template makes (``say("evening-weekend")``) leaves this marker in
# the rendered text; the composer collects the ids into Message.said and removes the markers.
_SAY = re.compile("\ue010([a-z0-9-]+)\ue011")

# A spot in a draft that only the recruiter can fill in (``blank("...")``): the editor shows
# it, and a draft that still holds one is never recorded (kizuna.pipeline.apply_edit).
BLANK_START = "<<<"
BLANK_END = ">>>"


def say(statement: str) -> str:
    """The template global: mark a statement this message makes (see ``_SAY``)."""
    return f"\ue010{statement}\ue011"


def blank(what: str) -> str:
    """The template global: a marked spot for the recruiter to write in."""
    return f"{BLANK_START}{what}{BLANK_END}"


def _take_said(text: str) -> tuple[str, tuple[str, ...]]:
    if "\ue010" not in text:
        return text, ()
    said = tuple(dict.fromkeys(_SAY.findall(text)))
    return _SAY.sub("", text), said


@dataclass(frozen=True)
class _Rendered:
    subject: str
    body: str
    said: tuple[str, ...] = ()


class Composer:
    """One Jinja2 environment per profile and language; reuse it for many messages (a batch).

    Each language has its own templates (message_templates/<code>/) and filters; a profile's
    own template folder overrides the Japanese ones at its top level and the English ones in
    its ``en/`` subfolder.
    """

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        if profile.templates_dir is not None and not profile.templates_dir.is_dir():
            raise TemplateProblem(
                _("The profile's template folder does not exist."),
                path=str(profile.templates_dir), field="topics.templates",
                hint=_("Create it or clear the setting in {profile}.").format(profile=profile.source),
            )
        # A user's own templates run in the sandbox: they are written by whoever edits the
        # profile, not by us. The built-in templates are part of this package and run in a
        # plain environment, which renders about twice as fast. Either way applicant data is
        # only ever a value, never template source.
        self.sandboxed = profile.templates_dir is not None
        self._envs: dict[str, jinja2.Environment] = {}
        self.env = self.environment(DEFAULT_LANGUAGE)
        # Japanese templates by file name, the others by "<language>/<file name>".
        self._templates: dict[str, jinja2.Template] = {}
        self._statics: dict[str, dict[str, Any]] = {}
        self._static = self._static_context()
        self._signatures: dict[tuple[str, bool], str] = {}
        self._memo: dict[tuple[Any, ...], _Rendered] = {}
        # Kinds (Japanese) and "<language>/<kind>" that are rendered per message.
        self._unmemoisable: set[str] = set()

    def environment(self, language: str) -> jinja2.Environment:
        """The environment of one language's templates, built on first use."""
        env = self._envs.get(language)
        if env is not None:
            return env
        loaders: list[jinja2.BaseLoader] = []
        folder = self.profile.templates_dir
        if folder is not None:
            own = folder if language == DEFAULT_LANGUAGE else folder / language
            loaders.append(jinja2.FileSystemLoader(str(own), encoding="utf-8"))
        loaders.append(_BuiltinLoader(language))
        env_class = SandboxedEnvironment if self.sandboxed else jinja2.Environment
        env = env_class(
            # The built-in templates compiled once per installation (a user's own, sandboxed,
            # are compiled each run): compiling them was a sixth of a draft's time.
            bytecode_cache=None if self.sandboxed else _bytecode_cache(language),
            loader=jinja2.ChoiceLoader(loaders),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        env.filters.update(_FILTERS_BY_LANGUAGE[language])
        env.globals.update(say=say, blank=blank)
        self._envs[language] = env
        return env

    def template(self, kind_id: str, language: str = DEFAULT_LANGUAGE) -> jinja2.Template:
        return self._get(f"{kind_id}.txt", language)

    def _get(self, name: str, language: str = DEFAULT_LANGUAGE) -> jinja2.Template:
        key = name if language == DEFAULT_LANGUAGE else f"{language}/{name}"
        cached = self._templates.get(key)
        if cached is not None:
            return cached
        try:
            tmpl = self.environment(language).get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(
                _("Template syntax error: {reason}.").format(reason=exc.message),
                path=exc.filename or exc.name or name,
                line=exc.lineno, hint=_("Fix the template and try again."),
            ) from None
        except jinja2.TemplateNotFound as exc:
            raise TemplateProblem(
                _("Template '{name}' was not found.").format(name=exc.name), path=name,
                hint=_("User template folders must hold one <kind>.txt per kind they override."),
            ) from None
        self._templates[key] = tmpl
        return tmpl

    def compose(
        self,
        kind: str,
        candidate: Candidate,
        *,
        on: dt.date,
        result: str | None = None,
        stage: str | None = None,
        topics: Sequence[Topic] = (),
        slots: Sequence[Slot] = (),
        deadline: dt.date | None = None,
        extra: Mapping[str, Any] | None = None,
        conversation: Conversation | None = None,
    ) -> Message:
        """Render one message. ``topics`` are placed by role (opening, town, closing); a
        missing role simply leaves its line out. ``conversation`` is what the applicant's
        timeline holds before this message (empty: as if it were the first)."""
        spec = get_kind(kind)
        validate_candidate(candidate)
        language = language_code(candidate.language) or DEFAULT_LANGUAGE
        if language not in TEMPLATE_LANGUAGES:  # pragma: no cover - every known code has templates
            raise InputError(_("No templates for the language '{language}'.").format(language=language),
                             field="language")
        if spec.needs_result and result not in ("passed", "not_passed"):
            raise InputError(
                _("'{kind}' needs a result.").format(kind=kind), field="result",
                hint=_("Pass --result passed or --result not_passed."),
            )
        if not spec.needs_result:
            result = None
        if spec.needs_slot and not slots:
            raise InputError(
                _("'{kind}' needs the interview's date and time.").format(kind=kind), field="slot",
                hint=_("Pass --slot 2026-12-05T10:00 (Asia/Tokyo), or book a slot from the "
                       "applicant's reply with `kizuna reply` first."),
            )
        if spec.offers_slots and not slots:
            raise InputError(
                _("An interview invitation needs at least one slot to offer."), field="slots",
            )
        if spec.repeats_offer and not slots:
            raise InputError(
                _("'{kind}' repeats the interview slots still held for the applicant, and none "
                  "are given.").format(kind=kind), field="slots",
                hint=_("Draft it with the log, which holds the slots their invitation offered."),
            )
        if spec.id == "offer" and not self.profile.organisation.public_sector:
            raise InputError(
                _("'offer' is the public employer's 採用内定 notice; for a private employer the "
                  "final pass is the offer."), field="kind",
                hint=_("Send final_result --result passed (its wording says 内定)."),
            )
        if spec.id == "pre_arrival_guide":
            start = self.profile.start_date
            if start is not None and start <= on:
                raise InputError(
                    _("The first day ({start}) is not after the send date ({date}): a guide to "
                      "prepare for it would come too late.").format(start=start.isoformat(),
                                                                     date=on.isoformat()),
                    field="position.start_date",
                    hint=_("Set [position] start_date in the profile to the planned first day, "
                           "or give an earlier --date."),
                )
        if spec.written_by_hand and not (
            conversation and (conversation.note.strip() or conversation.editing)
        ):
            raise InputError(
                _("'{kind}' is written by the recruiter, and its text is empty.").format(kind=kind),
                field="body",
                hint=_("Give the text with --body-file FILE, or write it with --edit."),
            )
        conv = conversation or Conversation()
        stage_obj = self.profile.stage(stage) if stage else default_stage(self.profile, spec)
        check_stage(self.profile, spec, stage_obj)
        if (spec.id == "interview_reminder" and stage_obj is not None
                and stage_obj.format == "online" and not (conv.meeting_url or stage_obj.meeting_url)):
            raise InputError(
                _("The reminder of an online interview carries its meeting URL, and none is "
                  "known for {id} ({stage}).").format(id=candidate.id, stage=stage_obj.label),
                field="meeting_url",
                hint=_("Record it with `kizuna meeting CANDIDATE URL` (or --meeting-url), or set "
                       "the stage's meeting_url in the profile."),
            )
        by_role: dict[str, Topic] = {t.role: t for t in topics}
        ordered = tuple(by_role[r] for r in ("opening", "town", "closing") if r in by_role)
        rendered = None
        memo_id = spec.id if language == DEFAULT_LANGUAGE else f"{language}/{spec.id}"
        if not extra and not self.sandboxed and memo_id not in self._unmemoisable:
            rendered = self._memoised(spec, candidate, on, result, stage_obj, by_role, ordered,
                                      tuple(slots), deadline, conv, language)
        if rendered is None:
            context = self._context(spec, candidate, on, result, stage_obj, by_role, slots,
                                    deadline, conv, language=language)
            if extra:
                context.update(extra)
            rendered = self._render(spec.id, context, language)
        subject = check_header_value(rendered.subject, "subject")
        return Message(
            kind=spec.id,
            candidate=candidate,
            date=on,
            subject=subject,
            body=rendered.body,
            result=result,
            stage=stage_obj.id if stage_obj else None,
            topics=ordered,
            slots=tuple(slots),
            deadline=deadline,
            said=rendered.said,
            answers=conv.answers,
            language=language,
        )

    def _memoised(
        self,
        spec: Kind,
        candidate: Candidate,
        on: dt.date,
        result: str | None,
        stage: Stage | None,
        by_role: Mapping[str, Topic],
        ordered: tuple[Topic, ...],
        slots: tuple[Slot, ...],
        deadline: dt.date | None,
        conversation: Conversation,
        language: str = DEFAULT_LANGUAGE,
    ) -> _Rendered | None:
        """The message rendered once for a stand-in applicant, with the real name put in.

        A batch sends the same kind, result and topics to many people, and the built-in
        templates use the applicant only as ``name`` / ``candidate.name`` and ``sama`` (the
        family name + 様): rendering once per combination and replacing private-use markers
        with the name gives the same text as rendering each message (tests compare the two),
        several times faster. The name is still only ever data. A template that reads any
        other applicant field, or transforms the name, leaves a marker or a fragment of one in
        its output and is rendered per message from then on.
        """
        tz = candidate.timezone or "Asia/Tokyo"
        key = (spec.id, result, stage.id if stage else None, ordered, slots, deadline, on, tz,
               conversation, language)
        cached = self._memo.get(key)
        if cached is None:
            stand_in = Candidate(id=_MARKS["id"], name=_MARKS["name"], kana=_MARKS["kana"],
                                 email=_MARKS["email"], timezone=tz, family_name=_MARKS["family"],
                                 given_name=_MARKS["given"])
            context = self._context(spec, stand_in, on, result, stage, by_role, slots, deadline,
                                    conversation, language=language)
            context["sama"] = _MARKS["sama"]
            try:
                cached = self._render(spec.id, context, language)
            except TemplateProblem:
                cached = None

            def leftover(text: str) -> bool:
                for field in _NAME_MARKS:
                    text = text.replace(_MARKS[field], "")
                return _MARK_START in text

            if cached is None or leftover(cached.subject) or leftover(cached.body):
                self._unmemoisable.add(spec.id if language == DEFAULT_LANGUAGE
                                       else f"{language}/{spec.id}")
                return None
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = cached
        values = {"name": candidate.name, "family": candidate.family_name,
                  "given": candidate.given_name, "sama": candidate.sama}
        subject, body = cached.subject, cached.body
        for field in _NAME_MARKS:
            mark = _MARKS[field]
            if mark in subject:
                subject = subject.replace(mark, values[field])
            if mark in body:
                body = body.replace(mark, values[field])
        return _Rendered(subject=subject, body=body, said=cached.said)

    def _static_context(self, language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        """The part of every message's context that only the profile decides, built once per
        language. An English letter sees the profile's English values (``profile.English``):
        ``name_en`` for ``org.name``, and so on."""
        cached = self._statics.get(language)
        if cached is not None:
            return cached
        profile = self.profile
        context: dict[str, Any] = {
            "stages": profile.stages,
            "org": profile.organisation,
            "position": profile.position,
            "start_date": profile.start_date,
            "final_pass": profile.final_pass,
            "roster": profile.roster,
            "use_era": profile.use_era,
            "public_sector": profile.organisation.public_sector,
            "joining": "入庁" if profile.organisation.public_sector else "入社",
            "guide": profile.guide,
            "onsite": profile.onsite,
            "offer": profile.offer,
            "language": language,
        }
        if language != DEFAULT_LANGUAGE:
            source = profile.source
            context.update(
                stages=[self._english_stage(s) for s in profile.stages],
                org=English(profile.organisation, "organisation", source),
                position=in_english(profile, profile.position, profile.position_en,
                                    "position.title"),
                guide=English(profile.guide, "guide", source),
                onsite=English(profile.onsite, "onsite", source),
                offer=English(profile.offer, "offer", source),
            )
        self._statics[language] = context
        return context

    def _english_stage(self, stage: Stage | None) -> English | None:
        if stage is None:
            return None
        index = self.profile.stages.index(stage)
        return English(stage, "stages", self.profile.source, f"stages[{index}]")

    def signature(self, result: str | None, language: str = DEFAULT_LANGUAGE) -> str:
        """The signature block, rendered once per profile and language (twice: a not-passed
        notice leaves out the brand slogan)."""
        quiet = result == "not_passed"
        cached = self._signatures.get((language, quiet))
        if cached is None:
            tmpl = self._get("signature.txt", language)
            context = dict(self._static_context(language), result=result)
            try:
                cached = tmpl.render(context).rstrip("\n")
            except jinja2.TemplateError as exc:
                raise TemplateProblem(
                    _("Template error: {reason}.").format(reason=exc), path=_template_file(tmpl, exc),
                    line=_error_line(exc),
                ) from None
            self._signatures[(language, quiet)] = cached
        return cached

    def _context(
        self,
        spec: Kind,
        candidate: Candidate,
        on: dt.date,
        result: str | None,
        stage: Stage | None,
        by_role: Mapping[str, Topic],
        slots: Sequence[Slot],
        deadline: dt.date | None,
        conversation: Conversation,
        *,
        language: str = DEFAULT_LANGUAGE,
    ) -> dict[str, Any]:
        profile = self.profile
        stages = profile.stages
        index = stages.index(stage) if stage in stages else -1
        previous = stages[index - 1] if index > 0 else None
        following = stages[index + 1] if 0 <= index < len(stages) - 1 else None
        slot = slots[0] if slots else None
        context = dict(self._static_context(language))
        english = language != DEFAULT_LANGUAGE
        context.update(
            kind=spec.id,
            kind_label=spec.label,
            candidate=candidate,
            name=candidate.name,
            family_name=candidate.family_name,
            given_name=candidate.given_name,
            sama=candidate.sama,
            date=on,
            result=result,
            passed=result == "passed",
            stage=self._english_stage(stage) if english else stage,
            previous_stage=self._english_stage(previous) if english else previous,
            next_stage=self._english_stage(following) if english else following,
            # The invitation says the previous stage was passed unless a result notice did.
            announce_pass=previous is not None and (previous.id, "passed") not in conversation.told,
            opening=by_role.get("opening"),
            town=by_role.get("town"),
            closing=by_role.get("closing"),
            slots=list(slots),
            # Each slot's number in the invitation that offered it (a nudge repeats them).
            numbers=list(conversation.offered_numbers) or list(range(1, len(slots) + 1)),
            slot=slot,
            deadline=deadline,
            tz=candidate.timezone or "Asia/Tokyo",
            signature=self.signature(result, language),
            conversation=conversation,
            said=conversation.said,
            chosen=conversation.chosen,
            travel=conversation.travel,
            questions=conversation.questions,
            replied=bool(conversation.reply),
            meeting_url=conversation.meeting_url or (stage.meeting_url if stage else ""),
            note=conversation.note.strip("\n"),
            editing=conversation.editing,
            tomorrow=slot is not None and slot.start.astimezone(JST).date() == on + dt.timedelta(days=1),
            after_hours=slot is not None and self._after_hours(slot),
            snow=self._snowy(spec, on, slots),
            closed_span=self._closed_span(on, deadline),
            reply_by=self._reply_by(spec, on),
        )
        if spec.id == "offer":
            context["closed_span"] = self._closed_span(on, context["reply_by"])
        return context

    def _after_hours(self, slot: Slot) -> bool:
        """An interview when the reception and switchboard are closed: a weekend, a holiday,
        or a weekday after the reception's closing time."""
        from .calendar import holiday_name

        start = slot.start.astimezone(JST)
        if start.weekday() >= 5 or holiday_name(start.date()) is not None:
            return True
        return start.time() >= self.profile.onsite.reception_closes

    def _snowy(self, spec: Kind, on: dt.date, slots: Sequence[Slot]) -> bool:
        """An interview (or, for other kinds, the send date) in the town's snow months."""
        onsite = self.profile.onsite
        if slots:
            return any(onsite.snowy(s.start.astimezone(JST).date()) for s in slots)
        return onsite.snowy(on)

    def _closed_span(self, on: dt.date, until: dt.date | None) -> tuple[dt.date, dt.date] | None:
        """The year-end closure's first and last day when it falls between the send date and
        a reply deadline, else None."""
        closure = self.profile.slots.calendar.closure
        if until is None or closure is None:
            return None
        (m1, d1), (m2, d2) = closure
        for year in (on.year - 1, on.year):
            first = dt.date(year, m1, d1)
            last = dt.date(year + (1 if (m2, d2) < (m1, d1) else 0), m2, d2)
            if first <= until and last >= on:
                return first, last
        return None

    def _reply_by(self, spec: Kind, on: dt.date) -> dt.date | None:
        """The day an offer is to be answered by: the profile's business days later."""
        if spec.id != "offer":
            return None
        return self.profile.slots.calendar.add_business_days(on, self.profile.offer.reply_days)

    def _render(self, kind_id: str, context: dict[str, Any],
                language: str = DEFAULT_LANGUAGE) -> _Rendered:
        tmpl = self.template(kind_id, language)
        try:
            body = tmpl.render(context)
            block = tmpl.blocks.get("subject")
            if block is None:
                raise TemplateProblem(
                    _("Template has no {% block subject %}."), path=tmpl.filename or kind_id,
                    hint=_("Every kind's template must define its subject line in a 'subject' "
                           "block."),
                )
            subject = "".join(block(tmpl.new_context(context))).strip()
            body, said = _take_said(body)
            subject, _said = _take_said(subject)
        except jinja2.UndefinedError as exc:
            raise TemplateProblem(
                _("The template uses a variable that was not given: {reason}.").format(
                    reason=exc.message),
                path=_template_file(tmpl, exc), line=_error_line(exc),
                hint=_("Remove it from the template, or check its spelling against the documented "
                       "variables."),
            ) from None
        except jinja2.TemplateError as exc:
            raise TemplateProblem(
                _("Template error: {reason}.").format(reason=exc), path=_template_file(tmpl, exc),
                line=_error_line(exc),
            ) from None
        return _Rendered(subject=subject, body=tidy(body), said=said)


def _error_line(exc: BaseException) -> int | None:
    """The template line of a render-time error, recovered from the traceback Jinja rewrites."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith((".txt", ".j2")):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _template_file(tmpl: jinja2.Template, exc: BaseException) -> str:
    tb = exc.__traceback__
    name = tmpl.filename or tmpl.name or "template"
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".txt", ".j2")):
            name = filename
        tb = tb.tb_next
    return name


_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
_MANY_BLANKS = re.compile(r"\n{3,}")


def _bytecode_cache(language: str) -> jinja2.BytecodeCache | None:
    """Jinja's compiled built-in templates in the user's cache folder (kizuna.cache), keyed by
    each template's name and a checksum of its source: an upgrade recompiles what changed."""
    from .cache import cache_folder

    folder = cache_folder(f"templates-{jinja2.__version__}-{language}")
    return None if folder is None else jinja2.FileSystemBytecodeCache(str(folder))


def tidy(text: str) -> str:
    """One blank line between paragraphs, no trailing spaces, one final newline: a topic
    that is left out never leaves a hole in the message."""
    # The substring tests are cheap and usually false for the built-in templates.
    if " \n" in text or "\t\n" in text or text.endswith((" ", "\t")):
        text = _TRAILING_SPACE.sub("", text)
    if "\n\n\n" in text:
        text = _MANY_BLANKS.sub("\n\n", text)
    return text.strip("\n") + "\n"


_COMPOSERS = PerProfile(Composer)


def composer_for(profile: Profile) -> Composer:
    """A composer for this profile object, built once (the environment caches templates)."""
    return _COMPOSERS(profile)


def compose(profile: Profile, kind: str, candidate: Candidate, **kwargs: Any) -> Message:
    """Render one message with a composer reused for this profile."""
    return composer_for(profile).compose(kind, candidate, **kwargs)


def builtin_template_names(language: str = DEFAULT_LANGUAGE) -> list[str]:
    """File names of one language's built-in templates (for documentation and tests)."""
    return _BuiltinLoader(language).list_templates()
