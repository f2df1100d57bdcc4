"""`kizuna today`: the morning list, one applicant per section (and one in none), on fixed days
around a weekend and a holiday; `--draft` (reminders and nudges, each once); the nudge kind.

The office's week: Friday 2026-11-20, then Saturday, Sunday, Monday 11-23 (勤労感謝の日), so
the next office day after Friday is Tuesday 11-24.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

import kizuna
from kizuna import pipeline
from kizuna.agenda import SECTIONS, Today, today
from kizuna.cli import cli
from kizuna.errors import InputError
from kizuna.log import Log
from kizuna.models import JST, Candidate, Slot
from kizuna.profile import Profile, load_profile, parse_profile, sample_profile_text

FRIDAY = dt.date(2026, 11, 20)
TUESDAY = dt.date(2026, 11, 24)  # after the weekend and Monday's holiday
URL = "https://meet.example.jp/kitakami/today"


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=JST)


def slot(month: int, day: int, hour: int) -> Slot:
    return Slot(at(month, day, hour), at(month, day, hour + 1))


@dataclass
class Clock:
    now: dt.datetime = at(11, 1, 9)

    def __call__(self) -> str:
        return self.now.isoformat(timespec="seconds")


PEOPLE = {
    "A-0001": "山田 太郎",    # waiting for our answer (and an old unsent draft: listed once)
    "A-0002": "佐藤 花子",    # interview on Saturday, no reminder (its confirmation unsent)
    "A-0003": "鈴木 一郎",    # held slots run out on Friday, no reply
    "A-0004": "高橋 美咲",    # a not-passed notice drafted Wednesday, not sent
    "A-0005": "田中 健太",    # silent since 11-10
    "A-0006": "伊藤 陽菜",    # its message was refused by the server
    "A-0007": "渡辺 翔",      # in none: answered two business days ago
    "A-0008": "中村 結衣",    # interview on Tuesday, the next office day
    "A-0009": "小林 一郎",    # in none: interview on Wednesday, after the window
    "A-0010": "加藤 太郎",    # an older draft, but not a result notice
    "A-0011": "木村 花子",    # in none: a draft of Thursday has waited one business day only
}


class Office:
    """Drives the library as the recruiter would, on the log's own clock."""

    def __init__(self, profile: Profile, log: Log, clock: Clock) -> None:
        self.profile, self.log, self.clock = profile, log, clock

    def who(self, cid: str) -> Candidate:
        return Candidate(id=cid, name=PEOPLE[cid], email=f"{cid.lower()}@example.jp")

    def draft(self, when: dt.datetime, cid: str, kind: str, *, sent: bool = True,
              **options: object) -> pipeline.Drafted:
        self.clock.now = when
        drafted = pipeline.draft_message(self.profile, kind, self.who(cid), on=when.date(),
                                         log=self.log, **options)  # type: ignore[arg-type]
        assert drafted.exchange is not None
        if sent:
            self.log.mark_sent(drafted.exchange.id, sent_at=when + dt.timedelta(minutes=30))
        return drafted

    def reply(self, when: dt.datetime, cid: str, text: str, *, sent: bool = True) -> None:
        self.clock.now = when
        outcome = pipeline.handle_reply(self.profile, self.log, cid, text, on=when.date(), now=when)
        if outcome.confirmation is not None and sent:
            assert outcome.confirmation.exchange is not None
            self.log.mark_sent(outcome.confirmation.exchange.id, sent_at=when + dt.timedelta(hours=1))

    def interview(self, cid: str, booked: Slot, *, confirmation_sent: bool = True) -> None:
        """Invited on Monday 11-16 (the booked time as ①), booked on Tuesday 11-17."""
        self.draft(at(11, 16, 9), cid, "interview_invitation",
                   slots=[booked, Slot(booked.start + dt.timedelta(days=7),
                                       booked.end + dt.timedelta(days=7))])
        self.reply(at(11, 17, 12), cid, "1番でお願いいたします。", sent=confirmation_sent)
        pipeline.set_meeting_url(self.log, cid, URL)


