"""At most one sleeping wake hook per agent session: ownership by ``flock``, superseding by a token.

Claude Code starts a new hook process every time a session ends a turn and does not deduplicate
background hooks (hooks reference, "Run hooks in the background": "Each execution creates a
separate background process"), so collab supersedes older sleepers itself. Two files per session
live in the private state directory (:func:`collab.store.paths.state_dir`), named by a digest of the
session id so that no id can steer a path:

- ``hook-<digest>.sleeper`` holds the token of the newest hook of the session. The hook that
  sleeps holds ``flock(LOCK_EX)`` on it. A new hook writes its own token into the file *first*,
  then takes the lock: the sleeper watches the file (beside its channels, with the same watcher),
  sees a token that is not its own, or the file gone, and stops without delivering anything, which
  frees the lock. Ownership is the lock, which the kernel drops with the process (SIGKILL
  included), so a stale pidfile can never block or fool a new hook; the token only says who is
  newest. ``UserPromptSubmit`` (the session is busy again) and ``SessionEnd`` remove the file,
  which stops the sleeper the same way.
- ``hook-<digest>.session`` exists while the session's commands carry ``COLLAB_SESSION`` (the
  ``SessionStart`` hook exported it through ``CLAUDE_ENV_FILE``), so the hook knows which seat key
  the session's own commands use.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import select
import threading
import time
from pathlib import Path

from collab.errors import ChannelNotFound, ChannelRefused, CollabError
from collab.live import sessions
from collab.store import files, paths

_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_PREFIX = "hook-"
#: Hook files untouched for this long, and not locked, are removed by :func:`sweep` (seconds).
STALE_AFTER = 30 * 86400


def _base(session_id: str, *, create: bool = False) -> Path:
    digest = hashlib.sha256(session_id.encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return paths.state_dir(create=create) / f"{_PREFIX}{digest}"


class Sleeper:
    """This process's claim to be the one hook sleeping for ``session_id``.

    Call :meth:`announce`, then :meth:`acquire`; while sleeping, :meth:`current` says whether this
    hook is still the newest. :attr:`path` is the file to watch. :meth:`close` lets go.
    """

    def __init__(self, session_id: str) -> None:
        self.path = _base(session_id).with_suffix(".sleeper")
        self.token = secrets.token_hex(16).encode()
        self._fd: int | None = None

    def announce(self) -> None:
        """Write this hook's token into the session's sleeper file: any older sleeper stops.

        Raises:
            ChannelRefused: the file is not a private regular file of this user.
        """
        paths.state_dir()  # created (mode 0700) if it is not there yet
        try:
            fd = os.open(self.path, _FLAGS, 0o600)
        except OSError as exc:
            raise ChannelRefused(f"cannot open collab's hook file {self.path}: {exc.strerror}") from None
        try:
            files.check_fd(fd, self.path)
            os.pwrite(fd, self.token, 0)
            os.ftruncate(fd, len(self.token))
        except (OSError, CollabError):
            os.close(fd)
            raise ChannelRefused(f"collab's hook file {self.path} cannot be used: remove it") from None
        self._fd = fd

    def acquire(self, timeout: float) -> bool:
        """Take the session's lock within ``timeout`` seconds; False when a newer hook took over meanwhile.

        Raises:
            LockTimeout: an older hook did not let go in time (it is stopped or stuck).
        """
        assert self._fd is not None, "announce() first"
        files.acquire(self._fd, self.path, timeout)
        return files.still_names(self._fd, self.path) and self.current()

    def current(self) -> bool:
        """True while the sleeper file exists and holds this hook's token."""
        try:
            return files.read_checked(self.path)[: len(self.token) + 1] == self.token
        except (ChannelNotFound, ChannelRefused):
            return False

    def close(self) -> None:
        """Let go of the file (and the lock, if held)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def mark_exported(session_id: str) -> None:
    """Record that the commands of ``session_id`` carry ``COLLAB_SESSION=<session_id>``."""
    path = _base(session_id, create=True).with_suffix(".session")
    files.replace_atomic(path, session_id.encode("utf-8", "surrogateescape"))


def exported(session_id: str) -> bool:
    """True when :func:`mark_exported` was called for ``session_id`` and the session has not ended."""
    try:
        return os.path.lexists(_base(session_id).with_suffix(".session"))
    except CollabError:
        return False


def stand_down(session_id: str) -> None:
    """The session is busy again (the person sent a prompt): its sleeping hook stops, so the session
    does not read as waiting while it works; the hook of its next Stop takes over."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(_base(session_id).with_suffix(".sleeper"))


def end(session_id: str) -> None:
    """The session ended: remove its files, which stops its sleeping hook."""
    base = _base(session_id)
    for path in (base.with_suffix(".sleeper"), base.with_suffix(".session")):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def sweep(now: float | None = None) -> int:
    """Remove the hook files of sessions that ended without a ``SessionEnd`` (older than
    :data:`STALE_AFTER`, and not locked by a sleeping hook); return how many went."""
    moment = time.time() if now is None else now
    removed = 0
    try:
        entries = list(os.scandir(paths.state_dir(create=False)))
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith(_PREFIX) or not entry.name.endswith((".sleeper", ".session")):
            continue
        try:
            if moment - entry.stat(follow_symlinks=False).st_mtime < STALE_AFTER or _locked(Path(entry.path)):
                continue
            os.unlink(entry.path)
            removed += 1
        except OSError:
            continue
    return removed


def _locked(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        return bool(files.lock_holders(fd))
    finally:
        os.close(fd)


def on_agent_exit(halt: threading.Event) -> bool:
    """Set ``halt`` once the agent session that ran the hook ends; False where that cannot be watched.

    The processes watched are the hook's parent up to the session's process
    (:func:`collab.live.sessions.lineage`: Claude Code runs a command hook through ``sh -c``).

    Each process is watched through a pidfd (Linux 5.3 and later), which becomes readable when the
    process exits and cannot be confused with a later process that reuses its PID. One daemon
    thread blocks in ``poll`` on them: no polling loop.
    """
    descriptors = []
    for proc in sessions.lineage():
        try:
            descriptors.append(os.pidfd_open(proc.pid))
        except (OSError, AttributeError):
            continue
    if not descriptors:
        return False

    def watch() -> None:
        poller = select.poll()
        for fd in descriptors:
            poller.register(fd, select.POLLIN)
        poller.poll()
        halt.set()

    threading.Thread(target=watch, name="collab-agent-exit", daemon=True).start()
    return True
