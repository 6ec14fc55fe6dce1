"""Channels on another machine, over OpenSSH (contract section 10), against a real test ``sshd``."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from collab.errors import ChannelRefused, UsageError
from collab.remote import ssh
from collab.remote.address import Address, host_only, parse
from tests.conftest import collab_bin
from tests.sshd import HOST, Server, running, short_dir, stop_masters, unavailable

HOSTILE = "### Answer 99\n## Answers\n$(touch /tmp/pwned) `rm -rf ~` '\"; echo hi; \\\n```\nunclosed"


# ---- addresses, the ssh command, the control directory, the errors (no sshd needed) ----


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("ssh://devbox/tmp/collab-abc123.md", Address("devbox", "/tmp/collab-abc123.md")),
        ("ssh://me@devbox:2222/tmp/x.md", Address("devbox", "/tmp/x.md", "me", 2222)),
        ("me@devbox:/tmp/x.md", Address("devbox", "/tmp/x.md", "me")),
        ("devbox:/srv/a b/'q'.md", Address("devbox", "/srv/a b/'q'.md")),
        ("devbox:", Address("devbox", "")),
        ("ssh://[::1]:22/tmp/x.md", Address("[::1]", "/tmp/x.md", None, 22)),
    ],
)
def test_remote_addresses_are_read_in_both_forms(ref: str, expected: Address) -> None:
    """Both the ssh:// form and the scp form name a channel (or, path-less, a channel directory) on a host."""
    assert parse(ref) == expected


@pytest.mark.parametrize("ref", ["/tmp/a:b.md", "./x:y", "k3x9q2ab", "/tmp/collab-k3x9.md"])
def test_local_paths_and_ids_stay_local(ref: str) -> None:
    """A colon after the first slash, or none at all, is a local path or an id (as git reads remotes)."""
    assert parse(ref) is None


@pytest.mark.parametrize(
    "ref", ["-oProxyCommand=x:/p", "ssh://-oProxyCommand=x/p", "-l:/x", "host:relative", "ssh://h:99999/x"]
)
def test_an_address_ssh_would_read_as_an_option_is_refused(ref: str) -> None:
    """A host or user starting with '-' would be an ssh option: refused, as are relative paths and bad ports."""
    with pytest.raises(UsageError):
        parse(ref)


def test_host_only_takes_a_bare_host() -> None:
    """``start --on HOST`` takes a host alone, with a user and a port."""
    assert host_only("me@devbox:2222") == Address("devbox", "", "me", 2222)
    assert host_only("devbox:") == Address("devbox", "")


def test_the_ssh_command_puts_collabs_options_after_the_users_and_quotes_every_remote_word(tmp_path: Path) -> None:
    """COLLAB_SSH_COMMAND is split like GIT_SSH_COMMAND; BatchMode and ControlMaster follow; the remote
    command is one shlex-quoted string after '--' and the destination."""
    control = tmp_path / "ctl"
    env = {"COLLAB_SSH_COMMAND": "ssh -F '/my dir/ssh_config' -v", "COLLAB_SSH_PERSIST": "30"}
    words = ssh.command(
        Address("devbox", "/tmp/a b.md", "me", 2222), ["answer", "/tmp/a b.md", "-", "--json"], env, control=control
    )
    assert words[:4] == ["ssh", "-F", "/my dir/ssh_config", "-v"]
    assert words[4:12] == [
        "-o", "BatchMode=yes", "-o", "ControlMaster=auto", "-o", "ControlPersist=30", "-o", f"ControlPath={control}/%C",
    ]  # fmt: skip
    assert words[12:16] == ["-l", "me", "-p", "2222"]
    assert words[16:18] == ["--", "devbox"]
    assert shlex.split(words[18]) == ["collab", "answer", "/tmp/a b.md", "-", "--json"]
    assert len(words) == 19


