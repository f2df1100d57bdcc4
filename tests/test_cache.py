"""The user's cache folder (kizuna.cache): parsed topic files and compiled templates, kept
between runs, keyed by what they were made from, private, and never required."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kizuna import cache


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KIZUNA_CACHE_DIR", str(tmp_path / "cache"))
    cache.cache_folder.cache_clear()
    yield tmp_path / "cache"
    cache.cache_folder.cache_clear()


def test_a_parse_is_kept_by_the_texts_checksum(folder: Path) -> None:
    calls: list[str] = []

    def parse(text: str) -> dict[str, object]:
        calls.append(text)
        return {"text": text, "when": dt.date(2026, 12, 1)}

    assert cache.cached_parse("t", "a = 1", parse) == {"text": "a = 1", "when": dt.date(2026, 12, 1)}
    assert cache.cached_parse("t", "a = 1", parse) == {"text": "a = 1", "when": dt.date(2026, 12, 1)}
    assert calls == ["a = 1"]  # the second came from the cache
    cache.cached_parse("t", "a = 2", parse)  # another text is parsed, never served stale
    assert calls == ["a = 1", "a = 2"]
    kept = folder / "parsed-t"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o700 and len(list(kept.glob("*.pickle"))) == 2
    # A damaged entry is parsed again, not an error.
    for entry in kept.glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert cache.cached_parse("t", "a = 1", parse)["text"] == "a = 1" and len(calls) == 3


def test_an_error_is_raised_and_nothing_kept(folder: Path) -> None:
    def parse(text: str) -> object:
        raise ValueError("bad")

    with pytest.raises(ValueError):
        cache.cached_parse("t", "x", parse)
    assert not list((folder / "parsed-t").glob("*.pickle"))


def test_no_cache_when_the_folder_is_not_private_or_cannot_be_made(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "t").mkdir(mode=0o777)
    os.chmod(shared / "t", 0o777)
    monkeypatch.setenv("KIZUNA_CACHE_DIR", str(shared))
    cache.cache_folder.cache_clear()
    assert cache.cache_folder("t") is None
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("KIZUNA_CACHE_DIR", str(blocked))
    cache.cache_folder.cache_clear()
    assert cache.cache_folder("t") is None
    calls: list[str] = []
    assert cache.cached_parse("t", "y", lambda text: calls.append(text) or text) == "y"
    cache.cache_folder.cache_clear()


def test_drafts_are_the_same_with_a_cold_and_a_warm_cache(tmp_path: Path) -> None:
    """The compiled templates and parsed topic files are what the sources give: a draft from
    an empty cache folder, from the filled one, and with no usable cache are the same."""
    command = [sys.executable, "-m", "kizuna", "draft", "interview_invitation", "--name", "山田 太郎",
               "--no-log", "--date", "2026-11-26"]
    outputs = []
    for where in ("cache", "cache", "file"):
        if where == "file":
            (tmp_path / "file").write_text("")
        env = {**os.environ, "KIZUNA_CACHE_DIR": str(tmp_path / where)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] == outputs[2] and "第2次試験" in outputs[0]
    assert list((tmp_path / "cache").glob("parsed-toml/*.pickle"))
    assert list((tmp_path / "cache").glob("templates-*-ja/*"))
