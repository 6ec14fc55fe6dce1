"""Commands that follow a channel as it grows: ``wait`` (for agents) and ``watch`` (for people)."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from collab import config
from collab.channel import Channel
from collab.cli.app import AsOpt, ChannelArg, DirOpt, JsonOpt, command, emit_json, fail, reporting, take_seat, warn
from collab.errors import CollabError, IntegrityError, UsageError

if TYPE_CHECKING:
    from collab.exchange import Closing
    from collab.format import Entry

EXIT_TIMEOUT = 3


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
    include_own: Annotated[bool, typer.Option("--all", help="Include your own entries.")] = False,
    name: AsOpt = None,
    directory: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Block until entries you have not seen land (from others unless --all), print them, exit 0.

    Exit 3 when --timeout passes first; a closed channel returns at once (exit 0) once nothing unseen is
    left. Your cursor is kept per --as name in your private state directory, so two waits in a row miss
    nothing.
    """
    from collab import cursors
    from collab.watch import WatchSettings, follow

    with reporting(as_json):
        deadline = _Deadline(config.seconds("--timeout", timeout))
        lock_timeout, settings = config.lock_timeout(), WatchSettings.from_env()
        if after is not None and after < 0:
            raise UsageError("--after: give an entry count, 0 or more")
        opened = Channel.open(channel, config.channel_dir(directory))
        seat = take_seat(opened.path, name)
        seen, warning = cursors.load(opened.path, seat.name)
        if warning:
            warn(warning)
        wanted: list[Entry] = []
        closed = False
        try:
            for update in follow(
                opened.path, after=seen if after is None else after, stop_event=deadline, settings=settings
            ):
                if update.edited:
                    raise IntegrityError(
                        f"{'; '.join(update.notices)}: run `collab verify {opened.path}` to see what changed"
                    )
                wanted += [e for e in update.entries if include_own or not seat.owns(e)]
                seen, closed = max(seen, update.seen), update.closed
                if wanted or closed:
                    break
        except KeyboardInterrupt:
            raise fail("interrupted", 130, as_json) from None
        try:
            cursors.advance(opened.path, seat.name, seen, timeout=lock_timeout)
        except CollabError as exc:
            # What was found is delivered all the same: a cursor left behind repeats entries on the
            # next wait, whereas failing here would withhold them on every wait.
            warn(f"your cursor was not saved ({exc}): the next wait may repeat these")
        timed_out = not wanted and not closed
        closing = opened.closing() if closed else None
        claims = [e.index for e in wanted if seat.claims_reader(e)]
        _print_wait(wanted, closed, timed_out, as_json, closing, claims)
        if timed_out:
            raise typer.Exit(EXIT_TIMEOUT)


class _Deadline:
    """The stop event of ``wait --timeout``: set once ``seconds`` have passed (never, for None).

    watchfiles asks ``is_set()`` once per step, so a clock reading is all it takes: no timer thread
    to start, to cancel, or to overflow on a long timeout.
    """

    def __init__(self, seconds: float | None) -> None:
        self._at = None if seconds is None else time.monotonic() + seconds

    def is_set(self) -> bool:
        return self._at is not None and time.monotonic() >= self._at


def _print_wait(
    entries: list[Entry], closed: bool, timed_out: bool, as_json: bool, closing: Closing | None, claims: list[int]
) -> None:
    """Print what ``wait`` found; ``claims`` are the indexes of entries that claim the reader's name."""
    if as_json:
        shown = [e.to_json() | ({"claims_reader": True} if e.index in claims else {}) for e in entries]
        document: dict[str, object] = {"entries": shown, "closed": closed}
        if closing is not None:
            document["closing"] = closing.to_json()
        emit_json(document | {"timed_out": timed_out})
        return
    from collab.render_text import entry_text
    from collab.sanitize import for_terminal

    for entry in entries:
        if entry.index in claims:
            warn(f"{entry.label} claims to be from you, but this session did not write it with collab")
    sys.stdout.write("\n".join(entry_text(e) for e in entries))
    if closed:
        by = f" by {closing.author}" if closing is not None and closing.author else ""
        sys.stdout.write(f"The channel was closed{by}: nothing more will be appended. Stop waiting.\n")
        if closing is not None and closing.summary:
            sys.stdout.write(f"Summary:\n{for_terminal(closing.summary)}\n")
    sys.stdout.flush()
    if timed_out:
        sys.stderr.write("collab: nothing new yet (timed out): run the same `collab wait` again to keep waiting\n")


@command()
def watch(
    channel: ChannelArg,
    from_start: Annotated[bool, typer.Option("--from-start", help="Show every entry already there first.")] = False,
    directory: DirOpt = None,
) -> None:
    """Show each new entry as it lands (rendered on a terminal, plain text when piped) until Ctrl+C.

    Survives the file being replaced or rewritten, and says so when history above was edited.
    """
    from collab.watch import WatchSettings, follow

    with reporting():
        opened = Channel.open(channel, config.channel_dir(directory))
        settings = WatchSettings.from_env()
        show = _Screen()
        try:
            updates = follow(opened.path, after=0 if from_start else None, settings=settings)
            first = next(updates)
            for text in first.notices:  # on the first look, only the ledger finding the history edited
                show.notice(f"{text} (see `collab verify {opened.path}`)")
            so_far = f"{first.seen} {'entry' if first.seen == 1 else 'entries'} so far"
            show.notice(f"watching {opened.path} ({so_far}); Ctrl+C to stop")
            show.update(first.entries, (), first.closed)
            for update in updates:
                show.update(update.entries, update.notices, update.closed)
        except KeyboardInterrupt:
            show.notice("stopped")
        except BrokenPipeError:
            sys.stderr.close()


class _Screen:
    """Where ``watch`` writes: rich renderables on a terminal, plain text on a pipe; notices on stderr."""

    def __init__(self) -> None:
        self.closed = False
        self.console: Any = None
        self.errors: Any = None
        if sys.stdout.isatty():
            from rich.console import Console

            self.console = Console(highlight=False)
        if sys.stderr.isatty():
            from rich.console import Console

            self.errors = Console(stderr=True, highlight=False)

    def notice(self, text: str) -> None:
        from collab.sanitize import for_terminal

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
                from collab.render_term import entry_renderable

                self.console.print(entry_renderable(entry))
            else:
                from collab.render_text import entry_text

                sys.stdout.write(entry_text(entry) + "\n")
                sys.stdout.flush()
        if closed and not self.closed:
            self.notice("the channel is closed: nothing more will be appended (Ctrl+C to stop watching)")
        self.closed = closed
