"""Slot policy, proposals over real 2026 calendars, reply deadlines and reading replies."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from kizuna.calendar import OfficeCalendar
from kizuna.errors import InputError, ProfileError, SlotError
from kizuna.models import JST, Slot
from kizuna.profile import load_profile
from kizuna.slots import (
    SlotPolicy,
    circled,
    format_slot,
    local_time_note,
    parse_choice,
    propose,
    reply_deadline,
)

D = dt.date
NINE_HOURS = dt.timedelta(hours=9)


def at(y: int, m: int, d: int, hh: int, mm: int = 0, minutes: int = 60) -> Slot:
    start = dt.datetime(y, m, d, hh, mm, tzinfo=JST)
    return Slot(start, start + dt.timedelta(minutes=minutes))


@pytest.fixture
def policy() -> SlotPolicy:
    return load_profile().slots


def with_slots(**values: object) -> SlotPolicy:
    return SlotPolicy.from_mapping(values, source="kizuna.toml")


def assert_policy_kept(policy: SlotPolicy, slots: list[Slot]) -> None:
    """What every proposal must respect, whatever the calendar."""
    for slot in slots:
        start = slot.start
        assert start.tzinfo is not None and start.utcoffset() == NINE_HOURS
        day = start.date()
        assert policy.day_kind(day) in ("weekday", "weekend"), f"{day} is {policy.day_kind(day)}"
        assert not policy.calendar.in_closure(day)
        if policy.day_kind(day) == "weekday":
            assert start.time() in policy.weekday_times
            assert start.time() >= dt.time(18), f"{start} is before the evening start"
        else:
            assert start.time() in policy.weekend_times
        assert slot.end - slot.start == dt.timedelta(minutes=policy.duration_minutes)


# ---------------------------------------------------------------------------- policy


def test_sample_profile_policy(policy: SlotPolicy) -> None:
    assert policy.weekday_times == (dt.time(18), dt.time(19))
    assert policy.weekend_times == (dt.time(10), dt.time(13), dt.time(15))
    assert (policy.duration_minutes, policy.buffer_minutes) == (60, 15)
    assert (policy.lead_business_days, policy.horizon_days, policy.per_day_cap) == (2, 21, 3)
    assert policy.offer_holidays is False
    assert policy.closure == ((12, 29), (1, 3))
    assert policy.blocked_dates == frozenset()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.horizon_days = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("key", "value", "field", "shown"),
    [
        ("weekday_times", ["18:00", "7pm"], "slots.weekday_times[1]", "'7pm'"),
        ("weekday_times", ["25:00"], "slots.weekday_times[0]", "'25:00'"),
        ("weekend_times", ["10:00", 1300], "slots.weekend_times[1]", "1300"),
        ("weekend_times", "10:00", "slots.weekend_times", "'10:00'"),
        ("duration_minutes", 0, "slots.duration_minutes", "0"),
        ("per_day_cap", "3", "slots.per_day_cap", "'3'"),
        ("offer_holidays", "yes", "slots.offer_holidays", "'yes'"),
        ("closure", ["12-29"], "slots.closure", "['12-29']"),
        ("blocked_dates", ["2026-13-01"], "slots.blocked_dates", "'2026-13-01'"),
        ("weekday_time", ["18:00"], "slots.weekday_time", "weekday_time"),
    ],
)
def test_malformed_policy_names_key_and_value(key: str, value: object, field: str, shown: str) -> None:
    with pytest.raises(ProfileError) as caught:
        with_slots(**{key: value})
    assert caught.value.field == field
    assert shown in str(caught.value)
    assert "kizuna.toml" in str(caught.value)


def test_malformed_time_in_a_profile_file(tmp_path: Path) -> None:
    from kizuna.profile import sample_profile_text

    path = tmp_path / "kizuna.toml"
    path.write_text(
        sample_profile_text().replace('weekday_times = ["18:00", "19:00"]',
                                      'weekday_times = ["18:00", "19;00"]'),
        encoding="utf-8",
    )
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    message = str(caught.value)
    assert "slots.weekday_times[1]" in message and "'19;00'" in message and str(path) in message


def test_interview_running_past_midnight_is_refused() -> None:
    with pytest.raises(ProfileError, match="past midnight"):
        with_slots(weekday_times=["23:30"])


def test_toml_local_times_are_accepted() -> None:
    assert with_slots(weekday_times=[dt.time(18, 30)]).weekday_times == (dt.time(18, 30),)


# ---------------------------------------------------------------------------- proposing


def test_example_invitation_slots(policy: SlotPolicy) -> None:
    """EXAMPLES.md: sent 11/26 with a 12/1 deadline → 12/2 evening, Sat 10:00, Sun 13:00."""
    slots = propose(policy, D(2026, 11, 26), 3, after=D(2026, 12, 1))
    assert [format_slot(s) for s in slots] == [
        "12月2日（水）18:00〜19:00",
        "12月5日（土）10:00〜11:00",
        "12月6日（日）13:00〜14:00",
    ]


def test_lead_time_counts_business_days(policy: SlotPolicy) -> None:
    # Friday 11/27 + 2 business days = Tuesday 12/1: the weekend in between is too soon.
    slots = propose(policy, D(2026, 11, 27), 60)
    assert min(s.start.date() for s in slots) == D(2026, 12, 1)
    assert max(s.start.date() for s in slots) <= D(2026, 12, 21)  # 21 days from 12/1
    assert_policy_kept(policy, slots)


def test_proposal_mixes_weekends_and_evenings(policy: SlotPolicy) -> None:
    slots = propose(policy, D(2026, 11, 26), 5)
    assert slots == sorted(slots)
    days = [s.start.date() for s in slots]
    assert len(set(days)) == 5, "one slot per day before a day gets a second"
    kinds = {policy.day_kind(d) for d in days}
    assert kinds == {"weekday", "weekend"}
    # Weekend days offer different times, not 10:00 every time.
    assert len({s.start.time() for s in slots if s.start.weekday() >= 5}) > 1


def test_golden_week_2026(policy: SlotPolicy) -> None:
    slots = propose(policy, D(2026, 4, 24), 100)
    days = {s.start.date() for s in slots}
    for closed in (D(2026, 4, 29), D(2026, 5, 3), D(2026, 5, 4), D(2026, 5, 5), D(2026, 5, 6)):
        assert closed not in days, closed
    assert D(2026, 4, 28) in days and D(2026, 5, 2) in days and D(2026, 5, 7) in days
    assert_policy_kept(policy, slots)


def test_golden_week_holidays_offered_with_weekend_times() -> None:
    policy = with_slots(offer_holidays=True)
    slots = propose(policy, D(2026, 4, 24), 100)
    on_holidays = [s for s in slots if s.start.date() in {D(2026, 4, 29), D(2026, 5, 6)}]
    assert on_holidays, "a weekday holiday is offered when offer_holidays is true"
    assert {s.start.time() for s in on_holidays} <= {dt.time(10), dt.time(13), dt.time(15)}
    assert D(2026, 5, 4) in {s.start.date() for s in slots}


def test_silver_week_2026_with_national_holiday(policy: SlotPolicy) -> None:
    slots = propose(policy, D(2026, 9, 15), 100)
    days = {s.start.date() for s in slots}
    # 9/21 敬老の日, 9/22 国民の休日 (between two holidays), 9/23 秋分の日.
    assert not days & {D(2026, 9, 21), D(2026, 9, 22), D(2026, 9, 23)}
    assert {D(2026, 9, 19), D(2026, 9, 20), D(2026, 9, 24)} <= days
    assert_policy_kept(policy, slots)


def test_year_end_closure(policy: SlotPolicy) -> None:
    slots = propose(policy, D(2026, 12, 22), 100)
    days = {s.start.date() for s in slots}
    closed = {D(2026, 12, 29) + dt.timedelta(days=i) for i in range(6)}
    assert not days & closed
    assert D(2026, 12, 28) in days and D(2027, 1, 4) in days
    assert_policy_kept(policy, slots)


def test_closure_can_be_switched_off() -> None:
    policy = with_slots(closure=[])
    days = {s.start.date() for s in propose(policy, D(2026, 12, 22), 100)}
    assert D(2026, 12, 29) in days and D(2027, 1, 1) not in days  # 元日 is still a holiday


def test_blocked_dates_are_skipped() -> None:
    policy = with_slots(blocked_dates=["2026-12-05", "2026-12-07"])
    days = {s.start.date() for s in propose(policy, D(2026, 11, 26), 100)}
    assert not days & {D(2026, 12, 5), D(2026, 12, 7)}
    assert D(2026, 12, 6) in days


def test_per_day_cap_counts_taken_slots() -> None:
    policy = with_slots(weekend_times=["9:00", "10:30", "12:00", "13:30", "15:00"], per_day_cap=2)
    slots = propose(policy, D(2026, 11, 26), 100)
    per_day: dict[dt.date, int] = {}
    for s in slots:
        per_day[s.start.date()] = per_day.get(s.start.date(), 0) + 1
    assert max(per_day.values()) == 2
    taken = {dt.datetime(2026, 12, 5, 9, tzinfo=JST)}
    again = propose(policy, D(2026, 11, 26), 100, unavailable=taken)
    assert len([s for s in again if s.start.date() == D(2026, 12, 5)]) == 1


def test_taken_slots_and_their_buffer_are_not_offered() -> None:
    policy = with_slots(weekend_times=["10:00", "11:00", "13:00"])
    taken = {dt.datetime(2026, 12, 5, 10, tzinfo=JST)}
    starts = {s.start for s in propose(policy, D(2026, 11, 26), 100, unavailable=taken)}
    assert dt.datetime(2026, 12, 5, 10, tzinfo=JST) not in starts
    # 11:00 starts 60 minutes after a 60-minute interview: less than the 15-minute buffer.
    assert dt.datetime(2026, 12, 5, 11, tzinfo=JST) not in starts
    assert dt.datetime(2026, 12, 5, 13, tzinfo=JST) in starts
    assert dt.datetime(2026, 12, 6, 11, tzinfo=JST) in starts


def test_nothing_before_now(policy: SlotPolicy) -> None:
    now = dt.datetime(2026, 12, 5, 12, tzinfo=JST)
    slots = propose(policy, D(2026, 11, 26), 100, now=now)
    assert min(s.start for s in slots) > now


def test_every_slot_taken_names_the_rule() -> None:
    policy = with_slots(horizon_days=1, lead_business_days=0)
    grid = propose(policy, D(2026, 12, 1), 10)
    with pytest.raises(SlotError, match="already booked or held"):
        propose(policy, D(2026, 12, 1), 10, unavailable={s.start for s in grid})


def test_no_times_names_the_empty_setting() -> None:
    policy = with_slots(weekday_times=[], weekend_times=[])
    with pytest.raises(SlotError) as caught:
        propose(policy, D(2026, 11, 26), 3)
    message = str(caught.value)
    assert "slots.weekday_times is empty" in message
    assert "slots.weekend_times is empty" in message
    assert "2026-11-30" in message and "2026-12-20" in message


def test_holiday_only_horizon_names_offer_holidays() -> None:
    # Evenings only; the window is the three Silver Week holidays and nothing else.
    policy = with_slots(weekend_times=[], horizon_days=3, lead_business_days=0)
    with pytest.raises(SlotError, match="public holidays.*offer_holidays"):
        propose(policy, D(2026, 9, 18), 3, after=D(2026, 9, 20))


def test_count_must_be_positive(policy: SlotPolicy) -> None:
    with pytest.raises(InputError):
        propose(policy, D(2026, 11, 26), 0)


# ---------------------------------------------------------------------------- deadlines


@pytest.mark.parametrize(
    ("sent", "days", "due"),
    [
        (D(2026, 11, 26), 3, D(2026, 12, 1)),  # EXAMPLES.md
        (D(2026, 12, 25), 3, D(2027, 1, 5)),  # 12/28, then the closure, then 1/4, 1/5
        (D(2026, 4, 28), 3, D(2026, 5, 7)),  # Golden Week
        (D(2026, 9, 18), 1, D(2026, 9, 24)),  # Silver Week
    ],
)
def test_reply_deadline(policy: SlotPolicy, sent: dt.date, days: int, due: dt.date) -> None:
    assert reply_deadline(policy, sent, days) == due
    assert reply_deadline(OfficeCalendar(), sent, days) == due


# ---------------------------------------------------------------------------- formatting


def test_format_and_circled() -> None:
    assert format_slot(at(2026, 12, 5, 10)) == "12月5日（土）10:00〜11:00"
    assert circled(1) == "①" and circled(20) == "⑳" and circled(21) == "(21)"


@pytest.mark.parametrize(
    ("tz", "slot", "note"),
    [
        ("America/New_York", at(2026, 12, 5, 10), "（現地時間 12月4日（金）20:00〜21:00）"),
        ("Europe/London", at(2026, 12, 5, 10), "（現地時間 12月5日（土）1:00〜2:00）"),
        ("Europe/London", at(2026, 7, 4, 10), "（現地時間 7月4日（土）2:00〜3:00）"),  # BST
        ("America/Los_Angeles", at(2026, 12, 5, 16, 30),
         "（現地時間 12月4日（金）23:30〜12月5日（土）0:30）"),
        ("Asia/Seoul", at(2026, 12, 5, 10), None),
        ("Asia/Tokyo", at(2026, 12, 5, 10), None),
        ("", at(2026, 12, 5, 10), None),
    ],
)
def test_local_time_note(tz: str, slot: Slot, note: str | None) -> None:
    assert local_time_note(slot, tz) == note


def test_local_time_note_unknown_zone() -> None:
    with pytest.raises(InputError, match="Mars/Olympus"):
        local_time_note(at(2026, 12, 5, 10), "Mars/Olympus")


# ---------------------------------------------------------------------------- replies

OFFERED = [
    at(2026, 12, 2, 18),  # ① Wed evening
    at(2026, 12, 5, 10),  # ② Sat morning
    at(2026, 12, 6, 13),  # ③ Sun afternoon
]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("2番でお願いします", 2),
        ("２", 2),
        ("②", 2),
        ("②でお願いいたします。", 2),
        ("二番目", 2),
        ("二番目の日程でお願いします", 2),
        ("（２）でお願いします", 2),
        ("候補3でお願いします", 3),
        ("３番で伺います", 3),
        ("12月5日の10時", 2),
        ("5日(土)10:00", 2),
        ("５日（土）１０：００でお願いします", 2),
        ("12/6 13:00でお願いいたします", 3),
        ("12月2日（水）午後6時から伺います", 1),
        ("12月6日でお願いします", 3),  # one slot on that day: not a guess
        ("1番は都合が悪いため、3番でお願いできますでしょうか。", 3),
        ("12月5日は難しいので、12月6日13時でお願いします", 3),
        ("2番以外は難しい状況です", 2),
        ("② 12月5日（土）10:00〜11:00 でお願いいたします", 2),
        ("2番でお願いします。当日は2名で伺います。", 2),
    ],
)
def test_reply_chooses(text: str, number: int) -> None:
    choice = parse_choice(text, OFFERED)
    assert (choice.status, choice.number) == ("chosen", number), choice.reason
    assert choice.slot == OFFERED[number - 1]
    assert choice.preferences == (number,)


def test_ranked_preferences_take_the_first_still_free() -> None:
    text = "第一希望は3、第二希望は1でお願いします"
    choice = parse_choice(text, OFFERED)
    assert (choice.status, choice.number, choice.preferences) == ("chosen", 3, (3, 1))
    taken = {OFFERED[2].start}
    second = parse_choice(text, OFFERED, unavailable=taken)
    assert (second.status, second.number, second.preferences) == ("chosen", 1, (3, 1))
    assert second.slot == OFFERED[0]


@pytest.mark.parametrize(
    ("text", "preferences"),
    [
        ("第1希望：②、第2希望：①", (2, 1)),
        ("3番を第一希望、1番を第二希望とさせてください", (3, 1)),
        ("第一希望 12月6日13時\n第二希望 12月2日18時", (3, 1)),
    ],
)
def test_ranked_preference_forms(text: str, preferences: tuple[int, ...]) -> None:
    choice = parse_choice(text, OFFERED)
    assert choice.status == "chosen" and choice.preferences == preferences
    assert choice.number == preferences[0]


def test_every_preference_taken_is_unavailable() -> None:
    choice = parse_choice(
        "第一希望は3、第二希望は1", OFFERED, unavailable={OFFERED[2].start, OFFERED[0].start}
    )
    assert choice.status == "unavailable" and choice.number == 3 and choice.slot == OFFERED[2]


def test_single_choice_taken_is_unavailable() -> None:
    choice = parse_choice("2番でお願いします", OFFERED, unavailable={OFFERED[1].start})
    assert (choice.status, choice.number) == ("unavailable", 2)
    assert "taken" in choice.reason


@pytest.mark.parametrize(
    "text",
    [
        "090-1234-5678",
        "ご連絡ありがとうございます。携帯 090-1234-5678 までお電話ください。",
        "0197-00-0000",
        "〒024-8501",
        "〒024-8501 岩手県北上市芳町1番1号",
        "2名で伺います",
        "承知いたしました。第2次試験もよろしくお願いいたします。",
        "一番早い日程でお願いします",
        "日程については改めてご連絡いたします。",
        "3日前までにご連絡します",
        "taro2@example.jp にご返信ください",
    ],
)
def test_reply_must_not_match(text: str) -> None:
    choice = parse_choice(text, OFFERED)
    assert choice.status == "none", choice
    assert choice.slot is None and choice.number is None
    assert choice.reason.isascii()


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("1か2でお願いします", "ambiguous"),
        ("①と③どちらでも大丈夫です", "ambiguous"),
        ("いずれの日程でも大丈夫です", "ambiguous"),
        ("7番でお願いします", "none"),
        ("7", "none"),
        ("12月9日の10時でお願いします", "none"),
        ("2番、12月6日13時でお願いします", "ambiguous"),  # number and time disagree
    ],
)
def test_reply_that_must_not_guess(text: str, status: str) -> None:
    choice = parse_choice(text, OFFERED)
    assert choice.status == status, choice
    assert choice.slot is None and choice.number is None
    assert choice.reason and choice.reason.isascii()


def test_date_that_fits_several_slots_is_ambiguous() -> None:
    offered = [at(2026, 12, 5, 10), at(2026, 12, 5, 13), at(2026, 12, 6, 10)]
    choice = parse_choice("12月5日でお願いします", offered)
    assert choice.status == "ambiguous" and choice.slot is None
    assert "1, 2" in choice.reason
    # With the time it is clear.
    assert parse_choice("12月5日(土)13時でお願いします", offered).number == 2


def test_out_of_range_number_is_explained() -> None:
    choice = parse_choice("4番でお願いします", OFFERED)
    assert choice.status == "none" and "not one of the 3 offered" in choice.reason


def test_quoted_invitation_is_ignored() -> None:
    reply = (
        "北上市 北上様\n\n2番でお願いいたします。\n\n山田 太郎\n090-1234-5678\n\n"
        "2026年11月26日(木) 10:00 北上 花子 <dx-saiyo@example.lg.jp>:\n"
        "> ① 12月2日（水）18:00〜19:00\n> ② 12月5日（土）10:00〜11:00\n"
        "> ③ 12月6日（日）13:00〜14:00\n"
    )
    assert parse_choice(reply, OFFERED).number == 2
    only_quote = "> ① 12月2日（水）18:00〜19:00\n> ③ 12月6日（日）13:00〜14:00\n"
    assert parse_choice(only_quote, OFFERED).status == "none"


def test_nothing_offered() -> None:
    choice = parse_choice("2番でお願いします", [])
    assert choice.status == "none" and "No slots" in choice.reason


@pytest.mark.parametrize(("text", "number"), [("第二希望でお願いします", 2), ("第2候補で伺います", 2), ("第三希望", 3)])
def test_a_lone_rank_answers_the_numbered_list(text: str, number: int) -> None:
    choice = parse_choice(text, OFFERED)
    assert choice.status == "chosen" and choice.number == number


def test_a_lone_rank_beyond_the_list_is_not_a_choice() -> None:
    assert parse_choice("第五希望でお願いします", OFFERED).slot is None


# ------------------------------------------------------- replies: only the applicant's words

INVITATION_LINES = (
    "① 12月2日（水）18:00〜19:00",
    "② 12月5日（土）10:00〜11:00",
    "③ 12月6日（日）13:00〜14:00",
)
QUOTED = "".join(f"> {line}\n" for line in INVITATION_LINES)
UNQUOTED = "".join(f"{line}\n" for line in INVITATION_LINES)


def chosen(text: str) -> int | None:
    choice = parse_choice(text, OFFERED)
    assert choice.reason.isascii()
    return choice.number if choice.status == "chosen" else None


@pytest.mark.parametrize(
    "text",
    [
        # The reply from issue 10: the 3 of size="3" booked slot ③.
        '<div style="margin:1px"><font size="3">ご連絡ありがとうございます。日程を確認のうえ、'
        "改めてご連絡いたします。</font></div>",
        '<html><head><meta name="x-version" content="3"><title>3</title>'
        "<style>p{font-size:3}</style></head><body><p>承知いたしました。</p></body></html>",
        '<p>承知いたしました。<img alt="3" src="cid:logo"></p>',
        "<p>承知いたしました。</p><!-- 3 --><script>var slot = 3;</script>",
        '<div>承知いたしました。</div><div style="display:none">③</div>',
        '<p>募集要項（<a href="https://example.jp/recruit?slot=3">https://example.jp/recruit'
        "?slot=3</a>）を拝見しました。</p>",
        "<div>承知いたしました。</div><blockquote type=\"cite\"><div>"
        + "<br>".join(INVITATION_LINES[2:]) + "</div></blockquote>",
        "<div>承知いたしました。</div><div>&gt; " + INVITATION_LINES[2] + "</div>",
        "<div>承知いたしました。</div><div>＞ " + INVITATION_LINES[2] + "</div>",
    ],
    ids=["issue-10", "head", "img-alt", "comment-script", "display-none", "link",
         "blockquote", "html-gt", "html-fullwidth-gt"],
)
def test_html_markup_and_quotes_choose_nothing(text: str) -> None:
    assert chosen(text) is None


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ('<div style="margin:1px"><font size="3">2番でお願いします</font></div>', 2),
        ("<p>&#9312;でお願いします</p>", 1),
        ("<p>&#x2461;でお願いいたします</p>", 2),
        ("<div>&#50;&#30058;でお願いします</div>", 2),
        ("<div>2番でお願いします</div><div>＞ " + INVITATION_LINES[2] + "</div>", 2),
        ("<p>1番でお願いします</p><p>&gt; " + INVITATION_LINES[2] + "</p>", 1),
    ],
    ids=["font-attributes", "entity-circled", "entity-hex", "entity-digits",
         "fullwidth-gt", "html-gt"],
)
def test_html_reply_chooses_what_its_text_says(text: str, number: int) -> None:
    assert chosen(text) == number


@pytest.mark.parametrize(
    "text",
    [
        "募集要項 https://example.jp/recruit?slot=3 を拝見しました。",
        "詳細は https://example.jp/faq#3 を確認しました。",
        "www.example.jp/no3 を拝見しました。",
        "連絡先は taro.no3@example.jp です。",
        "no.3@example.jp までご連絡ください。",
        "連絡先は ｔａｒｏ．ｎｏ３＠ｅｘａｍｐｌｅ．ｊｐ です。",
        "こちらをご覧ください https://example.jp/2番/?slot=2 よろしく",
        "http://例え.jp/② を拝見しました。",
        "https://example.jp/?q=２番 を拝見しました。",
        "2番太郎@example.jp までご連絡ください。",
        "連絡先は taro@例え.jp です。",
    ],
    ids=["query", "fragment", "www", "mail", "mail-no", "mail-fullwidth", "iri-path", "iri-host",
         "iri-query", "mail-japanese-local", "mail-japanese-domain"],
)
def test_numbers_in_urls_and_mail_addresses_choose_nothing(text: str) -> None:
    assert chosen(text) is None


def test_gmail_html_reply_with_the_invitation_quoted() -> None:
    reply = (
        '<div dir="ltr">1番でお願いいたします。<br><br>山田 太郎</div><br>'
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">2026年11月26日(木) 10:00 '
        '北上 花子 &lt;<a href="mailto:dx-saiyo@example.lg.jp">dx-saiyo@example.lg.jp</a>&gt;:'
        '<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">'
        "<div>面接日程の候補です。<br>" + "<br>".join(INVITATION_LINES) + "</div></blockquote></div>"
    )
    assert chosen(reply) == 1


def test_outlook_reply_chooses_what_is_above_the_original() -> None:
    plain = (
        "1番でお願いいたします。\n\n山田 太郎\n\n-----Original Message-----\n"
        "From: 北上 花子 <dx-saiyo@example.lg.jp>\nSent: Thursday, November 26, 2026 10:00 AM\n"
        "Subject: 面接日程のご案内\n\n" + UNQUOTED
    )
    assert chosen(plain) == 1
    html = (
        '<html><head><style>p.MsoNormal{margin:0mm;font-size:10.5pt}</style></head><body>'
        '<div class="WordSection1"><p class="MsoNormal">1番でお願いいたします。<o:p></o:p></p>'
        '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0mm 0mm 0mm">'
        '<p class="MsoNormal"><b>差出人:</b> 北上 花子 &lt;dx-saiyo@example.lg.jp&gt;<br>'
        "<b>送信日時:</b> 2026年11月26日 10:00<br><b>件名:</b> 面接日程のご案内</p></div>"
        '<p class="MsoNormal">' + "<br>".join(INVITATION_LINES) + "</p></div></body></html>"
    )
    assert chosen(html) == 1
    japanese = "2番でお願いいたします。\n\n-----元のメッセージ-----\n" + UNQUOTED
    assert chosen(japanese) == 2


@pytest.mark.parametrize(
    "header",
    [
        "On 2026/11/26 10:00, 北上市 wrote:",
        # Clients wrap a long attribution; its first line has a date that is no slot.
        "On 2026/11/26 10:00, 北上市 デジタル推進課 採用担当\nwrote:",
        "2026年11月26日(木) 10:00 北上市 デジタル推進課 採用担当 <\ndx-saiyo@example.lg.jp>:",
        "2026/11/26 10:00、北上 花子 <dx-saiyo@example.lg.jp>のメール:",
    ],
    ids=["thunderbird", "thunderbird-wrapped", "gmail-ja-wrapped", "iphone"],
)
def test_quote_header_is_not_read(header: str) -> None:
    assert chosen(f"1番でお願いいたします。\n\n{header}\n{QUOTED}") == 1
    assert chosen(f"{header}\n{QUOTED}") is None
    # The quote ends where the ">" lines end: an answer below it is the applicant's.
    assert chosen(f"{header}\n{QUOTED}\n1番でお願いいたします。\n") == 1


def test_answer_below_or_between_quotes_is_read() -> None:
    # Becky! and some writers answer under the quoted invitation, or inside it (FACTS §9).
    header = "2026年11月26日(木) 10:00 北上 花子 <dx-saiyo@example.lg.jp>:\n"
    assert chosen(header + QUOTED + "\n2番でお願いいたします。\n") == 2
    assert chosen(header + QUOTED.replace("> ", "＞ ") + "\n2番でお願いいたします。\n") == 2
    lines = QUOTED.splitlines(keepends=True)
    assert chosen(header + lines[0] + lines[1] + "こちらでお願いします（2番）。\n" + lines[2]) == 2


@pytest.mark.parametrize(
    "signature",
    [
        "-- \n山田 太郎（内線 3）\n",
        "--\n山田 太郎 (3)\n",
        "山田 太郎\nTEL 0197-64-2111 内線3\n",
        "Taro Yamada\nTel: +81-197-64-2111 ext. 3\n",
    ],
    ids=["rfc3676-extension", "bare-dashes", "extension", "ext"],
)
def test_signature_numbers_do_not_choose(signature: str) -> None:
    assert chosen(f"1番でお願いいたします。\n\n{signature}") == 1


def test_a_choice_written_straight_before_an_address_is_still_read() -> None:
    offered = [at(2026, 12, 2, 18), at(2026, 12, 5, 10), at(2026, 12, 6, 13)]
    choice = parse_choice("2番でお願いします連絡先taro@example.jp", offered)
    assert choice.status == "chosen" and choice.number == 2


def test_no_slot_is_offered_past_the_last_day_served() -> None:
    from kizuna.errors import SlotError

    policy = SlotPolicy.from_mapping({})
    offered = propose(policy, D(2100, 12, 20), 20)
    assert offered and max(s.start.date() for s in offered) <= D(2100, 12, 31)
    with pytest.raises(SlotError, match="2100-12-31, the last day kizuna serves"):
        propose(policy, D(2100, 12, 31), 3, after=D(2101, 1, 6))


def test_business_days_between_agrees_with_counting_day_by_day() -> None:
    """The running totals per year (the fast path) against walking each day (the plain one),
    over spans within a year, across year ends and closures, years long, with blocked days
    and with no closure at all."""
    import random

    def walked(calendar: OfficeCalendar, start: dt.date, end: dt.date) -> int:
        count, day = 0, start + dt.timedelta(days=1)
        while day <= end:
            count += calendar.is_business_day(day)
            day += dt.timedelta(days=1)
        return count

    calendars = [
        OfficeCalendar(),
        OfficeCalendar(closure=None),
        OfficeCalendar(closure=((8, 13), (8, 16)), blocked=frozenset({dt.date(2026, 11, 27), dt.date(2027, 1, 4)})),
    ]
    rng = random.Random(20261201)
    spans = [(dt.date(2026, 11, 20), dt.date(2026, 11, 24)), (dt.date(2026, 12, 25), dt.date(2027, 1, 6)),
             (dt.date(2026, 12, 31), dt.date(2027, 1, 1)), (dt.date(2024, 2, 28), dt.date(2024, 3, 1)),
             (dt.date(2026, 11, 24), dt.date(2026, 11, 24)), (dt.date(2026, 11, 25), dt.date(2026, 11, 24))]
    for _ in range(300):
        start = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(3000))
        spans.append((start, start + dt.timedelta(days=rng.choice([1, 3, 9, 40, 400, 1500]))))
    for calendar in calendars:
        for start, end in spans:
            assert calendar.business_days_between(start, end) == walked(calendar, start, end), (start, end)
    # Fri 11-20 → Tue 11-24 2026: the weekend and 勤労感謝の日 (Mon 11-23) do not count.
    assert OfficeCalendar().business_days_between(dt.date(2026, 11, 20), dt.date(2026, 11, 24)) == 1


def test_the_holiday_table_is_the_holidays_package_for_every_year_served() -> None:
    """kizuna/_holiday_tables.py against its source. A release of holidays that moves or adds
    a holiday fails here: run scripts/generate_holiday_tables.py again."""
    import holidays

    from kizuna import _holiday_tables as table
    from kizuna.calendar import _jp_holidays, holiday_name

    for year in range(table.FIRST_YEAR, table.LAST_YEAR + 1):
        expected = dict(holidays.country_holidays("JP", years=year, language="ja"))
        assert _jp_holidays(year) == expected, year
    assert holiday_name(dt.date(2026, 11, 23)) == "勤労感謝の日"
    assert holiday_name(dt.date(2026, 9, 22)) == "国民の休日"  # between 敬老の日 and 秋分の日
    assert holiday_name(dt.date(2026, 11, 24)) is None