def test_a_malformed_ssh_setting_is_a_usage_error() -> None:
    """An unclosed quote in COLLAB_SSH_COMMAND and a bad COLLAB_SSH_PERSIST are usage errors."""
    with pytest.raises(UsageError):
        ssh.client({"COLLAB_SSH_COMMAND": "ssh -F 'unclosed"})
    with pytest.raises(UsageError):
        ssh.persist_seconds({"COLLAB_SSH_PERSIST": "forever"})


def test_the_control_directory_is_created_private(tmp_path: Path) -> None:
    """The control directory is made with mode 0700 and accepted as it is."""
    made = ssh.control_dir({"COLLAB_SSH_CONTROL_DIR": str(tmp_path / "ctl")})
    assert stat.S_IMODE(made.stat().st_mode) == 0o700


def test_a_shared_control_directory_is_refused(tmp_path: Path) -> None:
    """A control directory open to group or others (as /tmp is) could let another user hijack the connection."""
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o700)
    shared.chmod(0o1777)
    with pytest.raises(ChannelRefused, match="not a private directory"):
        ssh.control_dir({"COLLAB_SSH_CONTROL_DIR": str(shared)})
    with pytest.raises(ChannelRefused):
        ssh.command(Address("devbox", "/x"), ["status"], {"COLLAB_SSH_CONTROL_DIR": str(shared)})


def test_a_control_directory_that_is_a_link_is_refused(tmp_path: Path) -> None:
    """A symlink in place of the directory is refused, whatever it points to."""
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(ChannelRefused):
        ssh.control_dir({"COLLAB_SSH_CONTROL_DIR": str(tmp_path / "link")})


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to give a file to another user")
def test_a_socket_of_another_user_in_the_control_directory_is_refused(tmp_path: Path) -> None:
    """A socket (or anything) in the control directory that belongs to another user is refused."""
    control = ssh.control_dir({"COLLAB_SSH_CONTROL_DIR": str(tmp_path / "ctl")})
    planted = control / "0123abcd"
    planted.touch()
    os.chown(planted, 65534, 65534)
    with pytest.raises(ChannelRefused, match="belongs to another user"):
        ssh.control_dir({"COLLAB_SSH_CONTROL_DIR": str(control)})


def test_ssh_failures_are_one_line_naming_the_host_and_the_reason() -> None:
    """ssh's exit 255 is 'cannot reach HOST' with ssh's last line; exit 127 says how to install collab."""
    where = Address("devbox", "/x")
    failed = ssh.Ran(255, b"", b"Warning: Permanently added...\nme@devbox: Permission denied (publickey).\n")
    with pytest.raises(ssh.HostUnreachable, match=r"^cannot reach devbox over ssh: me@devbox: Permission denied"):
        ssh.check(where, failed)
    with pytest.raises(ssh.CollabMissing, match="install it on that host"):
        ssh.check(where, ssh.Ran(127, b"", b"bash: line 1: collab: command not found\n"))


