"""The typer application, its shared options, and the one place errors become exit codes.

Exit codes are contract section 4: 0 success, 1 error, 2 usage, 3 ``wait`` timed out, 4 integrity.
Every error is one line on stderr (``collab: <what is wrong and what to do>``), or under ``--json``
one JSON document ``{"error": {"code": int, "message": str}}``; a traceback is shown only when
``COLLAB_DEBUG`` is set.
"""

# No ``from __future__ import annotations``: see :mod:`collab.cli.live`.
import gc
import importlib
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import click
import typer
from typer.core import TyperCommand, TyperGroup

from collab.errors import CollabError, Exit, UsageError

if TYPE_CHECKING:
    from collab.channel import Channel
    from collab.seat import Seat

_SETTINGS: dict[str, Any] = {
    "add_completion": False,  # the root app alone offers shell completion (see ``app`` below)
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,
    "context_settings": {"help_option_names": ["-h", "--help"]},
}

#: Every command, and the module of :mod:`collab.cli` that defines it, in the order ``--help`` lists
#: them. A command's module is imported when the command runs; only ``--help`` imports them all.
COMMANDS = {
    "start": "channels", "join": "channels", "answer": "channels", "ask": "channels", "close": "channels",
    "ls": "housekeeping", "rm": "housekeeping", "prune": "housekeeping",
    "install": "setup", "uninstall": "setup", "wait": "live", "watch": "watching", "show": "review",
    "status": "review", "verify": "verify", "repair": "verify",
    "hook": "push", "help": "helping",
}  # fmt: skip

#: Each command's line in ``collab --help``: the first sentence of its docstring, kept here so that
#: ``--help`` imports no command module (a test holds each equal to the command's own).
SUMMARIES = {
    "start": "Create a channel and print the join message for the other session.",
    "join": "Print the join message for CHANNEL: the rules and the exact commands to use.",
    "answer": "Append an answer ('### Answer N') to CHANNEL, from TEXT or stdin.",
    "ask": "Append a question ('### Question N') to CHANNEL, from TEXT or stdin.",
    "close": "Close CHANNEL: append '## Closed' and an optional summary.",
    "ls": "List the channels in the channel directory, most recent activity first.",
    "rm": "Delete channels and every file collab keeps for them, saying what went.",
    "prune": "Delete your channels idle longer than DURATION, closed or open.",
    "install": "Write collab's instructions where a coding agent reads them.",
    "uninstall": "Remove the files collab install wrote for a coding agent, and nothing else.",
    "wait": "Block until others write to CHANNEL and their turn is over; print what they wrote.",
    "watch": "Show each new entry of CHANNEL as it lands, until it is closed or Ctrl+C.",
    "show": "Show a channel's whole transcript, for people, agents or a browser.",
    "status": "What is still open in a channel, and who has taken part.",
    "verify": "Check that no one edited CHANNEL's history: exit 0, or 4 naming what changed.",
    "repair": "Restore CHANNEL's history from its ledger, or cut away unreadable bytes.",
    "hook": "Wake a Claude Code session when others write (run by collab's plugin).",
    "help": "Show collab's help, or COMMAND's: the same as `collab --help` or `collab COMMAND --help`.",
}

#: Each command's own single-command typer app, filled in by :func:`command` as its module is imported.
_REGISTERED: dict[str, typer.Typer] = {}


