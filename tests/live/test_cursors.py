"""Readers' cursors: private, never jammed by another user's file, never hung by a lock, forward only.

The planted-file tests plant files as this user, and as root also hand one to another uid; either
way the cursors file used to sit where the plant is, so each of them failed before the cursors moved
into the private state directory.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from collab.channel import Channel
from collab.errors import ChannelRefused, CollabError
from collab.live import cursors
from collab.store import paths
from tests.conftest import collab_bin, state_dir

pytestmark = pytest.mark.timeout(120)

OTHER_UID = 65534  # nobody: a file owned by someone else, for tests running as root


def run(args: list[str], env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([collab_bin(), *args], env=env, capture_output=True, text=True, timeout=timeout)


@contextmanager
def flocked(path: Path) -> Iterator[None]:
    """Hold ``flock(LOCK_EX)`` on ``path`` from this process, as a writer stopped mid-append would."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def test_cursors_live_in_the_private_state_directory(channel: Channel, tmp_path: Path) -> None:
    """The cursors file and its lock are in the user's 0700 state directory, not beside the channel."""
    before = set(tmp_path.iterdir())
    cursors.advance(channel.path, "site-a", 1)
    assert set(tmp_path.iterdir()) == before
    state = cursors.state_path(channel.path)
    assert state.parent == state_dir(tmp_path)
    assert state.name.startswith("collab-k3x9q2ab-") and state.name.endswith(".cursors.json")
    assert state_dir(tmp_path).stat().st_mode & 0o777 == 0o700
    for path in (state, paths.sidecar(channel.path, "lock")):
        assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("plant", ["file", "symlink", "fifo", "foreign file"])
def test_a_file_planted_beside_the_channel_does_not_jam_wait(
    channel: Channel, tmp_path: Path, subprocess_env: dict[str, str], plant: str
) -> None:
    """Whatever another user plants where the cursors file used to be, `wait` works."""
    if plant == "foreign file" and os.getuid() != 0:
        pytest.skip("handing a file to another user needs root")
    planted = tmp_path / ".collab-k3x9q2ab.cursors.json"
    if plant == "symlink":
        planted.symlink_to(tmp_path / "elsewhere")
    elif plant == "fifo":
        os.mkfifo(planted, 0o666)
    else:
        planted.write_text('{"readers": {"site-a": {"seen": 99}}}')
        if plant == "foreign file":
            os.chown(planted, OTHER_UID, OTHER_UID)
    channel.answer("delivered despite the plant", author="site-b")
    result = run(["wait", str(channel.path), "--as", "site-a", "--timeout", "5"], subprocess_env)
    assert (result.returncode, result.stderr) == (0, "")
    assert "delivered despite the plant" in result.stdout
    again = run(["wait", str(channel.path), "--as", "site-a", "--timeout", "0"], subprocess_env)
    assert again.returncode == 3, "the cursor was saved, so nothing is delivered twice"


def test_a_writer_holding_the_channel_lock_never_blocks_wait(channel: Channel, subprocess_env: dict[str, str]) -> None:
    """A writer stopped while holding the channel's lock does not hang `wait` (it used to block forever).
    The lock timeout is an hour: a wait that took the lock would still be waiting when `run` gives up
    on it (30 s: 15 times the median of the slower wait, 2.03 s on a busy 2-core machine)."""
    channel.answer("landed before the writer stopped", author="site-b")
    env = dict(subprocess_env, COLLAB_LOCK_TIMEOUT="3600")
    with flocked(channel.path):
        result = run(["wait", str(channel.path), "--as", "site-a", "--timeout", "3"], env)
        assert result.returncode == 0, result.stderr
        assert "landed before the writer stopped" in result.stdout
        timed_out = run(["wait", str(channel.path), "--as", "site-a", "--timeout", "1"], env)
        assert timed_out.returncode == 3


def test_a_held_cursors_lock_costs_a_warning_not_a_hang(channel: Channel, subprocess_env: dict[str, str]) -> None:
    """When the cursors lock stays taken, `wait` still delivers within COLLAB_LOCK_TIMEOUT and says so."""
    channel.answer("still delivered", author="site-b")
    env = dict(subprocess_env, COLLAB_LOCK_TIMEOUT="0.5")
    with flocked(paths.sidecar(channel.path, "lock")):
        result = run(["wait", str(channel.path), "--as", "site-a", "--timeout", "5"], env, timeout=20)
        with pytest.raises(CollabError, match=r"locked by another process \(PID \d+\)"):
            cursors.advance(channel.path, "site-a", 1, timeout=0.2)
    assert result.returncode == 0
    assert "still delivered" in result.stdout
    assert result.stderr.startswith("collab: warning: your cursor was not saved")
    assert result.stderr.count("\n") == 1


