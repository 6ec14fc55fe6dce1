"""Commands that create, join, append to and close a channel: ``start join answer ask close``.

Cost, for N bytes and T from the last checkpoint on: ``start`` O(its texts); ``join`` O(T) parsed.
``answer``/``ask``: under the lock, SHA-256 of the accepted bytes (O(N), no parse), a parse of O(T)
(all N decoded for ``--re request:K``), then the entries after a lagging cursor; ``close`` as
``answer``, and a cursor behind the last entry (one's own too) reads the entries after it, locked
(no ``--force``).
"""

# No ``from __future__ import annotations``: see :mod:`collab.cli.live`.
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from collab import Ref, config
from collab.channel import JOIN_WIDTH, Channel
from collab.cli import remote
from collab.cli.app import command, reporting
from collab.cli.output import emit_json, take_seat
from collab.cli.params import AsOpt, ChannelArg, DirOpt, JsonOpt, read_text_arg
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
    on: Annotated[
        str | None,
        typer.Option(
            "--on",
            help="Create it on HOST, over ssh ([user@]host[:port]); --dir is then a directory there.",
            metavar="HOST",
        ),
    ] = None,
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
        if on is not None:
            _start_on(on, text, context, request or [], directory, name, as_json)
            return
        channel = Channel.create(
            text,
            author=config.identity(name),
            context=context,
            requests=request or [],
            directory=config.channel_dir(directory),
        )
        take_seat(channel, name)
        message = channel.join_message(width=_join_width(as_json))
        if as_json:
            emit_json({"id": channel.id, "path": str(channel.path), "join_message": message})
            return
        _print_started(channel.id, str(channel.path), channel.shell_word, message)


def _join_width(as_json: bool) -> int:
    """The join message's width: 80 columns, or a narrower terminal's own width (40 at least), so
    that it reads whole where it is shown; JSON and a pipe always get 80."""
    if as_json or not sys.stdout.isatty():
        return JOIN_WIDTH
    return max(40, min(JOIN_WIDTH, shutil.get_terminal_size().columns))


def _print_started(channel_id: str, path: str, word: str, message: str) -> None:
    sys.stderr.write(f"Created channel {channel_id}: {_shown(path)}\n")
    sys.stderr.write(f"Watch it live in a spare terminal: collab watch {_shown(word)}\n")
    join = f"collab join {_shown(word if '://' in word else channel_id)}"
    if sys.stdout.isatty():
        sys.stderr.write(f"\nPaste this into the other session, or run `{join}` there:\n\n")
    else:
        sys.stderr.write(f"The join message went to stdout; the other session can also run `{join}`\n")
    sys.stderr.flush()
    print(for_terminal(message))


def _start_on(
    host: str, task: str, context: str, requests: list[str], directory: Path | None, name: str | None, as_json: bool
) -> None:
    """``start --on HOST``: create the channel on the host (the task on stdin), print its join message
    with the ``ssh://`` form for joiners elsewhere."""
    from collab.remote.address import host_only
    from collab.remote.channel import join_message

    where = host_only(host)
    words = ["-", *(["--context", context] if context else []), *(a for r in requests for a in ("--request", r))]
    rc = remote.channel(where)
    words += ["--dir", str(directory)] if directory else []
    called = rc.call(rc.argv("start", *words, name=name), task.encode())
    remote.echo(called.notices)
    found = called.document
    placed = where._replace(path=found["path"])
    message = join_message(found["join_message"], found["path"], placed)
    if as_json:
        emit_json({"id": found["id"], "path": placed.url(), "join_message": message, "host_path": found["path"]})
        return
    _print_started(found["id"], placed.url(), _word(placed.url()), message)


def _word(text: str) -> str:
    import shlex

    return shlex.quote(text)