class OnDemandGroup(TyperGroup):
    """The root group, which turns a command into its click command only when it is looked up.

    typer builds every registered command when it builds a group (it reads each function's
    signature and evaluates its type hints) for every command, on every run of a tool that runs
    one command per process. This group builds the one that was asked for; only
    ``--help`` builds them all. This is click's lazily loaded subcommands pattern
    (``list_commands``/``get_command``), fed by typer's public :func:`typer.main.get_command`.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        importlib.import_module(f"collab.cli.{COMMANDS[cmd_name]}")
        return typer.main.get_command(_REGISTERED[cmd_name])

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            import difflib

            if args and args[0] == "version":
                raise click.UsageError(f"{exc.message.rstrip('.')}. The version is `collab --version`", ctx) from None
            close = difflib.get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if not close:
                raise
            hint = " or ".join(map(repr, close))
            raise click.UsageError(f"{exc.message.rstrip('.')}. Did you mean {hint}?", ctx) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``collab --help``, each with its whole first sentence (:data:`SUMMARIES`).

        click would cut each description to fit one line of the terminal; a long one wraps instead.
        """
        rows = [(name, SUMMARIES[name]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line, reporting click's own errors the way collab reports its own.

        click would print a usage error as several lines of its own, even under ``--json``. Here it
        is one line, ``collab: <message> (see `collab CMD --help`)``, or, with ``--json`` among the
        options the contract's JSON error on stderr; the exit code stays click's (2 for usage).
        This is the console script's entry point and also what :class:`typer.testing.CliRunner`
        calls. With ``standalone_mode=False`` the caller handles click's exceptions, as in click;
        ``collab`` alone still prints the help, as click does.
        """
        argv = sys.argv[1:] if args is None else list(args)
        if standalone_mode and not argv:
            argv = ["--help"]  # `collab` alone asks for help: give it on stdout, exit 0
        if not standalone_mode or not argv:
            return super().main(argv, prog_name, complete_var, standalone_mode, windows_expand_args, **extra)
        try:
            code = super().main(argv, prog_name, complete_var, False, windows_expand_args, **extra)
        except click.ClickException as exc:
            message = exc.format_message()
            if isinstance(exc, click.UsageError):
                where = exc.ctx.command_path if exc.ctx else _command_path(argv)
                message = f"{message.rstrip('.')} (see `{where} --help`)"
            code = fail(message, exc.exit_code, _wants_json(argv)).exit_code
        except click.Abort:
            code = fail("aborted", Exit.ERROR, _wants_json(argv)).exit_code
        # Without standalone mode click returns an exit code raised as typer.Exit, else the command's
        # return value, which standalone click ignores: a command that returns normally exits 0.
        sys.exit(code if isinstance(code, int) else 0)


def _command_path(args: list[str]) -> str:
    """``collab CMD`` for the command ``args`` name (their first word that is not an option), else
    ``collab``: click raises some usage errors (an option missing its value) without a context."""
    first = next((arg for arg in args if not arg.startswith("-")), None)
    return f"collab {first}" if first in COMMANDS else "collab"


def _wants_json(args: list[str]) -> bool:
    """Whether ``--json`` is among the options: before any ``--``, after which all are arguments."""
    return "--json" in args[: args.index("--") if "--" in args else len(args)]


app = typer.Typer(
    name="collab",
    help="Coordinate two agent sessions through one append-only markdown channel file.\n\n"
    "Session A starts a channel and passes the join message to session B; both append answers and "
    "questions, and each waits for the other's. `collab COMMAND --help` tells more.\n\n"
    "Exit codes: 0 done, 1 error, 2 usage, 3 `wait` timed out, 4 history edited, 130 interrupted.\n\n"
    "Example:\n\n\b\n"
    '  collab start "Align the auth handshake" -r "Which version runs on your side?"\n'
    "  collab wait ID --timeout 100 --json      # in session A, after B has joined\n"
    "  collab join ID                           # in session B: the same join message",
    cls=OnDemandGroup,
    suggest_commands=False,  # typer's suggestions look only at built commands: see OnDemandGroup
    **(_SETTINGS | {"add_completion": True}),
)


def _print_version(value: bool) -> None:
    """``--version``: the installed package's version (its metadata), then exit 0."""
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("collab")
        except PackageNotFoundError:  # run from a source tree that was never installed
            found = "unknown (not installed)"
        sys.stdout.write(f"collab {found}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    _version: Annotated[
        bool,
        typer.Option("--version", "-V", help="Print the version and exit.", is_eager=True, callback=_print_version),
    ] = False,
    remote_client: Annotated[
        str | None, typer.Option("--remote-client", hidden=True, help="Run for collab on another machine.")
    ] = None,
) -> None:
    """Runs once the command is chosen and its module imported, just before the command itself.

    The console script pauses the garbage collector for start-up (see :func:`collab.console.main`):
    what start-up made is kept out of later collections, and collecting resumes here.

    ``--remote-client JSON`` (hidden) is given by collab on another machine that runs this command
    over ssh (contract section 10, :mod:`collab.remote.serve`): it always asks for ``--json``.
    """
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
    if remote_client is not None:
        from collab.remote import serve

        with reporting(as_json=True):
            serve.accept(remote_client)


class _DigitsOnly(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.4 on, not before
    """A number option's type, refusing what Python's ``int()``/``float()`` read but collab does not.

    Both read other scripts' digits (a fullwidth one, an Arabic-Indic three) and read ``1_0`` as
    10: collab's numbers are the ASCII digits 0-9 wherever it reads one, so these are usage
    errors. Everything else (ranges, ``inf``) is left to the type it wraps and to the command.
    """

    def __init__(self, inner: click.ParamType[Any]) -> None:
        self.inner = inner
        self.name = inner.name

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not (value.isascii() and "_" not in value):
            self.fail(f"{value!r} is not a number collab reads: write it with the digits 0-9", param, ctx)
        return self.inner.convert(value, param, ctx)


def _unusable(value: str) -> str | None:
    """Why a command-line value cannot be used as text (not UTF-8, or a NUL in it), or None."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        # Python keeps argv bytes that are not UTF-8 as lone surrogates (U+DC80-U+DCFF, PEP 383);
        # no channel, path in a channel or message can hold them.
        char = ord(value[exc.start])
        what = f"byte 0x{char - 0xDC00:02x}" if 0xDC80 <= char <= 0xDCFF else f"unpaired surrogate U+{char:04X}"
        offset = len(value[: exc.start].encode("utf-8"))
        return f"it is not UTF-8 ({what} at offset {offset}); pass it as UTF-8 text"
    nul = value.find("\x00")
    if nul >= 0:
        return f"it holds a NUL byte (at offset {len(value[:nul].encode())}); remove it"
    return None


class _CheckedCommand(TyperCommand):
    """A collab command: every text value it is given must be usable text, every number ASCII digits.

    Checked once here for every argument and option of every command (text, names, paths), so
    that no command reaches a file or a message with a value it cannot write: each is a usage
    error (exit 2) naming the argument, before anything is read or written.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param.type, click.types.IntParamType | click.types.FloatParamType):
                param.type = _DigitsOnly(param.type)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        for param in self.get_params(ctx):
            given = ctx.params.get(param.name or "")
            for value in given if isinstance(given, list | tuple) else (given,):
                text = os.fspath(value) if isinstance(value, os.PathLike) else value
                problem = _unusable(text) if isinstance(text, str) else None
                if problem:
                    raise click.BadParameter(problem, ctx=ctx, param=param)
        return rest


def command(name: str | None = None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a function as the collab command ``name`` (default: its name, ``_`` as ``-``)."""

    def register(function: Callable[..., None]) -> Callable[..., None]:
        single = typer.Typer(**_SETTINGS)
        single.command(name, cls=_CheckedCommand)(function)
        _REGISTERED[name or function.__name__.replace("_", "-")] = single
        return function

    return register


def _complete_channel(incomplete: str) -> list[str]:
    """Shell completion of CHANNEL: the ids of the channels in the channel directory."""
    from collab import config

    try:
        ids = config.channel_ids()
    except CollabError:
        return []
    return [i for i in ids if i.startswith(incomplete)]


ChannelArg = Annotated[
    str,
    typer.Argument(
        help="Channel path, or its id or a unique prefix of it (looked up in the channel directory).",
        autocompletion=_complete_channel,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout (errors as JSON on stderr).")]
AsOpt = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Your name in the channel. Default: $COLLAB_AS, else the git top-level or cwd name.",
        metavar="NAME",
    ),
]
DirOpt = Annotated[
    Path | None,
    typer.Option("--dir", help="Where a channel id is looked up. Default: $COLLAB_DIR, else /tmp.", metavar="DIR"),
]


def warn(message: object) -> None:
    """One warning line on stderr, with nothing in it that acts on a terminal."""
    from collab.text.sanitize import for_terminal

    sys.stderr.write(f"collab: warning: {for_terminal(str(message), one_line=True)}\n")


#: How many warnings about a channel's text a command lists on stderr; ``collab show`` lists them all.
WARNINGS_SHOWN = 10


def warn_each(sentences: Sequence[str], channel_path: Path) -> None:
    """Warn about each of ``sentences`` (what reading the channel found), at most :data:`WARNINGS_SHOWN`."""
    for sentence in sentences[:WARNINGS_SHOWN]:
        warn(sentence)
    if len(sentences) > WARNINGS_SHOWN:
        more = len(sentences) - WARNINGS_SHOWN
        warn(f"{more} more warnings about this channel: `collab show {channel_path}` lists them all")


def take_seat(channel: "Channel", name: str | None) -> "Seat":
    """This session's seat in ``channel`` (:meth:`collab.Channel.seat`), saying so once when its
    automatic name had to change."""
    from collab.text.sanitize import for_terminal

    seat = channel.seat(name)
    if seat.notice:
        sys.stderr.write(f"collab: {for_terminal(seat.notice, one_line=True)}\n")
    return seat


def _show_warning(message: Warning | str, category: type[Warning], *_args: Any, **_kwargs: Any) -> None:
    """Warnings from the library (a started ledger, a rolled-back append) as one line on stderr."""
    warn(message)


warnings.showwarning = _show_warning


def emit_json(document: Any) -> None:
    """Write one JSON document and a newline to stdout: indented on a terminal, compact on a pipe.

    Control, bidirectional and invisible characters in strings are written as ``\\uXXXX`` escapes
    (:func:`collab.text.sanitize.for_json`), so the document reads back the same yet carries nothing
    raw that could act on a terminal it is printed on.
    """
    import json

    from collab.text.sanitize import for_json

    indent = 2 if sys.stdout.isatty() else None  # indenting makes json use its slow pure-Python encoder
    sys.stdout.write(for_json(json.dumps(document, ensure_ascii=False, indent=indent)) + "\n")
    sys.stdout.flush()


def fail(message: str, code: int, as_json: bool) -> typer.Exit:
    """Print an error the contract's way and return the :class:`typer.Exit` to raise.

    A message may quote channel text (a path, a heading), so it passes the same policy as every
    other output (:mod:`collab.text.sanitize`): escaped under ``--json``, made visible otherwise.
    """
    from collab.text.sanitize import for_json, for_terminal

    if as_json:
        import json

        sys.stderr.write(for_json(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False)) + "\n")
    else:
        sys.stderr.write(f"collab: {for_terminal(message, one_line=True)}\n")
    return typer.Exit(code)


def fail_quietly(code: int) -> typer.Exit:
    """The :class:`typer.Exit` to raise for exit ``code`` once the failure has had its line."""
    return typer.Exit(code)


@contextmanager
def reporting(as_json: bool = False) -> Iterator[None]:
    """Run a command body, turning every failure into one line (or JSON) and the contract's exit code."""
    try:
        yield
    except typer.Exit:
        raise
    except CollabError as exc:
        raise fail(str(exc), exc.exit_code, as_json) from None
    except BrokenPipeError:
        # The reader went away (`collab show ID | head`): nothing is wrong, and no one to tell. Point
        # stdout at /dev/null so that flushing it at exit does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise fail(f"{exc.strerror or exc}{where}", Exit.ERROR, as_json) from None
    except Exception as exc:
        if os.environ.get("COLLAB_DEBUG"):
            raise
        raise fail(
            f"internal error: {type(exc).__name__}: {exc} (set COLLAB_DEBUG=1 for details)", Exit.ERROR, as_json
        ) from None


def read_text_arg(text: str | None, what: str) -> str:
    """The body of an entry: ``text``, or standard input when ``text`` is ``-`` or absent.

    Raises:
        UsageError: no text and stdin is a terminal (collab never prompts), or the text on stdin is
            not UTF-8 or is over the entry limit.
    """
    if text is not None and text != "-":
        return text  # a command's arguments are checked as text when they are parsed (_CheckedCommand)
    from collab.channel import Channel

    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError(f"no {what} given: pass it as an argument, or pipe it on stdin with '-'")
    limit = Channel.MAX_ENTRY_BYTES
    data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit:
        raise UsageError(f"the {what} on stdin is over the {limit // 1048576} MiB entry limit; split it")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"the {what} on stdin is not UTF-8 (bad byte at offset {exc.start})") from None
