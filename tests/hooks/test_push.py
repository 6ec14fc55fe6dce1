"""Push (contract section 8): the plugin's hooks, run exactly as Claude Code runs them.

Each hook test reads ``plugin/hooks/hooks.json``, takes the event's command, substitutes
``${CLAUDE_PLUGIN_ROOT}`` and runs it with ``sh -c`` and the JSON Claude Code sends on stdin. Session
A's commands carry ``COLLAB_SESSION`` from the file its SessionStart hook wrote, as the Bash tool
would. No test sleeps for a process to be ready: it waits until the hook watches the channel's
directory (its inotify watch, as ``tests/live/test_live.py`` does).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from collab.hooks import hookconfig, sleeper, wake
from collab.live import cursors, presence, seats
from collab.text.format import Entry
from tests import processes
from tests.conftest import TEST_SETTLE, collab_bin, state_dir
from tests.live.test_live import watching

pytestmark = pytest.mark.timeout(60)

PLUGIN = Path(__file__).resolve().parents[2] / "plugin"


def hook_command(event: str) -> str:
    """The command hooks.json gives ``event``, with ``${CLAUDE_PLUGIN_ROOT}`` substituted as Claude Code does."""
    config = json.loads((PLUGIN / "hooks" / "hooks.json").read_text())
    (group,) = config["hooks"][event]
    (handler,) = group["hooks"]
    return handler["command"].replace("${CLAUDE_PLUGIN_ROOT}", str(PLUGIN))


class Session:
    """A Claude Code session in its own project directory, with the key its SessionStart hook exported."""

    def __init__(self, base: Path, name: str, session_id: str, env: dict[str, str]) -> None:
        self.cwd = base / name
        (self.cwd / ".git").mkdir(parents=True)
        self.id = session_id
        env = {k: v for k, v in env.items() if k != "COLLAB_SESSION"}  # the SessionStart hook exports it
        self.env = dict(env, PATH=f"{Path(collab_bin()).parent}{os.pathsep}{env.get('PATH', '')}")
        env_file = base / f"{name}.env"
        started = self.hook("SessionStart", env_file=str(env_file), source="startup")
        assert started.returncode == 0 and started.stdout == "", started.stderr
        sourced = subprocess.run(
            ["sh", "-c", '. "$1" && printf %s "$COLLAB_SESSION"', "sh", str(env_file)],
            capture_output=True,
            text=True,
            check=True,
        )
        self.commands_env = dict(self.env, COLLAB_SESSION=sourced.stdout)

    def payload(self, event: str, **extra: object) -> str:
        document = {
            "session_id": self.id,
            "transcript_path": f"/nowhere/{self.id}.jsonl",
            "cwd": str(self.cwd),
            "permission_mode": "default",
            "hook_event_name": event,
            **extra,
        }
        return json.dumps(document)

    def hook(self, event: str, *, env_file: str | None = None, **extra: object) -> subprocess.CompletedProcess[str]:
        """Run the hook of ``event`` to its end (``env_file`` is Claude Code's CLAUDE_ENV_FILE)."""
        env = dict(self.env, CLAUDE_PLUGIN_ROOT=str(PLUGIN))
        if env_file:
            env["CLAUDE_ENV_FILE"] = env_file
        return subprocess.run(
            ["sh", "-c", hook_command(event)],
            input=self.payload(event, **extra),
            env=env,
            capture_output=True,
            text=True,
            cwd=self.cwd,
            timeout=30,
        )

    def sleep(self) -> subprocess.Popen[str]:
        """Start the Stop hook in the background, as Claude Code does when the session ends a turn."""
        process = subprocess.Popen(
            ["sh", "-c", hook_command("Stop")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=self.cwd,
            env=dict(self.env, CLAUDE_PLUGIN_ROOT=str(PLUGIN)),
        )
        assert process.stdin is not None
        process.stdin.write(self.payload("Stop", stop_hook_active=False, last_assistant_message="Done."))
        process.stdin.close()
        process.stdin = None  # written and closed, as Claude Code does: communicate() must not flush it
        return process

    def collab(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """A collab command run by the session's Bash tool: in its directory, with its COLLAB_SESSION."""
        return subprocess.run(
            [collab_bin(), *args],
            input=stdin,
            env=self.commands_env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=30,
        )

    def waiter(self, path: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [collab_bin(), "wait", path, "--timeout", "30"],
            env=self.commands_env,
            cwd=self.cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )


@pytest.fixture
def sessions(tmp_path: Path, subprocess_env: dict[str, str]) -> tuple[Session, Session, str]:
    """Session A (project `site-a`) with a channel it started, and session B (`site-b`), and the channel's path."""
    a = Session(tmp_path, "site-a", "a1b2c3d4-0000-4000-8000-00000000000a", subprocess_env)
    b = Session(tmp_path, "site-b", "a1b2c3d4-0000-4000-8000-00000000000b", subprocess_env)
    started = a.collab("start", "Align the auth handshake", "--request", "Which version runs?", "--json")
    assert started.returncode == 0, started.stderr
    return a, b, json.loads(started.stdout)["path"]


def until_sleeping(process: subprocess.Popen[str], directory: Path) -> int:
    """Wait (up to 20 s) until the hook started as ``process`` watches ``directory``; return its PID."""
    deadline = time.monotonic() + 20
    while True:
        for pid in processes.family(process.pid):
            if watching(pid, directory):
                return pid
        if process.poll() is not None:
            pytest.fail(f"the hook ended before it slept: {process.stderr.read() if process.stderr else ''}")
        assert time.monotonic() < deadline, "the hook never armed its watch"
        time.sleep(0.01)


def finish(process: subprocess.Popen[str], timeout: float = 20) -> tuple[int, str, float]:
    """The hook's exit code, stderr, and the time (monotonic) it ended; fails if it prints on stdout."""
    out, err = process.communicate(timeout=timeout)
    ended = time.monotonic()
    assert out == "", f"the hook wrote to stdout: {out!r}"
    return process.returncode, err, ended


def stop_all(*started: subprocess.Popen[str] | None) -> None:
    """Kill each process still running and what it started: a hook is ``sh``, its wrapper and
    ``collab hook``, and killing ``sh`` alone would leave the other two sleeping."""
    for process in started:
        if process is not None and process.poll() is None:
            family = processes.family(process.pid)
            processes.kill(family)
            process.wait(10)
            processes.gone(family)


def test_the_checked_in_hooks_json_is_what_the_generator_writes() -> None:
    """plugin/hooks/hooks.json equals hookconfig.render(): regenerate with `python scripts/write_hook_config.py`."""
    assert (PLUGIN / "hooks" / "hooks.json").read_text() == hookconfig.render()


def test_the_hook_config_script_writes_what_render_gives(tmp_path: Path) -> None:
    """scripts/write_hook_config.py ROOT writes ROOT/plugin/hooks/hooks.json from hookconfig.render()."""
    script = PLUGIN.parent / "scripts" / "write_hook_config.py"
    done = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, check=True)
    target = tmp_path / "plugin" / "hooks" / "hooks.json"
    assert done.stdout == f"wrote {target}\n"
    assert target.read_text(encoding="utf-8") == hookconfig.render()


def test_hooks_json_uses_only_documented_fields() -> None:
    """Every handler is a documented command hook; Stop wakes (asyncRewake) with a long explicit timeout,
    and collab's own --timeout ends before it."""
    config = json.loads((PLUGIN / "hooks" / "hooks.json").read_text())
    assert set(config) <= {"description", "hooks"}
    assert set(config["hooks"]) == {"SessionStart", "UserPromptSubmit", "Stop", "SessionEnd"}
    (prompt,) = config["hooks"]["UserPromptSubmit"][0]["hooks"]
    assert prompt["async"] is True  # runs before every prompt: it must never hold one up
    for groups in config["hooks"].values():
        for group in groups:
            assert set(group) <= {"matcher", "hooks"}
            for handler in group["hooks"]:
                assert set(handler) <= {"type", "command", "timeout", "async", "asyncRewake", "statusMessage"}
                assert handler["type"] == "command" and isinstance(handler["timeout"], int)
                assert '"${CLAUDE_PLUGIN_ROOT}/' in handler["command"]  # quoted, as the docs ask of shell form
    (stop,) = config["hooks"]["Stop"][0]["hooks"]
    assert stop["asyncRewake"] is True and stop["timeout"] > 600
    own = float(stop["command"].split("--timeout ", 1)[1])
    assert stop["timeout"] - 120 <= own < stop["timeout"]
    assert os.access(PLUGIN / hookconfig.WRAPPER, os.R_OK)


def test_session_start_exports_the_session_key_quoted(tmp_path: Path, subprocess_env: dict[str, str]) -> None:
    """SessionStart appends `export COLLAB_SESSION=<id>` (shell-quoted) to CLAUDE_ENV_FILE and prints nothing."""
    session = Session(tmp_path, "app", "it's $(not) `run`", subprocess_env)
    assert session.commands_env["COLLAB_SESSION"] == "it's $(not) `run`"
    (tmp_path / "app.env").write_text("export EARLIER=1\n")
    again = session.hook("SessionStart", env_file=str(tmp_path / "app.env"))
    assert again.returncode == 0 and again.stdout == "" and again.stderr == ""
    assert (tmp_path / "app.env").read_text().startswith("export EARLIER=1\nexport COLLAB_SESSION='it'")
    session.env["COLLAB_SESSION"] = "chosen-by-the-person"
    kept = session.hook("SessionStart", env_file=str(tmp_path / "kept.env"))
    assert kept.returncode == 0 and not (tmp_path / "kept.env").exists()


def test_a_waiting_answerer_wakes_the_hook_before_any_quiet_time(sessions) -> None:
    """B answers, then waits (its turn is over): A's Stop hook exits 2 with the body and the reply
    command on stderr, long before a quiet time would have ended B's turn (60 s here: the bound is a
    tenth of it, so a busy machine starting B's wait slowly passes too), and A's next `collab wait`
    has nothing (the hook moved A's cursor)."""
    a, b, path = sessions
    a.env["COLLAB_SETTLE"] = "60"
    hook = a.sleep()
    waiter = None
    try:
        until_sleeping(hook, Path(path).parent)
        assert b.collab("answer", path, "--re", "request:1", "-", stdin="Version 2.1.0 runs here.\n").returncode == 0
        answered = time.monotonic()  # the answer has landed: B now starts its wait, and its turn is over
        waiter = b.waiter(path)
        code, err, ended = finish(hook)
    finally:
        stop_all(hook, waiter)
    assert code == 2, err
    assert ended - answered < 6.0, ended - answered  # B's waiting ended its turn, not the 60 s
    assert "Answer 1 from site-b" in err and "re Request 1" in err and "  Version 2.1.0 runs here." in err
    assert f"collab answer {path} - <<'COLLAB_BODY'" in err and f"collab ask {path}" in err
    assert "end your turn" in err
    again = a.collab("wait", path, "--timeout", "1", "--json")
    assert again.returncode == 3 and json.loads(again.stdout)["entries"] == []


def test_a_sleeping_hook_wakes_only_to_look_at_its_halt_event(sessions) -> None:
    """Nothing landing: the hook's processes (sh and collab) sleep. The only wake-ups are the looks
    at the agent-exit event, every HALT_CHECK_S (voluntary context switches, counted, proc(5))."""
    from collab.live.turns import HALT_CHECK_S
    from tests.live.test_idle import WINDOW, wakeups

    a, _b, path = sessions
    hook = a.sleep()
    try:
        until_sleeping(hook, Path(path).parent)
        family = processes.family(hook.pid)
        before = sum(wakeups(pid) for pid in family)
        time.sleep(WINDOW)  # the window measured: nothing is written meanwhile
        woken = sum(wakeups(pid) for pid in family) - before
        assert hook.poll() is None
    finally:
        stop_all(hook)
    assert woken <= 3 * WINDOW / HALT_CHECK_S, woken  # a 50 ms tick alone would be 60


def test_a_writer_that_never_waits_wakes_the_hook_after_the_settle_time(sessions) -> None:
    """A hand writer that never runs `collab wait`: the hook wakes once the channel has been quiet for
    the settle time (``COLLAB_SETTLE``, 2 s in the tests), not before. Timed from before the write,
    so a slow machine only lengthens it; the upper bound is 15 times the settle time, 15 times the
    median (2.03 s) of what it measures, idle or under ``stress-ng --cpu 2`` on 2 cores."""
    a, _b, path = sessions
    hook = a.sleep()
    try:
        until_sleeping(hook, Path(path).parent)
        before = time.monotonic()
        with open(path, "a") as hand:
            hand.write("\n### Question 1 from site-b\nDo you sign the body?\n")
        code, err, ended = finish(hook, timeout=40)
    finally:
        stop_all(hook)
    assert code == 2, err
    settle = float(TEST_SETTLE)
    assert settle - 0.1 <= ended - before < 15 * settle, ended - before  # a lower bound, and 15x the median (2.03 s)
    assert "Question 1 from site-b" in err and "Do you sign the body?" in err
    assert f"collab answer {path} --re question:1 - <<'COLLAB_BODY'" in err


def test_no_open_channel_exits_at_once(sessions, tmp_path: Path, subprocess_env: dict[str, str]) -> None:
    """A session with no seat, and one whose only channel is closed: exit 0 at once, saying nothing.
    A hook that slept instead would sleep for a day; the bound, 10 s, is far above a busy machine's
    start-up and far below that."""
    a, _b, path = sessions
    elsewhere = Session(tmp_path, "elsewhere", "no-seat-session", subprocess_env)
    assert a.collab("close", path, "Done.").returncode == 0
    for session in (elsewhere, a):
        started = time.monotonic()
        result = session.hook("Stop", stop_hook_active=False)
        elapsed = time.monotonic() - started
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
        assert elapsed < 10, elapsed


def test_one_hook_watches_every_channel_the_session_sits_in(sessions) -> None:
    """A sits in two channels (one started, one joined); news in the second wakes the one hook."""
    a, b, first = sessions
    made = b.collab("start", "A second task", "--json")
    second = json.loads(made.stdout)["path"]
    assert a.collab("join", second, "--as", "site-a").returncode == 0  # a bare join is read-only: no seat
    hook = a.sleep()
    waiter = None
    try:
        until_sleeping(hook, Path(first).parent)
        assert b.collab("ask", second, "Over here?").returncode == 0
        waiter = b.waiter(second)
        code, err, _ended = finish(hook)
    finally:
        stop_all(hook, waiter)
    assert code == 2 and "Over here?" in err and f"collab answer {second} --re question:1" in err
    assert first not in err


def test_a_newer_hook_of_the_session_supersedes_the_older(sessions) -> None:
    """A second Stop hook for the same session_id makes the first exit 0 without firing; the second delivers."""
    a, b, path = sessions
    first = a.sleep()
    second = waiter = None
    try:
        until_sleeping(first, Path(path).parent)
        second = a.sleep()
        code, err, _ended = finish(first)
        assert (code, err) == (0, "")
        until_sleeping(second, Path(path).parent)
        assert b.collab("answer", path, "For the newer one").returncode == 0
        waiter = b.waiter(path)
        code, err, _ended = finish(second)
    finally:
        stop_all(first, second, waiter)
    assert code == 2 and "For the newer one" in err


def test_entries_already_delivered_are_never_delivered_again(sessions) -> None:
    """Run the hook twice: the second sleeps through what the first delivered and wakes only for what is new;
    entries session A wrote itself, meanwhile, never wake it."""
    a, b, path = sessions
    waiter = hook = None
    try:
        assert b.collab("answer", path, "First news").returncode == 0
        waiter = b.waiter(path)
        hook = a.sleep()
        code, err, _ended = finish(hook)
        assert code == 2 and "First news" in err
        hook = a.sleep()
        until_sleeping(hook, Path(path).parent)
        assert a.collab("ask", path, "My own question").returncode == 0
        assert b.collab("answer", path, "Second news").returncode == 0
        code, err, _ended = finish(hook)
    finally:
        stop_all(hook, waiter)
    assert code == 2, err
    assert "Second news" in err and "First news" not in err and "My own question" not in err


def test_what_wait_delivered_the_hook_does_not_deliver_again(sessions) -> None:
    """The other way round: entries A read with `collab wait`, before the hook started or while it slept,
    never wake A's hook; it goes on sleeping and wakes only for what is new."""
    a, b, path = sessions
    hook = waiter = None
    try:
        assert b.collab("answer", path, "Read before").returncode == 0
        read = a.collab("wait", path, "--timeout", "5", "--settle", "0", "--json")
        assert [e["body"] for e in json.loads(read.stdout)["entries"]] == ["Read before"]
        hook = a.sleep()
        until_sleeping(hook, Path(path).parent)
        assert b.collab("answer", path, "Read while it slept").returncode == 0
        read = a.collab("wait", path, "--timeout", "5", "--settle", "0", "--json")
        assert [e["body"] for e in json.loads(read.stdout)["entries"]] == ["Read while it slept"]
        waiter = b.waiter(path)  # B's turn is over: the hook now finds B's answer already read
        assert b.collab("answer", path, "Only this").returncode == 0
        code, err, _ended = finish(hook)
    finally:
        stop_all(hook, waiter)
    assert code == 2 and "Only this" in err
    assert "Read before" not in err and "Read while it slept" not in err


def test_session_end_stops_the_sleeping_hook(sessions) -> None:
    """SessionEnd makes the sleeping hook exit 0 at once, saying nothing, and removes the session's files."""
    a, _b, path = sessions
    hook = a.sleep()
    try:
        until_sleeping(hook, Path(path).parent)
        ended = a.hook("SessionEnd", reason="prompt_input_exit")
        assert ended.returncode == 0 and ended.stdout == ""
        code, err, _ended = finish(hook, timeout=5)
    finally:
        stop_all(hook)
    assert (code, err) == (0, "")
    assert not sleeper.exported(a.id)


def test_a_prompt_makes_the_sleeper_stand_down_and_the_next_stop_delivers(sessions) -> None:
    """The person sends a prompt: the sleeping hook exits 0 and A no longer reads as waiting. What lands
    during that turn is delivered at once by the Stop hook that ends it."""
    a, b, path = sessions
    hook = a.sleep()
    waiter = None
    try:
        until_sleeping(hook, Path(path).parent)
        assert presence.waiting_names(Path(path)) == ["site-a"]
        prompted = a.hook("UserPromptSubmit", prompt="Go on with the build")
        assert (prompted.returncode, prompted.stdout, prompted.stderr) == (0, "", "")
        assert finish(hook, timeout=5)[:2] == (0, "")
        assert presence.waiting_names(Path(path)) == []
        assert b.collab("answer", path, "Landed during the turn").returncode == 0
        waiter = b.waiter(path)
        hook = a.sleep()
        code, err, _ended = finish(hook)
    finally:
        stop_all(hook, waiter)
    assert code == 2 and "Landed during the turn" in err


def test_the_hook_ends_when_the_agent_process_goes_away(sessions) -> None:
    """The agent that ran the hook dies (SIGKILL, no SessionEnd): the sleeping hook exits on its own."""
    a, _b, path = sessions
    agent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys; subprocess.run(['sh', '-c', sys.argv[1]])",
            hook_command("Stop"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=a.cwd,
        env=dict(a.env, CLAUDE_PLUGIN_ROOT=str(PLUGIN)),
    )
    family: list[int] = []
    try:
        assert agent.stdin is not None
        agent.stdin.write(a.payload("Stop"))
        agent.stdin.close()
        agent.stdin = None
        pid = until_sleeping(agent, Path(path).parent)
        family = processes.family(agent.pid)[1:]  # its shells and the hook: the agent itself is reaped below
        exited = os.pidfd_open(pid)
        agent.send_signal(signal.SIGKILL)
        agent.wait(10)
        assert select.select([exited], [], [], 10)[0], "the hook outlived the agent"
        os.close(exited)
    finally:
        stop_all(agent)
        processes.kill(family)  # the shells the agent left, if still on their way out (or the hook, failing)
        processes.gone(family)


def test_a_channel_closed_by_the_other_side_wakes_once_with_the_summary(sessions) -> None:
    """Closed by B while A's hook sleeps: one wake that says so, with the summary; the next hook has nothing."""
    a, b, path = sessions
    hook = a.sleep()
    try:
        until_sleeping(hook, Path(path).parent)
        assert b.collab("close", path, "Both sides run 2.1.0.").returncode == 0
        code, err, _ended = finish(hook)
    finally:
        stop_all(hook)
    assert code == 2 and "The exchange is over: site-b closed the channel" in err and "Both sides run 2.1.0." in err
    assert "collab answer" not in err
    after = a.hook("Stop")
    assert (after.returncode, after.stderr) == (0, "")


@pytest.mark.parametrize(
    "payload",
    ["", "not json", "[1, 2]", '{"hook_event_name": "Stop"}', '{"hook_event_name": "Stop", "session_id": "x\\ny"}',
     '{"hook_event_name": "Stop", "session_id": "s", "cwd": "relative/dir"}', "\udcff"],
)  # fmt: skip
def test_malformed_input_exits_0_with_one_line(payload: str, subprocess_env: dict[str, str]) -> None:
    """Whatever arrives on stdin, the hook never wakes (exit 0), never prints a traceback, never writes stdout."""
    env = dict(subprocess_env, CLAUDE_PLUGIN_ROOT=str(PLUGIN), PATH=f"{Path(collab_bin()).parent}:{os.environ['PATH']}")
    data = payload.encode("utf-8", "surrogateescape")
    result = subprocess.run(["sh", "-c", hook_command("Stop")], input=data, env=env, capture_output=True, timeout=30)
    assert result.returncode == 0 and result.stdout == b""
    assert result.stderr.count(b"\n") == 1 and result.stderr.startswith(b"collab: ")
    assert b"Traceback" not in result.stderr


def test_without_collab_the_wrapper_says_how_to_install_and_never_wakes(tmp_path: Path) -> None:
    """collab missing from PATH: Stop exits 0 with one line on stderr; SessionStart shows it to the person as
    a systemMessage (stdout JSON)."""
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ("sh", "cat"):
        os.symlink(shutil.which(tool), bare / tool)
    env = {"PATH": str(bare), "HOME": str(tmp_path), "CLAUDE_PLUGIN_ROOT": str(PLUGIN)}
    stop = subprocess.run(
        [str(bare / "sh"), "-c", hook_command("Stop")],
        input='{"hook_event_name": "Stop"}',
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert (stop.returncode, stop.stdout) == (0, "")
    assert stop.stderr.count("\n") == 1 and "pipx install" in stop.stderr and "uv tool install" in stop.stderr
    start = subprocess.run(
        [str(bare / "sh"), "-c", hook_command("SessionStart")],
        input='{"hook_event_name": "SessionStart", "session_id": "s"}',
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert start.returncode == 0 and "pipx install" in json.loads(start.stdout)["systemMessage"]


def test_a_collab_too_old_for_hooks_never_wakes_the_session(tmp_path: Path) -> None:
    """A `collab` without the `hook` command exits 2 on it (a usage error), which would wake the session
    after every turn: the Stop hook exits 0 instead, and its last line says to upgrade."""
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ("sh", "cat"):
        os.symlink(shutil.which(tool), bare / tool)
    old = bare / "collab"
    old.write_text("#!/bin/sh\necho \"Error: No such command '$1'.\" >&2\nexit 2\n")
    old.chmod(0o755)
    env = {"PATH": str(bare), "HOME": str(tmp_path), "CLAUDE_PLUGIN_ROOT": str(PLUGIN)}
    stop = subprocess.run(
        [str(bare / "sh"), "-c", hook_command("Stop")],
        input='{"hook_event_name": "Stop"}',
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert (stop.returncode, stop.stdout) == (0, "")
    assert stop.stderr.splitlines()[-1].startswith("collab: ") and "pipx upgrade collab" in stop.stderr


def test_the_hook_gives_up_before_its_timeout(sessions) -> None:
    """`collab hook --timeout S` exits 0, saying nothing, once S seconds pass with nothing to deliver."""
    a, _b, _path = sessions
    started = time.monotonic()
    result = subprocess.run(
        [collab_bin(), "hook", "--timeout", "1"],
        input=a.payload("Stop"),
        env=a.env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert 1.0 <= time.monotonic() - started < 15  # 13x the median (1.16 s on a busy 2-core machine)


def test_seats_find_a_sessions_channels_by_key_and_name(sessions, tmp_path: Path) -> None:
    """holdings() finds the channel where a seat key sits, under its handed-out or explicit name, and only there."""
    a, b, path = sessions
    assert b.collab("join", path, "--as", "bee").returncode == 0
    registry = json.loads(seats.paths.sidecar(Path(path), "seats.json").read_text())
    assert registry["path"] == path
    key_a = next(k for k, v in registry["names"].items() if v == "site-a")
    key_b = next(k for k, v in registry["claimed"].items() if v == "bee")
    assert key_a.endswith(f":{a.id}") and key_b.endswith(f":{b.id}")
    found = {(h.channel, h.name, h.explicit) for h in seats.holdings(lambda key: key in (key_a, key_b))}
    assert found == {(Path(path), "site-a", False), (Path(path), "bee", True)}
    assert seats.holdings(lambda key: key == "nobody") == []


def _entry(index: int, body: str, kind: str = "answer", author: str = "site-b") -> Entry:
    return Entry(kind, index, "2026-06-22T14:02:11Z", author, None, body, index, 0, 0, f"### {kind} {index}")


def test_the_wake_message_is_safe_and_bounded() -> None:
    """Controls in bodies are made visible; past the budget a body is left out with a pointer to `collab show`;
    an explicit name is passed with --as."""
    news = wake.News(
        Path("/tmp/collab-x y.md"),
        "Title\x1b[2J",
        "me too",
        True,
        (_entry(1, "evil \x1b]52;c;Zm9v\x07 body"), _entry(2, "x" * 20_000, "question")),
    )
    text = wake.message([news])
    assert "\x1b" not in text and "\x07" not in text and "␛" in text
    assert "x" * 8_000 not in text and "20000 characters not shown here: `collab show '/tmp/collab-x y.md'`" in text
    assert "collab answer '/tmp/collab-x y.md' --re question:2 --as 'me too' - <<'COLLAB_BODY'" in text


def test_cursor_take_returns_what_was_there_before(channel) -> None:
    """cursors.take moves the cursor forward only, and says where it was: two deliverers split the entries."""
    assert cursors.take(channel.path, "site-a", 3) == 0
    assert cursors.take(channel.path, "site-a", 2) == 3
    assert cursors.load(channel.path, "site-a")[0] == 3


def test_sweep_removes_only_stale_unlocked_hook_files(tmp_path: Path) -> None:
    """Hook files of sessions that ended without SessionEnd go after STALE_AFTER; a sleeping hook's file stays."""
    sleeper.mark_exported("old")
    live = sleeper.Sleeper("live")
    live.announce()
    assert live.acquire(1)
    try:
        later = time.time() + sleeper.STALE_AFTER + 10
        assert sleeper.sweep(now=later) == 1
        assert not sleeper.exported("old") and live.current()
    finally:
        live.close()
    assert sorted(p.name.rsplit(".", 1)[1] for p in state_dir(tmp_path).glob("hook-*")) == ["sleeper"]


def test_without_session_start_the_directorys_seat_is_the_sessions(tmp_path: Path, subprocess_env: dict[str, str]):
    """A Claude Code that gave the session's commands no COLLAB_SESSION: the hook finds the seat of the
    session's directory alone (host and git top level), as those commands did."""
    project = tmp_path / "old-cc"
    (project / ".git").mkdir(parents=True)
    (project / "src").mkdir()
    env = dict(subprocess_env, PATH=f"{Path(collab_bin()).parent}{os.pathsep}{subprocess_env.get('PATH', '')}")
    made = subprocess.run(
        [collab_bin(), "start", "No session key", "--json"],
        env=env,
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    path = json.loads(made.stdout)["path"]
    payload = json.dumps({"session_id": "never-exported", "cwd": str(project / "src"), "hook_event_name": "Stop"})
    env["CLAUDE_PLUGIN_ROOT"] = str(PLUGIN)
    hook = subprocess.Popen(
        ["sh", "-c", hook_command("Stop")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert hook.stdin is not None
    hook.stdin.write(payload)
    hook.stdin.close()
    hook.stdin = None
    try:
        until_sleeping(hook, Path(path).parent)
        with open(path, "a") as hand:
            hand.write("\n### Answer 1 from someone\nHello.\n")
        code, err, _ended = finish(hook)
    finally:
        stop_all(hook)
    assert code == 2 and "Hello." in err and "where you are old-cc" in err


def test_other_events_and_an_unwritable_env_file(tmp_path: Path) -> None:
    """An event collab does not handle is one line and exit 0; a CLAUDE_ENV_FILE that cannot be written is
    exit 1 with one line (never 2, which would wake the session)."""
    from collab.hooks import push

    other = push.run(json.dumps({"hook_event_name": "PreToolUse", "session_id": "s", "cwd": "/"}).encode(), timeout=1)
    assert other == push.Outcome(0, "collab: nothing to do for the hook event PreToolUse")
    start = json.dumps({"hook_event_name": "SessionStart", "session_id": "s", "cwd": "/"}).encode()
    failed = push.run(start, timeout=1, environ={"CLAUDE_ENV_FILE": str(tmp_path / "missing" / "env")})
    assert failed.code == 1 and failed.message.startswith("collab: cannot add COLLAB_SESSION to ")
    assert not sleeper.exported("s")


@pytest.mark.parametrize(("value", "code"), [(None, 2), ("75", 75), ("2", 2), ("1", 2), ("200", 2), ("x", 2)])
def test_the_wake_exit_code_is_2_unless_the_wrapper_asks_for_its_own(monkeypatch, value, code) -> None:
    """`collab hook` alone exits 2 to wake; the plugin's wrapper asks for 75 (3 to 125 accepted) and passes
    only that on as 2, so an older collab's usage error (2) never wakes the session."""
    from collab.cli.push import _wake_exit

    if value is None:
        monkeypatch.delenv("COLLAB_HOOK_WAKE_EXIT", raising=False)
    else:
        monkeypatch.setenv("COLLAB_HOOK_WAKE_EXIT", value)
    assert _wake_exit() == code
