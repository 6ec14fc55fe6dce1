"""The command Claude Code's plugin hooks run: ``collab hook`` (contract section 8).

Cost, for N bytes and T from the last checkpoint on: SessionStart, UserPromptSubmit and SessionEnd
touch a few small files. Stop reads every seats registry in the state directory, starts as ``wait``
on each channel the session sits in (all N read checked, every body decoded), then O(T + what is
new) a change; news parses its channel in full (O(N), for the title and the receipts' labels).
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from collab import config
from collab.cli.app import command, fail_quietly, reporting
from collab.cli.output import emit_json
from collab.errors import CollabError, Exit


@command()
def hook(
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            help=f"Seconds the Stop hook may sleep before it exits 0 by itself (0 to {config.MAX_SECONDS}); "
            "set it below the hook's timeout in hooks.json.",
            metavar="S",
        ),
    ] = 540.0,
    host_wait: Annotated[
        list[str] | None,
        typer.Option("--host-wait", hidden=True, help="Wait here for a session on another machine.", metavar="PATH"),
    ] = None,
    settle: Annotated[
        float | None, typer.Option("--settle", hidden=True, help="With --host-wait: the turn rule's S.", metavar="S")
    ] = None,
) -> None:
    """Wake a Claude Code session when others write (run by collab's plugin).

    Reads Claude Code's hook input (JSON) on stdin and acts on its hook_event_name. Stop: when
    this session sits in an open channel, sleep until others write and their turn is over, then
    exit 2 with their entries and how to reply on stderr, which wakes the session; exit 0 when
    there is nothing to wait on, a newer hook of the session takes over, or the session ends.
    SessionStart: give the session's commands COLLAB_SESSION through CLAUDE_ENV_FILE.
    UserPromptSubmit and SessionEnd: stop the session's sleeping hook. Never writes to stdout;
    exits 2 only to wake.

    Example:

    \b
      echo '{"hook_event_name": "Stop", "session_id": "s1", "cwd": "/src/app"}' | collab hook --timeout 60
    """
    if host_wait:
        _host_wait(host_wait, timeout, settle)
        return
    from collab.hooks import push

    # A SessionStart hook's stdout reaches the model, and a stray print must never wake anything.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    try:
        limit = config.seconds("--timeout", timeout) or 0.0
        # collab never prompts: on a terminal there is no hook input to wait for.
        terminal = sys.stdin is None or sys.stdin.isatty()
        raw = b"" if terminal else sys.stdin.buffer.read(push.MAX_INPUT_BYTES + 1)
        outcome = push.run(raw[: push.MAX_INPUT_BYTES], timeout=limit)
    except KeyboardInterrupt:
        outcome = push.Outcome(Exit.INTERRUPTED, "collab: interrupted")
    except CollabError as exc:
        # Any failure is exit 1: a usage error's 2 would wake the session with an error instead of news.
        outcome = push.Outcome(Exit.ERROR, f"collab: {exc}")
    except Exception as exc:
        if os.environ.get("COLLAB_DEBUG"):
            raise
        outcome = push.Outcome(Exit.ERROR, f"collab: internal error: {type(exc).__name__}: {exc} (set COLLAB_DEBUG=1)")
    if outcome.message:
        sys.stderr.write(outcome.message if outcome.message.endswith("\n") else outcome.message + "\n")
        sys.stderr.flush()
    raise fail_quietly(_wake_exit() if outcome.code == Exit.WAKE else outcome.code)


def _wake_exit() -> int:
    """The exit code that means "wake": 2, or ``COLLAB_HOOK_WAKE_EXIT`` (3 to 125) when the plugin's
    wrapper sets it, so that a usage error's 2 from a collab without this command never wakes anyone."""
    raw = os.environ.get("COLLAB_HOOK_WAKE_EXIT", "")
    return int(raw) if raw.isascii() and raw.isdigit() and 3 <= int(raw) <= 125 else 2


def _host_wait(channel_paths: list[str], timeout: float, settle: float | None) -> None:
    """The host's side of the hook of a session on another machine (:mod:`collab.hooks.hostwait`):
    JSON lines on stdout, read by that machine's hook over ssh."""
    from collab.hooks import push

    def emit(document: dict[str, object]) -> None:
        emit_json(document)
        sys.stdout.flush()

    with reporting(as_json=True):
        limit = config.seconds("--timeout", timeout)
        push.serve_host_wait(channel_paths, timeout=limit, settle=config.seconds("--settle", settle), emit=emit)
