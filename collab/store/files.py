"""Opening channel files safely, and appending to them under an exclusive lock.

The rules are contract section 3. A channel is created with ``O_CREAT|O_EXCL|O_NOFOLLOW`` and mode
0600, so nothing already at the path (a file, a planted symlink) is followed or overwritten. Every
later open uses ``O_NOFOLLOW`` and then checks with ``fstat`` that the file is a regular file, owned by
this user, with one link (a planted hard link passes ``O_NOFOLLOW``). Writers take ``flock(LOCK_EX)``
(flock(2): the lock belongs to the open file description, so another descriptor being closed does not
drop it, unlike ``lockf``) and then check that the path still names the locked inode.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from collab.errors import ChannelNotFound, ChannelRefused

#: Largest channel file collab reads, in bytes (documented in the README).
MAX_CHANNEL_BYTES = 32 * 1024 * 1024

_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_APPEND_FLAGS = os.O_RDWR | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def _refusal(path: Path, exc: OSError) -> Exception:
    if exc.errno == errno.ENOENT:
        return ChannelNotFound(f"no channel at {path}: check the path or id (`collab ls` lists channels)")
    if exc.errno == errno.ELOOP:
        return ChannelRefused(f"{path} is a symbolic link: collab does not follow links; give the real path")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return ChannelRefused(f"permission denied for {path}: collab only opens channels you own")
    if exc.errno == errno.EISDIR:
        return ChannelRefused(f"{path} is a directory, not a channel file")
    if exc.errno == errno.ENOTDIR:
        return ChannelNotFound(f"no channel at {path}: a part of the path is not a directory")
    return ChannelRefused(f"cannot open {path}: {exc.strerror}")


def check_fd(fd: int, path: Path) -> os.stat_result:
    """Check that an open descriptor is a regular file of this user with one link; return its stat.

    Raises:
        ChannelRefused: naming what is wrong (directory, FIFO, other owner, hard link).
    """
    st = os.fstat(fd)
    if stat.S_ISDIR(st.st_mode):
        raise ChannelRefused(f"{path} is a directory, not a channel file")
    if not stat.S_ISREG(st.st_mode):
        raise ChannelRefused(f"{path} is not a regular file (a FIFO, socket or device): not a channel")
    if st.st_uid != os.getuid():
        raise ChannelRefused(f"{path} belongs to another user (uid {st.st_uid}): collab only opens your own channels")
    if st.st_nlink > 1:  # 0 is a file replaced (renamed over) after it was opened: a consistent old copy
        raise ChannelRefused(f"{path} has {st.st_nlink} hard links: collab refuses a channel that is linked elsewhere")
    return st


def open_checked(path: Path, *, append: bool = False) -> int:
    """Open ``path`` without following links and check it (see :func:`check_fd`); return the descriptor.

    Raises:
        ChannelNotFound: nothing is at ``path``.
        ChannelRefused: a link, directory, FIFO, another user's file, or no permission.
    """
    try:
        fd = os.open(path, _APPEND_FLAGS if append else _READ_FLAGS)
    except OSError as exc:
        raise _refusal(path, exc) from None
    try:
        check_fd(fd, path)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_fd(fd: int, path: Path, start: int = 0, limit: int = MAX_CHANNEL_BYTES) -> bytes:
    """Read from byte ``start`` to the end of an open file, or to byte ``limit`` if it is larger.

    A caller that must know whether the file holds more compares with ``os.fstat(fd).st_size``.
    """
    chunks: list[bytes] = []
    offset = start
    while offset < limit:
        chunk = os.pread(fd, min(max(os.fstat(fd).st_size - offset, 65536), limit - offset), offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def read_checked(path: Path, start: int = 0) -> bytes:
    """Open ``path`` safely and return its bytes from ``start`` (see :func:`open_checked`, :func:`read_fd`)."""
    fd = open_checked(path)
    try:
        return read_fd(fd, path, start)
    finally:
        os.close(fd)


def create_exclusive(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 holding ``data``; never follow or replace anything already there.

    Raises:
        ChannelRefused: something (a file, a link) is already at ``path``, or the directory refuses.
        ChannelNotFound: the directory does not exist.
    """
    try:
        fd = os.open(path, _CREATE_FLAGS, 0o600)
    except FileExistsError:
        raise ChannelRefused(f"{path} already exists: collab never overwrites a file; pick another id") from None
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise ChannelNotFound(f"directory {path.parent} does not exist: create it or pick another --dir") from None
        raise _refusal(path, exc) from None
    try:
        write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_atomic(
    path: Path,
    data: bytes | Iterable[bytes],
    mode: int = 0o600,
    *,
    dir_fd: int | None = None,
    exact_mode: bool = False,
) -> None:
    """Replace ``path`` with ``data`` atomically: a new file beside it, then ``os.replace`` (rename(2)).

    A reader sees the old bytes or the new ones, never a mix. The temporary file
    (``.<name>.<random>.tmp``) is created with ``O_CREAT|O_EXCL|O_NOFOLLOW`` and ``mode``, written,
    fsync'd and renamed over ``path``; a symlink at ``path`` is replaced, never followed. Whatever
    fails, the temporary file does not stay.

    Args:
        path: the file to replace.
        data: its bytes, or the pieces of them, each written as it comes (so memory need hold only one).
        mode: the new file's mode, less the umask unless ``exact_mode``.
        dir_fd: a descriptor of the directory holding ``path``: the temporary file is made and renamed
            by name (``path.name``) relative to it, so the path to that directory is not looked up
            again and a link put on the way to it since it was opened is never followed.
        exact_mode: set ``mode`` with ``fchmod`` as well, so the umask cannot take bits from it.

    Raises:
        ChannelNotFound: the directory does not exist (without ``dir_fd``).
        ChannelRefused: the temporary file cannot be made in ``dir_fd``, naming ``path``.
        OSError: the directory refuses the write; or writing or renaming failed once the file was made.
    """
    name = f".{path.name}.{os.urandom(6).hex()}.tmp"
    temporary: str | Path = path.with_name(name) if dir_fd is None else name
    try:
        fd = os.open(temporary, _CREATE_FLAGS, mode, dir_fd=dir_fd)
    except OSError as exc:
        if dir_fd is not None:
            raise ChannelRefused(f"cannot write {path}: {exc.strerror}") from None
        if isinstance(exc, FileNotFoundError):
            raise ChannelNotFound(f"directory {path.parent} does not exist") from None
        raise
    try:
        try:
            for piece in [data] if isinstance(data, bytes) else data:
                write_all(fd, piece)
            if exact_mode:
                os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path if dir_fd is None else path.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary, dir_fd=dir_fd)
        raise


