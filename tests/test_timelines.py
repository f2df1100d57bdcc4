"""Whole applicant timelines through the real pipeline and the log, on fixed dates.

Each scenario drives kizuna as a recruiter would (draft, mark sent, record the reply, book,
remind, answer) and writes the applicant's whole timeline, oldest first, to a golden file
under tests/golden/timelines/. Each golden file was read once end to end as the applicant
would read it; regenerate with KIZUNA_REGOLD=1 after a deliberate change and read it again.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kizuna import pipeline
from kizuna.kinds import KINDS
from kizuna.log import Log, holds
from kizuna.models import JST, Candidate, Exchange
from kizuna.profile import Profile, parse_profile, sample_profile_text

GOLDEN = Path(__file__).parent / "golden" / "timelines"


def timeline_profile() -> Profile:
    """The sample profile, with お盆 blocked for interviews (the sample leaves it commented)."""
    text = sample_profile_text().replace(
        '# blocked_periods = [["08-13", "08-16"]]', 'blocked_periods = [["08-13", "08-16"]]'
    )
    assert 'blocked_periods = [["08-13", "08-16"]]\n' in text
    return parse_profile(text, source="timeline.toml")


@dataclass
class Clock:
    """The log's clock, moved by each step, so every timestamp is the scenario's."""

    now: dt.datetime = dt.datetime(2026, 1, 1, tzinfo=JST)

    def __call__(self) -> str:
        return self.now.isoformat(timespec="seconds")


@dataclass
class Recruiter:
    """One applicant's recruiter: each step calls the library as the CLI would, and every
    drafted message is sent an hour after it is drafted."""

    profile: Profile
    log: Log
    clock: Clock
    candidate: Candidate
    drafted: list[Exchange] = field(default_factory=list)

    def at(self, when: dt.datetime) -> None:
        self.clock.now = when

    def _sent(self, exchange: Exchange | None) -> None:
        assert exchange is not None
        self.drafted.append(exchange)
        self.log.mark_sent(exchange.id, sent_at=self.clock.now + dt.timedelta(hours=1))

    def draft(self, day: dt.date, kind: str, **options: str) -> str:
        self.at(dt.datetime.combine(day, dt.time(9), JST))
        drafted = pipeline.draft_message(self.profile, kind, self.candidate, on=day, log=self.log,
                                         **options)  # type: ignore[arg-type]
        self._sent(drafted.exchange)
        return drafted.message.body

    def reply(self, when: dt.datetime, text: str) -> pipeline.ReplyOutcome:
        self.at(when)
        outcome = pipeline.handle_reply(self.profile, self.log, self.candidate.id, text,
                                        on=when.date(), now=when)
        if outcome.confirmation is not None:
            self.at(when + dt.timedelta(minutes=30))
            self._sent(outcome.confirmation.exchange)
        return outcome

    def meeting(self, url: str) -> None:
        pipeline.set_meeting_url(self.log, self.candidate.id, url)

    def remind(self) -> str:
        """The reminder, drafted the day before the booked interview."""
        booked = holds.booked_slot(self.log, self.candidate.id)
        assert booked is not None
        day = booked.start.date() - dt.timedelta(days=1)
        self.at(dt.datetime.combine(day, dt.time(9), JST))
        drafted = pipeline.draft_reminders(self.profile, self.log, on=day)
        assert len(drafted) == 1
        self._sent(drafted[0].exchange)
        return drafted[0].message.body

    def booked_day(self) -> dt.date:
        booked = holds.booked_slot(self.log, self.candidate.id)
        assert booked is not None
        return booked.start.date()


def written(log: Log, candidate_id: str) -> str:
    """The applicant's timeline as they lived it: every message, oldest first."""
    parts = []
    for exchange in log.timeline(candidate_id):
        day = (exchange.sent_at or exchange.created_at)[:16].replace("T", " ")
        if exchange.direction == "in":
            head = f"━━━━ {day}  ← 応募者からの返信"
            parts.append(f"{head}\n\n{exchange.body.strip()}\n")
        else:
            label = KINDS[exchange.kind or ""].label
            head = f"━━━━ {day}  → {label}（{exchange.kind}）"
            subject = "Subject: " if exchange.language == "en" else "件名："
            parts.append(f"{head}\n{subject}{exchange.subject}\n\n{exchange.body}")
    return "\n".join(parts)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("KIZUNA_REGOLD"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[Profile, Log, Clock]]:
    clock = Clock()
    with Log.open(tmp_path / "kizuna.db", clock=clock) as log:
        yield timeline_profile(), log, clock


