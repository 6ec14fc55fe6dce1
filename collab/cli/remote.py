"""Commands on a channel on another host (contract section 10): each runs collab there over ssh
(:mod:`collab.remote`) and prints what it returns here, as the local command prints it.

Cost: one ``ssh`` round trip a command (one shared connection a host) and the command's own cost on
the host. ``show`` also brings all N bytes of the channel's text here, besides its entries' JSON,
and parses all N to render them; a ``wait`` retried after a drop passes ``--after K``, checked
on the host against the numbering (O(T)); a retried ``watch`` starts its read there again (O(N)).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collab.cli.output import emit_json
from collab.text.sanitize import for_terminal

if TYPE_CHECKING:
    from collab.errors import CollabError
    from collab.housekeeping.catalog import Listing
    from collab.housekeeping.cleanup import Removal
    from collab.remote.address import Address
    from collab.remote.channel import RemoteChannel

__all__ = [
    "Address", "address", "call", "channel", "echo", "host_directory", "listings", "relocated", "remove",
    "run", "show", "status",
]  # fmt: skip


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


def show(where: Address, words: list[str], as_json: bool, as_html: bool, paging: bool = True) -> None:
    """``show`` of a remote channel: ``--json`` as the host gives it; the terminal (through a
    pager when ``paging``, :mod:`collab.cli.pager`), plain text and HTML rendered here from the
    channel's text."""
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

    status = compute(document, found["id"], where.url(), integrity)
    if as_html:
        from collab.render.render_html import page_parts

        sys.stdout.writelines(page_parts(document, status, entries))
    elif sys.stdout.isatty():
        from rich.console import Console

        from collab.cli.pager import paged
        from collab.render.render_term import print_transcript

        with paged(paging) as out:
            print_transcript(Console(highlight=False, file=out), document, status, entries)
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


def host_directory(host: str, directory: Path | None) -> Address:
    """The host's channel directory ``ls HOST:[DIR]`` names: the path in it, else ``--dir``, else
    the host's own default (an empty path).

    Raises:
        UsageError: ``host`` names no host, the directory is given twice, or it is not absolute.
    """
    from collab.errors import UsageError

    where = address(host if ":" in host else f"{host}:")
    if where is None:
        raise UsageError(f"{host!r} names no host: write HOST: or [user@]HOST:/dir; for a directory here, use --dir")
    if directory is not None and where.path:
        raise UsageError("give the host's directory once: in HOST:/dir or with --dir, not both")
    where = where._replace(path=where.path or (str(directory) if directory is not None else ""))
    if where.path and not where.path.startswith("/"):
        raise UsageError(f"--dir {where.path!r}: the directory on the host must be absolute")
    return where


def listings(where: Address, state: str | None) -> list[Listing]:
    """``ls`` of the host's channel directory (``where.path``, else the host's default), paths as there."""
    from collab.remote import results

    words = [*(["--dir", where.path] if where.path else []), *([f"--{state}"] if state else [])]
    found = call(where, "ls", *words, seat=False)
    return [results.listing(item) for item in found["channels"]]


def remove(where: Address, force: bool) -> tuple[list[Removal], list[tuple[str, CollabError]]]:
    """``rm`` of the channel at ``where`` on its host: what went (paths as there), and what failed."""
    from collab.errors import CollabError
    from collab.remote import results
    from collab.remote.channel import RemoteError

    rc = channel(where)
    try:
        ran = run(rc, rc.argv("rm", where.path, *(["--force"] if force else []), seat=False))
        called = rc.read(ran, ok=range(256))  # the host's document says what failed, and how
    except CollabError as exc:
        return [], [(where.url(), exc)]
    echo(called.notices)
    failed: list[tuple[str, CollabError]] = [
        (where.url(), RemoteError(f"{where.destination}: {f['error']['message']}", int(f["error"]["code"])))
        for f in called.document.get("failed", [])
    ]
    if called.code and not called.document.get("removed") and not failed:
        failed.append((where.url(), RemoteError(f"{where.destination}: rm failed there", called.code)))
    return [results.removal(item) for item in called.document.get("removed", [])], failed


def shown(text: object) -> str:
    return for_terminal(str(text), one_line=True)
