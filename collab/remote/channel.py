"""A channel on another host, as the command line uses it: each command is one ``ssh`` round trip
that runs ``collab --remote-client DOC COMMAND ... --json`` on the host (contract section 10).

The channel, its lock, ledger, cursors, seats and presence stay on the host; this side sends
bodies on standard input and reads the host's JSON back into the front door's own types
(:class:`collab.Posted`, :class:`collab.Waited`, :class:`collab.Entry`), so the command line
prints a remote channel as it prints a local one.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, NamedTuple

from collab.errors import CollabError
from collab.remote import ssh
from collab.remote.address import Address
from collab.remote.serve import OPTION, PROTOCOL, client_document, version
from collab.text.format import Entry
from collab.text.grammar import Ref


class RemoteError(CollabError):
    """A command on the host failed: its message and exit code are the host's."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = code


class Called(NamedTuple):
    """What a command on the host printed: its JSON ``document``, exit ``code``, and ``notices``
    (its lines on stderr that are not the error: a changed name, a warning)."""

    document: dict[str, Any]
    code: int
    notices: tuple[str, ...]


def entry(document: dict[str, Any]) -> Entry:
    """The :class:`collab.Entry` that an entry's JSON (contract section 4) describes."""
    from collab.text.grammar import heading_text

    ref = document.get("re")
    re_ref = Ref(ref["kind"], int(ref["number"])) if ref else None
    words = [f"{str(document['kind']).capitalize()} {document['number']}"]
    if document.get("timestamp"):
        words.append(f"({document['timestamp']})")
    if document.get("author"):
        words.append(f"from {document['author']}")
    if re_ref is not None:
        words.append(f"re {re_ref.label()}")
    heading = "### " + " ".join(words)
    assert heading_text(heading)  # a heading collab reads back
    return Entry(
        document["kind"],
        int(document["number"]),
        document.get("timestamp"),
        document.get("author"),
        re_ref,
        document["body"],
        int(document["index"]),
        0,
        0,
        heading,
    )


def _place() -> tuple[str, str, str, str]:
    from collab.live import seats

    return tuple(seats.here())  # type: ignore[return-value]


def _error(address: Address, stderr: bytes) -> tuple[tuple[str, ...], dict[str, Any] | None]:
    """The host's stderr: the lines for the person, and its JSON error if any."""
    notices, error = [], None
    for line in stderr.decode("utf-8", "replace").splitlines():
        if line.startswith("{"):
            try:
                found = json.loads(line)
            except ValueError:
                found = None
            if isinstance(found, dict) and isinstance(found.get("error"), dict):
                error = found["error"]
                continue
        if line.strip():
            notices.append(line.removeprefix("collab: "))
    return tuple(notices), error


class RemoteChannel(NamedTuple):
    """The channel (or, with an empty path, the channel directory) at ``address``."""

    address: Address

    @property
    def path(self) -> str:
        """The channel's path on its host."""
        return self.address.path

    def argv(self, command: str, *words: str, name: str | None = None, seat: bool = True) -> list[str]:
        """collab's arguments on the host for ``command``: the client document, ``--json``, ``--as``."""
        from collab import config

        explicit = config.explicit_name(name)
        document = client_document(explicit or config.identity(None), _place() if seat else None)
        return [OPTION, document, command, *words, "--json", *(["--as", explicit] if explicit else [])]

    def call(self, argv: Sequence[str], stdin: bytes | None = None, *, ok: Sequence[int] = (0,)) -> Called:
        """Run ``collab ARGV`` on the host and read its JSON.

        Raises:
            HostUnreachable, CollabMissing: see :func:`collab.remote.ssh.check`.
            VersionMismatch: the host's collab cannot serve this one.
            RemoteError: the command failed on the host (its message and exit code).
        """
        ran = ssh.run(self.address, argv, stdin)
        return self.read(ran, ok)

    def read(self, ran: ssh.Ran, ok: Sequence[int] = (0,)) -> Called:
        """What the host's command gave, as :meth:`call` reads it."""
        notices, error = _error(self.address, ran.stderr)
        if error is not None and ran.code not in ok:
            self._mismatch(str(error.get("message", "")), ran.code)
            raise RemoteError(f"{self.address.destination}: {error.get('message', 'failed')}", ran.code)
        try:
            lines = [line for line in ran.stdout.decode("utf-8").splitlines() if line.strip()]
            document = json.loads(lines[-1]) if lines else {}
        except ValueError:
            raise RemoteError(
                f"{self.address.destination}: collab there printed no JSON (exit {ran.code}): {ssh.reason(ran.stderr)}",
                1,
            ) from None
        if ran.code not in ok and not document:
            raise RemoteError(f"{self.address.destination}: {ssh.reason(ran.stderr)}", ran.code or 1)
        return Called(document, ran.code, notices)

    def _mismatch(self, message: str, code: int) -> None:
        """Raise VersionMismatch when the host's collab does not know the remote protocol at all."""
        if code == 2 and OPTION in message:
            ran = ssh.run(self.address, ["--version"])
            theirs = ran.stdout.decode("utf-8", "replace").strip().removeprefix("collab ") or "unknown"
            raise ssh.VersionMismatch(
                f"collab {theirs} on {self.address.destination} cannot serve collab {version()} "
                f"(protocol {PROTOCOL}): install collab {version()} there"
            )

    def note_seat(self) -> None:
        """Note that this session sits in this channel, for the wake hook (:mod:`collab.remote.joined`)."""
        from collab.live import seats
        from collab.remote import joined

        joined.note(self.address, seats.Place(*_place()).key)

    def post(self, kind: str, body: str, *, re: str | None, name: str | None) -> tuple[Any, tuple[str, ...]]:
        """Append an entry of ``kind`` with ``body`` (sent on stdin): the :class:`collab.Posted` and notices."""
        from collab.text.exchange import Posted

        command = "answer" if kind == "answer" else "ask"
        words = [self.path, "-", *(["--re", re] if re else [])]
        called = self.call(self.argv(command, *words, name=name), body.encode("utf-8"))
        self.note_seat()
        found = called.document
        posted = Posted(entry(found), tuple(entry(e) for e in found.get("unseen", [])))
        return posted, called.notices


def join_message(message: str, host_path: str, where: Address) -> str:
    """The host's join message for joiners on other machines: the ``ssh://`` form in its commands,
    and a last line naming the plain path for joiners on the host itself."""
    from pathlib import PurePosixPath

    from collab.integrations.templates import shell_word

    url = where.url(host_path)
    shown = message.replace(shell_word(host_path), shell_word(url))
    ident = PurePosixPath(host_path).stem.removeprefix("collab-")  # an id names a channel on this side only
    shown = shown.replace(f"`collab join {ident}`", f"`collab join {shell_word(url)}`")
    return f"{shown.rstrip()}\n\n(On {where.destination} itself, the channel is {shell_word(host_path)}.)"


def echo(notices: Sequence[str]) -> None:
    """Write the host's lines for the person on stderr, made safe for the terminal."""
    from collab.text.sanitize import for_terminal

    for line in notices:
        sys.stderr.write(f"collab: {for_terminal(line, one_line=True)}\n")
