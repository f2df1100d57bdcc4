"""Calendar invitations (.ics, iCalendar via ``icalendar``) for a booked interview."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from ..errors import MailError
from ..i18n import _
from ..models import JST, Message, Slot
from ..profile import Profile, Stage
from .addressing import check_headers, sender_name

ICS_FILENAME = "invitation.ics"
PRODID = "-//kizuna//kizuna//JA"


# ---------------------------------------------------------------------------------------------
# The calendar invitation

METHODS = ("REQUEST", "CANCEL", "PUBLISH")


def booking_uid(message: Message, profile: Profile, uid_seed: str = "") -> str:
    """The event UID: the same applicant, stage and seed always give the same UID.

    The slot time is deliberately not part of it: a rescheduled interview sent with the same
    seed and a higher SEQUENCE updates the event already in the applicant's calendar.
    """
    org = profile.organisation
    key = "\x1f".join(
        [org.email or org.name, message.candidate.id, message.stage or message.kind, uid_seed]
    )
    return f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@kizuna"


def _pick_slot(message: Message, slot: Slot | None) -> Slot:
    if slot is not None:
        return slot
    if len(message.slots) == 1:
        return message.slots[0]
    if not message.slots:
        raise MailError(
            _("The message has no interview time, so there is nothing to put in a calendar."),
            field="slot", hint=_("Give the booked slot."),
        )
    raise MailError(
        _("The message offers {count} times; a calendar invitation needs the one that was "
          "booked.").format(count=len(message.slots)),
        field="slot", hint=_("Give the booked slot."),
    )


def _japanese_event(profile: Profile, stage: Stage | None) -> tuple[str, str, list[str]]:
    """Summary, location and description of the event, in Japanese."""
    org = profile.organisation
    label = stage.label if stage else "面接"
    location = ""
    if stage is not None and stage.format == "online":
        location = f"オンライン（{stage.tool}）" if stage.tool else "オンライン"
    elif stage is not None and stage.place:
        location = stage.place
    elif org.address:
        location = org.address
    # Short on purpose: the email body carries every detail (LGWAN gateways may strip the file).
    description = [f"{org.name} {profile.position} {label}",
                   "詳しいご案内はメール本文をご確認ください。"]
    contact = " ".join(x for x in (org.department, org.sender, org.phone) if x)
    if contact:
        description.append(f"お問い合わせ先：{contact}")
    return f"【{org.name}】{label}", location, description


def _english_event(message: Message, profile: Profile,
                   stage: Stage | None) -> tuple[str, str, list[str]]:
    """Summary, location and description of the event for an English letter, from the
    profile's English values (a Japanese one without its English is a ProfileError)."""
    from ..profile import English, in_english

    org: Any = English(profile.organisation, "organisation", profile.source)
    where: Any = None
    if stage is not None:
        where = English(stage, "stages", profile.source, f"stages[{profile.stages.index(stage)}]")
    label = where.label if where is not None else "Interview"
    location = ""
    if where is not None and stage is not None and stage.format == "online":
        location = f"Online ({where.tool})" if stage.tool else "Online"
    elif where is not None and stage is not None and stage.place:
        location = where.place
    elif org.address:
        location = org.address
    position = in_english(profile, profile.position, profile.position_en, "position.title")
    description = [f"{org.name}: {position}, {label}",
                   "The email carries every detail of the interview."]
    contact = ", ".join(x for x in (org.sender, org.department, org.phone) if x)
    if contact:
        description.append(f"Contact: {contact}")
    return f"Interview: {label} – {org.name}", location, description


def invitation_ics(
    message: Message,
    profile: Profile,
    slot: Slot | None = None,
    *,
    uid_seed: str = "",
    sequence: int = 0,
    method: str = "REQUEST",
    now: dt.datetime | None = None,
) -> bytes:
    """An RFC 5545 invitation for the booked interview, as UTF-8 bytes with CRLF line ends.

    ``slot`` defaults to the message's only slot. DTSTART/DTEND are in Asia/Tokyo with its
    VTIMEZONE; the UID comes from :func:`booking_uid` (pass the same ``uid_seed`` and a higher
    ``sequence`` when the time changes). ``now`` sets DTSTAMP (default: the current time).
    """
    import icalendar

    method = method.upper()
    if method not in METHODS:
        raise MailError(
            _("Unknown calendar method '{method}'.").format(method=method), field="method",
            hint=_("Choose one of: {names}.").format(names=_(", ").join(METHODS)),
        )
    if sequence < 0:
        raise MailError(_("SEQUENCE cannot be negative."), field="sequence")
    check_headers(message, profile)
    booked = _pick_slot(message, slot)
    stage = profile.stage(message.stage) if message.stage else None
    if message.language == "en":
        summary, location, description = _english_event(message, profile, stage)
    else:
        summary, location, description = _japanese_event(profile, stage)

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)

    event = icalendar.Event()
    event.add("uid", booking_uid(message, profile, uid_seed))
    if now is not None and now.tzinfo is None:
        raise MailError(_("The DTSTAMP time must be timezone-aware."), field="now")
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    event.add("dtstamp", stamp)
    event.add("dtstart", booked.start.astimezone(JST))
    event.add("dtend", booked.end.astimezone(JST))
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("summary", summary)
    if location:
        event.add("location", location)
    event.add("description", "\n".join(description))

    organizer = icalendar.vCalAddress(f"mailto:{profile.organisation.email}")
    organizer.params["CN"] = sender_name(profile, message.language)
    event.add("organizer", organizer)
    if message.candidate.email:
        attendee = icalendar.vCalAddress(f"mailto:{message.candidate.email}")
        attendee.params["CN"] = message.candidate.name
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        attendee.params["PARTSTAT"] = "NEEDS-ACTION"
        attendee.params["RSVP"] = "TRUE"
        event.add("attendee", attendee)
    cal.add_component(event)
    # Outlook ignores TZID without a VTIMEZONE; icalendar writes one from zoneinfo.
    cal.add_missing_timezones()
    data: bytes = cal.to_ical()
    return data