@command()
def join(channel: ChannelArg, name: AsOpt = None, directory: DirOpt = None, as_json: JsonOpt = False) -> None:
    """Print the join message for CHANNEL: the rules and the exact commands to use.

    Writes nothing, and takes no seat: the name a session writes as is handed out by its first
    answer, ask or wait. With --as NAME, this session takes its seat under NAME now. A closed
    channel is an error (exit 1): there is nothing to join.

    Example:

    \b
      collab join k3x9q2ab             # in session B: read the rules there
      collab join k3x9q2ab | wl-copy   # or xclip -selection clipboard, pbcopy
    """
    with reporting(as_json):
        if (where := remote.address(channel)) is not None:
            found = remote.call(where, "join", where.path, name=name, seat=name is not None)
            if name is not None:
                remote.channel(where).note_seat()
            from collab.remote.channel import join_message

            message = join_message(found["join_message"], found["path"], where)
            if as_json:
                emit_json(remote.relocated(found, where) | {"join_message": message})
            else:
                print(for_terminal(message))
            return
        opened = Channel.open(channel, config.channel_dir(directory))
        document = opened.outline()  # the header and the closing line: the entries are not needed
        if document.closed:
            raise ChannelClosed(
                f"{opened.path} is closed: there is nothing to join (`collab show {opened.id}` shows the exchange)"
            )
        if name is not None:
            take_seat(opened, name)
        message = opened.join_message(document, width=_join_width(as_json))
        if as_json:
            emit_json({"id": opened.id, "path": str(opened.path), "join_message": message})
        else:
            print(for_terminal(message))


def _append(
    kind: str, channel: str, text: str | None, re: str | None, name: str | None, directory: object, as_json: bool
) -> None:
    with reporting(as_json):
        reply_to = _ref(re)
        if (where := remote.address(channel)) is not None:
            posted, notices = remote.channel(where).post(kind, read_text_arg(text, kind), re=re, name=name)
            remote.echo(notices)
            shown = where.url()
        else:
            opened = Channel.open(channel, config.channel_dir(directory))  # type: ignore[arg-type]
            seat = take_seat(opened, name)
            posted = seat.post(kind, read_text_arg(text, kind), re=reply_to)
            shown = str(opened.path)
        entry = posted.entry
        if as_json:
            emit_json(entry.to_json() | {"path": shown, "unseen": [e.to_json() for e in posted.unseen]})
            return
        for crossed in posted.unseen[:CROSSED_SHOWN]:
            line = for_terminal(crossed.describe(), one_line=True)
            sys.stderr.write(f"collab: before yours: {line} (not read yet; collab wait returns it)\n")
        if len(posted.unseen) > CROSSED_SHOWN:
            more = len(posted.unseen) - CROSSED_SHOWN
            sys.stderr.write(f"collab: before yours: {more} more entries (not read yet; collab wait returns them)\n")
        by = f" as {entry.author}" if entry.author else ""  # the name this session writes as
        print(f"{entry.label} appended to {_shown(shown)}{by}")


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
    summary_option: Annotated[
        str | None,
        typer.Option(
            "--summary", "-m", metavar="TEXT", help="The summary, as an option instead of TEXT.", show_default=False
        ),
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
        if text is not None and summary_option is not None:
            raise UsageError("give the summary once: as TEXT or with --summary, not both (see `collab close --help`)")
        text = summary_option if text is None else text
        summary = read_text_arg(None, "summary") if text == "-" else text
        if (where := remote.address(channel)) is not None:
            found = _close_remote(where, summary, force, name)
            closed_now, shown = not found["already_closed"], found["path"]
        else:
            opened = Channel.open(channel, config.channel_dir(directory))
            seat = take_seat(opened, name)
            closed_now, shown = seat.close(summary, force=force), str(opened.path)
            found = {"id": opened.id, "path": shown, "closed": True, "already_closed": not closed_now}
        if as_json:
            emit_json(found)
        else:
            path = _shown(shown)
            print(f"Closed {path}" if closed_now else f"{path} was already closed")


def _close_remote(where: "remote.Address", summary: str | None, force: bool, name: str | None) -> dict[str, object]:
    """``close`` on the host, the summary on stdin; its document with the ``ssh://`` path."""
    rc = remote.channel(where)
    words = [where.path, *(["-"] if summary is not None else []), *(["--force"] if force else [])]
    called = rc.call(rc.argv("close", *words, name=name), (summary or "").encode("utf-8"))
    remote.echo(called.notices)
    return remote.relocated(called.document, where)