def build(office: Office) -> None:
    o = office
    for cid in PEOPLE:
        o.draft(at(11, 10, 9), cid, "application_received")
    # A-0001: an old draft never sent, then a question on Tuesday that nobody answered.
    o.draft(at(11, 16, 11), "A-0001", "screening_result", result="passed", sent=False)
    o.reply(at(11, 17, 10), "A-0001", "お世話になっております。\n面接は私服でも構いませんでしょうか。")
    # A-0002: Saturday's interview, booked Tuesday; its confirmation is still a draft too.
    o.interview("A-0002", slot(11, 21, 10), confirmation_sent=False)
    # A-0003: invited on Tuesday; the deadline is Friday, and no reply.
    o.draft(at(11, 17, 9), "A-0003", "interview_invitation",
            slots=[slot(11, 28, 10), slot(11, 29, 13), slot(12, 2, 18)])
    # A-0004: the not-passed notice drafted on Wednesday and not sent; A-0010 an older draft.
    o.draft(at(11, 17, 15), "A-0010", "screening_result", result="passed", sent=True)
    o.draft(at(11, 17, 16), "A-0010", "interview_invitation", sent=False,
            slots=[slot(12, 5, 10)])
    o.draft(at(11, 16, 14), "A-0004", "note", sent=False, note="書類を拝受いたしました。")
    o.draft(at(11, 18, 10), "A-0004", "screening_result", result="not_passed", sent=False)
    o.draft(at(11, 19, 9), "A-0011", "screening_result", result="not_passed", sent=False)
    # A-0006: the server refused its message on Wednesday.
    refused = o.draft(at(11, 18, 8), "A-0006", "screening_result", result="passed", sent=False)
    assert refused.exchange is not None
    o.log.mark_sending(refused.exchange.id, "<r1@kizuna.example.jp>", at=at(11, 18, 9))
    o.log.mark_refused(refused.exchange.id, "550 5.1.1 no such user")
    o.log.keep_unmatched("mail:unknown", b"raw", "no applicant matched the sender",
                         from_address="someone@example.com", subject="説明会について",
                         sent_at=at(11, 19, 8))
    # A-0007 answered on Wednesday; A-0008 and A-0009 booked for Tuesday and Wednesday.
    o.draft(at(11, 18, 9), "A-0007", "screening_result", result="passed")
    o.interview("A-0008", slot(11, 24, 18))
    o.interview("A-0009", slot(11, 25, 18))
    # A-0005 hears nothing after its application_received of 11-10.
    o.clock.now = at(11, 19, 18)


@pytest.fixture
def office(db_path: Path) -> Iterator[Office]:
    clock = Clock()
    with Log.open(db_path, clock=clock) as log:
        o = Office(load_profile(), log, clock)
        build(o)
        yield o


def exchange_of(log: Log, cid: str, kind: str) -> int:
    """The id of the applicant's latest message of this kind."""
    return [e.id for e in log.timeline(cid) if e.kind == kind][-1]


def listed(report: Today) -> list[tuple[str, str | None, int, str]]:
    return [(i.section, i.candidate_id, i.business_days, i.command) for i in report.items]


