"""Shared fixtures: no test touches the real user folder or a real log, and every test speaks
English (KIZUNA_LANG=en) unless it asks for Japanese."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from kizuna.models import Candidate


@pytest.fixture(autouse=True)
def isolated_user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the default database, HOME and profile away from the real user's."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("KIZUNA_DB", str(tmp_path / "kizuna.db"))
    monkeypatch.delenv("KIZUNA_PROFILE", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    # The suite reads English unless a test asks for Japanese, whatever the machine's locale.
    monkeypatch.setenv("KIZUNA_LANG", "en")
    return home


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kizuna.db"


@pytest.fixture
def yamada() -> Candidate:
    return Candidate(id="A-0001", name="山田 太郎", kana="やまだ たろう", email="taro.yamada@example.jp")


@pytest.fixture
def sato() -> Candidate:
    return Candidate(id="A-0002", name="佐藤 花子", kana="さとう はなこ", email="hanako.sato@example.jp")


@pytest.fixture
def send_date() -> dt.date:
    """The date of EXAMPLES.md's invitation: 小雪 began 11-22."""
    return dt.date(2026, 11, 26)
