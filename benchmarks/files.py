"""Batch output formats compared in one run: messages.jsonl, one .txt per applicant, one .eml.

    python benchmarks/files.py                      # 10,000 applicants, five runs per format
    python benchmarks/files.py --count 2000 --repeat 3
    python benchmarks/files.py --profile txt        # cProfile of one run, top functions

The applicant CSV is benchmarks/batch.py's (CP932, 2,500 family names, a third not passed).
Each run is a fresh subprocess doing what `kizuna batch --format FMT` does — ``run_batch`` with
the checks on, from an empty log and an empty folder — timed from before ``run_batch`` to the
end of the run (imports before the clock). The formats run in turn (jsonl, txt, eml, jsonl,
…), so a busy moment of the machine falls on all of them alike; each format's fastest and
median runs are reported, and the ratio of txt and eml to jsonl in msg/s. Target: txt and eml
≥ 0.5 × jsonl.

The folder is created under ``--dir`` (default: the system's temporary folder): put it on the
disk the files will really go to, since the cost of making a file durable is the disk's.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

FORMATS = ("jsonl", "txt", "eml")
HERE = Path(__file__).resolve().parent


def _batch_benchmark():  # type: ignore[no-untyped-def]
    """benchmarks/batch.py, for its applicant CSV writer, kind and day."""
    spec = importlib.util.spec_from_file_location("kizuna_batch_benchmark", HERE / "batch.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def child(fmt: str, csv_path: Path, work: Path, profile_out: Path | None) -> dict[str, float]:
    result: dict[str, float] = _batch_benchmark().child_kizuna(csv_path, work, profile_out, fmt=fmt)
    return result


def run_child(fmt: str, csv_path: Path, work: Path, profile_out: Path | None = None) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", fmt, "--csv", str(csv_path), "--work", str(work)]
    if profile_out is not None:
        command += ["--profile-out", str(profile_out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{fmt} child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000, help="Applicants in the CSV.")
    parser.add_argument("--repeat", type=int, default=5, help="Runs per format, in turn.")
    parser.add_argument("--formats", default=",".join(FORMATS), help="Comma-separated formats.")
    parser.add_argument("--dir", type=Path, default=None, help="Where the runs write (a temporary folder in it).")
    parser.add_argument("--profile", choices=FORMATS, help="Profile one run of this format.")
    parser.add_argument("--child", choices=FORMATS, help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(child(args.child, args.csv, args.work, args.profile_out)))
        return

    formats = [f for f in args.formats.split(",") if f.strip()]
    with tempfile.TemporaryDirectory(prefix="kizuna-files-", dir=args.dir) as tmp:
        root = Path(tmp)
        csv_path = root / "applicants.csv"
        _batch_benchmark().write_applicants(csv_path, args.count)
        if args.profile:
            import pstats

            work = root / "profile"
            work.mkdir()
            out = root / "run.prof"
            result = run_child(args.profile, csv_path, work, out)
            pstats.Stats(str(out)).sort_stats("cumulative").print_stats(30)
            pstats.Stats(str(out)).sort_stats("tottime").print_stats(25)
            print(json.dumps(result))
            return
        rates: dict[str, list[float]] = {fmt: [] for fmt in formats}
        for n in range(max(1, args.repeat)):
            for fmt in formats:
                work = root / f"{fmt}-{n}"
                work.mkdir()
                result = run_child(fmt, csv_path, work)
                rates[fmt].append(result["messages"] / result["seconds"])
                print(f"  run {n + 1} {fmt:>5}: {rates[fmt][-1]:>7,.0f} msg/s", file=sys.stderr)
    print(f"kizuna batch output formats ({args.count:,} applicants, checks on, Python "
          f"{sys.version.split()[0]}, {os.cpu_count()} CPUs, {max(1, args.repeat)} runs each, in turn)")
    print(f"{'format':>6}  {'best msg/s':>10}  {'median msg/s':>12}  {'best / jsonl':>12}  {'median / jsonl':>14}")
    best = {fmt: max(r) for fmt, r in rates.items()}
    median = {fmt: statistics.median(r) for fmt, r in rates.items()}
    for fmt in formats:
        if "jsonl" in rates:
            ratios = f"{best[fmt] / best['jsonl']:>12.2f}  {median[fmt] / median['jsonl']:>14.2f}"
        else:
            ratios = f"{'':>12}  {'':>14}"
        print(f"{fmt:>6}  {best[fmt]:>10,.0f}  {median[fmt]:>12,.0f}  {ratios}")
    if "jsonl" in rates:
        others = [fmt for fmt in formats if fmt != "jsonl"]
        worst = min((median[fmt] / median["jsonl"] for fmt in others), default=1.0)
        print(f"target: txt and eml ≥ 0.5 × jsonl (medians): {'met' if worst >= 0.5 else 'NOT met'} "
              f"(worst {worst:.2f})")


if __name__ == "__main__":
    main()
