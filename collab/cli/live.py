"""Commands that follow a channel as it grows: ``wait`` (for agents) and ``watch`` (for people)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from collab import config
from collab.channel import Channel
from collab.cli.app import (
    AsOpt,
    ChannelArg,
    DirOpt,
    JsonOpt,
    command,
    emit_json,
    fail,
    heading_warnings,
    reporting,
    take_seat,
    warn,
    warn_each,
)
from collab.errors import CollabError, Exit, UsageError

if TYPE_CHECKING:
    from collab.live.seats import Seat
    from collab.text.exchange import Closing
    from collab.text.format import Entry

EXIT_TIMEOUT = Exit.TIMED_OUT


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
) -> None:
    """Block until others write to CHANNEL and their turn is over; print what they wrote.

    A turn is over when its writer is itself waiting (collab wait, or the plugin's hook), when its
    session has ended, or after a quiet time (--settle). Exit 0 with the entries; exit 3 when --timeout passes with nothing; a
    closed channel returns at once (exit 0) once nothing unseen is left; Ctrl+C exits 130. Your
    cursor is kept per name in your private state directory, so two waits in a row miss nothing.
    On a terminal, one dim line on stderr says what it waits for while it blocks.

    Example:

    \b
      collab wait k3x9q2ab --timeout 100 --json
    """
    from collab.live import cursors
    from collab.live.turns import TurnRule, wait_turn
    from collab.live.watch import WatchSettings

    with reporting(as_json):
        limit = config.seconds("--timeout", timeout)
        rule = TurnRule.given(config.seconds("--settle", settle))
        lock_timeout, settings = config.lock_timeout(), WatchSettings.from_env()
        if after is not None and after < 0:
            raise UsageError("--after: give an entry count, 0 or more")
        opened = Channel.open(channel, config.channel_dir(directory))
        if after is not None and after > (count := len(opened.read().entries)):
            # a cursor never stands past the entries there are: it would skip every entry up to it
            raise UsageError(f"--after {after}: the channel has {count} entries; give a count from 0 to {count}")
        seat = take_seat(opened.path, name)
        seen, warning = cursors.load(opened.path, seat.name)
        if warning:
            warn(warning)
        banner = _Banner(opened.id, limit, enabled=not as_json)
        try:
            waited = wait_turn(
                opened.path,
                seat.name,
                seat.owns,
                after=seen if after is None else after,
                include_own=include_own,
                timeout=limit,
                rule=rule,
                settings=settings,
            )
        except KeyboardInterrupt:
            banner.clear()
            raise fail("interrupted", Exit.INTERRUPTED, as_json) from None
        banner.clear()
        try:
            cursors.advance(opened.path, seat.name, waited.seen, timeout=lock_timeout, ceiling=waited.seen)
        except CollabError as exc:
            # What was found is delivered all the same: a cursor left behind repeats entries on the
            # next wait, whereas failing here would withhold them on every wait.
            warn(f"your cursor was not saved ({exc}): the next wait may repeat these")
        for notice in waited.notices:
            warn(notice)
        wanted, closed = list(waited.entries), waited.closed
        timed_out = not wanted and not closed
        closing = opened.closing() if closed else None
        claims = [e.index for e in wanted if seat.claims_reader(e)]
        read = _receipts(opened, seat, lock_timeout)
        warn_each(heading_warnings(wanted), opened.path)
        _print_wait(wanted, closed, timed_out, as_json, closing, claims, waited.waiting, read)
        if timed_out:
            raise typer.Exit(EXIT_TIMEOUT)


def _receipts(opened: Channel, seat: Seat, lock_timeout: float) -> list[dict[str, Any]]:
    """The receipts for the reader's own entries it has not been told of yet (:func:`collab.live.receipts.news`),
    each as ``{"index", "label", "read_by"}``; none when they cannot be read (they are told next time)."""
    from collab.live import receipts, seats

    try:
        found = receipts.news(opened.path, seat.name, seats.written_by(opened.path, seat.key, seat.name), lock_timeout)
        labels = {e.index: e.label for e in opened.read().entries} if found else {}
    except CollabError:
        return []
    return [{"index": r.index, "label": labels.get(r.index, f"entry {r.index}"), "read_by": list(r.by)} for r in found]


def _print_wait(
    entries: list[Entry],
    closed: bool,
    timed_out: bool,
    as_json: bool,
    closing: Closing | None,
    claims: list[int],
    waiting: tuple[str, ...],
    read: list[dict[str, Any]],
) -> None:
    """Print what ``wait`` found; ``claims`` are the indexes of entries that claim the reader's name;
    ``read`` the receipts for the reader's own entries (:func:`_receipts`)."""
    if as_json:
        shown = [e.to_json() | ({"claims_reader": True} if e.index in claims else {}) for e in entries]
        document: dict[str, object] = {"entries": shown, "closed": closed}
        if closing is not None:
            document["closing"] = closing.to_json()
        emit_json(document | {"timed_out": timed_out, "waiting": list(waiting), "read": read})
        return
    from collab.live.receipts import Receipt, sentences
    from collab.render.render_text import entry_text
    from collab.text.sanitize import for_terminal

    found = [Receipt(r["index"], tuple(r["read_by"])) for r in read]
    for sentence in sentences(found, {r["index"]: r["label"] for r in read}):
        sys.stderr.write(f"collab: {for_terminal(sentence, one_line=True)}\n")

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
    """Show each new entry of CHANNEL as it lands, until it is closed or Ctrl+C.

    Rendered on a terminal, plain text when piped. Survives the file being replaced or rewritten,
    and says so when history above was edited. Exits 0 once the channel is closed and every entry
    is shown, so `collab watch ID | tee log` ends with the exchange.

    Example:

    \b
      collab watch k3x9q2ab --from-start
    """
    from collab.live.watch import WatchSettings, follow

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
                show.notice(f"summary: {closing.summary}")
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

                self.console.print(entry_renderable(entry))
            else:
                from collab.render.render_text import entry_text

                sys.stdout.write(entry_text(entry) + "\n")
                sys.stdout.flush()
        if closed and not self.closed:
            self.notice("the channel is closed: nothing more will be appended")
        self.closed = closed


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
