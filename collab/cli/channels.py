"""Commands that create, join, append to and close a channel: ``start join answer ask close``."""

from __future__ import annotations

import sys
from typing import Annotated

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
    read_text_arg,
    reporting,
    take_seat,
    warn,
)
from collab.errors import UsageError
from collab.grammar import Ref, parse_re
from collab.sanitize import for_terminal

ReOpt = Annotated[
    str | None,
    typer.Option("--re", help="What this replies to: request:N, question:N or answer:N.", metavar="KIND:N"),
]
TextArg = Annotated[
    str | None, typer.Argument(help="The markdown body; '-' or absent reads stdin.", show_default=False)
]


def _shown(path: object) -> str:
    """A path as a person sees it: on one line, with nothing in it acting on the terminal."""
    return for_terminal(str(path), one_line=True)


def _ref(value: str | None) -> Ref | None:
    if value is None:
        return None
    try:
        return parse_re(value)
    except ValueError as exc:
        raise UsageError(f"--re: {exc}") from None


@command()
def start(
    task: Annotated[str, typer.Argument(help="The task for the other session; '-' reads it from stdin.")],
    context: Annotated[str, typer.Option("--context", help="Background the other session needs.")] = "",
    request: Annotated[
        list[str] | None, typer.Option("--request", "-r", help="A numbered request (repeat for more).")
    ] = None,
    directory: DirOpt = None,
    name: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a channel and print its path, id and the join message for the other session."""
    with reporting(as_json):
        text = read_text_arg(None, "task") if task == "-" else task
        channel = Channel.create(
            text,
            author=config.identity(name),
            context=context,
            requests=request or [],
            directory=config.channel_dir(directory),
        )
        take_seat(channel.path, name)
        message = channel.join_message()
        if as_json:
            emit_json({"id": channel.id, "path": str(channel.path), "join_message": message})
            return
        path = _shown(channel.path)
        print(f"Created channel {channel.id}: {path}")
        print(f"Watch it live in a spare terminal: collab watch {path}")
        print("\nPaste this into the other session:\n")
        print(for_terminal(message))


@command()
def join(channel: ChannelArg, name: AsOpt = None, directory: DirOpt = None, as_json: JsonOpt = False) -> None:
    """Print the join message for a session joining CHANNEL (writes nothing to the channel).

    Takes this session's seat: the name it will write as, said once when another session holds it.
    """
    with reporting(as_json):
        opened = Channel.open(channel, config.channel_dir(directory))
        take_seat(opened.path, name)
        message = opened.join_message()
        if as_json:
            emit_json({"id": opened.id, "path": str(opened.path), "join_message": message})
        else:
            print(for_terminal(message))


def _append(
    kind: str, channel: str, text: str | None, re: str | None, name: str | None, directory: object, as_json: bool
) -> None:
    from collab import cursors, seats
    from collab.errors import CollabError
    from collab.exchange import describe

    with reporting(as_json):
        reply_to = _ref(re)
        opened = Channel.open(channel, config.channel_dir(directory))  # type: ignore[arg-type]
        seat = take_seat(opened.path, name)
        seen, _warning = cursors.load(opened.path, seat.name)
        body = read_text_arg(text, kind)
        posted = opened.post(kind, body, author=seat.name, re=reply_to, seen=seen, own=seat.owns)
        entry = posted.entry
        try:
            seats.record(opened.path, seat, entry.index)
        except CollabError as exc:
            warn(f"{entry.label} was appended, but your seat could not record it ({exc}): your wait will return it")
        if as_json:
            emit_json(entry.to_json() | {"path": str(opened.path), "unseen": [e.to_json() for e in posted.unseen]})
            return
        for crossed in posted.unseen[:CROSSED_SHOWN]:
            line = for_terminal(describe(crossed), one_line=True)
            sys.stderr.write(f"collab: before yours: {line} (not read yet; collab wait returns it)\n")
        if len(posted.unseen) > CROSSED_SHOWN:
            more = len(posted.unseen) - CROSSED_SHOWN
            sys.stderr.write(f"collab: before yours: {more} more entries (not read yet; collab wait returns them)\n")
        print(f"{entry.label} appended to {_shown(opened.path)}")


#: How many crossed entries ``answer`` and ``ask`` name one by one on stderr (``--json`` lists all).
CROSSED_SHOWN = 10


@command()
def answer(
    channel: ChannelArg,
    text: TextArg = None,
    re: ReOpt = None,
    name: AsOpt = None,
    directory: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Append '### Answer N' to CHANNEL: TEXT, or stdin when TEXT is '-' or absent."""
    _append("answer", channel, text, re, name, directory, as_json)


@command()
def ask(
    channel: ChannelArg,
    text: TextArg = None,
    re: ReOpt = None,
    name: AsOpt = None,
    directory: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Append '### Question N' to CHANNEL (adding '## Questions' first if missing)."""
    _append("question", channel, text, re, name, directory, as_json)


@command()
def close(
    channel: ChannelArg,
    text: Annotated[
        str | None,
        typer.Argument(help="A summary written under '## Closed'; '-' reads it from stdin.", show_default=False),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Close even with entries from others you have not read.")
    ] = False,
    name: AsOpt = None,
    directory: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Append '## Closed' (and a summary) to CHANNEL: writers then refuse, and waiting readers return.

    Refuses (exit 1) while entries from others that you have not read (with `collab wait`) are there,
    unless --force.
    """
    from collab import cursors

    with reporting(as_json):
        opened = Channel.open(channel, config.channel_dir(directory))
        seat = take_seat(opened.path, name)
        summary = read_text_arg(None, "summary") if text == "-" else text
        seen, _warning = cursors.load(opened.path, seat.name)
        closed_now = opened.close(author=seat.name, summary=summary, seen=seen, own=seat.owns, force=force)
        if as_json:
            emit_json({"id": opened.id, "path": str(opened.path), "closed": True, "already_closed": not closed_now})
        else:
            path = _shown(opened.path)
            print(f"Closed {path}" if closed_now else f"{path} was already closed")
