"""English letters (issue 16): every kind and result in English for an applicant whose language
is "en", through the same composer, pipeline, log, batch, checker and .eml writer as the
Japanese ones.

The golden files under tests/golden/en/ were each read once as an English-speaking applicant
would read them; regenerate them with KIZUNA_REGOLD=1 after a deliberate change and read the
diff the same way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import os
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from kizuna.cli import cli
from kizuna.compose import Composer
from kizuna.errors import InputError, ProfileError
from kizuna.kinds import KINDS
from kizuna.language import has_japanese
from kizuna.log import Log, migrations
from kizuna.models import JST, Candidate, Conversation, Slot, Topic
from kizuna.pipeline import draft_message
from kizuna.profile import load_profile, parse_profile, sample_profile_text

GOLDEN = Path(__file__).parent / "golden" / "en"
ON = dt.date(2026, 11, 26)

# Lines as the topic files give them in English (the composer places whatever it is given).
OPENING = Topic("shosetsu-calendar", "season", "opening", "neutral",
                "We are now in Shōsetsu, 'light snow', one of the 24 seasonal markers of the old "
                "Japanese calendar, and the north wind has turned cold.")
TOWN = Topic("kitakami:geto-ski:soon", "town", "town", "neutral",
             "The Geto Kogen ski area, west of Kitakami, is usually one of the first in the "
             "Tohoku region to open each winter.")
CLOSING = Topic("closing-early-winter", "season", "closing", "gentle",
                "With the real cold on its way, please take good care of yourself.")
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
    ("interview_result", "passed"),
    ("interview_result", "not_passed"),
    ("final_result", "passed"),
    ("final_result", "not_passed"),
    ("offer", None),
    ("pre_arrival_guide", None),
    ("note", None),
    ("reply_reminder", None),
]
CONVERSATIONS = {
    "reply_reminder": Conversation(offered_numbers=(1, 3)),
    "interview_reminder": Conversation(meeting_url="https://meet.example.jp/r/2026-12-05"),
    "note": Conversation(note="Yes: you are welcome to use the visitors' car park at the Main "
                              "Building, and there is no charge."),
}


@pytest.fixture(scope="module")
def composer() -> Composer:
    return Composer(load_profile())


@pytest.fixture
def emma() -> Candidate:
    return Candidate(id="E-0001", name="Emma Brown", email="emma.brown@example.com", language="en")


def render(composer: Composer, kind: str, result: str | None, candidate: Candidate, **kw: object):
    spec = KINDS[kind]
    opening_tones, town_tones = spec.tones_for(result)
    # As the topic engine gives an English letter: no closing season line in a not-passed
    # notice (it ends with the template's own good wish).
    topics = tuple(t for t, allowed in ((OPENING, opening_tones), (TOWN, town_tones),
                                        (CLOSING, spec.closing and result != "not_passed")) if allowed)
    slots = {"interview_invitation": (SLOT_A, SLOT_B, SLOT_C), "reply_reminder": (SLOT_A, SLOT_C)}.get(
        kind, (SLOT_B,) if spec.needs_slot else ()
    )
    deadline = dt.date(2026, 12, 1) if kind in ("interview_invitation", "reply_reminder") else None
    kw.setdefault("conversation", CONVERSATIONS.get(kind))
    return composer.compose(kind, candidate, on=ON, result=result, topics=topics, slots=slots,
                            deadline=deadline, **kw)  # type: ignore[arg-type]


def as_text(message) -> str:  # type: ignore[no-untyped-def]
    from kizuna.output import as_text as text

    return text(message)


# ---------------------------------------------------------------------------------------------
# The letters


def test_every_kind_has_an_english_golden_letter() -> None:
    assert {kind for kind, _ in CASES} == set(KINDS)


@pytest.mark.parametrize(("kind", "result"), CASES)
def test_golden_english(composer: Composer, emma: Candidate, kind: str, result: str | None) -> None:
    message = render(composer, kind, result, emma)
    text = as_text(message)
    path = GOLDEN / f"{kind}{'_' + result if result else ''}.txt"
    if os.environ.get("KIZUNA_REGOLD"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    assert message.language == "en"


@pytest.mark.parametrize(("kind", "result"), CASES)
def test_english_layout_and_no_japanese(composer: Composer, emma: Candidate, kind: str,
                                        result: str | None) -> None:
    message = render(composer, kind, result, emma)
    body = message.body
    assert body.startswith("Dear Emma Brown,\n")
    assert "Mr" not in body.split("\n", 1)[0] and "Ms" not in body.split("\n", 1)[0]
    assert "\nKind regards,\n\nHanako Kitakami\n" in body
    # Whatever the profile says in Japanese is never shown: its English keys are used.
    assert not has_japanese(message.subject) and not has_japanese(body)
    assert message.subject.endswith("– Kitakami City")
    assert "\n\n\n" not in body
    places = [body.index(t.text) for t in message.topics]
    assert places == sorted(places) and all(p < body.index("Kind regards,") for p in places)


@pytest.mark.parametrize("kind", ["screening_result", "interview_result", "final_result"])
def test_english_not_passed_is_quiet(composer: Composer, emma: Candidate, kind: str) -> None:
    body = render(composer, kind, "not_passed", emma).body
    assert "unable to offer you" in body and "We wish you every success in the future." in body
    assert "dispose of the documents" in body
    for cheer in ("!", "KitaComing", "delighted", "pleased", "festival", "Congratulations",
                  "look forward", "ski"):
        assert cheer not in body
    assert "because" not in body and "reason" not in body


def test_english_dates_state_the_zone(composer: Composer, emma: Candidate) -> None:
    body = render(composer, "interview_invitation", None, emma).body
    assert "  Option 1: Wednesday, 2 December 2026, 18:00–19:00 JST" in body
    assert "  Option 2: Saturday, 5 December 2026, 10:00–11:00 JST" in body
    assert "  Option 3: Sunday, 6 December 2026, 13:00–14:00 JST" in body
    assert "All times are Japan Standard Time (JST, UTC+9)." in body
    assert "by Tuesday, 1 December." in body
    abroad = dataclasses.replace(emma, timezone="Europe/London")
    confirmation = render(composer, "interview_confirmation", None, abroad).body
    assert "When:   Saturday, 5 December 2026, 10:00–11:00 JST" in confirmation
    assert "(your time: Saturday, 5 December, 01:00–02:00 Greenwich Mean Time)" in confirmation


def test_english_era_dates_are_plain_dates(composer: Composer, emma: Candidate) -> None:
    # The sample profile asks for era years (use_era): English letters have none.
    body = composer.compose("pre_arrival_guide", emma, on=dt.date(2027, 2, 1)).body
    assert "your first day on Thursday, 1 April 2027" in body
    assert "令和" not in body


def test_english_signature_is_international(composer: Composer, emma: Candidate) -> None:
    passed = render(composer, "screening_result", "passed", emma).body
    assert "Tel. +81 197-00-0000 | dx-saiyo@example.lg.jp" in passed
    assert "1-1 Yoshimachi, Kitakami, Iwate 024-8501, Japan" in passed
    assert "KitaComing! https://www.city.kitakami.iwate.jp/" in passed


def test_the_same_applicant_in_japanese_is_unchanged(composer: Composer, emma: Candidate) -> None:
    japanese = dataclasses.replace(emma, language="ja")
    message = render(composer, "application_received", None, japanese)
    assert message.language == "ja" and message.body.startswith("Emma Brown 様")


def test_japanese_only_profile_value_is_an_error_naming_the_key(emma: Candidate) -> None:
    text = sample_profile_text().replace('name_en = "Kitakami City"\n', "")
    profile = parse_profile(text, source="kizuna.toml")
    with pytest.raises(ProfileError) as info:
        render(Composer(profile), "application_received", None, emma)
    assert info.value.field == "organisation.name_en"
    assert "北上市" in str(info.value) and "name_en" in str(info.value)
    # A Japanese letter needs no English.
    japanese = dataclasses.replace(emma, language="ja")
    assert render(Composer(profile), "application_received", None, japanese).body


def test_only_what_a_letter_uses_needs_english(emma: Candidate) -> None:
    # No English for the guide: every letter but the guide is written all the same.
    text = sample_profile_text()
    start = text.index("visit_en = ")
    text = text[:start] + text[text.index("\n", text.index("contact_en = ")) + 1:]
    profile = parse_profile(text, source="kizuna.toml")
    composer = Composer(profile)
    assert render(composer, "final_result", "passed", emma).body
    with pytest.raises(ProfileError) as info:
        render(composer, "pre_arrival_guide", None, emma)
    assert info.value.field == "guide.visit_en"


def test_values_without_japanese_need_no_english(emma: Candidate) -> None:
    text = sample_profile_text().replace('tool = "Zoom"', 'tool = "Microsoft Teams"')
    body = render(Composer(parse_profile(text, source="p.toml")), "interview_confirmation", None,
                  emma, stage="interview1").body
    assert "Where:  online (Microsoft Teams)" in body


def test_english_profile_keys_are_typo_checked() -> None:
    text = sample_profile_text().replace("name_en = ", "nmae_en = ")
    with pytest.raises(ProfileError) as info:
        parse_profile(text, source="kizuna.toml")
    assert info.value.field == "organisation.nmae_en" and "name_en" in str(info.value)
    bad = sample_profile_text().replace('title_en = "Digital Transformation (DX) Lead"', "title_en = 3")
    with pytest.raises(ProfileError) as info:
        parse_profile(bad, source="kizuna.toml")
    assert info.value.field == "position.title_en"


def test_unknown_language_lists_the_available_ones(composer: Composer, emma: Candidate) -> None:
    with pytest.raises(InputError) as info:
        render(composer, "application_received", None, dataclasses.replace(emma, language="fr"))
    assert "Unknown language 'fr'" in str(info.value)
    assert "ja (Japanese" in str(info.value) and "en (English)" in str(info.value)


def test_unknown_language_on_the_command_line(runner: CliRunner) -> None:
    done = runner.invoke(cli, ["draft", "application_received", "--name", "Emma Brown",
                               "--lang", "fr", "--date", "2026-11-26"])
    assert done.exit_code == 1
    assert "Unknown language 'fr'" in done.output and "en (English)" in done.output
    assert "Traceback" not in done.output


def test_language_codes_are_read_leniently(runner: CliRunner) -> None:
    for code in ("en", "EN", "en-GB", "English", "英語"):
        done = runner.invoke(cli, ["draft", "application_received", "--name", "Emma Brown",
                                   "--lang", code, "--date", "2026-11-26", "--no-log"])
        assert done.exit_code == 0, done.output
        assert done.output.startswith("Subject: Application received: ")


# ---------------------------------------------------------------------------------------------
# The log keeps the language; later drafts use it


def test_language_is_kept_in_the_log_and_used_by_later_drafts(runner: CliRunner, db_path: Path) -> None:
    first = runner.invoke(cli, ["--db", str(db_path), "draft", "application_received", "--name",
                                "Emma Brown", "--candidate", "E-0001", "--lang", "en",
                                "--date", "2026-11-26"])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("Subject: Application received: ")
    # Only the id: the log gives the name and the language.
    later = runner.invoke(cli, ["--db", str(db_path), "draft", "screening_result", "--candidate",
                                "E-0001", "--result", "passed", "--date", "2026-12-01"])
    assert later.exit_code == 0, later.output
    assert "Dear Emma Brown," in later.output and "you have passed Stage 1" in later.output
    # With the name typed again but no --lang, still English.
    again = runner.invoke(cli, ["--db", str(db_path), "draft", "note", "--candidate", "E-0001",
                                "--name", "Emma Brown", "--body-file", "-", "--date", "2026-12-02"],
                          input="The interview dates will follow next week.\n")
    assert again.exit_code == 0, again.output
    assert again.output.startswith("Subject: About the selection for ")
    with Log.open(db_path) as log:
        assert log.get_candidate("E-0001").language == "en"
        assert [e.language for e in log.timeline("E-0001")] == ["en", "en", "en"]
    # The applicant's language can be changed; the log keeps the new one.
    japanese = runner.invoke(cli, ["--db", str(db_path), "draft", "note", "--candidate", "E-0001",
                                   "--lang", "ja", "--body-file", "-", "--date", "2026-12-03"],
                             input="面接の日程は来週お送りします。\n")
    assert japanese.exit_code == 0 and japanese.output.startswith("件名：【北上市】")
    with Log.open(db_path) as log:
        assert log.get_candidate("E-0001").language == "ja"


def test_upgrade_from_m008_gives_every_applicant_japanese(db_path: Path) -> None:
    db = sqlite_utils.Database(db_path)
    migrations().apply(db, stop_before="m009_language")
    db.execute("INSERT INTO candidates (id, name) VALUES ('A-0001', '山田 太郎')")
    db.execute("INSERT INTO exchanges (candidate_id, direction, kind, subject, body, status) "
               "VALUES ('A-0001', 'out', 'application_received', '件名', '本文', 'draft')")
    db.close()
    with Log.open(db_path) as log:
        assert "m009_language" in {m.name for m in migrations().applied(log.db)}
        assert log.get_candidate("A-0001").language == "ja"
        assert log.timeline("A-0001")[0].language == "ja"
        [(_, message)] = log.outbound_messages(None)
        assert message.language == "ja"


def test_a_reply_in_english_books_and_is_confirmed_in_english(runner: CliRunner, db_path: Path) -> None:
    invite = runner.invoke(cli, ["--db", str(db_path), "draft", "interview_invitation", "--name",
                                 "Emma Brown", "--candidate", "E-0001", "--lang", "en",
                                 "--date", "2026-11-26", "--format", "json"])
    assert invite.exit_code == 0, invite.output
    reply = runner.invoke(cli, [
        "--db", str(db_path), "reply", "E-0001", "--at", "2026-11-27T09:00",
        "--text", "Hello Hanako,\n\nThe second one would suit me best.\n\nKind regards,\nEmma Brown\n"
                  "Flat 3\n12 High Street\n\nOn Thu, 26 Nov 2026 at 10:00, Hanako Kitakami "
                  "<dx-saiyo@example.lg.jp> wrote:\n> Option 1: Wednesday, 2 December 2026\n",
    ])
    assert reply.exit_code == 0, reply.output
    assert "Booked" in reply.output
    with Log.open(db_path) as log:
        confirmation = [e for e in log.timeline("E-0001") if e.kind == "interview_confirmation"][0]
    assert confirmation.language == "en"
    assert "Thank you for your quick reply." in confirmation.body
    assert "is confirmed for the time you chose, Option 2: " in confirmation.body


def test_an_edited_english_draft_keeps_its_subject_line() -> None:
    from kizuna.pipeline import apply_edit

    message = render(Composer(load_profile()), "application_received", None,
                     Candidate(id="E-1", name="Emma Brown", language="en"))
    edited = apply_edit(message, "Subject: Your application\n\nDear Emma Brown,\n\nThanks.\n")
    assert edited is not None and edited.subject == "Your application"
    assert edited.body == "Dear Emma Brown,\n\nThanks.\n"


# ---------------------------------------------------------------------------------------------
# Batch: one file, two languages


MIXED = (
    "応募番号,氏名,メールアドレス,結果,言語\n"
    "A-1,山田 太郎,taro@example.jp,通過,ja\n"
    "A-2,Emma Brown,emma@example.com,passed,en\n"
    "A-3,佐藤 花子,hanako@example.jp,不通過,\n"
    "A-4,Liam Chen,liam@example.com,not_passed,English\n"
)


def test_a_batch_may_mix_languages(tmp_path: Path, runner: CliRunner, db_path: Path) -> None:
    csv_file = tmp_path / "mixed.csv"
    csv_file.write_text(MIXED, encoding="utf-8")
    done = runner.invoke(cli, ["--db", str(db_path), "batch", str(csv_file), "--kind",
                               "screening_result", "--out", str(tmp_path / "out"), "--date",
                               "2026-11-26", "--format", "eml"])
    assert done.exit_code == 0, done.output
    assert "4 written" in done.output

    def read(stem: str) -> email.message.EmailMessage:
        data = (tmp_path / "out" / f"{stem}.eml").read_bytes()
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        return parsed

    ja, en, ja2, en2 = (read(s) for s in ("A-1", "A-2", "A-3", "A-4"))
    assert ja["Content-Language"] == "ja" and "山田 太郎 様" in ja.get_content()
    assert en["Content-Language"] == "en"
    body = en.get_content()
    assert body.startswith("Dear Emma Brown,") and "you have passed Stage 1" in body
    assert not has_japanese(body)
    assert "佐藤様の今後のご活躍" in ja2.get_content()
    assert "We wish you every success in the future." in en2.get_content()
    with Log.open(db_path) as log:
        assert {cid: log.get_candidate(cid).language for cid in ("A-1", "A-2", "A-3", "A-4")} == {
            "A-1": "ja", "A-2": "en", "A-3": "ja", "A-4": "en"}
        # Each letter's topics are in its own language.
        for cid, language in (("A-1", "ja"), ("A-2", "en")):
            [exchange] = log.timeline(cid)
            assert exchange.language == language


def test_an_unknown_language_in_a_batch_names_the_line(tmp_path: Path, runner: CliRunner,
                                                       db_path: Path) -> None:
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text(MIXED + "A-5,Jean Dupont,jean@example.fr,passed,fr\n", encoding="utf-8")
    done = runner.invoke(cli, ["--db", str(db_path), "batch", str(csv_file), "--kind",
                               "screening_result", "--out", str(tmp_path / "out"), "--date",
                               "2026-11-26"])
    assert done.exit_code == 1
    assert "line 6, column 言語: unknown language 'fr'" in done.output
    assert "en (English)" in done.output and "Traceback" not in done.output
    assert not (tmp_path / "out" / "A-1.txt").exists()


def test_an_empty_language_cell_takes_the_log_s(tmp_path: Path, db_path: Path) -> None:
    from kizuna.batch import run_batch

    profile = load_profile()
    with Log.open(db_path) as log:
        draft_message(profile, "application_received",
                      Candidate(id="A-2", name="Emma Brown", language="en"), on=ON, log=log)
        csv_file = tmp_path / "plain.csv"
        csv_file.write_text("id,name,result\nA-1,山田 太郎,passed\nA-2,Emma Brown,passed\n",
                            encoding="utf-8")
        run_batch(csv_file, kind="screening_result", profile=profile, log=log,
                  out_dir=tmp_path / "out", on=dt.date(2026, 12, 1)).run()
        assert log.get_candidate("A-2").language == "en"
    assert (tmp_path / "out" / "A-2.txt").read_text(encoding="utf-8").startswith("Subject: Result of")
    assert (tmp_path / "out" / "A-1.txt").read_text(encoding="utf-8").startswith("件名：【北上市】")


# ---------------------------------------------------------------------------------------------
# Email


def test_content_language_and_utf8(runner: CliRunner) -> None:
    english = runner.invoke(cli, ["draft", "application_received", "--name", "Emma Brown",
                                  "--email", "emma.brown@example.com", "--lang", "en",
                                  "--date", "2026-11-26", "--format", "eml",
                                  "--charset", "iso-2022-jp", "--no-log"])
    assert english.exit_code == 0, english.output
    parsed = email.message_from_bytes(english.stdout_bytes, policy=email.policy.default)
    assert parsed["Content-Language"] == "en"
    # ISO-2022-JP is for Japanese letters: an English one (Shōsetsu, the en dash) is UTF-8.
    assert parsed.get_content_charset() == "utf-8"
    assert parsed["From"].addresses[0].display_name == "Hanako Kitakami (Kitakami City)"
    japanese = runner.invoke(cli, ["draft", "application_received", "--name", "山田 太郎",
                                   "--email", "taro@example.jp", "--date", "2026-11-26",
                                   "--format", "eml", "--no-log"])
    parsed = email.message_from_bytes(japanese.stdout_bytes, policy=email.policy.default)
    assert parsed["Content-Language"] == "ja"


def test_the_calendar_of_an_english_confirmation_is_english(runner: CliRunner) -> None:
    from icalendar import Calendar

    done = runner.invoke(cli, ["draft", "interview_confirmation", "--name", "Emma Brown",
                               "--email", "emma.brown@example.com", "--lang", "en",
                               "--stage", "final", "--slot", "2026-12-05T10:00",
                               "--date", "2026-11-26", "--format", "eml", "--no-log"])
    assert done.exit_code == 0, done.output
    parsed = email.message_from_bytes(done.stdout_bytes, policy=email.policy.default)
    [ics] = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    event = Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Interview: Stage 3 (final interview) – Kitakami City"
    assert str(event["LOCATION"]) == "Kitakami City Hall (Main Building, 4th-floor meeting room)"
    assert not has_japanese(str(event["DESCRIPTION"]))


# ---------------------------------------------------------------------------------------------
# Topics: English lines only


TOWN_FILE = """
[town]
id = "testtown"
name = "テスト町"

