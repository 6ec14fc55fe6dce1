"""The channels in a directory (``collab ls``), most recently modified first."""

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, NamedTuple

from collab import config
from collab.errors import ChannelNotFound, CollabError
from collab.ledger import reading
from collab.render.status import last_activity
from collab.text import naming
from collab.text.exchange import Closing
from collab.text.format import Document
from collab.text.grammar import format_timestamp

#: The states ``collab ls --open`` / ``--closed`` select; a file that is not a readable channel is
#: ``unreadable``, and is listed only when no state is asked for.
State = Literal["open", "closed"]


class Listing(NamedTuple):
    """One channel as ``collab ls`` shows it; ``last_activity`` is UTC ``YYYY-MM-DDTHH:MM:SSZ``.

    ``modified_ns`` is the file's modification time (``st_mtime_ns``, nanoseconds since the epoch).
    ``problem`` is set (and the other fields may be empty) when the file could not be read as a channel.
    """

    id: str
    path: Path
    task: str
    state: str
    entries: int
    last_activity: str
    modified_ns: int = 0
    problem: str | None = None
    #: How a closed channel ended (its closing line and summary), or None.
    closing: Closing | None = None

    def to_json(self) -> dict[str, object]:
        """The contract's ``ls`` item shape (plus ``problem`` when the channel is unreadable)."""
        item: dict[str, object] = {
            "id": self.id,
            "path": str(self.path),
            "task": self.task,
            "state": self.state,
            "entries": self.entries,
            "last_activity": self.last_activity,
        }
        if self.problem:
            item["problem"] = self.problem
        if self.closing is not None:
            item["closing"] = self.closing.to_json()
        return item


def list_channels(directory: Path, state: State | None = None) -> list[Listing]:
    """Every channel file (``collab-<id>.md``) in ``directory`` (not recursive), most recently modified first.

    The order is the files' modification times in nanoseconds (``st_mtime_ns``), newest first, and
    the file name where two are equal: two channels written within the same second still come in
    the order they were written, which timestamps to the second cannot tell.

    Copies collab keeps beside a channel (``collab-<id>.edited-<time>.md``, ``.torn-<time>.md``)
    are not channels and are not listed.

    Each channel is read cheaply (:func:`collab.ledger.reading.summary`): last activity is the newest of
    its creation time and the timestamps from its last entry on, or the file's mtime when none is
    readable. Unreadable files are listed with ``problem`` set.

    Args:
        directory: the channel directory.
        state: ``open`` or ``closed`` to list only those (unreadable files are then left out);
            None lists every channel file.

    Raises:
        ChannelNotFound: ``directory`` does not exist or is not a directory.
    """
    if not directory.is_dir():
        raise ChannelNotFound(f"directory {directory} does not exist: check --dir or COLLAB_DIR")
    listings = []
    for channel_id in config.channel_ids(directory):
        path = directory / naming.file_name(channel_id)
        try:
            modified = os.stat(path, follow_symlinks=False).st_mtime_ns
        except FileNotFoundError:
            continue
        fallback = format_timestamp(datetime.fromtimestamp(modified / 1e9, UTC))
        try:
            document = reading.summary(path)
        except CollabError as exc:
            item = Listing(channel_id, path, "", "unreadable", 0, fallback, modified, str(exc))
        else:
            task = document.header.task.split("\n", 1)[0]
            activity = last_activity(document) or fallback
            closing = _closing(path, document)
            count = document.counters.index
            item = Listing(channel_id, path, task, document.state, count, activity, modified, closing=closing)
        if state is None or item.state == state:
            listings.append(item)
    listings.sort(key=lambda item: (-item.modified_ns, item.path.name))
    return listings


def _closing(path: Path, document: Document) -> Closing | None:
    """How the channel ended, read from its closing line on; None while open or when unreadable."""
    if document.closed is None:
        return None
    from collab.ledger import entries

    try:
        return entries.closing(path, document)
    except CollabError:
        return None
