"""Issue 19: sessions get seats with nothing to configure, and each hears the other.

Each session here is a separate long-lived process (tests/agent_process.py) that runs each collab
command as its own child, through ``sh -c`` or ``bash -c``, some in a new session through
``setsid``, as an agent CLI does; or an interactive shell on a pseudo-terminal, as a person's
terminal is. No ``--as``, ``COLLAB_AS`` or ``COLLAB_SESSION`` is set anywhere.
"""

from __future__ import annotations

import json
import os
import pty
import select
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from collab import config
from collab.live import sessions
from collab.store import paths
from tests.conftest import collab_bin
from tests.live.test_live import until_armed

pytestmark = pytest.mark.timeout(120)
HELPER = Path(__file__).resolve().parents[1] / "agent_process.py"


class Agent:
    """One agent session: a process that runs commands as its children, in ``cwd``."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        cwd.mkdir(parents=True, exist_ok=True)
        self.cwd = cwd
        self.process = subprocess.Popen(
            [sys.executable, str(HELPER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=cwd, env=env
        )

    def _ask(self, request: dict[str, object]) -> dict[str, object]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer: dict[str, object] = json.loads(self.process.stdout.readline())
        return answer

    def run(self, *args: str, setsid: bool = False, shell: str = "sh", stdin: str | None = None) -> dict[str, object]:
        """Run ``collab ARGS`` as a child, to its end: ``{"rc", "out", "err"}``."""
        command = shlex.join([collab_bin(), *args]) + (f" <<'EOF'\n{stdin}\nEOF" if stdin is not None else "")
        return self._ask({"run": command, "setsid": setsid, "shell": shell})

    def json(self, *args: str, **how: object) -> dict[str, object]:
        done = self.run(*args, "--json", **how)  # type: ignore[arg-type]
        assert done["rc"] == 0, done["err"]
        return json.loads(str(done["out"]))  # type: ignore[no-any-return]

    def start(self, key: str, *args: str, setsid: bool = False) -> None:
        """Start ``collab ARGS`` as a child in the background."""
        self._ask({"run": shlex.join([collab_bin(), *args]), "background": key, "setsid": setsid})

    def collect(self, key: str) -> dict[str, object]:
        return self._ask({"collect": key})

    def end(self) -> None:
        """End the session: its process and what it started."""
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def session_env(subprocess_env: dict[str, str]) -> dict[str, str]:
    """The tests' environment without a session key: collab must tell the sessions apart itself."""
    return {k: v for k, v in subprocess_env.items() if k not in ("COLLAB_SESSION", "COLLAB_AS")}


@pytest.fixture
def agents(session_env: dict[str, str]):
    started: list[Agent] = []

    def make(cwd: Path) -> Agent:
        started.append(Agent(cwd, session_env))
        return started[-1]

    yield make
    for agent in started:
        agent.end()


def _exchange(a: Agent, b: Agent) -> tuple[str, str, dict[str, object]]:
    """A starts, B answers and waits, A's wait returns B's answer, A answers and waits, B's wait
    returns it. Returns A's name, B's name and the channel's final status."""
    made = a.json("start", "Align the handshake", "--request", "Which version?")
    path = str(made["path"])
    answered = b.json("answer", path, "Version 2.1.0", "--re", "request:1", setsid=True)
    b.start("b-wait", "wait", path, "--timeout", "60", "--json", setsid=True)
    got = a.json("wait", path, "--timeout", "60", shell="bash")
    assert [(e["author"], e["body"]) for e in got["entries"]] == [(answered["author"], "Version 2.1.0")]  # type: ignore[index, union-attr]
    replied = a.json("answer", path, "Thanks, same here")
    a.start("a-wait", "wait", path, "--timeout", "60", "--json")
    b_got = b.collect("b-wait")
    assert b_got["rc"] == 0, b_got["err"]
    entries = json.loads(str(b_got["out"]))["entries"]
    assert [(e["author"], e["body"]) for e in entries] == [(replied["author"], "Thanks, same here")]
    status = b.json("status", path)
    return str(replied["author"]), str(answered["author"]), status


def test_two_sessions_in_one_repository_hear_each_other(tmp_path: Path, agents) -> None:
    """`mono/frontend` and `mono/backend` of one repository: `mono` and `mono-2`, each hears the other."""
    (tmp_path / "mono" / ".git").mkdir(parents=True)
    a, b = agents(tmp_path / "mono" / "frontend"), agents(tmp_path / "mono" / "backend")
    name_a, name_b, status = _exchange(a, b)
    assert (name_a, name_b) == ("mono", "mono-2")
    assert [p["name"] for p in status["participants"]] == ["mono", "mono-2"]  # type: ignore[index, union-attr]


