"""What every collab command prints besides its result: warnings on stderr, JSON on stdout,
and the notice of a seat whose automatic name changed.

Everything printed passes collab's output policy (:mod:`collab.text.sanitize`): nothing from a
channel reaches a terminal raw.
"""

# No ``from __future__ import annotations``: see :mod:`collab.cli.live`.
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collab.channel import Channel
    from collab.seat import Seat


def warn(message: object) -> None:
    """One warning line on stderr, with nothing in it that acts on a terminal."""
    from collab.text.sanitize import for_terminal

    sys.stderr.write(f"collab: warning: {for_terminal(str(message), one_line=True)}\n")


#: How many warnings about a channel's text a command lists on stderr; ``collab show`` lists them all.
WARNINGS_SHOWN = 10


def warn_each(sentences: Sequence[str], channel_path: Path) -> None:
    """Warn about each of ``sentences`` (what reading the channel found), at most :data:`WARNINGS_SHOWN`."""
    for sentence in sentences[:WARNINGS_SHOWN]:
        warn(sentence)
    if len(sentences) > WARNINGS_SHOWN:
        more = len(sentences) - WARNINGS_SHOWN
        warn(f"{more} more warnings about this channel: `collab show {channel_path}` lists them all")


def take_seat(channel: "Channel", name: str | None) -> "Seat":
    """This session's seat in ``channel`` (:meth:`collab.Channel.seat`), saying so once when its
    automatic name had to change."""
    from collab.text.sanitize import for_terminal

    seat = channel.seat(name)
    if seat.notice:
        sys.stderr.write(f"collab: {for_terminal(seat.notice, one_line=True)}\n")
    return seat


def emit_json(document: Any) -> None:
    """Write one JSON document and a newline to stdout: indented on a terminal, compact on a pipe.

    Control, bidirectional and invisible characters in strings are written as ``\\uXXXX`` escapes
    (:func:`collab.text.sanitize.for_json`), so the document reads back the same yet carries nothing
    raw that could act on a terminal it is printed on.
    """
    import json

    from collab.text.sanitize import for_json

    indent = 2 if sys.stdout.isatty() else None  # indenting makes json use its slow pure-Python encoder
    sys.stdout.write(for_json(json.dumps(document, ensure_ascii=False, indent=indent)) + "\n")
    sys.stdout.flush()
