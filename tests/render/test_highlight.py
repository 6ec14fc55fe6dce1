"""Code highlighting on the HTML page: which blocks, escaped always, and bounded in time and size."""

from __future__ import annotations

import html
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from collab.render import highlight
from collab.render.render_markdown import Renderer, markdown_html


def _fence(info: str, code: str) -> str:
    return f"```{info}\n{code}\n```\n"


def test_a_known_language_is_highlighted_whatever_its_case_and_extra_words():
    """The info string's first word names the language, in any case; the rest is ignored."""
    for info in ("python", "Python", "py", "python title=sign.py"):
        out = markdown_html(_fence(info, "def sign(h):\n    return h"))
        assert out.startswith('<pre class="highlight"><code class="language-'), info
        assert '<span class="k">def</span>' in out and '<span class="k">return</span>' in out


@pytest.mark.parametrize("info", ["", "nosuchlang", "x" * 100, '"><script>alert(1)</script>'])
def test_no_or_an_unknown_language_is_plain_and_escaped(info):
    out = markdown_html(_fence(info, "<b>bold?</b> & more"))
    assert "<span" not in out and "highlight" not in out
    assert "&lt;b&gt;bold?&lt;/b&gt; &amp; more" in out
    assert "<script" not in out and "<b>" not in out


@pytest.mark.parametrize("language", ["html", "python", "javascript", "markdown", "xml"])
def test_highlighted_code_stays_escaped(language):
    """Tags, entities and a closing ``</code></pre>`` in the code are text, never markup."""
    code = "</code></pre><script>alert(1)</script><img src=x onerror=alert(2)> &amp; '\"`"
    out = markdown_html(_fence(language, code))
    assert out.startswith('<pre class="highlight">')
    assert out.count("</code></pre>") == 1 and out.endswith("</code></pre>\n")
    assert "<script" not in out and "<img" not in out
    # Without the token marks, the block reads back exactly as written.
    inner = out[out.index(">", out.index("<code")) + 1 : out.rindex("</code></pre>")]
    assert html.unescape(re.sub(r'</span>|<span class="[a-z0-9 -]+">', "", inner)) == code + "\n"


def test_blank_lines_at_the_edges_are_kept():
    out = markdown_html(_fence("python", "\n\nx = 1\n\n"))
    text = out.split("<code", 1)[1].split(">", 1)[1]
    assert text.startswith("\n\n")


def test_a_lexer_that_loops_is_stopped_and_the_block_shown_plain():
    """Pygments' mcschema lexer loops forever on empty tokens for ``<!--``: collab gives up at once."""
    started = time.monotonic()
    out = markdown_html(_fence("mcschema", "<!--<!--"))
    assert time.monotonic() - started < 2
    assert '<pre><code class="language-mcschema">&lt;!--&lt;!--\n</code></pre>' in out


def test_a_slow_lexer_is_cut_off_by_the_time_limit():
    """AutoHotkey's lexer is quadratic on newlines (20,000 take about 300 s): stopped after the block's
    limit, and the page's budget charged with about that limit."""
    code = "\n" * 20_000
    budget = highlight.Budget()
    handler = signal.getsignal(signal.SIGALRM)  # pytest-timeout's: then collab leaves the signal alone
    started = time.monotonic()
    assert budget.highlight(code, "autohotkey") is None
    spent = time.monotonic() - started
    assert spent < 10 * highlight.MAX_BLOCK_SECONDS + 1  # 10x the median (0.53 s, busy 2-core machine); uncut: 300 s
    assert budget.seconds <= highlight.MAX_PAGE_SECONDS - highlight.MAX_BLOCK_SECONDS * 0.9  # a lower bound on spent
    assert signal.getsignal(signal.SIGALRM) is handler


RUNAWAY = """
import re, signal, time
from collab.render import highlight

class Runaway:
    def get_tokens(self, code):
        re.match(r"(a+)+$", "a" * 64 + "b")  # one match that backtracks for hours
        yield from ()

highlight._lexer = lambda name: Runaway()
started = time.monotonic()
result = highlight.Budget().highlight("aaaa", "runaway")
print(result, round(time.monotonic() - started, 1), signal.getsignal(signal.SIGALRM) == signal.SIG_DFL,
      signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0))
"""


def test_in_the_main_thread_a_timer_stops_one_runaway_match():
    """A single regular expression match cannot be stopped between tokens: a timer signal stops it,
    and SIGALRM and its timer are left as they were."""
    done = subprocess.run([sys.executable, "-c", RUNAWAY], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    result, seconds, handler_restored, timer_stopped = done.stdout.split()
    # Uncut, the one match would run for hours.
    assert result == "None" and float(seconds) < 11 * highlight.MAX_BLOCK_SECONDS  # 11x the median (0.5 s)
    assert handler_restored == "True" and timer_stopped == "True"


def test_outside_the_main_thread_the_clock_is_checked_between_tokens():
    results: list[str | None] = []
    worker = threading.Thread(target=lambda: results.append(highlight.highlight("<!--" * 50, "mcschema")))
    worker.start()
    worker.join(10)
    assert not worker.is_alive() and results == [None]


def test_the_page_budget_limits_size_and_total_time():
    budget = highlight.Budget(chars=30, seconds=10)
    assert budget.highlight("x = 1", "python") is not None
    assert budget.highlight("y = 2" * 10, "python") is None  # over what is left of the page's characters
    assert budget.chars == 25
    assert highlight.Budget().highlight("x" * (highlight.MAX_BLOCK_CHARS + 1), "python") is None
    spent = highlight.Budget(seconds=0)
    assert spent.highlight("x = 1", "python") is None
    # One page's renderer shares its budget between blocks: once spent, later blocks are plain.
    page = Renderer(highlight.Budget(chars=12))
    first, second = page(_fence("python", "a = 1")), page(_fence("python", "b = 22222"))
    assert 'class="highlight"' in first and 'class="highlight"' not in second


def test_the_style_sheet_has_one_style_per_colour_scheme_and_they_never_overlap():
    sheet = highlight.style_sheet()
    light, dark = sheet.split("@media screen and (prefers-color-scheme: dark)")
    assert light.startswith("@media print, not all and (prefers-color-scheme: dark) {")
    for part in (light, dark):
        assert "pre.highlight .k {" in part and "pre.highlight .s1 {" in part
    assert "url(" not in sheet and "@import" not in sheet and "</style" not in sheet
    # Each token rule is scoped to highlighted blocks, so nothing else on the page changes.
    rules = [line for line in sheet.splitlines() if "{" in line and not line.startswith("@media")]
    assert rules and all(line.startswith("pre.highlight ") for line in rules)
