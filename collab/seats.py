"""Seats: who holds which name in a channel, so that automatic names never collide (contract 6.1).

A *seat* is the host, the real path of the git top level (or the working directory) and, when the
environment gives one, an agent session key (``COLLAB_SESSION``). A seat without ``--as`` or
``COLLAB_AS`` gets the directory's base name; when another seat already holds that name it gets
``NAME-2`` (then ``-3`` ...), keeps it on every later call, and the command that first hands it out
says so once.

Each seat also records the numbers (indexes) of the entries it wrote through collab, under the name
it wrote them as: ``wait`` skips only those as "own", so an entry written by hand that claims your
name is still delivered to you.

The registry is ``collab.paths.sidecar(channel, "seats.json")``, a private file replaced atomically
under the same private lock as the readers' cursors (:func:`collab.cursors.locked`)::

    {"channel": "<id>", "names": {"<seat>": "app-2"}, "written": {"<seat>\\t<name>": [3, 5]}}
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from collab import config, cursors, files, paths
from collab.errors import ChannelNotFound, ChannelRefused

if TYPE_CHECKING:
    from collab.format import Entry

_ADVICE = "remove it: it only records which session holds which name"


class Seat(NamedTuple):
    """A participant's seat: its ``name`` in the channel, its ``key``, the indexes it wrote, and
    ``notice``, a sentence for the person when this command handed out a changed name (else None)."""

    name: str
    key: str
    written: frozenset[int] = frozenset()
    notice: str | None = None

    def owns(self, entry: Entry) -> bool:
        """True when this seat wrote ``entry`` through collab."""
        return entry.index in self.written

    def claims_reader(self, entry: Entry) -> bool:
        """True when ``entry`` names this seat's name as its author but this seat did not write it."""
        return entry.author == self.name and not self.owns(entry)


def seat_key(cwd: Path | None = None, environ: dict[str, str] | None = None) -> str:
    """This seat's key: ``host:real path of the git top level or cwd[:COLLAB_SESSION]``."""
    env = os.environ if environ is None else environ
    folder = config.project_dir(cwd or Path.cwd())
    key = f"{socket.gethostname()}:{os.path.realpath(folder)}"
    session = env.get("COLLAB_SESSION", "").strip()
    return f"{key}:{session}" if session else key


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = files.read_checked(path)
    except ChannelNotFound:
        return {"names": {}, "written": {}}
    except ChannelRefused as exc:
        raise ChannelRefused(f"collab's seats file cannot be used: {exc}. {path}: {_ADVICE}") from None
    try:
        document = json.loads(raw)
        names, written = document["names"], document["written"]
        if not isinstance(names, dict) or not isinstance(written, dict):
            raise ValueError
        if not all(isinstance(v, list) and all(isinstance(i, int) for i in v) for v in written.values()):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return {"names": {}, "written": {}}
    return {"names": names, "written": written}


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
    document = {"channel": channel_path.stem.removeprefix("collab-"), **registry}
    data = (json.dumps(document, indent=1, sort_keys=True) + "\n").encode()
    files.replace_atomic(paths.sidecar(channel_path, "seats.json"), data)


def _seat(registry: dict[str, Any], key: str, name: str, notice: str | None = None) -> Seat:
    return Seat(name, key, frozenset(registry["written"].get(f"{key}\t{name}", [])), notice)


def claim(channel_path: Path, name: str | None = None, *, key: str | None = None) -> Seat:
    """This seat in the channel: the explicit ``name`` (``--as``, else ``COLLAB_AS``), or its automatic name.

    The first claim of an automatic name records it (under the lock); a name another seat holds (as
    its automatic name, or by having written as it) becomes ``NAME-2``. An explicit name is taken as
    given, and recorded by :func:`record` once this seat writes as it.

    Raises:
        UsageError: an explicit name cannot stand in a heading.
        ChannelRefused: the seats file, its lock or the state directory cannot be used safely.
        CollabError: the lock was held for over ``COLLAB_LOCK_TIMEOUT`` seconds.
    """
    key = key or seat_key()
    explicit = name or os.environ.get("COLLAB_AS")
    path = paths.sidecar(channel_path, "seats.json")
    registry = _read(path)
    if explicit:  # an explicit name is the person's choice: held once this seat writes as it
        return _seat(registry, key, config.identity(explicit))
    if key in registry["names"]:
        return _seat(registry, key, registry["names"][key])
    with cursors.locked(channel_path, config.lock_timeout()):
        registry = _read(path)
        notice = None
        if key in registry["names"]:
            chosen = registry["names"][key]
        else:
            base = config.identity(None)
            chosen = _free_name(base, _held_elsewhere(registry, key))
            registry["names"][key] = chosen
            if chosen != base:
                notice = (
                    f"you are {chosen} in this channel: another session already holds {base} "
                    "(pass --as NAME to choose a name)"
                )
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