# ---- against a real sshd ----


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    root = short_dir("cssh")
    try:
        with running(root) as found:
            yield found
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def env(server: Server, subprocess_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """The local side's environment: its own channel and state directories, ssh pointed at the test sshd."""
    control = short_dir("cctl")
    control.chmod(0o700)
    try:
        yield subprocess_env | {
            "COLLAB_SSH_COMMAND": f"ssh -F {shlex.quote(str(server.ssh_config))}",
            "COLLAB_SSH_CONTROL_DIR": str(control),
        }
    finally:
        stop_masters(control, server.ssh_config)
        shutil.rmtree(control, ignore_errors=True)


def collab(
    env: dict[str, str], *args: str, stdin: str | None = None, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [collab_bin(), *args],
        input=stdin or "",
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def started(env: dict[str, str], server: Server, *args: str) -> tuple[str, str]:
    """Start a channel on the test host; its ssh:// address and its path there."""
    done = collab(
        env, "start", "Align the handshake", "-r", "Which version?", "--on", HOST, "--as", "site-a", *args, "--json"
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    return found["path"], found["host_path"]


def test_start_on_a_host_creates_the_channel_there_and_the_join_message_says_ssh(
    env: dict[str, str], server: Server
) -> None:
    """`start --on HOST` creates the channel in the host's channel directory, and its join message
    gives joiners elsewhere the ssh:// form and joiners on the host the plain path."""
    url, there = started(env, server)
    assert url.startswith(f"ssh://{HOST}/") and url.endswith(there)
    assert Path(there).parent == server.channels and Path(there).exists()
    assert not list(Path(env["COLLAB_DIR"]).glob("collab-*.md"))  # nothing on the local side
    joined = collab(env, "join", url)
    assert joined.returncode == 0, joined.stderr
    assert shlex.quote(url) in joined.stdout and shlex.quote(there) in joined.stdout
    assert f"`collab join {shlex.quote(url)}` prints" in joined.stdout  # not the id: it names a channel here


def test_a_whole_exchange_with_a_hostile_body_in_a_path_with_spaces_and_quotes(
    env: dict[str, str], server: Server
) -> None:
    """answer, ask, show --json, status, verify and close with a summary, over ssh; the body and the
    path hold what a shell would act on, and both arrive exactly."""
    odd = server.channels / 'it\'s a "dir" $(x)'
    odd.mkdir(exist_ok=True)
    url, there = started(env, server, "--dir", str(odd))
    assert Path(there).parent == odd
    answered = collab(env, "answer", url, "--re", "request:1", "--json", stdin=HOSTILE)
    assert answered.returncode == 0, answered.stderr
    assert json.loads(answered.stdout)["body"].rstrip("\n").startswith("### Answer 99")
    asked = collab(env, "ask", f"{HOST}:{there}", HOSTILE)  # the scp form, the body as an argument here
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.startswith("Question 1 appended to ssh://")
    shown = json.loads(collab(env, "show", url, "--json").stdout)
    assert [e["kind"] for e in shown["entries"]] == ["answer", "question"]
    assert all(e["body"] == json.loads(answered.stdout)["body"] for e in shown["entries"])
    assert not Path("/tmp/pwned").exists()
    status = collab(env, "status", url, "--json")
    assert json.loads(status.stdout)["requests"][0]["answered"] is True
    assert collab(env, "verify", url).returncode == 0
    assert "intact" in collab(env, "verify", url).stdout
    closed = collab(env, "close", url, "-", "--force", "--json", stdin="Agreed: headers only.")
    assert closed.returncode == 0, closed.stderr
    final = json.loads(collab(env, "show", url, "--json").stdout)
    assert final["state"] == "closed" and final["closing"]["summary"] == "Agreed: headers only."


def test_bodies_never_travel_on_the_remote_command_line(env: dict[str, str], server: Server, tmp_path: Path) -> None:
    """The ssh command line holds no part of a body: a recording ssh wrapper sees only '-' for it."""
    url, _ = started(env, server)
    log = tmp_path / "argv.log"
    wrapper = tmp_path / "ssh-rec"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> {shlex.quote(str(log))}\nexec ssh "$@"\n')
    wrapper.chmod(0o755)
    recorded = env | {"COLLAB_SSH_COMMAND": f"{wrapper} -F {shlex.quote(str(server.ssh_config))}"}
    secret = "body-words-7f3a9 only on stdin"
    assert collab(recorded, "answer", url, secret).returncode == 0
    assert collab(recorded, "ask", url, "-", stdin=secret).returncode == 0
    assert collab(recorded, "close", url, secret, "--force").returncode == 0
    assert "7f3a9" not in log.read_text()
    assert json.loads(collab(env, "show", url, "--json").stdout)["closing"]["summary"] == secret


def test_show_html_and_text_are_rendered_here(env: dict[str, str], server: Server) -> None:
    """show --html and the plain transcript are rendered on this side from the host's channel."""
    url, _ = started(env, server)
    assert collab(env, "answer", url, "<script>alert(1)</script> **bold**").returncode == 0
    page = collab(env, "show", url, "--html")
    assert page.returncode == 0, page.stderr
    assert page.stdout.startswith("<!DOCTYPE html>") or "<html" in page.stdout[:200]
    assert "<script>alert(1)</script>" not in page.stdout and "&lt;script&gt;" in page.stdout
    text = collab(env, "show", url)
    assert text.returncode == 0 and "Align the handshake" in text.stdout
    assert text.stdout.splitlines()[0].endswith(url)  # the address as given, its // kept
    status = collab(env, "status", url).stdout
    assert "site-a" in status and status.splitlines()[0].endswith(url)


def test_an_unreachable_host_is_one_line_naming_it(env: dict[str, str], server: Server) -> None:
    """A closed port: exit 1, one line on stderr with the host and ssh's own reason."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = collab(env, "status", f"ssh://127.0.0.1:{port}/tmp/collab-abcd12.md")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "cannot reach 127.0.0.1 over ssh" in done.stderr and "refused" in done.stderr.lower()


def test_a_refused_key_is_one_line_naming_the_host(env: dict[str, str], server: Server, tmp_path: Path) -> None:
    """A key the host does not accept: exit 1, 'Permission denied' from ssh, no prompt (BatchMode)."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")], check=True)
    # ssh takes the first value of an option, so the refused key comes with a config of its own
    known = server.root / "known_hosts"
    command = f"ssh -F /dev/null -i {tmp_path / 'other'} -o IdentitiesOnly=yes -o UserKnownHostsFile={known}"
    other = env | {"COLLAB_SSH_COMMAND": f"{command} -o HostKeyAlias={HOST} -p {server.port}"}
    done = collab(other, "status", "ssh://127.0.0.1/tmp/collab-abcd12.md")
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1
    assert "cannot reach 127.0.0.1 over ssh" in done.stderr and "Permission denied" in done.stderr


