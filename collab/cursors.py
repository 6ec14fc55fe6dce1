"""Readers' cursors: how many entries each reader of a channel has seen, so ``wait`` misses nothing.

The cursors of channel ``collab-<id>.md`` live beside it in ``.collab-<id>.cursors.json``::

    {"channel": "<id>", "readers": {"site-a": {"seen": 5, "updated": "2026-06-22T14:05:02Z"}}}

``seen`` counts entries from the top of the file. The file has mode 0600 and is replaced atomically
(:func:`collab.files.replace_atomic`) while ``flock(LOCK_EX)`` is held on the channel itself, so two
waiters updating at once never lose each other's cursor; a cursor only moves forward.
"""

from __future__ import annotations

import fcntl
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from collab import files
from collab.errors import ChannelNotFound
from collab.grammar import format_timestamp


def state_path(channel_path: Path) -> Path:
    """The cursors file of the channel at ``channel_path`` (a hidden file beside it)."""
    return channel_path.with_name(f".{channel_path.stem}.cursors.json")


def _read(channel_path: Path) -> tuple[dict[str, Any], str | None]:
    path = state_path(channel_path)
    try:
        raw = files.read_checked(path)
    except ChannelNotFound:
        return {}, None
    try:
        readers = json.loads(raw)["readers"]
        if not isinstance(readers, dict) or not all(isinstance(v.get("seen"), int) for v in readers.values()):
            raise ValueError
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}, f"the readers' cursors in {path} were unreadable and start again from the top"
    return readers, None


def load(channel_path: Path, reader: str) -> tuple[int, str | None]:
    """How many entries ``reader`` has seen (0 if never), and a warning if the cursors file was damaged.

    Raises:
        ChannelRefused: the cursors file is a link, another user's file, or not a regular file.
    """
    readers, warning = _read(channel_path)
    state = readers.get(reader)
    return (state["seen"] if state else 0), warning


def advance(channel_path: Path, reader: str, seen: int, now: datetime | None = None) -> int:
    """Move ``reader``'s cursor forward to ``seen`` (never back); return the cursor now stored.

    Raises:
        ChannelNotFound, ChannelRefused: the channel or its cursors file cannot be opened safely.
    """
    fd = files.open_checked(channel_path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        readers, _warning = _read(channel_path)
        current = readers.get(reader, {}).get("seen", 0)
        if seen <= current:
            return int(current)
        readers[reader] = {"seen": seen, "updated": format_timestamp(now or datetime.now(UTC))}
        document = {"channel": channel_path.stem.removeprefix("collab-"), "readers": readers}
        files.replace_atomic(state_path(channel_path), (json.dumps(document, indent=1) + "\n").encode())
        return seen
    finally:
        os.close(fd)
