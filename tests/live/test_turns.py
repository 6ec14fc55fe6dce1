"""Turn-aware wait and presence (contract 6.2)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

from collab.channel import Channel
from collab.live import presence
from tests.conftest import collab_bin
from tests.live.test_live import run, until_armed


def _waiter(channel: Channel, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [collab_bin(), "wait", str(channel.path), "--json", *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_presence_is_held_while_waiting_and_gone_after_sigkill(channel, subprocess_env, runner):
    """A blocked wait shows as waiting in status; SIGKILL takes its presence away at once."""
    channel.answer("hello", author="site-b")
    waiter = _waiter(channel, subprocess_env, "--as", "site-b", "--after", "1", "--timeout", "60")
    try:
        until_armed(waiter.pid, channel.path.parent, waiter)
        assert presence.waiting_names(channel.path) == ["site-b"]
        status = json.loads(run(["status", str(channel.path), "--json"], subprocess_env).stdout)
        assert [(p["name"], p["waiting"]) for p in status["participants"]] == [("site-a", False), ("site-b", True)]
    finally:
        waiter.send_signal(signal.SIGKILL)
        waiter.wait(10)
    assert presence.waiting_names(channel.path) == []
    status = json.loads(run(["status", str(channel.path), "--json"], subprocess_env).stdout)
    assert [(p["name"], p["waiting"]) for p in status["participants"]] == [("site-a", False), ("site-b", False)]


def test_one_wait_returns_a_whole_turn_once_its_writer_waits(channel, subprocess_env):
    """Three answers a second apart come back in one wait, soon after their writer starts waiting:
    well before the 30 s settle time would have ended the turn (at about 29 s from `started`)."""
    waiter = _waiter(channel, subprocess_env, "--as", "site-a", "--settle", "30", "--timeout", "60")
    helper = None
    try:
        until_armed(waiter.pid, channel.path.parent, waiter)
        for n in range(1, 4):
            assert run(["answer", str(channel.path), f"part {n}", "--as", "site-b"], subprocess_env).returncode == 0
            time.sleep(1)  # the writer's pace, as in the acceptance test
        assert waiter.poll() is None, "returned before the writer's turn was over"
        started = time.monotonic()
        helper = _waiter(channel, subprocess_env, "--as", "site-b", "--timeout", "60")
        out, err = waiter.communicate(timeout=30)
        elapsed = time.monotonic() - started
    finally:
        for process in (waiter, helper):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(10)
    assert waiter.returncode == 0, err
    document = json.loads(out)
    assert [e["body"] for e in document["entries"]] == ["part 1", "part 2", "part 3"]
    assert elapsed < 15, elapsed  # 50x the median (0.29 s on a busy 2-core machine); the settle would take 29 s
    assert "site-b" in document["waiting"]


def test_a_writer_that_never_waits_is_settled_by_time(channel, subprocess_env):
    """A hand writer that never waits: its entries come back together, --settle seconds after the last
    (timed from before the last write, so a slow machine can only lengthen it)."""
    waiter = _waiter(channel, subprocess_env, "--as", "site-a", "--settle", "1.5", "--timeout", "60")
    try:
        until_armed(waiter.pid, channel.path.parent, waiter)
        for n in range(1, 4):
            last = time.monotonic()
            with channel.path.open("a") as hand:
                hand.write(f"\n### Answer {n} from site-b\nby hand {n}\n")
            time.sleep(0.4)
        out, err = waiter.communicate(timeout=30)
        elapsed = time.monotonic() - last
    finally:
        if waiter.poll() is None:
            waiter.kill()
            waiter.wait(10)
    assert waiter.returncode == 0, err
    assert [e["body"] for e in json.loads(out)["entries"]] == ["by hand 1", "by hand 2", "by hand 3"]
    assert elapsed >= 1.2, elapsed


def test_settle_zero_returns_on_the_first_entry(channel, subprocess_env):
    """--settle 0 returns as soon as one entry from others is there, as before turns existed."""
    waiter = _waiter(channel, subprocess_env, "--as", "site-a", "--settle", "0", "--timeout", "30")
    try:
        until_armed(waiter.pid, channel.path.parent, waiter)
        channel.answer("first", author="site-b")
        out, err = waiter.communicate(timeout=20)
    finally:
        if waiter.poll() is None:
            waiter.kill()
            waiter.wait(10)
    assert waiter.returncode == 0, err
    assert [e["body"] for e in json.loads(out)["entries"]] == ["first"]


def test_waiting_is_not_left_behind_by_a_wait_that_returned(channel):
    """The presence lock goes with the wait: after `waiting` ends, nobody reads as waiting."""
    with presence.waiting(channel.path, "site-a") as marked:
        assert marked and presence.is_waiting(channel.path, "site-a")
        assert not presence.is_waiting(channel.path, "site-b")
    assert not presence.is_waiting(channel.path, "site-a")
    assert os.path.exists(presence_file := presence.paths.presence_file(channel.path, "site-a"))
    assert oct(os.stat(presence_file).st_mode & 0o777) == "0o600"


def test_every_seated_author_must_have_ended_its_turn(channel):
    """Two seated authors: one waiting is not enough; the reader's own presence never counts; a
    session that ended counts as done (contract 6.2)."""
    from collab.live import seats, sessions
    from collab.live.turns import TurnRule, remaining

    me = sessions.process(os.getpid())
    assert me is not None
    channel.answer("from b", author="site-b")
    channel.answer("from c", author="site-c")
    entries = channel.read().entries
    host = seats.here().host
    writers = {
        1: seats.Writer("site-b", f"{host}:/b:s1", me.ident),
        2: seats.Writer("site-c", f"{host}:/c:s2", me.ident),
    }
    rule = TurnRule(settle=30, quiet=60)
    assert remaining(channel.path, entries, rule, waiter="site-a", writers=writers) > 50
    with presence.waiting(channel.path, "site-b"):
        assert remaining(channel.path, entries, rule, waiter="site-a", writers=writers) > 50  # c has not waited
        with presence.waiting(channel.path, "site-c"):
            assert remaining(channel.path, entries, rule, waiter="site-a", writers=writers) == 0
            assert remaining(channel.path, entries, rule, waiter="site-c", writers=writers) > 50  # c is the reader
    ended = dict(writers)
    ended[2] = seats.Writer("site-c", f"{host}:/c:s2", f"{me.pid}@{me.start + 1}")  # a later process: c ended
    with presence.waiting(channel.path, "site-b"):
        assert remaining(channel.path, entries, rule, waiter="site-a", writers=ended) == 0
    hand = {1: writers[1]}  # entry 2 by hand: the settle time after the last byte
    with presence.waiting(channel.path, "site-b"):
        assert 25 < remaining(channel.path, entries, rule, waiter="site-a", writers=hand) <= 30


def test_the_turn_clock_asks_the_rule_and_the_stop_event_ends_the_watch(channel):
    """TurnClock asks the turn rule and notes when to ask again (a monotonic time, None when nothing
    is waited for); Stop is set at the deadline or once halted, and says when to look at it next."""
    import threading

    from collab.live.turns import HALT_CHECK_S, Stop, TurnClock, TurnRule

    channel.answer("from b, by hand", author="site-b")
    entries = channel.read().entries
    rule, clock = TurnRule(settle=30, quiet=60), TurnClock()
    assert not clock.check(channel.path, [], rule, waiter="site-a")
    assert clock.due is None and not clock.reached()
    before = time.monotonic()
    assert not clock.check(channel.path, entries, rule, waiter="site-a")  # a hand writer: 30 s from its last byte
    assert clock.due is not None and before + 25 < clock.due <= time.monotonic() + 30
    assert not clock.reached() and clock.reached(clock.due)
    assert clock.check(channel.path, entries, TurnRule(settle=0, quiet=0), waiter="site-a") and clock.reached()

    halt = threading.Event()
    stop = Stop(None, halt)
    assert not stop.is_set() and not stop.over()
    assert stop.next_check() is not None and stop.next_check() <= time.monotonic() + HALT_CHECK_S  # type: ignore[operator]
    halt.set()
    assert stop.over() and stop.is_set()
    assert Stop(time.monotonic() - 1).over()
    assert not Stop(time.monotonic() + 60).is_set()
    assert Stop(None).next_check() is None  # nothing to look at by time: only file events wake the watcher
    deadline = time.monotonic() + 60
    assert Stop(deadline).next_check() == deadline


def test_the_clock_asks_again_soon_while_a_seated_writer_has_not_waited(channel):
    """A writer that starts waiting makes no change to the channel: while a seated writer's turn is
    open, the clock comes due within PRESENCE_CHECK_S; once only hand entries are waited for, at
    the settle time."""
    from collab.live.turns import PRESENCE_CHECK_S, TurnClock, TurnRule

    seat = channel.seat("site-b")
    seat.answer("from b, with collab")
    entries = channel.read().entries
    clock = TurnClock()
    before = time.monotonic()
    assert not clock.check(channel.path, entries, TurnRule(settle=30, quiet=60), waiter="site-a")
    assert clock.due is not None and clock.due <= time.monotonic() + PRESENCE_CHECK_S
    with presence.waiting(channel.path, "site-b"):
        assert clock.check(channel.path, entries, TurnRule(settle=30, quiet=60), waiter="site-a")
    by_hand = channel.answer("by hand", author="site-c")
    hand = [e for e in channel.read().entries if e.index == by_hand.index]
    assert not clock.check(channel.path, hand, TurnRule(settle=30, quiet=60), waiter="site-a")
    assert clock.due is not None and clock.due > before + 25
