"""Commands that create, join, append to and close a channel: ``start join answer ask close``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from collab import Ref, config
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
)
from collab.errors import ChannelClosed, UsageError
from collab.text.sanitize import for_terminal

ReOpt = Annotated[
    str | None,
    typer.Option("--re", help="What this replies to: request:N, question:N or answer:N.", metavar="KIND:N"),
]
TextArg = Annotated[
    str | None,
    typer.Argument(help="The body, in markdown; '-' or absent reads it from stdin.", show_default=False),
]


def _shown(path: object) -> str:
    """A path as a person sees it: on one line, with nothing in it acting on the terminal."""
    return for_terminal(str(path), one_line=True)


def _ref(value: str | None) -> Ref | None:
    if value is None:
        return None
    try:
        return Ref.parse(value)
    except UsageError as exc:
        raise UsageError(f"--re: {exc}") from None


@command()
def start(
    task: Annotated[str, typer.Argument(help="The task for the other session; '-' reads it from stdin.")],
    context: Annotated[str, typer.Option("--context", help="Background the other session needs.")] = "",
    request: Annotated[
        list[str] | None, typer.Option("--request", "-r", help="A numbered request (repeat for more).")
    ] = None,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Directory for the new channel. Default: $COLLAB_DIR, else /tmp.", metavar="DIR"),
    ] = None,
    name: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a channel and print the join message for the other session.

    The join message goes to stdout; the channel's id, path and how to watch it go to stderr, so
    piping `collab start` copies only the message (`collab join` prints it again). A TASK of '-'
    reads the task from stdin: with a quoted heredoc, nothing in it reaches the shell.

    Example:

    \b
      collab start "Align the auth handshake" -r "Which plugin version runs on your side?"
      collab start - <<'COLLAB_TASK'
      Align the auth handshake
      COLLAB_TASK
    """
    with reporting(as_json):
        text = read_text_arg(None, "task") if task == "-" else task
        channel = Channel.create(
            text,
            author=config.identity(name),
            context=context,
            requests=request or [],
            directory=config.channel_dir(directory),
        )
        take_seat(channel, name)
        message = channel.join_message()
        if as_json:
            emit_json({"id": channel.id, "path": str(channel.path), "join_message": message})
            return
        word = _shown(channel.shell_word)
        sys.stderr.write(f"Created channel {channel.id}: {_shown(channel.path)}\n")
        sys.stderr.write(f"Watch it live in a spare terminal: collab watch {word}\n")
        sys.stderr.write("\nPaste this into the other session:\n\n")
        sys.stderr.flush()
        print(for_terminal(message))


@command()
def join(channel: ChannelArg, name: AsOpt = None, directory: DirOpt = None, as_json: JsonOpt = False) -> None:
    """Print the join message for CHANNEL: the rules and the exact commands to use.

    Writes nothing, and takes no seat: the name a session writes as is handed out by its first
    answer, ask or wait. With --as NAME, this session takes its seat under NAME now. A closed
    channel is an error (exit 1): there is nothing to join.

    Example:

    \b
      collab join k3x9q2ab | pbcopy
    """
    with reporting(as_json):
        opened = Channel.open(channel, config.channel_dir(directory))
        document = opened.read()
        if document.closed:
            raise ChannelClosed(
                f"{opened.path} is closed: there is nothing to join (`collab show {opened.id}` shows the exchange)"
            )
        if name is not None:
            take_seat(opened, name)
        message = opened.join_message(document)
        if as_json:
            emit_json({"id": opened.id, "path": str(opened.path), "join_message": message})
        else:
            print(for_terminal(message))


def _append(
    kind: str, channel: str, text: str | None, re: str | None, name: str | None, directory: object, as_json: bool
) -> None:
    with reporting(as_json):
        reply_to = _ref(re)
        opened = Channel.open(channel, config.channel_dir(directory))  # type: ignore[arg-type]
        seat = take_seat(opened, name)
        posted = seat.post(kind, read_text_arg(text, kind), re=reply_to)
        entry = posted.entry
        if as_json:
            emit_json(entry.to_json() | {"path": str(opened.path), "unseen": [e.to_json() for e in posted.unseen]})
            return
        for crossed in posted.unseen[:CROSSED_SHOWN]:
            line = for_terminal(crossed.describe(), one_line=True)
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
    """Append an answer ('### Answer N') to CHANNEL, from TEXT or stdin.

    Entries from others that landed since your last `collab wait` are named on stderr ("before
    yours"); your next wait returns them.

    Example:

    \b
      collab answer k3x9q2ab --re request:1 - <<'COLLAB_BODY'
      Plugin X is active. Version 2.1.0.
      COLLAB_BODY
    """
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
    """Append a question ('### Question N') to CHANNEL, from TEXT or stdin.

    Adds the '## Questions' line first if the channel has none. The other side answers it with
    `--re question:N`.

    Example:

    \b
      collab ask k3x9q2ab "Do you sign the body or only the headers?"
    """
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
    """Close CHANNEL: append '## Closed' and an optional summary.

    Writers then refuse, and waiting readers return. Refuses (exit 1) while entries from others
    that you have not read (with `collab wait`) are there, unless --force.

    Example:

    \b
      collab close k3x9q2ab "Agreed: headers only, HMAC-SHA256."
    """
    with reporting(as_json):
        opened = Channel.open(channel, config.channel_dir(directory))
        seat = take_seat(opened, name)
        summary = read_text_arg(None, "summary") if text == "-" else text
        closed_now = seat.close(summary, force=force)
        if as_json:
            emit_json({"id": opened.id, "path": str(opened.path), "closed": True, "already_closed": not closed_now})
        else:
            path = _shown(opened.path)
            print(f"Closed {path}" if closed_now else f"{path} was already closed")
