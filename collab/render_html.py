"""One standalone HTML page of a channel: ``collab show --html``.

Bodies, the task, the context and the requests are untrusted markdown. They are rendered by mistune
with escaping on (``create_markdown(escape=True)``), so raw HTML in them, including a body that
*starts* with ``<script>`` (a CommonMark HTML block), comes out as text. Nothing an agent reads is
hidden from the person (contract section 7, point 7): HTML blocks and link reference definitions
(``[//]: # (hidden)``, which mistune would consume silently) are shown as literal code blocks, and
link and image titles are shown after them. Control, bidirectional and invisible characters are
made visible on the whole page (:func:`collab.sanitize.for_html`).

Links with a scheme mistune deems harmful (``javascript:``, ``vbscript:``, ``data:`` other than
images) are shown as struck-out text instead of mistune's ``#harmful-link`` placeholder; images
load only from ``data:`` URLs, any other image becomes a plain link, so opening the page fetches
nothing. Every header and meta string passes through :func:`html.escape`. The page also carries a
Content-Security-Policy that forbids scripts and remote loads, as a second line of defence.

Anchors: ``request-N`` on each request, ``answer-N`` / ``question-N`` on each entry (a repeated
number in a hand-edited file gets ``answer-N-<index>`` so ids stay unique). A reference (``re``,
the checklist's resolving answers, replies) is a link only when its target is on the page.

The page is made entry by entry (:func:`page_parts`) and written as it is made, so memory grows
with the largest entry. Rendering markdown costs far more than reading the channel, so bodies that
together exceed :data:`RENDER_LIMIT` characters are shown as preformatted source instead, with a
note saying so; ``bench/render_big.py`` measures both.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator
from functools import lru_cache
from re import Match
from typing import Any

import mistune
from mistune.block_parser import BlockParser
from mistune.core import BlockState
from mistune.inline_parser import InlineParser
from mistune.plugins import import_plugin
from mistune.renderers.html import HTMLRenderer
from mistune.util import striptags

from collab import templates
from collab.format import Document, Entry
from collab.grammar import Ref, parse_timestamp
from collab.sanitize import for_html
from collab.status import Status

#: Characters of entry bodies up to which the page renders them as markdown; above it, as source.
RENDER_LIMIT = 4_000_000

#: The placeholder mistune puts in place of a URL whose scheme it refuses.
_HARMFUL = "#harmful-link"
_PLUGINS = ("table", "strikethrough", "url", "task_lists")
#: Where the entries go in templates/page.html; a NUL never survives :func:`for_html`, so it is unique.
_ENTRIES = "\0"


def _attrs(**values: str | None) -> str:
    return "".join(f' {name}="{html.escape(value)}"' for name, value in values.items() if value is not None)


def _literal(text: str) -> str:
    return f'<pre class="markup"><code>{html.escape(text)}</code></pre>\n'


class _ShownBlockParser(BlockParser):
    """mistune's block parser, keeping each link reference definition as a token to show."""

    def parse_ref_link(self, m: Match[str], state: BlockState) -> int | None:
        last = state.last_token()
        in_paragraph = last is not None and last["type"] == "paragraph"  # then the line is paragraph text
        end: int | None = super().parse_ref_link(m, state)
        if end and not in_paragraph:
            state.append_token({"type": "definition", "raw": state.src[m.start() : end]})
        return end


class _BodyRenderer(HTMLRenderer):
    """mistune's escaping HTML renderer: unsafe links neutered, body headings below the page's, nothing hidden."""

    def link(self, text: str, url: str, title: str | None = None) -> str:
        href = html.unescape(self.safe_url(url))  # mistune escapes for HTML; _attrs escapes again
        if href == _HARMFUL:
            return f'<span class="blocked-link" title="link removed: unsafe address">{text}</span>' + _title(title)
        return f"<a{_attrs(href=href, title=title, rel='noreferrer')}>{text}</a>" + _title(title)

    def image(self, text: str, url: str, title: str | None = None) -> str:
        src = html.unescape(self.safe_url(url))
        if src == _HARMFUL:
            return f'<span class="blocked-link" title="image removed: unsafe address">{text}</span>' + _title(title)
        if src.lower().startswith("data:image/"):
            return f"<img{_attrs(src=src, alt=html.unescape(striptags(text)), title=title)}>" + _title(title)
        # A remote image would be fetched on opening the page: show where it is instead.
        return f"<a{_attrs(href=src, title=title, rel='noreferrer')}>image: {text or src}</a>" + _title(title)

    def heading(self, text: str, level: int, **attrs: Any) -> str:
        # The page owns h1-h3 (title, sections, entries); a body's headings sit below them.
        tag = f"h{min(level + 3, 6)}"
        return f"<{tag}>{text}</{tag}>\n"

    def block_html(self, raw: str) -> str:
        return _literal(raw)

    def definition(self, text: str) -> str:
        """A link reference definition, which CommonMark renders as nothing: shown as written."""
        return _literal(text)


