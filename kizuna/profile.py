"""The organisation profile (kizuna.toml): who writes, for which post, in which town.

The built-in sample profile (北上市, a fictional sender) is used when none is given, so
``kizuna draft`` works straight after installation.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .check_rules import CheckSettings, parse_check_settings
from .errors import ProfileError
from .headers import address_problem
from .i18n import N_, _
from .seasons import SERVED_YEARS
from .textfiles import parse_toml, read_text_file

if TYPE_CHECKING:  # profile → slots only: slots knows nothing of profiles
    from .slots import SlotPolicy

SAMPLE_NAME = "sample_profile.toml"


@dataclass(frozen=True)
class Organisation:
    name: str
    office: str
    department: str
    sender: str
    sender_kana: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    brand_message: str = ""
    site: str = ""
    public_sector: bool = True
    # The same in English, for English letters (see ``English``); "" when not given.
    name_en: str = ""
    office_en: str = ""
    department_en: str = ""
    sender_en: str = ""
    address_en: str = ""
    brand_message_en: str = ""


@dataclass(frozen=True)
class Stage:
    id: str
    label: str
    format: str = ""  # "online", "onsite" or "" for document screening
    tool: str = ""
    place: str = ""
    minutes: int = 0
    # An online stage's meeting URL, when every interview of the stage uses the same room;
    # a booking's own URL (`kizuna draft ... --meeting-url`) wins over it.
    meeting_url: str = ""
    # For English letters.
    label_en: str = ""
    place_en: str = ""
    tool_en: str = ""

    @property
    def interview(self) -> bool:
        """True for a stage the applicant attends (online or on site), False for a document
        screening."""
        return bool(self.format)


@dataclass(frozen=True)
class Onsite:
    """What an applicant needs to come to an on-site interview ([onsite]); every sentence
    may be empty, and a message then leaves it out."""

    station_route: str = ""
    parking: str = ""
    reception: str = ""
    # Weekday closing time of the reception; later, and on weekends and holidays, the
    # after-hours entrance and number apply (a city hall's switchboard is closed then).
    reception_closes: dt.time = dt.time(17, 15)
    after_hours_entrance: str = ""
    after_hours_phone: str = ""
    travel_costs: str = ""
    online_alternative: str = ""
    # The town's snow months (inclusive MM-DD span, may wrap the year end) and what to say
    # about snow, icy roads and train delays to someone coming then.
    snow_months: tuple[tuple[int, int], tuple[int, int]] | None = None
    snow_note: str = ""
    # The sentences above in English, for English letters.
    station_route_en: str = ""
    parking_en: str = ""
    reception_en: str = ""
    after_hours_entrance_en: str = ""
    travel_costs_en: str = ""
    online_alternative_en: str = ""
    snow_note_en: str = ""

    def snowy(self, day: dt.date) -> bool:
        """True if ``day`` falls in the snow months."""
        if self.snow_months is None:
            return False
        first, last = self.snow_months
        key = (day.month, day.day)
        return first <= key <= last if first <= last else key >= first or key <= last


@dataclass(frozen=True)
class Offer:
    """The 採用内定 notice of a public employer ([offer])."""

    # Business days the candidate is given to answer.
    reply_days: int = 10
    # The terms of the appointment worth saying in the notice (a fixed term, housing, ...).
    terms: str = ""
    # How to accept: a reply, a form sent by post, ...
    how_to_accept: str = ""
    # Whom to ask, with a number; empty: the sender, with the organisation's phone.
    contact: str = ""
    # The same in English, for English letters.
    terms_en: str = ""
    how_to_accept_en: str = ""
    contact_en: str = ""


SECURITY_MODES = ("starttls", "tls", "none")


@dataclass(frozen=True)
class ImapSettings:
    """The profile's ``[mail.imap]``: where replies are read from (``kizuna inbox --imap``).
    The password is never in the profile: ``password_env`` names the environment variable
    that holds it, else the system keyring (service ``keyring_service``) is asked."""

    host: str
    user: str
    port: int
    security: str = "tls"
    folder: str = "INBOX"
    password_env: str = "KIZUNA_IMAP_PASSWORD"
    keyring_service: str = "kizuna-imap"
    timeout_seconds: int = 30
    ca_file: Path | None = None


@dataclass(frozen=True)
class MailSettings:
    """The profile's ``[mail]``: the SMTP server ``kizuna send`` hands drafts to.

    ``security`` is "starttls" (port 587), "tls" (implicit TLS, port 465) or "none" (a local
    relay); ``user`` empty means no login. The password is never in the profile:
    ``password_env`` names the environment variable that holds it, else the system keyring
    (service ``keyring_service``, the user name) is asked when the ``keyring`` package is
    installed. ``rate_per_minute`` caps how many messages go out per minute; ``archive_bcc``
    gets a blind copy of each; ``charset`` is used for drafts logged without one.
    """

    host: str
    port: int
    security: str = "starttls"
    user: str = ""
    password_env: str = "KIZUNA_SMTP_PASSWORD"
    keyring_service: str = "kizuna-smtp"
    rate_per_minute: int = 30
    archive_bcc: str = ""
    timeout_seconds: int = 30
    charset: str = "utf-8"
    ca_file: Path | None = None


@dataclass(frozen=True)
class Profile:
    """A validated profile: every table is checked and typed once, when it is loaded."""

    organisation: Organisation
    position: str
    start_date: dt.date | None
    stages: tuple[Stage, ...]
    final_pass: str
    roster: str
    use_era: bool
    town: str
    templates_dir: Path | None
    reply_deadline_days: int
    slots: SlotPolicy
    retention_days: int
    guide: Mapping[str, str]
    source: str
    onsite: Onsite = field(default_factory=Onsite)
    offer: Offer = field(default_factory=Offer)
    base_dir: Path | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    mail: MailSettings | None = None
    imap: ImapSettings | None = None
    # [check]: the rules of `kizuna check` switched off or given another severity.
    check: CheckSettings = field(default_factory=CheckSettings)
    # [position] title_en: the post's title in English letters.
    position_en: str = ""
    # [today] silence_days: business days without any exchange after which an applicant still
    # in the selection is listed by `kizuna today`.
    silence_days: int = 5

    def stage(self, stage_id: str | None) -> Stage | None:
        """The stage with this id (None → None); an unknown id is an error listing the stages."""
        if stage_id is None:
            return None
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        ids = _(", ").join(s.id for s in self.stages)
        raise ProfileError(
            _("Unknown stage '{stage}'.").format(stage=stage_id), path=self.source, field="stages",
            hint=_("The profile defines: {ids}.").format(ids=ids),
        )

    def town_path(self) -> Path | None:
        """The user's own town file, or None when the town is a built-in id."""
        if "/" in self.town or self.town.endswith(".toml"):
            path = Path(self.town)
            if not path.is_absolute() and self.base_dir is not None:
                path = self.base_dir / path
            return path
        return None


