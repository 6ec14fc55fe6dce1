"""One standalone HTML page of a channel: ``collab show --html`` (issue 5).

Bodies, the task, the context and the requests are untrusted markdown. They are rendered by mistune
with escaping on (``create_markdown(escape=True)``), so raw HTML in them, including a body that
*starts* with ``<script>`` (a CommonMark HTML block), comes out as text. Links with a scheme mistune
deems harmful (``javascript:``, ``vbscript:``, ``data:`` other than images) are shown as struck-out
text instead of mistune's ``#harmful-link`` placeholder; images load only from ``data:`` URLs, any
other image becomes a plain link, so opening the page fetches nothing. Every header and meta string
passes through :func:`html.escape`. The page also carries a Content-Security-Policy that forbids
scripts and remote loads, as a second line of defence, not the first.

Anchors: ``request-N`` on each request, ``answer-N`` / ``question-N`` on each entry (a repeated
number in a hand-edited file gets ``answer-N-<index>`` so ids stay unique). A reference (``re``,
the checklist's resolving answers, replies) is a link only when its target is on the page.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import mistune
from mistune.renderers.html import HTMLRenderer
from mistune.util import striptags

from collab import files, templates
from collab.errors import ChannelFormatError, ChannelNotFound, ChannelRefused
from collab.format import Document, Entry, parse
from collab.grammar import Ref, parse_timestamp
from collab.status import Status

#: The placeholder mistune puts in place of a URL whose scheme it refuses.
_HARMFUL = "#harmful-link"
_PLUGINS = ("table", "strikethrough", "url", "task_lists")


def _attrs(**values: str | None) -> str:
    return "".join(f' {name}="{html.escape(value)}"' for name, value in values.items() if value is not None)


class _BodyRenderer(HTMLRenderer):
    """mistune's escaping HTML renderer, with unsafe links neutered and body headings moved below the page's."""

    def link(self, text: str, url: str, title: str | None = None) -> str:
        href = html.unescape(self.safe_url(url))  # mistune escapes for HTML; _attrs escapes again
        if href == _HARMFUL:
            return f'<span class="blocked-link" title="link removed: unsafe address">{text}</span>'
        return f"<a{_attrs(href=href, title=title, rel='noreferrer')}>{text}</a>"

    def image(self, text: str, url: str, title: str | None = None) -> str:
        src = html.unescape(self.safe_url(url))
        if src == _HARMFUL:
            return f'<span class="blocked-link" title="image removed: unsafe address">{text}</span>'
        if src.lower().startswith("data:image/"):
            return f"<img{_attrs(src=src, alt=html.unescape(striptags(text)), title=title)}>"
        # A remote image would be fetched on opening the page: show where it is instead.
        return f"<a{_attrs(href=src, title=title, rel='noreferrer')}>image: {text or src}</a>"

    def heading(self, text: str, level: int, **attrs: Any) -> str:
        # The page owns h1-h3 (title, sections, entries); a body's headings sit below them.
        tag = f"h{min(level + 3, 6)}"
        return f"<{tag}>{text}</{tag}>\n"


@lru_cache(maxsize=1)
def _markdown() -> mistune.Markdown:
    return mistune.create_markdown(escape=True, renderer=_BodyRenderer(escape=True), plugins=list(_PLUGINS))


def markdown_html(text: str) -> str:
    """Render untrusted markdown ``text`` to an HTML fragment; raw HTML in it is escaped, never passed."""
    rendered = _markdown()(text)
    assert isinstance(rendered, str)
    return rendered


def utc_time(timestamp: str | None) -> str:
    """A ``<time>`` element showing ``timestamp`` as ``2026-06-22 14:02:11 UTC``, or ``no time given``."""
    moment = parse_timestamp(timestamp) if timestamp else None
    if moment is None:
        return '<span class="time">no time given</span>'
    return (
        f'<span class="time"><time datetime="{moment.strftime("%Y-%m-%dT%H:%M:%SZ")}">'
        f"{moment.strftime('%Y-%m-%d %H:%M:%S')} UTC</time></span>"
    )


def _anchors(entries: Iterable[Entry]) -> dict[int, str]:
    """Map each entry's index to its unique anchor id."""
    taken: set[str] = set()
    ids = {}
    for entry in entries:
        anchor = f"{entry.kind}-{entry.number}"
        if anchor in taken:
            anchor = f"{anchor}-{entry.index}"
        taken.add(anchor)
        ids[entry.index] = anchor
    return ids


class _Page:
    """What can be linked to on the page being built."""

    def __init__(self, document: Document, entries: tuple[Entry, ...]) -> None:
        self.ids = _anchors(entries)
        self.targets = {f"request-{r.number}" for r in document.header.requests} | set(self.ids.values())

    def ref(self, ref: Ref) -> str:
        """``Request 2`` as a link to ``#request-2`` when that anchor is on the page, else as text."""
        anchor = f"{ref.kind}-{ref.number}"
        label = html.escape(ref.label())
        return f'<a href="#{anchor}">{label}</a>' if anchor in self.targets else label


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _section(anchor: str, title: str, content: str) -> str:
    return f'<section id="{anchor}">\n<h2>{title}</h2>\n{content}</section>\n'


def _requests(status: Status, page: _Page) -> str:
    if not status.requests:
        return ""
    items = []
    for request in status.requests:
        state, mark = ("answered", "✔") if request.answered else ("open", "○")
        resolution = "open"
        if request.answers:
            resolution = "answered by " + ", ".join(page.ref(Ref("answer", n)) for n in request.answers)
        items.append(
            f'<li id="request-{request.number}" class="{state}">'
            f'<span class="mark" aria-hidden="true">{mark}</span>'
            f'<div><div class="request-head"><strong>Request {request.number}</strong>'
            f' · <span class="resolution">{resolution}</span></div>'
            f'<div class="request-text">{markdown_html(request.text)}</div></div></li>'
        )
    done = sum(1 for r in status.requests if r.answered)
    summary = f'<p class="note">{done} of {len(status.requests)} answered.</p>\n'
    return _section("requests", "Requests", summary + '<ul class="requests">\n' + "\n".join(items) + "\n</ul>\n")