[[topic]]
id = "with-english"
kind = "landscape"
tone = "neutral"
window = { from = "01-01", to = "12-31" }
lines = ["テスト町には川があります。"]
lines_en = ["Testtown has a river."]
source = "test"

[[topic]]
id = "japanese-only"
kind = "landscape"
tone = "neutral"
window = { from = "01-01", to = "12-31" }
lines = ["テスト町には山があります。"]
source = "test"
"""


def test_a_topic_without_english_is_never_in_an_english_letter(tmp_path: Path,
                                                               runner: CliRunner) -> None:
    from kizuna.topics import choose_many

    (tmp_path / "testtown.toml").write_text(TOWN_FILE, encoding="utf-8")
    profile_path = tmp_path / "kizuna.toml"
    profile_path.write_text(sample_profile_text().replace('town = "kitakami"', 'town = "testtown.toml"'),
                            encoding="utf-8")
    profile = load_profile(profile_path)
    ids = [f"A-{i}" for i in range(40)]
    japanese = choose_many(ON, "application_received", ids, profile=profile)
    english = choose_many(ON, "application_received", ids, profile=profile, language="en")
    assert {c.town.id for c in japanese if c.town} == {"testtown:with-english", "testtown:japanese-only"}
    assert {c.town.text for c in english if c.town} == {"Testtown has a river."}
    checked = runner.invoke(cli, ["topics", "check", str(tmp_path / "testtown.toml")])
    assert checked.exit_code == 0
    assert "Not used in English letters (1: no English line):" in checked.output
    assert "topic japanese-only: no lines_en" in checked.output
    explained = runner.invoke(cli, ["--profile", str(profile_path), "topics", "--kind",
                                    "application_received", "--date", "2026-11-26", "--lang", "en",
                                    "--all"])
    assert "testtown:japanese-only [neutral] no English line" in explained.output


def test_english_topic_text_is_validated(tmp_path: Path, runner: CliRunner) -> None:
    bad = TOWN_FILE.replace('lines_en = ["Testtown has a river."]',
                            'lines_en = ["テスト町には川があります。", "No full stop"]')
    (tmp_path / "bad.toml").write_text(bad, encoding="utf-8")
    checked = runner.invoke(cli, ["topics", "check", str(tmp_path / "bad.toml")])
    assert checked.exit_code == 1
    assert "with-english, key 'lines_en[0]': must be English: it holds Japanese characters" in checked.output
    assert "with-english, key 'lines_en[1]': must end with a full stop" in checked.output


def test_english_letters_never_carry_a_japanese_line() -> None:
    """Every day of 2026, every kind and result: the topics an English letter gets are English."""
    from kizuna.topics import choose

    profile = load_profile()
    day, seen = dt.date(2026, 1, 1), 0
    while day.year == 2026:
        for kind in KINDS:
            for result in (("passed", "not_passed") if KINDS[kind].needs_result else (None,)):
                for topic in choose(day, kind, result=result, candidate_id=f"E-{day}",
                                    profile=profile, language="en").topics:
                    assert not has_japanese(topic.text), (day, kind, topic.id)
                    seen += 1
        day += dt.timedelta(days=1)
    assert seen > 3000


def test_the_built_in_town_has_english_for_every_topic() -> None:
    from kizuna.topics import check_topic_file_report, load_town_file

    path = "seasonal_topics/towns/kitakami.toml"
    assert check_topic_file_report(path).no_english == ()
    town = load_town_file(path)
    for topic in town.topics:
        assert topic.lines_en and (topic.lead_en or not topic.lead), topic.id


def test_an_english_not_passed_notice_gets_no_season_line() -> None:
    from kizuna.topics import choose

    profile = load_profile()
    english = choose(ON, "screening_result", result="not_passed", candidate_id="E-1",
                     profile=profile, language="en")
    japanese = choose(ON, "screening_result", result="not_passed", candidate_id="E-1",
                      profile=profile)
    assert english.topics == () and [t.role for t in japanese.topics] == ["closing"]


# ---------------------------------------------------------------------------------------------
# kizuna check on English letters


@pytest.mark.parametrize(("kind", "result"), CASES)
def test_our_english_letters_pass_the_check_as_text_files(composer: Composer, emma: Candidate,
                                                          kind: str, result: str | None,
                                                          tmp_path: Path) -> None:
    # Read back from a file, as a recruiter checks a pasted draft: no Japanese rule (宛名,
    # keigo) raises a false alarm on an English letter.
    from kizuna.check import check_text

    message = render(composer, kind, result, emma)
    booking = SLOT_B if KINDS[kind].needs_slot else None
    findings = check_text(as_text(message), load_profile(), candidate=emma, on=ON, result=result,
                          booking=booking)
    assert findings == []


def test_english_rules_find_the_classic_mistakes() -> None:
    from kizuna.check import check_text

    text = ("Subject: Result of Stage 1 (document screening) – Kitakami City\n\n"
            "Dear Ms Brown,\n\n"
            "I am sorry to tell you that we are unable to offer you a place. Good luck!\n"
            "Your interview is on Thursday, 5 December 2026 at 10:00, tomorrow.\n"
            "Please reply by Monday, 23 November.\n")
    found = {(f.rule, f.line, f.text) for f in check_text(text, load_profile(), on=ON,
                                                          candidate=Candidate(id="E-1", name="Emma Brown"))}
    assert ("person.atena", 3, "Dear Ms Brown,") in found
    assert ("tone.exclamation", 5, "!") in found
    assert ("tone.cheer", 5, "Good luck") in found
    assert ("date.weekday", 6, "Thursday, 5 December 2026") in found
    assert ("date.relative", 6, "tomorrow") in found
    assert ("date.deadline", 7, "Monday, 23 November") in found
    assert not {rule for rule, _, _ in found} & {"keigo.mixed", "keigo.double"}


def test_check_reads_the_language_of_an_eml(tmp_path: Path, runner: CliRunner) -> None:
    made = runner.invoke(cli, ["draft", "screening_result", "--name", "Emma Brown", "--email",
                               "emma.brown@example.com", "--lang", "en", "--result", "not_passed",
                               "--date", "2026-11-26", "--format", "eml", "--no-log"])
    path = tmp_path / "draft.eml"
    path.write_bytes(made.stdout_bytes)
    clean = runner.invoke(cli, ["check", str(path)])
    assert clean.exit_code == 0, clean.output
    assert "0 errors, 0 warnings in 1 draft." in clean.output
    edited = tmp_path / "edited.txt"
    text = as_text(render(Composer(load_profile()), "screening_result", "not_passed",
                          Candidate(id="E-1", name="Emma Brown", language="en")))
    edited.write_text(text.replace("in the future.", "in the future!"), encoding="utf-8")
    loud = runner.invoke(cli, ["check", str(edited), "--lang", "en", "--name", "Emma Brown",
                               "--date", "2026-11-26"])
    assert loud.exit_code == 1 and "tone.exclamation" in loud.output


# ---------------------------------------------------------------------------------------------
# Replies in English


OFFERED = (SLOT_A, SLOT_B, SLOT_C)


def test_the_brief_s_examples_all_choose_option_2() -> None:
    from kizuna.slots import parse_choice

    for text in ("Option 2", "option two", "the second one", "2", "I'd like #2", "2nd please"):
        choice = parse_choice(text, OFFERED)
        assert (choice.status, choice.number) == ("chosen", 2), (text, choice.reason)


@pytest.mark.parametrize(("text", "number"), [
    ("option two, please.", 2),
    ("The second one works best for me.", 2),
    ("I'd prefer the 2nd option.", 2),
    ("Saturday 5 December at 10:00 please", 2),
    ("5 Dec, 10am", 2),
    ("December 6th at 1pm would be great", 3),
    ("Wednesday at 6pm", 1),
    ("I'll take the last one.", 3),
    ("Thanks! Option 1 doesn't work for me, but option 3 is fine.", 3),
    ("Anything but option 1 is fine. Option 2 please.", 2),
    ("My first choice is option 3, and my second choice is option 1.", 3),
    ("Option 3 as my first choice, option 1 as my second.", 3),
    ("First, thank you for the email. I would like option 2.", 2),
    ("2nd December at 18:00 works for me", 1),
    ("Option 2 please.\n\nKind regards,\nEmma Brown\nFlat 3\n12 High Street", 2),
])
def test_english_replies_choose(text: str, number: int) -> None:
    from kizuna.slots import parse_choice

    choice = parse_choice(text, OFFERED)
    assert (choice.status, choice.number) == ("chosen", number), choice.reason


def test_english_clients_quotes_and_signatures_are_not_read() -> None:
    from kizuna.slots import parse_choice

    gmail = ("Option 2 please.\n\nBest,\nEmma\nTel. 3\n\nOn Thu, 26 Nov 2026 at 10:00, Hanako "
             "Kitakami <dx-saiyo@example.lg.jp> wrote:\n> Option 1: Wednesday\n> Option 3")
    outlook = ("Option 3\n\nKind regards,\nEmma Brown\nRoom 1\n\n-----Original Message-----\n"
               "From: Hanako Kitakami\nSent: Thursday, November 26, 2026 10:00 AM\nOption 1: ...")
    assert parse_choice(gmail, OFFERED).number == 2
    assert parse_choice(outlook, OFFERED).number == 3


def test_english_replies_are_refused_when_ambiguous_as_in_japanese() -> None:
    from kizuna.slots import parse_choice

    for text, status in (("Option 2 or 3", "ambiguous"), ("option two or three", "ambiguous"),
                         ("Options 1 and 2 both work for me.", "ambiguous"),
                         ("Any of them is fine.", "ambiguous"),
                         ("Option 2, or Saturday 6 December at 13:00.", "ambiguous"),
                         ("the first or the second one", "ambiguous"),
                         ("Option 5", "none"),
                         ("Hello, we will be 2 people. Thank you.", "none"),
                         ("I can do 5 December.", "chosen")):
        assert parse_choice(text, OFFERED).status == status, text


def test_english_sign_offs_end_the_text_read() -> None:
    from kizuna.replytext import strip_quoted

    assert strip_quoted("Option 2.\n\nBest,\nEmma Brown\n+44 20 7946 0958") == "Option 2."
    assert strip_quoted("Hello,\nOption 2.\nThanks!\nEmma\nSent from my iPhone") == "Hello,\nOption 2."
    # A sign-off word as the first line is not a signature.
    assert strip_quoted("Thanks,\nOption 2 please.") == "Thanks,\nOption 2 please."
    # Nor one followed by a long letter.
    long = "Option 2.\nThanks\n" + "\n".join(f"line {i} of a long answer" for i in range(12))
    assert strip_quoted(long) == long


def test_a_template_folder_overrides_english_templates_in_its_en_folder(tmp_path: Path,
                                                                          emma: Candidate) -> None:
    folder = tmp_path / "my_templates"
    (folder / "en").mkdir(parents=True)
    (folder / "application_received.txt").write_text(
        '{% extends "base.txt" %}{% block subject %}【{{ org.name }}】受付{% endblock %}', encoding="utf-8")
    (folder / "en" / "application_received.txt").write_text(
        '{% extends "base.txt" %}{% block subject %}Thanks – {{ org.name }}{% endblock %}'
        "{% block body %}Our own English text.{% endblock %}", encoding="utf-8")
    path = tmp_path / "kizuna.toml"
    path.write_text(sample_profile_text().replace('templates = ""', 'templates = "my_templates"'),
                    encoding="utf-8")
    composer = Composer(load_profile(path))
    english = composer.compose("application_received", emma, on=ON)
    assert english.subject == "Thanks – Kitakami City"
    assert "Our own English text." in english.body and english.body.startswith("Dear Emma Brown,")
    japanese = composer.compose("application_received", dataclasses.replace(emma, language="ja"), on=ON)
    assert japanese.subject == "【北上市】受付"
    # A kind the folder does not override in English is the built-in English one.
    assert composer.compose("screening_result", emma, on=ON, result="passed").subject.startswith("Result of")
