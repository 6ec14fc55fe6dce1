"""Commands that look after the channel directory: ``ls``, ``rm`` and ``prune``.

Cost, for C channel files of N bytes each: ``ls`` reads every byte of each (a UTF-8 check, no
digest) and parses it from its checkpoint on, a closed one's file twice. ``rm`` locks a channel,
parses all N to learn whether it is open, and lists the state and channel directories if it goes.
``prune`` does that lock and parse for each of the user's C files, even one its age keeps.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from collab import config
from collab.channel import Channel
from collab.cli.app import command, fail, fail_quietly, reporting
from collab.cli.output import emit_json, warn
from collab.cli.params import DirOpt, JsonOpt, complete_channel
from collab.errors import ChannelNotFound, CollabError, Exit, UsageError
from collab.text.sanitize import for_terminal

if TYPE_CHECKING:
    from collab.cli.remote import Address
    from collab.housekeeping.catalog import State
    from collab.housekeeping.cleanup import Removal, Skipped


def _shown(text: object) -> str:
    return for_terminal(str(text), one_line=True)


def _width(terminal: bool) -> int | None:
    """Columns to fit: the terminal's (``COLUMNS`` first, as :func:`shutil.get_terminal_size`), or on
    a pipe ``COLUMNS`` if set and otherwise no limit, so a script reads each task's whole first line."""
    import shutil

    columns = os.environ.get("COLUMNS", "").strip()
    if terminal or (columns.isascii() and columns.isdigit()):
        return shutil.get_terminal_size().columns
    return None


