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

from .dates import circled, clock, era_date, full_date, local_note, month_day, slot_text, time_range
from .errors import InputError, TemplateProblem
from .headers import check_header_value
from .kinds import Kind, get_kind
from .models import Candidate, Message, Slot, Topic
from .profile import Profile, Stage

TEMPLATE_LANGUAGE = "ja"


class _BuiltinLoader(jinja2.BaseLoader):
    """Templates shipped in the package (``kizuna.message_templates``), via importlib.resources
    so the same code works from a wheel, an editable install or a zip."""

    def __init__(self, language: str) -> None:
        self.root = resources.files("kizuna.message_templates").joinpath(language)

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if "/" in template or "\\" in template or template.startswith("."):
            raise jinja2.TemplateNotFound(template)
        item = self.root.joinpath(template)
        if not item.is_file():
            raise jinja2.TemplateNotFound(template)
        return item.read_text(encoding="utf-8"), f"message_templates/{TEMPLATE_LANGUAGE}/{template}", lambda: True

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


# --- the composer --------------------------------------------------------------------------------


def validate_candidate(candidate: Candidate) -> Candidate:
    """The checks every message needs: a name, no line breaks in header-bound fields."""
    if not candidate.name.strip():
        raise InputError("The applicant's name is empty.", field="name")
    for field in ("id", "name", "kana", "email"):
        check_header_value(getattr(candidate, field), field)
    if candidate.timezone and not _known_zone(candidate.timezone):
        raise InputError(
            f"Unknown time zone '{candidate.timezone}'.", field="timezone",
            hint="Use an IANA name such as Asia/Tokyo or Europe/London.",
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
    """The stage a kind refers to when none is given: screening for its result, the first
    interview for invitations, the last stage for the final result."""
    stages = profile.stages
    if kind.id in ("application_received", "pre_arrival_guide"):
        return None
    if kind.id == "screening_result":
        return stages[0]
    if kind.id == "final_result":
        return stages[-1]
    interviews = [s for s in stages if s.format]
    return interviews[0] if interviews else stages[-1]


# Private-use markers standing in for an applicant while a message is rendered once for many.
_MARK_START = "\ue000"
_MARKS = {f: f"\ue000kizuna-{f}\ue001" for f in ("id", "name", "kana", "email")}
_MEMO_SIZE = 4096


@dataclass(frozen=True)
class _Rendered:
    subject: str
    body: str


class Composer:
    """One Jinja2 environment per profile; reuse it for many messages (a batch)."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        loaders: list[jinja2.BaseLoader] = []
        if profile.templates_dir is not None:
            if not profile.templates_dir.is_dir():
                raise TemplateProblem(
                    "The profile's template folder does not exist.",
                    path=str(profile.templates_dir), field="topics.templates",
                    hint=f"Create it or clear the setting in {profile.source}.",
                )
            loaders.append(jinja2.FileSystemLoader(str(profile.templates_dir), encoding="utf-8"))
        loaders.append(_BuiltinLoader(TEMPLATE_LANGUAGE))
        # A user's own templates run in the sandbox: they are written by whoever edits the
        # profile, not by us. The built-in templates are part of this package and run in a
        # plain environment, which renders about twice as fast. Either way applicant data is
        # only ever a value, never template source.
        env_class = SandboxedEnvironment if profile.templates_dir is not None else jinja2.Environment
        self.env = env_class(
            loader=jinja2.ChoiceLoader(loaders),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        self.env.filters.update(FILTERS)
        self.sandboxed = isinstance(self.env, SandboxedEnvironment)
        self._templates: dict[str, jinja2.Template] = {}
        self._static = self._static_context()
        self._signatures: dict[bool, str] = {}
        self._memo: dict[tuple[Any, ...], _Rendered] = {}
        self._unmemoisable: set[str] = set()

    def template(self, kind_id: str) -> jinja2.Template:
        return self._get(f"{kind_id}.txt")

    def _get(self, name: str) -> jinja2.Template:
        cached = self._templates.get(name)
        if cached is not None:
            return cached
        try:
            tmpl = self.env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(
                f"Template syntax error: {exc.message}.", path=exc.filename or exc.name or name,
                line=exc.lineno, hint="Fix the template and try again.",
            ) from None
        except jinja2.TemplateNotFound as exc:
            raise TemplateProblem(
                f"Template '{exc.name}' was not found.", path=name,
                hint="User template folders must hold one <kind>.txt per kind they override.",
            ) from None
        self._templates[name] = tmpl
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
    ) -> Message:
        """Render one message. ``topics`` are placed by role (opening, town, closing); a
        missing role simply leaves its line out."""
        spec = get_kind(kind)
        validate_candidate(candidate)
        if spec.needs_result and result not in ("passed", "not_passed"):
            raise InputError(
                f"'{kind}' needs a result.", field="result",
                hint="Pass --result passed or --result not_passed.",
            )
        if not spec.needs_result:
            result = None
        if spec.needs_slot and not slots:
            raise InputError(
                f"'{kind}' needs the interview's date and time.", field="slot",
                hint="Pass --slot 2026-12-05T10:00 (Asia/Tokyo), or book a slot from the "
                "applicant's reply with `kizuna reply` first.",
            )
        if spec.offers_slots and not slots:
            raise InputError(
                "An interview invitation needs at least one slot to offer.", field="slots",
            )
        stage_obj = self.profile.stage(stage) if stage else default_stage(self.profile, spec)
        by_role: dict[str, Topic] = {t.role: t for t in topics}
        ordered = tuple(by_role[r] for r in ("opening", "town", "closing") if r in by_role)
        rendered = None
        if not extra and not self.sandboxed and spec.id not in self._unmemoisable:
            rendered = self._memoised(spec, candidate, on, result, stage_obj, by_role, ordered,
                                      tuple(slots), deadline)
        if rendered is None:
            context = self._context(spec, candidate, on, result, stage_obj, by_role, slots, deadline)
            if extra:
                context.update(extra)
            rendered = self._render(spec.id, context)
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
    ) -> _Rendered | None:
        """The message rendered once for a stand-in applicant, with the real name put in.

        A batch sends the same kind, result and topics to many people, and the built-in
        templates use the applicant only as ``name`` / ``candidate.name``: rendering once per
        combination and replacing a private-use marker with the name gives the same text as
        rendering each message (tests compare the two), several times faster. The name is
        still only ever data. A template that reads any other applicant field, or transforms
        the name, leaves a marker or a fragment of one in its output and is rendered per
        message from then on.
        """
        tz = candidate.timezone or "Asia/Tokyo"
        key = (spec.id, result, stage.id if stage else None, ordered, slots, deadline, on, tz)
        cached = self._memo.get(key)
        if cached is None:
            stand_in = Candidate(id=_MARKS["id"], name=_MARKS["name"], kana=_MARKS["kana"],
                                 email=_MARKS["email"], timezone=tz)
            context = self._context(spec, stand_in, on, result, stage, by_role, slots, deadline)
            try:
                cached = self._render(spec.id, context)
            except TemplateProblem:
                cached = None
            name_mark = _MARKS["name"]
            if cached is None or any(
                _MARK_START in text.replace(name_mark, "") for text in (cached.subject, cached.body)
            ):
                self._unmemoisable.add(spec.id)
                return None
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = cached
        name = candidate.name
        return _Rendered(
            subject=cached.subject.replace(_MARKS["name"], name),
            body=cached.body.replace(_MARKS["name"], name),
        )

    def _static_context(self) -> dict[str, Any]:
        """The part of every message's context that only the profile decides, built once."""
        profile = self.profile
        return {
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
        }

    def signature(self, result: str | None) -> str:
        """The signature block, rendered once per profile (twice: a not-passed notice leaves
        out the brand slogan)."""
        quiet = result == "not_passed"
        cached = self._signatures.get(quiet)
        if cached is None:
            tmpl = self._get("signature.txt")
            context = dict(self._static, result=result)
            try:
                cached = tmpl.render(context).rstrip("\n")
            except jinja2.TemplateError as exc:
                raise TemplateProblem(
                    f"Template error: {exc}.", path=_template_file(tmpl, exc), line=_error_line(exc),
                ) from None
            self._signatures[quiet] = cached
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
    ) -> dict[str, Any]:
        stages = self.profile.stages
        index = stages.index(stage) if stage in stages else -1
        context = dict(self._static)
        context.update(
            kind=spec.id,
            kind_label=spec.label,
            candidate=candidate,
            name=candidate.name,
            date=on,
            result=result,
            passed=result == "passed",
            stage=stage,
            previous_stage=stages[index - 1] if index > 0 else None,
            next_stage=stages[index + 1] if 0 <= index < len(stages) - 1 else None,
            opening=by_role.get("opening"),
            town=by_role.get("town"),
            closing=by_role.get("closing"),
            slots=list(slots),
            slot=slots[0] if slots else None,
            deadline=deadline,
            tz=candidate.timezone or "Asia/Tokyo",
            signature=self.signature(result),
        )
        return context

    def _render(self, kind_id: str, context: dict[str, Any]) -> _Rendered:
        tmpl = self.template(kind_id)
        try:
            body = tmpl.render(context)
            block = tmpl.blocks.get("subject")
            if block is None:
                raise TemplateProblem(
                    "Template has no {% block subject %}.", path=tmpl.filename or kind_id,
                    hint="Every kind's template must define its subject line in a 'subject' block.",
                )
            subject = "".join(block(tmpl.new_context(context))).strip()
        except jinja2.UndefinedError as exc:
            raise TemplateProblem(
                f"The template uses a variable that was not given: {exc.message}.",
                path=_template_file(tmpl, exc), line=_error_line(exc),
                hint="Remove it from the template, or check its spelling against the documented variables.",
            ) from None
        except jinja2.TemplateError as exc:
            raise TemplateProblem(
                f"Template error: {exc}.", path=_template_file(tmpl, exc), line=_error_line(exc),
            ) from None
        return _Rendered(subject=subject, body=tidy(body))


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


