"""Season and town topics: data validity, the tone rule, history, spread, determinism, CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from kizuna import seasons
from kizuna import topics as T
from kizuna.errors import InputError, TopicFileError
from kizuna.kinds import KINDS
from kizuna.models import Candidate, Message
from kizuna.profile import load_profile, parse_profile, sample_profile_text
from kizuna.topics import chooser as C
from kizuna.topics import files as F

YEAR_2026 = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(365)]


@pytest.fixture(scope="module")
def profile():  # type: ignore[no-untyped-def]
    return load_profile()


@pytest.fixture(scope="module")
def town(profile):  # type: ignore[no-untyped-def]
    return T.town_for(profile)


def profile_with_town(tmp_path: Path, town_text: str):  # type: ignore[no-untyped-def]
    """A profile whose [topics] town is a user's own file."""
    (tmp_path / "mytown.toml").write_text(town_text, encoding="utf-8")
    text = sample_profile_text().replace('town = "kitakami"', 'town = "mytown.toml"')
    return parse_profile(text, source=str(tmp_path / "kizuna.toml"), base_dir=tmp_path)


def kind_results() -> list[tuple[str, str | None]]:
    pairs: list[tuple[str, str | None]] = []
    for kind in KINDS.values():
        pairs += [(kind.id, r) for r in ("passed", "not_passed")] if kind.needs_result else [(kind.id, None)]
    return pairs


def season_line(line_id: str) -> T.SeasonLine:
    return next(line for line in T.season_lines() if line.id == line_id)


def town_topic(town: T.TownFile, topic_id: str) -> T.TownTopic:
    return next(t for t in town.topics if t.id == topic_id.split(":")[1])


# --- the data ---------------------------------------------------------------------------------


def test_builtin_files_are_valid_and_rich_enough(town: T.TownFile) -> None:
    lines = T.season_lines()
    per_term = Counter(term for line in lines if line.role == "opening" for term in line.when.terms)
    assert set(per_term) == set(T.TERM_NAMES)
    assert min(per_term.values()) >= 3
    assert {line.when.zassetsu for line in lines if line.when.zassetsu} >= {
        "節分", "春の彼岸", "八十八夜", "入梅", "半夏生", "夏の土用", "二百十日"}
    assert all(line.tone == "gentle" for line in lines if line.role == "closing")
    for topic in town.topics:
        assert 2 <= len(topic.lines) <= 3, topic.id
        assert topic.source
    assert T.check_topic_file(Path("seasonal_topics/towns/kitakami.toml")) == len(town.topics) + len(town.climate)


def test_term_names_match_the_solar_term_module() -> None:
    assert tuple(t.name for t in seasons.solar_terms(2026)) == T.TERM_NAMES


def test_a_term_day_index_never_exceeds_the_validated_maximum() -> None:
    for year in (1900, 2026, 2100):
        terms = seasons.solar_terms(year)
        longest = max((b.date - a.date).days for a, b in zip(terms, terms[1:], strict=False))
        assert longest - 1 <= F.MAX_TERM_DAY


# --- the tone rule on every day of a year ---------------------------------------------------------


def test_tone_rule_and_season_hold_on_every_day_of_2026(profile, town: T.TownFile) -> None:  # type: ignore[no-untyped-def]
    for day in YEAR_2026:
        for kind, result in kind_results():
            opening_tones, town_tones = KINDS[kind].tones_for(result)
            choice = T.choose(day, kind, result=result, candidate_id="A-0001", profile=profile)
            if not KINDS[kind].closing:
                # A confirmation or reminder is practical: no season topic at all.
                assert choice.topics == (), (day, kind)
                continue
            assert choice.closing is not None, (day, kind)
            assert choice.closing.tone == "gentle" and choice.closing.role == "closing"
            # Nothing that sounds like a farewell while the conversation goes on.
            assert not set(KINDS[kind].closing_avoids_for(result)) & season_line(choice.closing.id).tags
            if result == "not_passed":
                assert choice.opening is None and choice.town is None, (day, kind)
                assert choice.topics == (choice.closing,)
            elif opening_tones:
                # Every kind that allows an opening line gets one, every day of the year.
                assert choice.opening is not None, (day, kind)
            if choice.opening is not None:
                assert choice.opening.tone in opening_tones
                assert choice.opening.role == "opening" and choice.opening.source == "season"
            if choice.town is not None:
                assert choice.town.tone in town_tones and choice.town.role == "town"
            elif town_tones:
                raise AssertionError(f"no town topic on {day} for {kind}")
            for topic in (choice.opening, choice.closing):
                if topic is not None:
                    assert C._season_status(season_line(topic.id), day, town) == "", (day, topic.id)
            if choice.town is not None:
                assert town_topic(town, choice.town.id).phase_on(day) is not None, (day, choice.town.id)