def test_a_host_without_collab_says_how_to_install_it(env: dict[str, str], server: Server) -> None:
    """No collab on the host's PATH: exit 1, one line saying how to install it there."""
    done = collab(env | {"COLLAB_REMOTE_COLLAB": "collab-not-here"}, "status", f"{HOST}:/tmp/collab-abcd12.md")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "collab is not installed on collab-test" in done.stderr


def test_a_host_collab_too_old_for_the_protocol_names_both_versions(
    env: dict[str, str], server: Server, tmp_path: Path
) -> None:
    """A collab on the host that does not know the remote protocol: exit 1 naming both versions."""
    old = tmp_path / "old-collab"
    old.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = --version ]; then echo "collab 0.0.1"; exit 0; fi\n'
        """echo '{"error": {"code": 2, "message": "No such option: --remote-client (see `collab --help`)"}}' >&2\n"""
        "exit 2\n"
    )
    old.chmod(0o755)
    done = collab(env | {"COLLAB_REMOTE_COLLAB": str(old)}, "status", f"{HOST}:/tmp/collab-abcd12.md")
    assert done.returncode == 1, done.stderr
    assert "collab 0.0.1 on collab-test cannot serve collab 0.1.0" in done.stderr
    assert done.stderr.count("\n") == 1


def test_a_host_that_speaks_another_protocol_refuses_naming_both_versions() -> None:
    """The host refuses a client protocol it cannot serve, naming both versions."""
    from collab.remote import serve

    document = json.dumps({"protocol": 99, "version": "9.0.0", "name": "x", "seat": None})
    with pytest.raises(ssh.VersionMismatch, match=r"cannot serve collab 9\.0\.0 \(protocol 99\)"):
        serve.accept(document)


def test_wait_over_ssh_is_turn_aware_and_moves_the_cursor_on_the_host(env: dict[str, str], server: Server) -> None:
    """A wait returns what the host-side session wrote, once; the next wait does not repeat it."""
    url, there = started(env, server)
    host_side = server.env | {"COLLAB_SESSION": "host-b"}
    assert collab(host_side, "answer", there, "--as", "site-b", "first").returncode == 0
    got = collab(env, "wait", url, "--as", "site-a", "--settle", "0", "--timeout", "30", "--json")
    assert got.returncode == 0, got.stderr
    assert [e["body"].strip() for e in json.loads(got.stdout)["entries"]] == ["first"]
    again = collab(env, "wait", url, "--as", "site-a", "--settle", "0", "--timeout", "1", "--json")
    assert again.returncode == 3 and json.loads(again.stdout)["entries"] == []