def tidy(text: str) -> str:
    """One blank line between paragraphs, no trailing spaces, one final newline: a topic
    that is left out never leaves a hole in the message."""
    # The substring tests are cheap and usually false for the built-in templates.
    if " \n" in text or "\t\n" in text or text.endswith((" ", "\t")):
        text = _TRAILING_SPACE.sub("", text)
    if "\n\n\n" in text:
        text = _MANY_BLANKS.sub("\n\n", text)
    return text.strip("\n") + "\n"


_COMPOSERS: dict[int, tuple[Profile, Composer]] = {}


def composer_for(profile: Profile) -> Composer:
    """A composer for this profile object, built once (the environment caches templates)."""
    entry = _COMPOSERS.get(id(profile))
    if entry is None or entry[0] is not profile:
        if len(_COMPOSERS) > 16:
            _COMPOSERS.clear()
        entry = (profile, Composer(profile))
        _COMPOSERS[id(profile)] = entry
    return entry[1]


def compose(profile: Profile, kind: str, candidate: Candidate, **kwargs: Any) -> Message:
    """Render one message with a composer reused for this profile."""
    return composer_for(profile).compose(kind, candidate, **kwargs)


def builtin_template_names() -> list[str]:
    """File names of the built-in templates (for documentation and tests)."""
    return _BuiltinLoader(TEMPLATE_LANGUAGE).list_templates()
