"""How the log commands scale: build logs of 10,000, 100,000 and 1,000,000 exchanges, then time
each command as a whole process (wall seconds and peak memory), for a log of each size.

    python benchmarks/log_scale.py                    # 10k, 100k and 1M (building 1M takes minutes)
    python benchmarks/log_scale.py --sizes 10000,100000
    python benchmarks/log_scale.py --keep /tmp/logs   # keep the built logs for later runs

The logs are built through the library (``Log.record_outbound_many`` and ``record_inbound``,
with the search index kept current as kizuna keeps it): five applicants' worth of history per
applicant, the mix of kinds a selection produces, and a reply from one applicant in ten. Each
command runs ``--repeat`` times on its log; the fastest run counts, and the peak resident
memory of the slowest. A command is "flat" when its 1M time is within 2x of its 10k time.

``today`` (the morning list) runs on a copy of each log with one office's open work added
(``add_open_work``: about a thousand applicants in progress, recorded through the pipeline on
the days before ``TODAY_DATE``: replies waiting, interviews and reminders due, held slots running
out, drafts left unsent, silent applicants, refused mail), so it lists what a busy morning
holds against the whole history. ``today, every draft old`` is the worst case the plain log
makes: a week after it was built, every one of its messages is a draft older than a business
day, so it lists every applicant of the log (a fifth of the exchanges).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KINDS = ("application_received", "screening_result", "interview_invitation",
         "interview_confirmation", "final_result")
SURNAMES = ("山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤")
GIVEN = ("太郎", "花子", "一郎", "美咲", "健太", "陽菜", "翔", "結衣")


def build(path: Path, exchanges: int) -> None:
    from kizuna.log import Log
    from kizuna.models import JST, Candidate, Message

    per = len(KINDS)
    people = exchanges // per
    day = dt.date(2024, 4, 1)
    with Log.open(path) as log:
        batch: list[tuple[Message, str]] = []
        replies: list[tuple[str, dt.datetime]] = []
        for n in range(people):
            name = f"{SURNAMES[n % 10]} {GIVEN[(n // 10) % 8]}"
            candidate = Candidate(id=f"S-{n:07d}", name=name, email=f"s{n}@example.jp")
            for k, kind in enumerate(KINDS):
                on = day + dt.timedelta(days=(n // 50) % 900 + 7 * k)
                body = (f"{name}様\n\n北上市役所 総務部の担当です。{kind} のご連絡です。"
                        "面接の日程につきましては追ってご案内いたします。" * 4)
                batch.append((Message(kind=kind, candidate=candidate, date=on,
                                      subject=f"【北上市】{kind}", body=body,
                                      result="passed" if k in (1, 4) else None),
                              f"bench:{kind}:{candidate.id}"))
            if len(batch) >= 5000:
                log.record_outbound_many(batch)
                batch = []
            if n % 10 == 0:
                replies.append((candidate.id, dt.datetime.combine(on, dt.time(9), JST)))
        if batch:
            log.record_outbound_many(batch)
        for candidate_id, at in replies:
            log.record_inbound(candidate_id, "2番でお願いいたします。", received_at=at)


# The morning the open work is listed on: a Friday, with Monday 11-23 a holiday (勤労感謝の日).
TODAY_DATE = dt.date(2026, 11, 20)


def add_open_work(path: Path, day: dt.date = TODAY_DATE) -> None:
    """Add one office's open work to the log, on a clock set to the days before ``day``:
    applicants in progress (ids O-…) in each section of ``kizuna today``, and some done."""
    from kizuna import pipeline
    from kizuna.log import Log
    from kizuna.models import JST, Candidate, Slot
    from kizuna.profile import load_profile

    profile = load_profile()
    moment = [dt.datetime.combine(day - dt.timedelta(days=10), dt.time(9), JST)]

    def clock() -> str:
        return moment[0].isoformat(timespec="seconds")

    def at(days_before: int, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day - dt.timedelta(days=days_before), dt.time(hour, minute), JST)

    def slot(start: dt.datetime) -> Slot:
        return Slot(start, start + dt.timedelta(hours=1))

    with Log.open(path, clock=clock) as log:
        def draft(n: int, when: dt.datetime, kind: str, sent: bool = True, **options: object) -> None:
            moment[0] = when
            who = Candidate(id=f"O-{n:05d}", name=f"{SURNAMES[n % 10]} {GIVEN[(n // 10) % 8]}",
                            email=f"o{n}@example.jp")
            done = pipeline.draft_message(profile, kind, who, on=when.date(), log=log, now=when,
                                          **options)  # type: ignore[arg-type]
            if sent and done.exchange is not None:
                log.mark_sent(done.exchange.id, sent_at=when + dt.timedelta(minutes=20))

        def reply(n: int, when: dt.datetime, text: str) -> None:
            moment[0] = when
            outcome = pipeline.handle_reply(profile, log, f"O-{n:05d}", text, on=when.date(), now=when)
            if outcome.confirmation is not None and outcome.confirmation.exchange is not None:
                log.mark_sent(outcome.confirmation.exchange.id, sent_at=when + dt.timedelta(hours=1))

        # Known to the log first: drafting to an applicant it does not know looks for near
        # matches among every applicant (difflib), seconds each in a large log.
        for n in range(1000):
            log.upsert_candidate(Candidate(id=f"O-{n:05d}", name=f"{SURNAMES[n % 10]} {GIVEN[(n // 10) % 8]}",
                                           email=f"o{n}@example.jp"))
        hour = 0  # one distinct interview hour per invitation, from 30 days ahead
        for n in range(1000):
            draft(n, at(12, 9), "application_received")
            group = n % 10
            if group in (0, 1):  # wrote, and is waiting for an answer
                reply(n, at(3 + n % 3, 10), "お世話になっております。\n面接の服装について伺いたいことがございます。")
            elif group == 2 and n < 300:  # interviews before the end of the next office day
                start = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(8), JST)
                start += dt.timedelta(hours=2 * (n // 10))
                draft(n, at(6, 9), "interview_invitation", slots=[slot(start)])
                reply(n, at(5, 12), "1番でお願いいたします。")
                pipeline.set_meeting_url(log, f"O-{n:05d}", "https://meet.example.jp/bench")
            elif group == 3:  # invited three business days ago: the holds run out today
                offered = []
                for _ in range(3):
                    offered.append(slot(at(-30, 0) + dt.timedelta(hours=hour)))
                    hour += 2
                draft(n, at(3, 9), "interview_invitation", slots=offered)
            elif group in (4, 5):  # a draft left unsent
                draft(n, at(4, 9), "screening_result", sent=False,
                      result="not_passed" if group == 4 else "passed")
            elif group == 6:  # refused by the server
                moment[0] = at(2, 9)
                draft(n, at(2, 9), "screening_result", sent=False, result="passed")
                exchange = log.timeline(f"O-{n:05d}")[-1]
                log.mark_sending(exchange.id, f"<bench-{n}@kizuna.example.jp>", at=at(2, 9))
                log.mark_refused(exchange.id, "550 5.1.1 no such user")
            elif group == 7:  # answered and on their way: in no section
                draft(n, at(1, 9), "screening_result", result="passed")
            # 8, 9 and the rest: silent since their application was acknowledged


def timed(command: list[str], repeat: int) -> tuple[float, float]:
    best, peak = float("inf"), 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", *command], capture_output=True,
                              text=True, check=False)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")
        best = min(best, seconds)
        peak = max(peak, int(done.stderr.strip().splitlines()[-1]) / 1024)
    return best, peak


def commands(db: Path) -> dict[str, list[str]]:
    kizuna = [sys.executable, "-m", "kizuna", "--db", str(db)]
    return {
        "log ID": [*kizuna, "log", "S-0000007"],
        "pending": [*kizuna, "pending"],
        "stats": [*kizuna, "stats"],
        "search 面接": [*kizuna, "search", "面接"],
        "search 北上市役所": [*kizuna, "search", "北上市役所"],
        "candidates": [*kizuna, "candidates"],
        "candidates --after": [*kizuna, "candidates", "--after", "S-0001500", "--limit", "100"],
        "export csv": ["sh", "-c", f"exec {' '.join(kizuna)} export --format csv > /dev/null"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Folder to keep (and reuse) the built logs in.")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    root = args.keep or Path(tempfile.mkdtemp(prefix="kizuna-logscale-"))
    root.mkdir(parents=True, exist_ok=True)
    results: dict[int, dict[str, tuple[float, float]]] = {}
    try:
        for size in sizes:
            db = root / f"log-{size}.db"
            if not db.exists():
                start = time.perf_counter()
                build(db, size)
                print(f"built {size:,} exchanges in {time.perf_counter() - start:.0f} s", file=sys.stderr)
            from kizuna.log import Log

            Log.open(db).close()  # a log built by an older kizuna is brought up to date first
            results[size] = {name: timed(cmd, args.repeat) for name, cmd in commands(db).items()}
            busy = root / f"today-{size}.db"
            if not busy.exists():
                shutil.copy(db, busy)
                add_open_work(busy)
            kizuna = [sys.executable, "-m", "kizuna", "--db", str(busy)]
            day = TODAY_DATE.isoformat()
            results[size]["today"] = timed([*kizuna, "today", "--date", day], args.repeat)
            results[size]["today --format json"] = timed(
                ["sh", "-c", f"exec {' '.join(kizuna)} today --date {day} --format json > /dev/null"],
                args.repeat)
            later = (dt.date.today() + dt.timedelta(days=7)).isoformat()
            results[size]["today, every draft old"] = timed(
                ["sh", "-c", f"exec {sys.executable} -m kizuna --db {db} today --date {later} > /dev/null"],
                args.repeat)
            hundred = [arg for n in range(3, 300, 3) for arg in ("--candidate", f"S-{n:07d}")]
            for label, chosen in (("purge 1 applicant", ["--candidate", "S-0000001"]),
                                  ("purge 99 applicants", hundred)):
                copy = root / f"purge-{size}.db"
                shutil.copy(db, copy)
                kizuna = [sys.executable, "-m", "kizuna", "--db", str(copy)]
                results[size][label] = timed([*kizuna, "purge", *chosen, "--yes"], 1)
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{copy}{suffix}").unlink(missing_ok=True)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    names = list(next(iter(results.values())))
    print(f"kizuna log commands (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs), "
          "fastest wall seconds / peak MiB")
    print(f"{'command':<24}" + "".join(f"{size:>22,}" for size in sizes))
    for name in names:
        cells = "".join(f"{results[s][name][0]:>13.2f} s {results[s][name][1]:>5.0f} MiB" for s in sizes)
        print(f"{name:<24}{cells}")


if __name__ == "__main__":
    main()
