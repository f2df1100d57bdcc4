"""The organisation profile (kizuna.toml): who writes, for which post, in which town.

The built-in sample profile (北上市, a fictional sender) is used when none is given, so
``kizuna draft`` works straight after installation.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .check_rules import CheckSettings, parse_check_settings
from .errors import ProfileError
from .seasons import SERVED_YEARS

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


@dataclass(frozen=True)
class Stage:
    id: str
    label: str
    format: str = ""  # "online", "onsite" or "" for document screening
    tool: str = ""
    place: str = ""
    minutes: int = 0


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
    base_dir: Path | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    # [check]: the rules of `kizuna check` switched off or given another severity.
    check: CheckSettings = field(default_factory=CheckSettings)

    def stage(self, stage_id: str | None) -> Stage | None:
        """The stage with this id (None → None); an unknown id is an error listing the stages."""
        if stage_id is None:
            return None
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        ids = ", ".join(s.id for s in self.stages)
        raise ProfileError(
            f"Unknown stage '{stage_id}'.", path=self.source, field="stages",
            hint=f"The profile defines: {ids}.",
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
        return parse_profile(sample_profile_text(), source="<built-in sample profile>")
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(
            "Profile file not found.", path=str(p),
            hint="Create one with `kizuna init DIR`, or drop --profile to use the built-in sample.",
        ) from None
    except UnicodeDecodeError:
        raise ProfileError("Profile is not UTF-8 text.", path=str(p), hint="Save it as UTF-8.") from None
    except OSError as exc:
        raise ProfileError(f"Cannot read the profile: {exc.strerror}.", path=str(p)) from None
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
        hint = f"Did you mean '{close[0]}'?"
    else:
        hint = f"Valid {'tables' if not prefix else 'keys'} here: {', '.join(sorted(known))}."
    return ProfileError(
        f"Unknown {'table' if is_table else 'key'}.", path=path, field=prefix + key, hint=hint,
    )


class _Reader:
    """Typed access to a TOML table; each wrong value names its dotted key."""

    def __init__(self, data: Mapping[str, Any], source: str, prefix: str = "") -> None:
        self.data = data
        self.source = source
        self.prefix = prefix

    def _fail(self, key: str, expected: str, value: Any) -> ProfileError:
        shown = value.isoformat() if isinstance(value, dt.date | dt.time) else repr(value)
        return ProfileError(
            f"Expected {expected}, found {shown}.", path=self.source, field=self.prefix + key,
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
            raise self._fail(key, "a table", value)
        return _Reader(value, self.source, f"{self.prefix}{key}.")

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if value is None:
            raise ProfileError("Required key is missing.", path=self.source, field=self.prefix + key)
        if not isinstance(value, str):
            raise self._fail(key, "a string", value)
        if "\n" in value and key not in _MULTILINE_OK:
            raise self._fail(key, "a single line", value)
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self._fail(key, "true or false", value)
        return value

    def number(self, key: str, default: int, minimum: int, maximum: int) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise self._fail(key, f"a whole number from {minimum} to {maximum}", value)
        return value

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
            raise self._fail(key, "a date as YYYY-MM-DD", value)
        first, last = SERVED_YEARS
        if not first <= day.year <= last:
            raise self._fail(key, f"a date from {first}-01-01 to {last}-12-31", value)
        return day


# Guide paragraphs may be written as TOML multi-line strings.
_MULTILINE_OK = {"visit", "relocation", "housing", "reading", "first_day", "contact"}
GUIDE_KEYS = ("visit", "relocation", "housing", "reading", "first_day", "contact")
ORGANISATION_KEYS = (
    "name", "office", "department", "sender", "sender_kana", "phone", "email", "address",
    "brand_message", "site", "public_sector",
)
STAGE_KEYS = ("id", "label", "format", "tool", "place", "minutes")
# Every table a profile may hold.
TABLES = (
    "organisation", "position", "stages", "wording", "topics", "replies", "slots", "retention",
    "guide", "check",
)


def parse_profile(text: str, *, source: str, base_dir: Path | None = None) -> Profile:
    """Validate profile TOML text into typed objects, once; every error names the file, the
    dotted key (and its line, when the key is written out in the file)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"Not valid TOML: {exc}.", path=source) from None
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
    )
    pos = root.table("position").only(("title", "start_date"))
    stages_raw = data.get("stages", [])
    if not isinstance(stages_raw, list) or not stages_raw:
        raise ProfileError(
            "Expected at least one [[stages]] table.", path=source, field="stages",
        )
    stages: list[Stage] = []
    seen: set[str] = set()
    for i, item in enumerate(stages_raw):
        if not isinstance(item, Mapping):
            raise ProfileError("Expected a table.", path=source, field=f"stages[{i}]")
        st = _Reader(item, source, f"stages[{i}].").only(STAGE_KEYS)
        stage = Stage(
            id=st.text("id"),
            label=st.text("label"),
            format=st.text("format", ""),
            tool=st.text("tool", ""),
            place=st.text("place", ""),
            minutes=st.number("minutes", 0, 0, 24 * 60),
        )
        if stage.format not in ("", "online", "onsite"):
            raise ProfileError(
                f"Expected 'online', 'onsite' or empty, found {stage.format!r}.",
                path=source, field=f"stages[{i}].format",
            )
        if stage.id in seen:
            raise ProfileError(
                f"Stage id '{stage.id}' is used twice.", path=source, field=f"stages[{i}].id"
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
    check = parse_check_settings(root.table("check").data, source)
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
        check=check,
    )


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


def write_sample_profile(directory: Path, *, force: bool = False) -> Path:
    """Write the commented sample profile as DIRECTORY/kizuna.toml."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "kizuna.toml"
    if path.exists() and not force:
        raise ProfileError(
            "A profile already exists here.", path=str(path),
            hint="Edit it, or pass --force to overwrite it.",
        )
    path.write_text(sample_profile_text(), encoding="utf-8")
    return path
