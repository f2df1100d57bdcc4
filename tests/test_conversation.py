"""One applicant through the log, point by point: every message knows where it stands.

Each test drives the real pipeline (and the CLI where the recruiter would) on a tmp_path log
on fixed dates, and asserts on the Japanese text the applicant reads.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from test_timelines import SCENARIOS, Clock, Recruiter, timeline_profile

from kizuna import pipeline
from kizuna.cli import cli
from kizuna.errors import DraftCancelled, InputError, KizunaError, SlotError
from kizuna.log import Log, migrations
from kizuna.mentions import read_mentions
from kizuna.models import JST, Candidate, split_name
from kizuna.profile import Profile, parse_profile, sample_profile_text


@pytest.fixture
def office(tmp_path: Path) -> tuple[Profile, Log, Clock]:
    clock = Clock()
    log = Log.open(tmp_path / "kizuna.db", clock=clock)
    return timeline_profile(), log, clock


def run(office: tuple[Profile, Log, Clock], name: str) -> tuple[Log, Candidate, list[str]]:
    """A golden scenario through the log: the bodies of its messages to the applicant."""
    profile, log, clock = office
    candidate, scenario = SCENARIOS[name]
    scenario(Recruiter(profile, log, clock, candidate))
    return log, candidate, [e.body for e in log.timeline(candidate.id) if e.direction == "out"]


def by_kind(log: Log, candidate_id: str, kind: str) -> list[str]:
    return [e.body for e in log.timeline(candidate_id) if e.kind == kind]


def greeting(body: str) -> str:
    """The line after the self-introduction (名乗り): the thanks."""
    lines = body.splitlines()
    return lines[lines.index(next(x for x in lines if x.endswith("の北上 花子です。"))) + 1]


# ------------------------------------------------------------ 1. thanks and results by stage


def test_thanks_name_what_the_applicant_did(office: tuple[Profile, Log, Clock]) -> None:
    log, who, bodies = run(office, "passed_to_the_first_day")
    assert "ご応募いただき" in greeting(by_kind(log, who.id, "application_received")[0])
    assert "書類をご提出いただき" in greeting(by_kind(log, who.id, "screening_result")[0])
    final_invitation = by_kind(log, who.id, "interview_invitation")[1]
    assert "お忙しい中、第2次試験（一次面接）にお時間をいただき" in greeting(final_invitation)
    # He came by Shinkansen, as his reply said: the final result thanks him for the journey.
    assert "遠方から、最終試験（最終面接）のためにお越しいただき" in by_kind(log, who.id, "final_result")[0]
    for body in bodies:
        assert "ご対応いただき" not in body and "ご対応くださ" not in body


def test_each_stage_has_its_own_result_wording(office: tuple[Profile, Log, Clock]) -> None:
    log, who, _ = run(office, "not_passed_after_an_interview")
    result = by_kind(log, who.id, "interview_result")[0]
    assert "第2次試験（一次面接）結果のご連絡" in log.timeline(who.id)[-1].subject
    assert "面接" in result and "ご希望に添いかねる結果" in result
    assert "書類をもとに" not in result and "書類を拝見" not in result
    assert "書類をもとに" in by_kind(log, who.id, "screening_result")[0]
    # No cheer in a rejection: no season line, town line or slogan.
    assert "KitaComing" not in result and "楽しみ" not in result
    profile = timeline_profile()
    with pytest.raises(InputError, match="interview_result") as caught:
        pipeline.prepare_message(profile, "screening_result", who, on=dt.date(2027, 3, 4),
                                 result="passed", stage="interview1")
    assert caught.value.field == "stage"


def test_a_passed_interview_is_told_before_the_next_invitation(office: tuple[Profile, Log, Clock]) -> None:
    log, who, _ = run(office, "passed_to_the_first_day")
    final_invitation = by_kind(log, who.id, "interview_invitation")[1]
    told = "第2次試験（一次面接）の結果、山田様には最終試験（最終面接）へお進みいただくことになりました。"
    assert told in final_invitation
    assert final_invitation.index(told) < final_invitation.index("①")
    # Told already by a result notice: the invitation refers to it instead of saying it again.
    log3, abroad, _ = run((timeline_profile(), Log.memory(clock=Clock()), Clock()), "applicant_abroad")
    after_result = by_kind(log3, abroad.id, "interview_invitation")[1]
    assert "お進みいただくことになりました" not in after_result
    assert greeting(after_result).startswith("先日お知らせいたしました第2次試験（一次面接）の結果を受け")


# ------------------------------------------------------------ 2. names


@pytest.mark.parametrize(("name", "family", "given"), [
    ("山田 太郎", "山田", "太郎"),
    ("山田　太郎", "山田", "太郎"),
    ("山田太郎", "山田太郎", ""),
    ("髙橋 﨑子", "髙橋", "﨑子"),
    ("Emma Brown", "Emma Brown", ""),
    ("  山田 太郎 次郎 ", "山田", "太郎 次郎"),
])
def test_a_name_splits_on_its_first_space(name: str, family: str, given: str) -> None:
    assert split_name(name) == (family, given)
    candidate = Candidate(id="A-1", name=name)
    assert (candidate.family_name, candidate.given_name) == (family, given)


def test_the_body_says_the_family_name_and_the_address_the_full_name(runner: CliRunner, db_path: Path) -> None:
    result = runner.invoke(cli, ["--db", str(db_path), "draft", "screening_result", "--name", "山田　太郎",
                                 "--candidate", "A-1", "--result", "passed", "--date", "2026-11-24"])
    assert result.exit_code == 0, result.output
    body = result.output.split("\n\n", 1)[1]
    assert body.startswith("山田　太郎 様\n")
    assert "山田様は第1次試験（書類選考）を通過されました" in body
    assert "山田　太郎" not in body.split("\n", 1)[1]
    with Log.open(db_path) as log:
        known = log.get_candidate("A-1")
    assert (known.name, known.family_name, known.given_name) == ("山田　太郎", "山田", "太郎")
    latin = runner.invoke(cli, ["draft", "screening_result", "--name", "Emma Brown", "--result", "passed",
                                "--date", "2026-11-24", "--no-log"])
    assert "Emma Brown 様は第1次試験" in latin.output  # a Latin name is not guessed at


def test_csv_columns_sei_and_mei(tmp_path: Path, db_path: Path) -> None:
    from kizuna.batch import run_batch
    from kizuna.profile import load_profile

    path = tmp_path / "a.csv"
    path.write_text("応募番号,姓,名,メールアドレス,結果\nA-1,佐藤,花子,h@example.jp,通過\n"
                    "A-2,髙橋,一郎,i@example.jp,不通過\n", encoding="utf-8")
    with Log.open(db_path) as log:
        run_batch(path, kind="screening_result", profile=load_profile(), log=log,
                  out_dir=tmp_path / "out", on=dt.date(2026, 11, 24), fmt="txt").run()
        assert log.get_candidate("A-1").name == "佐藤 花子"
        assert log.get_candidate("A-2").family_name == "髙橋"
    passed = (tmp_path / "out" / "A-1.txt").read_text(encoding="utf-8")
    assert "佐藤 花子 様" in passed and "佐藤様は第1次試験" in passed
    assert "髙橋様の今後のご活躍" in (tmp_path / "out" / "A-2.txt").read_text(encoding="utf-8")


def test_upgrade_from_m006_keeps_applicants_and_splits_their_names(db_path: Path) -> None:
    db = sqlite_utils.Database(db_path)
    migrations().apply(db, stop_before="m007_names")
    db.execute("INSERT INTO candidates (id, name) VALUES ('A-0001', '山田 太郎')")
    db.execute("INSERT INTO exchanges (candidate_id, direction, kind, subject, body, status) "
               "VALUES ('A-0001', 'out', 'application_received', '件名', '本文', 'sent')")
    db.close()
    with Log.open(db_path) as log:
        assert [m.name for m in migrations().applied(log.db)][6:8] == ["m007_names", "m008_conversation"]
        known = log.get_candidate("A-0001")
        assert (known.family_name, known.given_name) == ("山田", "太郎")
        assert log.timeline("A-0001")[0].said == () and log.timeline("A-0001")[0].answers is None


# ------------------------------------------------------------ 3. continuity with the log


def test_the_confirmation_repeats_the_choice_and_answers_the_journey(office: tuple[Profile, Log, Clock]) -> None:
    log, who, _ = run(office, "passed_to_the_first_day")
    first, final = by_kind(log, who.id, "interview_confirmation")
    assert "ご希望の②、12月5日（土）10:00〜11:00に、第2次試験（一次面接）の日時を確定いたしました。" in first
    assert "ご希望の③、12月20日（日）13:00〜14:00に" in final
    assert "新幹線でお越しとのこと、承知いたしました。北上駅から本庁舎までは" in final


def test_a_question_is_acknowledged_or_left_for_the_recruiter(office: tuple[Profile, Log, Clock],
                                                             runner: CliRunner, db_path: Path) -> None:
    log, who, _ = run(office, "applicant_abroad")
    confirmation = by_kind(log, who.id, "interview_confirmation")[0]
    assert "お尋ねの件につきましては、あらためて担当者からご回答いたします。" in confirmation
    assert read_mentions("2番でお願いします。駐車場はありますか？").questions == ("駐車場はありますか？",)
    assert read_mentions("②でよろしいでしょうか。").questions == ()  # the choice is confirmed anyway
    # With --edit, a marked spot for the recruiter: left as it is, nothing is recorded.
    profile = timeline_profile()
    with Log.open(db_path) as cli_log:
        cli_log.upsert_candidate(Candidate(id="A-9", name="山田 太郎"))
        offered = pipeline.draft_message(profile, "interview_invitation", cli_log.get_candidate("A-9"),
                                         on=dt.date(2026, 11, 26), log=cli_log).message.slots
        pipeline.handle_reply(profile, cli_log, "A-9", "1番でお願いします。当日の服装はどうすればよいでしょうか。",
                              on=dt.date(2026, 11, 27), now=dt.datetime(2026, 11, 27, 9, tzinfo=JST))
        before = len(cli_log.timeline("A-9"))
    shown: list[str] = []

    def editor(text: str, **_: object) -> str:
        shown.append(text)
        return text

    import click
    original = click.edit
    click.edit = editor  # type: ignore[assignment]
    try:
        result = runner.invoke(cli, ["--db", str(db_path), "draft", "interview_confirmation",
                                     "--candidate", "A-9", "--date", "2026-11-27", "--edit"])
    finally:
        click.edit = original  # type: ignore[assignment]
    assert "<<<ここに、ご質問「当日の服装はどうすればよいでしょうか。」へのお答えを書いてください>>>" in shown[0]
    assert result.exit_code == 1 and "nothing was recorded" in result.output
    with Log.open(db_path) as cli_log:
        assert len(cli_log.timeline("A-9")) == before
    assert offered


def test_the_reminder_says_tomorrow_only_for_tomorrow_and_carries_the_day(office: tuple[Profile, Log, Clock]) -> None:
    log, who, _ = run(office, "passed_to_the_first_day")
    online, onsite = by_kind(log, who.id, "interview_reminder")
    assert "明日の第2次試験（一次面接）について" in online
    assert "https://meet.example.jp/kitakami/interview1-a0001" in online
    # Sunday: the reception is closed, so the entrance in use and a number that answers.
    assert "東側の通用口" in onsite and "0197-00-0001" in onsite
    profile = timeline_profile()
    slot = pipeline.slot_from_text(profile, "2026-12-05T10:00")
    early = pipeline.prepare_message(profile, "interview_reminder", who, on=dt.date(2026, 12, 2), slot=slot,
                                     meeting_url="https://meet.example.jp/x")
    assert early.subject == "【北上市】12月5日（土）の第2次試験（一次面接）について"
    assert "明日" not in early.body


def test_an_online_reminder_without_its_url_is_refused(office: tuple[Profile, Log, Clock]) -> None:
    profile, log, clock = office
    recruiter = Recruiter(profile, log, clock, Candidate(id="A-5", name="佐藤 花子"))
    recruiter.draft(dt.date(2027, 2, 22), "interview_invitation")
    recruiter.reply(dt.datetime(2027, 2, 23, 21, tzinfo=JST), "1番でお願いします。")
    day = recruiter.booked_day() - dt.timedelta(days=1)
    with pytest.raises(InputError, match="meeting URL") as caught:
        pipeline.draft_reminders(profile, log, on=day)
    assert "A-5" in str(caught.value)
    assert [e.kind for e in log.timeline("A-5")].count("interview_reminder") == 0


# ------------------------------------------------------------ 4. on-site logistics


def test_onsite_logistics_and_the_snow_months(office: tuple[Profile, Log, Clock]) -> None:
    log, who, _ = run(office, "passed_to_the_first_day")
    invitation = by_kind(log, who.id, "interview_invitation")[1]
    assert "交通費は、市の規程に基づき支給いたします" in invitation
    assert "オンラインでの受験もご相談ください" in invitation
    final = by_kind(log, who.id, "interview_confirmation")[1]
    assert "雪や路面の凍結が多く、列車が遅れることもございます" in final  # December
    abroad_log, abroad, _ = run((timeline_profile(), Log.memory(clock=Clock()), Clock()), "applicant_abroad")
    august = by_kind(abroad_log, abroad.id, "interview_confirmation")[1]
    assert "雪" not in august and "飛行機と新幹線でお越しとのこと" in august
    assert "現地時間" not in august  # on site he is in Japan: Japan's time only


def test_onsite_keys_are_typed_and_checked() -> None:
    text = sample_profile_text()
    with pytest.raises(KizunaError, match="onsite.parkng"):
        parse_profile(text.replace("[onsite]\n", "[onsite]\nparkng = \"x\"\n"), source="p.toml")
    with pytest.raises(KizunaError, match="reception_closes"):
        parse_profile(text.replace('reception_closes = "17:15"', 'reception_closes = "5pm"'), source="p.toml")
    with pytest.raises(KizunaError, match="snow_months"):
        parse_profile(text.replace('snow_months = ["12-01", "03-31"]', 'snow_months = ["12-01"]'), source="p.toml")
    with pytest.raises(KizunaError, match="meeting_url"):
        parse_profile(text.replace('tool = "Zoom"\n', 'tool = "Zoom"\nmeeting_url = "zoom room 3"\n'), source="p.toml")


def test_an_applicant_abroad_is_offered_waking_hours(office: tuple[Profile, Log, Clock]) -> None:
    log, who, _ = run(office, "applicant_abroad")
    invitation = by_kind(log, who.id, "interview_invitation")[0]
    local = re.findall(r"現地時間 \d+月\d+日（.）(\d+):\d+〜(\d+):\d+", invitation)
    assert len(local) == 3 and all(int(start) >= 7 and int(end) <= 22 for start, end in local)


# ------------------------------------------------------------ 5. the public employer's path


def test_final_pass_then_offer_then_guide(office: tuple[Profile, Log, Clock]) -> None:
    log, who, _ = run(office, "passed_to_the_first_day")
    kinds = [e.kind for e in log.timeline(who.id) if e.direction == "out"]
    assert kinds.index("final_result") < kinds.index("offer") < kinds.index("pre_arrival_guide")
    offer = by_kind(log, who.id, "offer")[0]
    assert "採用内定" in offer and "1月15日（金）までにお知らせください" in offer
    assert "12月29日（火）から1月3日（日）までは年末年始の閉庁期間" in offer  # sent 12-25
    assert "北上 花子（電話 0197-00-0000）" in offer  # whom to ask
    guide = by_kind(log, who.id, "pre_arrival_guide")[0]
    assert "■ ご着任のころの北上市" in guide and "桜並木" in guide  # the spring of 4/1, not February


def test_an_offer_before_a_final_pass_is_refused(office: tuple[Profile, Log, Clock]) -> None:
    profile, log, _ = office
    who = Candidate(id="A-7", name="山田 太郎")
    log.upsert_candidate(who)
    with pytest.raises(InputError, match="final_result passed") as caught:
        pipeline.draft_message(profile, "offer", who, on=dt.date(2026, 12, 25), log=log)
    assert "A-7" in str(caught.value)
    with pytest.raises(InputError, match="offer"):
        pipeline.draft_message(profile, "pre_arrival_guide", who, on=dt.date(2027, 2, 1), log=log)
    assert log.timeline("A-7") == []
    forced = pipeline.draft_message(profile, "offer", who, on=dt.date(2026, 12, 25), log=log, force=True)
    assert forced.exchange is not None


def test_the_guide_refuses_a_first_day_not_after_the_send_date() -> None:
    profile = timeline_profile()
    for day in (dt.date(2027, 4, 1), dt.date(2027, 5, 1)):
        with pytest.raises(InputError, match="not after the send date") as caught:
            pipeline.prepare_message(profile, "pre_arrival_guide", Candidate(id="A-1", name="山田 太郎"), on=day)
        assert caught.value.field == "position.start_date"


def test_a_confirmation_without_a_booking_names_what_is_missing(office: tuple[Profile, Log, Clock]) -> None:
    profile, log, _ = office
    who = Candidate(id="A-8", name="山田 太郎")
    log.upsert_candidate(who)
    with pytest.raises(InputError, match="no booking") as caught:
        pipeline.draft_message(profile, "interview_confirmation", who, on=dt.date(2026, 11, 27), log=log)
    assert caught.value.field == "slot" and "kizuna reply" in str(caught.value)


def test_after_a_not_passed_notice_only_a_result_or_a_note(office: tuple[Profile, Log, Clock]) -> None:
    log, who, _ = run(office, "not_passed_after_an_interview")
    profile = timeline_profile()
    with pytest.raises(InputError, match="did not pass"):
        pipeline.draft_message(profile, "interview_invitation", who, on=dt.date(2027, 3, 8), log=log)
    note = pipeline.draft_message(profile, "note", who, on=dt.date(2027, 3, 8), log=log,
                                  note="書類の返却についてのお問い合わせにお答えいたします。")
    assert note.exchange is not None


# ------------------------------------------------------------ 6. a note written by hand


def test_a_note_is_framed_and_answers_the_latest_message(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    with Log.open(db_path) as log:
        log.upsert_candidate(Candidate(id="A-1", name="山田 太郎"))
        log.record_inbound("A-1", "駐車場はありますか。", received_at=dt.datetime(2027, 6, 1, 9, 0))
    waiting = runner.invoke(cli, ["--db", str(db_path), "pending", "--date", "2027-06-02"])
    assert "A-1" in waiting.output
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    cancelled = runner.invoke(cli, ["--db", str(db_path), "draft", "note", "--candidate", "A-1",
                                    "--body-file", str(empty), "--date", "2026-12-01"])
    assert cancelled.exit_code == 1 and "nothing was recorded" in cancelled.output
    answer = tmp_path / "answer.txt"
    answer.write_text("本庁舎の来庁者用駐車場をご利用いただけます。\n", encoding="utf-8")
    drafted = runner.invoke(cli, ["--db", str(db_path), "draft", "note", "--candidate", "A-1",
                                  "--body-file", str(answer), "--date", "2026-12-01", "--format", "json"])
    assert drafted.exit_code == 0, drafted.output
    data = json.loads(drafted.output)
    body = data["body"]
    assert body.startswith("山田 太郎 様\n\n北上市役所 企画部 都市プロモーション課の北上 花子です。\nご連絡をいただき")
    assert "本庁舎の来庁者用駐車場をご利用いただけます。" in body and "────────────" in body
    assert data["subject"] == "【北上市】お問い合わせへのご回答"
    assert any(t["role"] == "opening" for t in data["topics"])
    # Answered once sent, although the reply's clock (June 2027) is later than the send (now).
    runner.invoke(cli, ["--db", str(db_path), "sent", str(data["exchange_id"])])
    after = runner.invoke(cli, ["--db", str(db_path), "pending", "--date", "2027-06-02"])
    assert "A-1" not in after.output
    with Log.open(db_path) as log:
        note = log.get_exchange(data["exchange_id"])
        assert note.answers == log.timeline("A-1")[0].id


def test_a_note_without_any_text_is_cancelled() -> None:
    with pytest.raises(DraftCancelled):
        pipeline.draft_message(timeline_profile(), "note", Candidate(id="A-1", name="山田 太郎"),
                               on=dt.date(2026, 12, 1), note="")


# ------------------------------------------------------------ 7, 8. no repetition within a timeline


# Procedural lines each invitation or interview needs again: how to answer it, and the details
# of the interview (the confirmation's and the reminder's 日時/会場 block).
PROCEDURAL = ("次の候補から、ご都合のよい日時を番号でお知らせください。",
              "いずれの日時もご都合が合わない場合は、遠慮なくその旨をお知らせください。別の日時をあらためてご提案いたします。",
              "急なご事情でご都合が悪くなった場合や、当日お困りのことがございましたら")


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_nothing_is_said_twice_in_a_timeline(office: tuple[Profile, Log, Clock], name: str) -> None:
    log, who, bodies = run(office, name)
    counts: Counter[str] = Counter()
    for body in bodies:
        text = body.split("────────────")[0]
        for line in text.splitlines()[3:]:  # after the 宛名 and the 名乗り
            if line.strip() and not line.startswith("\u3000") and not line.startswith(PROCEDURAL):
                counts[line] += 1
    assert [line for line, n in counts.items() if n > 1] == []
    out = [e for e in log.timeline(who.id) if e.direction == "out"]
    themes = [t["theme"] for e in out for t in json.loads(log.db.execute(
        "SELECT topics FROM exchanges WHERE id = ?", [e.id]).fetchone()[0])]
    assert len(themes) == len(set(themes)), themes
    said = [s for e in out for s in e.said]
    assert len(said) == len(set(said)), said
    assert sum("平日の夕方以降と土日" in b for b in bodies) == 1


def test_confirmations_and_reminders_carry_no_advert(office: tuple[Profile, Log, Clock]) -> None:
    log, who, _ = run(office, "passed_to_the_first_day")
    town_lines = set()
    for e in log.timeline(who.id):
        row = log.db.execute("SELECT topics FROM exchanges WHERE id = ?", [e.id]).fetchone()[0]
        if e.kind in ("interview_confirmation", "interview_reminder"):
            assert json.loads(row) == []
        town_lines |= {t["text"] for t in json.loads(row) if t["role"] == "town"}
    for body in by_kind(log, who.id, "interview_confirmation") + by_kind(log, who.id, "interview_reminder"):
        assert not any(line in body for line in town_lines)


# ------------------------------------------------------------ 9. dates that make sense


@pytest.mark.parametrize(("slot", "why"), [
    ("2026-11-23T10:00", "public holiday"),
    ("2026-12-30T10:00", "year-end closure"),
    ("2026-08-14T18:00", "blocked"),
])
def test_a_slot_on_a_closed_day_is_refused_unless_forced(slot: str, why: str) -> None:
    profile = timeline_profile()
    with pytest.raises(SlotError, match=why) as caught:
        pipeline.slot_from_text(profile, slot)
    assert "--force" in str(caught.value)
    assert pipeline.slot_from_text(profile, slot, force=True).start.isoformat().startswith(slot)


def test_the_cli_refuses_a_holiday_slot(runner: CliRunner) -> None:
    args = ["draft", "interview_confirmation", "--name", "山田 太郎", "--date", "2026-11-20", "--no-log",
            "--slot", "2026-11-23T10:00"]
    refused = runner.invoke(cli, args)
    assert refused.exit_code == 1 and "勤労感謝の日" in refused.output
    assert runner.invoke(cli, [*args, "--force"]).exit_code == 0


def test_obon_is_blocked_from_proposals() -> None:
    profile = timeline_profile()
    slots = pipeline.prepare_message(profile, "interview_invitation", Candidate(id="A-1", name="山田 太郎"),
                                     on=dt.date(2026, 8, 7)).slots
    assert slots and not any(dt.date(2026, 8, 13) <= s.start.date() <= dt.date(2026, 8, 16) for s in slots)
    with pytest.raises(KizunaError, match="blocked_periods"):
        parse_profile(sample_profile_text().replace('# blocked_periods = [["08-13", "08-16"]]',
                                                    'blocked_periods = [["08-13"]]'), source="p.toml")


def test_a_deadline_across_the_closure_says_the_office_is_closed() -> None:
    profile = timeline_profile()
    who = Candidate(id="A-1", name="山田 太郎")
    late = pipeline.prepare_message(profile, "interview_invitation", who, on=dt.date(2026, 12, 25))
    assert "12月29日（火）から1月3日（日）までは年末年始の閉庁期間" in late.body
    assert late.deadline is not None and late.deadline > dt.date(2027, 1, 3)
    early = pipeline.prepare_message(profile, "interview_invitation", who, on=dt.date(2026, 12, 3))
    assert "閉庁" not in early.body


def test_festive_town_lines_in_pass_notices_only(office: tuple[Profile, Log, Clock]) -> None:
    from kizuna.topics import explain

    profile = timeline_profile()
    day = dt.date(2027, 4, 20)  # 展勝地's cherries
    passed = explain(day, "final_result", result="passed", profile=profile)
    assert any(c.id == "kitakami:sakura-matsuri" for c in passed.eligible("town"))
    refused = explain(day, "final_result", result="not_passed", profile=profile)
    assert refused.eligible("town") == [] and refused.eligible("opening") == []


def test_a_note_is_not_a_batch_kind(tmp_path: Path, db_path: Path) -> None:
    from kizuna.batch import run_batch
    from kizuna.errors import BatchError

    path = tmp_path / "a.csv"
    path.write_text("id,name\nA-1,山田 太郎\n", encoding="utf-8")
    with Log.open(db_path) as log, pytest.raises(BatchError, match="written by the recruiter"):
        run_batch(path, kind="note", profile=timeline_profile(), log=log, out_dir=tmp_path / "out",
                  on=dt.date(2026, 12, 1))
