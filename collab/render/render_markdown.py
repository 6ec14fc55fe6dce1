"""Untrusted markdown (bodies, the task, requests) as an HTML fragment for the page.

Rendered by mistune with escaping on (``escape=True``), so raw HTML, including a body that *starts*
with ``<script>`` (a CommonMark HTML block), comes out as text. Nothing an agent reads is hidden
from the person (contract section 7, point 7): HTML blocks and link reference definitions
(``[//]: # (hidden)``, which mistune would consume silently) are shown as literal code blocks, and
link and image titles are shown after them.

Links with a scheme mistune deems harmful (``javascript:``, ``vbscript:``, ``data:`` other than
images) are shown as struck-out text instead of mistune's ``#harmful-link`` placeholder; images
load only from ``data:`` URLs, any other image becomes a plain link, so opening the page fetches
nothing. Fenced code in a language Pygments knows is highlighted (:mod:`collab.render.highlight`).

A fragment that would cost too much to render (:mod:`collab.render.render_budget`: mostly markup, or
slower than its length allows) is shown as escaped plain text in ``<pre class="source">``, under a
note saying so.
"""

from __future__ import annotations

import html
from functools import lru_cache
from re import Match
from typing import Any

import mistune
from mistune.block_parser import BlockParser
from mistune.core import BlockState, InlineState
from mistune.inline_parser import InlineParser
from mistune.plugins import import_plugin
from mistune.renderers.html import HTMLRenderer
from mistune.util import striptags

from collab.render import highlight, render_budget

#: The placeholder mistune puts in place of a URL whose scheme it refuses.
_HARMFUL = "#harmful-link"
_PLUGINS = ("table", "strikethrough", "url", "task_lists")


def attrs(**values: str | None) -> str:
    """`` name="value"`` for each value given, escaped; None leaves the attribute out."""
    return "".join(f' {name}="{html.escape(value)}"' for name, value in values.items() if value is not None)


def _literal(text: str) -> str:
    return f'<pre class="markup"><code>{html.escape(text)}</code></pre>\n'


#: Where a fragment's :class:`~collab.render.render_budget.Clock` is kept in mistune's ``state.env``.
_CLOCK = "collab.clock"


class _ShownBlockParser(BlockParser):
    """mistune's block parser, keeping each link reference definition as a token to show, and
    looking at the fragment's clock at every block (and every list item, which is parsed anew)."""

    def parse(self, state: BlockState, rules: list[str] | None = None) -> None:
        state.env[_CLOCK].tick()
        super().parse(state, rules)

    def parse_method(self, m: Match[str], state: BlockState) -> int | None:
        state.env[_CLOCK].tick()
        end: int | None = super().parse_method(m, state)
        return end

    def parse_ref_link(self, m: Match[str], state: BlockState) -> int | None:
        last = state.last_token()
        in_paragraph = last is not None and last["type"] == "paragraph"  # then the line is paragraph text
        end: int | None = super().parse_ref_link(m, state)
        if end and not in_paragraph:
            state.append_token({"type": "definition", "raw": state.src[m.start() : end]})
        return end


class _ClockedInlineParser(InlineParser):
    """mistune's inline parser, looking at the fragment's clock at every token."""

    def parse_method(self, m: Match[str], state: InlineState) -> int | None:
        state.env[_CLOCK].tick()
        end: int | None = super().parse_method(m, state)
        return end

    def process_text(self, text: str, state: InlineState, parse_emphasis: bool = True) -> None:
        state.env[_CLOCK].tick()
        super().process_text(text, state, parse_emphasis)