def test_confirmation_and_reminder_get_no_topic_lines(profile) -> None:  # type: ignore[no-untyped-def]
    # Their season is practical care written by the template (snow, ice), not a topic.
    for kind in ("interview_confirmation", "interview_reminder"):
        choice = T.choose(dt.date(2026, 8, 8), kind, candidate_id="A-1", profile=profile)
        assert choice.topics == ()


def test_no_farewell_wish_before_a_meeting(profile) -> None:  # type: ignore[no-untyped-def]
    day = dt.date(2026, 11, 26)
    report = T.explain(day, "interview_invitation", profile=profile)
    genki = next(c for c in report.considered if c.id == "closing-any-genki")
    assert not genki.eligible and "farewell" in genki.reason
    after = T.explain(day, "final_result", result="not_passed", profile=profile)
    assert next(c for c in after.considered if c.id == "closing-any-genki").eligible


def test_invitation_on_2026_11_26_gets_a_shosetsu_line(profile, send_date: dt.date) -> None:  # type: ignore[no-untyped-def]
    assert seasons.term_on(send_date).term.name == "小雪"
    for cid in ("A-0001", "A-0002", "B-77", "Z"):
        choice = T.choose(send_date, "interview_invitation", candidate_id=cid, profile=profile)
        assert choice.opening is not None
        assert season_line(choice.opening.id).when.terms == ("小雪",)
        assert "紅葉" not in "".join(t.text for t in choice.topics)  # October's news in Kitakami


# --- climate ---------------------------------------------------------------------------------------


