"""An HR tool's script that uses kizuna through ``import kizuna`` only.

tests/test_public_api.py runs it, and runs ``mypy --strict`` on it: every ``reveal_type`` must
name a real type, never ``Any``.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import reveal_type

import kizuna


def main(folder: Path, csv_path: Path) -> None:
    profile = kizuna.load_profile()
    reveal_type(profile)
    candidate = kizuna.Candidate(id="A-0001", name="山田 太郎", email="taro.yamada@example.jp")
    with kizuna.Log.open(folder / "kizuna.db") as log:
        reveal_type(log)
        drafted = kizuna.draft_message(
            profile, "interview_invitation", candidate, on=dt.date(2026, 11, 26), log=log
        )
        reveal_type(drafted)
        reveal_type(drafted.message.slots)
        offered = kizuna.free_slots(profile, log, dt.date(2026, 11, 26), 3)
        reveal_type(offered)
        outcome = kizuna.handle_reply(
            profile, log, candidate.id, "1番でお願いいたします。", on=dt.date(2026, 11, 27),
            now=dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=9))),
        )
        reveal_type(outcome)
        reveal_type(outcome.booked)
        eml = kizuna.as_bytes(kizuna.to_email(drafted.message, profile))
        reveal_type(eml)
        run = kizuna.run_batch(
            csv_path, kind="screening_result", profile=profile, log=log, out_dir=folder / "out",
            on=dt.date(2026, 12, 3),
        )
        reveal_type(run)
        summary = run.run()
        reveal_type(summary)
    booked = outcome.booked.start.isoformat() if outcome.booked else "-"
    sys.stdout.write(f"{drafted.message.subject}\n{booked}\n{len(eml)}\n{summary.line()}\n")


if __name__ == "__main__":
    if not sys.argv[1:]:
        raise SystemExit("usage: user_script.py FOLDER CSV")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
