"""Seats: who holds which name in a channel, so that automatic names never collide (contract 6.1).

A *seat* is one session in one place: the host, the real path of the git top level (or the
working directory), and the session (:mod:`collab.live.sessions`: ``COLLAB_SESSION`` where set, else the
agent's process or the person's interactive shell, told from the process tree). So two agent
sessions, or two terminals, in one directory or in one repository, hold two seats with nothing to
configure. A seat without ``--as`` or ``COLLAB_AS`` gets the directory's base name; when another
seat already holds that name it gets ``NAME-2`` (then ``-3`` ...), keeps it on every later call,
and the command that first hands it out says so once.

A seat whose session has ended (its process is gone) is taken over by the next session that
claims an automatic name in the same place, with its name and the entries it wrote: the new
session is not woken for them, and reads on from the old seat's cursor.

Each seat also records the numbers (indexes) of the entries it wrote through collab, under the name
it wrote them as: ``wait`` skips only those as "own", so an entry written by hand that claims your
name is still delivered to you.

A seat that names itself (``--as``, ``COLLAB_AS``) is recorded under ``claimed``, which hands
nothing out: it lets the wake hook (:mod:`collab.hooks.push`) find the channels where a session sits,
and the name it sits under, before it has written anything.

The registry is ``collab.store.paths.sidecar(channel, "seats.json")``, a private file replaced atomically
under the same private lock as the readers' cursors (:func:`collab.live.cursors.locked`). ``path`` is
the channel's path (its directory's real path), so the channels a seat holds can be found from
the state directory alone::

    {"channel": "<id>", "path": "/tmp/collab-<id>.md", "names": {"<seat>": "app-2"},
     "claimed": {"<seat>": "site-a"}, "written": {"<seat>\\t<name>": [3, 5]},
     "sessions": {"<seat>": {"host": "laptop", "place": "/home/me/app", "process": "4242@981233"}}}
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from collab import config
from collab.errors import ChannelNotFound, ChannelRefused
from collab.live import cursors, sessions
from collab.store import files, paths
from collab.text import naming

if TYPE_CHECKING:
    from collab.text.format import Entry

_ADVICE = "remove it: it only records which session holds which name"
#: Seconds an explicit name waits for the lock to be recorded; it is not recorded when the lock stays busy.
_CLAIM_LOCK_SECONDS = 0.2
_EMPTY: dict[str, dict[str, Any]] = {"names": {}, "claimed": {}, "written": {}, "sessions": {}}


class Place(NamedTuple):
    """Where a seat sits: the ``host``, the real path of its ``place`` (git top level or working
    directory), and the ``session`` key and ``process`` (``PID@START``) of :mod:`collab.live.sessions`."""

    host: str
    place: str
    session: str
    process: str

    @property
    def key(self) -> str:
        """The seat's key in the registry: ``host:place:session``."""
        return f"{self.host}:{self.place}:{self.session}"


#: The place of the participant on another machine this process serves (contract section 10), set
#: once by ``collab --remote-client``: see :func:`serve`.
_SERVED: list[Place] = []

#: How a served place's process is recorded: this host cannot tell whether a process on another
#: machine has ended (its ``/proc`` is not here), so it never takes it for ended.
REMOTE_PROCESS = "remote:"


def serve(place: Place) -> None:
    """Seat the participant on another machine at ``place`` (its host, directory, session and process
    there) instead of this session: :func:`here` returns it from now on in this process."""
    _SERVED[:] = [place._replace(process=REMOTE_PROCESS + place.process)]


def host_name() -> str:
    """This machine's name: the node name of uname(2), which is what ``socket.gethostname`` returns
    on Linux (without loading the socket module on every command)."""
    return os.uname().nodename