def test_kitakami_moves_cherry_lines_to_late_april(profile, town: T.TownFile, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bloom = season_line("seimei-sakura-bloom")
    early = dt.date(2026, 4, 7)  # 清明 day 2: cherries in bloom in Tokyo, buds in Kitakami
    assert C._season_status(bloom, early, town).startswith("not yet in season here")
    assert C._season_status(bloom, dt.date(2026, 4, 24), town) == ""
    plain = profile_with_town(tmp_path, '[town]\nid = "plain"\nname = "どこか"\n')
    assert C._season_status(bloom, early, T.town_for(plain)) == ""
    assert C._season_status(season_line("seimei-kitakami-buds"), early, T.town_for(plain)) == C.OTHER_TOWN


def test_kitakami_suppresses_warm_spring_in_early_march(profile) -> None:  # type: ignore[no-untyped-def]
    report = T.explain(dt.date(2026, 3, 10), "interview_invitation", profile=profile)
    warmer = next(c for c in report.considered if c.id == "keichitsu-warmer")
    assert not warmer.eligible and warmer.reason == "suppressed by the town's climate (snowy-march)"
    assert all("warm-spring" not in season_line(c.id).tags for c in report.eligible("opening"))


# --- history ---------------------------------------------------------------------------------------


def test_six_messages_across_a_season_never_repeat_a_topic(profile) -> None:  # type: ignore[no-untyped-def]
    timeline = [
        (dt.date(2026, 10, 1), "application_received", None),
        (dt.date(2026, 10, 16), "screening_result", "passed"),
        (dt.date(2026, 10, 19), "interview_invitation", None),
        (dt.date(2026, 10, 22), "interview_confirmation", None),
        (dt.date(2026, 10, 28), "interview_reminder", None),
        (dt.date(2026, 11, 5), "final_result", "passed"),
    ]
    for cid in ("A-0001", "A-0002", "A-0003", "X-9"):
        history: list[str] = []
        themes: list[str] = []
        for day, kind, result in timeline:
            choice = T.choose(day, kind, result=result, candidate_id=cid, history=history, profile=profile)
            if KINDS[kind].closing:
                assert choice.opening is not None and choice.closing is not None
            history += [t.id for t in choice.topics]
            themes += [t.theme for t in choice.topics]
        assert len(history) == len(set(history)), (cid, history)
        # Not the same theme twice either (four openings saying "spring is near" repeat).
        assert len(themes) == len(set(themes)), (cid, themes)


def test_a_theme_read_once_rules_out_its_other_lines(profile) -> None:  # type: ignore[no-untyped-def]
    day = dt.date(2026, 2, 10)  # 立春: several lines say that spring is near
    near = [line.id for line in T.season_lines() if line.theme == "spring-near"
            and line.role == "opening"]
    assert len(near) >= 4
    report = T.explain(day, "interview_invitation", history={"daikan-risshun-near"}, profile=profile)
    for c in report.considered:
        if c.id in near and c.id != "daikan-risshun-near":
            assert not c.eligible, c.id
    assert all(line.theme for line in T.season_lines())  # every built-in line has a theme


def test_used_lines_are_skipped_and_a_closing_wish_is_never_repeated(profile) -> None:  # type: ignore[no-untyped-def]
    day = dt.date(2026, 11, 26)
    everything = {c.id for c in T.explain(day, "interview_invitation", profile=profile).considered}
    choice = T.choose(day, "interview_invitation", candidate_id="A-1", history=everything, profile=profile)
    assert choice.topics == ()  # the template's own closing ends the message instead


def test_no_eligible_town_topic_gives_none(tmp_path: Path) -> None:
    own = profile_with_town(tmp_path, """
[town]
id = "mytown"
name = "わがまち"

# A summer festival only.
[[topic]]
id = "summer-fes"
kind = "festival"
tone = "festive"
window = { from = "08-01", to = "08-03" }
lines = ["わがまちでは夏祭りが開かれております。", "わがまちは夏祭りの季節です。"]
source = "town office"
""")
    march = T.choose(dt.date(2026, 3, 10), "interview_invitation", candidate_id="A-1", profile=own)
    assert march.town is None
    assert [t.role for t in march.topics] == ["opening", "closing"]
    august = T.choose(dt.date(2026, 8, 2), "interview_invitation", candidate_id="A-1", profile=own)
    assert august.town is not None and august.town.id == "mytown:summer-fes"
    # Lines written for Kitakami never reach another town.
    assert not august.opening or "北上" not in august.opening.text


# --- spread and determinism -----------------------------------------------------------------------


def test_273_applicants_spread_evenly_over_the_lines(profile) -> None:  # type: ignore[no-untyped-def]
    day = dt.date(2026, 11, 26)
    ids = [f"A-{n:04d}" for n in range(1, 274)]
    batch = T.choose_many(day, "interview_invitation", ids, profile=profile)
    report = T.explain(day, "interview_invitation", profile=profile)
    for role in ("opening", "closing", "town"):
        seasonal = [c.id for c in report.considered if c.role == role and c.eligible and not c.fallback]
        seasonal = seasonal or [c.id for c in report.eligible(role)]  # type: ignore[arg-type]
        counts = Counter(getattr(choice, role).id for choice in batch)
        assert set(counts) == set(seasonal), role
        assert max(counts.values()) - min(counts.values()) <= 1, (role, counts)
    # One applicant at a time (no batch known) is uniform in expectation: no line gets less
    # than half or more than one and a half times its share.
    single = Counter(T.choose(day, "interview_invitation", candidate_id=c, profile=profile).opening.id
                     for c in ids)
    share = len(ids) / len(single)
    assert len(single) >= 3
    assert all(0.5 * share <= n <= 1.5 * share for n in single.values()), single


def test_batch_spread_respects_history(profile) -> None:  # type: ignore[no-untyped-def]
    day = dt.date(2026, 11, 26)
    ids = [f"A-{n:04d}" for n in range(1, 101)]
    histories = {cid: {"shosetsu-calendar"} for cid in ids[:50]}
    batch = T.choose_many(day, "interview_invitation", ids, histories=histories, profile=profile)
    for cid, choice in zip(ids, batch, strict=True):
        assert choice.opening is not None
        assert choice.opening.id not in histories.get(cid, set())


def _reference_batch(day: dt.date, kind: str, ids: list[str], result: str | None,
                     histories: dict[str, set[str]], profile) -> list[T.TopicChoice]:  # type: ignore[no-untyped-def]
    """choose_many's documented rule written plainly (no precomputation, no fast paths)."""
    pools = C._pools(day, kind, result, C.town_cache_key(profile))
    used = [frozenset(histories.get(c, ())) for c in ids]

    def assign(tiers, avoid, role, reuse=False):  # type: ignore[no-untyped-def]
        seeds = [C._seed(c, kind, day, role) for c in ids]
        picks = [None] * len(ids)
        waiting = sorted(range(len(ids)), key=lambda i: (seeds[i], ids[i]))
        passes = [(t, False) for t in tiers] + ([(t, True) for t in tiers if t] if reuse else [])
        for options, ignore in passes:
            n = len(options)
            if n == 0 or not waiting:
                continue
            allowed = {i: ok for i in waiting if (ok := [
                j for j in range(n) if ignore
                or (options[j].id not in used[i] and not options[j].tags & avoid[i])])}
            offset = seeds[waiting[0]] % n
            total = len(allowed)
            quota = [total // n + ((j - offset) % n < total % n) for j in range(n)]
            count = [0] * n
            # Those left fewer options choose first (in hash order), then everyone else.
            narrow = [i for i in waiting if i in allowed and len(allowed[i]) < n]
            for i in narrow + [i for i in waiting if i not in narrow]:
                if i in allowed:
                    ring = sorted(allowed[i], key=lambda j: (j - seeds[i] % n) % n)  # noqa: B023
                    free = [j for j in ring if count[j] < quota[j]]
                    chosen = free[0] if free else min(ring, key=lambda j: count[j])  # noqa: B023
                    count[chosen] += 1
                    picks[i] = C._topic(options[chosen], seeds[i])
            if ignore:
                break
            waiting = [i for i in waiting if i not in allowed]
        return picks

    # The themes each applicant read: never a second line of one (closings included).
    read = C._themes_read(used, C.town_cache_key(profile))
    towns = assign(pools.town, read, "town")
    openings = assign(pools.opening, [r | C._tags_of(pools.town, t) for r, t in zip(read, towns, strict=True)],
                      "opening")
    after = [r | ({C._theme_tag(o.theme)} if o else frozenset()) for r, o in zip(read, openings, strict=True)]
    closings = assign(pools.closing, after, "closing")
    return [T.TopicChoice(o, t, c) for o, t, c in zip(openings, towns, closings, strict=True)]


def test_batch_matches_the_plain_rule_with_and_without_history(profile) -> None:  # type: ignore[no-untyped-def]
    # choose_many precomputes and takes fast paths; it must give exactly the plain rule's picks,
    # including applicants whose history, themes or town topic rule lines out.
    ids = [f"B-{n:03d}" for n in range(90)]
    for day in (dt.date(2026, 2, 3), dt.date(2026, 4, 25), dt.date(2026, 8, 10), dt.date(2026, 11, 26)):
        for kind, result in (("interview_invitation", None), ("screening_result", "passed"),
                             ("final_result", "not_passed")):
            pools = C._pools(day, kind, result, C.town_cache_key(profile))
            every = sorted(o.id for role in (pools.opening, pools.town, pools.closing)
                           for tier in role for o in tier)
            histories = {c: set(every[k % len(every):][:k % 4]) for k, c in enumerate(ids[:30])}
            histories.update({c: set(every) for c in ids[30:40]})
            histories.update({c: {"some-old-topic"} for c in ids[40:50]})
            for hist in ({}, histories):
                expected = _reference_batch(day, kind, ids, result, hist, profile)
                got = T.choose_many(day, kind, ids, result=result, histories=hist, profile=profile)
                assert got == expected, (day, kind, result, bool(hist))
                as_lists = {c: sorted(h) for c, h in hist.items()}
                assert T.choose_many(day, kind, ids, result=result, histories=as_lists,
                                     profile=profile) == expected


def test_choice_is_deterministic(profile) -> None:  # type: ignore[no-untyped-def]
    args = (dt.date(2026, 6, 10), "application_received")
    first = T.choose(*args, candidate_id="A-0042", profile=profile)
    assert first == T.choose(*args, candidate_id="A-0042", profile=profile)
    days = [dt.date(2026, 6, 10) + dt.timedelta(days=i) for i in range(5)]
    picks = {T.choose(d, args[1], candidate_id="A-0042", profile=profile).opening for d in days}
    assert len(picks) > 1  # the date is part of the hash


@pytest.mark.slow
def test_choice_is_the_same_in_another_process(profile) -> None:  # type: ignore[no-untyped-def]
    code = ("import datetime as dt; from kizuna.profile import load_profile; from kizuna.topics import choose;"
            "c = choose(dt.date(2026, 11, 26), 'interview_invitation', candidate_id='A-0001', "
            "profile=load_profile()); print([t.id + '|' + t.text for t in c.topics])")
    outputs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2")
    }
    here = T.choose(dt.date(2026, 11, 26), "interview_invitation", candidate_id="A-0001", profile=profile)
    assert outputs == {str([t.id + "|" + t.text for t in here.topics]) + "\n"}


# --- bad input ------------------------------------------------------------------------------------


BAD_TOWN = """
[town]
id = "badtown"
name = "だめ町"

[[topic]]
id = "fes"
kind = "festival"
tone = "loud"
window = { from = "04-31", to = "05-05" }
lines = ["祭りです。"]
source = "x"

[[topic]]
id = "fes"
kind = "food"
tone = "neutral"
window = { month = 8, weekday = "fri", nth = 6, days = 3 }
lines = ["一文目です。二文目です。"]
lead_days = 7
source = "x"

[[topic]]
id = "never"
kind = "landscape"
tone = "gentle"
window = { month = 13, weekday = "someday", nth = 1, days = 0 }
lines = ["景色です。"]

[[climate]]
id = "cold"
tags = ["no-such-tag"]
suppress = { from = "02-30", to = "03-10" }
"""


def test_malformed_town_file_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_TOWN, encoding="utf-8")
    with pytest.raises(TopicFileError) as caught:
        T.load_town_file(path)
    problems = caught.value.problems
    expected = [
        ("fes", "tone"), ("fes", "window.from"), ("fes", "id"), ("fes", "window.nth"),
        ("fes", "lines[0]"), ("fes", "lead"), ("never", "window.month"), ("never", "window.weekday"),
        ("never", "window.days"), ("never", "source"), ("cold", "tags"), ("cold", "suppress.from"),
    ]
    for entry, key in expected:
        assert any(p.startswith(f"{entry}, key '{key}'") for p in problems), (entry, key, problems)
    assert any("duplicate id" in p for p in problems)
    assert any("never occurs" in p for p in problems)
    assert caught.value.path == str(path)


