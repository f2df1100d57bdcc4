"""Batch throughput and memory, measured against the raw floor in one run.

    python benchmarks/batch.py                  # 10,000 and 100,000 applicants
    python benchmarks/batch.py --sizes 2000     # a quick look
    python benchmarks/batch.py --profile 10000  # cProfile of kizuna's run, top functions

For each size, a synthetic applicant CSV is written, then two fresh subprocesses run:

- kizuna: ``run_batch(..., fmt="jsonl")`` on the CSV — validation pass, topic choice with each
  applicant's history, render (the built-in templates, once per combination of result and
  topics, the name put in per message), log insert (one transaction per chunk), messages.jsonl;
- the floor: the same built-in template rendered by a plain, non-sandboxed ``jinja2.Environment``
  with the same context per applicant, each (id, subject, body) row inserted with a plain
  ``sqlite3`` ``executemany`` into a plain table and into the same full-text index kizuna keeps
  (FTS5, trigram), in one transaction.

Each subprocess reports its wall time (imports before the clock, as for the floor) and its peak
resident memory (``ru_maxrss``), so the two sizes are compared from the same starting point. Each
side runs three times, alternating, and its fastest run counts. Targets: kizuna / floor time ≤ 2.0, and peak
memory at 100,000 no more than 1.2 × that at 10,000.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIND = "screening_result"
DAY = dt.date(2026, 11, 26)
# Family names as a real file has them: nearly every applicant's is different (2,500 of them,
# built from the first and second characters of common ones, 髙 and 﨑 among them), so nothing
# that keys on the text of a message gets a free ride from repeated names.
SURNAME_HEADS = "山佐髙鈴田渡伊中小加吉松井木林清斎森池橋石前藤岡長坂村上野阿近遠菊北水川原大高宮千工内本谷秋市福今桜"
SURNAME_TAILS = "田藤橋木中辺村林野本口川上山﨑島井原沢崎岡部谷宮下内元瀬尾浦坂塚森地沼倉石江見畑関平永松戸浜間根丸条"
GIVEN = ["太郎", "花子", "一郎", "美咲", "健", "優子", "翔", "さくら", "大輔", "陽菜", "蓮", "結衣"]


def family_name(n: int) -> str:
    heads, tails = SURNAME_HEADS, SURNAME_TAILS
    return heads[n % len(heads)] + tails[(n // len(heads)) % len(tails)]


def write_applicants(path: Path, count: int) -> None:
    """A CP932 CSV like Excel writes: what a recruiter would hand to `kizuna batch`."""
    with path.open("w", encoding="cp932", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(["応募番号", "氏名", "ふりがな", "メールアドレス", "結果"])
        for n in range(count):
            name = f"{family_name(n)} {GIVEN[n % len(GIVEN)]}"
            writer.writerow([f"S-{n:06d}", name, "", f"applicant{n}@example.jp",
                             "通過" if n % 3 else "不通過"])


def peak_mb() -> float:
    # ru_maxrss is kilobytes on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


# --- the two children ----------------------------------------------------------------------------


def child_kizuna(csv_path: Path, work: Path, profile_out: Path | None) -> dict[str, float]:
    # Imports happen before the clock starts, as the floor's do: they are not per-message work.
    # (The kizuna command loads sqlite-utils without pandas/numpy, see kizuna.cli.)
    from kizuna.cli import _load_sqlite_utils_lean

    _load_sqlite_utils_lean()
    import kizuna.compose
    import kizuna.topics  # noqa: F401
    from kizuna.batch import run_batch
    from kizuna.log import Log
    from kizuna.profile import load_profile

    profile = load_profile()
    start = time.perf_counter()
    with Log.open(work / "kizuna.db") as log:
        run = run_batch(csv_path, kind=KIND, profile=profile, log=log, out_dir=work / "out",
                        on=DAY, fmt="jsonl")
        if profile_out is not None:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
            summary = run.run()
            profiler.disable()
            profiler.dump_stats(profile_out)
        else:
            summary = run.run()
    seconds = time.perf_counter() - start
    lines = sum(1 for _ in (work / "out" / "messages.jsonl").open(encoding="utf-8"))
    assert summary.written == lines, (summary, lines)
    return {"seconds": seconds, "messages": summary.written, "peak_mb": peak_mb()}


def child_floor(count: int, work: Path) -> dict[str, float]:
    """Plain Jinja2 + plain sqlite3, with the data kizuna's templates need and nothing else."""
    import sqlite3
    from importlib import resources

    import jinja2

    from kizuna.compose import FILTERS, Composer, blank, say
    from kizuna.kinds import KINDS
    from kizuna.models import Candidate, Conversation, Topic
    from kizuna.profile import load_profile

    profile = load_profile()
    folder = resources.files("kizuna.message_templates").joinpath("ja")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)), trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    env.globals.update(say=say, blank=blank)
    template = env.get_template(f"{KIND}.txt")
    subject_block = template.blocks["subject"]
    # One context built up front; per applicant only the applicant's own values change.
    stage = profile.stages[0]
    opening = Topic("floor-opening", "season", "opening", "neutral", "小雪を過ぎ、朝晩の冷え込みが増してまいりました。")
    town = Topic("floor-town", "town", "town", "neutral", "北上では冬支度が始まっています。")
    base = Composer(profile)._context(KINDS[KIND], Candidate("x", "x"), DAY, "passed", stage,
                                      {"opening": opening, "town": town}, (), None, Conversation())
    conn = sqlite3.connect(work / "floor.db")
    conn.execute("CREATE TABLE messages (candidate_id TEXT, subject TEXT, body TEXT)")
    # The same search index kizuna keeps current on every write (FTS5, trigram, over subject
    # and body), filled in the same transaction.
    conn.execute(
        'CREATE VIRTUAL TABLE messages_fts USING fts5(subject, body, content="messages", '
        "tokenize='trigram')"
    )

    def rows():
        for n in range(count):
            name = f"{family_name(n)} {GIVEN[n % len(GIVEN)]}"
            passed = bool(n % 3)
            person = Candidate(f"S-{n:06d}", name)
            context = dict(base, name=name, candidate=person, sama=person.sama,
                           result="passed" if passed else "not_passed", passed=passed,
                           opening=opening if passed else None, town=town if passed else None)
            body = template.render(context)
            subject = "".join(subject_block(template.new_context(context))).strip()
            yield (f"S-{n:06d}", subject, body)

    start = time.perf_counter()
    with conn:
        conn.executemany("INSERT INTO messages VALUES (?, ?, ?)", rows())
        conn.execute(
            "INSERT INTO messages_fts (rowid, subject, body) SELECT rowid, subject, body FROM messages"
        )
    seconds = time.perf_counter() - start
    written = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    conn.close()
    return {"seconds": seconds, "messages": written, "peak_mb": peak_mb()}


