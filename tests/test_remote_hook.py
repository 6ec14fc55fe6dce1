"""The Stop hook sleeps on channels on another host too (contract sections 8 and 10), against the
real test ``sshd`` of :mod:`tests.test_remote`: one ``ssh`` per host, the cursor moved on the host."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import collab_bin
from tests.sshd import Server
from tests.test_remote import _argv, _until, _waiting, collab, env, server, started

__all__ = ["env", "server"]  # the fixtures, used by name

pytestmark = pytest.mark.timeout(180)


def _host_hooks(there: str) -> set[int]:
    """The host side's processes serving a hook of another machine on the channel at ``there``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            argv = _argv(int(entry.name))
            if "--remote-client" in argv and "--host-wait" in argv and there in argv:
                found.add(int(entry.name))
    return found


class _Laptop:
    """A Claude Code session on this machine, in its own project ``app``, with its own session key."""

    def __init__(self, env: dict[str, str], base: Path) -> None:
        self.cwd = base / "laptop" / "app"
        (self.cwd / ".git").mkdir(parents=True)
        self.env = env | {"COLLAB_SESSION": "laptop-session"}

    def collab(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return collab(self.env, *args, stdin=stdin, cwd=self.cwd)

    def sleep(self) -> subprocess.Popen[str]:
        """The Stop hook, started as Claude Code starts it when the session ends a turn."""
        process = subprocess.Popen(
            [collab_bin(), "hook", "--timeout", "150"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=self.cwd,
            env=self.env,
        )
        assert process.stdin is not None
        payload = {"session_id": "laptop-session", "cwd": str(self.cwd), "hook_event_name": "Stop"}
        process.stdin.write(json.dumps(payload))
        process.stdin.close()
        process.stdin = None
        return process


def _stop(*processes: subprocess.Popen[str] | None) -> None:
    for process in processes:
        if process is not None and process.poll() is None:
            process.kill()
        if process is not None:
            process.communicate(timeout=30)


def test_the_stop_hook_wakes_a_session_for_an_entry_on_another_host_once(
    env: dict[str, str], server: Server, tmp_path: Path
) -> None:
    """A session that answered a remote channel ends its turn; its Stop hook sleeps there (the host
    sees it waiting); the host's session writes and waits; the hook exits 2 with the entry and the
    exact reply command naming the ssh:// channel; a later `collab wait` does not deliver it again."""
    url, there = started(env, server)
    laptop = _Laptop(env, tmp_path)
    host_side = server.env | {"COLLAB_SESSION": "host-b"}
    mine = laptop.collab("answer", url, "--re", "request:1", "Version 2.1.0.", "--json")
    assert mine.returncode == 0, mine.stderr
    name = json.loads(mine.stdout)["author"]
    hook = laptop.sleep()
    theirs = None
    try:
        _until(lambda: _waiting(host_side, there, name), limit=60)
        assert _host_hooks(there)
        assert collab(host_side, "ask", there, "--as", "site-b", "Do you sign the body?").returncode == 0
        theirs = subprocess.Popen(
            [collab_bin(), "wait", there, "--as", "site-b", "--timeout", "120"],
            env=host_side, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        out, err = hook.communicate(timeout=120)
    finally:
        _stop(hook, theirs)
    assert hook.returncode == 2, err
    assert out == ""
    assert "Do you sign the body?" in err and "from site-b" in err
    assert f"collab answer {shlex.quote(url)} --re question:1 - <<'COLLAB_BODY'" in err
    assert f"news in the channel {shlex.quote(url)} " in err
    again = laptop.collab("wait", url, "--settle", "0", "--timeout", "1", "--json")
    assert again.returncode == 3, again.stderr
    assert json.loads(again.stdout)["entries"] == []
    _until(lambda: not _host_hooks(there))


def test_a_killed_hook_leaves_nothing_waiting_on_the_host(env: dict[str, str], server: Server, tmp_path: Path) -> None:
    """kill -9 of a Stop hook sleeping on a remote channel: its ssh session ends, and with it the
    host's process and the session's presence there."""
    url, there = started(env, server)
    laptop = _Laptop(env, tmp_path)
    host_side = server.env | {"COLLAB_SESSION": "host-b"}
    mine = laptop.collab("answer", url, "here", "--json")
    assert mine.returncode == 0, mine.stderr
    name = json.loads(mine.stdout)["author"]
    hook = laptop.sleep()
    try:
        _until(lambda: _waiting(host_side, there, name), limit=60)
        assert _host_hooks(there)
        os.kill(hook.pid, signal.SIGKILL)
        hook.communicate(timeout=30)
        _until(lambda: not _host_hooks(there), limit=60)
        assert not _waiting(host_side, there, name)
    finally:
        _stop(hook)
    assert collab(host_side, "answer", there, "--as", "site-b", "after the kill").returncode == 0
    got = laptop.collab("wait", url, "--settle", "0", "--timeout", "30", "--json")
    assert [e["body"].strip() for e in json.loads(got.stdout)["entries"]] == ["after the kill"]


def test_a_session_with_only_closed_remote_channels_is_not_kept_waiting(
    env: dict[str, str], server: Server, tmp_path: Path
) -> None:
    """The hook of a session whose remote channel is closed exits 0 soon, having nothing to wait on."""
    url, _there = started(env, server)
    laptop = _Laptop(env, tmp_path)
    assert laptop.collab("answer", url, "here").returncode == 0
    assert collab(env, "close", url, "--force").returncode == 0
    hook = laptop.sleep()
    try:
        out, err = hook.communicate(timeout=60)
    finally:
        _stop(hook)
    assert hook.returncode == 0 and out == "", err


def test_a_hook_that_stands_down_ends_its_ssh_and_the_hosts_wait(
    env: dict[str, str], server: Server, tmp_path: Path
) -> None:
    """The person sends a prompt (UserPromptSubmit): the sleeping hook exits 0, and its ssh session
    ends with it, so the host's process and the session's presence as waiting go too."""
    url, there = started(env, server)
    laptop = _Laptop(env, tmp_path)
    host_side = server.env | {"COLLAB_SESSION": "host-b"}
    mine = laptop.collab("answer", url, "here", "--json")
    assert mine.returncode == 0, mine.stderr
    name = json.loads(mine.stdout)["author"]
    hook = laptop.sleep()
    try:
        _until(lambda: _waiting(host_side, there, name), limit=60)
        payload = {"session_id": "laptop-session", "cwd": str(laptop.cwd), "hook_event_name": "UserPromptSubmit"}
        assert laptop.collab("hook", stdin=json.dumps(payload)).returncode == 0
        out, err = hook.communicate(timeout=60)
    finally:
        _stop(hook)
    assert hook.returncode == 0 and out == "" and err == "", err
    assert not _host_hooks(there) and not _waiting(host_side, there, name)


def _ssh_of(pid: int) -> int:
    """The one ``ssh`` the hook of process ``pid`` runs (started by one of its threads)."""
    children = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            children |= {int(p) for p in (task / "children").read_text().split()}
    (found,) = [p for p in children if os.path.basename(_argv(p)[0]) == "ssh"]
    return found


@pytest.mark.parametrize("moment", ["waiting", "offered"])
def test_a_hooks_ssh_killed_before_the_ack_is_retried_and_delivers_the_entry_once(
    env: dict[str, str], server: Server, tmp_path: Path, moment: str
) -> None:
    """kill -9 of the hook's ssh while the host waits ("waiting"), or once the host has its news
    ready but the hook, stopped, cannot acknowledge it ("offered"): the host takes nothing, the
    retried connection delivers the host's question exactly once, and a later `collab wait` from
    the session has nothing left."""
    url, there = started(env, server)
    laptop = _Laptop(env, tmp_path)
    host_side = server.env | {"COLLAB_SESSION": "host-b"}
    mine = laptop.collab("answer", url, "--re", "request:1", "Version 2.1.0.", "--json")
    assert mine.returncode == 0, mine.stderr
    name = json.loads(mine.stdout)["author"]
    hook = laptop.sleep()
    theirs = None
    try:
        _until(lambda: _waiting(host_side, there, name), limit=60)
        old, ssh_pid = _host_hooks(there), _ssh_of(hook.pid)
        assert old
        if moment == "offered":
            os.kill(hook.pid, signal.SIGSTOP)  # its ssh carries the offer on; no ack can go back
        else:
            os.kill(ssh_pid, signal.SIGKILL)
            _until(lambda: not (old & _host_hooks(there)), limit=60)
        assert collab(host_side, "ask", there, "--as", "site-b", "Do you sign the body?").returncode == 0
        theirs = subprocess.Popen(
            [collab_bin(), "wait", there, "--as", "site-b", "--timeout", "120"],
            env=host_side, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        if moment == "offered":
            _until(lambda: not _waiting(host_side, there, name), limit=60)  # the host's wait found it
            os.kill(ssh_pid, signal.SIGKILL)
            _until(lambda: not (old & _host_hooks(there)), limit=60)
            os.kill(hook.pid, signal.SIGCONT)
        out, err = hook.communicate(timeout=120)
    finally:
        if hook.poll() is None:
            os.kill(hook.pid, signal.SIGCONT)
        _stop(hook, theirs)
    assert hook.returncode == 2, err
    assert out == ""
    assert err.count("Do you sign the body?") == 1, err
    again = laptop.collab("wait", url, "--settle", "0", "--timeout", "1", "--json")
    assert again.returncode == 3, again.stderr
    assert json.loads(again.stdout)["entries"] == []
    _until(lambda: not _host_hooks(there))