def append_checked(path: Path, size: int, data: bytes) -> None:
    """Append ``data`` to the file of collab's at ``path``, which should be ``size`` bytes long.

    A longer file (a line torn by a writer that died) is cut back to ``size`` first. The file is
    opened without following links or blocking, and checked as :func:`check_fd` does.

    Raises:
        OSError: the file cannot be written. ChannelRefused: it is not a regular file of this user.
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if check_fd(fd, path).st_size != size:
            os.ftruncate(fd, size)
        write_all(fd, data)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` (os.write may write less than asked, e.g. when interrupted)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class LockTimeout(ChannelRefused):
    """Another process held the channel's lock for longer than ``COLLAB_LOCK_TIMEOUT`` seconds."""


#: ``struct flock`` (fcntl(2)) on 64-bit Linux: l_type, l_whence, l_start, l_len, l_pid, padding.
_FLOCK = "hhqqi4x"


def hold_shared(fd: int) -> None:
    """Take a shared open-file-description lock on the whole file open as ``fd``, without waiting.

    Linux ``F_OFD_SETLK`` (fcntl(2), "Open file description locks"): held until the last descriptor
    of this open file is closed, which the kernel does when the process ends, SIGKILL included.

    Raises:
        OSError: the lock is refused (``EAGAIN``), or the system has no such locks.
    """
    fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack(_FLOCK, fcntl.F_RDLCK, os.SEEK_SET, 0, 0, 0))


def held_elsewhere(fd: int) -> bool:
    """Whether another open file description holds a lock (:func:`hold_shared`) on the file open as ``fd``.

    Asks the kernel with ``F_OFD_GETLK`` for an exclusive lock, without taking anything, so two
    callers asking at once never see each other.

    Raises:
        OSError: the system has no such locks.
    """
    asked = struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
    found: int = struct.unpack(_FLOCK, fcntl.fcntl(fd, fcntl.F_OFD_GETLK, asked))[0]
    return found != fcntl.F_UNLCK


def lock_holders(fd: int) -> list[int]:
    """PIDs that hold a ``flock`` on the file open as ``fd``, from Linux ``/proc/locks`` (empty elsewhere).

    ``/proc/locks`` names a lock's file as ``MAJOR:MINOR:INODE`` (major and minor in hex), see proc(5).
    """
    st = os.fstat(fd)
    target = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    holders = []
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as table:
            for line in table:
                fields = line.split()
                if len(fields) > 5 and fields[1] == "FLOCK" and fields[5] == target and fields[4].isdigit():
                    holders.append(int(fields[4]))
    except OSError:
        return []
    return holders