# --- the parent ----------------------------------------------------------------------------------


def run_child(mode: str, count: int, csv_path: Path, work: Path, profile_out: Path | None = None) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", mode, "--count", str(count), "--csv", str(csv_path),
               "--work", str(work)]
    if profile_out is not None:
        command += ["--profile-out", str(profile_out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{mode} child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(count: int, root: Path, profile_out: Path | None = None, repeat: int = 3) -> dict[str, float]:
    """Run kizuna and the floor ``repeat`` times each, alternating, every run from an empty
    folder and database; keep each side's fastest run (the least disturbed by the machine)
    and its highest peak memory."""
    work = root / f"n{count}"
    work.mkdir(parents=True)
    csv_path = work / "applicants.csv"
    write_applicants(csv_path, count)
    runs: dict[str, list[dict[str, float]]] = {"kizuna": [], "floor": []}
    for n in range(1 if profile_out is not None else repeat):
        for mode in ("kizuna", "floor"):
            folder = work / f"{mode}-{n}"
            folder.mkdir()
            runs[mode].append(run_child(mode, count, csv_path, folder,
                                        profile_out if mode == "kizuna" else None))
    ours = min(runs["kizuna"], key=lambda r: r["seconds"])
    floor = min(runs["floor"], key=lambda r: r["seconds"])
    ours = dict(ours, peak_mb=max(r["peak_mb"] for r in runs["kizuna"]))
    floor = dict(floor, peak_mb=max(r["peak_mb"] for r in runs["floor"]))
    return {
        "count": count,
        "kizuna_per_s": ours["messages"] / ours["seconds"],
        "floor_per_s": floor["messages"] / floor["seconds"],
        "ratio": ours["seconds"] / floor["seconds"],
        "kizuna_peak_mb": ours["peak_mb"],
        "floor_peak_mb": floor["peak_mb"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="Comma-separated applicant counts.")
    parser.add_argument("--profile", type=int, metavar="N", help="Profile kizuna's run of N applicants.")
    parser.add_argument("--repeat", type=int, default=3, help="Runs per side; the fastest counts.")
    parser.add_argument("--child", choices=["kizuna", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child == "kizuna":
        print(json.dumps(child_kizuna(args.csv, args.work, args.profile_out)))
        return
    if args.child == "floor":
        print(json.dumps(child_floor(args.count, args.work)))
        return

    with tempfile.TemporaryDirectory(prefix="kizuna-bench-") as tmp:
        root = Path(tmp)
        if args.profile:
            import pstats

            out = root / "kizuna.prof"
            result = measure(args.profile, root, out)
            pstats.Stats(str(out)).sort_stats("cumulative").print_stats(30)
            pstats.Stats(str(out)).sort_stats("tottime").print_stats(25)
            print(json.dumps(result, indent=2))
            return
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        results = [measure(n, root, repeat=max(1, args.repeat)) for n in sizes]
    print(f"kizuna batch benchmark ({KIND}, jsonl output, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    print(f"{'applicants':>10}  {'kizuna msg/s':>12}  {'floor msg/s':>11}  {'ratio':>5}  {'peak MB':>7}  {'floor MB':>8}")
    for r in results:
        print(f"{r['count']:>10,}  {r['kizuna_per_s']:>12,.0f}  {r['floor_per_s']:>11,.0f}  "
              f"{r['ratio']:>5.2f}  {r['kizuna_peak_mb']:>7.1f}  {r['floor_peak_mb']:>8.1f}")
    worst = max(r["ratio"] for r in results)
    print(f"ratio target ≤ 2.0: {'met' if worst <= 2.0 else 'NOT met'} (worst {worst:.2f})")
    if len(results) >= 2:
        growth = results[-1]["kizuna_peak_mb"] / results[0]["kizuna_peak_mb"]
        print(f"peak memory {results[-1]['count']:,} / {results[0]['count']:,}: {growth:.2f} "
              f"(target ≤ 1.2: {'met' if growth <= 1.2 else 'NOT met'})")


if __name__ == "__main__":
    main()
