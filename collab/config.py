"""Where channels live, who is writing, and every setting checked at the edge.

The defaults are contract sections 3 and 4. Durations and ``COLLAB_*`` settings are checked here
before anything uses them (contract section 7, point 9): a value that is not finite, out of range,
or not plain ASCII digits is a :class:`~collab.errors.UsageError` (exit 2, one line), never an
internal error later on. An empty ``COLLAB_*`` variable counts as unset, as ``COLLAB_DIR`` does.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path

from collab.errors import ChannelNotFound, UsageError
from collab.text.grammar import author_from_label, check_author
from collab.text.naming import CHANNEL_NAME, file_name

DEFAULT_DIR = Path("/tmp")
#: The fewest characters of an id that may stand for it (contract section 3).
MIN_PREFIX = 4
_ID = re.compile(rf"^(?:collab-)?([a-z0-9]{{{MIN_PREFIX},32}})(?:\.md)?$")
_MAX_LISTED = 10


def channel_dir(directory: str | os.PathLike[str] | None = None) -> Path:
    """The channel directory, absolute: ``directory`` if given, else ``$COLLAB_DIR``, else ``/tmp``.

    Absolute, because the path is written into join messages that run in another directory.

    Raises:
        UsageError: the path holds a line break or another control character, or bytes that are
            not UTF-8 (it would be written into the channel's header and every command line given
            to the other side).
    """
    env = os.environ.get("COLLAB_DIR")
    chosen = Path(directory) if directory else Path(env) if env else DEFAULT_DIR
    try:
        str(chosen).encode("utf-8")
    except UnicodeEncodeError:  # bytes Python decoded with surrogateescape (PEP 383)
        raise UsageError(f"--dir/COLLAB_DIR {str(chosen)!a} is not UTF-8: pick a directory with a UTF-8 path") from None
    if any(ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F for char in str(chosen)):
        raise UsageError(f"--dir/COLLAB_DIR {str(chosen)!r} holds a control character: pick a plain directory path")
    return chosen.absolute()


def channel_path(channel_id: str, directory: str | os.PathLike[str] | None = None) -> Path:
    """The path of the channel with ``channel_id`` in the channel directory: ``collab-<id>.md``."""
    return channel_dir(directory) / file_name(channel_id)


def channel_ids(directory: str | os.PathLike[str] | None = None) -> list[str]:
    """The ids of the channel files (:data:`CHANNEL_NAME`) in the channel directory, sorted.

    Names only: nothing is opened, so a file here may still be refused when it is opened.
    A directory that cannot be listed has no ids.
    """
    try:
        with os.scandir(channel_dir(directory)) as found:
            return sorted(m.group(1) for m in map(CHANNEL_NAME.fullmatch, (e.name for e in found)) if m)
    except OSError:
        return []


def own_channel_ids(directory: str | os.PathLike[str] | None = None) -> list[str]:
    """The ids of the channel files in the channel directory that are this user's own, sorted.

    Own means what opening a channel accepts (:func:`collab.store.files.check_fd`): the name itself is a
    regular file, not a link, FIFO or directory, owned by this user. Anyone may plant files in a
    shared directory such as ``/tmp``; these are the only names an id prefix may stand for. The
    names are checked with ``lstat``, so nothing is opened or followed. A directory that cannot be
    listed has no ids.
    """
    try:
        with os.scandir(channel_dir(directory)) as found:
            named = [(m.group(1), item) for item in found if (m := CHANNEL_NAME.fullmatch(item.name))]
            return sorted(channel_id for channel_id, item in named if _own_file(item))
    except OSError:
        return []


def _own_file(place: os.DirEntry[str] | Path) -> bool:
    """Whether ``place`` itself (never a link's target) is a regular file of this user."""
    try:
        st = place.stat(follow_symlinks=False)
    except OSError:  # gone meanwhile, or not to be looked at
        return False
    return stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid()


def resolve(ref: str, directory: str | os.PathLike[str] | None = None, *, existing: bool = False) -> Path:
    """Turn a CHANNEL argument (a path, an id, or a unique prefix of an id) into a path.

    Contract section 3: an id is looked up in the channel directory, in any case. An id that begins exactly one
    channel's id (4+ characters, :data:`MIN_PREFIX`) names that channel; the full id wins over a
    longer id it begins. A prefix stands only for this user's own channel files
    (:func:`own_channel_ids`), so files another user plants in a shared directory (their own
    ``collab-<prefix>.md``, a FIFO, a link) can neither make a prefix ambiguous nor take its
    place. An id that names only such a file is returned as it is, and opening it refuses with the
    reason. A path is returned as given (opening it checks it).

    Args:
        ref: the CHANNEL argument.
        directory: the channel directory (see :func:`channel_dir`).
        existing: when true, an id that names no channel is an error with a hint; when false its
            path is returned anyway, for callers that deal with a missing file themselves
            (``verify`` of a deleted channel whose ledger remains).

    Raises:
        UsageError: ``ref`` is empty, or neither a path nor a well-formed id.
        ChannelNotFound: ``ref`` begins several ids (the message lists them); or, with
            ``existing``, it names none (the message says where to look, and near ids if any).
    """
    if not ref.strip():
        raise UsageError("CHANNEL is empty: give a channel path or id (`collab ls` lists them)")
    if "/" in ref or ref.endswith(".md"):
        return Path(ref)
    m = _ID.match(ref.lower())  # ids are lowercase: K3X9Q2AB names k3x9q2ab
    if not m:
        raise UsageError(
            f"{ref!r} is neither a channel path nor an id: give a path, an id, or the id's first 4 or more "
            "characters (lowercase letters and digits)"
        )
    wanted = m.group(1)
    exact = channel_path(wanted, directory)
    if _own_file(exact):
        return exact
    ids = own_channel_ids(directory)
    matches = [i for i in ids if i.startswith(wanted)]
    if len(matches) == 1:
        return channel_path(matches[0], directory)
    if matches:
        more = len(matches) - _MAX_LISTED
        shown = ", ".join(matches[:_MAX_LISTED]) + (f" and {more} more" if more > 0 else "")
        raise ChannelNotFound(
            f"{wanted!r} matches {len(matches)} channels in {channel_dir(directory)}: {shown}; give more of the id"
        )
    if os.path.lexists(exact):
        return exact  # not this user's channel: opening it says why
    if existing:
        near = close_ids(wanted, ids)
        hint = f"; did you mean {' or '.join(near)}?" if near else ""
        raise ChannelNotFound(
            f"no channel at {exact}, and no id there begins with {wanted!r}{hint} (`collab ls` lists them)"
        )
    return exact


def close_ids(wanted: str, ids: list[str], limit: int = 3) -> list[str]:
    """Up to ``limit`` of ``ids`` that look like a mistyped ``wanted``, the closest first.

    An id is close when it, or its first ``len(wanted)`` characters (``wanted`` may be a prefix),
    is at least 75% alike by :class:`difflib.SequenceMatcher` ratio.
    """
    import difflib

    def likeness(candidate: str) -> float:
        whole = difflib.SequenceMatcher(None, wanted, candidate).ratio()
        return max(whole, difflib.SequenceMatcher(None, wanted, candidate[: len(wanted)]).ratio())

    scored = sorted(((likeness(i), i) for i in ids), key=lambda pair: (-pair[0], pair[1]))
    return [i for score, i in scored if score >= 0.75][:limit]


def project_dir(cwd: Path) -> Path:
    """The git top level holding ``cwd`` (the nearest folder with a trusted ``.git``), else ``cwd`` itself.

    A ``.git`` is trusted only when this user owns it and the folder holding it is not writable by
    everyone (contract 6.1): another local user can plant ``/tmp/shared/.git``, and would otherwise
    merge the seats of every session below it.
    """
    uid = os.getuid()
    for folder in (cwd, *cwd.parents):
        try:
            found = os.lstat(folder / ".git")
            holder = os.stat(folder)
        except OSError:
            continue
        if found.st_uid == uid and holder.st_mode & 0o002 == 0:
            return folder
    return cwd


def _project_name(cwd: Path) -> str:
    return project_dir(cwd).name


#: The default name of the participant on another machine this process serves (contract section
#: 10), set once by ``collab --remote-client``: its name there, not this host's directory's.
_SERVED_NAME: list[str] = []


def serve_name(name: str) -> None:
    """Serve a participant on another machine whose default name is ``name``: :func:`identity` gives
    it instead of this directory's name, and ``COLLAB_AS`` here is not read (its own came as ``--as``)."""
    _SERVED_NAME[:] = [name]


def explicit_name(name: str | None) -> str | None:
    """The name given explicitly: ``name`` (``--as``), else ``$COLLAB_AS`` (unless serving another machine)."""
    return name or (None if _SERVED_NAME else os.environ.get("COLLAB_AS")) or None


def identity(name: str | None = None, cwd: Path | None = None) -> str:
    """Who is writing: ``name`` (``--as``), else ``$COLLAB_AS``, else the git top-level's or cwd's name.

    Raises:
        UsageError: an explicit name cannot stand in a heading.
    """
    explicit = explicit_name(name)
    if explicit:
        try:
            return check_author(explicit)
        except ValueError as exc:
            raise UsageError(f"--as/COLLAB_AS: {exc}") from None
    if _SERVED_NAME and cwd is None:
        return author_from_label(_SERVED_NAME[0])
    return author_from_label(_project_name(cwd or Path.cwd()))


#: Longest duration a command-line option accepts (``wait --timeout``), in seconds: one week.
MAX_SECONDS = 7 * 24 * 3600
#: Seconds a writer waits for a lock when ``COLLAB_LOCK_TIMEOUT`` is unset.
DEFAULT_LOCK_TIMEOUT = 10.0
#: Longest ``COLLAB_LOCK_TIMEOUT`` accepted, in seconds: one hour.
MAX_LOCK_TIMEOUT = 3600.0
_DECIMAL = re.compile(r"[0-9]{1,7}(?:\.[0-9]{1,6})?")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def seconds(option: str, value: float | None, maximum: float = MAX_SECONDS) -> float | None:
    """Check a duration given as option ``option`` (e.g. ``--timeout``); return it, in seconds.

    Args:
        option: the option's name, for the message.
        value: the duration in seconds as the command line parsed it, or None when not given.
        maximum: the longest duration accepted, in seconds.

    Raises:
        UsageError: ``value`` is negative, over ``maximum``, infinite or not a number.
    """
    if value is not None and not (math.isfinite(value) and 0 <= value <= maximum):
        raise UsageError(f"{option}: give a number of seconds from 0 to {maximum:g}, not {value}")
    return value


def settle(environ: Mapping[str, str] | None = None) -> float | None:
    """The ``--settle`` to use when none is given: ``$COLLAB_SETTLE`` in seconds, or None (the turn
    rule's own defaults, :mod:`collab.live.turns`). Read by ``collab wait`` and the wake hook alike.

    Raises:
        UsageError: the value is not a decimal number of seconds from 0 to :data:`MAX_SECONDS`.
    """
    raw = _setting("COLLAB_SETTLE", environ)
    if raw is None:
        return None
    if not (_DECIMAL.fullmatch(raw) and float(raw) <= MAX_SECONDS):
        raise UsageError(
            f"COLLAB_SETTLE={_shown(raw)}: give a number of seconds such as 30 or 2.5, from 0 to {MAX_SECONDS:g}"
        )
    return float(raw)


#: Seconds in each unit a duration such as ``7d`` may use.
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
#: Longest duration :func:`duration` accepts, in seconds: about ten years (520 weeks).
MAX_DURATION = 520 * 7 * 86400
_DURATION = re.compile(r"(?:[0-9]{1,9}[smhdw]){1,5}")
_DURATION_PART = re.compile(r"([0-9]{1,9})([smhdw])")


def duration(option: str, text: str) -> int:
    """A duration such as ``90s``, ``30m``, ``12h``, ``7d`` or ``2w`` (parts may add up: ``1d12h``), in seconds.

    Units: ``s`` seconds, ``m`` minutes, ``h`` hours, ``d`` days of 24 hours, ``w`` weeks.

    Args:
        option: the option's name, for the message (``--older-than``).
        text: the duration as given.

    Raises:
        UsageError: not such a duration (a bare number, another unit, signs, spaces, Unicode
            digits), or longer than :data:`MAX_DURATION` (contract section 7, point 9).
    """
    if not (text.isascii() and _DURATION.fullmatch(text)):
        raise UsageError(
            f"{option}: give a number and a unit (s, m, h, d or w), e.g. 90s, 12h, 7d or 2w; not {_shown(text)}"
        )
    total = sum(int(n) * DURATION_UNITS[unit] for n, unit in _DURATION_PART.findall(text))
    if total > MAX_DURATION:
        raise UsageError(f"{option}: {text} is longer than the most accepted, 520w (about ten years)")
    return total


def _setting(name: str, environ: Mapping[str, str] | None) -> str | None:
    raw = (os.environ if environ is None else environ).get(name, "").strip()
    return raw or None


def _shown(raw: str) -> str:
    """A setting's value quoted for an error line: controls escaped (repr), and cut short."""
    return repr(raw if len(raw) <= 40 else raw[:40] + "...")


def env_int(name: str, default: int, low: int, high: int, unit: str, environ: Mapping[str, str] | None = None) -> int:
    """The whole number in environment variable ``name``, or ``default`` when it is unset or empty.

    Args:
        name: the variable, e.g. ``COLLAB_WATCH_STEP_MS``.
        default: the value when unset, in ``unit``.
        low, high: the range accepted, inclusive, in ``unit``.
        unit: what the number counts (``milliseconds``), for the message.
        environ: the environment to read; default :data:`os.environ`.

    Raises:
        UsageError: the value is not ASCII digits (``²`` and other Unicode digits are refused), or is
            outside ``low..high``.
    """
    raw = _setting(name, environ)
    if raw is None:
        return default
    # The length check comes first: int() of a huge digit string is slow, and refused past 4,300 digits.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(high)) and low <= int(raw) <= high):
        raise UsageError(f"{name}={_shown(raw)}: give a whole number of {unit} from {low} to {high}")
    return int(raw)


def env_flag(name: str, environ: Mapping[str, str] | None = None) -> bool | None:
    """The yes/no setting in environment variable ``name``: None when unset or empty.

    ``1``, ``true``, ``yes``, ``on`` are true and ``0``, ``false``, ``no``, ``off`` false, in any case.

    Raises:
        UsageError: any other value.
    """
    raw = _setting(name, environ)
    if raw is None:
        return None
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise UsageError(f"{name}={_shown(raw)}: give 1, true, yes or on; or 0, false, no or off")


def lock_timeout(environ: Mapping[str, str] | None = None) -> float:
    """How long a writer waits for a lock before giving up, in seconds: ``$COLLAB_LOCK_TIMEOUT``.

    The default is :data:`DEFAULT_LOCK_TIMEOUT` (contract section 7, point 5). A value is a decimal
    number of seconds such as ``10`` or ``2.5``, more than 0 and at most :data:`MAX_LOCK_TIMEOUT`.

    Raises:
        UsageError: the value is not such a number (``inf``, ``nan``, ``1e3`` and ``-1`` included).
    """
    raw = _setting("COLLAB_LOCK_TIMEOUT", environ)
    if raw is None:
        return DEFAULT_LOCK_TIMEOUT
    if not (_DECIMAL.fullmatch(raw) and 0 < float(raw) <= MAX_LOCK_TIMEOUT):
        raise UsageError(
            f"COLLAB_LOCK_TIMEOUT={_shown(raw)}: give a number of seconds such as 10 or 2.5, "
            f"more than 0 and at most {MAX_LOCK_TIMEOUT:g}"
        )
    return float(raw)
