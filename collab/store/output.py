"""Writing a file the user names with ``-o`` (``collab show --html -o FILE``), safely.

Contract section 7, point 8: nothing another local user can plant at the path (a FIFO, a link, a
device, a file of their own in a sticky ``/tmp``) may make the command hang or write through it,
and a page never replaces anything collab keeps for a channel. So, before anything is rendered:

- the name is refused if collab could have made it: a channel (``collab-<id>.md``), a copy set
  aside beside one (``collab-<id>.edited-<time>.md``), or a state file (``.ledger``, ``.accepted``,
  ``.cursors``, ``.seats``, ``.lock``), and so is any path in collab's state directory;
- whatever is at the path is opened with ``O_NOFOLLOW|O_NONBLOCK`` (open(2): no link is followed,
  and opening a FIFO returns at once) and judged by ``fstat``: only a regular file of this user
  that holds no channel may be replaced.

The file is then written atomically: a new file beside it, created with ``O_EXCL``, then
``rename(2)``, which replaces the name without opening what was there.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

from collab.errors import ChannelFormatError, ChannelNotFound, ChannelRefused
from collab.store import files, paths
from collab.text.format import parse

_STATE_WORDS = "|".join(sorted({name.split(".")[0] for name in paths.SIDECARS}))
#: Names of files collab keeps for a channel (see the module docstring).
_KEPT_NAME = re.compile(rf"\.?collab-[a-z0-9]{{4,32}}(\.[^/]*)?\.md|.*\.({_STATE_WORDS})\b.*")


def _refuse(output: Path, why: str) -> ChannelRefused:
    return ChannelRefused(f"refusing to write over {output}: {why}")


def _check_name(output: Path, target: Path) -> None:
    if _KEPT_NAME.fullmatch(target.name):
        raise _refuse(output, "collab keeps a channel's files under such names; pick another -o FILE")
    try:
        state = os.path.realpath(paths.state_dir(create=False))
    except ChannelRefused:
        return  # a state directory that is not private holds nothing collab would use
    if os.path.commonpath([os.path.realpath(target), state]) == state:
        raise _refuse(output, f"it is in collab's state directory {state}; pick another -o FILE")


def _check_existing(output: Path, target: Path, channel: Path) -> None:
    """Refuse ``target`` unless it is absent or a regular file of this user holding no channel."""
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _refuse(output, "it is a symbolic link; give the real path or another -o FILE") from None
        raise _refuse(output, f"{exc.strerror}; pick another -o FILE") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ChannelRefused(f"{output} is a directory: give -o a file name, e.g. {channel.stem}.html")
        if not stat.S_ISREG(st.st_mode):
            raise _refuse(
                output, "it is not a regular file (a FIFO, socket or device); remove it or pick another -o FILE"
            )
        if st.st_uid != os.getuid():
            raise _refuse(output, f"it belongs to another user (uid {st.st_uid}); pick another -o FILE")
        if os.path.exists(channel) and os.path.samestat(st, os.stat(channel)):
            raise _refuse(output, "it is the channel itself; pick another -o FILE")
        if st.st_size <= files.MAX_CHANNEL_BYTES and _holds_channel(files.read_fd(fd, target)):
            raise _refuse(output, "it holds a collab channel; pick another -o FILE")
    finally:
        os.close(fd)


def _holds_channel(data: bytes) -> bool:
    try:
        parse(data)
    except ChannelFormatError:
        return False
    return True


def write(output: Path, parts: Iterable[str], *, channel: Path) -> Path:
    """Write the text ``parts`` to ``output`` (UTF-8, mode 0644 less the umask), atomically.

    ``output`` is checked at once, before the first part is asked for, so a refusal costs no
    rendering; each part is written as it comes, so memory holds one part at a time.

    Args:
        output: the path given with ``-o``, relative to the working directory or absolute.
        parts: the text to write, in order (consumed only after the checks pass).
        channel: the channel being shown, which is never overwritten.

    Returns:
        The absolute path written.

    Raises:
        ChannelRefused: see the module docstring; also a directory at ``output``.
        ChannelNotFound: the directory of ``output`` does not exist.
    """
    target = Path(os.path.abspath(output))
    _check_name(output, target)
    _check_existing(output, target, channel)
    if not target.parent.is_dir():
        raise ChannelNotFound(f"directory {target.parent} does not exist: create it or pick another -o FILE")
    files.replace_atomic(target, (part.encode("utf-8") for part in parts), 0o644)
    return target