def here(cwd: Path | None = None, environ: Mapping[str, str] | None = None) -> Place:
    """This session's place: host, real git top level (or ``cwd``), session and its process.

    While serving a participant on another machine (:func:`serve`), its place, unless ``cwd`` or
    ``environ`` is given.
    """
    if _SERVED and cwd is None and environ is None:
        return _SERVED[0]
    env = os.environ if environ is None else environ
    folder = os.path.realpath(config.project_dir(cwd or Path.cwd()))
    process = sessions.current()
    given = env.get("COLLAB_SESSION", "").strip()
    return Place(host_name(), folder, given or f"proc={process}", process)


class Seat(NamedTuple):
    """A participant's seat: its ``name`` in the channel, its ``key``, the indexes it wrote, and
    ``notice``, a sentence for the person when this command handed out a changed name (else None)."""

    name: str
    key: str
    written: frozenset[int] = frozenset()
    notice: str | None = None
    process: str = ""

    def owns(self, entry: Entry) -> bool:
        """True when this seat wrote ``entry`` through collab."""
        return entry.index in self.written

    def claims_reader(self, entry: Entry) -> bool:
        """True when ``entry`` names this seat's name as its author but this seat did not write it."""
        return entry.author == self.name and not self.owns(entry)


def seat_key(cwd: Path | None = None, environ: Mapping[str, str] | None = None) -> str:
    """This seat's key: ``host:real path of the git top level or cwd:session`` (see :func:`here`)."""
    return here(cwd, environ).key


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = files.read_checked(path)
    except ChannelNotFound:
        return {k: {} for k in _EMPTY}
    except ChannelRefused as exc:
        raise ChannelRefused(f"collab's seats file cannot be used: {exc}. {path}: {_ADVICE}") from None
    return _parse(raw)[0]


def _parse(raw: bytes) -> tuple[dict[str, Any], str | None]:
    """The registry in ``raw`` and the channel path it records; empty and None when it is damaged."""
    try:
        document = json.loads(raw)
        names, written = document["names"], document["written"]
        claimed, where_from = document["claimed"], document["sessions"]
        where: str = document["path"]
        if not isinstance(where, str) or not all(isinstance(p, dict) for p in (names, written, claimed, where_from)):
            raise ValueError
        if not all(isinstance(v, list) and all(isinstance(i, int) for i in v) for v in written.values()):
            raise ValueError
        if not all(isinstance(v, str) for v in (*names.values(), *claimed.values())):
            raise ValueError
        if not all(isinstance(v, dict) and all(isinstance(x, str) for x in v.values()) for v in where_from.values()):
            raise ValueError
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):  # RecursionError: nested too deep
        return {k: {} for k in _EMPTY}, None
    registry = {"names": names, "claimed": claimed, "written": written, "sessions": where_from}
    return registry, where


def _held_elsewhere(registry: dict[str, Any], key: str) -> set[str]:
    """The names other seats hold: their automatic names and every name they wrote as."""
    held = {name for seat, name in registry["names"].items() if seat != key}
    held |= {pair.split("\t", 1)[1] for pair in registry["written"] if pair.split("\t", 1)[0] != key}
    return held


def _free_name(base: str, held: set[str]) -> str:
    if base not in held:
        return base
    number = 2
    while f"{base[:60]}-{number}" in held:
        number += 1
    return f"{base[:60]}-{number}"


def _save(channel_path: Path, registry: dict[str, Any]) -> None:
    where = os.path.join(os.path.realpath(channel_path.parent), channel_path.name)
    document = {"channel": naming.channel_id(channel_path), "path": where, **registry}
    data = (json.dumps(document, indent=1, sort_keys=True) + "\n").encode()
    files.replace_atomic(paths.sidecar(channel_path, "seats.json"), data)


def _seat(registry: dict[str, Any], key: str, name: str, notice: str | None = None) -> Seat:
    process = registry["sessions"].get(key, {}).get("process", "")
    return Seat(name, key, frozenset(registry["written"].get(f"{key}\t{name}", [])), notice, process)


