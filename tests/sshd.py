"""A real OpenSSH ``sshd`` on 127.0.0.1, on a free high port, for the tests of remote channels.

It has a throwaway host key, one authorized key, a known-hosts file, ``StrictModes no`` and its own
``sshd_config``; the client reaches it with ``COLLAB_SSH_COMMAND='ssh -F <its ssh_config>'``. The
"remote" side runs with its own ``HOME``, ``COLLAB_DIR`` and ``COLLAB_STATE_DIR`` (given by the
authorized key's ``environment=`` options), and this checkout's collab first on its ``PATH``, so
nothing is shared with the local side but the SSH connection.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

SSHD = "/usr/sbin/sshd"
HOST = "collab-test"


class Server(NamedTuple):
    """A running test ``sshd``: its port, the client's ``ssh_config``, and the host side's directories."""

    port: int
    root: Path
    ssh_config: Path
    home: Path
    channels: Path
    state: Path

    @property
    def env(self) -> dict[str, str]:
        """The environment of a collab run directly on the host side (a session that sits there)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COLLAB_", "COV_"))}
        bindir = str(Path(sys.executable).parent)
        return env | {
            "HOME": str(self.home),
            "COLLAB_DIR": str(self.channels),
            "COLLAB_STATE_DIR": str(self.state),
            "PATH": f"{bindir}:/usr/bin:/bin",
        }


def unavailable() -> str | None:
    """Why no test sshd can run here, or None."""
    if not os.path.exists(SSHD) or shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        return "OpenSSH (openssh-server, openssh-client) is not installed; .ci/run installs it"
    if os.getuid() != 0 and not os.path.isdir("/run/sshd"):
        return "sshd needs /run/sshd, which only root can create here"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path.with_suffix(".pub").read_text().strip()


def _ready(port: int, process: subprocess.Popen[bytes], limit: float = 20.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sshd exited: {process.stderr.read().decode() if process.stderr else ''}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.05)
    raise RuntimeError("sshd did not listen in time")


@contextlib.contextmanager
def running(root: Path) -> Iterator[Server]:
    """Start the test sshd under ``root`` (a short path); stop it, and every master, on the way out."""
    if os.getuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    home, channels, state = root / "home", root / "host channels", root / "state"
    for folder in (home, channels):
        folder.mkdir(mode=0o700)
    host_key, client_key = _keygen(root / "host_key"), _keygen(root / "id")
    bindir = str(Path(sys.executable).parent)
    options = ",".join(
        f'environment="{k}={v}"'
        for k, v in (
            ("HOME", home),
            ("COLLAB_DIR", channels),
            ("COLLAB_STATE_DIR", state),
            ("PATH", f"{bindir}:/usr/bin:/bin"),
        )
    )
    (root / "authorized_keys").write_text(f"{options} {client_key}\n")
    (root / "known_hosts").write_text(f"{HOST} {host_key}\n")
    port = _free_port()
    (root / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {root / 'host_key'}\nPidFile {root / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {root / 'authorized_keys'}\nStrictModes no\nUsePAM no\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
        "PermitRootLogin prohibit-password\nPermitUserEnvironment yes\nLogLevel ERROR\n"
    )
    ssh_config = root / "ssh_config"
    ssh_config.write_text(
        f"Host {HOST}\n  HostName 127.0.0.1\n  Port {port}\n  User {_user()}\n  IdentityFile {root / 'id'}\n"
        f"  IdentitiesOnly yes\n  HostKeyAlias {HOST}\n  UserKnownHostsFile {root / 'known_hosts'}\n"
        "  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  ConnectTimeout 20\n"
        f"Host *\n  IdentityFile {root / 'id'}\n  IdentitiesOnly yes\n  UserKnownHostsFile {root / 'known_hosts'}\n"
        "  GlobalKnownHostsFile /dev/null\n  ConnectTimeout 20\n"
    )
    process = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(root / "sshd_config")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _ready(port, process)
        yield Server(port, root, ssh_config, home, channels, state)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def stop_masters(control: Path, ssh_config: Path) -> None:
    """End every ControlMaster whose socket is in ``control`` (``ssh -O exit``)."""
    if not control.is_dir():
        return
    for sock in control.iterdir():
        subprocess.run(
            ["ssh", "-F", str(ssh_config), "-o", f"ControlPath={sock}", "-O", "exit", HOST],
            capture_output=True,
            timeout=20,
            check=False,
        )


def short_dir(prefix: str) -> Path:
    """A new private directory with a short path (a control socket's path must fit in about 104 bytes)."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