def test_malformed_season_file_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "lines.toml"
    path.write_text("""
[[line]]
id = "a"
term = "春眠"
tone = "neutral"
text = "春です。"

[[line]]
id = "a"
term = "小寒"
days = [16, 20]
tone = "festive"
role = "closing"
text = "寒いです"

[[line]]
id = "Bad Id"
dates = ["01-01", "13-01"]
tone = "neutral"
text = "年始です。"
colour = "red"
""", encoding="utf-8")
    with pytest.raises(TopicFileError) as caught:
        T.load_season_file(path)
    problems = caught.value.problems
    for entry, key in [("a", "term"), ("a", "id"), ("a", "days"), ("a", "tone"), ("a", "text"),
                       ("line #3", "id"), ("line #3", "dates[1]"), ("line #3", "colour")]:
        assert any(p.startswith(f"{entry}, key '{key}'") for p in problems), (entry, key, problems)


def test_unknown_kind_result_or_town(profile, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError):
        T.choose(dt.date(2026, 5, 1), "no_such_kind", candidate_id="A", profile=profile)
    with pytest.raises(InputError):
        T.choose(dt.date(2026, 5, 1), "final_result", result="maybe", candidate_id="A", profile=profile)
    other = parse_profile(sample_profile_text().replace('town = "kitakami"', 'town = "atlantis"'),
                          source="p.toml")
    with pytest.raises(TopicFileError, match="atlantis"):
        T.choose(dt.date(2026, 5, 1), "final_result", candidate_id="A", profile=other)