def _note(registry: dict[str, Any], place: Place) -> bool:
    """Record where ``place``'s seat sits; True when that changed the registry."""
    wanted = {"host": place.host, "place": place.place, "process": place.process}
    if registry["sessions"].get(place.key) == wanted:
        return False
    registry["sessions"][place.key] = wanted
    return True


def _ended_here(registry: dict[str, Any], place: Place) -> str | None:
    """The key of a seat with an automatic name in ``place`` whose session has ended, if any."""
    names: dict[str, str] = registry["names"]
    for key in sorted(names, key=lambda k: (len(names[k]), names[k])):
        where = registry["sessions"].get(key)
        if key == place.key or key in registry["claimed"] or where is None:
            continue
        if (where.get("host"), where.get("place")) != (place.host, place.place):
            continue
        if not sessions.alive(where.get("process", "")):
            return key
    return None


def _take_over(registry: dict[str, Any], old: str, new: str) -> str:
    """Move the seat ``old`` (name, entries written) to the key ``new``; return its name."""
    name: str = registry["names"].pop(old)
    registry["names"][new] = name
    registry["sessions"].pop(old, None)
    for pair in [p for p in registry["written"] if p.split("\t", 1)[0] == old]:
        registry["written"][f"{new}\t{pair.split(chr(9), 1)[1]}"] = registry["written"].pop(pair)
    return name


def claim(channel_path: Path, name: str | None = None, *, place: Place | None = None) -> Seat:
    """This seat in the channel: the explicit ``name`` (``--as``, else ``COLLAB_AS``), or its automatic name.

    The first claim of an automatic name records it (under the lock): the seat of an ended session
    in the same place is taken over; otherwise a name another seat holds (as its automatic name, or
    by having written as it) becomes ``NAME-2``. An explicit name is taken as given, and recorded
    by :func:`record` once this seat writes as it.

    Args:
        channel_path: the channel.
        name: the explicit name, if any.
        place: the seat's place (default: this session's, :func:`here`).

    Raises:
        UsageError: an explicit name cannot stand in a heading.
        ChannelRefused: the seats file, its lock or the state directory cannot be used safely.
        CollabError: the lock was held for over ``COLLAB_LOCK_TIMEOUT`` seconds.
    """
    place = place or here()
    key = place.key
    explicit = config.explicit_name(name)
    path = paths.sidecar(channel_path, "seats.json")
    registry = _read(path)
    if explicit:  # an explicit name is the person's choice: held once this seat writes as it
        chosen = config.identity(explicit)
        if registry["claimed"].get(key) != chosen or key not in registry["sessions"]:  # for the wake hook
            try:
                with cursors.locked(channel_path, min(config.lock_timeout(), _CLAIM_LOCK_SECONDS)):
                    registry = _read(path)
                    registry["claimed"][key] = chosen
                    _note(registry, place)
                    _save(channel_path, registry)
            except files.LockTimeout:
                pass  # only the wake hook needs it, and the next command records it: never hold this one up
        return _seat(registry, key, chosen)
    if key in registry["names"] and registry["sessions"].get(key, {}).get("process") == place.process:
        return _seat(registry, key, registry["names"][key])
    with cursors.locked(channel_path, config.lock_timeout()):
        registry = _read(path)
        notice = None
        if key in registry["names"]:
            chosen = registry["names"][key]
        else:
            base = config.identity(None)
            ended = _ended_here(registry, place)
            if ended is not None:
                chosen = _take_over(registry, ended, key)
            else:
                chosen = _free_name(base, _held_elsewhere(registry, key))
                registry["names"][key] = chosen
            if chosen != base:
                notice = (
                    f"you are {chosen} in this channel: another session already holds {base} "
                    "(pass --as NAME to choose a name)"
                )
        _note(registry, place)
        _save(channel_path, registry)
        return _seat(registry, key, chosen, notice)


