"""Pruning a channel directory (``collab prune``): the user's closed channels, and idle open ones.

A channel, closed or open, goes once its file has not been modified (``st_mtime_ns``) for longer
than the duration (default 7 days), so a closed channel stays readable as a transcript that long
after its close; an open one also stays while a participant is blocked in ``wait`` on it
(:mod:`collab.live.presence`). With ``closed_only``, closed channels go whatever their age, and
open ones stay. Each goes as :func:`collab.housekeeping.cleanup.remove` deletes a channel,
the rule asked again under the channel's lock, so one that became active meanwhile stays.
"""

from __future__ import annotations

import errno
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from collab import config
from collab.errors import ChannelNotFound, CollabError
from collab.housekeeping.cleanup import ChannelKept, Found, Removal, Rule, Skipped, remove
from collab.text import naming


class Pruned(NamedTuple):
    """What ``prune`` did: channels ``removed`` (or that would be, in a dry run), channels ``kept``
    with the reason, and channels that could not be removed (``failed``, with the error)."""

    removed: tuple[Removal, ...]
    kept: tuple[Skipped, ...]
    failed: tuple[Skipped, ...]


def idle_or_closed(older_than: int, now: datetime | None = None, *, closed_only: bool = False) -> Rule:
    """``collab prune``'s rule: channels idle longer than ``older_than`` seconds (since the file
    was last modified, ``st_mtime_ns``) go, closed or open, but an open one stays while a participant
    is blocked in ``wait`` on it. With ``closed_only``, every closed channel goes and no open one.
    Unreadable files stay (``rm --force`` deletes them)."""
    from collab.live import presence

    now_ns = int((now or datetime.now(UTC)).timestamp() * 1_000_000_000)

    def rule(found: Found) -> str | None:
        if found.state not in ("open", "closed"):
            return "not a channel collab can read: `collab rm --force` deletes it"
        if closed_only:
            return None if found.state == "closed" else "open (--closed removes closed channels only)"
        idle = (now_ns - found.modified_ns) / 1e9
        if idle <= older_than:
            return f"{found.state}, and active {_ago(idle)} ago"
        if found.state == "closed":
            return None
        waiting = presence.waiting_names(found.path)
        if waiting:
            return f"open, and waited on right now by {', '.join(waiting)}"
        return None

    return rule


def _ago(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{max(seconds, 0):.0f}s"


def prune(
    directory: Path, older_than: int, *, dry_run: bool = False, closed_only: bool = False, now: datetime | None = None
) -> Pruned:
    """Delete the user's channels in ``directory`` idle over ``older_than`` seconds (see :func:`idle_or_closed`).

    Only channel files (``collab-<id>.md``) that are the user's own regular files are looked at;
    any other file (another user's channel in ``/tmp``, a link) is not the user's to prune and is
    not reported. Each channel goes as :func:`remove` does, with :func:`idle_or_closed` asked
    under its lock, so one that became active meanwhile stays.

    Raises:
        ChannelNotFound: ``directory`` does not exist or is not a directory.
        ChannelRefused: the state directory is not private.
    """
    if not directory.is_dir():
        raise ChannelNotFound(f"directory {directory} does not exist: check --dir or COLLAB_DIR")
    rule = idle_or_closed(older_than, now, closed_only=closed_only)
    removed: list[Removal] = []
    kept: list[Skipped] = []
    failed: list[Skipped] = []
    for each in config.channel_ids(directory):
        path = directory / naming.file_name(each)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
            continue
        try:
            removed.append(remove(path, rule, dry_run=dry_run))
        except ChannelKept as exc:
            kept.append(Skipped(path, str(exc)))
        except ChannelNotFound:
            continue  # removed meanwhile by someone else
        except CollabError as exc:
            failed.append(Skipped(path, str(exc)))
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                continue
            failed.append(Skipped(path, exc.strerror or str(exc)))
    return Pruned(tuple(removed), tuple(kept), tuple(failed))
