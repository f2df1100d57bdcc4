"""The message kinds of a selection pipeline, and what each one needs and allows.

One table, read by the composer (template, subject), the topic chooser (tones) and the CLI
(which options a kind requires).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InputError


@dataclass(frozen=True)
class Kind:
    id: str
    label: str
    needs_result: bool = False
    needs_slot: bool = False
    offers_slots: bool = False
    # Tones allowed for the opening season line and the town line, by result ("" = no result).
    # A not-passed notice gets neither: only a gentle closing wish (FACTS §3, DESIGN "Tone").
    opening_tones: tuple[str, ...] = ("neutral", "gentle")
    town_tones: tuple[str, ...] = ("neutral", "gentle")

    def tones_for(self, result: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Allowed (opening, town) tones for this kind and result."""
        if result == "not_passed":
            return (), ()
        return self.opening_tones, self.town_tones


FESTIVE = ("festive", "neutral", "gentle")

KINDS: dict[str, Kind] = {
    k.id: k
    for k in (
        Kind("application_received", "応募受付", opening_tones=FESTIVE, town_tones=FESTIVE),
        Kind("screening_result", "書類選考結果", needs_result=True),
        Kind(
            "interview_invitation",
            "面接のご案内",
            offers_slots=True,
            opening_tones=FESTIVE,
            town_tones=FESTIVE,
        ),
        Kind("interview_confirmation", "面接日時の確定", needs_slot=True),
        Kind("interview_reminder", "前日リマインド", needs_slot=True, town_tones=()),
        Kind("final_result", "最終結果", needs_result=True),
        Kind("pre_arrival_guide", "入庁前のご案内", opening_tones=FESTIVE, town_tones=FESTIVE),
    )
}


def get_kind(kind_id: str) -> Kind:
    """Return the kind, or an error that lists every kind."""
    try:
        return KINDS[kind_id]
    except KeyError:
        names = ", ".join(f"{k.id} ({k.label})" for k in KINDS.values())
        raise InputError(
            f"Unknown message kind '{kind_id}'.", field="kind", hint=f"Choose one of: {names}."
        ) from None