def test_two_sessions_in_one_directory_hear_each_other(tmp_path: Path, agents) -> None:
    a, b = agents(tmp_path / "app"), agents(tmp_path / "app")
    name_a, name_b, status = _exchange(a, b)
    assert (name_a, name_b) == ("app", "app-2")
    assert [p["name"] for p in status["participants"]] == ["app", "app-2"]  # type: ignore[index, union-attr]


class Terminal:
    """An interactive shell on a pseudo-terminal, as a person's terminal runs one."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            ["bash", "--norc", "--noprofile", "-i"], stdin=slave, stdout=slave, stderr=slave, cwd=cwd,
            env=env | {"PS1": "$ "}, start_new_session=True,
        )  # fmt: skip
        os.close(slave)
        self.count = 0

    def type(self, line: str) -> None:
        """Type ``line`` and Enter, and wait (up to 60 s) until the shell has run it."""
        self.count += 1
        marker = f"DONE{self.count}"
        os.write(self.master, f"{line}; echo DO''NE{self.count}\n".encode())
        seen, deadline = b"", time.monotonic() + 60
        while marker.encode() + b"\r\n" not in seen.replace(f"DO''NE{self.count}".encode(), b""):
            assert time.monotonic() < deadline, seen.decode(errors="replace")
            ready, _, _ = select.select([self.master], [], [], 1)
            if ready:
                seen += os.read(self.master, 65536)

    def end(self) -> None:
        self.process.kill()
        self.process.wait(10)
        os.close(self.master)


def test_two_terminals_in_one_directory_are_two_sessions(tmp_path: Path, session_env: dict[str, str]) -> None:
    project = tmp_path / "app"
    project.mkdir()
    made = subprocess.run(
        [collab_bin(), "start", "Align", "--json"],
        env=session_env,
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    path = json.loads(made.stdout)["path"]
    terminals = [Terminal(project, session_env) for _ in range(2)]
    try:
        for n, terminal in enumerate(terminals, 1):
            out = tmp_path / f"out{n}.json"
            terminal.type(f"{shlex.quote(collab_bin())} answer {shlex.quote(path)} 'from {n}' --json > {out}")
            terminal.type(f"( {shlex.quote(collab_bin())} ask {shlex.quote(path)} 'again {n}' --json > {out}.2; true )")
    finally:
        for terminal in terminals:
            terminal.end()
    authors = [json.loads((tmp_path / f"out{n}.json").read_text())["author"] for n in (1, 2)]
    again = [json.loads((tmp_path / f"out{n}.json.2").read_text())["author"] for n in (1, 2)]
    assert authors[0] != authors[1] and set(authors) <= {"app", "app-2", "app-3"}
    assert again == authors  # a subshell of the terminal is the same session


def test_a_seat_whose_session_ended_is_taken_over_in_the_same_place(tmp_path: Path, agents, session_env) -> None:
    """A restarted agent in the same directory gets the old seat: its name, and its entries stay its own."""
    first = agents(tmp_path / "app")
    path = str(first.json("start", "Align")["path"])
    assert first.json("answer", path, "written before the restart")["author"] == "app"
    first.end()
    again = agents(tmp_path / "app")
    waited = again.run("wait", path, "--timeout", "0", "--json")
    assert waited["rc"] == 3, waited  # not woken for what the seat wrote before
    assert again.json("answer", path, "after the restart")["author"] == "app"
    other = agents(tmp_path / "app")  # a session that runs alongside is another seat
    assert other.json("answer", path, "meanwhile")["author"] == "app-2"


def test_read_only_commands_leave_the_seat_registry_unchanged(tmp_path: Path, agents, session_env) -> None:
    a = agents(tmp_path / "app")
    path = str(a.json("start", "Align", "--request", "One?")["path"])
    registry = paths.sidecar(Path(path), "seats.json", create=False)
    other = agents(tmp_path / "elsewhere")

    def snapshot() -> bytes | None:
        return registry.read_bytes() if registry.exists() else None

    before = snapshot()
    for args in (
        ["show", path],
        ["status", path],
        ["status", path, "--json"],
        ["ls"],
        ["verify", path],
        ["join", path],
        ["show", path, "--json"],
    ):
        assert other.run(*args)["rc"] == 0, args
        assert snapshot() == before, args
    watch = subprocess.Popen(
        [collab_bin(), "watch", path],
        cwd=other.cwd,
        env=session_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        until_armed(watch.pid, Path(path).parent, watch)  # past its start-up, however slow the machine
        time.sleep(1.5)  # and watching a while: it writes nothing meanwhile either
    finally:
        watch.terminate()
        watch.wait(10)
    assert snapshot() == before
    assert other.json("join", path, "--as", "reviewer")["id"]  # join --as may reserve the name
    assert snapshot() != before


def test_a_subshell_or_wrapper_is_not_a_session() -> None:
    """The session of a command run through `sh -c`, `env` and `setsid` is the process that ran them."""
    probe = "from collab.live import sessions; print(sessions.current())"
    command = f"env setsid {shlex.quote(sys.executable)} -c {shlex.quote(probe)}"
    ran = subprocess.run(["sh", "-c", f"bash -c {shlex.quote(command)}"], capture_output=True, text=True, check=True)
    me = sessions.process(os.getpid())
    assert me is not None and ran.stdout.strip() == me.ident
    assert sessions.alive(me.ident) and not sessions.alive(f"{me.pid}@{me.start + 1}")


def _victim_python(victim: str) -> str | None:
    """A Python 3.11+ the account ``victim`` can run collab's modules with, or None."""
    for candidate in (sys.executable, "/usr/bin/python3"):
        probe = subprocess.run(
            ["runuser", "-u", victim, "--", candidate, "-c", "import sys; assert sys.version_info >= (3, 11)"],
            capture_output=True,
        )
        if probe.returncode == 0:
            return candidate
    return None


