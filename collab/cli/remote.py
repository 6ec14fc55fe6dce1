"""Commands on a channel on another host (contract section 10): each runs collab there over ssh
(:mod:`collab.remote`) and prints what it returns here, as the local command prints it."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from collab.cli.app import emit_json
from collab.text.sanitize import for_terminal

if TYPE_CHECKING:
    from collab.remote.address import Address
    from collab.remote.channel import RemoteChannel

__all__ = ["Address", "address", "call", "channel", "echo", "relocated", "run", "show", "status"]


def address(ref: str | None) -> Address | None:
    """The remote address a CHANNEL argument names, or None for a local one (nothing imported then)."""
    if ref is None or (not ref.startswith("ssh://") and ":" not in ref):
        return None
    from collab.remote.address import parse

    return parse(ref)


def channel(where: Address) -> RemoteChannel:
    from collab.remote.channel import RemoteChannel

    return RemoteChannel(where)


def run(remote: RemoteChannel, argv: list[str], stdin: bytes | None = None) -> Any:
    """Run ``collab ARGV`` on ``remote``'s host: what it gave, not yet read (:func:`collab.remote.ssh.run`)."""
    from collab.remote import ssh

    return ssh.run(remote.address, argv, stdin)


def echo(notices: tuple[str, ...]) -> None:
    from collab.remote.channel import echo as write

    write(notices)


def relocated(document: dict[str, Any], where: Address) -> dict[str, Any]:
    """The host's document with ``path`` as this side names the channel (``ssh://...``)."""
    return document | ({"path": where.url(document["path"])} if isinstance(document.get("path"), str) else {})


def call(where: Address, command: str, *words: str, name: str | None = None, seat: bool = True) -> dict[str, Any]:
    """Run ``command`` on the host (exit 0 expected) and return its JSON, its notices said on stderr."""
    remote = channel(where)
    called = remote.call(remote.argv(command, *words, name=name, seat=seat))
    echo(called.notices)
    return called.document


def show(where: Address, words: list[str], as_json: bool, as_html: bool) -> None:
    """``show`` of a remote channel: ``--json`` as the host gives it; the terminal, plain text and
    HTML rendered here from the channel's text."""
    from collab.remote import results
    from collab.render.status import compute

    found = call(where, "show", where.path, "--source", *words, seat=False)
    source, integrity = found.pop("source"), found.pop("integrity")
    if as_json:
        emit_json(relocated(found, where))
        return
    document = results.document(source)
    shown = {e["index"] for e in found["entries"]}
    entries = tuple(e for e in document.entries if e.index in shown)
    from pathlib import Path

    status = compute(document, found["id"], Path(where.url()), integrity)
    if as_html:
        from collab.render.render_html import page_parts

        sys.stdout.writelines(page_parts(document, status, entries))
    elif sys.stdout.isatty():
        from rich.console import Console

        from collab.render.render_term import print_transcript

        print_transcript(Console(highlight=False), document, status, entries)
    else:
        from collab.render.render_text import transcript

        sys.stdout.writelines(transcript(document, status, entries))


def status(where: Address, name: str | None, as_json: bool) -> None:
    """``status`` of a remote channel, rendered here."""
    from collab.remote import results

    found = call(where, "status", where.path, name=name)
    if as_json:
        emit_json(relocated(found, where))
        return
    result = results.status(found, where.url())
    if sys.stdout.isatty():
        from rich.console import Console

        from collab.render.render_term import print_status

        print_status(Console(highlight=False), result)
    else:
        from collab.render.render_text import status_text

        sys.stdout.write(status_text(result))


def shown(text: object) -> str:
    return for_terminal(str(text), one_line=True)
