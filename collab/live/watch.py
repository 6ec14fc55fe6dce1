"""Follow a channel as it grows: each newly completed entry, the moment it lands.

Two layers, so the reading logic is testable without a file-system watcher:

- :class:`collab.live.follower.Follower` reads a channel incrementally and delivers each entry once it
  is complete.
- :func:`follow` drives a follower with :mod:`watchfiles` events. It watches the channel's *parent
  directory*, non-recursively, filtered to the channel's path: a watch on the file itself goes
  silent after an atomic save (temp file renamed over the channel) or a delete-and-recreate.

The watcher is armed before the file is read a second time, so an entry landing while the watch is
being set up is never missed. On file systems without change events (NFS, SMB, 9p, sshfs: see
:data:`NETWORK_FILESYSTEMS`) watchfiles' polling mode is used, every
:attr:`WatchSettings.poll_ms` milliseconds.
"""

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol

from collab.live.follower import Follower, Update

__all__ = ["Follower", "StopEvent", "Update", "WatchSettings", "changed_paths", "follow", "needs_polling"]

#: File-system types (``/proc/self/mountinfo``) that deliver no inotify events for other hosts' writes.
NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "fuse.sshfs", "ceph", "glusterfs", "afs", "lustre", "gpfs"}
)


class StopEvent(Protocol):
    """Anything with ``is_set()``, such as :class:`threading.Event` (watchfiles' ``stop_event``)."""

    def is_set(self) -> bool: ...


class WatchSettings(NamedTuple):
    """How :func:`follow` waits for changes; every value in milliseconds.

    ``step_ms`` is how often watchfiles' Rust side checks for events (its idle wake-up interval:
    smaller means lower latency and more idle CPU); ``debounce_ms`` caps how long a burst of events
    is collected before it is reported; ``idle_ms`` is how long without events before the file is
    checked anyway (this settles a truncate-and-rewrite, and reports a vanished file);
    ``poll_ms`` is the polling interval on file systems without events. ``polling`` forces it.
    """

    step_ms: int = 5
    debounce_ms: int = 20
    idle_ms: int = 250
    poll_ms: int = 250
    polling: bool | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "WatchSettings":
        """Settings from ``COLLAB_WATCH_STEP_MS``, ``_DEBOUNCE_MS``, ``_IDLE_MS``, ``_POLL_MS``, ``_POLLING``.

        Each ``_MS`` value is a whole number of milliseconds from 1 to at most 1,000 (step), 10,000
        (debounce) or 60,000 (idle, poll); ``_POLLING`` is a yes/no value (see
        :func:`collab.config.env_flag`). Unset or empty means the default.

        Raises:
            UsageError: a value is malformed or out of range.
        """
        from collab import config

        # The stop event (a `wait` timeout, Ctrl+C) is only noticed once per step: keep a step short.
        ranges = {"step_ms": (1, 1000), "debounce_ms": (1, 10_000), "idle_ms": (1, 60_000), "poll_ms": (1, 60_000)}
        defaults = cls()
        values = {
            name: config.env_int(
                f"COLLAB_WATCH_{name.upper()}", getattr(defaults, name), low, high, "milliseconds", environ
            )
            for name, (low, high) in ranges.items()
        }
        return cls(**values, polling=config.env_flag("COLLAB_WATCH_POLLING", environ))


def _filesystem_type(directory: Path) -> str | None:
    """The type of the file system holding ``directory`` (Linux ``/proc/self/mountinfo``), if known."""
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return None
    target = str(directory.resolve())
    best: tuple[int, str] | None = None
    for line in lines:
        left, _, right = line.partition(" - ")
        fields = left.split()
        if len(fields) < 5 or not right:
            continue
        mount_point = fields[4].replace("\\040", " ")
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and (best is None or len(mount_point) > best[0]):
            best = (len(mount_point), right.split()[0])
    return best[1] if best else None


def needs_polling(directory: Path) -> bool:
    """True when ``directory`` is on a file system that delivers no change events (a network mount)."""
    return _filesystem_type(directory) in NETWORK_FILESYSTEMS


def changed_paths(targets: Sequence[str], settings: WatchSettings, stop_event: StopEvent | None) -> Iterator[set[str]]:
    """Yield the set of ``targets`` (file paths) that changed after each burst of changes, or an
    empty set after ``idle_ms`` without any.

    Watches the targets' directories, not recursively, so a file replaced by a rename or deleted
    and created again is still seen. The first value comes once the watch is armed. Polls instead
    on a file system that delivers no events (:func:`needs_polling`). Ends when ``stop_event`` is set.
    """
    import watchfiles

    wanted = set(targets)
    directories = sorted({os.path.dirname(target) for target in wanted})
    polling = settings.polling
    if polling is None:
        polling = any(needs_polling(Path(directory)) for directory in directories)
    for changes in watchfiles.watch(
        *directories,
        watch_filter=lambda _change, changed: changed in wanted,
        debounce=settings.debounce_ms,
        step=settings.step_ms,
        stop_event=stop_event,
        rust_timeout=settings.idle_ms,
        yield_on_timeout=True,
        recursive=False,
        force_polling=polling,
        poll_delay_ms=settings.poll_ms,
        ignore_permission_denied=True,
    ):
        yield {changed for _change, changed in changes}


def follow(
    path: Path,
    *,
    after: int | None = None,
    stop_event: StopEvent | None = None,
    settings: WatchSettings | None = None,
    every_tick: bool = False,
    hold_s: float | None = None,
) -> Iterator[Update]:
    """Yield an :class:`Update` for the entries already there after ``after``, then one per change.

    ``hold_s`` is how long, in seconds, a last entry written by hand is held back after the file
    last changed (default ``idle_ms``); 0 delivers it as soon as its last line has ended.

    With ``every_tick``, an update (possibly empty) comes after every look at the file, including
    the idle checks every ``idle_ms``, so the caller can re-check something else (presence) then.

    The first update (possibly empty) comes from reading the file before anything is watched, so a
    caller with something to read already need not wait. Then the watch is armed and the file read
    again. Ends when ``stop_event`` is set (within about ``step_ms``).

    Raises:
        ChannelNotFound, ChannelRefused, ChannelFormatError: the first read fails.
    """
    settings = settings or WatchSettings()
    follower = Follower(path, after, settings.idle_ms / 1000 if hold_s is None else hold_s)
    first = follower.start()
    yield first
    closed = first.closed
    if stop_event is not None and stop_event.is_set():
        return
    for changed in changed_paths([str(path)], settings, stop_event):
        update = follower.refresh(settled=not changed)
        if every_tick or update or update.closed != closed:
            closed = update.closed
            yield update
