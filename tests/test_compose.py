"""The composer: every kind for each result, the layout, filters, and data-as-data safety.

Golden files hold the Japanese text, read once by a person as the applicant would; regenerate
them with KIZUNA_REGOLD=1 after a deliberate wording change and read the diff.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from kizuna.compose import Composer, tidy
from kizuna.dates import circled, month_day, slot_text, time_range
from kizuna.errors import InputError, TemplateProblem
from kizuna.kinds import KINDS
from kizuna.models import JST, Candidate, Conversation, Slot, Topic
from kizuna.profile import load_profile, parse_profile, sample_profile_text

GOLDEN = Path(__file__).parent / "golden"

OPENING = Topic("test-opening", "season", "opening", "neutral", "北上では朝晩の冷え込みが日ごとに増してきました。")
TOWN = Topic("test-town", "town", "town", "neutral", "夏油高原スキー場では、今季の営業開始に向けた準備が進んでいます。")
CLOSING = Topic("test-closing", "season", "closing", "gentle", "寒さが厳しくなってまいりますので、どうぞ暖かくしてお過ごしください。")
SLOT_A = Slot(dt.datetime(2026, 12, 2, 18, 0, tzinfo=JST), dt.datetime(2026, 12, 2, 19, 0, tzinfo=JST))
SLOT_B = Slot(dt.datetime(2026, 12, 5, 10, 0, tzinfo=JST), dt.datetime(2026, 12, 5, 11, 0, tzinfo=JST))
SLOT_C = Slot(dt.datetime(2026, 12, 6, 13, 0, tzinfo=JST), dt.datetime(2026, 12, 6, 14, 0, tzinfo=JST))

CASES = [
    ("application_received", None),
    ("screening_result", "passed"),
    ("screening_result", "not_passed"),
    ("interview_invitation", None),
    ("interview_confirmation", None),
    ("interview_reminder", None),
    ("reply_reminder", None),
    ("interview_result", "passed"),
    ("interview_result", "not_passed"),
    ("final_result", "passed"),
    ("final_result", "not_passed"),
    ("offer", None),
    ("pre_arrival_guide", None),
    ("note", None),
]
# What a kind needs from the conversation when composed alone: a reminder of an online
# interview carries its room, a note the recruiter's text.
CONVERSATIONS = {
    "interview_reminder": Conversation(meeting_url="https://meet.example.jp/r/2026-12-05"),
    "note": Conversation(note="ご質問の駐車場については、本庁舎の来庁者用駐車場をご利用いただけます。"),
}


@pytest.fixture(scope="module")
def composer() -> Composer:
    return Composer(load_profile())


def render(composer: Composer, kind: str, result: str | None, candidate: Candidate, **kw: object):
    spec = KINDS[kind]
    opening_tones, town_tones = spec.tones_for(result)
    # The topics the kind may carry (a confirmation carries none, a not-passed notice only
    # the closing wish).
    topics = tuple(t for t, allowed in ((OPENING, opening_tones), (TOWN, town_tones),
                                        (CLOSING, spec.closing)) if allowed)
    slots = {"interview_invitation": (SLOT_A, SLOT_B, SLOT_C),
             "reply_reminder": (SLOT_A, SLOT_B, SLOT_C)}.get(
        kind, (SLOT_B,) if KINDS[kind].needs_slot else ()
    )
    deadline = dt.date(2026, 12, 1) if kind in ("interview_invitation", "reply_reminder") else None
    kw.setdefault("conversation", CONVERSATIONS.get(kind))
    return composer.compose(
        kind, candidate, on=dt.date(2026, 11, 26), result=result, topics=topics, slots=slots,
        deadline=deadline, **kw,  # type: ignore[arg-type]
    )


def test_every_kind_has_a_case() -> None:
    assert {kind for kind, _ in CASES} == set(KINDS)


@pytest.mark.parametrize(("kind", "result"), CASES)
def test_golden(composer: Composer, yamada: Candidate, kind: str, result: str | None) -> None:
    message = render(composer, kind, result, yamada)
    text = f"件名：{message.subject}\n\n{message.body}"
    path = GOLDEN / f"{kind}{'_' + result if result else ''}.txt"
    if os.environ.get("KIZUNA_REGOLD"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("kind", "result"), CASES)
def test_layout_order_and_keigo(composer: Composer, yamada: Candidate, kind: str, result: str | None) -> None:
    message = render(composer, kind, result, yamada)
    body = message.body
    lines = body.splitlines()
    assert lines[0] == "山田 太郎 様"
    assert lines[2] == "北上市役所 企画部 都市プロモーション課の北上 花子です。"
    # 宛名 → 名乗り → season line → body → town line → closing → signature
    signature = body.index("────────────")
    places = [body.index(t.text) for t in message.topics]
    assert places == sorted(places) and all(p < signature for p in places)
    assert "\n\n\n" not in body
    for wrong in ("おっしゃられ", "ご覧になられ", "お越しになられ", "ご活躍されます", "各位様", "させていただきます",
                  "ご対応いただき", "ご対応くださ"):
        assert wrong not in body
    # The full name only in the 宛名: the body says 山田様.
    assert "山田 太郎" not in body.split("\n", 1)[1]


@pytest.mark.parametrize("kind", ["screening_result", "final_result"])
def test_not_passed_is_quiet(composer: Composer, sato: Candidate, kind: str) -> None:
    message = render(composer, kind, "not_passed", sato)
    body = message.body
    assert "ご希望に添いかねる結果" in body
    assert "廃棄いたします" in body
    assert "今後のご活躍を心よりお祈り申し上げます" in body
    for cheer in ("KitaComing", "楽しみ", "お祝い", "！", "まつり", "夏油"):
        assert cheer not in body
    assert "理由" not in body
    assert [t.role for t in message.topics] == ["closing"]


def test_final_pass_is_not_naitei_in_public_sector(composer: Composer, yamada: Candidate) -> None:
    body = render(composer, "final_result", "passed", yamada).body
    assert "最終合格" in body and "採用候補者名簿" in body
    assert "内定となりました" not in body
    assert "正式な採用内定のご連絡" in body


def test_private_company_wording(yamada: Candidate) -> None:
    text = sample_profile_text().replace("public_sector = true", "public_sector = false").replace(
        'final_pass = "最終合格"', 'final_pass = "内定"'
    )
    profile = parse_profile(text, source="private.toml")
    body = render(Composer(profile), "final_result", "passed", yamada).body
    assert "内定をお出しすることになりました" in body
    assert "採用候補者名簿" not in body


def test_invitation_numbers_slots_with_deadline(composer: Composer, yamada: Candidate) -> None:
    body = render(composer, "interview_invitation", None, yamada).body
    assert "　① 12月2日（水）18:00〜19:00" in body
    assert "　② 12月5日（土）10:00〜11:00" in body
    assert "　③ 12月6日（日）13:00〜14:00" in body
    assert "12月1日（火）までにご返信" in body
    assert "平日の夕方以降と土日" in body


def test_missing_topics_leave_no_hole(composer: Composer, yamada: Candidate) -> None:
    message = composer.compose("application_received", yamada, on=dt.date(2026, 11, 26))
    assert "\n\n\n" not in message.body
    assert message.topics == ()
    assert "None" not in message.body


def test_applicant_abroad_sees_local_time(composer: Composer) -> None:
    abroad = Candidate(id="A-9", name="Emma Brown", timezone="Europe/London")
    body = render(composer, "interview_confirmation", None, abroad).body
    assert "12月5日（土）10:00〜11:00" in body
    assert "（現地時間 12月5日（土）1:00〜2:00）" in body


@pytest.mark.parametrize("name", ["{{ 7*7 }}", "{% raw %}", "{{ candidate.__class__ }}", "{# x #}"])
def test_template_syntax_in_a_name_is_printed_literally(composer: Composer, name: str) -> None:
    message = render(composer, "application_received", None, Candidate(id="X-1", name=name))
    assert message.body.startswith(f"{name} 様\n")
    assert "49" not in message.body


@pytest.mark.parametrize("field", ["name", "email", "id", "kana"])
def test_newline_in_a_header_field_is_refused(composer: Composer, field: str) -> None:
    values = {"id": "A-1", "name": "山田 太郎", "email": "a@example.jp", "kana": ""}
    values[field] = values[field] + "\nBcc: x@example.com"
    with pytest.raises(InputError) as info:
        render(composer, "application_received", None, Candidate(**values))
    assert info.value.field == field


def test_kind_needing_result(composer: Composer, yamada: Candidate) -> None:
    with pytest.raises(InputError, match="needs a result") as info:
        composer.compose("screening_result", yamada, on=dt.date(2026, 11, 26))
    assert "--result" in str(info.value)


def test_confirmation_without_slot(composer: Composer, yamada: Candidate) -> None:
    with pytest.raises(InputError, match="date and time"):
        composer.compose("interview_confirmation", yamada, on=dt.date(2026, 11, 26))


def test_unknown_kind_lists_kinds(composer: Composer, yamada: Candidate) -> None:
    with pytest.raises(InputError) as info:
        composer.compose("thank_you", yamada, on=dt.date(2026, 11, 26))
    assert "interview_invitation" in str(info.value) and "pre_arrival_guide" in str(info.value)


def write_profile(tmp_path: Path, templates: dict[str, str]) -> Path:
    folder = tmp_path / "my_templates"
    folder.mkdir()
    for name, text in templates.items():
        (folder / name).write_text(text, encoding="utf-8")
    profile = tmp_path / "kizuna.toml"
    profile.write_text(
        sample_profile_text().replace('templates = ""', 'templates = "my_templates"'), encoding="utf-8"
    )
    return profile


def test_user_template_is_searched_first(tmp_path: Path, yamada: Candidate) -> None:
    path = write_profile(tmp_path, {"application_received.txt": (
        '{% extends "base.txt" %}{% block subject %}【{{ org.name }}】受付のお知らせ{% endblock %}'
        "{% block body %}独自の本文です。{% endblock %}"
    )})
    message = Composer(load_profile(path)).compose("application_received", yamada, on=dt.date(2026, 11, 26))
    assert message.subject == "【北上市】受付のお知らせ"
    assert "独自の本文です。" in message.body
    assert message.body.startswith("山田 太郎 様")  # the built-in base layout still applies


def test_user_template_syntax_error_names_file_and_line(tmp_path: Path, yamada: Candidate) -> None:
    path = write_profile(tmp_path, {"application_received.txt": "{% block subject %}x{% endblock %}\n\n{% if %}\n"})
    with pytest.raises(TemplateProblem) as info:
        Composer(load_profile(path)).compose("application_received", yamada, on=dt.date(2026, 11, 26))
    assert "application_received.txt" in str(info.value)
    assert info.value.line == 3


def test_user_template_undefined_variable_names_it(tmp_path: Path, yamada: Candidate) -> None:
    path = write_profile(tmp_path, {"application_received.txt": (
        "{% block subject %}件名{% endblock %}\n{{ name }}様\n{{ interviewer_name }}\n"
    )})
    with pytest.raises(TemplateProblem) as info:
        Composer(load_profile(path)).compose("application_received", yamada, on=dt.date(2026, 11, 26))
    assert "interviewer_name" in str(info.value)
    assert "application_received.txt" in str(info.value)


def test_sandbox_blocks_unsafe_attribute_access(tmp_path: Path, yamada: Candidate) -> None:
    path = write_profile(tmp_path, {"application_received.txt": (
        "{% block subject %}x{% endblock %}{{ candidate.__class__.__mro__ }}"
    )})
    with pytest.raises(TemplateProblem):
        Composer(load_profile(path)).compose("application_received", yamada, on=dt.date(2026, 11, 26))


def test_filters() -> None:
    assert month_day(dt.date(2026, 12, 5)) == "12月5日（土）"
    assert time_range(SLOT_A) == "18:00〜19:00"
    assert slot_text(SLOT_B) == "12月5日（土）10:00〜11:00"
    assert circled(1) == "①" and circled(20) == "⑳" and circled(21) == "(21)"
    assert tidy("a  \n\n\n\nb") == "a\n\nb\n"


def test_era_dates() -> None:
    from kizuna.dates import era_date, full_date

    assert era_date(dt.date(2019, 5, 1)) == "令和元年5月1日（水）"
    assert era_date(dt.date(2019, 4, 30)) == "平成31年4月30日（火）"
    assert era_date(dt.date(2027, 4, 1)) == "令和9年4月1日（木）"
    assert full_date(dt.date(2027, 4, 1)) == "2027年4月1日（木）"


def test_pre_arrival_guide_uses_era_when_asked(composer: Composer, yamada: Candidate) -> None:
    body = composer.compose("pre_arrival_guide", yamada, on=dt.date(2027, 2, 1)).body
    assert "令和9年4月1日（木）のご着任に向けて" in body
    for heading in ("着任前の見学", "転居・赴任にかかる費用", "お住まい", "初日の流れ", "お問い合わせ"):
        assert f"■ {heading}" in body


NAMES = ["山田 太郎", "髙橋 一郎", "{{ 7*7 }}", "O'Brien\\x", "様", "Emma Brown", "山田 太郎 山田"]


@pytest.mark.parametrize(("kind", "result"), CASES)
def test_memoised_render_equals_direct_render(kind: str, result: str | None) -> None:
    """Rendering once per combination and putting the name in gives the very same text."""
    memo = Composer(load_profile())
    direct = Composer(load_profile())
    direct._unmemoisable.update(KINDS)
    for i, name in enumerate(NAMES):
        candidate = Candidate(id=f"A-{i}", name=name, email=f"a{i}@example.jp",
                              timezone="Europe/London" if i % 2 else "Asia/Tokyo")
        assert render(memo, kind, result, candidate) == render(direct, kind, result, candidate)
    assert kind not in memo._unmemoisable


def test_a_template_reading_other_fields_is_not_memoised(tmp_path: Path) -> None:
    from kizuna.compose import _MARKS

    composer = Composer(load_profile())
    composer._templates["application_received.txt"] = composer.env.from_string(
        "{% block subject %}件名{% endblock %}{{ name }} / {{ candidate.id }} / {{ name[:2] }}"
    )
    a = composer.compose("application_received", Candidate(id="A-1", name="山田 太郎"), on=dt.date(2026, 11, 26))
    b = composer.compose("application_received", Candidate(id="A-2", name="佐藤 花子"), on=dt.date(2026, 11, 26))
    assert a.body == "件名山田 太郎 / A-1 / 山田\n" and b.body == "件名佐藤 花子 / A-2 / 佐藤\n"
    assert "application_received" in composer._unmemoisable
    assert all(mark not in a.body for mark in _MARKS.values())


def test_one_slot_formatter_for_templates_and_listings() -> None:
    # The Jinja filter and the slot listings are one function: a slot ending after midnight
    # says so in both (the composer's babel copy used to print 23:30〜0:30).
    from kizuna import slots
    from kizuna.compose import FILTERS
    from kizuna.models import JST, Slot

    late = Slot(dt.datetime(2026, 12, 5, 23, 30, tzinfo=JST), dt.datetime(2026, 12, 6, 0, 30, tzinfo=JST))
    assert slot_text(late) == "12月5日（土）23:30〜12月6日（日）0:30"
    assert FILTERS["slot_text"] is slot_text
    assert slots.format_slot(late) == slot_text(late)


def test_each_offered_slot_is_on_its_own_line_with_a_blank_line_after(yamada: Candidate) -> None:
    """A template line ending in a block tag loses its newline (trim_blocks): the slots once
    ran together on one line, and the blank line before the deadline went with them."""
    import datetime as dt

    from kizuna.pipeline import prepare_message

    for stage in ("interview1", "final"):
        message = prepare_message(load_profile(), "interview_invitation", yamada,
                                  on=dt.date(2026, 11, 26), stage=stage)
        lines = message.body.splitlines()
        marks = [n for n, line in enumerate(lines) if line.startswith(("　①", "　②", "　③"))]
        assert len(marks) == 3 and marks == list(range(marks[0], marks[0] + 3)), lines
        assert lines[marks[-1] + 1] == "" and lines[marks[0] - 1] == ""
