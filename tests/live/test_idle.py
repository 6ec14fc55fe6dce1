"""Idle costs nothing: a blocked ``wait``, ``watch`` or wake hook sleeps until a file event or a due time.

Each test counts work done, never time: the looks the watcher asks for, the times its loop runs,
or a process's voluntary context switches (each one is the process going back to sleep after a
wake-up, proc(5) ``/proc/PID/task/*/status``). The windows measured are a few seconds; the bounds
are many times what the design needs and many times less than a timer tick would cost.
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from collab.channel import Channel
from collab.live import inotify, watch
from collab.live.turns import Stop
from collab.live.watch import Changes, WatchSettings, changed_paths, follow
from tests.conftest import collab_bin
from tests.live.test_live import until_armed

pytestmark = pytest.mark.timeout(60)

#: The measured window, in seconds.
WINDOW = 3.0


def wakeups(pid: int) -> int:
    """Voluntary context switches of every thread of ``pid`` so far."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            for line in (task / "status").read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def test_an_idle_watch_looks_twice_then_sleeps_until_its_deadline(channel: Channel) -> None:
    """Armed, then one settled look ``idle_ms`` later; then nothing until the stop event's deadline."""
    calls = [0]

    def wake_at() -> float | None:
        calls[0] += 1
        return None

    settings = WatchSettings(idle_ms=50)
    stop = Stop(time.monotonic() + WINDOW)
    looks = list(changed_paths([str(channel.path)], settings, stop, wake_at))
    assert looks == [Changes(frozenset(), False), Changes(frozenset(), True)]
    assert calls[0] <= 10  # the loop ran a handful of times; a 5 ms tick would make it 600


def test_a_change_is_one_look_and_a_settled_look_follows(channel: Channel) -> None:
    settings = WatchSettings(idle_ms=50)
    stop = threading.Event()
    watchdog = threading.Timer(20, stop.set)
    watchdog.start()
    seen: list[Changes] = []
    try:
        for look in changed_paths([str(channel.path)], settings, stop):
            seen.append(look)
            if len(seen) == 2:
                channel.answer("one", author="site-b")
            if len(seen) >= 4 and seen[-1].settled:
                break
    finally:
        watchdog.cancel()
    assert not stop.is_set()
    assert seen[:2] == [Changes(frozenset(), False), Changes(frozenset(), True)]
    changed = [look for look in seen[2:] if look.paths]
    assert changed and all(look.paths == {str(channel.path)} and not look.settled for look in changed)
    assert seen[-1] == Changes(frozenset(), True)


def test_the_time_a_caller_names_brings_one_look(channel: Channel) -> None:
    """``wake_at`` is met with a look (not settled); the watcher sleeps again once it is moved."""
    due = [time.monotonic() + 0.2]
    stop = Stop(time.monotonic() + WINDOW)
    looks = []
    for look in changed_paths([str(channel.path)], WatchSettings(idle_ms=50), stop, lambda: due[0]):
        looks.append(look)
        if not look.settled and len(looks) > 1:
            due[0] = time.monotonic() + 3600
    assert looks == [Changes(frozenset(), False), Changes(frozenset(), True), Changes(frozenset(), False)]


def test_without_inotify_watchfiles_follows(channel: Channel, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where inotify cannot be used (here: it fails to start), watchfiles' native events drive follow."""

    def refused(*_args: object) -> None:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(inotify, "changes", refused)
    stop = threading.Event()
    watchdog = threading.Timer(20, stop.set)
    watchdog.start()
    got: list[str] = []
    try:
        for update in follow(channel.path, stop_event=stop, settings=WatchSettings(step_ms=5, idle_ms=50)):
            got += [e.body for e in update.entries]
            if not got and not update.entries:
                channel.answer("through watchfiles", author="site-b")
            if got:
                break
    finally:
        watchdog.cancel()
    assert got == ["through watchfiles"]
    assert watch.needs_polling(channel.path.parent) is False


def _idle_wakeups(process: subprocess.Popen[bytes], pids: list[int]) -> int:
    before = sum(wakeups(pid) for pid in pids)
    time.sleep(WINDOW)  # the window measured: nothing is written meanwhile
    assert process.poll() is None
    return sum(wakeups(pid) for pid in pids) - before


def test_a_blocked_wait_sleeps(channel: Channel, subprocess_env: dict[str, str]) -> None:
    """A `collab wait` with nothing arriving wakes a few times at most: no timer tick."""
    process = subprocess.Popen(
        [collab_bin(), "wait", str(channel.path), "--as", "site-a", "--timeout", "60"],
        env=subprocess_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        until_armed(process.pid, channel.path.parent, process)  # type: ignore[arg-type]
        assert _idle_wakeups(process, [process.pid]) <= 15  # a 50 ms tick alone would be 60
    finally:
        process.kill()
        process.wait()


def test_a_blocked_watch_sleeps(channel: Channel, subprocess_env: dict[str, str]) -> None:
    process = subprocess.Popen(
        [collab_bin(), "watch", str(channel.path)],
        env=subprocess_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        until_armed(process.pid, channel.path.parent, process)  # type: ignore[arg-type]
        assert _idle_wakeups(process, [process.pid]) <= 15
    finally:
        process.kill()
        process.wait()
