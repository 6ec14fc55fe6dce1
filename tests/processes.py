"""The processes a test started, found by PID after it, so that none outlives it (Linux ``/proc``).

A test that fails, or times out, between starting a process and ending it would leave that process
running: a ``collab wait`` for up to its timeout, a hook for a day, a writer appending forever. The
``_end_processes`` fixture in ``conftest.py`` lists the PIDs there are before each test; after it,
any new process that is this one's descendant, or whose environment names the test's own
``tmp_path`` (which every test's ``COLLAB_DIR`` is, so it also finds a process orphaned when the
test killed its parent), is killed with SIGKILL, by PID, and reaped.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path


def pids() -> set[int]:
    """Every PID there is now."""
    return {int(name) for name in os.listdir("/proc") if name.isdigit()}


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return int(stat.read().rpartition(b")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _names(pid: int, marks: tuple[bytes, ...]) -> bool:
    """Whether a value in ``pid``'s environment is a mark or a path under one."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    for variable in environ.split(b"\0"):
        value = variable.partition(b"=")[2]
        if any(value == mark or value.startswith(mark + b"/") for mark in marks):
            return True
    return False


def _descends(pid: int, root: int) -> bool:
    seen = set()
    while pid not in seen and pid > 1:
        seen.add(pid)
        parent = _parent(pid)
        if parent == root:
            return True
        if parent is None:
            return False
        pid = parent
    return False


def left_running(before: set[int], tmp_path: Path) -> list[int]:
    """The processes started since ``before`` (a :func:`pids` set) that still run: this process's
    descendants, and those whose environment names ``tmp_path`` or the test's state directory."""
    me, uid = os.getpid(), os.getuid()
    marks = (os.fsencode(tmp_path), os.fsencode(tmp_path.parent / f"{tmp_path.name}-state"))
    found = []
    for pid in sorted(pids() - before - {me}):
        try:
            if os.stat(f"/proc/{pid}").st_uid != uid or not running(pid):
                continue
        except OSError:
            continue
        if _descends(pid, me) or _names(pid, marks):
            found.append(pid)
    return found


def family(root: int) -> list[int]:
    """``root`` and every process under it, as the process tree stands now."""
    parents = {pid: _parent(pid) for pid in pids()}
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        found.append(pid)
        frontier += [child for child, parent in parents.items() if parent == pid]
    return found


def kill(found: list[int]) -> None:
    """SIGKILL each PID in ``found``: by PID, so a child whose parent died first is killed all the same."""
    for pid in found:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def gone(found: list[int], limit: float = 10.0) -> None:
    """Wait, up to ``limit`` seconds in all, until no PID in ``found`` runs."""
    deadline = time.monotonic() + limit
    for pid in found:
        while running(pid) and time.monotonic() < deadline:
            time.sleep(0.01)


def end(found: list[int]) -> None:
    """Kill each PID in ``found``; reap this process's children among them; wait for the others."""
    me = os.getpid()
    children = {pid for pid in found if _parent(pid) == me}
    kill(found)
    for pid in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    gone([pid for pid in found if pid not in children])


def running(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie, dead and waiting for its parent to reap it, does not)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return False
