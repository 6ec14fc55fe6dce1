"""Commands that read a channel for review: ``show`` and ``status``.

Cost, for N bytes, T from the last checkpoint on and E entries: both read the channel checked with
its index (SHA-256 of N, the journal's E records, every entry's body decoded: O(N), no full parse;
O(T) parsed for hand appends), and a closed one's file again for its summary. ``show`` renders the
bodies it shows (rich markdown on a terminal: most of its time); ``status`` adds O(E) a reader.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from collab import config
from collab.channel import Channel
from collab.cli import remote
from collab.cli.app import command, reporting
from collab.cli.output import emit_json, warn, warn_each
from collab.cli.params import AsOpt, ChannelArg, DirOpt, JsonOpt
from collab.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from collab.text.format import Document


def _since(value: str | None) -> datetime | None:
    """The moment ``--since`` names, as an aware UTC datetime (a time without a zone is UTC).

    Accepts ISO 8601 as :meth:`datetime.fromisoformat` reads it: a date, or a date and time with
    minutes or seconds, and ``Z`` or an offset.

    Raises:
        UsageError: ``value`` is not such a date or time, or is out of range once moved to UTC.
    """
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"--since: cannot read {value!r}: use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise UsageError(f"--since: {value!r} is out of range: give a time from year 1 to 9999 in UTC") from None


def _console(file: IO[str] | None = None) -> Console:
    from rich.console import Console

    return Console(highlight=False, file=file)


class EntryKind(StrEnum):
    """The kinds of entry ``show --kind`` keeps, shown as choices in help."""

    answer = "answer"
    question = "question"


@command()
def show(
    channel: ChannelArg,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Only entries at or after this time (UTC unless it has an offset).", metavar="TIME"
        ),
    ] = None,
    author: Annotated[
        str | None, typer.Option("--author", help="Only entries by this author (any case).", metavar="NAME")
    ] = None,
    kind: Annotated[
        EntryKind | None, typer.Option("--kind", help="Only entries of this kind.", case_sensitive=False)
    ] = None,
    directory: DirOpt = None,
    as_json: JsonOpt = False,
    as_html: Annotated[
        bool, typer.Option("--html", help="One standalone HTML page (escaped bodies, no scripts), on stdout or -o.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="With --html: write the page to FILE atomically; never over a channel.",
            metavar="FILE",
        ),
    ] = None,
    with_source: Annotated[
        bool, typer.Option("--source", hidden=True, help="With --json: add the channel's text and integrity.")
    ] = False,
    no_pager: Annotated[
        bool, typer.Option("--no-pager", help="On a terminal, print the whole transcript without a pager.")
    ] = False,
) -> None:
    """Show a channel's whole transcript, for people, agents or a browser.

    On a terminal the task, the requests and questions (answered by which answers, or open) and
    every entry are rendered, through $PAGER (else less) when taller than the terminal; piped, the
    same as plain text with each body as its markdown source.
    --json gives the contract's document, --html one standalone page that reads as a conversation.
    --since takes a date or a time: 2026-06-22, 2026-06-22T14:00Z, 2026-06-22T16:00+02:00.

    Example:

    \b
      collab show k3x9q2ab
      collab show k3x9q2ab --kind question --since 2026-06-22
      collab show k3x9q2ab --html -o exchange.html
    """
    from collab.render.status import compute, select_entries

    with reporting(as_json):
        if as_html and as_json:
            raise UsageError("--html and --json cannot be combined: pick one")
        if output is not None and not as_html:
            raise UsageError("-o/--output writes the HTML page: add --html")
        if (where := remote.address(channel)) is not None:
            if output is not None:
                raise UsageError("-o/--output with a remote channel: redirect stdout instead (> page.html)")
            words = [*(["--since", since] if since else []), *(["--author", author] if author else [])]
            words += ["--kind", kind.value] if kind else []
            remote.show(where, words, as_json, as_html, paging=not no_pager)
            return
        opened = Channel.open(channel, config.channel_dir(directory))
        integrity, document = _read(opened)
        entries = select_entries(
            document.entries, since=_since(since), author=author, kind=kind.value if kind else None
        )
        if as_json:
            header = document.header
            emit_json(
                {
                    "id": opened.id,
                    "path": str(opened.path),
                    "state": document.state,
                    "header": {
                        "title": header.title,
                        "task": header.task,
                        "context": header.context,
                        "requests": [{"number": r.number, "text": r.text} for r in header.requests],
                    },
                    "entries": [e.to_json() for e in entries],
                    "warnings": list(document.warnings),
                }
                | _closing(opened, document)
                | (_source(opened, integrity) if with_source else {})
            )
            return
        status = compute(document, opened.id, opened.path, integrity, closing=opened.closing(document))
        if as_html:
            from collab.render.render_html import page_parts

            parts = page_parts(document, status, entries)
            if output is None:
                sys.stdout.writelines(parts)
            else:
                from collab.store import output as out_file
                from collab.text.sanitize import for_terminal

                written = out_file.write(output, parts, channel=opened.path)
                sys.stdout.write(f"{for_terminal(str(written), one_line=True)}\n")
        elif sys.stdout.isatty():
            from collab.cli.pager import paged
            from collab.render.render_term import print_transcript

            with paged(not no_pager) as out:
                print_transcript(_console(out), document, status, entries)
        else:
            from collab.render.render_text import transcript

            sys.stdout.writelines(transcript(document, status, entries))


def _source(opened: Channel, integrity: str) -> dict[str, object]:
    """``{"source", "integrity"}``: the channel's text and its check, for collab on another machine
    to render it there (``show --source``, contract section 10)."""
    return {"source": opened.source().decode("utf-8", "replace"), "integrity": integrity}


def _closing(opened: Channel, document: Document) -> dict[str, object]:
    """``{"closing": {...}}`` for a closed channel (contract section 6.3), else nothing."""
    closing = opened.closing(document)
    return {"closing": closing.to_json()} if closing is not None else {}


def _read(opened: Channel) -> tuple[str, Document]:
    """The channel, checked against its ledger (entries appended by hand are accepted first when
    its lock is free; the read never waits for it).

    What the check found is reported on stderr and the command goes on, since reading an edited
    channel is how a person finds out what happened. The document's warnings include those about
    entry headings collab could not read fully (:meth:`collab.Channel.heading_warnings`).
    """
    checked = opened.check()
    for sentence in checked.warnings(opened.path):
        warn(sentence)
    document = checked.document
    return checked.integrity, document._replace(
        warnings=document.warnings + tuple(Channel.heading_warnings(document.entries))
    )


@command()
def status(channel: ChannelArg, name: AsOpt = None, directory: DirOpt = None, as_json: JsonOpt = False) -> None:
    """What is still open in a channel, and who has taken part.

    Each request and question, answered (by which answers) or open; then the counts, each
    participant (what it wrote, how many entries it has read and when, and whether it is waiting
    in `collab wait` now), the last activity and whether the history is intact. A read is counted
    only when collab saw it (`collab wait`, the plugin's hook): someone reading the file by hand
    leaves no trace. A request is answered by an answer that says `re Request N`, or by
    Answer N with no `re` from someone other than its creator; a question, by `re Question N`.

    Example:

    \b
      collab status k3x9q2ab
      collab status k3x9q2ab --json | jq .open_questions
    """
    with reporting(as_json):
        if (where := remote.address(channel)) is not None:
            remote.status(where, name, as_json)
            return
        opened = Channel.open(channel, config.channel_dir(directory))
        checked = opened.check()
        for sentence in checked.warnings(opened.path):
            warn(sentence)
        document = checked.document
        warn_each(document.warnings + tuple(Channel.heading_warnings(document.entries)), opened.path)
        result = opened.status(checked)
        if as_json:
            emit_json(result.to_json())
        elif sys.stdout.isatty():
            from collab.render.render_term import print_status

            print_status(_console(), result)
        else:
            from collab.render.render_text import status_text

            sys.stdout.write(status_text(result))
