"""click in the language of the moment (``kizuna.i18n``): the command's help, its options' help,
click's own words (Usage:, Options, Error: …, No such option) and Japanese wrapped by the
columns it takes on a terminal.

The help texts stay English in the source (a command's docstring, an option's ``help=N_(…)``)
and are translated when the help is shown, never at import: one process (a test, an HR tool
calling the command twice) may change language between two commands.

click marks its own messages with the standard library's ``gettext`` (the global domain), bound
at import in each of its modules as ``_`` and ``ngettext``. While ``kizuna`` runs, ``speaking()``
points those names at kizuna's catalog, which translates click's messages too (``CLICK_MESSAGES``
below), and puts click's own functions back afterwards.
"""

from __future__ import annotations

import contextlib
import gettext as _gettext
import inspect
import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any

import click

from .i18n import N_, _, catalog, language, width


def NN_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802 - a gettext marker
    """Mark a plural pair for the catalog (babel's keyword ``NN_:1,2``)."""
    return singular, plural


# click's messages, as click 8.5 writes them (`pybabel extract` of the click package), so that
# the catalog holds them; tests/test_i18n.py lists any the installed click has and this lacks.
CLICK_MESSAGES = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Positional arguments"),
    N_("Show this message and exit."), N_("Show the version and exit."),
    N_("%(prog)s, version %(version)s"), N_("Error: {message}"),
    N_("Try '{command} {option}' for help."), N_("Aborted!"), N_("deprecated"),
    N_("Missing command."), N_("Value must be an iterable."), N_("Name '{name}' defined twice"),
    N_("Boolean option {decl!r} cannot use the same flag for true/false."),
    N_("Could not determine name for option with declarations {decls!r}"),
    N_("No options defined but a name was passed ({name}). Did you mean to declare an argument "
       "instead? Did you mean to pass '--{name}'?"),
    N_("env var: {var}"), N_("default: {default}"), N_("(dynamic)"),
    N_("Arguments take exactly one parameter declaration, got {length}: {decls}."),
    N_("Do you want to continue?"), N_("Confirm the action without prompting."),
    N_("Invalid value: {message}"), N_("Invalid value for {param_hint}: {message}"),
    N_("Missing argument"), N_("Missing option"), N_("Missing parameter"),
    N_("Missing {param_type}"), N_("Missing parameter: {param_name}"),
    N_("No such option {name!r}."), N_("No such command {name!r}."), N_("unknown error"),
    N_("Could not open file {filename!r}: {message}"),
    N_("Invalid start character for option ({option})"),
    N_("Argument {name!r} takes {nargs} values."), N_("Option {name!r} does not take a value."),
    N_("Repeat for confirmation"), N_("Error: The two entered values do not match."),
    N_("Error: invalid input"), N_("Press any key to continue..."),
    N_("Choose from:\n\t{choices}"), N_("Choice({choices})"),
    N_("{value!r} is not a valid {number_type}."), N_("{value} is not in the range {range}."),
    N_("{value!r} is not a valid boolean. Recognized values: {states}"),
    N_("{value!r} is not a valid UUID."), N_("file"), N_("directory"), N_("path"),
    N_("{name} {filename!r} does not exist."), N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is a directory."), N_("{name} {filename!r} is not readable."),
    N_("{name} {filename!r} is not writable."), N_("{name} {filename!r} is not executable."),
    N_("Unknown standard stream '{name}'"), N_("Unknown color {colour!r}"),
    N_("{editor}: Editing failed"), N_("{editor}: Editing failed: {e}"), N_("d"),
    N_("DeprecationWarning: The command {name!r} is deprecated.{extra_message}"),
    N_("DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}"),
    N_("Shell completion is not supported for Bash versions older than 4.4."),
    N_("Couldn't detect Bash version, shell completion is not supported."),
    N_("Windows error: {error}"),
    NN_("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"),
    NN_("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."),
    NN_("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
    NN_("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."),
    NN_("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
    NN_("{value!r} does not match the format {format}.",
        "{value!r} does not match the formats {formats}."),
    NN_("{len_type} values are required, but {len_value} was given.",
        "{len_type} values are required, but {len_value} were given."),
)

# click stores these help texts in the options it builds (the help option is built once per
# command and kept): they must stay English there, and are translated when shown.
_SHOWN_LATER = frozenset({"Show this message and exit.", "Show the version and exit."})

_CLICK_MODULES = ("click.core", "click.decorators", "click.exceptions", "click.formatting",
                  "click.parser", "click.termui", "click.types", "click.utils",
                  "click._termui_impl", "click.shell_completion")


def _click_gettext(message: str) -> str:
    if not message or message in _SHOWN_LATER:
        return message
    return catalog(language()).gettext(message)


def _click_ngettext(singular: str, plural: str, n: int) -> str:
    return catalog(language()).ngettext(singular, plural, n)


@contextlib.contextmanager
def speaking() -> Iterator[None]:
    """click's messages from kizuna's catalog while the block runs (then click's own again)."""
    if language() != "en" and "click._termui_impl" not in sys.modules:
        import click._termui_impl  # noqa: F401 - the progress bar's and editor's messages
    swapped: list[tuple[Any, str, Any]] = []
    for name in _CLICK_MODULES:
        module = sys.modules.get(name)
        for attr, ours, theirs in (("_", _click_gettext, _gettext.gettext),
                                   ("ngettext", _click_ngettext, _gettext.ngettext)):
            if module is not None and getattr(module, attr, None) is theirs:
                setattr(module, attr, ours)
                swapped.append((module, attr, theirs))
    try:
        yield
    finally:
        for module, attr, theirs in swapped:
            setattr(module, attr, theirs)


# --- Japanese on a terminal: wrapped by columns, at the places Japanese may break ---

_NO_LINE_START = frozenset("、。，．,.)）」』】〕〉》］｝・：；:;！？!?ー～…‥ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々")
_NO_LINE_END = frozenset("(（「『【〔〈《［｛")


def _wide(ch: str) -> bool:
    return width(ch) == 2


def _chunks(text: str) -> list[tuple[str, bool]]:
    """The unbreakable pieces of a paragraph, each with whether a space comes before it. A
    line may break at a space, or between two characters one of which is wide, except before
    a closing mark (、。」) or after an opening one (「（); a line break between two wide
    characters is no space (Japanese joins its lines)."""
    marks: list[tuple[str, bool]] = []
    for found in re.finditer(r"(\s*)(\S)", text):
        space, ch = found.group(1), found.group(2)
        joined = "\n" in space and bool(marks) and _wide(marks[-1][0]) and _wide(ch)
        marks.append((ch, bool(space) and not joined))
    pieces: list[list[Any]] = []
    previous = ""
    for ch, gap in marks:
        breaks = (gap or _wide(ch) or _wide(previous)) and ch not in _NO_LINE_START \
            and previous not in _NO_LINE_END
        if not pieces or breaks:
            pieces.append([ch, gap and bool(pieces)])
        else:
            pieces[-1][0] += (" " if gap else "") + ch
        previous = ch
    return [(piece, space) for piece, space in pieces]


def wrap_paragraph(text: str, columns: int, initial: str = "", subsequent: str = "") -> list[str]:
    """One paragraph in lines of at most ``columns`` terminal columns (a piece longer than a
    line gets a line of its own)."""
    lines: list[str] = []
    line, used, empty = initial, width(initial), True
    for piece, space in _chunks(text):
        gap = " " if space and not empty else ""
        size = width(piece)
        if not empty and used + len(gap) + size > columns:
            lines.append(line.rstrip())
            line, used, gap = subsequent, width(subsequent), ""
        line += gap + piece
        used += len(gap) + size
        empty = False
    lines.append(line.rstrip())
    return lines


def wrap_text(text: str, columns: int, initial: str = "", subsequent: str = "",
              preserve_paragraphs: bool = False) -> str:
    """``click.formatting.wrap_text`` for Japanese: paragraphs by blank lines, a paragraph
    opened by a line holding only ``\\b`` kept as written, each indented as its first line."""
    text = text.expandtabs()
    if not preserve_paragraphs:
        return "\n".join(wrap_paragraph(text, columns, initial, subsequent))
    out: list[str] = []
    for block in text.split("\n\n"):
        rows = block.split("\n")
        if not block.strip():
            continue
        if rows[0].strip() == "\b":
            out.append("\n".join(subsequent + row for row in rows[1:]))
            continue
        indent = " " * (len(rows[0]) - len(rows[0].lstrip()))
        body = "\n".join(row.strip() for row in rows)
        out.append("\n".join(wrap_paragraph(body, columns, initial + indent, subsequent + indent)))
    return "\n\n".join(out)


class HelpFormatter(click.HelpFormatter):
    """click's formatter; in Japanese, lines are measured in terminal columns and broken
    where Japanese may break, not only at spaces."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if language() == "en":
            return super().write_usage(prog, args, prefix)
        if prefix is None:
            prefix = _("Usage:") + " "
        usage_prefix = f"{prefix:>{self.current_indent}}{prog} "
        columns = self.width - self.current_indent
        if not args:
            self.write(usage_prefix.rstrip(" ") + "\n")
            return None
        if columns >= width(usage_prefix) + 20:
            indent = " " * width(usage_prefix)
            self.write(wrap_text(args, columns, usage_prefix, indent))
        else:
            self.write(usage_prefix + "\n")
            indent = " " * (max(self.current_indent, width(prefix)) + 4)
            self.write(wrap_text(args, columns, indent, indent))
        self.write("\n")
        return None

    def write_text(self, text: str) -> None:
        if language() == "en":
            return super().write_text(text)
        indent = " " * self.current_indent
        self.write(wrap_text(text, self.width, indent, indent, preserve_paragraphs=True))
        self.write("\n")
        return None

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30,
                 col_spacing: int = 2) -> None:
        if language() == "en":
            return super().write_dl(list(rows), col_max, col_spacing)
        rows = list(rows)
        first_col = min(max((width(row[0]) for row in rows), default=0), col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            columns = max(self.width - first_col - 2, 10)
            lines = wrap_text(second, columns, preserve_paragraphs=True).splitlines()
            self.write(f"{lines[0]}\n" if lines else "\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")
        return None


class Context(click.Context):
    formatter_class = HelpFormatter


def short_help(text: str, limit: int) -> str:
    """The first sentence of a Japanese help text, cut to ``limit`` columns."""
    first = text.partition("\n\n")[0].replace("\n", "").strip()
    if first.startswith("\b"):
        first = first[1:].strip()
    sentence = first.partition("。")[0]
    if width(sentence) <= limit:
        return sentence
    cut = ""
    for ch in sentence:
        if width(cut + ch) > limit - 1:
            break
        cut += ch
    return cut + "…"


def translated_help(help_text: str | None) -> str | None:
    """A command's help (its docstring, cleaned as click cleans it) in the language of the
    moment."""
    if help_text is None:
        return None
    return _(inspect.cleandoc(help_text))


class _Translated(click.Command):
    """What every kizuna command and group shares: help translated when shown."""

    context_class = Context

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        text = translated_help(self.help)
        if self.deprecated or not text:
            return super().format_help_text(ctx, formatter)
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(text.partition("\f")[0])
        return None

    def get_short_help_str(self, limit: int = 45) -> str:
        if self.short_help or not self.help or self.deprecated or language() == "en":
            return super().get_short_help_str(limit)
        return short_help(translated_help(self.help) or "", limit)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = list(option_rows(self.get_params(ctx), ctx))
        if rows:
            with formatter.section(_("Options")):
                formatter.write_dl(rows)
        if isinstance(self, click.Group):
            self.format_commands(ctx, formatter)


def option_rows(params: Iterable[click.Parameter], ctx: click.Context) -> Iterator[tuple[str, str]]:
    """The options' help records, their help translated (the extras click adds, such as
    ``[default: text]``, come translated from click)."""
    for param in params:
        if isinstance(param, click.Argument):
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, text = record
        own = getattr(param, "help", None)
        if own and text.startswith(own):
            text = _(own) + text[len(own):]
        yield names, text


class Command(_Translated):
    """A kizuna command."""


class Group(_Translated, click.Group):
    """The ``kizuna`` group (and ``kizuna topics``): its commands and groups are of these
    classes, and it speaks the language of the moment while it runs."""

    command_class = Command
    group_class = type

    def main(self, *args: Any, **kwargs: Any) -> Any:
        with speaking():
            return super().main(*args, **kwargs)