# ------------------------------------------------------------------------------ the scenarios


def passed_to_the_first_day(recruiter: Recruiter) -> None:
    """山田 太郎, in Tokyo: applies in November, passes every stage, accepts the offer, asks
    about a visit before starting, and gets the guide in February."""
    r = recruiter
    r.draft(dt.date(2026, 11, 10), "application_received")
    r.draft(dt.date(2026, 11, 24), "screening_result", result="passed")
    r.draft(dt.date(2026, 11, 26), "interview_invitation")
    r.reply(dt.datetime(2026, 11, 27, 12, 10, tzinfo=JST), "②でお願いいたします。")
    r.meeting("https://meet.example.jp/kitakami/interview1-a0001")
    r.remind()
    r.draft(dt.date(2026, 12, 10), "interview_invitation")
    r.reply(dt.datetime(2026, 12, 11, 7, 45, tzinfo=JST),
            "③でお願いいたします。当日は東京から新幹線で伺います。")
    r.remind()
    r.draft(dt.date(2026, 12, 22), "final_result", result="passed")
    r.draft(dt.date(2026, 12, 25), "offer")
    r.reply(dt.datetime(2027, 1, 5, 20, 30, tzinfo=JST),
            "内定のご連絡をありがとうございます。謹んでお受けいたします。\n"
            "着任前に一度、住まい探しも兼ねて伺いたいのですが、2月の平日でご都合のよい日はありますか。")
    r.draft(dt.date(2027, 1, 6), "note",
            note="着任前の見学は、2月の平日でしたらいつでもご案内いたします。\n"
                 "ご希望の日を二つか三つお知らせいただければ、住まい探しに便利な地域の下見とあわせて、"
                 "当日の予定を組んでお送りいたします。")
    r.draft(dt.date(2027, 2, 15), "pre_arrival_guide")


def not_passed_after_an_interview(recruiter: Recruiter) -> None:
    """佐藤 花子: applies in February, passes the screening, is interviewed online in March
    and does not pass."""
    r = recruiter
    r.draft(dt.date(2027, 2, 8), "application_received")
    r.draft(dt.date(2027, 2, 19), "screening_result", result="passed")
    r.draft(dt.date(2027, 2, 22), "interview_invitation")
    r.reply(dt.datetime(2027, 2, 23, 21, 5, tzinfo=JST), "1番の日程でお願いします。")
    r.meeting("https://meet.example.jp/kitakami/interview1-a0002")
    r.remind()
    interview = r.booked_day()
    r.draft(interview + dt.timedelta(days=5), "interview_result", result="not_passed")


