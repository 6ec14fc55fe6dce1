"""Issue 19: turns at an agent's pace, with the default turn rule (no ``COLLAB_SETTLE``).

An agent writes one entry per tool call, seconds apart, then waits. The other side's ``wait``, and
its hook, must return once for the whole turn, with every entry whole. The scenarios run at the
same time, each on its own channel, so the suite pays for the slowest alone (about 40 s).
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from collab.channel import Channel
from collab.live.turns import DEFAULT_SETTLE
from tests.conftest import collab_bin
from tests.hooks.test_push import Session, finish, stop_all, until_sleeping
from tests.live.test_live import run, until_armed

pytestmark = pytest.mark.timeout(240)


def _channel(directory: Path, name: str) -> Channel:
    directory.mkdir(parents=True, exist_ok=True)
    return Channel.create(f"Paced turn: {name}", author="site-a", requests=["One?"], directory=directory)


def _waiter(path: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [collab_bin(), "wait", str(path), "--json", "--timeout", "180", *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _seated(directory: Path, env: dict[str, str]) -> dict[str, object]:
    """B writes 4 entries with collab, 10 s apart, then waits: A's wait returns once, after B waits."""
    channel = _channel(directory, "seated")
    a = _waiter(channel.path, env, "--as", "site-a")
    b = None
    try:
        until_armed(a.pid, channel.path.parent, a)
        for n in range(1, 5):
            if n > 1:
                time.sleep(10)
            assert run(["answer", str(channel.path), f"part {n}", "--as", "site-b"], env).returncode == 0
        early = a.poll()
        b = _waiter(channel.path, env, "--as", "site-b")
        out, err = a.communicate(timeout=60)
    finally:
        stop_all(a, b)
    return {"early": early, "rc": a.returncode, "bodies": [e["body"] for e in json.loads(out)["entries"]], "err": err}


def _hooked(directory: Path, env: dict[str, str]) -> dict[str, object]:
    """As :func:`_seated`, but A is a Claude Code session whose Stop hook (as hooks.json runs it) sleeps."""
    a = Session(directory, "site-a", "d1b2c3d4-0000-4000-8000-00000000000a", env)
    b = Session(directory, "site-b", "d1b2c3d4-0000-4000-8000-00000000000b", env)
    started = a.collab("start", "Paced turn: hook", "--request", "One?", "--json")
    path = json.loads(started.stdout)["path"]
    hook = a.sleep()
    waiter = None
    try:
        until_sleeping(hook, Path(path).parent)
        for n in range(1, 5):
            if n > 1:
                time.sleep(10)
            assert b.collab("answer", path, f"part {n}").returncode == 0
        early = hook.poll()
        waiter = b.waiter(path)
        code, err, _ended = finish(hook, timeout=60)
    finally:
        stop_all(hook, waiter)
    return {"early": early, "rc": code, "bodies": [f"part {n}" for n in range(1, 5) if f"part {n}" in err], "err": err}


def _hand(directory: Path, env: dict[str, str]) -> dict[str, object]:
    """A hand writer appends 3 entries 3 s apart: one return, the default settle after the last byte."""
    channel = _channel(directory, "hand")
    a = _waiter(channel.path, env, "--as", "site-a")
    try:
        until_armed(a.pid, channel.path.parent, a)
        for n in range(1, 4):
            if n > 1:
                time.sleep(3)
            with open(channel.path, "a") as hand:
                hand.write(f"\n### Answer {n} (2026-11-23T10:00:0{n}Z) from bob\npart {n}\n")
        last = time.monotonic()
        out, err = a.communicate(timeout=DEFAULT_SETTLE + 60)
        took = time.monotonic() - last
    finally:
        stop_all(a)
    bodies = [e["body"] for e in json.loads(out)["entries"]]
    return {"early": None, "rc": a.returncode, "bodies": bodies, "err": err, "took": took}


def _pieces(directory: Path, env: dict[str, str], *extra: str, gap: float = 2.0, lines: int = 3) -> dict[str, object]:
    """A hand entry written a line at a time, ``gap`` seconds apart: delivered once, whole."""
    channel = _channel(directory, "pieces")
    a = _waiter(channel.path, env, "--as", "site-a", *extra)
    try:
        until_armed(a.pid, channel.path.parent, a)
        with open(channel.path, "a") as hand:
            hand.write("\n### Answer 1 (2026-11-23T10:00:00Z) from bob\n")
            hand.flush()
            for n in range(1, lines + 1):
                time.sleep(gap)
                hand.write(f"Step {n}\n")
                hand.flush()
        out, err = a.communicate(timeout=DEFAULT_SETTLE + 60)
    finally:
        stop_all(a)
    return {"early": None, "rc": a.returncode, "bodies": [e["body"] for e in json.loads(out)["entries"]], "err": err}


def test_paced_turns_return_once_whole(tmp_path: Path, subprocess_env: dict[str, str]) -> None:
    env = {k: v for k, v in subprocess_env.items() if k != "COLLAB_SETTLE"}  # the default turn rule
    scenarios: dict[str, Callable[[], dict[str, object]]] = {
        "seated": lambda: _seated(tmp_path / "seated", env),
        "hook": lambda: _hooked(tmp_path / "hook", env),
        "hand": lambda: _hand(tmp_path / "hand", env),
        "pieces": lambda: _pieces(tmp_path / "pieces", env),
        # --settle 3, lines 2 s apart: a settle clock started at the heading would return a stub
        "pieces, short settle": lambda: _pieces(tmp_path / "short", env, "--settle", "3", lines=4),
    }
    results: dict[str, dict[str, object] | BaseException] = {}

    def play(name: str, scenario: Callable[[], dict[str, object]]) -> None:
        try:
            results[name] = scenario()
        except BaseException as exc:  # reported below, in the test's own thread
            results[name] = exc

    threads = [threading.Thread(target=play, args=item) for item in scenarios.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(200)
    for name, result in results.items():
        if isinstance(result, BaseException):
            raise AssertionError(f"{name}: {result!r}") from result
    assert set(results) == set(scenarios)
    got = {name: result for name, result in results.items() if not isinstance(result, BaseException)}
    for name in ("seated", "hook"):
        assert got[name]["early"] is None, f"{name}: returned before the writer waited: {got[name]['err']}"
        assert got[name]["bodies"] == ["part 1", "part 2", "part 3", "part 4"], got[name]
    assert got["seated"]["rc"] == 0 and got["hook"]["rc"] == 2
    assert got["hand"]["rc"] == 0 and got["hand"]["bodies"] == ["part 1", "part 2", "part 3"], got["hand"]
    took = got["hand"]["took"]
    # The default settle after the last byte, not before; after it, the 60 s that _hand's communicate
    # gives (its real bound): 1000x the median of what the wait does beyond its timer (30.03 to 30.06 s
    # in all, idle or on a busy 2-core machine). A machine's load does not lengthen a timer.
    assert isinstance(took, float) and DEFAULT_SETTLE - 1 <= took < DEFAULT_SETTLE + 60, took
    assert got["pieces"]["bodies"] == ["Step 1\nStep 2\nStep 3"], got["pieces"]
    assert got["pieces, short settle"]["bodies"] == ["Step 1\nStep 2\nStep 3\nStep 4"], got["pieces, short settle"]
