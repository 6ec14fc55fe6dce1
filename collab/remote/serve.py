"""The host's side: ``collab --remote-client JSON COMMAND ...``, which a collab on another machine runs.

The client says who it is in one JSON document: the small protocol version both sides agree on,
its collab version, and the participant it acts for (its default name and its seat's place on its
own machine, contract section 10). The host refuses a protocol it cannot serve, naming both
versions, and otherwise seats that participant as itself (:func:`collab.live.seats.serve`).
"""

from __future__ import annotations

import json
from typing import Any

from collab import config
from collab.errors import UsageError
from collab.remote.ssh import VersionMismatch

#: The protocol this collab speaks: the commands, options and JSON a client may use on the host.
PROTOCOL = 1
#: The client protocols this collab can serve.
SERVES = frozenset({PROTOCOL})
#: The root option that carries the client's document.
OPTION = "--remote-client"


def version() -> str:
    """This collab's version, from its package metadata."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("collab")
    except PackageNotFoundError:
        return "unknown"


def client_document(name: str, place: tuple[str, str, str, str] | None) -> str:
    """The document a client passes with :data:`OPTION`: protocol, version, default name and place."""
    seat = dict(zip(("host", "place", "session", "process"), place, strict=True)) if place else None
    return json.dumps({"protocol": PROTOCOL, "version": version(), "name": name, "seat": seat}, sort_keys=True)


def accept(raw: str) -> None:
    """Serve the client that ``raw`` (its :func:`client_document`) describes, in this process.

    Raises:
        VersionMismatch: the client speaks a protocol this collab cannot serve.
        UsageError: ``raw`` is not such a document.
    """
    from collab.live import seats

    document = _document(raw)
    if document["protocol"] not in SERVES:
        raise VersionMismatch(
            f"collab {version()} on this host (protocol {PROTOCOL}) cannot serve collab "
            f"{document.get('version', 'unknown')} (protocol {document['protocol']}): install the same "
            "collab version on both machines"
        )
    config.serve_name(str(document["name"]))
    seat = document.get("seat")
    if seat is not None:
        seats.serve(seats.Place(seat["host"], seat["place"], seat["session"], seat["process"]))


def _document(raw: str) -> dict[str, Any]:
    try:
        document = json.loads(raw)
        if not isinstance(document, dict) or not isinstance(document.get("protocol"), int):
            raise ValueError
        if not isinstance(document.get("name"), str):
            raise ValueError
        seat = document.get("seat")
        fields = ("host", "place", "session", "process")
        if seat is not None and not (isinstance(seat, dict) and all(isinstance(seat.get(k), str) for k in fields)):
            raise ValueError
    except (ValueError, RecursionError):
        raise UsageError(f"{OPTION}: not a client document collab can read") from None
    return document


def end_with_session() -> None:
    """End this process (SIGHUP) when its standard input closes: the client of ``wait --started``
    holds it open, and ``sshd`` closes it when the SSH session ends, also when the client was
    killed. ``sshd`` hangs up only a session with a terminal, so a wait run for another machine
    would otherwise hold its presence (and a process) until something landed."""
    import os
    import signal
    import threading

    def watch() -> None:
        try:  # the descriptor itself: a buffered reader held by this thread would stall the exit
            while os.read(0, 65536):
                pass
        except OSError:
            pass
        os.kill(os.getpid(), signal.SIGHUP)  # collab leaves SIGHUP at its default: the process ends

    threading.Thread(target=watch, name="collab-session", daemon=True).start()
