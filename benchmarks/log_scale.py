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
    print(f"{'command':<20}" + "".join(f"{size:>22,}" for size in sizes))
    for name in names:
        cells = "".join(f"{results[s][name][0]:>13.2f} s {results[s][name][1]:>5.0f} MiB" for s in sizes)
        print(f"{name:<20}{cells}")


if __name__ == "__main__":
    main()
