"""Live delivery: the follower, the watchfiles-driven ``follow``, ``wait`` and ``watch``.

No test sleeps "long enough": each either drives the follower step by step, or relies on behaviour
that is correct whatever the start-up time (a wait returns entries landed before it started, too).
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from collab.channel import Channel
from collab.live import cursors
from collab.live.watch import Follower, Update, WatchSettings, follow
from collab.text.grammar import Ref
from tests.conftest import NOW, collab_bin

pytestmark = pytest.mark.timeout(60)

FAST = WatchSettings(step_ms=5, debounce_ms=20, idle_ms=50)


def by_hand(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


def replace(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".save")
    temporary.write_bytes(data)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def watching(pid: int, directory: Path) -> bool:
    """True once process ``pid`` holds an inotify watch on ``directory`` (Linux ``/proc/PID/fdinfo``
    lists each watch with the watched inode in hex, see proc(5))."""
    marker = f" ino:{os.stat(directory).st_ino:x} "
    try:
        for name in os.listdir(f"/proc/{pid}/fdinfo"):
            with open(f"/proc/{pid}/fdinfo/{name}", encoding="ascii", errors="replace") as info:
                if any(line.startswith("inotify wd:") and marker in line for line in info):
                    return True
    except OSError:
        return False
    return False


def until_armed(pid: int, directory: Path, process: subprocess.Popen[str] | None = None) -> None:
    """Wait (up to 20 s) until ``pid`` watches ``directory``: it is really blocked on its watch. A waiter
    ``process`` must still be running."""
    deadline = time.monotonic() + 20
    while not watching(pid, directory):
        assert process is None or process.poll() is None, "the waiter ended before it blocked"
        assert time.monotonic() < deadline, "the waiter never armed its watch"
        time.sleep(0.01)
    assert process is None or process.poll() is None


def labels(updates: list[Update]) -> list[str]:
    return [e.label for u in updates for e in u.entries]


def collect(
    path: Path, action: Callable[[], None], done: Callable[[list[Update]], bool], after: int | None = None
) -> list[Update]:
    """Run ``follow`` until ``done(updates)``; ``action`` runs in a thread once the first read is over."""
    stop = threading.Event()
    watchdog = threading.Timer(20, stop.set)
    watchdog.start()
    updates: list[Update] = []
    try:
        for update in follow(path, after=after, stop_event=stop, settings=FAST):
            updates.append(update)
            if len(updates) == 1:
                threading.Thread(target=action, daemon=True).start()
            if done(updates):
                break
    finally:
        watchdog.cancel()
    assert not stop.is_set(), f"follow gave up waiting; got {labels(updates)} and {[u.notices for u in updates]}"
    return updates


def test_entries_appended_by_hand_and_by_the_library_arrive_in_order(channel: Channel) -> None:
    def action() -> None:
        channel.answer("via the library", author="site-b", re=Ref("request", 1))
        by_hand(channel.path, "\n### Answer 2\nwritten by hand\n")
        channel.ask("and a question?", author="site-b")

    updates = collect(channel.path, action, lambda u: len(labels(u)) == 3)
    entries = [e for u in updates for e in u.entries]
    assert [(e.label, e.body) for e in entries] == [
        ("Answer 1", "via the library"),
        ("Answer 2", "written by hand"),
        ("Question 1", "and a question?"),
    ]
    assert updates[-1].seen == 3
    assert not any(u.notices for u in updates)


def test_a_burst_of_100_entries_in_one_write_is_delivered_whole(channel: Channel) -> None:
    burst = "".join(f"\n### Answer {n} (2026-06-22T14:00:00Z) from bulk\nbody {n}\n" for n in range(1, 101))
    updates = collect(channel.path, lambda: by_hand(channel.path, burst), lambda u: len(labels(u)) >= 100)
    entries = [e for u in updates for e in u.entries]
    assert [e.number for e in entries] == list(range(1, 101))
    assert entries[41].body == "body 42"


def test_existing_entries_are_delivered_first_only_when_asked(channel: Channel) -> None:
    channel.answer("old", author="site-b")
    assert Follower(channel.path).start().entries == ()
    assert [e.body for e in Follower(channel.path, after=0).start().entries] == ["old"]


def test_rename_replace_delivers_only_new_entries(channel: Channel) -> None:
    channel.answer("one", author="site-b")

    def action() -> None:
        replace(channel.path, channel.path.read_bytes() + b"\n### Answer 2\nsaved atomically\n")
        channel.answer("three, after the replace", author="site-b")

    updates = collect(channel.path, action, lambda u: len(labels(u)) >= 2)
    assert labels(updates) == ["Answer 2", "Answer 3"]
    assert not any(u.notices for u in updates)


def test_rename_replace_that_edits_history_is_reported(channel: Channel) -> None:
    channel.answer("the original words", author="site-b")
    edited = channel.path.read_bytes().replace(b"the original words", b"the edited words")

    updates = collect(
        channel.path, lambda: replace(channel.path, edited + b"\n### Answer 2\nnew\n"), lambda u: bool(labels(u))
    )
    assert labels(updates) == ["Answer 2"]
    edited = [u for u in updates if u.edited]  # the hand-written Answer 2 may come in a later update, once settled
    assert len(edited) == 1 and edited[0].notices == ("history was edited: Answer 1 was edited",)


def test_truncate_then_rewrite_is_neither_replayed_nor_reported(channel: Channel) -> None:
    channel.answer("one", author="site-b")
    original = channel.path.read_bytes()
    follower = Follower(channel.path)
    follower.start()
    with open(channel.path, "r+b") as handle:
        handle.truncate(0)
        assert follower.refresh(settled=False) == Update(seen=1)
        handle.write(original + b"\n### Answer 2\nafter the rewrite\n")
    assert follower.refresh(settled=False).entries == ()  # written by hand: held back until settled
    update = follower.refresh(settled=True)
    assert [e.body for e in update.entries] == ["after the rewrite"]
    assert update.notices == () and not update.edited


def test_a_truncated_file_that_stays_short_is_reported_once_settled(channel: Channel) -> None:
    channel.answer("one", author="site-b")
    channel.answer("two", author="site-b")
    follower = Follower(channel.path)
    follower.start()
    data = channel.path.read_bytes()
    with open(channel.path, "r+b") as handle:
        handle.truncate(data.index(b"\n### Answer 2"))
    assert follower.refresh(settled=False).notices == ()
    assert follower.refresh(settled=True).notices == ("history was edited: Answer 2 was removed",)


def test_deleted_and_recreated_file_is_followed_again(channel: Channel) -> None:
    channel.answer("one", author="site-b")
    data = channel.path.read_bytes()
    follower = Follower(channel.path)
    follower.start()
    channel.path.unlink()
    assert follower.refresh(settled=False).notices == ()
    assert "vanished" in follower.refresh(settled=True).notices[0]
    assert follower.refresh(settled=True).notices == ()
    fd = os.open(channel.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, data + b"\n### Answer 2\nback again\n")
    os.close(fd)
    update = follower.refresh(settled=True)
    assert update.notices == ("the channel file is back",)
    assert [e.body for e in update.entries] == ["back again"]


def test_delete_and_recreate_is_seen_by_the_directory_watch(channel: Channel) -> None:
    data = channel.path.read_bytes()

    def action() -> None:
        channel.path.unlink()
        replace(channel.path, data + b"\n### Answer 1\nrecreated\n")

    updates = collect(channel.path, action, lambda u: bool(labels(u)))
    assert labels(updates) == ["Answer 1"]


def test_a_last_line_still_being_written_is_held_back(channel: Channel) -> None:
    """Contract 6.2: a hand entry is delivered whole: not while its last line or the file is unsettled."""
    follower = Follower(channel.path)
    follower.start()
    by_hand(channel.path, "\n### Answer 1\nhalf a li")
    assert follower.refresh(settled=False).entries == ()
    assert follower.refresh(settled=True).entries == ()  # the line has not ended
    by_hand(channel.path, "ne\n")
    assert follower.refresh(settled=False).entries == ()  # the file is still changing
    assert [e.body for e in follower.refresh(settled=True).entries] == ["half a line"]


def test_an_entry_written_heading_first_is_delivered_with_its_body(channel: Channel) -> None:
    """Issue 11: the heading first, the body a moment later: never an empty body, nothing lost."""
    follower = Follower(channel.path)
    follower.start()
    by_hand(channel.path, "\n### Answer 1 (2026-11-23T10:00:00Z) from site-b\n")
    assert follower.refresh(settled=False).entries == ()
    by_hand(channel.path, "the body, a second later\n")
    by_hand(channel.path, "and its second line\n")
    update = follower.refresh(settled=True)
    assert [e.body for e in update.entries] == ["the body, a second later\nand its second line"]
    by_hand(channel.path, "\n### Answer 2\nnext\n")
    update = follower.refresh(settled=True)
    assert [e.label for e in update.entries] == ["Answer 2"] and update.notices == ()


def test_a_hand_entry_without_final_newline_is_delivered_once_its_line_ends(channel: Channel) -> None:
    """Contract 6.2: an unfinished last line is held back, even settled; the next append ends it."""
    follower = Follower(channel.path)
    follower.start()
    by_hand(channel.path, "\n### Answer 1\nno newline at the end")
    assert follower.refresh(settled=False).entries == ()
    assert follower.refresh(settled=True).entries == ()
    entry = channel.answer("next, by collab", author="site-a")
    assert entry.number == 2  # the hand entry's number is counted, never reused
    update = follower.refresh(settled=False)
    assert [(e.label, e.body) for e in update.entries] == [
        ("Answer 1", "no newline at the end"),
        ("Answer 2", "next, by collab"),
    ]


def test_a_hand_entry_with_a_body_needs_only_a_short_quiet(channel: Channel) -> None:
    """With ``quick_s``, a last hand entry whose body has a finished line is complete once the file
    was quiet that long (:meth:`Follower.due` says when); a heading alone waits for the settle."""
    at_once, slow = Follower(channel.path, settle_s=60, quick_s=0), Follower(channel.path, settle_s=60, quick_s=30)
    at_once.start()
    slow.start()
    by_hand(channel.path, "\n### Answer 1 (2026-11-23T10:00:00Z) from site-b\n")
    for follower in (at_once, slow):
        assert follower.refresh(settled=False).entries == () and follower.due() is None  # no body yet
    by_hand(channel.path, "the body\n")
    before = time.monotonic()
    assert [e.body for e in at_once.refresh(settled=False).entries] == ["the body"] and at_once.due() is None
    assert slow.refresh(settled=False).entries == ()
    due = slow.due()
    assert due is not None and before + 25 < due <= time.monotonic() + 30
    channel.path.unlink()  # a look that cannot read the entry leaves nothing due: no busy loop on a past time
    assert slow.refresh(settled=False).entries == () and slow.due() is None


def test_follow_delivers_a_hand_entry_without_waiting_for_the_settled_look(channel: Channel) -> None:
    """The settled look a minute away (idle_ms), a hand entry written whole is still delivered: by
    the short quiet after its event."""
    settings = WatchSettings(idle_ms=60_000)
    stop = threading.Event()
    watchdog = threading.Timer(20, stop.set)
    watchdog.start()
    got: list[str] = []
    try:
        for update in follow(channel.path, stop_event=stop, settings=settings):
            got += [e.body for e in update.entries]
            if got:
                break
            by_hand(channel.path, "\n### Answer 1 (2026-11-23T10:00:00Z) from site-b\nby hand, whole\n")
    finally:
        watchdog.cancel()
    assert got == ["by hand, whole"] and not stop.is_set()


def test_growth_that_also_rewrote_earlier_bytes_is_noticed(channel: Channel) -> None:
    channel.answer("first version", author="site-b")
    follower = Follower(channel.path)
    follower.start()
    data = channel.path.read_bytes().replace(b"first version", b"other version") + b"\n### Answer 2\nmore\n"
    with open(channel.path, "r+b") as handle:
        handle.write(data)
    update = follower.refresh(settled=True)
    assert update.edited and [e.label for e in update.entries] == ["Answer 2"]


def test_entries_arrive_by_file_system_events_not_the_idle_check(
    channel: Channel, subprocess_env: dict[str, str]
) -> None:
    """With the periodic re-check a minute away, an append is still shown at once: by its event."""
    env = dict(subprocess_env, COLLAB_WATCH_IDLE_MS="60000")  # the longest allowed: 60 s
    watcher = subprocess.Popen(
        [collab_bin(), "watch", str(channel.path)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        until_armed(watcher.pid, channel.path.parent, watcher)  # type: ignore[arg-type]
        channel.answer("by event", author="site-b")
        assert b"by event" in _await_line(watcher, b"by event", seconds=20)
    finally:
        watcher.kill()
        watcher.wait()


def test_close_is_reported(channel: Channel) -> None:
    updates = collect(channel.path, lambda: channel.close(author="site-a"), lambda u: u[-1].closed)
    assert updates[-1].closed and labels(updates) == []


def test_settings_come_from_the_environment() -> None:
    settings = WatchSettings.from_env({"COLLAB_WATCH_STEP_MS": "10", "COLLAB_WATCH_POLLING": "1"})
    assert (settings.step_ms, settings.debounce_ms, settings.polling) == (10, 20, True)
    from collab.errors import UsageError

    with pytest.raises(UsageError, match="COLLAB_WATCH_IDLE_MS"):
        WatchSettings.from_env({"COLLAB_WATCH_IDLE_MS": "soon"})


def test_polling_mode_delivers_too(channel: Channel) -> None:
    settings = WatchSettings(step_ms=5, debounce_ms=20, idle_ms=50, poll_ms=30, polling=True)
    stop = threading.Event()
    threading.Timer(20, stop.set).start()
    got: list[str] = []
    for update in follow(channel.path, stop_event=stop, settings=settings):
        got += [e.body for e in update.entries]
        if not got and not update.entries:
            channel.answer("polled", author="site-b")
        if got:
            stop.set()
    assert got == ["polled"]


# --- cursors ------------------------------------------------------------------------------------


def test_cursors_move_forward_only_and_stay_private(channel: Channel) -> None:
    assert cursors.load(channel.path, "site-a") == (0, None)
    assert cursors.advance(channel.path, "site-a", 3, now=NOW) == 3
    assert cursors.advance(channel.path, "site-a", 2, now=NOW) == 3
    assert cursors.advance(channel.path, "site-b", 1, now=NOW) == 1
    assert cursors.load(channel.path, "site-a") == (3, None)
    state = cursors.state_path(channel.path)
    assert state.name.startswith("collab-k3x9q2ab-") and state.name.endswith(".cursors.json")
    assert state.parent != channel.path.parent
    assert state.stat().st_mode & 0o777 == 0o600
    assert json.loads(state.read_text())["readers"]["site-b"]["seen"] == 1


def test_damaged_cursors_start_again_with_a_warning(channel: Channel) -> None:
    cursors.state_path(channel.path).write_text("{not json")
    seen, warning = cursors.load(channel.path, "site-a")
    assert seen == 0 and "unreadable" in (warning or "")
    assert cursors.advance(channel.path, "site-a", 2) == 2


def test_cursors_refuse_a_planted_symlink(channel: Channel, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").write_text("{}")
    cursors.state_path(channel.path).symlink_to(tmp_path / "elsewhere")
    from collab.errors import ChannelRefused

    with pytest.raises(ChannelRefused, match="symbolic link"):
        cursors.load(channel.path, "site-a")


# --- wait (through the installed script) ----------------------------------------------------------


def run(args: list[str], env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([collab_bin(), *args], env=env, capture_output=True, text=True, timeout=timeout)


def wait_json(channel: Channel, env: dict[str, str], *extra: str) -> tuple[int, dict[str, object]]:
    result = run(["wait", str(channel.path), "--json", *extra], env)
    return result.returncode, json.loads(result.stdout)


def bodies(document: dict[str, object]) -> list[str]:
    entries = document["entries"]
    assert isinstance(entries, list)
    return [e["body"] for e in entries]


def test_wait_returns_at_once_when_unseen_entries_exist_then_never_repeats(
    channel: Channel, subprocess_env: dict[str, str]
) -> None:
    channel.answer("one", author="site-b")
    channel.answer("two", author="site-b")
    code, document = wait_json(channel, subprocess_env, "--as", "site-a", "--timeout", "20")
    assert (code, bodies(document), document["timed_out"]) == (0, ["one", "two"], False)
    code, document = wait_json(channel, subprocess_env, "--as", "site-a", "--timeout", "0.2")
    assert (code, bodies(document), document["timed_out"], document["closed"]) == (3, [], True, False)


def test_wait_blocks_until_an_entry_lands(channel: Channel, subprocess_env: dict[str, str]) -> None:
    waiter = subprocess.Popen(
        [collab_bin(), "wait", str(channel.path), "--as", "site-a", "--timeout", "30"],
        env=subprocess_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    until_armed(waiter.pid, channel.path.parent, waiter)  # it blocks: nothing was there when it started
    channel.answer("landed while waiting", author="site-b", re=Ref("request", 2))
    out, err = waiter.communicate(timeout=40)
    assert waiter.returncode == 0, err
    assert (
        out == "Answer 1 from site-b at " + out.split(" at ")[1].split(",")[0] + ", re Request 2\n"
        "  landed while waiting\n"
    )


def test_two_waiters_with_different_names_each_see_everything(channel: Channel, subprocess_env: dict[str, str]) -> None:
    channel.answer("for both", author="site-c")
    assert bodies(wait_json(channel, subprocess_env, "--as", "site-a", "--timeout", "20")[1]) == ["for both"]
    channel.answer("second", author="site-c")
    assert bodies(wait_json(channel, subprocess_env, "--as", "site-b", "--timeout", "20")[1]) == ["for both", "second"]
    assert bodies(wait_json(channel, subprocess_env, "--as", "site-a", "--timeout", "20")[1]) == ["second"]


def test_wait_skips_own_entries_unless_all(channel: Channel, subprocess_env: dict[str, str]) -> None:
    """wait skips the entries this seat wrote through collab, and --all includes them."""
    assert run(["answer", str(channel.path), "mine", "--as", "site-a"], subprocess_env).returncode == 0
    channel.answer("theirs", author="site-b")
    assert bodies(wait_json(channel, subprocess_env, "--as", "site-a", "--timeout", "20")[1]) == ["theirs"]
    assert run(["answer", str(channel.path), "mine again", "--as", "site-a"], subprocess_env).returncode == 0
    code, document = wait_json(channel, subprocess_env, "--as", "site-a", "--timeout", "0")
    assert (code, bodies(document)) == (3, [])
    code, document = wait_json(channel, subprocess_env, "--as", "site-a", "--after", "0", "--all", "--timeout", "0")
    assert (code, bodies(document)) == (0, ["mine", "theirs", "mine again"])


def test_wait_after_k_starts_after_the_kth_entry(channel: Channel, subprocess_env: dict[str, str]) -> None:
    for n in range(1, 5):
        channel.answer(f"answer {n}", author="site-b")
    code, document = wait_json(channel, subprocess_env, "--as", "site-a", "--after", "2", "--timeout", "5")
    assert (code, bodies(document)) == (0, ["answer 3", "answer 4"])
    assert [e["index"] for e in document["entries"]] == [3, 4]  # type: ignore[index,union-attr]


def test_wait_timeout_exits_3_with_one_line(channel: Channel, subprocess_env: dict[str, str]) -> None:
    result = run(["wait", str(channel.path), "--as", "site-a", "--timeout", "0.3"], subprocess_env)
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "timed out" in result.stderr


def test_close_wakes_every_waiter(channel: Channel, subprocess_env: dict[str, str]) -> None:
    waiters = [
        subprocess.Popen(
            [collab_bin(), "wait", str(channel.path), "--json", "--as", name, "--timeout", "30"],
            env=subprocess_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("site-a", "site-b")
    ]
    for waiter in waiters:
        until_armed(waiter.pid, channel.path.parent, waiter)
    channel.close(author="site-a")
    for waiter in waiters:
        out, err = waiter.communicate(timeout=40)
        assert waiter.returncode == 0, err
        closing = {"timestamp": channel.read().closed.timestamp, "author": "site-a", "summary": None}
        found = json.loads(out)
        assert found.pop("waiting") in ([], ["site-a"], ["site-b"], ["site-a", "site-b"])
        assert found == {"entries": [], "closed": True, "closing": closing, "timed_out": False, "read": []}


def test_wait_reports_history_edited_while_waiting_as_exit_4(channel: Channel, subprocess_env: dict[str, str]) -> None:
    channel.answer("original", author="site-b")
    run(["wait", str(channel.path), "--as", "site-a", "--timeout", "5"], subprocess_env)
    waiter = subprocess.Popen(
        [collab_bin(), "wait", str(channel.path), "--as", "site-a", "--timeout", "30"],
        env=subprocess_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    original = channel.path.read_bytes()
    for attempt in range(60):
        replace(channel.path, original.replace(b"original", f"rewritten {attempt}".encode()))
        if _wait_for_exit(waiter, 0.5):
            break
    _out, err = waiter.communicate(timeout=10)
    assert waiter.returncode == 4, err
    assert err.startswith("collab: history was edited: Answer 1 ")


def test_wait_and_watch_started_on_an_edited_channel_say_so(channel: Channel, subprocess_env: dict[str, str]) -> None:
    channel.answer("original", author="site-b")
    replace(channel.path, channel.path.read_bytes().replace(b"original", b"rewritten"))
    waited = run(["wait", str(channel.path), "--as", "site-a", "--timeout", "5"], subprocess_env)
    assert waited.returncode == 4
    assert waited.stderr == (
        f"collab: history was edited: Answer 1 body edited: run `collab verify {channel.path}` to see what changed\n"
    )
    assert run(["wait", str(channel.path), "--as", "site-a", "--timeout", "0"], subprocess_env).returncode == 4
    watcher = subprocess.Popen(
        [collab_bin(), "watch", str(channel.path), "--from-start"],
        env=subprocess_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        notices = _await_line(watcher, b"watching", "stderr").decode()
        assert f"history was edited: Answer 1 body edited (see `collab verify {channel.path}`)" in notices
        assert notices.index("history was edited") < notices.index("watching")
        assert b"rewritten" in _await_line(watcher, b"rewritten")
    finally:
        watcher.kill()
        watcher.wait()


def _wait_for_exit(process: subprocess.Popen[str], seconds: float) -> bool:
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


def test_wait_usage_errors(channel: Channel, subprocess_env: dict[str, str]) -> None:
    assert run(["wait", str(channel.path), "--timeout", "-1"], subprocess_env).returncode == 2
    missing = run(["wait", "nosuchid1", "--timeout", "1"], subprocess_env)
    assert missing.returncode == 1 and missing.stderr.startswith("collab: no channel at")


# --- watch ------------------------------------------------------------------------------------------


def _await_line(process: subprocess.Popen[bytes], needle: bytes, stream: str = "stdout", seconds: float = 30) -> bytes:
    """Read ``stream`` of ``process`` until a line containing ``needle`` (bytes so far returned)."""
    handle = process.stdout if stream == "stdout" else process.stderr
    assert handle is not None
    seen = b""
    deadline = time.monotonic() + seconds
    while needle not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"never saw {needle!r}; got {seen!r}"
        ready, _, _ = select.select([handle], [], [], remaining)
        if ready:
            chunk = os.read(handle.fileno(), 65536)
            assert chunk, f"stream ended before {needle!r}; got {seen!r}"
            seen += chunk
    return seen


@pytest.fixture
def watcher(channel: Channel, subprocess_env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    env = dict(subprocess_env, COLLAB_WATCH_IDLE_MS="50")
    process = subprocess.Popen(
        [collab_bin(), "watch", str(channel.path), "--from-start"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _await_line(process, b"watching", "stderr")
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_watch_streams_plain_entries_and_notices_when_piped(
    channel: Channel, watcher: subprocess.Popen[bytes], subprocess_env: dict[str, str]
) -> None:
    answered = run(
        ["answer", str(channel.path), "**bold** text and `code`", "--re", "request:1", "--as", "site-b"], subprocess_env
    )
    assert answered.returncode == 0, answered.stderr
    out = _await_line(watcher, b"code")
    assert b"Answer 1 from site-b at " in out and b"  **bold** text and `code`\n" in out
    assert b"\x1b[" not in out
    edited = channel.path.read_bytes().replace(b"bold", b"BOLD") + b"\n### Answer 2\nafter an edit\n"
    replace(channel.path, edited)
    assert b"after an edit" in _await_line(watcher, b"after an edit")
    assert b"history was edited: Answer 1 was edited" in _await_line(watcher, b"edited", "stderr")


def test_watch_ctrl_c_exits_0_without_a_traceback(watcher: subprocess.Popen[bytes]) -> None:
    watcher.send_signal(signal.SIGINT)
    _out, err = watcher.communicate(timeout=20)
    assert watcher.returncode == 0
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err


def test_wait_ctrl_c_exits_130_without_a_traceback(channel: Channel, subprocess_env: dict[str, str]) -> None:
    process = subprocess.Popen(
        [collab_bin(), "wait", str(channel.path), "--as", "site-a"],
        env=subprocess_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    until_armed(process.pid, channel.path.parent, process)  # type: ignore[arg-type]
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=20)
    assert process.returncode == 130
    assert err == b"collab: interrupted\n"


@pytest.mark.parametrize("polling", ["0", "1"])
def test_a_blocked_wait_ends_on_sigint_and_sighup(
    channel: Channel, subprocess_env: dict[str, str], polling: str
) -> None:
    """Asleep on its watch (inotify, or watchfiles when polling), wait takes Ctrl+C (exit 130) and
    SIGHUP (the SSH session of a remote wait ended: the process ends, and its presence with it)."""
    env = dict(subprocess_env, COLLAB_WATCH_POLLING=polling)
    for sent, code in ((signal.SIGINT, 130), (signal.SIGHUP, -signal.SIGHUP)):
        process = subprocess.Popen(
            [collab_bin(), "wait", str(channel.path), "--as", "site-a", "--timeout", "60"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            if polling == "0":
                until_armed(process.pid, channel.path.parent, process)  # type: ignore[arg-type]
            else:
                _until_waiting(channel, process)
            process.send_signal(sent)
            process.communicate(timeout=20)
        finally:
            process.kill()
            process.wait()
        assert process.returncode == code


def _until_waiting(channel: Channel, process: subprocess.Popen[bytes]) -> None:
    """Wait (up to 20 s) until the waiter holds its presence (it is then about to watch, or watching)."""
    from collab.live import presence

    deadline = time.monotonic() + 20
    while not presence.is_waiting(channel.path, "site-a"):
        assert process.poll() is None and time.monotonic() < deadline, "the waiter never waited"
        time.sleep(0.01)


def test_watch_on_a_terminal_renders_markdown_and_keeps_control_sequences_inert(
    channel: Channel, subprocess_env: dict[str, str]
) -> None:
    import pty

    master, slave = pty.openpty()
    env = dict(subprocess_env, COLLAB_WATCH_IDLE_MS="50", COLUMNS="100", TERM="xterm-256color")
    process = subprocess.Popen(
        [collab_bin(), "watch", str(channel.path)], env=env, stdin=slave, stdout=slave, stderr=slave
    )
    os.close(slave)
    try:
        screen = _read_pty(master, b"Ctrl+C to stop")
        with pytest.warns(UserWarning, match="held terminal control characters"):
            channel.answer("# Title\n\n- **item** [bold]x[/bold]\n\x1b]52;c;aGk=\x07\x1b[2J end", author="site-b")
        screen += _read_pty(master, b"end")
        assert b"Answer 1 from site-b" in screen
        assert b"\x1b[1m" in screen  # rich styles the entry on a terminal
        assert b"[bold]x[/bold]" in screen  # console markup from a body is shown, not interpreted
        assert b"\x1b]52" not in screen and b"\x1b[2J" not in screen
        process.send_signal(signal.SIGINT)
        assert process.wait(20) == 0
        assert b"Traceback" not in screen + _read_pty(master, b"stopped")
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)


def _read_pty(master: int, needle: bytes, seconds: float = 30) -> bytes:
    seen = b""
    deadline = time.monotonic() + seconds
    while needle not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"never saw {needle!r}; got {seen!r}"
        ready, _, _ = select.select([master], [], [], remaining)
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
    return seen


def test_a_half_written_append_is_never_delivered(channel: Channel) -> None:
    from collab.ledger import journal, wal

    follower = Follower(channel.path)
    follower.start()
    ledger = journal.load(channel.path)
    assert isinstance(ledger, journal.Ledger)
    payload = b"\n### Answer 1 (2026-06-22T14:10:00Z) from site-b\nfirst line\nsecond line\n"
    wal.intend(ledger, channel.path.stat().st_size, payload)
    by_hand(channel.path, payload[:-7].decode())  # the writer died after "first line\nsecond"
    assert follower.refresh(settled=True).entries == ()
    with pytest.warns(wal.LedgerWarning, match="rolled back"):
        channel.answer("the next writer", author="site-a")
    assert [e.body for e in follower.refresh(settled=False).entries] == ["the next writer"]


def test_a_follower_starting_during_an_append_delivers_it_only_once_whole(channel: Channel) -> None:
    from collab.ledger import journal, wal

    channel.answer("already there", author="site-b")
    ledger = journal.load(channel.path)
    assert isinstance(ledger, journal.Ledger)
    payload = b"\n### Answer 2 (2026-06-22T14:10:00Z) from site-b\nfirst line\nsecond line\n"
    wal.intend(ledger, channel.path.stat().st_size, payload)
    by_hand(channel.path, payload[:30].decode())  # the writer is part-way through its write()
    follower = Follower(channel.path, after=0)
    first = follower.start()
    assert [e.body for e in first.entries] == ["already there"] and first.seen == 1
    offset = channel.path.stat().st_size - 30
    by_hand(channel.path, payload[30:].decode())
    wal.accept(ledger, channel.path.read_bytes(), (offset, offset + len(payload)))
    assert [e.body for e in follower.refresh(settled=False).entries] == ["first line\nsecond line"]


def test_a_repair_is_reported_as_history_restored(channel: Channel) -> None:
    channel.answer("the original words", author="site-b")
    follower = Follower(channel.path)
    follower.start()
    accepted = channel.path.read_bytes()
    replace(channel.path, accepted.replace(b"original", b"edited"))
    assert follower.refresh(settled=True).edited
    assert channel.repair().repaired
    update = follower.refresh(settled=True)
    assert update.notices == ("the history changed back to what the ledger accepted",) and not update.edited


def test_watch_exits_0_once_the_channel_is_closed_and_everything_is_shown(
    channel: Channel, subprocess_env: dict[str, str]
) -> None:
    """`collab watch ID | tee log` ends with the exchange, and its outcome is the last thing on stdout."""
    watcher = subprocess.Popen(
        [collab_bin(), "watch", str(channel.path)], env=subprocess_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        until_armed(watcher.pid, channel.path.parent, watcher)  # type: ignore[arg-type]
        channel.answer("the last word", author="site-b")
        channel.close(author="site-a", summary="done and agreed")
        out, err = watcher.communicate(timeout=30)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()
    assert watcher.returncode == 0
    assert b"the last word" in out and out.rstrip().endswith(b"Outcome:\n  done and agreed")
    assert b"the channel is closed" in err and b"Traceback" not in err


def test_watch_on_a_channel_closed_already_shows_it_and_exits(channel: Channel, subprocess_env: dict[str, str]) -> None:
    channel.answer("before the end", author="site-b")
    channel.close(author="site-a")
    done = subprocess.run(
        [collab_bin(), "watch", str(channel.path), "--from-start"], env=subprocess_env, capture_output=True, timeout=30
    )
    assert done.returncode == 0 and b"before the end" in done.stdout and b"closed" in done.stderr


@pytest.mark.parametrize("as_json", [False, True])
def test_wait_on_a_terminal_says_what_it_waits_for_and_clears_it(
    channel: Channel, subprocess_env: dict[str, str], as_json: bool
) -> None:
    """Issue 14: one dim line on stderr while `wait` blocks on a terminal, erased when it returns;
    none under --json, and none on stdout."""
    import pty

    master, slave = pty.openpty()
    args = [collab_bin(), "wait", str(channel.path), "--timeout", "0.5", "--as", "site-a"]
    process = subprocess.Popen(
        args + (["--json"] if as_json else []),
        env=subprocess_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    try:
        out, _ = process.communicate(timeout=30)
        screen = b""
        while select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    assert process.returncode == 3
    assert b"for the others' turn" not in out
    if as_json:
        assert b"waiting for up to" not in screen
    else:
        assert b"\x1b[2mcollab: waiting for up to 0.5 s" in screen
        assert screen.index(b"\r\x1b[2K") > screen.index(b"waiting for up to")