def test_an_edited_user_town_file_is_read_again(tmp_path: Path) -> None:
    head = '[town]\nid = "mytown"\nname = "わがまち"\n'
    own = profile_with_town(tmp_path, head)
    assert T.town_for(own).topics == ()
    (tmp_path / "mytown.toml").write_text(head + """
[[topic]]
id = "river"
kind = "landscape"
tone = "gentle"
window = { from = "01-01", to = "12-31" }
lines = ["わがまちには大きな川が流れております。", "わがまちの川は、季節ごとに表情を変えます。"]
source = "town office"
""", encoding="utf-8")
    assert [t.id for t in T.town_for(own).topics] == ["river"]


# --- explain and the CLI ----------------------------------------------------------------------


def test_explain_gives_reasons(profile) -> None:  # type: ignore[no-untyped-def]
    day = dt.date(2026, 11, 26)
    report = T.explain(day, "interview_invitation", candidate_id="A-1",
                       history={"shosetsu-calendar"}, profile=profile)
    reasons = {c.id: c.reason for c in report.considered}
    assert reasons["shosetsu-calendar"] == C.ALREADY_USED
    assert reasons["kanro-calendar"] == C.OUT_OF_SEASON
    assert reasons["ritto-koyo-peak"] == C.OUT_OF_SEASON
    assert report.choice.opening is not None
    assert [c.id for c in report.considered if c.picked] == [t.id for t in report.choice.topics]
    gentle = T.explain(day, "screening_result", result="not_passed", profile=profile)
    assert all("wrong tone" in c.reason for c in gentle.considered
               if c.role in ("opening", "town") and c.reason not in (C.OUT_OF_SEASON, C.OTHER_TOWN))
    assert gentle.to_dict()["pick"][0]["role"] == "closing"


