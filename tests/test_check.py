"""kizuna.check: every rule found where it was planted, no false alarm on a year of our own
drafts, the profile's [check] switches, and drafts read from text, .eml and JSON files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from kizuna.check import Checker, check_message, check_text, message_text, read_drafts
from kizuna.check_rules import RULES
from kizuna.compose import Composer
from kizuna.errors import InputError, ProfileError
from kizuna.models import JST, Candidate, Conversation, Slot, Topic
from kizuna.profile import load_profile, parse_profile, sample_profile_text
from kizuna.slots import propose, reply_deadline
from kizuna.topics import choose

PROFILE = load_profile()
ON = dt.date(2026, 11, 26)  # a Thursday
YAMADA = Candidate(id="A-0001", name="山田 太郎")

HEAD = "件名：【北上市】第2次試験（一次面接）日程のご案内\n\n山田 太郎 様\n\n北上市役所 企画部の北上 花子です。\n"
NOT_PASSED = ("件名：【北上市】第1次試験（書類選考）結果のご連絡\n\n山田 太郎 様\n\n"
              "慎重に選考を進めましたが、今回はご希望に添いかねる結果となりました。\n")


def findings(text: str, **kwargs: object) -> set[tuple[str, int, int]]:
    kwargs.setdefault("on", ON)
    kwargs.setdefault("candidate", YAMADA)
    return {(f.rule, f.line, f.column) for f in check_text(text, PROFILE, **kwargs)}  # type: ignore[arg-type]


def test_the_planting_grounds_are_clean() -> None:
    assert findings(HEAD + "ご確認をお願いいたします。\n") == set()
    assert findings(NOT_PASSED + "今後のご活躍を心よりお祈り申し上げます。\n") == set()


# (rule, the line planted as line 6 (after HEAD) or line 5 (after NOT_PASSED), what it points at,
#  extra keyword arguments)
PLANTED = [
    ("person.other", "先日は佐藤 花子さんからご紹介いただきました。", "佐藤 花子", {"others": ["佐藤 花子"]}),
    ("person.name", "鈴木様には次の試験にお進みいただきます。", "鈴木様", {}),
    ("date.weekday", "面接は12月5日（金）18:00からです。", "12月5日（金）", {}),
    ("date.weekday", "面接は2026年12月5日(金曜日)18:00からです。", "2026年12月5日(金曜日)", {}),
    ("date.weekday", "面接は令和8年１２月５日（金）１８：００からです。", "令和8年１２月５日（金）", {}),
    ("date.invalid", "書類は2月30日に届きました。", "2月30日", {}),
    ("date.closed", "面接は1月11日（月）18:00からです。", "1月11日（月）", {}),  # 成人の日 2027
    ("date.closed", "面接は12月30日（水）10:00からです。", "12月30日（水）", {}),  # the closure
    ("date.relative", "明日（12月1日）の面接について、念のためご案内いたします。", "明日", {}),
    ("date.relative", "本日の面接について、念のためご案内いたします。", "本日",
     {"booking": Slot(dt.datetime(2026, 12, 5, 10, tzinfo=JST), dt.datetime(2026, 12, 5, 11, tzinfo=JST))}),
    ("date.deadline", "11月20日（金）までにご返信ください。", "11月20日（金）", {}),
    ("date.past", "面接は11月24日（火）18:00からです。", "11月24日（火）", {}),
    ("keigo.double", "資料はご覧になられましたか。", "ご覧になられ", {}),
    ("keigo.double", "書類を拝見させていただきました。", "拝見させていただ", {}),
    ("keigo.double", "面接官がおっしゃられた内容です。", "おっしゃられ", {}),
    ("keigo.ryokai", "日程の件、了解しました。", "了解しました", {}),
    ("keigo.misuse", "遠方からのお越し、ご苦労様です。", "ご苦労様", {}),
    ("keigo.misuse", "書類をご確認してください。", "ご確認してください", {}),
    ("keigo.mixed", "面接は一時間ほどである。", "である", {}),
    ("leftover.template", "{{ deadline }}までにご返信ください。", "{{ deadline }}", {}),
    ("leftover.template", "{% if online %}URLをお送りします。", "{% if online %}", {}),
    ("leftover.placeholder", "〇〇までお越しください。", "〇〇", {}),
    ("leftover.placeholder", "会場はXX会議室です。", "XX", {}),
    ("leftover.placeholder", "××日までにお知らせください。", "××", {}),
    ("leftover.todo", "TODO: 会場を確認する。", "TODO", {}),
    ("leftover.brackets", "「」をご確認ください。", "「」", {}),
    ("leftover.brackets", "会場は【】です。", "【】", {}),
    ("mail.charset", "㈱北上の者です。", "㈱", {"charset": "iso-2022-jp"}),
    ("mail.charset", "文字化け\ufffdがあります。", "\ufffd", {}),
    ("mail.kana", "ﾒｰﾙでご連絡ください。", "ﾒｰﾙ", {}),
    ("mail.line_length", "あ" * 400, "あ", {}),
]


@pytest.mark.parametrize(("rule", "line", "needle", "extra"), PLANTED, ids=[p[0] for p in PLANTED])
def test_each_rule_finds_what_was_planted_at_its_line_and_column(
    rule: str, line: str, needle: str, extra: dict[str, object]
) -> None:
    found = findings(HEAD + line + "\n", **extra)
    assert (rule, 6, line.index(needle) + 1) in found, found


NOT_PASSED_PLANTED = [
    ("tone.festival", "北上・みちのく芸能まつりにもぜひお越しください。", "まつり"),
    ("tone.festival", "KitaComing!　https://www.city.kitakami.iwate.jp/", "KitaComing!"),
    ("tone.cheer", "またお会いできるのを楽しみにしております。", "楽しみ"),
    ("tone.cheer", "新しい門出をお祝い申し上げます。", "お祝い"),
    ("tone.exclamation", "ご応募ありがとうございました！", "！"),
]


@pytest.mark.parametrize(("rule", "line", "needle"), NOT_PASSED_PLANTED, ids=[p[0] for p in NOT_PASSED_PLANTED])
def test_tone_rules_find_cheer_and_festivals_in_a_not_passed_notice(rule: str, line: str, needle: str) -> None:
    assert (rule, 6, line.index(needle) + 1) in findings(NOT_PASSED + line + "\n")
    # Told by its wording here; given as the result, the same.
    assert (rule, 6, line.index(needle) + 1) in findings(NOT_PASSED + line + "\n", result="not_passed")
    # The same line in an invitation is fine.
    assert rule not in {r for r, _, _ in findings(HEAD + line + "\n")}


def test_tone_topic_finds_a_festive_town_line_the_kind_does_not_allow() -> None:
    line = "北上展勝地では、例年4月の半ばから「さくらまつり」が開かれます。"
    festive = Topic("kitakami:sakura", "town", "town", "festive", line)
    found = findings(NOT_PASSED + line + "\n", kind="screening_result", result="not_passed", topics=[festive])
    assert ("tone.topic", 6, 1) in found
    # A town line in a reminder (the kind allows none) is refused too; in an invitation it is welcome.
    reminder = findings(HEAD + line + "\n", kind="interview_reminder", topics=[festive])
    assert ("tone.topic", 6, 1) in reminder
    assert "tone.topic" not in {r for r, _, _ in findings(HEAD + line + "\n", kind="interview_invitation",
                                                           topics=[festive])}


def test_public_naitei_and_gokaku() -> None:
    composer = Composer(PROFILE)
    passed = composer.compose("final_result", YAMADA, on=ON, result="passed")
    assert check_message(passed, PROFILE) == []  # 「採用内定のご連絡は、あらためて」 is a later step
    told = dataclasses.replace(passed, body=passed.body.replace("最終合格となりました", "採用内定となりました"))
    text = message_text(told)
    line = text.splitlines().index(next(x for x in text.splitlines() if "採用内定となりました" in x)) + 1
    column = text.splitlines()[line - 1].index("内定") + 1
    assert ("public.naitei", line, column) in {(f.rule, f.line, f.column) for f in check_message(told, PROFILE)}
    # Without a kind, in a text that announces a pass.
    line = "選考の結果、山田様は採用内定となりました。"
    assert ("public.naitei", 6, line.index("内定") + 1) in findings(HEAD + line + "\n")
    # Not in a not-passed notice (no 内定 is announced there).
    assert findings(NOT_PASSED + "今回は採用内定には至りませんでした。\n") == set()
    # A private employer's 内定 is its final pass.
    private = parse_profile(sample_profile_text().replace("public_sector = true", "public_sector = false")
                            .replace('final_pass = "最終合格"', 'final_pass = "内定"'), source="p.toml")
    assert check_text(HEAD + "選考の結果、山田様は内定となりました。\n", private, on=ON, candidate=YAMADA) == []
    # 最終合格 in a screening result (a stage passed is 通過).
    screening = composer.compose("screening_result", YAMADA, on=ON, result="passed")
    wrong = dataclasses.replace(screening, body=screening.body.replace("を通過されました", "で最終合格されました"))
    assert "public.gokaku" in {f.rule for f in check_message(wrong, PROFILE)}
    line = "書類選考で最終合格された方に、ご案内しております。"
    assert ("public.gokaku", 6, line.index("最終合格") + 1) in findings(
        HEAD + line + "\n", kind="screening_result", result="passed")


def test_person_atena_missing_malformed_or_partial() -> None:
    body = "\n\n北上市役所の北上 花子です。\n"
    subject = "件名：【北上市】ご応募を受け付けました"
    assert ("person.atena", 3, 1) in findings(subject + "\n\n山田 太郎 殿" + body)
    assert ("person.atena", 3, 1) in findings(subject + "\n\n山田 太郎 様様" + body)
    assert ("person.atena", 3, 1) in findings(subject + "\n\n山田 太郎" + body)
    assert ("person.atena", 3, 1) in findings(subject + "\n\n山田 様" + body)  # the full name belongs there
    assert ("person.atena", 3, 1) in findings(subject + body)  # no 宛名 at all
    # Another person in the 宛名 is person.name.
    assert ("person.name", 3, 1) in findings(subject + "\n\n佐藤 花子 様" + body)
    # Without the applicant given, the 宛名 says who it is, and the body must agree.
    assert ("person.name", 6, 1) in findings(HEAD + "佐藤様には次の試験にお進みいただきます。\n", candidate=None)
    assert findings(HEAD + "山田様には次の試験にお進みいただきます。\n", candidate=None) == set()


def test_words_before_sama_that_are_not_names_are_left_alone() -> None:
    text = HEAD + "皆様、お客様、ご担当者様、応募者様へ。空模様が気になります。様々な方がいらっしゃいます。\n"
    assert findings(text) == set()


def test_relative_dates_against_the_send_date() -> None:
    slot = Slot(dt.datetime(2026, 11, 27, 18, tzinfo=JST), dt.datetime(2026, 11, 27, 19, tzinfo=JST))
    reminder = "件名：【北上市】明日の第2次試験（一次面接）について\n\n山田 太郎 様\n\n明日の面接についてご案内します。\n"
    assert findings(reminder, booking=slot) == set()
    wrong = findings(reminder, booking=slot, on=ON - dt.timedelta(days=1))
    assert ("date.relative", 1, len("件名：【北上市】") + 1) in wrong and ("date.relative", 5, 1) in wrong
    # 明日 that names no interview and no date is left alone (節分: 明日からは暦の上で春).
    assert findings(HEAD + "節分を迎え、明日からは暦の上で春となります。\n", booking=slot) == set()


def test_years_are_taken_nearest_the_send_date() -> None:
    # Sent on 2026-12-20: 1月5日 is 2027-01-05, a Tuesday.
    text = HEAD + "面接は1月5日（火）18:00からです。\n"
    assert findings(text, on=dt.date(2026, 12, 20)) == set()
    assert ("date.weekday", 6, 4) in findings(HEAD + "面接は1月5日（月）18:00からです。\n", on=dt.date(2026, 12, 20))


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_year_of_our_own_drafts_has_no_findings(language: str) -> None:
    """Every built-in kind and result, for both interview stages, on every day of 2026, in
    Japanese and in English (the English topics, the English rules of the checker), the nudge
    (reply_reminder) both days before its deadline and on it."""
    who = YAMADA if language == "ja" else Candidate(id="E-0001", name="Emma Brown", language="en")
    composer, checker = Composer(PROFILE), Checker(PROFILE)
    interviews = [s for s in PROFILE.stages if s.format]
    policy = PROFILE.slots
    day, checked, problems = dt.date(2026, 1, 1), 0, []
    while day.year == 2026:
        messages = []
        for kind, results in (("application_received", [None]), ("screening_result", ["passed", "not_passed"]),
                              ("final_result", ["passed", "not_passed"]), ("offer", [None]),
                              ("pre_arrival_guide", [None])):
            for result in results:
                topics = choose(day, kind, result=result, candidate_id=who.id, profile=PROFILE, language=language).topics
                messages.append((composer.compose(kind, who, on=day, result=result, topics=topics), None))
        deadline = reply_deadline(policy, day, PROFILE.reply_deadline_days)
        offered = propose(policy, day, policy.offer_count,
                          now=dt.datetime.combine(day, dt.time(0), tzinfo=JST), after=deadline)
        tomorrow = day + dt.timedelta(days=1)
        open_tomorrow = policy.day_kind(tomorrow) in ("weekday", "weekend")
        for stage in interviews:
            for kind, slots, booked in (
                ("interview_invitation", offered, None), ("interview_confirmation", offered[:1], offered[0]),
                ("reply_reminder", offered, None),
            ):
                topics = choose(day, kind, candidate_id=who.id, profile=PROFILE, language=language).topics
                messages.append((composer.compose(kind, who, on=day, stage=stage.id, topics=topics,
                                                  slots=slots, deadline=deadline if kind != "interview_confirmation"
                                                  else None), booked))
            # The nudge on its deadline day, repeating the two options still held (① and ③).
            topics = choose(day, "reply_reminder", candidate_id=who.id, profile=PROFILE, language=language).topics
            held = Conversation(offered_numbers=(1, 3))
            messages.append((composer.compose("reply_reminder", who, on=day, stage=stage.id,
                                              topics=topics, slots=[offered[0], offered[-1]],
                                              deadline=day, conversation=held), None))
            if open_tomorrow:
                times = policy.weekend_times if policy.day_kind(tomorrow) == "weekend" else policy.weekday_times
                start = dt.datetime.combine(tomorrow, times[0], tzinfo=JST)
                slot = Slot(start, start + policy.duration)
                topics = choose(day, "interview_reminder", candidate_id=who.id, profile=PROFILE, language=language).topics
                # An online interview's reminder carries its meeting URL (refused without one).
                meeting = Conversation(meeting_url="https://meet.example.jp/kizuna-test", chosen=1)
                messages.append((composer.compose("interview_reminder", who, on=day, stage=stage.id,
                                                  topics=topics, slots=[slot],
                                                  conversation=meeting), slot))
        for message, booking in messages:
            checked += 1
            for finding in checker.check_message(message, booking=booking):
                problems.append(f"{day} {message.kind} {message.result}: {finding}")
            # As an ISO-2022-JP email with --fix, too (① and the like are replaced): one day a week.
            if day.toordinal() % 7 == 0:
                for finding in checker.check_message(message, booking=booking, charset="iso-2022-jp",
                                                     fix=True):
                    problems.append(f"{day} {message.kind} {message.result} iso-2022-jp: {finding}")
        day += dt.timedelta(days=1)
    assert checked > 4000
    assert problems == []
    assert {m.language for m, _ in messages} == {language}


def test_kept_findings_are_those_of_a_fresh_check() -> None:
    """A batch reuses what it found for the text without the name: the same findings as a
    checker that never saw the text, whatever the name."""
    composer = Composer(PROFILE)
    shared = Checker(PROFILE)
    names = ["山田 太郎", "〇〇 太郎", "佐藤 花子", "ﾔﾏﾀﾞ ﾀﾛｳ", "髙橋 一郎", "{{ name }}", "花火 明日香", "XX"]
    for kind, result in (("screening_result", "not_passed"), ("final_result", "passed")):
        template = composer.compose(kind, Candidate(id="S-1", name="山田 太郎"), on=ON, result=result)
        edited = dataclasses.replace(template, body=template.body + "\n12月5日（金）18:00にお越しください。了解しました！\n")
        for base in (template, edited):
            for name in names:
                person = Candidate(id="S-1", name=name)
                message = dataclasses.replace(base, candidate=person,
                                              body=base.body.replace("山田 太郎", name).replace("山田様", name.split()[0] + "様"),
                                              subject=base.subject.replace("山田 太郎", name))
                for charset in ("utf-8", "iso-2022-jp"):
                    again = shared.check_message(message, charset=charset)
                    assert again == Checker(PROFILE).check_message(message, charset=charset)
    # The name is data: a name that reads as a festival or a relative date is no finding...
    festive = dataclasses.replace(template, candidate=Candidate(id="S-1", name="花火 明日香"),
                                  body=template.body.replace("山田 太郎", "花火 明日香").replace("山田様", "花火様"))
    assert check_message(festive, PROFILE) == []
    # ... but a placeholder left in the applicant file is, at every place the name stands.
    placeholder = dataclasses.replace(template, candidate=Candidate(id="S-1", name="〇〇 太郎"),
                                      body=template.body.replace("山田 太郎", "〇〇 太郎").replace("山田様", "〇〇様"))
    spots = [(f.line, f.column) for f in check_message(placeholder, PROFILE) if f.rule == "leftover.placeholder"]
    lines = message_text(placeholder).splitlines()
    assert spots == [(n + 1, line.index("〇〇") + 1) for n, line in enumerate(lines) if "〇〇" in line]
    assert len(spots) >= 2


def test_texts_that_differ_by_family_name_are_checked_once() -> None:
    """The body addresses the applicant as 山田様: with a different family name in each row
    (as in any real batch), the text without the names is the same, and is checked once."""
    composer = Composer(PROFILE)
    checker = Checker(PROFILE)
    families = ["山田", "佐藤", "北上", "花火", "明日", "ﾔﾏﾀﾞ", "〇〇", "髙橋"]
    for family in families:
        person = Candidate(id="S-1", name=f"{family} 太郎")
        message = composer.compose("screening_result", person, on=ON, result="passed")
        assert f"{family}様" in message.body
        found = checker.check_message(message)
        assert found == Checker(PROFILE).check_message(message)
        text = message_text(message)
        if family in ("ﾔﾏﾀﾞ", "〇〇"):
            # A finding inside the family name is reported at each place it stands.
            lines = text.splitlines()
            rule = "mail.kana" if family == "ﾔﾏﾀﾞ" else "leftover.placeholder"
            spots = sorted({(f.line, f.column) for f in found if f.rule == rule})
            expected = sorted({(n + 1, line.index(family) + 1) for n, line in enumerate(lines)
                               if family in line})
            assert spots == expected and len(spots) >= 2
        else:
            # A name that reads as a town, a festival or a relative date is data, not a finding.
            assert found == [], (family, found)
    assert len(checker._memo) == 1


def test_one_draft_is_checked_with_many_other_names_in_the_log() -> None:
    composer = Composer(PROFILE)
    message = composer.compose("screening_result", YAMADA, on=ON, result="passed")
    others = [f"応募 {n:05d}" for n in range(5000)] + ["佐藤 花子"]
    assert check_message(message, PROFILE, others=others) == []
    mixed = dataclasses.replace(message, body=message.body.replace("山田様は", "佐藤花子様は", 1))
    rules = [f.rule for f in check_message(mixed, PROFILE, others=others)]
    assert "person.other" in rules


# --- the profile's [check] table ---------------------------------------------------------------


def profile_with(table: str) -> str:
    return sample_profile_text().replace("[check]\ndisable = []", "[check]\n" + table)


def test_rules_are_switched_off_or_made_warnings_in_the_profile() -> None:
    text = HEAD + "日程の件、了解しました。面接は12月5日（金）18:00からです。\n"
    assert {f.rule for f in check_text(text, PROFILE, on=ON)} == {"keigo.ryokai", "date.weekday"}
    off = parse_profile(profile_with('disable = ["keigo.ryokai"]'), source="p.toml")
    assert {f.rule for f in check_text(text, off, on=ON)} == {"date.weekday"}
    category = parse_profile(profile_with('disable = ["keigo", "date"]'), source="p.toml")
    assert check_text(text, category, on=ON) == []
    softer = parse_profile(profile_with('disable = []\n[check.severity]\n"date.weekday" = "warning"\n'
                                        'keigo = "error"'), source="p.toml")
    severities = {f.rule: f.severity for f in check_text(text, softer, on=ON)}
    assert severities == {"keigo.ryokai": "error", "date.weekday": "warning"}


@pytest.mark.parametrize(("table", "key"), [
    ('disable = ["keigo.ryoukai"]', "check.disable[0]"),
    ('disable = ["date.weekday", "tone.cheerful"]', "check.disable[1]"),
    ('disable = []\n[check.severity]\n"keigo.mix" = "error"', "check.severity.keigo.mix"),
])
def test_an_unknown_rule_id_names_the_key_and_the_valid_ids(table: str, key: str) -> None:
    with pytest.raises(ProfileError) as caught:
        parse_profile(profile_with(table), source="p.toml")
    assert caught.value.field == key
    assert all(rule_id in str(caught.value) for rule_id in RULES)


def test_bad_check_values_are_refused() -> None:
    with pytest.raises(ProfileError, match="error.*warning") as caught:
        parse_profile(profile_with('disable = []\n[check.severity]\n"keigo.mixed" = "fatal"'), source="p.toml")
    assert caught.value.field == "check.severity.keigo.mixed"
    with pytest.raises(ProfileError) as caught:
        parse_profile(profile_with('disable = "keigo"'), source="p.toml")
    assert caught.value.field == "check.disable"
    with pytest.raises(ProfileError) as caught:
        parse_profile(profile_with("disable = []\nenable = []"), source="p.toml")
    assert caught.value.field == "check.enable"


# --- drafts from files ------------------------------------------------------------------------------


def test_text_eml_and_json_drafts_are_read(tmp_path: Path) -> None:
    from kizuna.output import as_bytes, to_email

    message = Composer(PROFILE).compose("screening_result", Candidate(id="A-1", name="山田 太郎",
                                                                       email="taro@example.jp"),
                                        on=ON, result="passed")
    text_file = tmp_path / "draft.txt"
    text_file.write_text(message_text(message), encoding="utf-8")
    sjis = tmp_path / "sjis.txt"
    sjis.write_bytes(message_text(message).encode("cp932"))
    eml = tmp_path / "draft.eml"
    eml.write_bytes(as_bytes(to_email(message, PROFILE, charset="iso-2022-jp",
                                      now=dt.datetime(2026, 11, 26, 9, tzinfo=JST))))
    js = tmp_path / "draft.json"
    js.write_text(json.dumps(message.to_dict(), ensure_ascii=False), encoding="utf-8")
    jsonl = tmp_path / "messages.jsonl"
    jsonl.write_text("\n".join(json.dumps(message.to_dict(), ensure_ascii=False) for _ in range(3)) + "\n",
                     encoding="utf-8")
    for path in (text_file, sjis, eml, js):
        (draft,) = read_drafts(str(path))
        assert draft.text.replace("\r", "") == message_text(message), path
    (mail,) = read_drafts(str(eml))
    assert (mail.charset, mail.on, mail.candidate and mail.candidate.name) == ("iso-2022-jp", ON, "山田 太郎")
    (from_json,) = read_drafts(str(js))
    assert from_json.message is not None and from_json.message.kind == "screening_result"
    assert [d.source for d in read_drafts(str(jsonl))] == [f"{jsonl}[{i}]" for i in range(3)]
    assert read_drafts("-", stdin=message_text(message).encode())[0].text == message_text(message)


@pytest.mark.parametrize(("content", "says"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    ("件名：テスト\n本文".encode("utf-16"), "binary file"),
    (b"\xff\xfe\xfa\xfb broken", "unknown encoding"),
    (b'{"body": 3}', "draft object"),
    (b'{"body": "x", ', "Not valid JSON"),
])
def test_bad_files_are_one_clear_error_naming_the_file(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / ("bad.json" if content.startswith(b"{") else "bad.txt")
    path.write_bytes(content)
    with pytest.raises(InputError, match=says) as caught:
        read_drafts(str(path))
    assert caught.value.path == str(path)
    assert str(path) in str(caught.value)


def test_missing_folder_and_unknown_eml_charset(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_drafts(str(tmp_path / "nope.txt"))
    with pytest.raises(InputError, match="folder"):
        read_drafts(str(tmp_path))
    eml = tmp_path / "odd.eml"
    eml.write_bytes(b"Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nqapla'\r\n")
    with pytest.raises(InputError, match="unknown encoding") as caught:
        read_drafts(str(eml))
    assert caught.value.path == str(eml)
