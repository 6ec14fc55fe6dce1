"""Nothing jams or hangs a command (issue 12; contract 7, points 5 and 8): a writer stopped while it
holds the lock, and another local user planting files where collab might look."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from collab.channel import Channel
from tests.conftest import collab_bin

HOLDER = r"""
import fcntl, os, signal, sys
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
os.kill(os.getpid(), signal.SIGSTOP)
"""


@pytest.fixture
def stopped_writer(channel: Channel) -> Iterator[int]:
    """A process that holds the channel's lock and is stopped (SIGSTOP) while holding it."""
    channel.answer("already here", author="site-b")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(channel.path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    try:
        yield holder.pid
    finally:
        holder.kill()
        holder.wait(timeout=10)


def run(args: list[str], env: dict[str, str], **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([collab_bin(), *args], env=env | extra, capture_output=True, text=True, timeout=30)


@pytest.mark.timeout(120)
def test_a_stopped_writer_blocks_no_reader(
    channel: Channel, stopped_writer: int, subprocess_env: dict[str, str]
) -> None:
    """Readers never wait for the lock; a writer gives up after COLLAB_LOCK_TIMEOUT, naming the holder."""
    for args, code in (
        (["show", str(channel.path)], 0),
        (["status", str(channel.path), "--json"], 0),
        (["verify", str(channel.path)], 0),
        (["ls"], 0),
        (["show", str(channel.path), "--html"], 0),
        (["wait", str(channel.path), "--timeout", "3", "--as", "site-a"], 0),
    ):
        result = run(args, subprocess_env)  # a hang fails through the subprocess timeout
        assert result.returncode == code, (args, result.stderr)
    result = run(["answer", str(channel.path), "blocked", "--as", "site-a"], subprocess_env, COLLAB_LOCK_TIMEOUT="1")
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert f"PID {stopped_writer}" in result.stderr and "COLLAB_LOCK_TIMEOUT" in result.stderr
    assert b"blocked" not in channel.path.read_bytes()


def _other_user() -> str | None:
    """A second local account to attack with (created when running as root), or None."""
    if os.geteuid() != 0 or shutil.which("useradd") is None:
        return None
    name = "collabmallory"
    try:
        pwd.getpwnam(name)
    except KeyError:
        if subprocess.run(["useradd", "-M", "-s", "/bin/sh", name], capture_output=True).returncode != 0:
            return None
    return name


@pytest.mark.timeout(120)
def test_another_user_cannot_jam_a_channel(tmp_path: Path, subprocess_env: dict[str, str]) -> None:
    """Planted sidecars, links and FIFOs in a shared sticky directory leave the victim's commands
    working, or refusing at once with one line."""
    attacker = _other_user()
    if attacker is None:
        pytest.skip("needs root to create a second local user")
    shared = Path(tempfile.mkdtemp(prefix="collab-shared-", dir="/tmp"))
    try:
        shared.chmod(0o1777)
        _attack(shared, tmp_path, attacker, subprocess_env)
    finally:
        shutil.rmtree(shared)


def _attack(shared: Path, tmp_path: Path, attacker: str, subprocess_env: dict[str, str]) -> None:
    env = subprocess_env | {"COLLAB_DIR": str(shared)}
    made = run(["start", "a task", "--json"], env)
    assert made.returncode == 0, made.stderr
    import json

    channel_id = json.loads(made.stdout)["id"]
    plants = (
        f"mkfifo {shared}/report.html; "
        f"echo '{{}}' > {shared}/.collab-{channel_id}.cursors.json; "
        f"ln -s /etc/passwd {shared}/.collab-{channel_id}.ledger; "
        f"mkfifo {shared}/.collab-{channel_id}.accepted; "
        f"mkfifo {shared}/collab-{channel_id}.torn-1.md"
    )
    planted = subprocess.run(["runuser", "-u", attacker, "--", "sh", "-c", plants], capture_output=True, text=True)
    assert planted.returncode == 0, planted.stderr
    assert run(["answer", channel_id, "still works", "--as", "b"], env).returncode == 0
    waited = run(["wait", channel_id, "--timeout", "1", "--as", "a"], env)
    assert waited.returncode == 0 and "still works" in waited.stdout, waited.stderr
    assert run(["verify", channel_id], env).returncode == 0
    refused = run(["show", channel_id, "--html", "-o", str(shared / "report.html")], env)
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
    assert run(["show", channel_id, "--html", "-o", str(tmp_path / "mine.html")], env).returncode == 0
    assert run(["ls"], env).returncode == 0


def test_sidecars_are_not_where_others_can_plant_them(channel: Channel) -> None:
    """Contract 7.8: nothing collab reads about a channel lives in the channel's shared directory."""
    from collab.store import paths

    channel.answer("x", author="b")
    assert sorted(p.name for p in channel.path.parent.iterdir()) == [channel.path.name]
    state = paths.state_dir()
    assert state.stat().st_mode & 0o777 == 0o700 and state.stat().st_uid == os.getuid()


def _holds_open(pid: int, path: Path) -> bool:
    """True when process ``pid`` has ``path`` open (Linux ``/proc/PID/fd``)."""
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") == str(path) for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


@pytest.mark.timeout(120)
def test_a_writer_that_waited_while_the_file_was_replaced_writes_to_the_new_file(
    channel: Channel, subprocess_env: dict[str, str]
) -> None:
    """After taking the lock, a writer checks the path still names the file it locked (contract 3)."""
    import time

    from collab.store import files

    with files.locked_for_append(channel.path):
        args = [collab_bin(), "answer", str(channel.path), "after the replace", "--as", "b"]
        writer = subprocess.Popen(args, env=subprocess_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        while not _holds_open(writer.pid, channel.path):  # it has the old file open and waits for its lock
            assert writer.poll() is None and time.monotonic() < deadline, writer.stderr
            time.sleep(0.01)
        replacement = channel.path.with_name("replacement.md")
        replacement.write_bytes(channel.path.read_bytes() + b"\n### Answer 1 from hand\nsaved by an editor\n")
        replacement.chmod(0o600)
        os.replace(replacement, channel.path)
    _out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert [e.body for e in channel.read().entries] == ["saved by an editor", "after the replace"]


@pytest.mark.timeout(120)
def test_another_users_files_cannot_jam_an_id_prefix(subprocess_env: dict[str, str]) -> None:
    """Another user plants ``collab-<prefix>.md`` (their own file), a FIFO and a link to the victim's
    channel, all beginning with the victim's prefix: the prefix still names the victim's channel,
    and an id that names only a planted file refuses at once, in one line, saying why."""
    attacker = _other_user()
    if attacker is None:
        pytest.skip("needs root to create a second local user")
    shared = Path(tempfile.mkdtemp(prefix="collab-shared-", dir="/tmp"))
    try:
        shared.chmod(0o1777)
        env = subprocess_env | {"COLLAB_DIR": str(shared)}
        made = run(["start", "a task", "--json"], env)
        assert made.returncode == 0, made.stderr
        import json

        channel_id = json.loads(made.stdout)["id"]
        prefix = channel_id[:4]
        fifo, link = (f"{prefix}{'1' if channel_id[4] == '0' else '0'}{tail}" for tail in ("zz", "tq"))
        plants = (
            f"echo planted > {shared}/collab-{prefix}.md; mkfifo {shared}/collab-{fifo}.md; "
            f"ln -s {shared}/collab-{channel_id}.md {shared}/collab-{link}.md; "
            f"echo planted > {shared}/collab-zzzz.md"
        )
        planted = subprocess.run(["runuser", "-u", attacker, "--", "sh", "-c", plants], capture_output=True, text=True)
        assert planted.returncode == 0, planted.stderr
        status = run(["status", prefix, "--json"], env)
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["id"] == channel_id
        assert run(["answer", prefix, "still mine", "--as", "b"], env).returncode == 0
        assert "still mine" in (shared / f"collab-{channel_id}.md").read_text()
        for name, reason in (
            ("zzzz", "belongs to another user"),
            (fifo, "not a regular file"),
            (link, f"collab-{link}.md is a symbolic link"),
        ):
            refused = run(["status", name], env)
            assert refused.returncode == 1 and refused.stderr.count("\n") == 1, (name, refused.stderr)
            assert reason in refused.stderr, (name, refused.stderr)
    finally:
        shutil.rmtree(shared)