def test_a_wait_over_ssh_takes_collab_settle_from_this_side(env: dict[str, str], server: Server) -> None:
    """``COLLAB_SETTLE`` set where the person runs ``collab wait`` reaches the host's wait, as
    ``--settle`` would. Without it, the host holds a hand entry for its own 30 s settle."""
    url, there = started(env, server)
    with open(there, "a", encoding="utf-8") as channel:  # the host is this machine: a hand append there
        channel.write("\n### Answer 1 (2026-06-22T14:00:00Z) from site-b\nfirst, by hand\n")
    began = time.monotonic()
    got = collab(env | {"COLLAB_SETTLE": "0"}, "wait", url, "--as", "site-a", "--timeout", "100", "--json")
    waited = time.monotonic() - began
    assert got.returncode == 0, got.stderr
    assert [e["body"].strip() for e in json.loads(got.stdout)["entries"]] == ["first, by hand"]
    # why safe: it returns in about 1 s (one ssh call); the host's own settle would take 30 s
    assert waited < 15
    bad = collab(env | {"COLLAB_SETTLE": "soon"}, "wait", url, "--as", "site-a", "--timeout", "1")
    assert bad.returncode == 2 and bad.stderr.startswith("collab: COLLAB_SETTLE=") and bad.stderr.count("\n") == 1


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _argv(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _host_waits(there: str) -> set[int]:
    """The host side's `collab wait` processes on the channel at ``there`` (run for another machine)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            argv = _argv(int(entry.name))
            if "--remote-client" in argv and "wait" in argv and there in argv and "--started" in argv:
                found.add(int(entry.name))
    return found


def _until(check: object, limit: float = 30.0) -> None:
    import time

    deadline = time.monotonic() + limit
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _waiting(env: dict[str, str], there: str, name: str) -> bool:
    """Whether ``name`` waits in the channel at ``there``, as its host's ``status`` says."""
    found = json.loads(collab(env, "status", there, "--json").stdout)
    return any(p["name"] == name and p["waiting"] for p in found["participants"])


def test_a_wait_whose_ssh_is_killed_is_retried_and_neither_loses_nor_repeats(
    env: dict[str, str], server: Server
) -> None:
    """kill -9 of the local ssh in the middle of a wait: the host's wait ends with its session (no
    presence left behind), the wait is retried from where it started, and the entry written meanwhile
    is delivered exactly once; the entry read before is not delivered again."""
    url, there = started(env, server)
    host_side = server.env | {"COLLAB_SESSION": "host-b"}
    assert collab(env, "answer", url, "--as", "site-a", "mine").returncode == 0  # a participant: status lists it
    assert collab(host_side, "answer", there, "--as", "site-b", "zero").returncode == 0
    first = collab(env, "wait", url, "--as", "site-a", "--settle", "0", "--timeout", "30", "--json")
    assert [e["body"].strip() for e in json.loads(first.stdout)["entries"]] == ["zero"], (first.stdout, first.stderr)
    waiting = subprocess.Popen(
        [collab_bin(), "wait", url, "--as", "site-a", "--settle", "0", "--timeout", "120", "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _until(lambda: _waiting(host_side, there, "site-a"))  # blocking there, past its first line
        old = _host_waits(there)
        ssh_pids = [p for p in _children(waiting.pid) if os.path.basename(_argv(p)[0]) == "ssh"]
        assert len(ssh_pids) == 1
        os.kill(ssh_pids[0], 9)
        _until(lambda: not (old & _host_waits(there)))  # the host's wait ended with its ssh session
        assert old
        assert collab(host_side, "answer", there, "--as", "site-b", "during the drop").returncode == 0
        out, err = waiting.communicate(timeout=60)
    finally:
        if waiting.poll() is None:
            waiting.kill()
            waiting.communicate()
    assert waiting.returncode == 0, err
    assert [e["body"].strip() for e in json.loads(out)["entries"]] == ["during the drop"]
    again = collab(env, "wait", url, "--as", "site-a", "--settle", "0", "--timeout", "1", "--json")
    assert again.returncode == 3 and json.loads(again.stdout)["entries"] == []


def test_two_sessions_in_same_named_directories_each_hear_the_other(
    env: dict[str, str], server: Server, tmp_path: Path
) -> None:
    """A session here and one on the host, both without --as, in directories both named 'app': two
    seats (app and app-2), and each one's wait returns the other's entry."""
    url, there = started(env, server)
    here_dir, host_dir = tmp_path / "here" / "app", server.root / "elsewhere" / "app"
    here_dir.mkdir(parents=True)
    host_dir.mkdir(parents=True, exist_ok=True)
    local = {k: v for k, v in env.items() if k != "COLLAB_SESSION"} | {"COLLAB_SESSION": "local-session"}
    host_side = server.env | {"COLLAB_SESSION": "host-session"}
    mine = collab(local, "answer", url, "from here", "--json", cwd=here_dir)
    assert mine.returncode == 0, mine.stderr
    theirs = collab(host_side, "answer", there, "from the host", "--json", cwd=host_dir)
    assert theirs.returncode == 0, theirs.stderr
    authors = {json.loads(mine.stdout)["author"], json.loads(theirs.stdout)["author"]}
    assert authors == {"app", "app-2"}
    heard_here = collab(local, "wait", url, "--settle", "0", "--timeout", "30", "--json", cwd=here_dir)
    heard_there = collab(host_side, "wait", there, "--settle", "0", "--timeout", "30", "--json", cwd=host_dir)
    assert [e["body"].strip() for e in json.loads(heard_here.stdout)["entries"]] == ["from the host"]
    assert [e["body"].strip() for e in json.loads(heard_there.stdout)["entries"]] == ["from here"]


class _Watching:
    """A `collab watch` running here, its stdout and stderr gathered as they come."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        import threading

        self.process = subprocess.Popen(
            [collab_bin(), "watch", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self.readers = [
            threading.Thread(target=self._gather, args=(stream, into), daemon=True)
            for stream, into in ((self.process.stdout, self.out), (self.process.stderr, self.err))
        ]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _gather(stream: object, into: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            into.append(line)

    def shows(self, text: str) -> bool:
        return text in "".join(self.out)

    def said(self, text: str) -> bool:
        return text in "".join(self.err)

    def finish(self, limit: float = 60) -> int:
        try:
            code = self.process.wait(timeout=limit)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            for reader in self.readers:
                reader.join(timeout=20)
        return code


def test_watch_over_ssh_shows_entries_written_on_the_host_and_ends_with_the_outcome(
    env: dict[str, str], server: Server
) -> None:
    """watch of a remote channel: the host streams JSON lines; the entry there, one written on the
    host while it watches, and, once the host's session closes the channel, the outcome last."""
    url, there = started(env, server)
    host_side = server.env | {"COLLAB_SESSION": "host-b"}
    assert collab(host_side, "answer", there, "--as", "site-b", "before the watch").returncode == 0
    watching = _Watching(env, url, "--from-start")
    try:
        _until(lambda: watching.shows("before the watch"))
        assert watching.said(f"watching {url} (1 entry so far)")
        assert collab(host_side, "answer", there, "--as", "site-b", HOSTILE).returncode == 0
        _until(lambda: watching.shows("unclosed"))
        closed = collab(host_side, "close", there, "Agreed: headers only.", "--as", "site-b", "--force")
        assert closed.returncode == 0, closed.stderr
        assert watching.finish() == 0, "".join(watching.err)
    finally:
        watching.finish()
    out = "".join(watching.out)
    assert out.count("before the watch") == 1 and out.count("unclosed") == 1
    assert out.rstrip().endswith("Agreed: headers only.") and "Outcome:" in out
    assert watching.said("the channel is closed") and "Traceback" not in "".join(watching.err)


def _host_watches(there: str) -> set[int]:
    """The host side's `collab watch --json` processes on the channel at ``there``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            argv = _argv(int(entry.name))
            if "--remote-client" in argv and "watch" in argv and there in argv:
                found.add(int(entry.name))
    return found


def test_a_watch_whose_ssh_is_killed_is_retried_and_neither_loses_nor_repeats(
    env: dict[str, str], server: Server
) -> None:
    """kill -9 of the local ssh in the middle of a watch: the host's watch ends with its session, the
    watch reconnects from the last entry it showed, and every entry is shown exactly once."""
    url, there = started(env, server)
    host_side = server.env | {"COLLAB_SESSION": "host-b"}
    watching = _Watching(env, url)
    try:
        _until(lambda: watching.said("entries so far"))
        assert collab(host_side, "answer", there, "--as", "site-b", "one-1").returncode == 0
        _until(lambda: watching.shows("one-1"))
        old = _host_watches(there)
        ssh_pids = [p for p in _children(watching.process.pid) if os.path.basename(_argv(p)[0]) == "ssh"]
        assert len(ssh_pids) == 1 and old
        os.kill(ssh_pids[0], 9)
        _until(lambda: not (old & _host_watches(there)))  # the host's watch ended with its ssh session
        assert collab(host_side, "answer", there, "--as", "site-b", "two-2").returncode == 0
        _until(lambda: watching.shows("two-2"))
        assert watching.said("dropped; reconnecting")
        assert collab(host_side, "answer", there, "--as", "site-b", "three-3").returncode == 0
        assert collab(host_side, "close", there, "--as", "site-b", "--force").returncode == 0
        assert watching.finish() == 0, "".join(watching.err)
    finally:
        watching.finish()
    out = "".join(watching.out)
    assert [out.count(word) for word in ("one-1", "two-2", "three-3")] == [1, 1, 1], out
    assert out.index("one-1") < out.index("two-2") < out.index("three-3")
    assert not _host_watches(there)


def test_a_watch_of_a_channel_the_host_does_not_have_is_one_line_with_the_hosts_exit_code(
    env: dict[str, str], server: Server
) -> None:
    """The host's own error, in one line and with its exit code, as a local watch of it gives."""
    missing = str(server.channels / "collab-nothere.md")
    done = collab(env, "watch", f"{HOST}:{missing}", timeout=60)
    local = collab(server.env, "watch", missing)
    assert done.returncode == local.returncode != 0, (done.stderr, local.stderr)
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr and HOST in done.stderr


def test_ls_of_a_host_lists_its_channel_directory_or_a_directory_there(env: dict[str, str], server: Server) -> None:
    """`ls HOST:` lists the host's channel directory and `ls HOST:/dir` (or `--dir` there) another one,
    each channel named in the ssh:// form; nothing of the local side's is listed."""
    url, there = started(env, server)
    local = collab(env, "start", "Only here", "--json")
    assert local.returncode == 0, local.stderr
    listed = collab(env, "ls", f"{HOST}:", "--json")
    assert listed.returncode == 0, listed.stderr
    paths = [c["path"] for c in json.loads(listed.stdout)["channels"]]
    assert url in paths and json.loads(local.stdout)["path"] not in paths
    assert all(p.startswith(f"ssh://{HOST}/") for p in paths)
    table = collab(env, "ls", HOST, "--open")
    assert table.returncode == 0 and Path(there).stem.removeprefix("collab-") in table.stdout
    odd = server.channels / "other dir 'q'"
    odd.mkdir(exist_ok=True)
    _, elsewhere = started(env, server, "--dir", str(odd))
    in_odd = json.loads(collab(env, "ls", f"{HOST}:{odd}", "--json").stdout)["channels"]
    assert [c["path"] for c in in_odd] == [f"ssh://{HOST}{elsewhere}"]
    assert json.loads(collab(env, "ls", f"{HOST}:", "--dir", str(odd), "--json").stdout)["channels"] == in_odd
    (server.root / "empty").mkdir(exist_ok=True)
    empty = collab(env, "ls", f"{HOST}:{server.root / 'empty'}")
    assert empty.returncode == 0 and "No channels in" in empty.stderr


def test_rm_of_a_remote_channel_deletes_it_on_the_host(env: dict[str, str], server: Server) -> None:
    """`rm` of an ssh:// channel deletes it and its state on the host; an open one needs --force, and
    the refusal is the host's, in one line with its exit code."""
    url, there = started(env, server)
    refused = collab(env, "rm", url)
    assert refused.returncode != 0 and Path(there).exists()
    assert refused.stderr.count("\n") == 1 and "--force" in refused.stderr
    gone = collab(env, "rm", url, "--force", "--json")
    assert gone.returncode == 0, gone.stderr
    assert json.loads(gone.stdout)["removed"][0]["path"] == url
    assert not Path(there).exists()
    url2, there2 = started(env, server)
    assert collab(env, "close", url2, "--force").returncode == 0
    said = collab(env, "rm", f"{HOST}:{there2}")
    assert said.returncode == 0 and said.stdout.startswith("removed ") and url2 in said.stdout
    assert not Path(there2).exists()
    missing = collab(env, "rm", url)
    assert missing.returncode != 0 and missing.stderr.count("\n") == 1 and HOST in missing.stderr


def _two_machines() -> list[tuple[str, str, list[str]]]:
    """The README's "Two machines" example: each command's machine, its line, and the output lines shown under it."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("\n## Two machines\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```console\n", 1)[1].split("```", 1)[0]
    steps: list[tuple[str, str, list[str]]] = []
    for line in block.splitlines():
        machine, prompt, command = line.partition("$ ")
        if prompt and machine in ("laptop", "devbox"):
            steps.append((machine, command, []))
        else:
            steps[-1][2].append(line)
    return steps


def test_the_readmes_two_machines_example_runs_as_written(env: dict[str, str], server: Server, tmp_path: Path) -> None:
    """Every command of the README's "Two machines" example, run as written (devbox is the test host,
    /tmp its channel directory), exits 0, and prints the lines the README shows under it."""
    assert subprocess.run(
        [*shlex.split(env["COLLAB_SSH_COMMAND"]), HOST, "collab", "--version"], capture_output=True, check=False
    ).stdout.startswith(b"collab ")  # the set-up's check: `ssh devbox collab --version`
    laptop, devbox = tmp_path / "laptop" / "app", server.root / "devbox" / "app"
    laptop.mkdir(parents=True)
    devbox.mkdir(parents=True, exist_ok=True)
    host_side = server.env | {"COLLAB_SESSION": "devbox-shell"}
    swaps: list[tuple[str, str]] = []
    steps = _two_machines()
    assert [machine for machine, _, _ in steps][:2] == ["laptop", "devbox"]
    for machine, line, shown in steps:
        words = [w.replace("devbox", HOST) for w in shlex.split(line, comments=True)]
        for old, new in swaps:
            words = [w.replace(old, new) for w in words]
        assert words[0] == "collab", line
        done = collab(
            env if machine == "laptop" else host_side, *words[1:], cwd=laptop if machine == "laptop" else devbox
        )
        assert done.returncode == 0, (line, done.stderr)
        if not swaps:  # start: the README's id and path are this channel's
            url = done.stderr.split("Created channel ", 1)[1].split("\n", 1)[0].split(": ", 1)[1]
            ident = url.rsplit("collab-", 1)[1].removesuffix(".md")
            swaps = [("/tmp/collab-k3x9q2ab.md", url.removeprefix(f"ssh://{HOST}")), ("k3x9q2ab", ident)]
        for expected in shown:
            for old, new in [("devbox", HOST), *swaps]:
                expected = expected.replace(old, new)
            assert expected.split("  #")[0].strip() in done.stdout + done.stderr, (line, expected)
        if words[1] == "watch":
            assert done.stdout.rstrip().endswith("Agreed: version 2.1.0.") and "Version 2.1.0." in done.stdout
        if words[1] == "ls":
            assert ident in done.stdout