class _BodyRenderer(HTMLRenderer):
    """mistune's escaping HTML renderer: unsafe links neutered, body headings below the page's,
    nothing hidden, known languages highlighted within ``budget``; it looks at the fragment's
    clock at every token."""

    def __init__(self, budget: highlight.Budget) -> None:
        super().__init__(escape=True)
        self.budget = budget

    def render_token(self, token: dict[str, Any], state: BlockState) -> str:
        state.env[_CLOCK].tick()
        return super().render_token(token, state)

    def link(self, text: str, url: str, title: str | None = None) -> str:
        href = html.unescape(self.safe_url(url))  # mistune escapes for HTML; attrs() escapes again
        if href == _HARMFUL:
            return f'<span class="blocked-link" title="link removed: unsafe address">{text}</span>' + _title(title)
        return f"<a{attrs(href=href, title=title, rel='noreferrer')}>{text}</a>" + _title(title)

    def image(self, text: str, url: str, title: str | None = None) -> str:
        src = html.unescape(self.safe_url(url))
        if src == _HARMFUL:
            return f'<span class="blocked-link" title="image removed: unsafe address">{text}</span>' + _title(title)
        if src.lower().startswith("data:image/"):
            return f"<img{attrs(src=src, alt=html.unescape(striptags(text)), title=title)}>" + _title(title)
        # A remote image would be fetched on opening the page: show where it is instead.
        return f"<a{attrs(href=src, title=title, rel='noreferrer')}>image: {text or src}</a>" + _title(title)

    def heading(self, text: str, level: int, **attrs: Any) -> str:
        # The page owns h1-h3 (title, sections, entries); a body's headings sit below them.
        tag = f"h{min(level + 3, 6)}"
        return f"<{tag}>{text}</{tag}>\n"

    def block_code(self, code: str, info: str | None = None) -> str:
        name = highlight.language(info)
        marked = self.budget.highlight(code, name) if name else None
        if marked is None:
            return super().block_code(code, info)
        code_class = attrs(**{"class": f"language-{name}"})
        return f'<pre class="{highlight.CSS_CLASS}"><code{code_class}>{marked}</code></pre>\n'

    def block_html(self, raw: str) -> str:
        return _literal(raw)

    def definition(self, text: str) -> str:
        """A link reference definition, which CommonMark renders as nothing: shown as written."""
        return _literal(text)


def _title(title: str | None) -> str:
    # A title is a tooltip in a browser; an agent reads it as text, so the person does too.
    return f' <span class="link-title">"{html.escape(title)}"</span>' if title else ""


def plain(text: str) -> str:
    """``text`` as escaped preformatted text under :data:`collab.render.render_budget.NOTICE`: what a
    fragment too costly to render becomes."""
    return f'<p class="note">{render_budget.NOTICE}.</p>\n<pre class="source">{html.escape(text)}</pre>\n'


class Renderer:
    """Renders the markdown of one page; all its fragments share one highlighting budget and,
    when given, one :class:`~collab.render.render_budget.Budget` of time.

    Args:
        budget: what highlighting may spend on the page (a fresh :class:`collab.render.highlight.Budget`
            when None).
        cost: what rendering may spend on the page; when None, each fragment gets a budget of its
            own (:func:`collab.render.render_budget.page_budget`).
    """

    def __init__(self, budget: highlight.Budget | None = None, cost: render_budget.Budget | None = None) -> None:
        self._markdown = mistune.Markdown(
            renderer=_BodyRenderer(budget or highlight.Budget()),
            block=_ShownBlockParser(),
            inline=_ClockedInlineParser(),
            plugins=[import_plugin(name) for name in _PLUGINS],
        )
        self._cost = cost

    def __call__(self, text: str) -> str:
        """Render untrusted markdown ``text`` to an HTML fragment; raw HTML in it is escaped, never
        passed. A fragment too costly to render (:mod:`collab.render.render_budget`) comes out as
        :func:`plain` text."""
        clock = (self._cost or render_budget.page_budget()).clock(text)
        if clock.left <= 0 or render_budget.too_dense(text):
            return plain(text)
        state = self._markdown.block.state_cls()
        state.env[_CLOCK] = clock
        try:
            with clock.running():
                rendered, _ = self._markdown.parse(text, state)
        except render_budget.TooCostly:
            return plain(text)
        assert isinstance(rendered, str)
        return rendered


@lru_cache(maxsize=1)
def _unbudgeted() -> Renderer:
    return Renderer(highlight.Budget(chars=2**62, seconds=float("inf")))


def markdown_html(text: str) -> str:
    """Render one untrusted markdown fragment (see :class:`Renderer`); each of its code blocks has
    the budget of one block (:mod:`collab.render.highlight`), with no page total."""
    return _unbudgeted()(text)