def sample_profile_text() -> str:
    """The commented sample profile, as `kizuna init` writes it."""
    return resources.files("kizuna").joinpath(SAMPLE_NAME).read_text(encoding="utf-8")


def load_profile(path: str | Path | None = None) -> Profile:
    """Read and validate a profile; with no path, the built-in sample."""
    if path is None:
        return parse_profile(sample_profile_text(), source=_("<built-in sample profile>"))
    p = Path(path)
    if not p.exists() and not p.is_symlink():
        raise ProfileError(
            _("Profile file not found."), path=str(p),
            hint=_("Create one with `kizuna init DIR`, or drop --profile to use the built-in "
                   "sample."),
        )
    text = read_text_file(p, what=N_("profile"), error=ProfileError)
    return parse_profile(text, source=str(p), base_dir=p.resolve().parent)


def _unknown_key(
    key: str, value: Any, known: Collection[str], *, path: str | None, prefix: str = ""
) -> ProfileError:
    """A table or key the profile does not define (a typo would otherwise be silently ignored):
    names it, and the nearest valid one."""
    is_table = isinstance(value, Mapping) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)
    )
    close = difflib.get_close_matches(key, list(known), n=1)
    if close:
        hint = _("Did you mean '{name}'?").format(name=close[0])
    else:
        valid = _("Valid tables here: {names}.") if not prefix else _("Valid keys here: {names}.")
        hint = valid.format(names=_(", ").join(sorted(known)))
    return ProfileError(
        _("Unknown table.") if is_table else _("Unknown key."), path=path, field=prefix + key,
        hint=hint,
    )


