"""The message kinds of a selection pipeline, and what each one needs and allows.

One table, read by the composer (template, subject), the topic chooser (tones) and the CLI
(which options a kind requires).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InputError
from .i18n import _


@dataclass(frozen=True)
class Kind:
    id: str
    label: str
    needs_result: bool = False
    needs_slot: bool = False
    offers_slots: bool = False
    # Repeats the slots still held for the applicant (from the log, with their numbers) and
    # the reply deadline of the invitation that offered them: the gentle nudge.
    repeats_offer: bool = False
    # Which stages the kind may be about: "document" (a screening without the applicant),
    # "interview" (any stage with a format), "final" (the last stage), or "" for any or none.
    stage_type: str = ""
    # Tones allowed for the opening season line and the town line, by result ("" = no result).
    # A not-passed notice gets neither: only a gentle closing wish (FACTS §3, DESIGN "Tone").
    opening_tones: tuple[str, ...] = ("neutral", "gentle")
    town_tones: tuple[str, ...] = ("neutral", "gentle")
    # Whether a closing wish for the reader's health ends the message.
    closing: bool = True
    # Closing wishes with these tags do not fit: a wish that sounds like a farewell
    # (「お元気で」, 「よいお年を」) reads wrong before a meeting, and to someone the
    # conversation goes on with (FACTS §8, "Closings"); only a not-passed notice parts.
    closing_avoids: tuple[str, ...] = ("parting",)
    # The town line for this kind is about a later day than the send date (the pre-arrival
    # guide speaks of the season the new colleague arrives in).
    town_on_start_date: bool = False
    # A message the recruiter writes: the body comes from them, kizuna frames it.
    written_by_hand: bool = False

    def closing_avoids_for(self, result: str | None) -> tuple[str, ...]:
        """The closing tags this kind and result leave out: none in a not-passed notice."""
        return () if result == "not_passed" else self.closing_avoids

    def tones_for(self, result: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Allowed (opening, town) tones for this kind and result."""
        if result == "not_passed":
            return (), ()
        return self.opening_tones, self.town_tones


FESTIVE = ("festive", "neutral", "gentle")
# A meeting lies ahead: 「よいお年を」 would part before it.
MEETING_AHEAD = ("parting", "year-farewell")

KINDS: dict[str, Kind] = {
    k.id: k
    for k in (
        Kind("application_received", "応募受付", opening_tones=FESTIVE, town_tones=FESTIVE),
        Kind("screening_result", "書類選考結果", needs_result=True, stage_type="document",
             opening_tones=FESTIVE, town_tones=FESTIVE),
        Kind(
            "interview_invitation",
            "面接のご案内",
            offers_slots=True,
            stage_type="interview",
            opening_tones=FESTIVE,
            town_tones=FESTIVE,
            closing_avoids=MEETING_AHEAD,
        ),
        # A confirmation and a reminder are practical: the season appears as care for the
        # journey (snow, ice) written by the template, not as a topic (EXAMPLES.md).
        # The gentle nudge to an applicant who has not answered an invitation yet: short, the
        # options still held and the deadline, no season line to open it (it follows the
        # invitation within days) and never a reproach. Once per invitation.
        Kind("reply_reminder", "日程のご確認", repeats_offer=True, stage_type="interview",
             opening_tones=(), town_tones=(), closing_avoids=MEETING_AHEAD),
        Kind("interview_confirmation", "面接日時の確定", needs_slot=True, stage_type="interview",
             opening_tones=(), town_tones=(), closing=False),
        Kind("interview_reminder", "前日リマインド", needs_slot=True, stage_type="interview",
             opening_tones=(), town_tones=(), closing=False),
        Kind("interview_result", "面接結果", needs_result=True, stage_type="interview",
             opening_tones=FESTIVE, town_tones=FESTIVE, closing_avoids=MEETING_AHEAD),
        Kind("final_result", "最終結果", needs_result=True, stage_type="final",
             opening_tones=FESTIVE, town_tones=FESTIVE),
        Kind("offer", "採用内定のご連絡", opening_tones=FESTIVE, town_tones=()),
        Kind("pre_arrival_guide", "入庁前のご案内", opening_tones=FESTIVE, town_tones=FESTIVE,
             town_on_start_date=True),
        Kind("note", "担当者からのご連絡", town_tones=(), written_by_hand=True),
    )
}


def get_kind(kind_id: str) -> Kind:
    """Return the kind, or an error that lists every kind."""
    try:
        return KINDS[kind_id]
    except KeyError:
        names = _(", ").join(f"{k.id} ({k.label})" for k in KINDS.values())
        raise InputError(
            _("Unknown message kind '{kind}'.").format(kind=kind_id), field="kind",
            hint=_("Choose one of: {names}.").format(names=names),
        ) from None
