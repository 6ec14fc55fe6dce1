"""The channels in a directory (``collab ls``), most recent activity first."""

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from collab import reading
from collab.channel import Channel
from collab.errors import ChannelNotFound, CollabError
from collab.grammar import format_timestamp
from collab.status import last_activity

#: The file name of a channel: ``collab-<id>.md``, the id as :func:`collab.channel.new_id` makes them.
CHANNEL_NAME = re.compile(r"collab-[a-z0-9]{4,32}\.md")


class Listing(NamedTuple):
    """One channel as ``collab ls`` shows it; ``last_activity`` is UTC ``YYYY-MM-DDTHH:MM:SSZ``.

    ``problem`` is set (and the other fields may be empty) when the file could not be read as a channel.
    """

    id: str
    path: Path
    task: str
    state: str
    entries: int
    last_activity: str
    problem: str | None = None

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
        return item


def list_channels(directory: Path) -> list[Listing]:
    """Every channel file (``collab-<id>.md``) in ``directory`` (not recursive), most recent activity first.

    Copies collab keeps beside a channel (``collab-<id>.edited-<time>.md``, ``.torn-<time>.md``)
    are not channels and are not listed.

    Each channel is read cheaply (:func:`collab.reading.summary`): last activity is the newest of
    its creation time and the timestamps from its last entry on, or the file's mtime when none is
    readable. Unreadable files are listed with ``problem`` set.

    Raises:
        ChannelNotFound: ``directory`` does not exist or is not a directory.
    """
    if not directory.is_dir():
        raise ChannelNotFound(f"directory {directory} does not exist: check --dir or COLLAB_DIR")
    listings = []
    with os.scandir(directory) as found:
        names = sorted(e.name for e in found if CHANNEL_NAME.fullmatch(e.name))
    for name in names:
        channel = Channel(directory / name)
        try:
            mtime = os.stat(channel.path, follow_symlinks=False).st_mtime
        except FileNotFoundError:
            continue
        fallback = format_timestamp(datetime.fromtimestamp(mtime, UTC))
        try:
            document = reading.summary(channel.path)
        except CollabError as exc:
            listings.append(Listing(channel.id, channel.path, "", "unreadable", 0, fallback, str(exc)))
            continue
        listings.append(
            Listing(
                channel.id,
                channel.path,
                document.header.task.split("\n", 1)[0],
                document.state,
                document.counters.index,
                last_activity(document) or fallback,
            )
        )
    listings.sort(key=lambda item: item.last_activity, reverse=True)
    return listings
