"""The `kizuna` command: parse options, call one library function, print.

Heavy libraries (babel, holidays, sqlite_utils) are imported inside the commands that use them,
so `kizuna --help` starts fast. Every KizunaError becomes one paragraph and exit status 1.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .errors import KizunaError

if TYPE_CHECKING:
    from .log import Log
    from .profile import Profile

F = TypeVar("F", bound=Callable[..., Any])


class Settings:
    """Global options, resolved lazily so a command opens only what it uses."""

    def __init__(self, profile_path: str | None, db_path: str | None) -> None:
        self.profile_path = profile_path
        self.db_path = db_path
        self._profile: Profile | None = None

    @property
    def profile(self) -> Profile:
        if self._profile is None:
            from .profile import load_profile

            self._profile = load_profile(self.profile_path)
        return self._profile

    def database_path(self) -> Path:
        if self.db_path:
            return Path(self.db_path)
        return Path(click.get_app_dir("kizuna")) / "kizuna.db"

    def open_log(self) -> Log:
        from .log import Log

        return Log.open(self.database_path())


def user_errors(func: F) -> F:
    """Turn a KizunaError into a one-paragraph ClickException (exit status 1)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KizunaError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def parse_date(ctx: click.Context | None, param: click.Parameter | None, value: str | None) -> dt.date | None:
    """Option callback: YYYY-MM-DD, or None."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date; use YYYY-MM-DD, e.g. 2026-12-05.") from None


def today_jst() -> dt.date:
    from .models import JST

    return dt.datetime.now(JST).date()


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kizuna")
@click.option(
    "--profile", "profile_path", envvar="KIZUNA_PROFILE", type=click.Path(dir_okay=False),
    help="Organisation profile (kizuna.toml). Default: the built-in 北上市 sample. Env: KIZUNA_PROFILE.",
)
@click.option(
    "--db", "db_path", envvar="KIZUNA_DB", type=click.Path(dir_okay=False),
    help="SQLite log of every exchange. Default: kizuna.db in the user app folder. Env: KIZUNA_DB.",
)
@click.pass_context
def cli(ctx: click.Context, profile_path: str | None, db_path: str | None) -> None:
    """Draft warm, careful Japanese emails to job applicants, and log every exchange."""
    ctx.obj = Settings(profile_path, db_path)


pass_settings = click.make_pass_decorator(Settings)


@cli.command()
def kinds() -> None:
    """List the message kinds of the selection pipeline."""
    from .kinds import KINDS

    for kind in KINDS.values():
        needs = []
        if kind.needs_result:
            needs.append("--result")
        if kind.needs_slot:
            needs.append("--slot or a booking")
        suffix = f"  (needs {', '.join(needs)})" if needs else ""
        click.echo(f"{kind.id:<24}{kind.label}{suffix}")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), default=".")
@click.option("--force", is_flag=True, help="Overwrite an existing kizuna.toml.")
@user_errors
def init(directory: str, force: bool) -> None:
    """Write a commented kizuna.toml profile to DIRECTORY (default: here) to edit."""
    from .profile import write_sample_profile

    path = write_sample_profile(Path(directory), force=force)
    click.echo(f"Wrote {path}. Edit it, then use it with --profile {path} or KIZUNA_PROFILE.")


# --- commands added by later modules go below; keep each one a thin adapter ---
