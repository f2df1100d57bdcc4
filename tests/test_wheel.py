"""The wheel ships the templates and topic files: build it, install it into a fresh virtual
environment and draft a message from there, outside the source tree.

No network: the wheel is installed with --no-deps --no-index, and the new environment finds the
dependencies where the interpreter running the tests finds them. That may be a plain venv, a
venv with system site-packages or a bare system Python, so the inner venv does not inherit the
*base* interpreter's packages (system_site_packages would) but is given, through a .pth file,
the site folders of the running interpreter itself. Those folders are added as plain paths:
their own .pth files (an editable install of kizuna among them) are not run, so the kizuna the
inner environment imports is the wheel's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_installs_and_drafts(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("kizuna", "message_templates", "seasonal_topics"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(dist), str(src)],
        check=True, cwd=tmp_path,
    )
    wheel = next(dist.glob("kizuna-*.whl"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=False, with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    inner_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    outer_sites = [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")]
    assert outer_sites, sys.path
    (Path(inner_site) / "_outer_site.pth").write_text("\n".join(outer_sites) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "-q", str(wheel)],
        check=True, cwd=tmp_path,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run(
        [str(python), "-c", "import kizuna, sys; print(kizuna.__file__)"],
        check=True, capture_output=True, text=True, cwd=work,
    ).stdout.strip()
    assert where.startswith(str(env_dir)), where
    done = subprocess.run(
        [str(env_dir / "bin" / "kizuna"), "--db", str(tmp_path / "k.db"), "draft",
         "interview_invitation", "--name", "山田 太郎", "--candidate", "A-0001",
         "--date", "2026-11-26", "--format", "json"],
        capture_output=True, text=True, cwd=work,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["subject"] == "【北上市】第2次試験（一次面接）日程のご案内"
    assert "山田 太郎 様" in data["body"]
    assert len(data["slots"]) == 3
    assert {t["role"] for t in data["topics"]} >= {"opening", "closing"}
    # The English templates and lines are in the wheel too.
    english = subprocess.run(
        [str(env_dir / "bin" / "kizuna"), "--db", str(tmp_path / "k.db"), "draft",
         "interview_invitation", "--name", "Emma Brown", "--candidate", "E-0001", "--lang", "en",
         "--date", "2026-11-26", "--format", "json"],
        capture_output=True, text=True, cwd=work,
    )
    assert english.returncode == 0, english.stderr
    data = json.loads(english.stdout)
    assert data["language"] == "en"
    assert data["subject"] == "Invitation to interview: Stage 2 (first interview) – Kitakami City"
    assert data["body"].startswith("Dear Emma Brown,")
    assert {t["role"] for t in data["topics"]} >= {"opening"}
    # The compiled Japanese catalog is in the wheel: the installed command speaks Japanese.
    japanese = subprocess.run(
        [str(env_dir / "bin" / "kizuna"), "--help"], capture_output=True, text=True, cwd=work,
        env={**os.environ, "KIZUNA_LANG": "ja"},
    )
    assert "使い方: kizuna" in japanese.stdout and "すべてのやり取りを記録します。" in japanese.stdout