def test_cli_topics_explains_the_pick(runner) -> None:  # type: ignore[no-untyped-def]
    from kizuna.cli import cli

    result = runner.invoke(cli, ["topics", "--date", "2026-11-26", "--kind", "interview_invitation"])
    assert result.exit_code == 0, result.output
    assert "小雪 day 4" in result.output
    assert "opening:" in result.output and "closing:" in result.output and "eligible" in result.output
    not_passed = runner.invoke(cli, ["topics", "--date", "2026-12-03", "--kind", "screening_result",
                                     "--result", "not_passed", "--format", "json"])
    data = json.loads(not_passed.output)
    assert [t["role"] for t in data["pick"]] == ["closing"]
    assert runner.invoke(cli, ["topics"]).exit_code == 2


def test_cli_topics_reads_history_from_the_log(runner, db_path: Path, yamada: Candidate, profile) -> None:  # type: ignore[no-untyped-def]
    from kizuna.cli import cli
    from kizuna.log import Log

    day = dt.date(2026, 11, 26)
    # No database yet: the command works and does not create one.
    first = runner.invoke(cli, ["topics", "--date", day.isoformat(), "--kind", "interview_invitation",
                                "--candidate", yamada.id, "--format", "json"])
    assert first.exit_code == 0, first.output
    assert not db_path.exists()
    picked = json.loads(first.output)["pick"]
    choice = T.choose(day, "interview_invitation", candidate_id=yamada.id, profile=profile)
    message = Message(kind="interview_invitation", candidate=yamada, date=day, subject="s", body="b",
                      topics=choice.topics)
    with Log.open(db_path) as log:
        log.record_outbound(message)
    second = runner.invoke(cli, ["topics", "--date", day.isoformat(), "--kind", "interview_invitation",
                                 "--candidate", yamada.id, "--format", "json"])
    data = json.loads(second.output)
    used = {c["id"]: c["reason"] for c in data["considered"]}
    for topic in picked:
        if topic["role"] != "closing":
            assert used[topic["id"]] == C.ALREADY_USED
    assert not {t["id"] for t in data["pick"] if t["role"] != "closing"} & {t["id"] for t in picked}


def test_cli_topics_check(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from kizuna.cli import cli

    good = runner.invoke(cli, ["topics", "check", "seasonal_topics/towns/kitakami.toml"])
    assert good.exit_code == 0 and good.output.startswith("OK: ")
    seasons_ok = runner.invoke(cli, ["topics", "check", "seasonal_topics/solar_terms.toml"])
    assert seasons_ok.exit_code == 0 and "OK: " in seasons_ok.output
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD_TOWN, encoding="utf-8")
    result = runner.invoke(cli, ["topics", "check", str(bad)])
    assert result.exit_code == 1
    assert "fes, key 'tone'" in result.output and "cold, key 'tags'" in result.output
    assert result.output.count("  - ") >= 12
    broken = tmp_path / "broken.toml"
    broken.write_text("[town\n", encoding="utf-8")
    assert runner.invoke(cli, ["topics", "check", str(broken)]).exit_code == 1
