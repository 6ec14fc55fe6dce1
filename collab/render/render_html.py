"""One standalone HTML page of a channel: ``collab show --html``.

The page reads as a conversation: each entry is a bubble on its author's side, in its author's
colour (:mod:`collab.render.sides`), with the requests checklist and each question's status (answered by
which answers, or open) from :mod:`collab.render.status`. Bodies, the task, the context and the requests
are untrusted markdown, rendered escaped by :mod:`collab.render.render_markdown`, with code highlighted by
:mod:`collab.render.highlight`. Control, bidirectional and invisible characters are made visible on the
whole page (:func:`collab.text.sanitize.for_html`); every header and meta string passes through
:func:`html.escape`. The page carries a Content-Security-Policy that forbids scripts and remote
loads, as a second line of defence, and its style sheet is inline.

Anchors: ``request-N`` on each request, ``answer-N`` / ``question-N`` on each entry (a repeated
number in a hand-edited file gets ``answer-N-<index>`` so ids stay unique). A reference (``re``,
the checklist's resolving answers, replies) is a link only when its target is on the page.

The page is made entry by entry (:func:`page_parts`) and written as it is made, so memory grows
with the largest entry. Rendering markdown costs far more than reading the channel, so bodies that
together exceed :data:`RENDER_LIMIT` characters are shown as preformatted source instead, with a
note saying so; ``bench/render_big.py`` measures both. Within that limit, a body too costly to
render by itself (:mod:`collab.render.render_budget`) is shown the same way under a note of its own.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator

from collab.integrations import templates
from collab.render import highlight, render_budget, sides
from collab.render.render_markdown import Renderer, markdown_html
from collab.render.render_text import task_after_title
from collab.render.status import Status
from collab.text.format import Document, Entry
from collab.text.grammar import Ref, parse_timestamp
from collab.text.sanitize import for_html

__all__ = ["RENDER_LIMIT", "markdown_html", "page_parts", "render_page", "utc_time"]

#: Characters of entry bodies up to which the page renders them as markdown; above it, as source.
RENDER_LIMIT = 4_000_000

#: Where the entries go in templates/page.html; a NUL never survives :func:`for_html`, so it is unique.
_ENTRIES = "\0"


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
    """What the page being built shares between its parts: anchors that can be linked to, each
    participant's side and colour, each question's answers, and one markdown renderer (whose
    highlighting and rendering budgets are the page's)."""

    def __init__(self, document: Document, status: Status, entries: tuple[Entry, ...]) -> None:
        self.ids = _anchors(entries)
        self.targets = {f"request-{r.number}" for r in document.header.requests} | set(self.ids.values())
        # Every entry of the channel, not only those shown, so a filter never changes a colour.
        self.voices = sides.cast(document.header.creator, (e.author for e in document.entries))
        self.answers = {q.number: q.answers for q in status.asked}
        self.markdown = Renderer(cost=render_budget.page_budget())

    def ref(self, ref: Ref) -> str:
        """``Request 2`` as a link to ``#request-2`` when that anchor is on the page, else as text."""
        anchor = f"{ref.kind}-{ref.number}"
        label = html.escape(ref.label())
        return f'<a href="#{anchor}">{label}</a>' if anchor in self.targets else label

    def resolution(self, answers: tuple[int, ...]) -> str:
        """``answered by <links>`` or ``open``, for a request or a question."""
        if not answers:
            return "open"
        return "answered by " + ", ".join(self.ref(Ref("answer", n)) for n in answers)


def _count(number: int, noun: str) -> str:
    """``3&nbsp;answers``: the number never ends a line apart from its noun."""
    return f"{number}&nbsp;{noun}{'' if number == 1 else 's'}"


def _section(anchor: str, title: str, content: str) -> str:
    return f'<section id="{anchor}">\n<h2>{title}</h2>\n{content}</section>\n'


def _requests(status: Status, page: _Page) -> str:
    if not status.requests:
        return ""
    items = []
    for request in status.requests:
        state, mark = ("answered", "✔") if request.answered else ("open", "○")
        resolution = page.resolution(request.answers)
        items.append(
            f'<li id="request-{request.number}" class="{state}">'
            f'<span class="mark" aria-hidden="true">{mark}</span>'
            f'<div><div class="request-head"><strong>Request {request.number}</strong>'
            f' · <span class="resolution">{resolution}</span></div>'
            f'<div class="request-text">{page.markdown(request.text)}</div></div></li>'
        )
    done = sum(1 for r in status.requests if r.answered)
    summary = f'<p class="note">{done} of {len(status.requests)} answered.</p>\n'
    return _section("requests", "Requests", summary + '<ul class="requests">\n' + "\n".join(items) + "\n</ul>\n")


def _entry(entry: Entry, page: _Page, replies: list[Entry], as_source: bool) -> str:
    anchor = page.ids[entry.index]
    voice = page.voices[entry.author or sides.UNKNOWN]
    parts = [f'<h3><a href="#{anchor}">{html.escape(entry.label)}</a></h3>']
    parts.append(f'<span class="author">{html.escape(voice.name)}</span>')
    parts.append(utc_time(entry.timestamp))
    if entry.re is not None:
        parts.append(f'<span class="re">re {page.ref(entry.re)}</span>')
    if entry.kind == "question":
        answers = page.answers.get(entry.number, ())
        state = "answered" if answers else "open"
        parts.append(f'<span class="resolution {state}">{page.resolution(answers)}</span>')
        # The answers are named just before; replies of other kinds (a question back) are listed next.
        replies = [r for r in replies if r.kind != "answer"]
    if replies:
        links = ", ".join(f'<a href="#{page.ids[r.index]}">{html.escape(r.label)}</a>' for r in replies)
        parts.append(f'<span class="replies">replies: {links}</span>')
    body = f'<pre class="source">{html.escape(entry.body)}</pre>\n' if as_source else page.markdown(entry.body)
    return (
        f'<article id="{anchor}" class="entry {html.escape(entry.kind)} {voice.css_class}"'
        f' data-side="{voice.side}" data-participant="{voice.number}">\n'
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


def _legend(page: _Page, creator: str | None) -> str:
    """Who is who: each participant with its colour and side (the creator first)."""
    items = []
    for voice in page.voices.values():
        role = " started the channel" if voice.name == creator else ""
        items.append(
            f'<li class="{voice.css_class}" data-side="{voice.side}" data-participant="{voice.number}">'
            f'<span class="swatch" aria-hidden="true"></span><strong>{html.escape(voice.name)}</strong>{role}</li>'
        )
    return f'<ul class="participants">{"".join(items)}</ul>\n' if items else ""


def _end(document: Document, status: Status, page: _Page) -> str:
    """The warnings, then how the channel ended: the closing line and the outcome, the page's last block."""
    out = []
    if document.warnings:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in document.warnings)
        out.append(_section("warnings", "Warnings", f'<ul class="warnings">{items}</ul>\n'))
    if document.closed:
        by = f" by {html.escape(document.closed.author)}" if document.closed.author else ""
        out.append(f'<p class="closed">Closed {utc_time(document.closed.timestamp)}{by}.</p>\n')
        if status.outcome:
            out.append(_section("outcome", "Outcome", page.markdown(status.outcome)))
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
        status: :func:`collab.render.status.compute` of the same document (id, path, state, requests).
        entries: the entries to show, in file order (all of ``document.entries``, or a filtered subset).
    """
    header = document.header
    page = _Page(document, status, entries)
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
    # The title is the task's first line: the task is shown once, under it (see task_after_title).
    rest = task_after_title(header.title, header.task)
    task = _section("task", "Task", page.markdown(rest)) if rest.strip() else ""
    if header.context:
        task += _section("context", "Context", page.markdown(header.context))
    values = {
        "title": title,
        "styles": highlight.style_sheet() + sides.style_rules(page.voices.values()),
        "participants": _legend(page, header.creator),
        "meta": "".join(meta),
        "note": _notes(document, entries, size),
        "task": task,
        "requests": _requests(status, page),
        "end": _end(document, status, page),
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
