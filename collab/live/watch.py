"""Follow a channel as it grows: each newly completed entry, the moment it lands.

Two layers, so the reading logic is testable without a file-system watcher:

- :class:`collab.live.follower.Follower` reads a channel incrementally and delivers each entry once it
  is complete.
- :func:`follow` drives a follower with file-system events (:func:`changed_paths`). The channel's
  *parent directory* is watched, non-recursively, filtered to the channel's path: a watch on the
  file itself goes silent after an atomic save (temp file renamed over the channel) or a
  delete-and-recreate.

On Linux the events come from inotify (:mod:`collab.live.inotify`): the process sleeps until an
event arrives or something is due, so an idle wait costs nothing and a change is read at once.
Where inotify cannot be used, :mod:`watchfiles` watches instead: on file systems without change
events (NFS, SMB, 9p, sshfs: see :data:`NETWORK_FILESYSTEMS`, or ``COLLAB_WATCH_POLLING``) in its
polling mode, every :attr:`WatchSettings.poll_ms` milliseconds; elsewhere with its native events,
checked every :attr:`WatchSettings.step_ms`.

The watcher is armed before the file is read a second time, so an entry landing while the watch is
being set up is never missed.
"""

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol

from collab.live.follower import Follower, Update

__all__ = [
    "Changes",
    "Follower",
    "StopEvent",
    "Update",
    "WatchSettings",
    "changed_paths",
    "follow",
    "needs_polling",
]

#: File-system types (``/proc/self/mountinfo``) that deliver no inotify events for other hosts' writes.
NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "fuse.sshfs", "ceph", "glusterfs", "afs", "lustre", "gpfs"}
)


#: Seconds the file must be unchanged before a last entry written by hand that has a body counts as
#: complete, when :func:`follow` is given no ``hold_s``.
QUICK_S = 0.005


class StopEvent(Protocol):
    """Anything with ``is_set()``, such as :class:`threading.Event` (watchfiles' ``stop_event``).

    One that also has ``next_check()``, returning the :func:`time.monotonic` time (seconds) by
    which ``is_set()`` may have changed (None: only on file events), is asked only then, such as
    :class:`collab.live.turns.Stop`; any other is asked every
    :data:`collab.live.inotify.STOP_CHECK_S` seconds.
    """

    def is_set(self) -> bool: ...


class Changes(NamedTuple):
    """One look the watcher asks for: the ``paths`` (of the targets) that changed, none for a look
    that time asked for; ``settled`` when nothing changed for ``idle_ms`` before it."""

    paths: frozenset[str]
    settled: bool


class WatchSettings(NamedTuple):
    """How :func:`follow` waits for changes; every value in milliseconds.

    ``idle_ms`` is how long after the last change the file is looked at once more, settled (this
    settles a truncate-and-rewrite, reports a vanished file, and delivers a last entry written by
    hand); ``poll_ms`` is the polling interval on file systems without events (``polling`` forces
    polling). With :mod:`watchfiles` only (no inotify): ``step_ms`` is how often its Rust side
    checks for events, ``debounce_ms`` caps how long a burst of events is collected, and the file
    is also looked at after every ``idle_ms`` without events.
    """

    step_ms: int = 50
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


def changed_paths(
    targets: Sequence[str],
    settings: WatchSettings,
    stop_event: StopEvent | None = None,
    wake_at: Callable[[], float | None] = lambda: None,
) -> Iterator[Changes]:
    """Yield a :class:`Changes` for ``targets`` (file paths) on each look the watcher asks for.

    The first comes once the watch is armed. Then one after each burst of changes (the targets
    that changed), one more ``idle_ms`` after the last change (settled), and one (no paths, not
    settled) whenever the time ``wake_at()`` returns (a :func:`time.monotonic` time in seconds;
    None: no such time) has come, which the caller moves on. Ends when ``stop_event`` is set.

    Watches the targets' directories, not recursively, so a file replaced by a rename or deleted
    and created again is still seen. With :mod:`watchfiles` (see the module docstring) a look also
    comes after every ``idle_ms`` without changes, and ``wake_at`` is met only to within that.
    """
    directories = sorted({os.path.dirname(target) for target in targets})
    polling = settings.polling
    if polling is None:
        polling = any(needs_polling(Path(directory)) for directory in directories)
    if not polling and sys.platform == "linux":
        try:
            from collab.live import inotify

            yield from inotify.changes(targets, settings, stop_event, wake_at)
            return
        except (ImportError, OSError):  # no inotify here, or its per-user limits are reached
            pass
    yield from _watchfiles(targets, directories, settings, stop_event, polling)


def _watchfiles(
    targets: Sequence[str],
    directories: list[str],
    settings: WatchSettings,
    stop_event: StopEvent | None,
    polling: bool,
) -> Iterator[Changes]:
    import watchfiles

    wanted = set(targets)
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
        paths = frozenset(changed for _change, changed in changes)
        yield Changes(paths, not paths)


def follow(
    path: Path,
    *,
    after: int | None = None,
    stop_event: StopEvent | None = None,
    settings: WatchSettings | None = None,
    every_tick: bool = False,
    hold_s: float | None = None,
    wake_at: Callable[[], float | None] = lambda: None,
) -> Iterator[Update]:
    """Yield an :class:`Update` for the entries already there after ``after``, then one per change.

    ``hold_s`` is how long, in seconds, a last entry written by hand is held back after the file
    last changed; 0 delivers it as soon as its last line has ended. By default, ``idle_ms`` while
    it is a heading alone, and :data:`QUICK_S` once it has a body
    (:class:`collab.live.follower.Follower`'s ``quick_s``).

    With ``every_tick``, an update (possibly empty) comes after every look at the file, including
    the settled look after a change and the looks at ``wake_at()`` (see :func:`changed_paths`), so
    the caller can re-check something else (presence) then.

    The first update (possibly empty) comes from reading the file before anything is watched, so a
    caller with something to read already need not wait. Then the watch is armed and the file read
    again. Ends when ``stop_event`` is set.

    Raises:
        ChannelNotFound, ChannelRefused, ChannelFormatError: the first read fails.
    """
    settings = settings or WatchSettings()
    if hold_s is None:
        follower = Follower(path, after, settings.idle_ms / 1000, QUICK_S)
    else:
        follower = Follower(path, after, hold_s)
    first = follower.start()
    yield first
    closed = first.closed
    if stop_event is not None and stop_event.is_set():
        return

    def due() -> float | None:
        times = [t for t in (wake_at(), follower.due()) if t is not None]
        return min(times) if times else None

    for look in changed_paths([str(path)], settings, stop_event, due):
        update = follower.refresh(settled=look.settled)
        if every_tick or update or update.closed != closed:
            closed = update.closed
            yield update
