"""Where collab keeps what it knows about a channel: one private state directory per user.

A channel lives in a shared directory (``/tmp`` by default), where any local user can create files.
Anything collab keeps about a channel (its ledger, the ledger's copy of the accepted bytes, readers'
cursors, seats) therefore lives in the user's own state directory, mode 0700, where no one else
can plant a file, a link or a FIFO ahead of collab (contract section 7, point 8):

- ``$COLLAB_STATE_DIR`` if set, else ``$XDG_STATE_HOME/collab`` (XDG Base Directory
  Specification), else ``~/.local/state/collab``.
- One file per channel and purpose: ``collab-<id>-<dir key>.<what>``. The directory key is a
  digest of the real path of the channel's directory, so channels with the same id in two
  directories never share state.

Files collab saves *beside* a channel (a torn append, an edited copy, an unreadable tail) get
names with a timestamp and random part, created with ``O_EXCL``: see :func:`kept_path`.
"""

from __future__ import annotations

import functools
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

from collab.errors import ChannelRefused
from collab.text import digest

#: What collab keeps per channel in the state directory, by the suffix of its file name.
SIDECARS = ("ledger", "accepted", "cursors.json", "seats.json", "lock")


def state_dir(*, create: bool = True) -> Path:
    """The user's private state directory (created with mode 0700 when ``create`` is true).

    Raises:
        ChannelRefused: the directory is not a directory, belongs to another user, or can be
            written by others (group/other write or read bits set), so it is not private.
    """
    explicit = os.environ.get("COLLAB_STATE_DIR")
    if explicit:
        path = Path(explicit)
    else:
        base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        path = Path(base) / "collab"
    try:
        st = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        if not create:
            return path
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            st = os.stat(path, follow_symlinks=False)
        except OSError as exc:
            raise ChannelRefused(
                f"cannot create collab's state directory {path}: {exc.strerror}; set COLLAB_STATE_DIR"
            ) from None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise ChannelRefused(
            f"collab's state directory {path} is not a private directory of yours (mode 0700): "
            "fix it (chmod 700) or set COLLAB_STATE_DIR"
        )
    return path


def _dir_key(channel_path: Path) -> str:
    return _key_of(str(channel_path.parent))


@functools.lru_cache(maxsize=64)
def _key_of(parent: str) -> str:
    """The key of a channel directory: a digest of its real path, worked out once per process."""
    real = os.path.realpath(parent)
    return digest.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def sidecar(channel_path: Path, what: str, *, create: bool = True) -> Path:
    """The state file ``what`` (one of :data:`SIDECARS`) of the channel at ``channel_path``.

    Raises:
        ChannelRefused: see :func:`state_dir`.
    """
    if what not in SIDECARS:
        raise ValueError(f"unknown sidecar {what!r}")
    return state_dir(create=create) / f"{channel_path.stem}-{_dir_key(channel_path)}.{what}"


def presence_file(channel_path: Path, name: str, *, create: bool = True) -> Path:
    """The file a participant ``name`` (a valid author name) holds a lock on while it waits on the channel."""
    return state_dir(create=create) / f"{channel_path.stem}-{_dir_key(channel_path)}.waiting-{name}"


def presence_files(channel_path: Path) -> list[Path]:
    """The presence files of the channel at ``channel_path`` that exist now."""
    prefix = f"{channel_path.stem}-{_dir_key(channel_path)}.waiting-"
    try:
        return sorted(p for p in state_dir(create=False).iterdir() if p.name.startswith(prefix))
    except OSError:
        return []


def sidecars(channel_path: Path) -> list[Path]:
    """Every state file of the channel at ``channel_path`` that exists now (presence files included)."""
    kept = [p for p in (sidecar(channel_path, w, create=False) for w in SIDECARS) if os.path.lexists(p)]
    return kept + presence_files(channel_path)


def kept_path(channel_path: Path, what: str, moment: datetime | None = None) -> Path:
    """A new name beside the channel for bytes collab sets aside: ``collab-<id>.<what>-<time>-<rand>.md``.

    ``what`` says why (``torn``, ``edited``, ``unreadable``). The name cannot be predicted (time to
    the microsecond plus 32 random bits), so no one can plant a file there; create it with ``O_EXCL``.
    """
    stamp = (moment or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    return channel_path.with_name(f"{channel_path.stem}.{what}-{stamp}-{os.urandom(4).hex()}.md")