def record(channel_path: Path, seat: Seat, index: int) -> None:
    """Record that ``seat`` wrote the entry at ``index`` (1-based) through collab.

    Raises:
        ChannelRefused, CollabError: as :func:`claim`.
    """
    with cursors.locked(channel_path, config.lock_timeout()):
        registry = _read(paths.sidecar(channel_path, "seats.json"))
        written = registry["written"].setdefault(f"{seat.key}\t{seat.name}", [])
        if index not in written:
            written.append(index)
        _save(channel_path, registry)


class Writer(NamedTuple):
    """Who wrote an entry through collab: the seat's ``name`` and ``key``, and its session's ``process``."""

    name: str
    key: str
    process: str


def writers(channel_path: Path) -> dict[int, Writer]:
    """The entries written through collab, by index (1-based), with the seat that wrote each.

    An entry not in the result was written by hand (or its seat could not record it).

    Raises:
        ChannelRefused: the seats file cannot be used safely.
    """
    registry = _read(paths.sidecar(channel_path, "seats.json", create=False))
    found = {}
    for pair, indexes in registry["written"].items():
        key, _, name = pair.partition("\t")
        process = registry["sessions"].get(key, {}).get("process", "")
        for index in indexes:
            found[index] = Writer(name, key, process)
    return found


def seated(channel_path: Path) -> list[str]:
    """The names of the seats of a channel, automatic and explicit, sorted.

    Raises:
        ChannelRefused: the seats file cannot be used safely.
    """
    registry = _read(paths.sidecar(channel_path, "seats.json", create=False))
    written = {pair.partition("\t")[2] for pair in registry["written"]}
    return sorted({*registry["names"].values(), *registry["claimed"].values(), *written})


class Holding(NamedTuple):
    """A seat held in a channel: the ``channel``'s path, the seat's ``key``, the ``name`` it sits
    under, and whether that name is ``explicit`` (``--as``/``COLLAB_AS``, not handed out)."""

    channel: Path
    key: str
    name: str
    explicit: bool


def holdings(matches: Callable[[str], bool]) -> list[Holding]:
    """Every channel in which a seat whose key ``matches`` sits, read from the state directory alone.

    A seat sits under the last name it gave explicitly, else the name handed out to it, else a name
    it wrote as. Channels that are gone are left out; whether the rest are open is the caller's to
    read.

    Raises:
        ChannelRefused: the state directory is not private.
    """
    try:
        found = sorted(p for p in paths.state_dir(create=False).iterdir() if p.name.endswith(".seats.json"))
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ChannelRefused(f"cannot list collab's state directory: {exc.strerror}") from None
    held = []
    for registry_path in found:
        try:
            registry, where = _parse(files.read_checked(registry_path))
        except (ChannelNotFound, ChannelRefused):
            continue  # removed meanwhile, or not ours to trust: it seats no one
        if where is None:
            continue  # damaged: it seats no one
        channel = Path(where)
        if paths.sidecar(channel, "seats.json", create=False) != registry_path:
            continue
        if not os.path.lexists(channel):
            continue
        writers = {pair.split("\t", 1)[0] for pair in registry["written"]}
        for key in sorted({*registry["names"], *registry["claimed"], *writers}):
            if not matches(key):
                continue
            if key in registry["claimed"]:
                held.append(Holding(channel, key, registry["claimed"][key], True))
            elif key in registry["names"]:
                held.append(Holding(channel, key, registry["names"][key], False))
            else:
                name = min(pair.split("\t", 1)[1] for pair in registry["written"] if pair.startswith(key + "\t"))
                held.append(Holding(channel, key, name, True))
    return held


def written_by(channel_path: Path, key: str, name: str) -> frozenset[int]:
    """The indexes of the entries the seat ``key`` wrote through collab as ``name``, as recorded now.

    Raises:
        ChannelRefused: the seats file cannot be used safely.
    """
    registry = _read(paths.sidecar(channel_path, "seats.json", create=False))
    return frozenset(registry["written"].get(f"{key}\t{name}", []))
