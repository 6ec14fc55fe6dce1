"""``wait``: block until others write to a channel and their turn is over (for agents; ``watch``, for
people, is :mod:`collab.cli.watching`).

Cost, for N bytes and T from the last checkpoint on: to start, a checked read of all N with its
index (SHA-256, then every entry's body decoded: O(N) whatever the cursor) and a second read of N;
then O(T + what is new) a change, and the bodies delivered to print. ``--after K`` parses O(T)
first; the return parses O(T) for a closed channel's summary, and the entries from the first
receipt on.
"""

# No ``from __future__ import annotations`` in the command modules: typer reads every option's
# annotation, and from a string it compiles and evaluates it again, on every start-up.
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from collab import config
from collab.channel import Channel
from collab.cli import remote
from collab.cli.app import command, fail, fail_quietly, reporting
from collab.cli.output import emit_json, take_seat, warn, warn_each
from collab.cli.params import AsOpt, ChannelArg, DirOpt, JsonOpt
from collab.errors import Exit, UsageError

if TYPE_CHECKING:
    from collab.seat import Waited


@command()
def wait(
    channel: ChannelArg,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            help=f"Give up after S seconds (0 to {config.MAX_SECONDS}: a week) with exit 3. "
            "Default: wait until something lands.",
            metavar="S",
        ),
    ] = None,
    after: Annotated[
        int | None,
        typer.Option(
            "--after", help="Return entries after the K-th entry, instead of after this reader's cursor.", metavar="K"
        ),
    ] = None,
    settle: Annotated[
        float | None,
        typer.Option(
            "--settle",
            help="Once entries from others are here, return when every writer's turn is over: it waits "
            "(collab wait or the plugin's hook), its session ended, or the channel was unchanged for S "
            "seconds. Default: 30 s for entries by hand, 60 s for writers using collab. 0 returns on "
            "the first entry.",
            metavar="S",
            show_default=False,
        ),
    ] = None,
    include_own: Annotated[bool, typer.Option("--all", help="Include your own entries.")] = False,
    name: AsOpt = None,
    directory: DirOpt = None,
    as_json: JsonOpt = False,
    started: Annotated[
        bool, typer.Option("--started", hidden=True, help="First print where the wait starts, as a JSON line.")
    ] = False,
) -> None:
    """Block until others write to CHANNEL and their turn is over; print what they wrote.

    A turn is over when its writer is itself waiting (collab wait, or the plugin's hook), when its
    session has ended, or after a quiet time (--settle). Exit 0 with the entries; exit 3 when
    --timeout passes with nothing; a closed channel returns at once (exit 0) once nothing unseen
    is left; Ctrl+C exits 130. Your cursor is kept per name in your private state directory, so
    two waits in a row miss nothing. On a terminal, one dim line on stderr says what it waits for while it blocks.

    Example:

    \b
      collab wait k3x9q2ab --timeout 100 --json
    """
    with reporting(as_json):
        limit = config.seconds("--timeout", timeout)
        checked_settle = config.seconds("--settle", settle)
        if after is not None and after < 0:
            raise UsageError("--after: give an entry count, 0 or more")
        if (where := remote.address(channel)) is not None:
            waited = _wait_remote(where, limit, checked_settle, after, include_own, name, as_json)
        else:
            opened = Channel.open(channel, config.channel_dir(directory))
            seat = take_seat(opened, name)
            if started:  # collab on another machine reads this line: a retry starts where this wait did
                from collab.remote.serve import end_with_session

                end_with_session()
                emit_json({"started": {"after": seat.seen if after is None else after}})
            if not as_json:  # loaded before the wait blocks, so what lands is printed at once
                from collab.render import render_text  # noqa: F401
            banner = _Banner(opened.id, limit, enabled=not as_json)
            try:
                waited = seat.wait(limit, settle=checked_settle, after=after, include_own=include_own)
            except KeyboardInterrupt:
                banner.clear()
                raise fail("interrupted", Exit.INTERRUPTED, as_json) from None
            finally:
                banner.clear()
            warn_each(Channel.heading_warnings(waited.entries), opened.path)
        for notice in waited.notices:
            warn(notice)
        _print_wait(waited, as_json)
        if waited.timed_out:
            raise fail_quietly(Exit.TIMED_OUT)


def _wait_remote(
    where: "remote.Address",
    limit: float | None,
    settle: float | None,
    after: int | None,
    include_own: bool,
    name: str | None,
    as_json: bool,
) -> "Waited":
    """``wait`` on the host, retried when the connection drops (:mod:`collab.remote.waiting`)."""
    from collab.remote import waiting

    banner = _Banner(where.url(), limit, enabled=not as_json)
    try:
        waited, notices = waiting.wait(
            remote.channel(where), timeout=limit, settle=settle, after=after, include_own=include_own, name=name
        )
    except KeyboardInterrupt:
        banner.clear()
        raise fail("interrupted", Exit.INTERRUPTED, as_json) from None
    finally:
        banner.clear()
    remote.echo(notices)
    return waited


def _print_wait(waited: "Waited", as_json: bool) -> None:
    """Print what ``wait`` found: the entries, then the closing, with the receipts on stderr."""
    entries, closing = waited.entries, waited.closing
    if as_json:
        shown = [e.to_json() | ({"claims_reader": True} if e.index in waited.claims else {}) for e in entries]
        document: dict[str, object] = {"entries": shown, "closed": waited.closed}
        if closing is not None:
            document["closing"] = closing.to_json()
        read = [r.to_json() for r in waited.read]
        emit_json(document | {"timed_out": waited.timed_out, "waiting": list(waited.waiting), "read": read})
        return
    from collab.render.render_text import entry_text
    from collab.text.sanitize import for_terminal

    for sentence in waited.read_sentences():
        sys.stderr.write(f"collab: {for_terminal(sentence, one_line=True)}\n")

    for entry in entries:
        if entry.index in waited.claims:
            warn(f"{entry.label} claims to be from you, but this session did not write it with collab")
    sys.stdout.write("\n".join(entry_text(e) for e in entries))
    if waited.closed:
        by = f" by {closing.author}" if closing is not None and closing.author else ""
        sys.stdout.write(f"The channel was closed{by}: nothing more will be appended. Stop waiting.\n")
        if closing is not None and closing.summary:
            sys.stdout.write(f"Summary:\n{for_terminal(closing.summary)}\n")
    sys.stdout.flush()
    if waited.timed_out:
        sys.stderr.write("collab: nothing new yet (timed out): run the same `collab wait` again to keep waiting\n")


class _Banner:
    """The dim line ``wait`` shows on a terminal's stderr while it blocks, cleared when it returns.

    Shown only when stderr is a terminal and the output is not ``--json``; dim unless ``NO_COLOR``
    is set (no-color.org). Clearing is a carriage return and ECMA-48 EL (erase in line).
    """

    def __init__(self, channel_id: str, limit: float | None, *, enabled: bool) -> None:
        import os
        import shutil

        self.shown = enabled and sys.stderr.isatty()
        if self.shown:
            until = f" for up to {limit:g} s" if limit is not None else ""
            text = f"collab: waiting{until} for the others' turn in {channel_id}; Ctrl+C to stop"
            width = shutil.get_terminal_size().columns - 1  # one line, so that clearing it clears all
            text = text if len(text) <= width else text[: max(width - 1, 0)] + "…"
            dim, plain = ("", "") if os.environ.get("NO_COLOR") else ("\x1b[2m", "\x1b[0m")
            sys.stderr.write(f"{dim}{text}{plain}")
            sys.stderr.flush()

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()
            self.shown = False
