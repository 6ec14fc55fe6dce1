"""Commands that guard the history: ``verify`` and ``repair``.

Cost, for N bytes: ``verify`` reads and digests all N (SHA-256, no parse), parsing hand appends
since the last accept; then, only to warn about stray text, it reads the channel checked again with
every entry's body (O(N), most of its time). ``repair`` reads and digests N under the lock, and with
something to repair costs O(N) more (an edit: both versions parsed); ``--accept-current`` O(N).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from collab import config
from collab.channel import Channel
from collab.cli import remote
from collab.cli.app import command, fail, reporting
from collab.cli.output import emit_json, warn_each
from collab.cli.params import ChannelArg, DirOpt, JsonOpt
from collab.errors import CollabError, IntegrityError
from collab.text.sanitize import for_terminal

if TYPE_CHECKING:
    from collab.ledger.checks import Report

EXIT_INTEGRITY = IntegrityError.exit_code


def _shown(text: object) -> str:
    """A path or a one-line finding as a person sees it: nothing in it acts on the terminal."""
    return for_terminal(str(text), one_line=True)


def _located(channel: str, directory: Path | None) -> Channel:
    """The channel named by CHANNEL; a deleted one whose ledger remains is still named (repair recreates it)."""
    return Channel.locate(channel, config.channel_dir(directory))


@command()
def verify(channel: ChannelArg, directory: DirOpt = None, as_json: JsonOpt = False) -> None:
    """Check that no one edited CHANNEL's history: exit 0, or 4 naming what changed.

    The header and every accepted entry must be as first written. Entries appended by hand since
    collab last read the channel are accepted first. A missing, damaged or foreign ledger, and
    unreadable bytes, also exit 4 until they are dealt with (`collab repair`).

    Example:

    \b
      collab verify k3x9q2ab --json
    """
    with reporting(as_json):
        if (where := remote.address(channel)) is not None:
            _verify_remote(where, as_json)
            return
        opened = _located(channel, directory)
        report = opened.verify()
        _warn_about_text(opened)
        if as_json:
            emit_json(report.to_json())
        elif report.ok:
            print(f"{_shown(opened.path)}: intact: the header and every accepted entry are as first written")
        else:
            for problem in report.problems:
                print(f"{_shown(problem.part)}: {_shown(problem.change)}")
                if problem.diff:
                    print("\n".join("    " + line for line in for_terminal(problem.diff).split("\n")))
        if not report.ok:
            raise fail(_way_out(opened, report), EXIT_INTEGRITY, as_json)


def _verify_remote(where: remote.Address, as_json: bool) -> None:
    """``verify`` on the host: its report printed here, exit 4 when the history was edited."""
    rc = remote.channel(where)
    called = rc.read(remote.run(rc, rc.argv("verify", where.path, seat=False)), ok=(0, EXIT_INTEGRITY))
    remote.echo(called.notices)
    found = called.document
    if as_json:
        emit_json(found)
    elif found["ok"]:
        print(f"{_shown(where.url())}: intact: the header and every accepted entry are as first written")
    else:
        for problem in found["problems"]:
            print(f"{_shown(problem['part'])}: {_shown(problem['change'])}")
            if problem.get("diff"):
                print("\n".join("    " + line for line in for_terminal(problem["diff"]).split("\n")))
    if not found["ok"]:
        way_out = f"the history of {where.url()} was edited: `collab repair` on {where.destination} restores it"
        raise fail(way_out, EXIT_INTEGRITY, as_json)


def _warn_about_text(opened: Channel) -> None:
    """Warn on stderr about what reading the channel found (stray text, headings collab cannot read
    fully): none of it is an edit of history, so the exit code stays the check's."""
    try:
        document = opened.check(accept=False).document
    except CollabError:
        return  # not there or not readable: the check's report says so
    damaged = document.damage.warning() if document.damage else None  # already among the problems
    sentences = [w for w in document.warnings if w != damaged] + Channel.heading_warnings(document.entries)
    warn_each(sentences, opened.path)


def _way_out(opened: Channel, report: Report) -> str:
    """What to do about a failed check, in one line."""
    parts = {p.part for p in report.problems}
    if "ledger" in parts:
        return (
            report.problems[0].diff + f"; `collab repair --accept-current {opened.path}` accepts the channel as it is"
        )
    if parts == {"file"} and report.problems[0].change == "deleted":
        return (
            f"the channel file was deleted but its ledger remains; `collab repair {opened.path}` creates it "
            "again from the ledger's copy"
        )
    return f"{report.summary()}; `collab repair {opened.path}` restores the history and keeps what it removes"


@command()
def repair(
    channel: ChannelArg,
    accept_current: Annotated[
        bool,
        typer.Option(
            "--accept-current",
            help="Accept the channel as it is now: start its ledger again (the way "
            "out of a missing, damaged or foreign ledger).",
        ),
    ] = False,
    directory: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Restore CHANNEL's history from its ledger, or cut away unreadable bytes.

    Nothing is lost: whatever is removed stays in a file beside the channel. Asks nothing. On an
    intact channel it changes nothing and says so.

    Example:

    \b
      collab repair k3x9q2ab
    """
    with reporting(as_json):
        opened = _located(channel, directory)
        if accept_current:
            accepted = opened.accept_current()
            if as_json:
                emit_json({"accepted_bytes": accepted})
            else:
                print(f"accepted {_shown(opened.path)} as it is now ({accepted} bytes)")
            return
        result = opened.repair()
        if as_json:
            emit_json(
                {
                    "repaired": result.repaired,
                    "restored_bytes": result.restored,
                    "kept": str(result.kept) if result.kept else None,
                    "reappended": result.reappended,
                    "problems": [p.to_json() for p in result.problems],
                }
            )
            return
        if not result.repaired:
            print(f"{_shown(opened.path)}: nothing to repair: the history is intact and every byte is readable")
            return
        changed = _shown("; ".join(f"{p.part} {p.change}" for p in result.problems))
        print(f"repaired {_shown(opened.path)} ({result.restored} bytes); it had: {changed}")
        if result.reappended:
            print(f"{result.reappended} later entries were appended again after the accepted history")
        if result.kept:
            print(f"the file as it was is kept, unchanged, as {_shown(result.kept)}")
        sys.stdout.flush()
