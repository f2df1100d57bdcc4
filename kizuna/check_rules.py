"""The rules of ``kizuna check``: each one's id, default severity and what it finds, and the
profile's ``[check]`` table that switches them.

A table of data, below the profile (which validates ``[check]`` against it) and the checker
(``kizuna.check``, which runs the rules). The README lists the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import ProfileError
from .i18n import N_, _

Severity = Literal["error", "warning"]
SEVERITIES: tuple[str, ...] = ("error", "warning")


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str  # English, marked for the catalog: show it as _(rule.summary)


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        # the person
        Rule("person.other", "error", N_("another applicant's name (from the log) in the text")),
        Rule("person.name", "error", N_("a name before 様 that is not this applicant's")),
        Rule("person.atena", "error", N_("the 宛名 (full name + 様 on the first line) is missing or malformed")),
        # dates
        Rule("date.weekday", "error", N_("a weekday that does not match its date")),
        Rule("date.invalid", "error", N_("a date that does not exist (2月30日, 13月1日)")),
        Rule("date.closed", "error", N_("an interview time on a holiday or a day the office is closed")),
        Rule("date.relative", "error", N_("本日/今日/明日/明後日 that do not match the date they refer to")),
        Rule("date.deadline", "error", N_("a deadline (…まで) before the send date")),
        Rule("date.past", "error", N_("an appointment (a date with a time) before the send date")),
        # tone
        Rule("tone.topic", "error", N_("a season or town line the kind's tone does not allow")),
        Rule("tone.festival", "error", N_("festival, event or advertising wording in a not-passed notice")),
        Rule("tone.cheer", "error", N_("cheerful wording (お祝い, 楽しみ…) in a not-passed notice")),
        Rule("tone.exclamation", "error", N_("an exclamation mark in a not-passed notice")),
        # the public employer's terms
        Rule("public.naitei", "error", N_("内定 stated before the 内定 step (public employers)")),
        Rule("public.gokaku", "error", N_("合格 wording in the wrong kind of message")),
        # keigo
        Rule("keigo.double", "warning", N_("二重敬語 (おっしゃられる, 拝見させていただく, ご〜される…)")),
        Rule("keigo.ryokai", "warning", N_("了解しました to an applicant (承知しました)")),
        Rule("keigo.misuse", "warning", N_("common misuses (ご苦労様, よろしかったでしょうか, ご〜してください…)")),
        Rule("keigo.mixed", "warning", N_("です・ます mixed with だ・である")),
        # leftovers
        Rule("leftover.template", "error", N_("template syntax left in the text ({{ }}, {% %}, {# #})")),
        Rule("leftover.placeholder", "error", N_("a placeholder left in the text (〇〇, ××, XX, △△)")),
        Rule("leftover.todo", "error", N_("a note to self (TODO, FIXME, TBD, 要確認)")),
        Rule("leftover.brackets", "error", N_("empty brackets (「」, （）, 【】…): something was left out")),
        # mail
        Rule("mail.charset", "error", N_("a character the chosen charset cannot carry")),
        Rule("mail.kana", "warning", N_("half-width kana (ｱｲｳ)")),
        Rule("mail.line_length", "error", N_("a line longer than the 998 octets an email line may have")),
    )
}

CATEGORIES: tuple[str, ...] = tuple(dict.fromkeys(rule_id.split(".")[0] for rule_id in RULES))
CHECK_KEYS: tuple[str, ...] = ("disable", "severity")


@dataclass(frozen=True)
class CheckSettings:
    """The profile's ``[check]`` table: rules switched off, and severities changed."""

    disabled: frozenset[str] = frozenset()
    severities: Mapping[str, Severity] = field(default_factory=dict)

    def enabled(self, rule_id: str) -> bool:
        return rule_id not in self.disabled

    def severity(self, rule_id: str) -> Severity:
        return self.severities.get(rule_id) or RULES[rule_id].severity


def _expand(name: str) -> list[str] | None:
    """The rule ids a name stands for: one rule, or every rule of a category; None if neither."""
    if name in RULES:
        return [name]
    category = name[:-2] if name.endswith(".*") else name
    if category in CATEGORIES:
        return [rule_id for rule_id in RULES if rule_id.startswith(category + ".")]
    return None


def _unknown_rule(name: str, key: str, source: str | None) -> ProfileError:
    import difflib

    close = difflib.get_close_matches(name, list(RULES) + list(CATEGORIES), n=1)
    message = (_("Unknown check rule '{name}'. Did you mean '{close}'?") if close
               else _("Unknown check rule '{name}'."))
    return ProfileError(
        message.format(name=name, close=close[0] if close else ""), path=source, field=key,
        hint=_("Valid rule ids: {ids} (or a whole category: {categories}).").format(
            ids=_(", ").join(RULES), categories=_(", ").join(CATEGORIES)),
    )


def parse_check_settings(data: Mapping[str, Any], source: str | None = None) -> CheckSettings:
    """Validate a ``[check]`` table: ``disable`` lists rule ids (or categories such as
    ``"keigo"``) to switch off, ``severity`` maps a rule id (or category) to "error" or
    "warning". An unknown id is a ProfileError naming the key and listing the valid ids."""
    for key in data:
        if key not in CHECK_KEYS:
            raise ProfileError(
                _("Unknown key {key!r}.").format(key=key), path=source, field=f"check.{key}",
                hint=_("Known keys: {keys}.").format(keys=_(", ").join(CHECK_KEYS)),
            )
    disable = data.get("disable", [])
    if not isinstance(disable, list) or not all(isinstance(v, str) for v in disable):
        raise ProfileError(
            _("Expected a list of rule ids, found {value!r}.").format(value=disable), path=source,
            field="check.disable",
            hint=_('For example: disable = ["keigo.ryokai"].'),
        )
    disabled: set[str] = set()
    for index, name in enumerate(disable):
        ids = _expand(name)
        if ids is None:
            raise _unknown_rule(name, f"check.disable[{index}]", source)
        disabled.update(ids)
    raw = data.get("severity", {})
    if not isinstance(raw, Mapping):
        raise ProfileError(
            _("Expected a table of rule ids, found {value!r}.").format(value=raw), path=source,
            field="check.severity",
            hint=_('For example: [check.severity] followed by "keigo.mixed" = "error".'),
        )
    severities: dict[str, Severity] = {}
    for name, level in raw.items():
        ids = _expand(name)
        if ids is None:
            raise _unknown_rule(name, f"check.severity.{name}", source)
        if level not in SEVERITIES:
            raise ProfileError(
                _("Expected \"error\" or \"warning\", found {value!r}.").format(value=level),
                path=source, field=f"check.severity.{name}",
                hint=_("To switch a rule off, list it in check.disable."),
            )
        for rule_id in ids:
            severities[rule_id] = "error" if level == "error" else "warning"
    return CheckSettings(disabled=frozenset(disabled), severities=severities)
