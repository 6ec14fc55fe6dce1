"""``watch``: show each new entry of a channel as it lands, for people; on a channel on another host,
the host streams JSON lines (``watch --json``, hidden) and they are rendered here.

Cost, for N bytes and T from the last checkpoint on: the start of ``wait`` (a checked read of all N
with every entry's body), then O(T + what is new) a change and the rendering of each entry shown
(its body; all N with ``--from-start``). On a terminal it also reads the channel's outline once for
the creator's name (its colour: O(T) parsed), and at the close it parses O(T) for the summary.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from collab import config
from collab.channel import Channel
from collab.cli import remote
from collab.cli.app import command, reporting
from collab.cli.output import emit_json
from collab.cli.params import ChannelArg, DirOpt
from collab.errors import UsageError

if TYPE_CHECKING:
    from collab.live.follower import Update
    from collab.text.format import Entry


@command()
def watch(
    channel: ChannelArg,
    from_start: Annotated[bool, typer.Option("--from-start", help="Show every entry already there first.")] = False,
    directory: DirOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", hidden=True, help="One JSON line per look, for collab on another machine.")
    ] = False,
    after: Annotated[
        int | None, typer.Option("--after", hidden=True, help="Start after the K-th entry.", metavar="K")
    ] = None,
) -> None:
    """Show each new entry of CHANNEL as it lands, until it is closed or Ctrl+C.

    Rendered on a terminal, plain text when piped. Survives the file being replaced or rewritten,
    and says so when history above was edited. Exits 0 once the channel is closed and every entry
    is shown, so `collab watch ID | tee log` ends with the exchange.

    Example:

    \b
      collab watch k3x9q2ab --from-start
    """
    with reporting(as_json):
        if after is not None and after < 0:
            raise UsageError("--after: give an entry count, 0 or more")
        if (where := remote.address(channel)) is not None:
            _watch_remote(where, from_start)
            return
        opened = Channel.open(channel, config.channel_dir(directory))
        if as_json:
            _stream(opened, from_start, after)
            return
        show = _Screen(lambda: opened.outline().header.creator)
        try:
            updates = opened.updates(from_start=from_start)
            first = next(updates)
            for text in first.notices:  # on the first look, only the ledger finding the history edited
                show.notice(f"{text} (see `collab verify {opened.path}`)")
            so_far = f"{first.seen} {'entry' if first.seen == 1 else 'entries'} so far"
            show.notice(f"watching {opened.path} ({so_far}); Ctrl+C to stop")
            show.update(first.entries, (), first.closed)
            if not first.closed:
                for update in updates:
                    for entry in update.revised:
                        show.notice(f"{entry.label} got more text; as it stands now:")
                        show.update((entry,), (), False)
                    show.update(update.entries, update.notices, update.closed)
                    if update.closed:
                        break
            closing = opened.closing()
            if closing is not None and closing.summary:
                show.outcome(closing.summary)
        except KeyboardInterrupt:
            show.notice("stopped")
        except BrokenPipeError:
            sys.stderr.close()


def _stream(opened: Channel, from_start: bool, after: int | None) -> None:
    """The host's side of a watch from another machine: one JSON line per look, flushed, then
    ``{"ended": true, "closing": ...}`` once the channel is closed (:mod:`collab.remote.watching`).
    It ends with its SSH session, as the host's side of ``wait`` does."""
    from collab.remote.serve import end_with_session

    end_with_session()
    try:
        for update in opened.updates(from_start=from_start, after=after):
            emit_json(_line(update))
            if update.closed:
                break
        closing = opened.closing()
        emit_json({"ended": True, "closing": closing.to_json() if closing is not None else None})
    except BrokenPipeError:
        sys.stderr.close()


def _line(update: Update) -> dict[str, Any]:
    return {
        "entries": [e.to_json() for e in update.entries],
        "seen": update.seen,
        "closed": update.closed,
        "notices": list(update.notices),
        "revised": [e.to_json() for e in update.revised],
    }


def _watch_remote(where: remote.Address, from_start: bool) -> None:
    """``watch`` of a channel on another host: the host's looks rendered here, as a local watch shows them."""
    from collab.remote.watching import stream

    show = _Screen()
    try:
        for look in stream(remote.channel(where), from_start=from_start):
            if look.kind == "first":
                for text in look.notices:
                    show.notice(f"{text} (see `collab verify {where.url()}`)")
                so_far = f"{look.seen} {'entry' if look.seen == 1 else 'entries'} so far"
                show.notice(f"watching {where.url()} ({so_far}); Ctrl+C to stop")
                show.update(look.entries, (), look.closed)
            elif look.kind == "end":
                if look.closing is not None and look.closing.summary:
                    show.outcome(look.closing.summary)
            else:
                for entry in look.revised:
                    show.notice(f"{entry.label} got more text; as it stands now:")
                    show.update((entry,), (), look.closed)
                show.update(look.entries, look.notices, look.closed)
    except KeyboardInterrupt:
        show.notice("stopped")
    except BrokenPipeError:
        sys.stderr.close()


class _Screen:
    """Where ``watch`` writes: rich renderables on a terminal, each author in its colour (the HTML
    page's, the ``creator`` first), plain text on a pipe; notices on stderr."""

    def __init__(self, creator: Callable[[], str | None] | None = None) -> None:
        self.closed = False
        self.console: Any = None
        self.errors: Any = None
        if sys.stdout.isatty():
            from rich.console import Console

            from collab.render.sides import Casting

            self.console = Console(highlight=False)
            self.casting = Casting(creator() if creator is not None else None)
        if sys.stderr.isatty():
            from rich.console import Console

            self.errors = Console(stderr=True, highlight=False)

    def notice(self, text: str) -> None:
        from collab.text.sanitize import for_terminal

        if self.errors is not None:
            from rich.text import Text

            self.errors.print(Text(f"collab: {for_terminal(text, one_line=True)}", style="yellow"))
        else:
            sys.stderr.write(f"collab: {for_terminal(text, one_line=True)}\n")
            sys.stderr.flush()

    def update(self, entries: tuple[Entry, ...], notices: tuple[str, ...], closed: bool) -> None:
        for text in notices:
            self.notice(text)
        for entry in entries:
            if self.console is not None:
                from collab.render.render_term import entry_renderable

                self.console.print(entry_renderable(entry, hue=self.casting.hue(entry.author)))
            else:
                from collab.render.render_text import entry_text

                sys.stdout.write(entry_text(entry) + "\n")
                sys.stdout.flush()
        if closed and not self.closed:
            self.notice("the channel is closed: nothing more will be appended")
        self.closed = closed

    def outcome(self, summary: str) -> None:
        """The closing summary on stdout, the last thing ``watch`` prints: rendered on a terminal."""
        if self.console is not None:
            from collab.render.render_term import print_outcome

            print_outcome(self.console, summary)
        else:
            from collab.render.render_text import source_text

            sys.stdout.write(f"Outcome:\n{source_text(summary)}")
            sys.stdout.flush()