def _entry(entry: Entry, page: _Page, replies: list[Entry]) -> str:
    anchor = page.ids[entry.index]
    parts = [f'<h3><a href="#{anchor}">{html.escape(entry.label)}</a></h3>']
    parts.append(f'<span class="author">{html.escape(entry.author or "unknown author")}</span>')
    parts.append(utc_time(entry.timestamp))
    if entry.re is not None:
        parts.append(f'<span class="re">re {page.ref(entry.re)}</span>')
    if replies:
        links = ", ".join(f'<a href="#{page.ids[r.index]}">{html.escape(r.label)}</a>' for r in replies)
        parts.append(f'<span class="replies">replies: {links}</span>')
    return (
        f'<article id="{anchor}" class="entry {html.escape(entry.kind)}">\n'
        f"<header>{''.join(parts)}</header>\n"
        f'<div class="body">\n{markdown_html(entry.body)}</div>\n</article>\n'
    )


def _entries(entries: tuple[Entry, ...], page: _Page) -> str:
    if not entries:
        return '<p class="note">No entries to show.</p>\n'
    first = {(e.kind, e.number): e.index for e in reversed(entries)}
    replies: dict[int, list[Entry]] = {}
    for entry in entries:
        target = first.get((entry.re.kind, entry.re.number)) if entry.re else None
        if target is not None:
            replies.setdefault(target, []).append(entry)
    return "".join(_entry(e, page, replies.get(e.index, [])) for e in entries)


def _end(document: Document) -> str:
    out = []
    if document.closed:
        by = f" by {html.escape(document.closed.author)}" if document.closed.author else ""
        out.append(f'<p class="closed">Closed {utc_time(document.closed.timestamp)}{by}.</p>\n')
    if document.warnings:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in document.warnings)
        out.append(_section("warnings", "Warnings", f'<ul class="warnings">{items}</ul>\n'))
    return "".join(out)


def render_page(document: Document, status: Status, entries: tuple[Entry, ...]) -> str:
    """Render a channel as one standalone HTML page (UTF-8 text, no external resources, no scripts).

    Args:
        document: the parsed channel (header, closing line, warnings).
        status: :func:`collab.status.compute` of the same document (id, path, state, requests).
        entries: the entries to show, in file order (all of ``document.entries``, or a filtered subset).

    Returns:
        The page, from ``<!DOCTYPE html>`` to ``</html>``, built from ``templates/page.html``.
    """
    header = document.header
    page = _Page(document, entries)
    title = html.escape(header.title or status.id)
    meta = [
        f'<li class="state state-{html.escape(status.state)}">{html.escape(status.state)}</li>',
        f"<li>channel <code>{html.escape(status.id)}</code></li>",
        f"<li><code>{html.escape(str(status.path))}</code></li>",
    ]
    if header.created:
        by = f" by {html.escape(header.creator)}" if header.creator else ""
        meta.append(f"<li>created {utc_time(header.created)}{by}</li>")
    meta.append(f"<li>{_count(status.answers, 'answer')}, {_count(status.questions, 'question')}</li>")
    if status.open_questions:
        links = ", ".join(page.ref(Ref("question", n)) for n in status.open_questions)
        meta.append(f"<li>open questions: {links}</li>")
    note = ""
    if len(entries) != len(document.entries):
        note = f'<p class="note">Showing {len(entries)} of {len(document.entries)} entries (filtered).</p>\n'
    task = _section("task", "Task", markdown_html(header.task))
    if header.context:
        task += _section("context", "Context", markdown_html(header.context))
    return templates.render(
        "page.html",
        title=title,
        meta="".join(meta),
        note=note,
        task=task,
        requests=_requests(status, page),
        entries=_entries(entries, page),
        end=_end(document),
        source=f"<code>{html.escape(str(status.path))}</code>",
    )


def _is_channel(path: Path) -> bool:
    """True when ``path`` holds something collab would read as a channel (a header and ``## Answers``)."""
    try:
        size = path.stat().st_size
        if size > files.MAX_CHANNEL_BYTES:
            return False
        parse(path.read_bytes())
    except (ChannelFormatError, OSError):
        return False
    return True


def write_page(output: Path, page: str, channel: Path) -> Path:
    """Write ``page`` to ``output`` atomically (temporary file beside it, then rename; mode 0644).

    Returns:
        The absolute path written.

    Raises:
        ChannelRefused: ``output`` is the channel file itself (by any path or link), holds a collab
            channel, or is a directory: a page never replaces a channel.
        ChannelNotFound: the directory of ``output`` does not exist.
    """
    target = Path(os.path.abspath(output))
    for candidate in {target, target.resolve()}:
        if candidate.is_dir():
            raise ChannelRefused(f"{output} is a directory: give -o a file name, e.g. {channel.stem}.html")
        same = candidate.exists() and channel.exists() and os.path.samefile(candidate, channel)
        if same or candidate.resolve() == channel.resolve():
            raise ChannelRefused(f"refusing to write the page over the channel itself ({output}); pick another -o FILE")
        if _is_channel(candidate):
            raise ChannelRefused(f"refusing to overwrite {output}: it holds a collab channel; pick another -o FILE")
    if not target.parent.is_dir():
        raise ChannelNotFound(f"directory {target.parent} does not exist: create it or pick another -o FILE")
    files.replace_atomic(target, page.encode("utf-8"), mode=0o644)
    return target
