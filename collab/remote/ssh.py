"""The ``ssh`` command that runs collab on a channel's host, and what its failures mean.

collab runs the user's own ``ssh`` client (or ``COLLAB_SSH_COMMAND``, split as a shell splits
words, as git splits ``GIT_SSH_COMMAND``), so the user's ``~/.ssh/config``, keys, agent and
known hosts are the ones in force. collab's options come after the user's, and ``ssh`` takes the
first value it is given for an option, so a ``-o`` in ``COLLAB_SSH_COMMAND`` wins over collab's:

- ``BatchMode=yes``: ``ssh`` never prompts; a passphrase or an unknown host key fails at once.
- ``ControlMaster=auto``, ``ControlPersist`` and a ``ControlPath`` (``%C``, a hash of the
  connection) in a private directory: one connection per host, shared by every command.

The remote command is one string that the remote user's shell parses again, so every word of it
is quoted with :func:`shlex.join`. Bodies never travel in it: they go on standard input.
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from collab.errors import ChannelRefused, CollabError, UsageError
from collab.remote.address import Address

#: Seconds the shared connection stays open after its last command (``COLLAB_SSH_PERSIST``).
DEFAULT_PERSIST = 600
#: Longest ``COLLAB_SSH_PERSIST`` accepted, in seconds: one day.
MAX_PERSIST = 86400
#: The exit status ``ssh`` gives when it fails itself (cannot connect, authentication refused).
SSH_FAILED = 255
#: The exit status a POSIX shell gives for a command it cannot find.
NOT_FOUND = 127


class HostUnreachable(CollabError):
    """``ssh`` could not reach the host or log in: the message names the host and ``ssh``'s reason."""


class CollabMissing(CollabError):
    """The host has no ``collab`` on the path of its non-interactive shell."""


class VersionMismatch(CollabError):
    """The host's collab cannot serve this one: the message names both versions."""


def control_dir(environ: Mapping[str, str] | None = None, *, create: bool = True) -> Path:
    """The private directory of collab's control sockets.

    ``COLLAB_SSH_CONTROL_DIR`` if set, else ``$XDG_RUNTIME_DIR/collab-ssh``, else
    ``/tmp/collab-ssh-<uid>``: short, because a socket's path must fit in about 104 bytes.

    Raises:
        ChannelRefused: the directory (or a socket in it) is a link, not a directory, belongs to
            another user, or is open to group or others: another user could hijack the connection.
    """
    env = os.environ if environ is None else environ
    uid = os.getuid()
    given = env.get("COLLAB_SSH_CONTROL_DIR") or (
        os.path.join(env["XDG_RUNTIME_DIR"], "collab-ssh") if env.get("XDG_RUNTIME_DIR") else f"/tmp/collab-ssh-{uid}"
    )
    path = Path(given)
    if create:
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            pass
        except OSError as exc:
            raise ChannelRefused(f"cannot create collab's ssh control directory {path}: {exc.strerror}") from None
    _check_private(path, uid)
    return path


def _check_private(path: Path, uid: int) -> None:
    fix = "remove it, or set COLLAB_SSH_CONTROL_DIR to a directory of yours with mode 0700"
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != uid or st.st_mode & 0o077:
        raise ChannelRefused(
            f"collab's ssh control directory {path} is not a private directory of yours (mode 0700): {fix}"
        )
    with os.scandir(path) as found:
        for item in found:
            if item.stat(follow_symlinks=False).st_uid != uid:
                raise ChannelRefused(f"{item.path} in collab's ssh control directory belongs to another user: {fix}")


def persist_seconds(environ: Mapping[str, str] | None = None) -> int:
    """``COLLAB_SSH_PERSIST`` (seconds, 0 to :data:`MAX_PERSIST`), else :data:`DEFAULT_PERSIST`.

    Raises:
        UsageError: the value is not such a number.
    """
    raw = (os.environ if environ is None else environ).get("COLLAB_SSH_PERSIST", "").strip()
    if not raw:
        return DEFAULT_PERSIST
    if not (raw.isascii() and raw.isdigit() and int(raw) <= MAX_PERSIST):
        raise UsageError(f"COLLAB_SSH_PERSIST: give a number of seconds from 0 to {MAX_PERSIST}, not {raw!r}")
    return int(raw)


