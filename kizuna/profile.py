"""The organisation profile (kizuna.toml): who writes, for which post, in which town.

The built-in sample profile (北上市, a fictional sender) is used when none is given, so
``kizuna draft`` works straight after installation.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ProfileError

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
    """A validated profile. ``slots`` stays a mapping: kizuna.slots validates it."""

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
    slots: Mapping[str, Any]
    retention_days: int
    guide: Mapping[str, str]
    source: str
    base_dir: Path | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

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


class _Reader:
    """Typed access to a TOML table; each wrong value names its dotted key."""

    def __init__(self, data: Mapping[str, Any], source: str, prefix: str = "") -> None:
        self.data = data
        self.source = source
        self.prefix = prefix

    def _fail(self, key: str, expected: str, value: Any) -> ProfileError:
        return ProfileError(
            f"Expected {expected}, found {value!r}.", path=self.source, field=self.prefix + key,
        )

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

    def number(self, key: str, default: int, minimum: int = 0) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self._fail(key, f"a whole number of at least {minimum}", value)
        return value

    def date(self, key: str) -> dt.date | None:
        value = self.data.get(key, "")
        if value in ("", None):
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise self._fail(key, "a date as YYYY-MM-DD", value)


# Guide paragraphs may be written as TOML multi-line strings.
_MULTILINE_OK = {"visit", "relocation", "housing", "reading", "first_day", "contact"}
GUIDE_KEYS = ("visit", "relocation", "housing", "reading", "first_day", "contact")


def parse_profile(text: str, *, source: str, base_dir: Path | None = None) -> Profile:
    """Validate profile TOML text; every error names the file and the dotted key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"Not valid TOML: {exc}.", path=source) from None
    root = _Reader(data, source)
    org = root.table("organisation")
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
    pos = root.table("position")
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
        st = _Reader(item, source, f"stages[{i}].")
        stage = Stage(
            id=st.text("id"),
            label=st.text("label"),
            format=st.text("format", ""),
            tool=st.text("tool", ""),
            place=st.text("place", ""),
            minutes=st.number("minutes", 0),
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
    wording = root.table("wording")
    topics = root.table("topics")
    templates = topics.text("templates", "")
    templates_dir: Path | None = None
    if templates:
        templates_dir = Path(templates)
        if not templates_dir.is_absolute() and base_dir is not None:
            templates_dir = base_dir / templates_dir
    slots = data.get("slots", {})
    if not isinstance(slots, Mapping):
        raise ProfileError(f"Expected a table, found {slots!r}.", path=source, field="slots")
    guide = root.table("guide")
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
        reply_deadline_days=root.table("replies").number("deadline_business_days", 3, minimum=1),
        slots=slots,
        retention_days=root.table("retention").number("days", 365, minimum=1),
        guide={k: guide.text(k, "") for k in GUIDE_KEYS},
        source=source,
        base_dir=base_dir,
        raw=data,
    )


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