class _Reader:
    """Typed access to a TOML table; each wrong value names its dotted key."""

    def __init__(self, data: Mapping[str, Any], source: str, prefix: str = "") -> None:
        self.data = data
        self.source = source
        self.prefix = prefix

    def _fail(self, key: str, expected: str, value: Any) -> ProfileError:
        """``expected`` is already translated."""
        shown = value.isoformat() if isinstance(value, dt.date | dt.time) else repr(value)
        return ProfileError(
            _("Expected {expected}, found {value}.").format(expected=expected, value=shown),
            path=self.source, field=self.prefix + key,
        )

    def only(self, known: Collection[str]) -> _Reader:
        """Refuse a key this table does not define."""
        for key, value in self.data.items():
            if key not in known:
                raise _unknown_key(key, value, known, path=self.source, prefix=self.prefix)
        return self

    def table(self, key: str) -> _Reader:
        value = self.data.get(key, {})
        if not isinstance(value, Mapping):
            raise self._fail(key, _("a table"), value)
        return _Reader(value, self.source, f"{self.prefix}{key}.")

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if value is None:
            raise ProfileError(_("Required key is missing."), path=self.source,
                               field=self.prefix + key)
        if not isinstance(value, str):
            raise self._fail(key, _("a string"), value)
        if "\n" in value and key not in _MULTILINE_OK:
            raise self._fail(key, _("a single line"), value)
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self._fail(key, _("true or false"), value)
        return value

    def number(self, key: str, default: int, minimum: int, maximum: int) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise self._fail(key, _("a whole number from {minimum} to {maximum}").format(
                minimum=minimum, maximum=maximum), value)
        return value

    def url(self, key: str) -> str:
        """An http(s) URL, or "" when the key is left out."""
        value = self.text(key, "")
        if value and not _URL_RE.match(value):
            raise self._fail(key, _("a URL starting with https://"), value)
        return value

    def clock(self, key: str, default: dt.time) -> dt.time:
        """A time of day as "HH:MM" (24-hour)."""
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, dt.time) and value.tzinfo is None:
            return value.replace(second=0, microsecond=0)
        match = _CLOCK_RE.match(value) if isinstance(value, str) else None
        if match is None:
            raise self._fail(key, _('a time as "HH:MM", e.g. "17:15"'), value)
        return dt.time(int(match.group(1)), int(match.group(2)))

    def month_days(self, key: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
        """An inclusive span of the year as ["MM-DD", "MM-DD"] (it may wrap the year end), or
        None when the key is left out."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or len(value) != 2:
            raise self._fail(key, _('two month-days as ["12-01", "03-31"]'), value)
        days: list[tuple[int, int]] = []
        for item in value:
            match = _MONTH_DAY_RE.match(item) if isinstance(item, str) else None
            try:
                if match is None:
                    raise ValueError
                dt.date(2000, int(match.group(1)), int(match.group(2)))
            except ValueError:
                raise self._fail(key, _('two month-days as ["12-01", "03-31"]'), value) from None
            days.append((int(match.group(1)), int(match.group(2))))
        return days[0], days[1]

    def date(self, key: str) -> dt.date | None:
        value = self.data.get(key, "")
        if value in ("", None):
            return None
        day: dt.date | None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            day = value
        else:
            try:
                day = dt.date.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                day = None
        if day is None:
            raise self._fail(key, _("a date as YYYY-MM-DD"), value)
        first, last = SERVED_YEARS
        if not first <= day.year <= last:
            raise self._fail(key, _("a date from {first}-01-01 to {last}-12-31").format(
                first=first, last=last), value)
        return day


# Guide paragraphs and the offer's terms may be written as TOML multi-line strings.
_MULTILINE_OK = {"visit", "relocation", "housing", "reading", "first_day", "contact", "terms"}
_MULTILINE_OK |= {f"{key}_en" for key in _MULTILINE_OK}
GUIDE_TOPICS = ("visit", "relocation", "housing", "reading", "first_day", "contact")
# Each paragraph, and its English version (``visit_en``) for English letters.
GUIDE_KEYS = GUIDE_TOPICS + tuple(f"{key}_en" for key in GUIDE_TOPICS)
# The keys of a table that have an English version ``<key>_en``, for English letters.
ENGLISH_KEYS: dict[str, tuple[str, ...]] = {
    "organisation": ("name", "office", "department", "sender", "address", "brand_message"),
    "position": ("title",),
    "stages": ("label", "place", "tool"),
    "onsite": ("station_route", "parking", "reception", "after_hours_entrance", "travel_costs",
               "online_alternative", "snow_note"),
    "offer": ("terms", "how_to_accept", "contact"),
    "guide": GUIDE_TOPICS,
}


def _with_english(table: str, keys: tuple[str, ...]) -> tuple[str, ...]:
    return keys + tuple(f"{key}_en" for key in ENGLISH_KEYS[table])


ORGANISATION_KEYS = _with_english("organisation", (
    "name", "office", "department", "sender", "sender_kana", "phone", "email", "address",
    "brand_message", "site", "public_sector",
))
STAGE_KEYS = _with_english(
    "stages", ("id", "label", "format", "tool", "place", "minutes", "meeting_url"),
)
MAIL_KEYS = (
    "host", "port", "security", "user", "password_env", "keyring_service", "rate_per_minute",
    "archive_bcc", "timeout_seconds", "charset", "ca_file", "imap",
)
IMAP_KEYS = (
    "host", "port", "security", "user", "password_env", "keyring_service", "folder",
    "timeout_seconds", "ca_file",
)
ONSITE_KEYS = _with_english("onsite", (
    "station_route", "parking", "reception", "reception_closes", "after_hours_entrance",
    "after_hours_phone", "travel_costs", "online_alternative", "snow_months", "snow_note",
))
OFFER_KEYS = _with_english("offer", ("reply_days", "terms", "how_to_accept", "contact"))
# Every table a profile may hold.
TABLES = (
    "organisation", "position", "stages", "wording", "topics", "replies", "slots", "retention",
    "guide", "mail", "onsite", "offer", "check", "today",
)
_URL_RE = re.compile(r"^https?://[^\s]+$")
_CLOCK_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_MONTH_DAY_RE = re.compile(r"^(\d{2})-(\d{2})$")


def parse_profile(text: str, *, source: str, base_dir: Path | None = None) -> Profile:
    """Validate profile TOML text into typed objects, once; every error names the file, the
    dotted key (and its line, when the key is written out in the file)."""
    data = parse_toml(text, source=source, error=ProfileError)
    try:
        return _parse(data, source, base_dir)
    except ProfileError as exc:
        if exc.line is None and exc.field:
            exc.line = _line_of(text, exc.field)
        raise


def _parse(data: Mapping[str, Any], source: str, base_dir: Path | None) -> Profile:
    from .slots.policy import SLOT_KEYS, SlotPolicy

    root = _Reader(data, source).only(TABLES)
    org = root.table("organisation").only(ORGANISATION_KEYS)
    for key in ("name", "sender"):
        if not org.text(key).strip():
            raise ProfileError(_("This cannot be empty: every message names it."), path=source,
                               field=f"organisation.{key}")
    sender_email = org.text("email", "")
    if sender_email and (problem := address_problem(sender_email)):
        raise ProfileError(problem, path=source, field="organisation.email",
                           hint=_("It is the From address of every .eml; correct it."))
    organisation = Organisation(
        name=org.text("name"),
        office=org.text("office", ""),
        department=org.text("department", ""),
        sender=org.text("sender"),
        sender_kana=org.text("sender_kana", ""),
        phone=org.text("phone", ""),
        email=org.text("email", ""),
        address=org.text("address", ""),
        brand_message=org.text("brand_message", ""),
        site=org.text("site", ""),
        public_sector=org.flag("public_sector", True),
        name_en=org.text("name_en", ""),
        office_en=org.text("office_en", ""),
        department_en=org.text("department_en", ""),
        sender_en=org.text("sender_en", ""),
        address_en=org.text("address_en", ""),
        brand_message_en=org.text("brand_message_en", ""),
    )
    pos = root.table("position").only(("title", "start_date", "title_en"))
    stages_raw = data.get("stages", [])
    if not isinstance(stages_raw, list) or not stages_raw:
        raise ProfileError(
            _("Expected at least one [[stages]] table."), path=source, field="stages",
        )
    stages: list[Stage] = []
    seen: set[str] = set()
    for i, item in enumerate(stages_raw):
        if not isinstance(item, Mapping):
            raise ProfileError(_("Expected a table."), path=source, field=f"stages[{i}]")
        st = _Reader(item, source, f"stages[{i}].").only(STAGE_KEYS)
        stage = Stage(
            id=st.text("id"),
            label=st.text("label"),
            format=st.text("format", ""),
            tool=st.text("tool", ""),
            place=st.text("place", ""),
            minutes=st.number("minutes", 0, 0, 24 * 60),
            meeting_url=st.url("meeting_url"),
            label_en=st.text("label_en", ""),
            place_en=st.text("place_en", ""),
            tool_en=st.text("tool_en", ""),
        )
        if stage.format not in ("", "online", "onsite"):
            raise ProfileError(
                _("Expected 'online', 'onsite' or empty, found {value!r}.").format(
                    value=stage.format),
                path=source, field=f"stages[{i}].format",
            )
        if stage.id in seen:
            raise ProfileError(
                _("Stage id '{stage}' is used twice.").format(stage=stage.id), path=source,
                field=f"stages[{i}].id",
            )
        seen.add(stage.id)
        stages.append(stage)
    wording = root.table("wording").only(("final_pass", "roster", "use_era"))
    topics = root.table("topics").only(("town", "templates"))
    templates = topics.text("templates", "")
    templates_dir: Path | None = None
    if templates:
        templates_dir = Path(templates)
        if not templates_dir.is_absolute() and base_dir is not None:
            templates_dir = base_dir / templates_dir
    slots = SlotPolicy.from_mapping(root.table("slots").only(SLOT_KEYS).data, source=source)
    replies = root.table("replies").only(("deadline_business_days",))
    retention = root.table("retention").only(("days",))
    guide = root.table("guide").only(GUIDE_KEYS)
    mail, imap = _mail_settings(root, base_dir)
    site = root.table("onsite").only(ONSITE_KEYS)
    onsite = Onsite(
        station_route=site.text("station_route", ""),
        parking=site.text("parking", ""),
        reception=site.text("reception", ""),
        reception_closes=site.clock("reception_closes", dt.time(17, 15)),
        after_hours_entrance=site.text("after_hours_entrance", ""),
        after_hours_phone=site.text("after_hours_phone", ""),
        travel_costs=site.text("travel_costs", ""),
        online_alternative=site.text("online_alternative", ""),
        snow_months=site.month_days("snow_months"),
        snow_note=site.text("snow_note", ""),
        station_route_en=site.text("station_route_en", ""),
        parking_en=site.text("parking_en", ""),
        reception_en=site.text("reception_en", ""),
        after_hours_entrance_en=site.text("after_hours_entrance_en", ""),
        travel_costs_en=site.text("travel_costs_en", ""),
        online_alternative_en=site.text("online_alternative_en", ""),
        snow_note_en=site.text("snow_note_en", ""),
    )
    if onsite.snow_months is not None and not onsite.snow_note:
        raise ProfileError(
            _("snow_months is set but snow_note is empty."), path=source, field="onsite.snow_note",
            hint=_("Write what an applicant coming in those months should know (snow, icy "
                   "roads, train delays), or clear snow_months."),
        )
    offer_table = root.table("offer").only(OFFER_KEYS)
    offer = Offer(
        reply_days=offer_table.number("reply_days", 10, 1, 60),
        terms=offer_table.text("terms", ""),
        how_to_accept=offer_table.text("how_to_accept", ""),
        contact=offer_table.text("contact", ""),
        terms_en=offer_table.text("terms_en", ""),
        how_to_accept_en=offer_table.text("how_to_accept_en", ""),
        contact_en=offer_table.text("contact_en", ""),
    )
    check = parse_check_settings(root.table("check").data, source)
    morning = root.table("today").only(("silence_days",))
    return Profile(
        organisation=organisation,
        position=pos.text("title"),
        start_date=pos.date("start_date"),
        stages=tuple(stages),
        final_pass=wording.text("final_pass", "最終合格" if organisation.public_sector else "内定"),
        roster=wording.text("roster", "採用候補者名簿"),
        use_era=wording.flag("use_era", False),
        town=topics.text("town", "kitakami"),
        templates_dir=templates_dir,
        reply_deadline_days=replies.number("deadline_business_days", 3, 1, 60),
        slots=slots,
        retention_days=retention.number("days", 365, 1, 36500),
        guide={k: guide.text(k, "") for k in GUIDE_KEYS},
        source=source,
        base_dir=base_dir,
        raw=data,
        mail=mail,
        imap=imap,
        onsite=onsite,
        offer=offer,
        check=check,
        position_en=pos.text("title_en", ""),
        silence_days=morning.number("silence_days", 5, 1, 250),
    )


_DEFAULT_PORTS = {
    "smtp": {"starttls": 587, "tls": 465, "none": 25},
    "imap": {"starttls": 143, "tls": 993, "none": 143},
}


def _refuse_password(table: _Reader) -> None:
    if "password" in table.data:
        raise ProfileError(
            _("A password is never kept in the profile."), path=table.source,
            field=f"{table.prefix}password",
            hint=_("Remove it; put it in the environment variable named by password_env, or in "
                   "the system keyring (the keyring package)."),
        )


def _server(table: _Reader, kind: str, base_dir: Path | None) -> dict[str, Any]:
    """The keys [mail] and [mail.imap] share: host, port, security, the password's source,
    the timeout and an extra CA file."""
    security = table.text("security", "starttls" if kind == "smtp" else "tls")
    if security not in SECURITY_MODES:
        raise table._fail("security", _("'starttls', 'tls' or 'none'"), security)
    host = table.text("host")
    if not host.strip() or any(c.isspace() for c in host):
        raise table._fail("host", _("a host name"), host)
    variable = table.text("password_env", f"KIZUNA_{kind.upper()}_PASSWORD")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", variable):
        raise table._fail("password_env", _("an environment variable name"), variable)
    ca_text = table.text("ca_file", "")
    ca_file: Path | None = None
    if ca_text:
        ca_file = Path(ca_text)
        if not ca_file.is_absolute() and base_dir is not None:
            ca_file = base_dir / ca_file
    return {
        "host": host,
        "port": table.number("port", _DEFAULT_PORTS[kind][security], 1, 65535),
        "security": security,
        "password_env": variable,
        "keyring_service": table.text("keyring_service", f"kizuna-{kind}"),
        "timeout_seconds": table.number("timeout_seconds", 30, 1, 600),
        "ca_file": ca_file,
    }


def _mail_settings(
    root: _Reader, base_dir: Path | None
) -> tuple[MailSettings | None, ImapSettings | None]:
    """[mail] (SMTP; absent or holding only [mail.imap] → None) and [mail.imap] (or None)."""
    from .headers import validate_address

    if "mail" not in root.data:
        return None, None
    table = root.table("mail")
    _refuse_password(table)
    table.only(MAIL_KEYS)
    imap: ImapSettings | None = None
    if "imap" in table.data:
        sub = table.table("imap")
        _refuse_password(sub)
        sub.only(IMAP_KEYS)
        user = sub.text("user")
        if not user.strip():
            raise sub._fail("user", _("the IMAP login name"), user)
        imap = ImapSettings(user=user, folder=sub.text("folder", "INBOX") or "INBOX",
                            **_server(sub, "imap", base_dir))
    if set(table.data) <= {"imap"}:
        return None, imap
    charset = table.text("charset", "utf-8").lower()
    if charset not in ("utf-8", "iso-2022-jp"):
        raise table._fail("charset", _("'utf-8' or 'iso-2022-jp'"), charset)
    bcc = table.text("archive_bcc", "")
    if bcc:
        try:
            validate_address(bcc, "mail.archive_bcc", error=ProfileError)
        except ProfileError as exc:
            exc.path = table.source
            raise
    mail = MailSettings(
        user=table.text("user", ""),
        rate_per_minute=table.number("rate_per_minute", 30, 1, 6000),
        archive_bcc=bcc,
        charset=charset,
        **_server(table, "smtp", base_dir),
    )
    return mail, imap


_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]")
_KEY_RE = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


def _line_of(text: str, field: str) -> int | None:
    """The line that writes ``field`` ("retension", "slots.offer_count", "stages[1].format",
    "slots.weekday_times[0]"): a scan of table headers and ``key =`` lines, enough for a
    profile written like the sample; None when the key is not written out (inline tables,
    quoted or dotted keys, a missing key)."""
    want = field.split(".")
    # A list element ("weekday_times[0]") is on its key's line; [[stages]] counts tables.
    if want[-1].endswith("]") and not (len(want) == 1 and want[0].startswith("stages[")):
        want[-1] = want[-1].split("[", 1)[0]
    where: list[str] = []
    counts: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER_RE.match(line)
        if header:
            name = header.group(2)
            if header.group(1) == "[[":
                counts[name] = counts.get(name, -1) + 1
                where = [*name.split(".")[:-1], f"{name.split('.')[-1]}[{counts[name]}]"]
            else:
                where = name.split(".")
            if where == want or [name] == want:
                return number
            continue
        key = _KEY_RE.match(line)
        if key and [*where, key.group(1)] == want:
            return number
    return None


class English:
    """A profile table's values as an English letter shows them.

    For a text key: ``<key>_en`` when the profile gives it; the value itself when it holds no
    Japanese (a phone number, a URL, "Zoom", an address already in Latin letters) or is empty;
    else a ProfileError naming the key to add. It is raised while the letter is composed, so a
    profile needs the English of what English letters actually use, and never puts a Japanese
    sentence inside one. Values that are not text (numbers, flags, times) pass through, and
    so do keys with no English version (``id``, ``format``, ``email``).
    """

    __slots__ = ("_obj", "_source", "_table", "_where")

    def __init__(self, obj: object, table: str, source: str, where: str = "") -> None:
        self._obj = obj
        self._table = table
        self._source = source
        # How the error names the table: "organisation", "stages[1]", ...
        self._where = where or table

    def _english(self, key: str, value: Any) -> Any:
        if not isinstance(value, str) or key not in ENGLISH_KEYS.get(self._table, ()):
            return value
        english = self._lookup(f"{key}_en")
        if english:
            return english
        from .language import has_japanese

        if not has_japanese(value):
            return value
        table = f"[[stages]] table with id '{getattr(self._obj, 'id', '')}'" \
            if self._table == "stages" else f"[{self._table}]"
        raise ProfileError(
            _("An English letter needs {where}.{key}_en: {where}.{key} ({value}) is in "
              "Japanese.").format(where=self._where, key=key,
                                  value=value[:40] + ("…" if len(value) > 40 else "")),
            path=self._source, field=f"{self._where}.{key}_en",
            hint=_("Add {key}_en = \"...\" to the {table} of the profile, in English (the sample "
                   "profile written by `kizuna init` shows every English key).").format(
                key=key, table=table),
        )

    def _lookup(self, key: str) -> Any:
        if isinstance(self._obj, Mapping):
            return self._obj.get(key, "")
        return getattr(self._obj, key, "")

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        if isinstance(self._obj, Mapping):
            if key not in self._obj:
                raise AttributeError(key)
            return self._english(key, self._obj[key])
        return self._english(key, getattr(self._obj, key))

    def __getitem__(self, key: str) -> Any:
        if isinstance(self._obj, Mapping):
            return self._english(key, self._obj[key])
        return self._english(key, getattr(self._obj, key))

    def __bool__(self) -> bool:
        return bool(self._obj)

    def __repr__(self) -> str:
        return f"English({self._obj!r})"


def in_english(profile: Profile, value: str, english: str, field: str) -> str:
    """One profile text for an English letter (``English``'s rule): ``english`` when given,
    ``value`` when it holds no Japanese, else a ProfileError naming ``field``."""
    table, _, key = field.rpartition(".")
    holder = {key: value, f"{key}_en": english}
    view = English(holder, table, profile.source)
    return str(view[key]) if key in ENGLISH_KEYS.get(table, ()) else (english or value)


def write_sample_profile(directory: Path, *, force: bool = False) -> Path:
    """Write the commented sample profile as DIRECTORY/kizuna.toml."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "kizuna.toml"
    if path.exists() and not force:
        raise ProfileError(
            _("A profile already exists here."), path=str(path),
            hint=_("Edit it, or pass --force to overwrite it."),
        )
    path.write_text(sample_profile_text(), encoding="utf-8")
    return path


_Made = TypeVar("_Made")


class PerProfile(Generic[_Made]):
    """One object made from a profile, built once per profile object and kept while that
    object lives (a few at most): what a checker or a composer learns stays with its profile."""

    def __init__(self, make: Callable[[Profile], _Made]) -> None:
        self._make = make
        self._made: dict[int, tuple[Profile, _Made]] = {}

    def __call__(self, profile: Profile) -> _Made:
        entry = self._made.get(id(profile))
        if entry is None or entry[0] is not profile:
            if len(self._made) > 16:
                self._made.clear()
            entry = (profile, self._make(profile))
            self._made[id(profile)] = entry
        return entry[1]
