"""Commands that guard the history: ``verify`` and ``repair``."""

from __future__ import annotations

import sys

from collab import config
from collab.channel import Channel
from collab.cli.app import ChannelArg, DirOpt, JsonOpt, command, emit_json, fail, reporting
from collab.errors import IntegrityError
from collab.sanitize import for_terminal

EXIT_INTEGRITY = IntegrityError.exit_code


def _shown(text: object) -> str:
    """A path or a one-line finding as a person sees it: nothing in it acts on the terminal."""
    return for_terminal(str(text), one_line=True)


@command()
def verify(channel: ChannelArg, directory: DirOpt = None, as_json: JsonOpt = False) -> None:
    """Check that the header and every accepted entry are as first written: exit 0, or 4 naming what changed.

    Entries appended by hand since collab last read the channel are accepted first.
    """
    from collab import integrity

    with reporting(as_json):
        path = config.resolve(channel, config.channel_dir(directory))
        gone = integrity.missing(path)
        opened = Channel(path) if gone else Channel.open(channel, config.channel_dir(directory))
        report = gone or integrity.sync(opened.path)
        if as_json:
            emit_json(report.to_json())
        elif report.ok:
            print(f"{_shown(opened.path)}: intact: the header and every accepted entry are as first written")
        else:
            for problem in report.problems:
                print(f"{_shown(problem.part)}: {_shown(problem.change)}")
                if problem.diff:
                    print("\n".join("    " + line for line in for_terminal(problem.diff).split("\n")))
        if gone:
            raise fail(
                f"the channel file was deleted but its ledger remains; `collab repair {opened.path}` creates it "
                "again from the ledger's copy",
                EXIT_INTEGRITY,
                as_json,
            )
        if not report.ok:
            raise fail(
                f"{report.summary()}; `collab repair {opened.path}` restores the history and keeps the edited text",
                EXIT_INTEGRITY,
                as_json,
            )


@command()
def repair(channel: ChannelArg, directory: DirOpt = None, as_json: JsonOpt = False) -> None:
    """Restore the accepted history from the ledger; the edited file is kept beside the channel.

    Asks nothing. On an intact channel it changes nothing and says so.
    """
    from collab import integrity

    with reporting(as_json):
        path = config.resolve(channel, config.channel_dir(directory))
        opened = Channel(path) if integrity.missing(path) else Channel.open(channel, config.channel_dir(directory))
        result = integrity.repair(opened.path)
        if as_json:
            emit_json(
                {
                    "repaired": result.repaired,
                    "restored_bytes": result.restored,
                    "saved": str(result.saved) if result.saved else None,
                    "problems": [p.to_json() for p in result.problems],
                }
            )
            return
        if not result.repaired:
            print(f"{_shown(opened.path)}: nothing to repair: the history is intact")
            return
        changed = _shown("; ".join(f"{p.part} {p.change}" for p in result.problems))
        print(f"restored the accepted history of {_shown(opened.path)} ({result.restored} bytes); it had: {changed}")
        if result.saved:
            print(f"the edited file is kept, unchanged, as {_shown(result.saved)}")
        sys.stdout.flush()