def test_each_applicant_once_in_the_first_section_that_applies(office: Office) -> None:
    report = today(office.profile, office.log, on=FRIDAY)
    assert report.next_office_day == TUESDAY
    notice = exchange_of(office.log, "A-0004", "screening_result")
    invitation = exchange_of(office.log, "A-0010", "interview_invitation")
    refused = exchange_of(office.log, "A-0006", "screening_result")
    assert listed(report) == [
        ("waiting", "A-0001", 3, "kizuna draft note --candidate A-0001 --edit"),
        ("interviews", "A-0002", 3, "kizuna today --draft"),
        ("interviews", "A-0008", 3, "kizuna today --draft"),
        ("expiring", "A-0003", 3, "kizuna draft reply_reminder --candidate A-0003"),
        # Result notices first, then the oldest; a draft of Thursday has waited one day only.
        ("unsent", "A-0004", 2, f"kizuna sent {notice}"),
        # An invitation never sent is a draft to send, not one to remind the applicant of.
        ("unsent", "A-0010", 3, f"kizuna sent {invitation}"),
        ("silence", "A-0005", 8,
         "kizuna draft screening_result --candidate A-0005 --result passed|not_passed"),
        ("mail", "A-0006", 2, f"kizuna send {refused}"),
        ("mail", None, 1, "kizuna inbox"),
    ]
    ids = [i.candidate_id for i in report.items if i.candidate_id]
    assert len(ids) == len(set(ids))
    assert not {"A-0007", "A-0009", "A-0011"} & set(ids)
    waiting = report.waiting[0]
    assert waiting.excerpt == "お世話になっております。" and waiting.exchange_id is not None
    assert office.log.get_exchange(waiting.exchange_id).direction == "in"
    assert [i.slot for i in report.interviews] == [slot(11, 21, 10), slot(11, 24, 18)]
    assert report.expiring[0].deadline == FRIDAY
    assert "①②③" in report.expiring[0].reason
    # Of A-0004's two drafts the result notice is the one to send first, though the newer.
    assert report.unsent[0].exchange_id == notice and "2 drafts to them in all" in report.unsent[0].reason


def test_after_the_weekend_and_the_holiday(office: Office) -> None:
    """On Tuesday, Saturday, Sunday and Monday (a holiday) counted nothing."""
    report = today(office.profile, office.log, on=TUESDAY)
    assert report.next_office_day == dt.date(2026, 11, 25)
    days = {(i.section, i.candidate_id): i.business_days for i in report.items}
    assert days[("waiting", "A-0001")] == 4
    assert days[("silence", "A-0005")] == 9
    # Tuesday's interview (that day) and Wednesday's (the next office day); Saturday's is past.
    assert [i.candidate_id for i in report.interviews] == ["A-0008", "A-0009"]
    # A-0003's slots ran out on Friday: nothing is held to remind them of.
    assert report.expiring == ()


def test_an_empty_day_says_so_in_one_line(runner: CliRunner, db_path: Path) -> None:
    Log.open(db_path).close()
    result = runner.invoke(cli, ["--db", str(db_path), "today", "--date", "2026-11-20"])
    assert result.exit_code == 0, result.output
    assert result.output.count("\n") == 1
    assert result.output.startswith("Nothing needs doing on 2026-11-20 (Fri)")


def test_cli_text_lists_sections_in_order(runner: CliRunner, office: Office, db_path: Path) -> None:
    result = runner.invoke(cli, ["--db", str(db_path), "today", "--date", "2026-11-20"])
    assert result.exit_code == 0, result.output
    out = result.output
    titles = [title for key, title in SECTIONS if key != "silence"] + ["Silent for 5"]
    places = [out.index(t) for t in titles[:4]] + [out.index(titles[-1])] + [out.index(titles[4])]
    assert places == sorted(places)
    line = next(x for x in out.splitlines() if "A-0001" in x)
    assert line == ("  A-0001 山田 太郎 · 3 business days · wrote on 11-17 10:00: "
                    "「お世話になっております。」 → kizuna draft note --candidate A-0001 --edit")
    assert out.count("A-0002") == 1 and "A-0007" not in out and "A-0009" not in out
    assert "`kizuna today --draft` drafts the reminders and nudges above." in out