class _Expired(Exception):
    """The alarm that bounds a blocking ``flock`` went off."""


def _alarm(_signum: int, _frame: object) -> None:
    raise _Expired


def _blocking_within(fd: int, timeout: float) -> bool | None:
    """A blocking ``flock(LOCK_EX)`` bounded by an alarm (``setitimer(ITIMER_REAL)``), as util-linux
    ``flock -w`` does: the kernel hands the lock to waiters in turn, which polling cannot promise.

    Returns True when locked, False when the time ran out, and None when an alarm cannot be used
    here (not the main thread, or the process already uses SIGALRM or its timer).
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, None) or signal.getitimer(signal.ITIMER_REAL)[0]:
        return None
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        return True
    except _Expired:
        return False
    finally:
        signal.signal(signal.SIGALRM, previous)


def acquire(fd: int, path: Path, timeout: float) -> None:
    """Take ``flock(LOCK_EX)`` on ``fd`` within ``timeout`` seconds.

    flock(2) has no timeout: in the main thread a blocking ``flock`` is bounded by an alarm
    (:func:`_blocking_within`); elsewhere a busy lock is retried non-blocking with a back-off of
    1 ms doubling to 20 ms.

    Raises:
        LockTimeout: naming the holder's PID.
    """
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    locked = _blocking_within(fd, timeout) if timeout > 0 else False
    if locked is None:
        locked = _polling_within(fd, timeout)
    if not locked:
        holders = ", ".join(map(str, lock_holders(fd))) or "unknown"
        raise LockTimeout(
            f"{path} has been locked by another process (PID {holders}) for over {timeout:.2g} s: "
            "if that process is stopped or stuck, end it (or raise COLLAB_LOCK_TIMEOUT) and try again"
        )


def _polling_within(fd: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            pass
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(pause, left))
        pause = min(pause * 2, 0.02)


@contextmanager
def locked_for_append(path: Path, timeout: float | None = None) -> Iterator[int]:
    """Open ``path`` for reading and appending and hold ``flock(LOCK_EX)`` on it; yield the descriptor.

    Waits at most ``timeout`` seconds (default ``COLLAB_LOCK_TIMEOUT``, 10). If the file was replaced
    while we waited, the lock is retaken on the new file (see :func:`locked_at`).

    Raises:
        ChannelNotFound, ChannelRefused: as :func:`open_checked`. LockTimeout: the lock stayed busy.
    """
    if timeout is None:
        from collab.config import lock_timeout

        timeout = lock_timeout()
    replaced = f"{path} keeps being replaced while collab waits for its lock; try again"
    with locked_at(path, lambda: open_checked(path, append=True), timeout, replaced) as fd:
        check_fd(fd, path)
        yield fd


@contextmanager
def locked_at(path: Path, open_file: Callable[[], int], timeout: float, replaced: str) -> Iterator[int]:
    """Hold ``flock(LOCK_EX)`` on the file at ``path``, opened by ``open_file``; yield its descriptor.

    A lock belongs to a file, not to a name: once it is taken, the path must still name the locked
    file, or the lock excludes no one. If the file was replaced or removed while this process
    waited, the lock is retaken on what ``open_file`` opens now (a few times, then refused). Waits
    at most ``timeout`` seconds in all. The descriptor is closed on leaving.

    Raises:
        ChannelRefused: ``replaced``, when the path kept naming another file. LockTimeout: the lock
            stayed busy. And what ``open_file`` raises.
    """
    deadline = time.monotonic() + timeout
    for _attempt in range(5):
        fd = open_file()
        try:
            acquire(fd, path, max(0.0, deadline - time.monotonic()))
            if still_names(fd, path):
                yield fd
                return
        finally:
            os.close(fd)
    raise ChannelRefused(replaced)


@contextmanager
def try_locked(path: Path) -> Iterator[int | None]:
    """Like :func:`locked_for_append`, but never waits: yields None when another process holds the lock.

    Read-only commands use it to accept hand appends when they can, and read without it otherwise.

    Raises:
        ChannelNotFound, ChannelRefused: as :func:`open_checked`.
    """
    fd = open_checked(path, append=True)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        yield fd if still_names(fd, path) else None
    finally:
        os.close(fd)


def still_names(fd: int, path: Path) -> bool:
    """True when ``path`` still names the file open as ``fd`` (it was not replaced or removed)."""
    held = os.fstat(fd)
    try:
        now = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return (now.st_ino, now.st_dev) == (held.st_ino, held.st_dev)
