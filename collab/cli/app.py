"""The typer application, its commands on demand, and the one place errors become exit codes.

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
from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup

from collab.cli import output, params
from collab.errors import CollabError, Exit

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


def command(name: str | None = None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a function as the collab command ``name`` (default: its name, ``_`` as ``-``)."""

    def register(function: Callable[..., None]) -> Callable[..., None]:
        single = typer.Typer(**_SETTINGS)
        single.command(name, cls=params.CheckedCommand)(function)
        _REGISTERED[name or function.__name__.replace("_", "-")] = single
        return function

    return register


def _show_warning(message: Warning | str, category: type[Warning], *_args: Any, **_kwargs: Any) -> None:
    """Warnings from the library (a started ledger, a rolled-back append) as one line on stderr."""
    output.warn(message)


warnings.showwarning = _show_warning


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