def _title(title: str | None) -> str:
    # A title is a tooltip in a browser; an agent reads it as text, so the person does too.
    return f' <span class="link-title">"{html.escape(title)}"</span>' if title else ""


@lru_cache(maxsize=1)
def _markdown() -> mistune.Markdown:
    return mistune.Markdown(
        renderer=_BodyRenderer(escape=True),
        block=_ShownBlockParser(),
        inline=InlineParser(),
        plugins=[import_plugin(name) for name in _PLUGINS],
    )


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


def _entry(entry: Entry, page: _Page, replies: list[Entry], as_source: bool) -> str:
    anchor = page.ids[entry.index]
    parts = [f'<h3><a href="#{anchor}">{html.escape(entry.label)}</a></h3>']
    parts.append(f'<span class="author">{html.escape(entry.author or "unknown author")}</span>')
    parts.append(utc_time(entry.timestamp))
    if entry.re is not None:
        parts.append(f'<span class="re">re {page.ref(entry.re)}</span>')
    if replies:
        links = ", ".join(f'<a href="#{page.ids[r.index]}">{html.escape(r.label)}</a>' for r in replies)
        parts.append(f'<span class="replies">replies: {links}</span>')
    body = f'<pre class="source">{html.escape(entry.body)}</pre>\n' if as_source else markdown_html(entry.body)
    return (
        f'<article id="{anchor}" class="entry {html.escape(entry.kind)}">\n'
        f"<header>{''.join(parts)}</header>\n"
        f'<div class="body">\n{body}</div>\n</article>\n'
    )


def _entries(entries: tuple[Entry, ...], page: _Page, as_source: bool) -> Iterator[str]:
    if not entries:
        yield '<p class="note">No entries to show.</p>\n'
        return
    first = {(e.kind, e.number): e.index for e in reversed(entries)}
    replies: dict[int, list[Entry]] = {}
    for entry in entries:
        target = first.get((entry.re.kind, entry.re.number)) if entry.re else None
        if target is not None:
            replies.setdefault(target, []).append(entry)
    for entry in entries:
        yield for_html(_entry(entry, page, replies.get(entry.index, []), as_source))


def _end(document: Document) -> str:
    out = []
    if document.closed:
        by = f" by {html.escape(document.closed.author)}" if document.closed.author else ""
        out.append(f'<p class="closed">Closed {utc_time(document.closed.timestamp)}{by}.</p>\n')
    if document.warnings:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in document.warnings)
        out.append(_section("warnings", "Warnings", f'<ul class="warnings">{items}</ul>\n'))
    return "".join(out)


def _notes(document: Document, entries: tuple[Entry, ...], size: int) -> str:
    note = ""
    if len(entries) != len(document.entries):
        note = f'<p class="note">Showing {len(entries)} of {len(document.entries)} entries (filtered).</p>\n'
    if size > RENDER_LIMIT:
        note += (
            f'<p class="note">These entries hold {size / 1e6:.1f} MB of text, more than collab renders on one page '
            f"({RENDER_LIMIT / 1e6:.0f} MB): they are shown as markdown source. Narrow them with --since, --author "
            "or --kind to see them rendered.</p>\n"
        )
    return note


def page_parts(document: Document, status: Status, entries: tuple[Entry, ...]) -> Iterator[str]:
    """Render a channel as one standalone HTML page (no external resources, no scripts), in parts.

    The parts, joined, are the page from ``<!DOCTYPE html>`` to ``</html>`` (``templates/page.html``):
    everything before the entries, one part per entry, then the rest. Each is rendered only when
    asked for, so a caller that writes each part at once holds one entry's HTML at a time.

    Args:
        document: the parsed channel (header, closing line, warnings).
        status: :func:`collab.status.compute` of the same document (id, path, state, requests).
        entries: the entries to show, in file order (all of ``document.entries``, or a filtered subset).
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
    size = sum(len(entry.body) for entry in entries)
    task = _section("task", "Task", markdown_html(header.task))
    if header.context:
        task += _section("context", "Context", markdown_html(header.context))
    values = {
        "title": title,
        "meta": "".join(meta),
        "note": _notes(document, entries, size),
        "task": task,
        "requests": _requests(status, page),
        "end": _end(document),
        "source": f"<code>{html.escape(str(status.path))}</code>",
    }
    outline = templates.render("page.html", entries=_ENTRIES, **{k: for_html(v) for k, v in values.items()})
    before, after = outline.split(_ENTRIES)
    yield before
    yield from _entries(entries, page, size > RENDER_LIMIT)
    yield after


def render_page(document: Document, status: Status, entries: tuple[Entry, ...]) -> str:
    """The page of :func:`page_parts` as one string."""
    return "".join(page_parts(document, status, entries))
