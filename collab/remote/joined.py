"""Which channels on other hosts this machine's sessions sit in, so the wake hook can wait on them.

A session's seat in a remote channel lives on the channel's host (contract section 10); the hook
of a session on this machine finds its local seats from the state directory
(:func:`collab.live.seats.holdings`), but nothing here says which hosts to ask. So each remote
``answer``, ``ask``, ``wait`` and ``join --as`` notes the channel's address beside the seat key of
the place it was run from. The record is one private file of the state directory, replaced
atomically under a lock of its own::

    {"seats": [{"key": "<host:place:session>", "url": "ssh://devbox/tmp/collab-k3x9q2ab.md"}]}

It says only where to ask: the host decides which seat sits there, under which name, and whether
the channel is still open. The newest :data:`LIMIT` notes are kept.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from collab.errors import ChannelNotFound, ChannelRefused, CollabError
from collab.remote.address import Address, parse
from collab.store import files, paths

#: The record's name in the state directory.
NAME = "remote-seats.json"
#: Notes kept, newest first; older ones are dropped.
LIMIT = 200
#: Seconds a note waits for the record's lock; past it the note is skipped (the command succeeded).
LOCK_SECONDS = 2.0


class Joined(NamedTuple):
    """A remote channel a seat sits in: the seat ``key`` here and the channel's ``address``."""

    key: str
    address: Address


def _path(*, create: bool) -> Path:
    return paths.state_dir(create=create) / NAME


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        found = json.loads(files.read_checked(path))
    except (ChannelNotFound, ChannelRefused, ValueError, RecursionError):
        return []
    seats = found.get("seats") if isinstance(found, dict) else None
    if not isinstance(seats, list):
        return []
    return [s for s in seats if isinstance(s, dict) and isinstance(s.get("key"), str) and isinstance(s.get("url"), str)]


def note(address: Address, key: str) -> None:
    """Record that the seat ``key`` (a :attr:`collab.live.seats.Place.key`) sits in the channel at ``address``.

    Never fails the command that took the seat: a record that cannot be written is skipped.
    """
    try:
        path = _path(create=True)
        lock = path.with_suffix(".lock")
        opener = lambda: os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)  # noqa: E731
        with files.locked_at(lock, opener, LOCK_SECONDS, f"{lock} keeps being replaced"):
            item = {"key": key, "url": address.url()}
            seats = [item, *(s for s in _read(path) if s != item)][:LIMIT]
            files.replace_atomic(path, json.dumps({"seats": seats}, sort_keys=True).encode())
    except (CollabError, OSError):
        return


def held(matches: Callable[[str], bool]) -> list[Joined]:
    """The remote channels noted for seats whose key ``matches``, newest first, each once."""
    try:
        path = _path(create=False)
    except CollabError:
        return []
    found: dict[Address, Joined] = {}
    for item in _read(path):
        if not matches(item["key"]):
            continue
        try:
            address = parse(item["url"])
        except CollabError:
            continue
        if address is not None and address.path and address not in found:
            found[address] = Joined(item["key"], address)
    return list(found.values())