def applicant_abroad(recruiter: Recruiter) -> None:
    """鈴木 一郎, in London: applies in July, asks about the interview's language, is
    interviewed online in Japan's evening (his morning), passes, and comes to Kitakami for the
    final interview in August, flying in and taking the Shinkansen."""
    r = recruiter
    r.draft(dt.date(2026, 7, 6), "application_received")
    r.draft(dt.date(2026, 7, 17), "screening_result", result="passed")
    r.draft(dt.date(2026, 7, 21), "interview_invitation")
    r.reply(dt.datetime(2026, 7, 22, 16, 40, tzinfo=JST),
            "2番でお願いします。ロンドンからの参加になりますが、面接はすべて日本語で行われますか。")
    r.draft(dt.date(2026, 7, 23), "note",
            note="面接はすべて日本語で行います。画面越しで聞き取りにくいところがあれば、"
                 "その場で遠慮なくおっしゃってください。")
    r.meeting("https://meet.example.jp/kitakami/interview1-a0003")
    r.remind()
    interview = r.booked_day()
    r.draft(interview + dt.timedelta(days=3), "interview_result", result="passed")
    r.draft(interview + dt.timedelta(days=4), "interview_invitation")
    r.reply(dt.datetime.combine(interview + dt.timedelta(days=5), dt.time(17, 20), JST),
            "①でお願いいたします。羽田まで飛行機で戻り、そこから新幹線で伺います。")
    r.remind()
    r.draft(r.booked_day() + dt.timedelta(days=5), "final_result", result="passed")


def english_from_abroad(recruiter: Recruiter) -> None:
    """Emma Brown, in London, whose letters are in English (issue 16): applies in July, asks
    about the interview's language, is interviewed online, passes, flies in for the final
    interview, passes it, accepts the offer and gets the guide."""
    r = recruiter
    r.draft(dt.date(2026, 7, 6), "application_received")
    r.draft(dt.date(2026, 7, 17), "screening_result", result="passed")
    r.draft(dt.date(2026, 7, 21), "interview_invitation")
    r.reply(dt.datetime(2026, 7, 22, 16, 40, tzinfo=JST),
            "Dear Hanako,\n\nOption 2 works for me. Will the interview be in English or in "
            "Japanese?\n\nBest wishes,\nEmma\n\nOn Tue, 21 Jul 2026 at 10:00, Hanako Kitakami "
            "<dx-saiyo@example.lg.jp> wrote:\n> Option 1: ...\n")
    r.draft(dt.date(2026, 7, 23), "note",
            note="The interview will be in English, and one of the panel will also speak Japanese "
                 "with you if you would like to try. Please just ask if anything is unclear over "
                 "the video link.")
    r.meeting("https://meet.example.jp/kitakami/interview1-e0001")
    r.remind()
    interview = r.booked_day()
    r.draft(interview + dt.timedelta(days=3), "interview_result", result="passed")
    r.draft(interview + dt.timedelta(days=4), "interview_invitation")
    r.reply(dt.datetime.combine(interview + dt.timedelta(days=5), dt.time(17, 20), JST),
            "The first one, please. I'll fly to Haneda and take the Shinkansen from Tokyo.\n\n"
            "Thanks,\nEmma\nSent from my iPhone")
    r.remind()
    r.draft(r.booked_day() + dt.timedelta(days=5), "final_result", result="passed")
    r.draft(r.booked_day() + dt.timedelta(days=9), "offer")
    r.reply(dt.datetime.combine(r.booked_day() + dt.timedelta(days=12), dt.time(8, 0), JST),
            "Thank you so much. I am very happy to accept the offer.")
    r.draft(dt.date(2027, 2, 15), "pre_arrival_guide")


SCENARIOS = {
    "passed_to_the_first_day": (Candidate(id="A-0001", name="山田 太郎", email="taro@example.jp"),
                                passed_to_the_first_day),
    "not_passed_after_an_interview": (Candidate(id="A-0002", name="佐藤　花子", email="hanako@example.jp"),
                                      not_passed_after_an_interview),
    "applicant_abroad": (Candidate(id="A-0003", name="鈴木 一郎", email="ichiro@example.co.uk",
                                   timezone="Europe/London"), applicant_abroad),
    "english_from_abroad": (Candidate(id="E-0001", name="Emma Brown", email="emma@example.co.uk",
                                      timezone="Europe/London", language="en"), english_from_abroad),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_golden_timeline(office: tuple[Profile, Log, Clock], name: str) -> None:
    profile, log, clock = office
    candidate, scenario = SCENARIOS[name]
    scenario(Recruiter(profile, log, clock, candidate))
    check_golden(name, written(log, candidate.id))
