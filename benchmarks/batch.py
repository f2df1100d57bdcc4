"""Batch throughput and memory, against a floor that does the same work, in one run.

    python benchmarks/batch.py                  # 10,000 and 100,000 applicants
    python benchmarks/batch.py --sizes 2000     # a quick look
    python benchmarks/batch.py --profile 10000  # cProfile of kizuna's run, top functions

For each size, a synthetic CP932 applicant CSV (as Excel writes it, 2,500 family names) is
written, then three fresh subprocesses run, in turn, ``--repeat`` times each:

- kizuna: ``run_batch(..., fmt="jsonl")`` on the CSV, the checks of ``kizuna check`` on (the
  default): validation pass, checks, topic choice with each applicant's history, render, log
  insert (one transaction per chunk of 500), messages.jsonl;
- the floor (``child_floor``): the same work with the least code — the CSV read and checked
  with the csv module, the same topics (kizuna's chooser, history read from the log), the
  built-in template rendered once per combination by a plain ``jinja2.Environment`` and the
  names put in with ``str.replace``, the same rows inserted with kizuna's two statements into
  the same schema (tables, indexes, triggers, the FTS5 search index filled per chunk), the same
  messages.jsonl written with ``json.dumps``, synced and renamed. It leaves out what only
  kizuna does: the checks of ``kizuna check``, the per-row rules of the .eml writer, the
  progress events. The parent checks after each pair that both wrote the same
  messages.jsonl byte for byte and the same rows;
- the physical floor (``child_physical``): the CSV read, ``str.format`` and one
  ``executemany`` into a plain table: what the machine can do at all.

Each subprocess reports its wall time (imports before the clock) and its peak resident memory
(``ru_maxrss``). Reported: msg/s at the median, kizuna / floor at the fastest runs and as the
median of the pairs. Targets: kizuna / floor ≤ 1.5 at 10,000 and 100,000, and peak memory at
100,000 no more than 1.2 × that at 10,000.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import resource
import shutil
import statistics
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


def child_kizuna(csv_path: Path, work: Path, profile_out: Path | None = None, *,
                 fmt: str = "jsonl", check: bool = True) -> dict[str, float]:
    """kizuna's run of the batch, timed from before ``run_batch`` (imports first, as for the
    floor: they are not per-message work; the command loads sqlite-utils without pandas/numpy,
    see kizuna.cli). Also what benchmarks/check.py (``check``) and benchmarks/files.py
    (``fmt``) time."""
    from kizuna.cli import _load_sqlite_utils_lean

    _load_sqlite_utils_lean()
    import kizuna.check
    import kizuna.compose
    import kizuna.output.eml
    import kizuna.topics  # noqa: F401
    from kizuna.batch import run_batch
    from kizuna.log import Log
    from kizuna.profile import load_profile

    profile = load_profile()
    out = work / "out"
    start = time.perf_counter()
    with Log.open(work / "kizuna.db") as log:
        run = run_batch(csv_path, kind=KIND, profile=profile, log=log, out_dir=out, on=DAY,
                        fmt=fmt, check=check)
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
    if fmt == "jsonl":
        made = sum(1 for _ in (out / "messages.jsonl").open(encoding="utf-8"))
    else:
        made = sum(1 for _ in out.glob(f"*.{fmt}"))
    assert summary.written == made, (summary, made)
    return {"seconds": seconds, "messages": summary.written, "peak_mb": peak_mb()}


def _schema_statements() -> list[str]:
    """The SQL of kizuna's schema, read from a log kizuna made: the floor creates the same
    tables, indexes and triggers with it (FTS5 makes its shadow tables itself)."""
    import sqlite3

    from kizuna.log import Log

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "schema.db"
        Log.open(path).close()
        conn = sqlite3.connect(path)
        rows = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
        ).fetchall()
        state = conn.execute("SELECT indexed_upto FROM _kizuna_fts_state").fetchall()
        migrations = conn.execute("SELECT migration_set, name, applied_at FROM _sqlite_migrations").fetchall()
        conn.close()
    shadows = ("exchanges_fts_data", "exchanges_fts_idx", "exchanges_fts_docsize", "exchanges_fts_config",
               "exchanges_fts_content")
    statements = [sql for _, name, sql in rows if name not in shadows]
    statements += [f"INSERT INTO _kizuna_fts_state VALUES ({n})" for (n,) in state]
    statements += [f"INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES "
                   f"('{a}', '{b}', '{c}')" for a, b, c in migrations]
    return statements


def child_floor(csv_path: Path, work: Path) -> dict[str, float]:
    """kizuna's work done the plain way, with the least code: the same CSV read and checked,
    the same topics (kizuna's chooser, with the applicants' history read from the log), the
    built-in template rendered once per combination by a plain ``jinja2.Environment`` with the
    names put in afterwards, the same rows inserted into the same tables, indexes and search
    index in one transaction per chunk of 500, and the same messages.jsonl written (through a
    temporary file, synced and renamed). The parent checks that the jsonl is byte for byte
    kizuna's and the logged rows the same."""
    import json
    import re
    import sqlite3
    from importlib import resources

    import jinja2

    from kizuna.compose import FILTERS, Composer, blank, say, tidy
    from kizuna.kinds import KINDS
    from kizuna.log.rows import _CANDIDATE_UPSERT, _EXCHANGE_INSERT  # the same statements
    from kizuna.models import JST, Candidate, Conversation
    from kizuna.profile import load_profile
    from kizuna.topics import choose_many

    profile = load_profile()
    statements = _schema_statements()
    folder = resources.files("kizuna.message_templates").joinpath("ja")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)), trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    env.globals.update(say=say, blank=blank)
    template = env.get_template(f"{KIND}.txt")
    spec = KINDS[KIND]
    stage = profile.stages[0]
    composer = Composer(profile)
    said_mark = re.compile("\ue010([a-z0-9-]+)\ue011")
    marks = {f: f"\ue000{f}\ue001" for f in ("name", "family", "given", "sama")}
    address = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
    words = {"通過": "passed", "不通過": "not_passed"}
    (work / "out").mkdir()

    start = time.perf_counter()
    conn = sqlite3.connect(work / "floor.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    for sql in statements:
        conn.execute(sql)
    now = dt.datetime.now(JST).isoformat(timespec="seconds")
    # Read and check every row first: nothing is written when one is bad.
    with csv_path.open(encoding="cp932", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        at = {name: header.index(name) for name in ("応募番号", "氏名", "メールアドレス", "結果")}
        people = []
        seen: set[str] = set()
        for cells in reader:
            cid, name, email = (cells[at[k]].strip() for k in ("応募番号", "氏名", "メールアドレス"))
            result = words.get(cells[at["結果"]].strip())
            if not cid or cid in seen or not name or result is None or (email and not address.fullmatch(email)):
                raise SystemExit(f"bad row {cells}")
            seen.add(cid)
            people.append((cid, name, email, result))
    rendered: dict[tuple[object, ...], tuple[str, str, str]] = {}
    tmp = work / "out" / ".messages.jsonl.tmp"
    out = tmp.open("w", encoding="utf-8")
    prefix = f"batch:{KIND}:{stage.id}:{DAY.isoformat()}:"
    for begin in range(0, len(people), 500):
        chunk = people[begin:begin + 500]
        keys = [prefix + cid for cid, *_ in chunk]
        conn.execute("BEGIN IMMEDIATE")
        marks_sql = ",".join("?" * len(chunk))
        done = {k for (k,) in conn.execute(
            f"SELECT idempotency_key FROM exchanges WHERE idempotency_key IN ({marks_sql})", keys)}
        histories: dict[str, set[str]] = {}
        for cid, topics in conn.execute(
                f"SELECT candidate_id, topics FROM exchanges WHERE candidate_id IN ({marks_sql})",
                [c[0] for c in chunk]):
            histories.setdefault(cid, set()).update(t["id"] for t in json.loads(topics))
        choices: dict[str, object] = {}
        for result in ("passed", "not_passed"):
            group = [c[0] for c in chunk if c[3] == result]
            for cid, choice in zip(group, choose_many(DAY, KIND, group, result=result,
                                                      histories=histories, profile=profile),
                                   strict=True):
                choices[cid] = choice
        first = conn.execute("SELECT COALESCE(max(id), 0) FROM exchanges").fetchone()[0]
        candidate_rows, exchange_rows, lines = [], [], []
        for (cid, name, email, result), key in zip(chunk, keys, strict=True):
            if key in done:
                continue
            person = Candidate(cid, name, email=email)
            topics = choices[cid].topics  # type: ignore[attr-defined]
            by_role = {t.role: t for t in topics}
            ordered = tuple(by_role[r] for r in ("opening", "town", "closing") if r in by_role)
            shape = rendered.get((result, ordered))
            if shape is None:
                stand_in = Candidate("x", marks["name"], family_name=marks["family"], given_name=marks["given"])
                context = composer._context(spec, stand_in, DAY, result, stage, by_role, (), None,
                                            Conversation())
                context["sama"] = marks["sama"]
                body = template.render(context)
                subject = "".join(template.blocks["subject"](template.new_context(context))).strip()
                said = json.dumps(list(dict.fromkeys(said_mark.findall(body))))
                shape = rendered[(result, ordered)] = (said_mark.sub("", subject),
                                                       tidy(said_mark.sub("", body)), said)
            subject, body, said = shape
            for field, value in (("name", name), ("family", person.family_name),
                                 ("given", person.given_name), ("sama", person.sama)):
                subject, body = subject.replace(marks[field], value), body.replace(marks[field], value)
            topics_json = json.dumps([t.to_dict() for t in ordered], ensure_ascii=False)
            candidate_rows.append((cid, name, "", email, "Asia/Tokyo", "{}", None, stage.id,
                                   "active" if result == "passed" else "not_passed", False, now,
                                   person.family_name, person.given_name, "", "ja"))
            exchange_rows.append((cid, "out", KIND, stage.id, result, subject, body, topics_json,
                                  "[]", "draft", key, DAY.isoformat(), now, None, None, said, None, "ja"))
            data = {"kind": KIND, "subject": subject, "body": body, "date": DAY.isoformat(),
                    "result": result, "stage": stage.id, "deadline": None, "language": "ja",
                    "candidate": {"id": cid, "name": name, "email": email},
                    "topics": [t.to_dict() for t in ordered], "slots": [],
                    "idempotency_key": key, "exchange_id": first + len(exchange_rows)}
            lines.append(json.dumps(data, ensure_ascii=False) + "\n")
        conn.executemany(_CANDIDATE_UPSERT, candidate_rows)
        conn.executemany(_EXCHANGE_INSERT, exchange_rows)
        conn.execute("INSERT INTO exchanges_fts (rowid, subject, body) SELECT id, subject, body "
                     "FROM exchanges WHERE id > ?", [first])
        conn.execute("UPDATE _kizuna_fts_state SET indexed_upto = (SELECT max(id) FROM exchanges)")
        conn.execute("COMMIT")
        out.write("".join(lines))
    out.flush()
    os.fsync(out.fileno())
    out.close()
    os.replace(tmp, work / "out" / "messages.jsonl")
    fd = os.open(work / "out", os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    seconds = time.perf_counter() - start
    written = conn.execute("SELECT count(*) FROM exchanges").fetchone()[0]
    conn.close()
    return {"seconds": seconds, "messages": written, "peak_mb": peak_mb()}


def child_physical(csv_path: Path, work: Path) -> dict[str, float]:
    """The physical floor: the CSV read, each message made with ``str.format`` and inserted
    into a plain table with one ``executemany``. No checks, no topics, no index, no file."""
    import sqlite3

    conn = sqlite3.connect(work / "physical.db")
    conn.execute("CREATE TABLE messages (candidate_id TEXT, subject TEXT, body TEXT)")
    body = "{name} 様\n\n北上市役所です。{family}様の第1次試験（書類選考）の結果をお知らせいたします。\n" * 6
    start = time.perf_counter()
    with csv_path.open(encoding="cp932", newline="") as f, conn:
        reader = csv.reader(f)
        next(reader)
        conn.executemany("INSERT INTO messages VALUES (?, ?, ?)", (
            (cells[0], "【北上市】第1次試験（書類選考）結果のご連絡",
             body.format(name=cells[1], family=cells[1].split()[0])) for cells in reader))
    seconds = time.perf_counter() - start
    written = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    conn.close()
    return {"seconds": seconds, "messages": written, "peak_mb": peak_mb()}


# --- the parent ----------------------------------------------------------------------------------


MODES = ("kizuna", "floor", "physical")


def run_child(mode: str, count: int, csv_path: Path, work: Path, profile_out: Path | None = None) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", mode, "--count", str(count), "--csv", str(csv_path),
               "--work", str(work)]
    if profile_out is not None:
        command += ["--profile-out", str(profile_out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{mode} child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def same_work(ours: Path, floor: Path) -> None:
    """The floor did kizuna's work: the same messages.jsonl, byte for byte, and the same rows
    in the log (timestamps aside)."""
    import filecmp
    import itertools
    import sqlite3

    # Compared a piece at a time: this process stays small, because a child started from it
    # begins with its peak memory (Linux keeps ru_maxrss across exec) and reports it.
    if not filecmp.cmp(ours / "out" / "messages.jsonl", floor / "out" / "messages.jsonl", shallow=False):
        sys.exit("the floor's messages.jsonl differs from kizuna's")
    queries = (
        "SELECT id, candidate_id, direction, kind, stage, result, subject, body, topics, slots, "
        "status, idempotency_key, message_date, sent_at, charset, said, answers, language "
        "FROM exchanges ORDER BY id",
        "SELECT id, name, kana, email, timezone, position, stage, status, extra, family_name, "
        "given_name, language FROM candidates ORDER BY id",
        "SELECT rowid FROM exchanges_fts WHERE exchanges_fts MATCH '北上市' ORDER BY rowid",
        "SELECT indexed_upto FROM _kizuna_fts_state",
    )
    with sqlite3.connect(ours / "kizuna.db") as x, sqlite3.connect(floor / "floor.db") as y:
        for sql in queries:
            rows = itertools.zip_longest(x.execute(sql), y.execute(sql))
            if any(ours_row != floor_row for ours_row, floor_row in rows):
                sys.exit(f"the floor's log differs from kizuna's: {sql}")


def measure(count: int, root: Path, profile_out: Path | None = None, repeat: int = 3) -> dict[str, float]:
    """Run kizuna, the same-work floor and the physical floor ``repeat`` times each, in turn,
    every run from an empty folder and database; check that kizuna and the floor wrote the
    same; report each side's fastest and median run and its highest peak memory."""
    work = root / f"n{count}"
    work.mkdir(parents=True)
    csv_path = work / "applicants.csv"
    write_applicants(csv_path, count)
    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    for n in range(1 if profile_out is not None else repeat):
        for mode in MODES:
            folder = work / f"{mode}-{n}"
            folder.mkdir()
            runs[mode].append(run_child(mode, count, csv_path, folder,
                                        profile_out if mode == "kizuna" else None))
        same_work(work / f"kizuna-{n}", work / f"floor-{n}")
        for mode in MODES:
            shutil.rmtree(work / f"{mode}-{n}")
    result: dict[str, float] = {"count": count}
    for mode in MODES:
        seconds = [r["seconds"] for r in runs[mode]]
        result[f"{mode}_min"] = min(seconds)
        result[f"{mode}_median"] = statistics.median(seconds)
        result[f"{mode}_peak_mb"] = max(r["peak_mb"] for r in runs[mode])
        result[f"{mode}_per_s"] = count / statistics.median(seconds)
    pairs = [k / f for k, f in zip((r["seconds"] for r in runs["kizuna"]),
                                   (r["seconds"] for r in runs["floor"]), strict=True)]
    result["ratio_min"] = result["kizuna_min"] / result["floor_min"]
    result["ratio_median"] = statistics.median(pairs)
    result["physical_ratio_median"] = result["kizuna_median"] / result["physical_median"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="Comma-separated applicant counts.")
    parser.add_argument("--profile", type=int, metavar="N", help="Profile kizuna's run of N applicants.")
    parser.add_argument("--repeat", type=int, default=3, help="Runs per side; the fastest counts.")
    parser.add_argument("--child", choices=list(MODES), help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child == "kizuna":
        print(json.dumps(child_kizuna(args.csv, args.work, args.profile_out)))
        return
    if args.child == "floor":
        print(json.dumps(child_floor(args.csv, args.work)))
        return
    if args.child == "physical":
        print(json.dumps(child_physical(args.csv, args.work)))
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
    print(f"kizuna batch benchmark ({KIND}, jsonl output, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, {max(1, args.repeat)} runs of each in turn)")
    print(f"{'applicants':>10}  {'kizuna msg/s':>12}  {'floor msg/s':>11}  {'ratio min':>9}  "
          f"{'ratio median':>12}  {'physical msg/s':>14}  {'/physical':>9}  {'peak MB':>7}  {'floor MB':>8}")
    for r in results:
        print(f"{r['count']:>10,}  {r['kizuna_per_s']:>12,.0f}  {r['floor_per_s']:>11,.0f}  "
              f"{r['ratio_min']:>9.2f}  {r['ratio_median']:>12.2f}  {r['physical_per_s']:>14,.0f}  "
              f"{r['physical_ratio_median']:>9.1f}  {r['kizuna_peak_mb']:>7.1f}  {r['floor_peak_mb']:>8.1f}")
    worst = max(max(r["ratio_min"], r["ratio_median"]) for r in results)
    print(f"kizuna / same-work floor target ≤ 1.5: {'met' if worst <= 1.5 else 'NOT met'} (worst {worst:.2f})")
    if len(results) >= 2:
        growth = results[-1]["kizuna_peak_mb"] / results[0]["kizuna_peak_mb"]
        print(f"peak memory {results[-1]['count']:,} / {results[0]['count']:,}: {growth:.2f} "
              f"(target ≤ 1.2: {'met' if growth <= 1.2 else 'NOT met'})")


if __name__ == "__main__":
    main()
