"""What `kizuna check` costs: one draft, and a batch with and without the checks, in one run.

    python benchmarks/check.py                    # 10,000 applicants, 5 runs per side
    python benchmarks/check.py --count 2000 --repeat 3

1. One draft: every built-in kind and result is composed, then checked by a new Checker each
   time (nothing kept from an earlier check: what `kizuna check FILE` and `kizuna draft --edit`
   pay), with the names of 10,000 other applicants to look for, as a large log gives them.
   Target: ≤ 20 ms per draft.
2. A batch: ``run_batch(..., fmt="jsonl")`` of the same synthetic CP932 applicant CSV as
   benchmarks/batch.py, with ``check=True`` (the default: every message checked before anything
   is written) and ``check=False``, from an empty folder and database each time, alternating:
   - fresh: each run in a new subprocess, as `kizuna batch` runs (the checks' first pass also
     loads the templates and topics the run would load anyway);
   - warm: all runs in one process after a warm-up of each side, as a program that runs many
     batches (only the per-message cost of the checks is left).
   Target: with / without ≤ 1.2, on the fastest runs and on the medians, in both.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
KIND = "screening_result"
DAY = dt.date(2026, 11, 26)


def _batch_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("kizuna_bench_batch", HERE / "batch.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def one_draft(repeat: int) -> dict[str, float]:
    from kizuna.check import Checker
    from kizuna.compose import Composer
    from kizuna.models import JST, Candidate
    from kizuna.profile import load_profile
    from kizuna.slots import propose, reply_deadline
    from kizuna.topics import choose

    profile = load_profile()
    composer = Composer(profile)
    candidate = Candidate(id="A-0001", name="山田 太郎")
    others = [f"応募 {n:05d}" for n in range(10_000)]
    deadline = reply_deadline(profile.slots, DAY, profile.reply_deadline_days)
    offered = propose(profile.slots, DAY, 3, now=dt.datetime.combine(DAY, dt.time(0), tzinfo=JST),
                      after=deadline)
    messages = []
    for kind, result in (("application_received", None), ("screening_result", "passed"),
                         ("screening_result", "not_passed"), ("interview_invitation", None),
                         ("interview_confirmation", None), ("final_result", "passed"),
                         ("final_result", "not_passed"), ("pre_arrival_guide", None)):
        topics = choose(DAY, kind, result=result, candidate_id=candidate.id, profile=profile).topics
        slots = offered if kind == "interview_invitation" else offered[:1] if kind == "interview_confirmation" else ()
        messages.append(composer.compose(kind, candidate, on=DAY, result=result, topics=topics,
                                         slots=slots, deadline=deadline if kind == "interview_invitation" else None))
    Checker(profile).check_message(messages[0], others=others)  # imports and regex compiles
    times: list[float] = []
    for _ in range(repeat):
        for message in messages:
            checker = Checker(profile)
            start = time.perf_counter()
            found = checker.check_message(message, others=others)
            times.append(time.perf_counter() - start)
            assert not found, found
    return {"drafts": len(times), "min_ms": min(times) * 1000,
            "median_ms": statistics.median(times) * 1000, "max_ms": max(times) * 1000}


def child(csv_path: Path, work: Path, check: bool) -> dict[str, float]:
    result: dict[str, float] = _batch_module().child_kizuna(csv_path, work, check=check)
    return result


def warm(csv_path: Path, root: Path, repeat: int) -> dict[bool, list[float]]:
    """Both sides in this process, alternating, after one warm-up run of each."""
    runs: dict[bool, list[float]] = {True: [], False: []}
    for n in range(repeat + 1):
        for check in (False, True):
            folder = root / f"warm-{'check' if check else 'plain'}-{n}"
            folder.mkdir()
            result = child(csv_path, folder, check)
            if n:
                runs[check].append(result["seconds"])
    return runs


def report(label: str, runs: dict[bool, list[float]]) -> float:
    with_min, without_min = min(runs[True]), min(runs[False])
    with_med, without_med = statistics.median(runs[True]), statistics.median(runs[False])
    print(f"  {label}: without checks min {without_min:.3f} s, median {without_med:.3f} s; "
          f"with checks min {with_min:.3f} s, median {with_med:.3f} s; ratio "
          f"{with_min / without_min:.3f} (min), {with_med / without_med:.3f} (median)")
    return max(with_min / without_min, with_med / without_med)


def run_child(check: bool, csv_path: Path, work: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", "check" if check else "plain", "--csv",
               str(csv_path), "--work", str(work)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000, help="Applicants in the batch.")
    parser.add_argument("--repeat", type=int, default=5, help="Runs per side.")
    parser.add_argument("--child", choices=["check", "plain"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.csv, args.work, args.child == "check")))
        return

    single = one_draft(max(1, args.repeat))
    print(f"kizuna check benchmark (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    print(f"one draft, new checker, 10,000 other names: min {single['min_ms']:.2f} ms, median "
          f"{single['median_ms']:.2f} ms, max {single['max_ms']:.2f} ms over {single['drafts']} "
          f"drafts (target ≤ 20 ms: {'met' if single['max_ms'] <= 20 else 'NOT met'})")

    with tempfile.TemporaryDirectory(prefix="kizuna-check-bench-") as tmp:
        root = Path(tmp)
        csv_path = root / "applicants.csv"
        _batch_module().write_applicants(csv_path, args.count)
        runs: dict[bool, list[float]] = {True: [], False: []}
        for n in range(max(1, args.repeat)):
            for check in (False, True):
                folder = root / f"{'check' if check else 'plain'}-{n}"
                folder.mkdir()
                result = run_child(check, csv_path, folder)
                assert result["messages"] == args.count, result
                runs[check].append(result["seconds"])
        in_process = warm(csv_path, root, max(1, args.repeat))
    print(f"batch of {args.count:,} ({KIND}, jsonl), {args.repeat} runs per side, alternating:")
    worst = max(report("fresh", runs), report("warm ", in_process))
    print(f"  target ≤ 1.2: {'met' if worst <= 1.2 else 'NOT met'} (worst {worst:.3f})")


if __name__ == "__main__":
    main()