@command("ls")
def list_command(
    host: Annotated[
        str | None,
        typer.Argument(
            help="List a host's channels over ssh: HOST: (its channel directory) or [user@]HOST:/dir.",
            metavar="[HOST:[DIR]]",
            show_default=False,
        ),
    ] = None,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="The directory to list. Default: $COLLAB_DIR, else /tmp.", metavar="DIR"),
    ] = None,
    only_open: Annotated[bool, typer.Option("--open", help="List only open channels.")] = False,
    only_closed: Annotated[bool, typer.Option("--closed", help="List only closed channels.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List the channels in the channel directory, most recent activity first.

    Most recent is the newest modification time of the file, to the nanosecond. On a terminal a
    header row comes first and each task is cut, at a word, to fit the width; where that would
    show fewer than 30 columns of a task (about 80 columns or fewer), each task has a line of its
    own below its channel, and the time is an age ("5m ago"). Piped, there is no header and the
    task is whole (unless COLUMNS is set). A file that is not a readable channel is listed with
    its problem, and only without --open or --closed.

    Example:

    \b
      collab ls --open
      collab ls --dir ~/channels --json
      collab ls devbox:
    """
    with reporting(as_json):
        if only_open and only_closed:
            raise UsageError("--open and --closed exclude each other: give one, or neither to list all")
        state: State | None = "open" if only_open else "closed" if only_closed else None
        where = config.channel_dir(directory)
        if host is None:
            on, listings = None, Channel.catalog(where, state)
        else:
            from collab.cli import remote

            on = remote.host_directory(host, directory)
            listings = remote.listings(on, state)
        if as_json:
            emit_json({"channels": [_located(item.to_json(), on) for item in listings]})
            return
        if not listings:
            print(f"No {state + ' ' if state else ''}channels in {_shown(on or where)}", file=sys.stderr)
            return
        from collab.render.listing import table

        terminal = sys.stdout.isatty()
        rows = [(i.id, i.last_activity, i.state, i.entries, i.problem or i.task) for i in listings]
        bold = not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
        print("\n".join(table(rows, _width(terminal), terminal, bold=terminal and bold)))


def _describe(removal: Removal, dry_run: bool = False) -> str:
    """One line for a removed channel: the channel, the copies beside it, and its state files."""
    verb = "would remove" if dry_run else "removed"
    files = [p for p in removal.files if p != removal.path]
    beside = [p.name for p in files if p.parent == removal.path.parent]
    state = [p for p in files if p.parent != removal.path.parent]
    kinds = removal.state_kinds()
    if removal.state == "missing":
        parts = [f"{verb} what collab kept for {removal.id} (the channel file was already gone)"]
    else:
        parts = [f"{verb} {removal.id} ({removal.state}): {removal.path}"]
    if beside:
        parts.append(f"beside it {', '.join(beside)}")
    if state:
        parts.append(f"its state in {state[0].parent}: {', '.join(kinds)}")
    return _shown("; ".join(parts))


def _report_leftovers(removal: Removal) -> None:
    for item in removal.skipped:
        warn(f"left {item.path} alone: {item.reason}")
    for item in removal.left:
        sys.stderr.write(f"collab: {_shown(removal.id)}: {_shown(item.path)}: {_shown(item.reason)}\n")


ChannelsArg = Annotated[
    list[str],
    typer.Argument(
        help="Channels to delete: paths, ids, or unique prefixes of ids (4+ characters).",
        metavar="CHANNEL...",
        autocompletion=complete_channel,
        show_default=False,
    ),
]


def _remove_one(ref: str, directory: Path | None, force: bool) -> Removal:
    path = config.resolve(ref, config.channel_dir(directory))
    try:
        return Channel(path).remove(force=force)
    except ChannelNotFound:
        config.resolve(ref, config.channel_dir(directory), existing=True)  # an id: say what is near
        raise


@command()
def rm(
    channels: ChannelsArg,
    force: Annotated[bool, typer.Option("--force", "-f", help="Delete open channels too.")] = False,
    directory: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete channels and every file collab keeps for them, saying what went.

    Only your own channel files (never a link or another user's file). With each channel go its
    ledger, accepted copy, cursors, seats, lock and presence files in collab's state directory,
    and the edited, torn and unreadable copies kept beside it. An open channel needs --force. If
    the channel file is gone already, what collab kept for it goes. The channel is deleted under
    its lock, so a writer racing rm appends before it or finds no channel. Each CHANNEL is done in
    turn; exit 1 if any was not deleted (or not wholly).

    Example:

    \b
      collab rm k3x9q2ab
      collab rm k3x9 fe3r --force
    """
    with reporting(as_json):
        done: list[tuple[Removal, Address | None]] = []  # and the host it was on
        failed: list[tuple[str, CollabError]] = []
        from collab.cli import remote

        for ref in channels:
            if (where := remote.address(ref)) is not None:
                _remove_remote(where, force, as_json, done, failed)
                continue
            try:
                removal = _remove_one(ref, directory, force)
            except CollabError as exc:
                failed.append((ref, exc))
                if not as_json:
                    sys.stderr.write(f"collab: {_shown(exc)}\n")
                continue
            done.append((removal, None))
            if not as_json:
                print(_describe(removal))
                _report_leftovers(removal)
        incomplete = [r for r, _ in done if not r.complete]
        if as_json:
            emit_json(
                {
                    "removed": [_located(r.to_json(), on) for r, on in done],
                    "failed": [
                        {"channel": ref, "error": {"code": e.exit_code, "message": str(e)}} for ref, e in failed
                    ],
                }
            )
        if not failed and not incomplete:
            return
        codes = {e.exit_code for _, e in failed} | ({Exit.ERROR} if incomplete else set())
        code = codes.pop() if len(codes) == 1 else Exit.ERROR
        if not as_json:
            raise fail_quietly(code)  # each failure has had its line
        if len(channels) == 1 and failed:
            raise fail(str(failed[0][1]), code, as_json)
        raise fail(f"{len(failed) + len(incomplete)} of {len(channels)} not deleted, or not wholly", code, as_json)


def _located(item: dict[str, object], where: Address | None) -> dict[str, object]:
    """A ``--json`` item, its path in the ``ssh://`` form when it is on a host."""
    return item if where is None else item | {"path": where.url(str(item["path"]))}


def _remove_remote(
    where: Address, force: bool, as_json: bool, done: list[Any], failed: list[tuple[str, CollabError]]
) -> None:
    """``rm`` of a channel on another host: the host removes it, and it is said here as ``rm`` says it."""
    from collab.cli import remote

    removed, not_removed = remote.remove(where, force)
    failed += not_removed
    done += [(removal, where) for removal in removed]
    if not as_json:
        for _, error in not_removed:
            sys.stderr.write(f"collab: {_shown(error)}\n")
        for removal in removed:
            print(_describe(removal).replace(str(removal.path), where.url(str(removal.path)), 1))
            _report_leftovers(removal)


@command()
def prune(
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than",
            help="Channels go once idle (file not modified) longer than this: 90s, 30m, 12h, 7d, 2w.",
            metavar="DURATION",
        ),
    ] = "7d",
    dry_run: Annotated[bool, typer.Option("--dry-run", "-n", help="List what would go; delete nothing.")] = False,
    closed: Annotated[
        bool, typer.Option("--closed", help="Delete every closed channel now, whatever its age, and no open one.")
    ] = False,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="The directory to prune. Default: $COLLAB_DIR, else /tmp.", metavar="DIR"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete your channels idle longer than DURATION, closed or open.

    A channel goes once its file has not been modified for longer than --older-than (7 days by
    default), so a closed one stays readable as a transcript that long; an open one also stays
    while someone is waiting in it. --closed deletes every closed channel now, and no open one.
    Files that are not readable channels stay (`collab rm --force` deletes one). Only your own
    channels are looked at; each goes as `collab rm` deletes it, with all collab keeps for it.

    Example:

    \b
      collab prune --dry-run
      collab prune --older-than 12h
      collab prune --closed
    """
    with reporting(as_json):
        seconds = config.duration("--older-than", older_than)
        pruned = Channel.prune(config.channel_dir(directory), older_than=seconds, dry_run=dry_run, closed_only=closed)
        if as_json:
            emit_json(
                {
                    "removed": [r.to_json() for r in pruned.removed],
                    "kept": [_kept_json(k) for k in pruned.kept],
                    "failed": [_kept_json(k) for k in pruned.failed],
                    "dry_run": dry_run,
                    "older_than": seconds,
                }
            )
        else:
            for removal in pruned.removed:
                print(_describe(removal, dry_run))
                _report_leftovers(removal)
            for item in pruned.failed:
                sys.stderr.write(f"collab: {_shown(item.reason)}\n")
            verb = "would remove" if dry_run else "removed"
            sys.stderr.write(
                f"collab: {verb} {len(pruned.removed)}, kept {len(pruned.kept)} "
                f"({'open' if closed else f'active within {older_than}, waited on'}, or unreadable)\n"
            )
        incomplete = [r for r in pruned.removed if not r.complete]
        if pruned.failed or incomplete:
            raise fail(
                f"{len(pruned.failed) + len(incomplete)} channels not deleted, or not wholly", Exit.ERROR, as_json
            )


def _kept_json(item: Skipped) -> dict[str, str]:
    return {"id": Channel(item.path).id, **item.to_json()}
