"""Choosing the topics of a message: eligibility for a date, kind and town, and the one pick.

A message gets at most three topics: an opening season line (after the self-introduction), one
town topic (a festival, food or landscape of the sender's town) and a closing wish for the
reader's health. Each must be true on the send date in the town's climate, allowed by the
kind's tone (``kizuna.kinds``), and new to this applicant. The choice is deterministic: a stable
hash of applicant, kind and date picks among the eligible lines, so re-drafting gives the same
message and a batch spreads over all lines of the day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .. import seasons
from ..errors import InputError
from ..i18n import N_, _
from ..kinds import get_kind
from ..models import RESULTS, Role, Source, Tone, Topic
from .files import (
    ALREADY_USED,
    OTHER_TOWN,
    OUT_OF_SEASON,
    QUIET_REASONS,
    SeasonLine,
    TownFile,
    TownTopic,
    season_lines,
    term_position,
    town_cache_key,
    town_for,
    town_from_key,
)

if TYPE_CHECKING:
    from ..profile import Profile

@dataclass(frozen=True)
class TopicChoice:
    """The topics chosen for one message; any of them may be None."""

    opening: Topic | None = None
    town: Topic | None = None
    closing: Topic | None = None

    @property
    def topics(self) -> tuple[Topic, ...]:
        """The chosen topics in message order: opening, town, closing."""
        return tuple(t for t in (self.opening, self.town, self.closing) if t is not None)


@dataclass(frozen=True)
class Considered:
    """One candidate topic in an explanation: eligible or not, and why."""

    id: str
    role: Role
    source: Source
    tone: Tone
    text: str
    when: str
    eligible: bool
    reason: str = ""
    picked: bool = False
    # All-year lines are used only when no seasonal line of the role is left for the applicant.
    fallback: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "role": self.role, "source": self.source, "tone": self.tone,
            "text": self.text, "when": self.when, "eligible": self.eligible,
            "reason": self.reason, "picked": self.picked, "fallback": self.fallback,
        }


@dataclass(frozen=True)
class Explanation:
    """Every topic considered for (date, kind, result, applicant), and the pick."""

    on: dt.date
    kind: str
    result: str | None
    candidate_id: str | None
    town: str
    term: str
    term_day: int
    zassetsu: tuple[str, ...]
    considered: tuple[Considered, ...]
    choice: TopicChoice
    history: frozenset[str] = field(default_factory=frozenset)
    language: str = "ja"

    def eligible(self, role: Role) -> list[Considered]:
        return [c for c in self.considered if c.role == role and c.eligible]

    def excluded(self, role: Role) -> list[Considered]:
        return [c for c in self.considered if c.role == role and not c.eligible]

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.on.isoformat(),
            "kind": self.kind,
            "result": self.result,
            "candidate_id": self.candidate_id,
            "town": self.town,
            "term": self.term,
            "term_day": self.term_day,
            "zassetsu": list(self.zassetsu),
            "language": self.language,
            "pick": [t.to_dict() for t in self.choice.topics],
            "considered": [c.to_dict() for c in self.considered],
        }

    def to_text(self, *, show_all: bool = False) -> str:
        """A readable report: per role the pick, the eligible lines and the excluded ones.

        Lines that are simply out of season are counted, not listed, unless ``show_all``.
        """
        head = _("{date}  {term} day {day}").format(date=self.on.isoformat(), term=self.term,
                                                   day=self.term_day)
        if self.zassetsu:
            head += f"  ({'・'.join(self.zassetsu)})"
        head += _("  kind {kind}").format(kind=self.kind)
        if self.result:
            head += f" ({self.result})"
        head += _("  town {town}").format(town=self.town)
        if self.language != "ja":
            head += _("  language {language}").format(language=self.language)
        if self.candidate_id:
            head += _("  applicant {id} ({count} topic(s) already used)").format(
                id=self.candidate_id, count=len(self.history))
        out = [head]
        picks = {"opening": self.choice.opening, "town": self.choice.town,
                 "closing": self.choice.closing}
        roles: tuple[Role, ...] = ("opening", "town", "closing")
        role_names = {"opening": _("opening"), "town": _("town"), "closing": _("closing")}
        quiet_reasons = {_(reason) for reason in QUIET_REASONS}
        for role in roles:
            pick = picks[role]
            out.append("")
            out.append(_("{role}: {pick}").format(
                role=role_names[role], pick=f"{pick.id}  {pick.text}" if pick else _("(none)")))
            eligible = self.eligible(role)
            out.append(_("  eligible ({count}):").format(count=len(eligible)))
            fallback = _(" (all-year fallback)")
            out += [f"    {c.id} [{c.tone}]{fallback if c.fallback else ''} {c.text}"
                    for c in eligible]
            excluded = self.excluded(role)
            quiet = [c for c in excluded if not show_all and c.reason in quiet_reasons]
            shown = [c for c in excluded if c not in quiet]
            out.append(_("  excluded ({count}):").format(count=len(excluded)))
            out += [f"    {c.id} [{c.tone}] {c.reason}" for c in shown]
            if quiet:
                out.append(_("    … {count} more out of season or for another town (--all lists "
                             "them)").format(count=len(quiet)))
        return "\n".join(out)


# --- eligibility -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Option:
    """An eligible topic before the per-applicant pick (town topics carry their variants).

    ``tags`` holds the subject tags and ``theme:<theme>``, so that avoiding a subject and
    avoiding a theme are one test."""

    id: str
    source: Source
    role: Role
    tone: Tone
    texts: tuple[str, ...]
    tags: frozenset[str]
    theme: str = ""


def _theme_tag(theme: str) -> str:
    return f"theme:{theme}"


@dataclass(frozen=True)
class _Pools:
    """Eligible options per role, in tiers: seasonal ones first, all-year ones as a fallback."""

    opening: tuple[tuple[_Option, ...], ...]
    town: tuple[tuple[_Option, ...], ...]
    closing: tuple[tuple[_Option, ...], ...]


def _season_status(line: SeasonLine, day: dt.date, town: TownFile) -> str:
    """"" if the line is true on ``day`` in ``town``, else the reason it is not."""
    if line.towns:
        if town.id not in line.towns:
            return _(OTHER_TOWN)
        return "" if line.when.holds(day) else _(OUT_OF_SEASON)
    rules = [rule for rule in town.climate if rule.tags & line.tags]
    shift = sum(rule.shift_days for rule in rules)
    if not line.when.holds(day - dt.timedelta(days=shift)):
        if shift and line.when.holds(day):
            shifted = _(", ").join(r.id for r in rules if r.shift_days)
            return _("not yet in season here: the town's climate moves it {shift:+d} days "
                     "({rules})").format(shift=shift, rules=shifted)
        return _(OUT_OF_SEASON)
    for rule in rules:
        if rule.suppresses(day):
            return _("suppressed by the town's climate ({rule})").format(rule=rule.id)
    return ""


def _closing_status(line: SeasonLine, kind: str, result: str | None) -> str:
    """"" if a closing wish fits the kind and result (or the line is no closing), else why
    not."""
    if line.role != "closing":
        return ""
    spec = get_kind(kind)
    if not spec.closing:
        return _("this kind ends without a closing wish")
    clash = line.tags & set(spec.closing_avoids_for(result))
    if clash:
        return _("does not fit this kind ({tags}: it sounds like a farewell, and the "
                 "conversation goes on)").format(tags=_(", ").join(sorted(clash)))
    return ""


def _tone_status(tone: str, allowed: tuple[str, ...], role: str, result: str | None) -> str:
    if tone in allowed:
        return ""
    if not allowed:
        if result == "not_passed":
            return _("wrong tone for this kind: a not-passed notice gets no {role} line").format(
                role=role)
        return _("wrong tone for this kind: it gets no {role} line").format(role=role)
    return _("wrong tone for this kind ({tone}; allowed: {allowed})").format(
        tone=tone, allowed=_(", ").join(allowed))


def _allowed_tones(kind: str, result: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    spec = get_kind(kind)
    if result is not None and result not in RESULTS:
        raise InputError(
            _("Unknown result {result!r}.").format(result=result), field="result",
            hint=_("Use one of: {names}.").format(names=_(", ").join(RESULTS)),
        )
    return spec.tones_for(result)


@lru_cache(maxsize=4096)
def _in_season(on: dt.date, town_key: tuple[str, str, int, int],
               ) -> tuple[tuple[SeasonLine, ...], tuple[tuple[TownTopic, str], ...]]:
    """The season lines and town topics (with their phase) that are true on ``on`` in the town."""
    seasons.check_served_date(on, "on")
    town = town_from_key(town_key)
    lines = tuple(line for line in season_lines() if not _season_status(line, on, town))
    phases = tuple((topic, phase) for topic in town.topics if (phase := topic.phase_on(on)))
    return lines, phases


# A line a language has no text for is never used in a letter in it (explain output).
NO_ENGLISH = N_("no English line (never used in an English letter)")
# English rejections: thanks, the decision, a short good wish from the template, and nothing
# seasonal after it (FACTS §10); a Japanese not-passed notice keeps its gentle closing wish.
NO_ENGLISH_CLOSING = N_("an English not-passed notice ends with its own good wish, not a season line")


def _language_status(text: str, role: str, result: str | None, language: str) -> str:
    """"" if a line with this text (in ``language``) may be used, else why not."""
    if language != "en":
        return ""
    if not text:
        return _(NO_ENGLISH)
    if role == "closing" and result == "not_passed":
        return _(NO_ENGLISH_CLOSING)
    return ""


@lru_cache(maxsize=8192)
def _pools(on: dt.date, kind: str, result: str | None, town_key: tuple[str, str, int, int],
           language: str = "ja") -> _Pools:
    """The eligible lines for one (date, kind, result, town, language), before history and
    the pick. A line without a text in ``language`` is not eligible: an English letter gets
    only lines written in English.

    Cached, so a batch of thousands of applicants on one day computes it once. All-year lines
    (a town's evergreen topics, general health wishes) form a second tier, used only when this
    applicant has already had every seasonal line: a line about the day beats a stock one.
    """
    town = town_from_key(town_key)
    spec = get_kind(kind)
    opening_tones, town_tones = _allowed_tones(kind, result)
    lines, phases = _in_season(on, town_key)
    tiers: dict[str, tuple[list[_Option], list[_Option]]] = {
        role: ([], []) for role in ("opening", "town", "closing")
    }
    for line in lines:
        allowed = opening_tones if line.role == "opening" else ("gentle",)
        if line.tone not in allowed or _closing_status(line, spec.id, result):
            continue
        text = line.text_in(language)
        if _language_status(text, line.role, result, language):
            continue
        theme = line.theme or line.id
        option = _Option(line.id, "season", line.role, line.tone, (text,),
                         line.tags | {_theme_tag(theme)}, theme)
        tiers[line.role][1 if line.when.all_year else 0].append(option)
    for topic, phase in phases:
        if topic.tone not in town_tones:
            continue
        texts = topic.texts(phase, language)
        if not texts:
            continue
        theme = topic.theme or topic.id
        option = _Option(town.topic_id(topic, phase), "town", "town", topic.tone, texts,
                         topic.tags | {_theme_tag(theme)}, theme)
        tiers["town"][1 if topic.window.all_year else 0].append(option)

    def frozen(role: str) -> tuple[tuple[_Option, ...], ...]:
        return tuple(tuple(sorted(tier, key=lambda o: o.id)) for tier in tiers[role])

    return _Pools(opening=frozen("opening"), town=frozen("town"), closing=frozen("closing"))


# --- the pick ---------------------------------------------------------------------------------


def _digest(*parts: str) -> int:
    """A stable 64-bit hash (unlike hash(), the same in every process and Python version)."""
    raw = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(raw[:8], "big")


_ROLE_SLICE = {"opening": 0, "town": 8, "closing": 16}
# The same three slices read at once (opening, town, closing), for a batch.
_THREE_SEEDS = struct.Struct(">QQQ")


def _seed(candidate_id: str, kind: str, on: dt.date, role: str) -> int:
    """The applicant's seed for one role: one sha256 per (applicant, kind, date) gives all
    three roles independent 64-bit seeds."""
    raw = _seed_bytes(candidate_id, kind, on)
    start = _ROLE_SLICE[role]
    return int.from_bytes(raw[start:start + 8], "big")


@lru_cache(maxsize=1024)
def _seed_bytes(candidate_id: str, kind: str, on: dt.date) -> bytes:
    return hashlib.sha256(f"{candidate_id}\x1f{kind}\x1f{on.isoformat()}".encode()).digest()


def _topic(option: _Option, seed: int) -> Topic:
    # The variant is taken from higher bits than the line index, so the two are independent.
    text = option.texts[(seed >> 32) % len(option.texts)]
    return Topic(id=option.id, source=option.source, role=option.role, tone=option.tone, text=text,
                 theme=option.theme)


def _history_set(history: Iterable[str]) -> frozenset[str]:
    return history if isinstance(history, frozenset) else frozenset(history)


def choose(
    on: dt.date,
    kind: str,
    *,
    result: str | None = None,
    candidate_id: str,
    history: Iterable[str] = (),
    profile: Profile,
    language: str = "ja",
) -> TopicChoice:
    """Choose the opening, town and closing topics for one message: ``choose_many`` for a
    batch of one (there is one rule, whether it serves one applicant or a thousand).

    Each topic is true on ``on`` in the profile's town, allowed by the kind's tone for
    ``result`` (a not-passed notice gets only a gentle closing wish), and neither in
    ``history`` (topic ids this applicant already received) nor of a theme those had. When
    every line of a role has been used, that line is left out (a closing wish is never
    repeated either). The pick is a stable hash of applicant, kind and date over the
    eligible lines. In ``language`` "en" only lines with an English text are eligible, and
    the topics carry that text.
    """
    return choose_many(
        on, kind, (candidate_id,), result=result, histories={candidate_id: history},
        profile=profile, language=language,
    )[0]


def _tags_of(tiers: Sequence[Sequence[_Option]], topic: Topic | None) -> frozenset[str]:
    """The subject tags of the chosen option (a message avoids two topics on one subject)."""
    if topic is None:
        return frozenset()
    return next((o.tags for tier in tiers for o in tier if o.id == topic.id), frozenset())


@dataclass(frozen=True)
class _Tier:
    """One tier of a role's options, prepared for a batch so that a pick is a lookup.

    ``topics[j][v]`` is the finished Topic for option ``j`` in variant ``v``: Topics are
    immutable, so thousands of messages can share them instead of building one each.
    """

    ids: tuple[str, ...]
    tags: tuple[frozenset[str], ...]
    topics: tuple[tuple[Topic, ...], ...]
    id_set: frozenset[str]
    tag_union: frozenset[str]

    def allowed(self, used: AbstractSet[str], avoid: frozenset[str]) -> frozenset[int]:
        """The indexes of the options a person may still receive."""
        return frozenset(j for j, (oid, tags) in enumerate(zip(self.ids, self.tags, strict=True))
                         if oid not in used and not (tags & avoid))


def _tier(options: Sequence[_Option], kind: str, on: dt.date, role: str) -> _Tier:
    """Prepare one tier of ``role`` for a batch of ``kind`` sent on ``on``."""
    topics = tuple(
        tuple(Topic(id=o.id, source=o.source, role=o.role, tone=o.tone, text=text, theme=o.theme)
              for text in o.texts)
        for o in options
    )
    return _Tier(
        ids=tuple(o.id for o in options),
        tags=tuple(o.tags for o in options),
        topics=topics,
        id_set=frozenset(o.id for o in options),
        tag_union=frozenset().union(*(o.tags for o in options)),
    )


@lru_cache(maxsize=1024)
def _prepared(on: dt.date, kind: str, result: str | None, town_key: tuple[str, str, int, int],
              language: str = "ja",
              ) -> tuple[tuple[_Tier, ...], tuple[_Tier, ...], tuple[_Tier, ...], Mapping[str, frozenset[str]]]:
    """The town, opening and closing tiers of ``_pools`` prepared for ``choose_many``, and the
    subject tags of each town topic id (an opening avoids its town topic's subject)."""
    pools = _pools(on, kind, result, town_key, language)
    town = tuple(_tier(tier, kind, on, "town") for tier in pools.town)
    opening = tuple(_tier(tier, kind, on, "opening") for tier in pools.opening)
    closing = tuple(_tier(tier, kind, on, "closing") for tier in pools.closing)
    # The first option with an id wins, as in _tags_of.
    town_tags: dict[str, frozenset[str]] = {}
    for tier_options in pools.town:
        for option in tier_options:
            town_tags.setdefault(option.id, option.tags)
    return town, opening, closing, town_tags


_NO_TAGS: frozenset[str] = frozenset()


def _assign(tiers: Sequence[_Tier], order: Sequence[tuple[int, str, int]],
            used: Sequence[AbstractSet[str]], avoid: Sequence[frozenset[str]] | None = None, *,
            reuse: bool = False) -> list[Topic | None]:
    """Give each person one option, with counts differing by at most one where history allows.

    ``order`` holds (role seed, candidate id, index) sorted: the hash order. ``used[index]``
    are the ids that person already received and ``avoid[index]`` the tags to avoid. Within a
    tier each option gets a quota of N // n or N // n + 1 of the N people who take from that
    tier; people, in hash order, take their hash-preferred option, or the next one with quota
    left that they may still receive; those left fewer options than the tier has take theirs
    first. Those with nothing left in a tier move on to the next. With ``reuse`` those left
    over take from the first non-empty tier regardless of history.
    """
    picks: list[Topic | None] = [None] * len(used)
    waiting = order
    passes: list[tuple[_Tier, bool]] = [(tier, False) for tier in tiers]
    if reuse:
        passes += [(tier, True) for tier in tiers if tier.ids]
    for tier, ignore_history in passes:
        n = len(tier.ids)
        if n == 0 or not waiting:
            continue
        # Most people have no history and nothing to avoid: they may take any option, and are
        # not listed here. The others map to the options left to them (maybe none).
        limited: dict[int, frozenset[int]] = {}
        if not ignore_history:
            id_set, tag_union = tier.id_set, tier.tag_union
            for _, _, i in waiting:
                person_used = used[i]
                person_avoid = avoid[i] if avoid is not None else _NO_TAGS
                if ((person_used and not person_used.isdisjoint(id_set))
                        or (person_avoid and not person_avoid.isdisjoint(tag_union))):
                    limited[i] = tier.allowed(person_used, person_avoid)
        left_out = sum(1 for ok in limited.values() if not ok)
        total = len(waiting) - left_out
        base, extra = divmod(total, n)
        # The remainder starts at the first person's preferred option: the extra uses rotate
        # with kind, date and role, and a batch of one gets exactly its own hash pick.
        offset = waiting[0][0] % n
        quota = [base + (1 if (j - offset) % n < extra else 0) for j in range(n)]
        count = [0] * n
        topics = tier.topics
        # Those left fewer options (by their history or the message's other lines) choose
        # first, in hash order, so that the others' quotas even the counts out.
        ordered = waiting
        if limited:
            narrow = [w for w in waiting if w[2] in limited and 0 < len(limited[w[2]]) < n]
            if narrow:
                chosen_first = {w[2] for w in narrow}
                ordered = narrow + [w for w in waiting if w[2] not in chosen_first]
        for seed, _, i in ordered:
            ok = limited.get(i) if limited else None
            preferred = seed % n
            if ok is None:
                # Some option always has quota left: fewer than ``total`` picks are made yet.
                j = preferred
                while count[j] >= quota[j]:
                    j = j + 1 if j + 1 < n else 0
            elif not ok:
                continue
            else:
                j = preferred
                for _ in range(n):
                    if j in ok and count[j] < quota[j]:
                        break
                    j = j + 1 if j + 1 < n else 0
                else:
                    # Every option left to this person is full: take the least used, nearest first.
                    ring = [k % n for k in range(preferred, preferred + n) if k % n in ok]
                    j = min(ring, key=lambda k: count[k])
            count[j] += 1
            variants = topics[j]
            # The variant is taken from higher bits than the line index, so the two are independent.
            picks[i] = variants[(seed >> 32) % len(variants)]
        if ignore_history:
            break
        waiting = [w for w in waiting if (ok := limited.get(w[2])) is not None and not ok] if left_out else []
    return picks


def choose_many(
    on: dt.date,
    kind: str,
    candidate_ids: Sequence[str],
    *,
    result: str | None = None,
    histories: Mapping[str, Iterable[str]] | None = None,
    profile: Profile,
    language: str = "ja",
) -> list[TopicChoice]:
    """Choose topics for a batch sent on one day, spreading it evenly over the eligible lines.

    Within a tier, each line is used by N // n or N // n + 1 of the N applicants taking from it
    (as far as their histories allow), the remainder starting at the line the first applicant
    in hash order prefers; ``choose`` is the case N = 1. Deterministic for the same batch.
    """
    town_tiers, opening_tiers, closing_tiers, town_tags = _prepared(
        on, kind, result, town_cache_key(profile), language)
    # One sha256 per applicant gives the three role seeds (the same as _seed).
    suffix = f"\x1f{kind}\x1f{on.isoformat()}".encode()
    sha256 = hashlib.sha256
    unpack = _THREE_SEEDS.unpack_from
    by_opening: list[tuple[int, str, int]] = []
    by_town: list[tuple[int, str, int]] = []
    by_closing: list[tuple[int, str, int]] = []
    for i, cid in enumerate(candidate_ids):
        opening_seed, town_seed, closing_seed = unpack(sha256(cid.encode() + suffix).digest())
        by_opening.append((opening_seed, cid, i))
        by_town.append((town_seed, cid, i))
        by_closing.append((closing_seed, cid, i))
    # Hash order; the id breaks a tie of seeds, the index keeps duplicate ids in batch order.
    by_opening.sort()
    by_town.sort()
    by_closing.sort()
    used: list[AbstractSet[str]]
    if histories:
        used = [_used_ids(histories.get(cid, ())) for cid in candidate_ids]
    else:
        used = [_NO_TAGS] * len(candidate_ids)
    # The themes each applicant already read: no line of a theme twice in one timeline.
    themes = _themes_read(used, town_cache_key(profile)) if histories else [_NO_TAGS] * len(used)
    towns = _assign(town_tiers, by_town, used, themes)
    avoid = [read if t is None else read | town_tags.get(t.id, _NO_TAGS)
             for t, read in zip(towns, themes, strict=True)]
    openings = _assign(opening_tiers, by_opening, used, avoid)
    # A closing wish is never repeated either (no reuse), nor of the opening's theme.
    after = [read if o is None else read | {_theme_tag(o.theme or o.id)}
             for o, read in zip(openings, themes, strict=True)]
    closings = _assign(closing_tiers, by_closing, used, after)
    # Many applicants get the same three lines: share one frozen TopicChoice per combination.
    shared: dict[tuple[int, int, int], TopicChoice] = {}
    out: list[TopicChoice] = []
    for o, t, c in zip(openings, towns, closings, strict=True):
        key = (id(o), id(t), id(c))
        choice = shared.get(key)
        if choice is None:
            choice = shared[key] = TopicChoice(o, t, c)
        out.append(choice)
    return out


@lru_cache(maxsize=16)
def _theme_map(town_key: tuple[str, str, int, int]) -> Mapping[str, str]:
    """Topic id → its theme tag, for every season line and the town's topics (both phases)."""
    town = town_from_key(town_key)
    found = {line.id: _theme_tag(line.theme or line.id) for line in season_lines()}
    for topic in town.topics:
        tag = _theme_tag(topic.theme or topic.id)
        found[town.topic_id(topic, "main")] = tag
        found[town.topic_id(topic, "lead")] = tag
    return found


def _themes_read(used: Sequence[AbstractSet[str]], town_key: tuple[str, str, int, int],
                 ) -> list[frozenset[str]]:
    """The theme tags of what each applicant already read (ids no file knows have none)."""
    known = _theme_map(town_key)
    return [frozenset(tag for i in ids if (tag := known.get(i)) is not None) if ids else _NO_TAGS
            for ids in used]


def _used_ids(history: Iterable[str]) -> AbstractSet[str]:
    """A history as a set for membership tests (sets are used as they are, not copied)."""
    if isinstance(history, (set, frozenset)):
        return history
    return frozenset(history)


# --- explain ----------------------------------------------------------------------------------


def explain(
    on: dt.date,
    kind: str,
    *,
    result: str | None = None,
    candidate_id: str | None = None,
    history: Iterable[str] = (),
    profile: Profile,
    language: str = "ja",
) -> Explanation:
    """Every topic considered for this message, eligible or excluded with the reason, and the pick.

    Without ``candidate_id`` the pick shown is the one for an applicant with an empty id. In
    ``language`` "en" the texts shown are the English ones, and a line without one is excluded.
    """
    opening_tones, town_tones = _allowed_tones(kind, result)
    town = town_for(profile)
    used = _history_set(history)
    read = _themes_read([used], town_cache_key(profile))[0]
    choice = choose(on, kind, result=result, candidate_id=candidate_id or "", history=used,
                    profile=profile, language=language)
    picked = {t.id for t in choice.topics}
    avoid = _tags_of(_pools(on, kind, result, town_cache_key(profile), language).town, choice.town)
    opening_theme = _theme_tag(choice.opening.theme or choice.opening.id) if choice.opening else ""

    def theme_status(theme: str) -> str:
        tag = _theme_tag(theme)
        return _("theme '{theme}' already read by this applicant").format(theme=theme) if tag in read else ""

    considered: list[Considered] = []
    for topic in town.topics:
        phase = topic.phase_on(on)
        topic_id = town.topic_id(topic, phase or "main")
        texts = topic.texts(phase or "main", language) or topic.texts(phase or "main")
        reason = _(OUT_OF_SEASON) if phase is None else ""
        reason = reason or _tone_status(topic.tone, town_tones, "town", result)
        reason = reason or _language_status(
            "".join(topic.texts(phase or "main", language)), "town", result, language)
        reason = reason or (_(ALREADY_USED) if topic_id in used else "")
        reason = reason or theme_status(topic.theme or topic.id)
        when = topic.window.describe()
        if topic.lead_days:
            when += _(", coming soon {days} days before").format(days=topic.lead_days)
        considered.append(Considered(
            id=topic_id, role="town", source="town", tone=topic.tone, text=texts[0], when=when,
            eligible=not reason, reason=reason, picked=topic_id in picked,
            fallback=topic.window.all_year,
        ))
    for line in season_lines():
        allowed = opening_tones if line.role == "opening" else ("gentle",)
        reason = (_season_status(line, on, town) or _tone_status(line.tone, allowed, line.role, result)
                  or _closing_status(line, kind, result)
                  or _language_status(line.text_in(language), line.role, result, language)
                  or (_(ALREADY_USED) if line.id in used else "")
                  or theme_status(line.theme or line.id))
        tags = line.tags | {_theme_tag(line.theme or line.id)}
        if not reason and line.role == "opening" and tags & avoid:
            reason = _("same subject as the town topic ({tags})").format(
                tags=_(", ").join(sorted(tags & avoid)))
        if not reason and line.role == "closing" and _theme_tag(line.theme or line.id) == opening_theme:
            reason = _("same theme as the opening line")
        eligible = not reason
        considered.append(Considered(
            id=line.id, role=line.role, source="season", tone=line.tone,
            text=line.text_in(language) or line.text,
            when=line.when.describe(), eligible=eligible, reason="" if eligible else reason,
            picked=line.id in picked, fallback=line.when.all_year,
        ))
    order = {"opening": 0, "town": 1, "closing": 2}
    considered.sort(key=lambda c: order[c.role])
    term, term_day = term_position(on)
    marks = tuple(z.name for z in seasons.zassetsu_on(on))
    return Explanation(
        on=on, kind=kind, result=result, candidate_id=candidate_id, town=town.id, term=term,
        term_day=term_day, zassetsu=marks, considered=tuple(considered), choice=choice, history=used,
        language=language,
    )