def test_cli_json_has_one_key_per_section_and_stable_fields(
    runner: CliRunner, office: Office, db_path: Path,
) -> None:
    result = runner.invoke(cli, ["--db", str(db_path), "today", "--date", "2026-11-20",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["date", "next_office_day", "silence_days", "waiting", "interviews",
                          "expiring", "unsent", "silence", "mail", "drafted", "not_drafted"]
    fields = ["section", "candidate_id", "name", "reason", "since", "business_days", "command",
              "exchange_id", "kind", "slot", "deadline", "excerpt"]
    for key, _ in SECTIONS:
        assert data[key], key
        assert all(list(item) == fields and item["section"] == key for item in data[key])
    assert data["interviews"][0]["slot"] == slot(11, 21, 10).to_dict()
    assert data["expiring"][0]["deadline"] == "2026-11-20"
    assert data["mail"][1] == {**data["mail"][1], "candidate_id": None,
                               "name": "someone@example.com", "excerpt": "説明会について"}


def test_draft_twice_drafts_each_reminder_and_nudge_once(
    runner: CliRunner, office: Office, db_path: Path,
) -> None:
    first = runner.invoke(cli, ["--db", str(db_path), "today", "--date", "2026-11-20", "--draft",
                                "--format", "json"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.output)
    assert [(d["kind"], d["candidate"]["id"]) for d in data["drafted"]] == [
        ("interview_reminder", "A-0002"), ("interview_reminder", "A-0008"),
        ("reply_reminder", "A-0003"),
    ]
    assert data["not_drafted"] == []
    # What was drafted is no longer to do.
    assert data["interviews"] == [] and data["expiring"] == []
    nudge = next(d for d in data["drafted"] if d["kind"] == "reply_reminder")
    assert "①" in nudge["body"] and "11月20日（金）までに" in nudge["body"]
    again = runner.invoke(cli, ["--db", str(db_path), "today", "--date", "2026-11-20", "--draft"])
    assert again.exit_code == 0, again.output
    assert again.output.startswith("Nothing new to draft")
    with Log.open(db_path) as log:
        kinds = [e.kind for e in log.timeline() if e.kind in ("interview_reminder", "reply_reminder")]
        assert sorted(kinds) == ["interview_reminder", "interview_reminder", "reply_reminder"]
        # `kizuna reminders` on Friday for Saturday finds the reminder already there.
        assert pipeline.draft_reminders(load_profile(), log, on=FRIDAY) == []


def test_a_reminder_that_cannot_be_drafted_is_listed_and_the_rest_drafted(
    office: Office,
) -> None:
    office.log.db.conn.execute("UPDATE slot_holds SET meeting_url = '' WHERE candidate_id = 'A-0002'")
    report = today(office.profile, office.log, on=FRIDAY, draft=True)
    assert [(d.message.kind, d.message.candidate.id) for d in report.drafted] == [
        ("interview_reminder", "A-0008"), ("reply_reminder", "A-0003"),
    ]
    assert [(n.candidate_id, n.command) for n in report.not_drafted] == [
        ("A-0002", "kizuna meeting A-0002 URL"),
    ]
    assert [i.candidate_id for i in report.interviews] == ["A-0002"]


def test_the_command_text_of_draft(runner: CliRunner, office: Office, db_path: Path) -> None:
    result = runner.invoke(cli, ["--db", str(db_path), "today", "--date", "2026-11-20", "--draft"])
    assert result.exit_code == 0, result.output
    assert "Drafted reply_reminder for A-0003 鈴木 一郎 (exchange" in result.output
    assert "件名：【北上市】第2次試験（一次面接）の日程について" in result.output
    assert "Waiting for our answer (1)" in result.output
    assert "Interviews before" not in result.output


def test_mail_configured_sends_the_drafts(office: Office) -> None:
    text = sample_profile_text().replace(
        '# [mail]\n# host = "smtp.example.lg.jp"', '[mail]\nhost = "smtp.example.lg.jp"')
    profile = parse_profile(text, source="mail.toml")
    assert profile.mail is not None
    report = today(profile, office.log, on=FRIDAY)
    assert [i.command for i in report.unsent] == [
        "kizuna send --candidate A-0004",  # both of their drafts
        f"kizuna send {exchange_of(office.log, 'A-0010', 'interview_invitation')}",
    ]


def test_silence_period_from_the_profile(office: Office) -> None:
    text = sample_profile_text().replace("silence_days = 5", "silence_days = 9")
    report = today(parse_profile(text, source="p.toml"), office.log, on=FRIDAY)
    assert report.silence == ()
    assert today(parse_profile(text, source="p.toml"), office.log, on=TUESDAY).silence[0].candidate_id == "A-0005"


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("value", ["1899-12-31", "2101-01-01"])
def test_a_date_outside_the_served_range_names_the_range(
    runner: CliRunner, db_path: Path, value: str,
) -> None:
    result = runner.invoke(cli, ["--db", str(db_path), "today", "--date", value])
    assert result.exit_code == 1
    assert "--date" in result.output and "1900-01-01" in result.output and "2100-12-31" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("value", ["0", "-3", "2.5", '"five"', "true"])
def test_a_bad_silence_period_names_the_key_and_what_was_expected(
    runner: CliRunner, tmp_path: Path, value: str,
) -> None:
    path = tmp_path / "kizuna.toml"
    text = sample_profile_text().replace("silence_days = 5", f"silence_days = {value}")
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(cli, ["--profile", str(path), "--db", str(tmp_path / "k.db"), "today",
                                 "--date", "2026-11-20"])
    assert result.exit_code == 1
    assert "today.silence_days" in result.output
    assert "Expected a whole number from 1 to 250" in result.output
    assert f"line {text.splitlines().index(f'silence_days = {value}') + 1}" in result.output
    assert "Traceback" not in result.output


def test_a_misspelt_today_key_names_the_nearest(tmp_path: Path) -> None:
    from kizuna.errors import ProfileError

    text = sample_profile_text().replace("silence_days = 5", "silent_days = 5")
    with pytest.raises(ProfileError, match="Did you mean 'silence_days'"):
        parse_profile(text, source="p.toml")


# --------------------------------------------------------------------------- the nudge


def test_the_nudge_repeats_what_is_still_held_and_is_never_drafted_twice(office: Office) -> None:
    log, profile = office.log, office.profile
    office.clock.now = at(11, 19, 9)
    who = office.who("A-0003")
    drafted = pipeline.draft_message(profile, "reply_reminder", who, on=dt.date(2026, 11, 19), log=log)
    body = drafted.message.body
    assert drafted.message.slots == (slot(11, 28, 10), slot(11, 29, 13), slot(12, 2, 18))
    assert drafted.message.deadline == FRIDAY
    for line in ("　① 11月28日（土）10:00〜11:00", "　② 11月29日（日）13:00〜14:00",
                 "　③ 12月2日（水）18:00〜19:00", "11月20日（金）までに"):
        assert line in body
    assert "鈴木様" in body and "鈴木 一郎" not in body.split("\n", 1)[1]
    for reproach in ("ご返信がない", "お返事がない", "まだ", "至急", "必ず"):
        assert reproach not in body
    assert kizuna.check_message(drafted.message, profile) == []
    assert drafted.exchange is not None
    assert drafted.exchange.idempotency_key == pipeline.nudge_key("A-0003", log.timeline("A-0003")[-2].id)
    # Never twice for the same invitation, by any path, force or not.
    with pytest.raises(InputError, match="already reminded of this invitation"):
        pipeline.draft_message(profile, "reply_reminder", who, on=dt.date(2026, 11, 19), log=log,
                               force=True)
    # The morning list does not ask for it again.
    assert today(profile, log, on=FRIDAY).expiring == ()


def test_the_nudge_keeps_the_numbers_of_the_invitation(office: Office) -> None:
    """Only the slots still held are repeated, each with its number in the invitation."""
    log, profile = office.log, office.profile
    log.db.conn.execute(
        "UPDATE slot_holds SET status = 'released' WHERE candidate_id = 'A-0003' AND number = 2")
    message = pipeline.prepare_message(profile, "reply_reminder", office.who("A-0003"),
                                       on=dt.date(2026, 11, 19), log=log)
    assert "　① 11月28日（土）" in message.body and "　③ 12月2日（水）" in message.body
    assert "②" not in message.body
    assert kizuna.check_message(message, profile) == []


def test_no_nudge_without_held_slots_or_for_a_decided_applicant(office: Office) -> None:
    profile, log = office.profile, office.log
    with pytest.raises(InputError, match="No interview slots are held"):
        pipeline.prepare_message(profile, "reply_reminder", office.who("A-0005"), on=FRIDAY, log=log)
    # After the deadline the slots are no longer theirs.
    with pytest.raises(InputError, match="No interview slots are held"):
        pipeline.prepare_message(profile, "reply_reminder", office.who("A-0003"), on=TUESDAY, log=log)
    with pytest.raises(InputError, match="only the log knows"):
        pipeline.prepare_message(profile, "reply_reminder", office.who("A-0003"), on=FRIDAY)
    office.draft(at(11, 19, 10), "A-0003", "note", note="このたびは辞退のご連絡をありがとうございました。")
    log.upsert_candidate(office.who("A-0003"), status="withdrawn")
    with pytest.raises(InputError, match="withdrew"):
        pipeline.prepare_message(profile, "reply_reminder", office.who("A-0003"), on=FRIDAY, log=log)


def test_cli_draft_of_the_nudge_is_logged_once(runner: CliRunner, office: Office, db_path: Path) -> None:
    args = ["--db", str(db_path), "draft", "reply_reminder", "--candidate", "A-0003",
            "--date", "2026-11-19"]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    again = runner.invoke(cli, args)
    assert again.exit_code == 1 and "already reminded" in again.output
    assert "Traceback" not in again.output
    with Log.open(db_path) as log:
        nudges = [e for e in log.timeline("A-0003") if e.kind == "reply_reminder"]
        assert len(nudges) == 1 and nudges[0].idempotency_key is not None


# --------------------------------------------------------------------------- the log's side


SECTION_QUERIES = ("_UNANSWERED", "_INTERVIEWS", "_EXPIRING", "_UNSENT", "_SILENT", "_MAIL_PROBLEMS")


@pytest.mark.parametrize("name", SECTION_QUERIES)
def test_each_section_is_served_by_an_index(office: Office, name: str) -> None:
    """No section reads every exchange, hold or applicant: each table is searched through an
    index (the plans SQLite makes without statistics, as a user's log has none)."""
    import re

    from kizuna.log import agenda

    sql = getattr(agenda, name)
    moment = "2026-11-20T00:00:00+09:00"
    plan = [row[3] for row in office.log.db.conn.execute(
        "EXPLAIN QUERY PLAN " + sql, [moment] * sql.count("?"))]
    # The tables' aliases in the queries; a CTE or subquery scanned is fine.
    tables = r"(exchanges|candidates|slot_holds|e|m|o|r|i|h|c)"
    full = [line for line in plan if re.match(rf"SCAN {tables}( |$)", line)
            and "USING" not in line]
    assert full == [], plan
    assert any(line.startswith("SEARCH") and "INDEX" in line for line in plan), plan


def test_upgrade_from_m008_adds_the_indexes_and_keeps_the_rows(db_path: Path) -> None:
    import sqlite_utils

    from kizuna.log import migrations

    db = sqlite_utils.Database(db_path)
    migrations().apply(db, stop_before="m010_today")
    db.execute("INSERT INTO candidates (id, name) VALUES ('A-0001', '山田 太郎')")
    db.execute(
        "INSERT INTO exchanges (candidate_id, direction, kind, subject, body, status, created_at) "
        "VALUES ('A-0001', 'out', 'application_received', '件名', '本文', 'draft', "
        "'2026-11-16T09:00:00+09:00')"
    )
    db.close()
    with Log.open(db_path) as log:
        assert "m010_today" in {m.name for m in migrations().applied(log.db)}
        names = {row[0] for row in log.db.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"slot_holds_held_until", "candidates_status", "exchanges_drafts"} <= names
        report = today(load_profile(), log, on=FRIDAY)
        assert [(i.section, i.candidate_id, i.business_days) for i in report.items] == [
            ("unsent", "A-0001", 4)]


def test_a_batch_of_nudges_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    csv = Path(__file__).parent / "data" / "applicants-utf8.csv"
    result = runner.invoke(cli, ["--db", str(tmp_path / "k.db"), "batch", str(csv), "--kind",
                                 "reply_reminder", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "one applicant at a time" in result.output
    assert not (tmp_path / "out").exists()


def test_kinds_says_what_the_nudge_needs(runner: CliRunner) -> None:
    line = next(x for x in runner.invoke(cli, ["kinds"]).output.splitlines()
                if x.startswith("reply_reminder"))
    assert "日程のご確認" in line and "slots held for the applicant in the log" in line