def _account(name: str) -> str | None:
    import pwd
    import shutil

    if os.geteuid() != 0 or shutil.which("useradd") is None or shutil.which("runuser") is None:
        return None
    try:
        pwd.getpwnam(name)
    except KeyError:
        if subprocess.run(["useradd", "-M", "-s", "/bin/sh", name], capture_output=True).returncode != 0:
            return None
    return name


def test_a_git_in_a_world_writable_directory_is_not_your_repository(tmp_path: Path) -> None:
    """A `.git` of your own, in a directory anyone may write to, is not taken (someone could have put it there)."""
    shared = tmp_path / "shared"
    (shared / ".git").mkdir(parents=True)
    (shared / "proj").mkdir()
    shared.chmod(0o1777)
    assert config.project_dir(shared / "proj") == shared / "proj"
    shared.chmod(0o755)
    assert config.project_dir(shared / "proj") == shared  # the rule's other half: a repository of yours counts


def test_a_foreign_git_in_a_shared_parent_changes_no_seat(tmp_path: Path) -> None:
    """Run as a non-root account: a `.git` another account planted in a shared parent directory (a
    sticky world-writable one, or one the victim owns) leaves the victim's seat in its own directory."""
    victim = _account("collabvictim")
    if victim is None:
        pytest.skip("needs root to create a second local account to run as")
    python = _victim_python(victim)
    if python is None:
        pytest.skip("no Python 3.11 the second account may run")
    import pwd
    import shutil
    import tempfile

    uid = pwd.getpwnam(victim).pw_uid
    base = Path(tempfile.mkdtemp(prefix="collab-planted-", dir="/tmp"))
    try:
        base.chmod(0o755)
        sticky = base / "shared"
        owned = base / "team"
        for parent, mode in ((sticky, 0o1777), (owned, 0o755)):
            (parent / ".git").mkdir(parents=True)  # planted: owned by root, not by the victim
            (parent / "proj").mkdir()
            os.chown(parent / "proj", uid, uid)
            parent.chmod(mode)
        os.chown(owned, uid, uid)
        probe = (
            "import sys; from pathlib import Path; from collab import config; from collab.live import seats; "
            "p = seats.here(Path(sys.argv[1]), {}); print(p.place, config.identity(None))"
        )
        root = Path(__file__).resolve().parents[2]
        for parent in (sticky, owned):
            ran = subprocess.run(
                ["runuser", "-u", victim, "--", "env", f"PYTHONPATH={root}", python, "-c", probe, str(parent / "proj")],
                capture_output=True, text=True, cwd=parent / "proj",
            )  # fmt: skip
            assert ran.returncode == 0, ran.stderr
            assert ran.stdout.split() == [str(parent / "proj"), "proj"], parent
    finally:
        shutil.rmtree(base)