def client(environ: Mapping[str, str] | None = None) -> list[str]:
    """The ``ssh`` program and the user's options: ``COLLAB_SSH_COMMAND`` split with :func:`shlex.split`.

    Raises:
        UsageError: ``COLLAB_SSH_COMMAND`` cannot be split (an unclosed quote) or is empty.
    """
    raw = (os.environ if environ is None else environ).get("COLLAB_SSH_COMMAND", "").strip()
    if not raw:
        return ["ssh"]
    try:
        words = shlex.split(raw)
    except ValueError as exc:
        raise UsageError(f"COLLAB_SSH_COMMAND: {exc}: write it as a shell command: 'ssh -F ~/ssh_config'") from None
    return words


def remote_program(environ: Mapping[str, str] | None = None) -> list[str]:
    """The words that run collab on the host: ``COLLAB_REMOTE_COLLAB`` split as a shell splits it, else ``collab``."""
    raw = (os.environ if environ is None else environ).get("COLLAB_REMOTE_COLLAB", "").strip()
    try:
        return shlex.split(raw) if raw else ["collab"]
    except ValueError as exc:
        raise UsageError(f"COLLAB_REMOTE_COLLAB: {exc}") from None


def command(
    address: Address, argv: Sequence[str], environ: Mapping[str, str] | None = None, *, control: Path | None = None
) -> list[str]:
    """The whole ``ssh`` command line that runs ``collab ARGV`` on ``address``'s host.

    Args:
        address: the host (its ``user`` and ``port`` when given).
        argv: collab's arguments on the host, each quoted for the remote shell here.
        environ: the environment to read ``COLLAB_SSH_*`` from (default: this process's).
        control: the control directory (default: :func:`control_dir`).
    """
    folder = control if control is not None else control_dir(environ)
    words = [
        *client(environ),
        "-o", "BatchMode=yes",
        "-o", "ControlMaster=auto",
        "-o", f"ControlPersist={persist_seconds(environ)}",
        "-o", f"ControlPath={folder}/%C",
    ]  # fmt: skip
    if address.user:
        words += ["-l", address.user]
    if address.port is not None:
        words += ["-p", str(address.port)]
    host = address.destination.rpartition("@")[2]  # the user went as -l
    return [*words, "--", host, shlex.join([*remote_program(environ), *argv])]


class Ran(NamedTuple):
    """What a command on the host gave: its exit ``code`` and the bytes of its ``stdout`` and ``stderr``."""

    code: int
    stdout: bytes
    stderr: bytes


def reason(stderr: bytes) -> str:
    """``ssh``'s own reason for a failure, in one line: its last line that says something."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    said = [line for line in lines if not line.lower().startswith(("warning:", "debug"))] or lines
    return said[-1].removeprefix("ssh: ") if said else "ssh gave no reason"


def check(address: Address, ran: Ran) -> Ran:
    """``ran`` unless ``ssh`` itself failed or the host has no collab.

    Raises:
        HostUnreachable: ``ssh`` exited 255 (no connection, host key, authentication refused).
        CollabMissing: the remote shell found no collab (exit 127).
    """
    if ran.code == SSH_FAILED:
        raise HostUnreachable(f"cannot reach {address.destination} over ssh: {reason(ran.stderr)}")
    if ran.code == NOT_FOUND:
        raise CollabMissing(
            f"collab is not installed on {address.destination} (or not on the PATH of a non-interactive ssh "
            "session there): install it on that host, e.g. `ssh HOST pipx install collab`, or set "
            "COLLAB_REMOTE_COLLAB to its full path there"
        )
    return ran


def run(address: Address, argv: Sequence[str], stdin: bytes | None = None, timeout: float | None = None) -> Ran:
    """Run ``collab ARGV`` on the host, with ``stdin`` on its standard input; see :func:`check`.

    Raises:
        HostUnreachable, CollabMissing: see :func:`check`; also when ``ssh`` cannot be run.
        subprocess.TimeoutExpired: ``timeout`` (seconds) passed first.
    """
    words = command(address, argv)
    try:
        done = subprocess.run(
            words, input=stdin or b"", capture_output=True, timeout=timeout, check=False, start_new_session=False
        )
    except FileNotFoundError:
        raise HostUnreachable(f"cannot reach {address.destination}: {words[0]!r} is not installed here") from None
    return check(address, Ran(done.returncode, done.stdout, done.stderr))