def test_the_lock_file_is_never_followed_through_a_link(channel: Channel, tmp_path: Path) -> None:
    """A symbolic link where the lock file goes is refused, and nothing is created at its target."""
    lock = paths.sidecar(channel.path, "lock")
    lock.symlink_to(tmp_path / "target")
    with pytest.raises(ChannelRefused, match="lock file"):
        cursors.advance(channel.path, "site-a", 1)
    assert not (tmp_path / "target").exists()


def test_a_cursor_only_moves_forward(channel: Channel) -> None:
    """An older, smaller cursor never overwrites a newer one."""
    assert cursors.advance(channel.path, "site-a", 5) == 5
    assert cursors.advance(channel.path, "site-a", 3) == 5
    assert cursors.load(channel.path, "site-a") == (5, None)


def _expected(writers: int, steps: int) -> dict[str, int]:
    return {f"reader-{w}": steps for w in range(writers)} | {"shared": steps}


def _stored(channel: Channel) -> dict[str, int]:
    readers = json.loads(cursors.state_path(channel.path).read_text())["readers"]
    return {name: state["seen"] for name, state in readers.items()}


def test_threads_racing_to_advance_never_lose_a_cursor(channel: Channel) -> None:
    """Concurrent updates from threads keep every reader's cursor, each at its largest value."""
    writers, steps = 6, 25

    def advance(w: int) -> None:
        for seen in range(1, steps + 1):
            cursors.advance(channel.path, f"reader-{w}", seen)
            cursors.advance(channel.path, "shared", seen)

    threads = [threading.Thread(target=advance, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _stored(channel) == _expected(writers, steps)


RACER = """
import sys
from pathlib import Path
from collab.live import cursors

path, name, steps = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for seen in range(1, steps + 1):
    cursors.advance(path, name, seen)
    cursors.advance(path, "shared", seen)
"""


def test_processes_racing_to_advance_never_lose_a_cursor(channel: Channel, subprocess_env: dict[str, str]) -> None:
    """Concurrent updates from separate processes keep every reader's cursor, each at its largest value."""
    writers, steps = 4, 25
    racers = [
        subprocess.Popen([sys.executable, "-c", RACER, str(channel.path), f"reader-{w}", str(steps)],
                         env=subprocess_env)
        for w in range(writers)
    ]  # fmt: skip
    assert [racer.wait(timeout=60) for racer in racers] == [0] * writers
    assert _stored(channel) == _expected(writers, steps)


def test_an_after_past_the_last_entry_is_refused_and_moves_no_cursor(
    channel: Channel, subprocess_env: dict[str, str]
) -> None:
    """Attack D1: ``--after`` beyond the entries there are is a usage error, whatever its size."""
    channel.answer("one", author="bob")
    for after in ("999999999999999999999", "2"):
        result = run(
            ["wait", str(channel.path), "--after", after, "--timeout", "0.3", "--settle", "0", "--as", "z"],
            subprocess_env,
        )
        assert result.returncode == 2 and "give a count from 0 to 1" in result.stderr
    assert cursors.load(channel.path, "z")[0] == 0


@pytest.mark.parametrize("stale", [5, 10**21])
def test_a_stale_cursor_past_the_end_blinds_no_later_wait(
    channel: Channel, subprocess_env: dict[str, str], stale: int
) -> None:
    """A cursor stored past the last entry (an older collab, a hand edit) is brought back to the end by
    the next wait, and every entry written after that wait reaches the reader, by ``wait`` and by the hook."""
    channel.answer("before", author="bob")
    cursors.advance(channel.path, "z", stale)
    first = run(["wait", str(channel.path), "--as", "z", "--timeout", "0.5", "--settle", "0"], subprocess_env)
    assert first.returncode in (0, 3), first.stderr
    assert cursors.load(channel.path, "z")[0] == 1
    channel.answer("after", author="bob")
    second = run(["wait", str(channel.path), "--as", "z", "--timeout", "5", "--settle", "0", "--json"], subprocess_env)
    assert second.returncode == 0 and [e["body"] for e in json.loads(second.stdout)["entries"]] == ["after"]
    assert cursors.load(channel.path, "z")[0] == 2
    cursors.advance(channel.path, "z", stale)
    assert cursors.take(channel.path, "z", 2, ceiling=2) == 2 and cursors.load(channel.path, "z")[0] == 2
