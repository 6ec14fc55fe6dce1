"""show --html: the page itself, the command line, and the page opened in a real headless Chromium."""

from __future__ import annotations

import os
import re
import stat
import struct
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from collab.channel import Channel
from collab.cli import app
from collab.render.render_html import markdown_html, render_page
from collab.render.status import compute, select_entries
from collab.text.grammar import Ref, format_timestamp
from tests.conftest import NOW, collab_bin
from tests.pages import Dom, find_chromium, run_chromium

# Each would change the page if any of it ran: the title, or a data-pwned attribute.
SCRIPT_FIRST = "<script>document.title='pwned-1'</script>\nstill the same body\n\n**after the block**"
IMG_ONERROR = "Inline image: <img src=x onerror=\"document.body.setAttribute('data-pwned','2')\"> end of line."
JS_LINKS = (
    "[click me](javascript:document.title='pwned-3') and [also](JaVaScRiPt:alert(1)) and "
    "<a href=\"javascript:document.title='pwned-3b'\">raw anchor</a>"
)
MORE_HOSTILE = (
    "Mid-body tags: <svg onload=\"document.title='pwned-4'\"></svg> and "
    "<iframe srcdoc=\"<script>parent.document.title='pwned-5'</script>\"></iframe>\n\n"
    "<style>body { display: none }</style>\n\n"
    "<script>document.body.setAttribute('data-pwned', '6')</script>"
)
CODE = "Here is the handshake:\n\n```python\ndef sign(headers):\n    return '<b>' + headers['X-Auth']\n```\n"
TABLE = "Headers we expect:\n\n| header | required |\n| --- | --- |\n| `X-Auth` | yes |\n| `X-Trace` | no |\n"
HOSTILE = (SCRIPT_FIRST, IMG_ONERROR, JS_LINKS, MORE_HOSTILE)


def _at(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes, seconds=7)


@pytest.fixture
def exchange(channel: Channel) -> Channel:
    """A real exchange of 12 entries: code, a table, hostile bodies, re-links of every kind, then closed."""
    channel.answer(CODE, author="site-b", re=Ref("request", 1), now=_at(1))  # Answer 1
    channel.ask(TABLE + "\nWhich of these do you send?", author="site-b", now=_at(2))  # Question 1
    channel.answer(TABLE + "\nAll of them.\n\n~~old plan~~", author="site-a", re=Ref("question", 1), now=_at(3))  # A2
    channel.answer(SCRIPT_FIRST, author="site-b", re=Ref("request", 2), now=_at(4))  # Answer 3
    channel.ask(IMG_ONERROR, author="site-b", now=_at(5))  # Question 2
    channel.answer(JS_LINKS, author="site-a", re=Ref("question", 2), now=_at(6))  # Answer 4
    channel.answer(MORE_HOSTILE, author="site-b", re=Ref("answer", 4), now=_at(7))  # Answer 5
    channel.ask("Template text stays text: ${entries} ${title}", author="site-a", re=Ref("answer", 2), now=_at(8))  # Q3
    curl = "```sh\ncurl -H 'X-Auth: <token>' https://b.example/\n```"
    channel.answer(curl, author="site-b", re=Ref("question", 3), now=_at(9))  # Answer 6
    with channel.path.open("a") as hand:  # collab refuses a dangling --re; a hand writer may still write one
        hand.write(f"\n### Answer 7 ({format_timestamp(_at(10))}) from site-a re Question 9\n")
        hand.write("About a question that never was.\n")
    channel.ask("Anything else open?", author="site-b", now=_at(11))  # Question 4
    channel.answer("[see Answer 2](#answer-2) and <https://example.org/a?b=1&c=2>", author="site-a", now=_at(12))
    channel.close(author="site-a", now=_at(13))
    return channel


def _page(channel: Channel, **filters: Any) -> str:
    document = channel.read()
    status = compute(document, channel.id, channel.path)
    return render_page(document, status, select_entries(document.entries, **filters))


def _assert_safe(dom: Dom) -> None:
    """No element or attribute from a body can run anything, and no fragment link dangles."""
    assert not dom.tags("script")
    assert not dom.tags("iframe") and not dom.tags("svg") and not dom.tags("img")
    handlers = [(tag, name) for tag, attrs in dom.elements for name in attrs if name.lower().startswith("on")]
    assert handlers == []
    assert not any(href.strip().lower().startswith(("javascript:", "vbscript:", "data:")) for href in dom.hrefs())
    assert not [attrs for _, attrs in dom.elements if "data-pwned" in attrs]
    assert len(dom.ids) == len(set(dom.ids)), "duplicate ids"
    dangling = sorted(set(dom.fragment_targets()) - set(dom.ids))
    assert dangling == []


# --- the page ---------------------------------------------------------------------------------------------


def test_every_entry_and_request_has_an_anchor_and_every_fragment_link_resolves(exchange):
    dom = Dom(_page(exchange))
    expected = {f"answer-{n}" for n in range(1, 9)} | {f"question-{n}" for n in range(1, 5)}
    assert expected | {"request-1", "request-2"} <= set(dom.ids)
    for anchor in expected:
        assert f"#{anchor}" in dom.hrefs(), f"no link to {anchor}"  # each entry's heading links to itself
    assert len(dom.fragment_targets()) > 20
    _assert_safe(dom)


def test_re_lines_link_to_requests_questions_and_answers(exchange):
    dom = Dom(_page(exchange))
    header = {
        a: dom.text[a].strip().split("\n")[0] for a in ("answer-1", "answer-2", "answer-5", "question-3", "answer-7")
    }
    assert "re Request 1" in header["answer-1"]
    assert "re Question 1" in header["answer-2"]
    assert "re Answer 4" in header["answer-5"]
    assert "re Answer 2" in header["question-3"]
    source = _page(exchange)
    assert 're <a href="#request-1">Request 1</a>' in source
    assert 're <a href="#question-1">Question 1</a>' in source
    assert 're <a href="#answer-4">Answer 4</a>' in source
    # Question 9 does not exist: the reference is text, not a dangling link.
    assert "re Question 9" in dom.text["answer-7"]
    assert "#question-9" not in dom.hrefs()
    # A question says which answers reply to it; Question 3 (re Answer 2) is listed as a reply.
    assert "answered by Answer 2" in dom.text["question-1"]
    assert 'answered by <a href="#answer-2">Answer 2</a>' in source
    assert "replies: Question 3" in dom.text["answer-2"]


def test_requests_checklist_is_at_the_top_with_links_to_the_resolving_answers(exchange):
    source = _page(exchange)
    dom = Dom(source)
    assert source.index('id="requests"') < source.index('id="conversation"')
    assert "answered by Answer 1" in dom.text["request-1"]
    assert "answered by Answer 3" in dom.text["request-2"]
    assert '<li id="request-1" class="answered">' in source
    assert 'answered by <a href="#answer-1">Answer 1</a>' in source
    assert "2 of 2 answered" in source
    exchange_open = Channel.create("t", author="a", requests=["one", "two"], directory=exchange.path.parent)
    exchange_open.answer("x", author="b", re=Ref("request", 2))
    other = _page(exchange_open)
    assert '<li id="request-1" class="open">' in other and "1 of 2 answered" in other


def test_hostile_bodies_are_escaped_text(exchange):
    source = _page(exchange)
    lowered = source.lower()
    for raw in ("<script", "<img", "<svg", "<iframe", "<style>body"):
        assert raw not in lowered, raw
    dom = Dom(source)
    _assert_safe(dom)
    assert "<script>document.title='pwned-1'</script>" in dom.text["answer-3"]
    assert "<img src=x onerror=" in dom.text["question-2"]
    assert '<svg onload="document.title=' in dom.text["answer-5"]
    assert "<script>document.body.setAttribute" in dom.text["answer-5"]
    # javascript: links keep their words and lose their target.
    assert "click me" in dom.text["answer-4"] and "also" in dom.text["answer-4"]
    assert "<a href=\"javascript:document.title='pwned-3b'\">raw anchor</a>" in dom.text["answer-4"]
    assert "#harmful-link" not in source


def test_a_body_starting_with_script_does_not_swallow_the_markdown_after_it():
    # CommonMark: a line starting with <script> opens an HTML block; it is shown as literal text.
    out = markdown_html(SCRIPT_FIRST)
    assert out.startswith('<pre class="markup"><code>&lt;script&gt;document.title=')
    assert "still the same body" in out
    assert "<strong>after the block</strong>" in out


def test_code_blocks_tables_and_headings_render(exchange):
    source = _page(exchange)
    assert '<pre class="highlight"><code class="language-python"><span class="k">def</span>' in source
    # Highlighted, and escaped (Pygments before 2.15 also escapes the quotes).
    assert re.search(r'<span class="s1">(\'|&#39;)&lt;b&gt;(\'|&#39;)</span>', source)
    assert '<pre class="highlight"><code class="language-sh">' in source
    dom = Dom(source)
    assert len(dom.tags("table")) == 2 and len(dom.tags("th")) == 4
    assert "<del>old plan</del>" in source
    # Body headings sit below the page's own h1-h3.
    assert markdown_html("# big\n\n## smaller") == "<h4>big</h4>\n<h5>smaller</h5>\n"


def test_links_images_and_template_text_in_bodies(exchange):
    source = _page(exchange)
    assert '<a href="#answer-2" rel="noreferrer">see Answer 2</a>' in source
    assert '<a href="https://example.org/a?b=1&amp;c=2" rel="noreferrer">' in source
    assert "${entries} ${title}" in Dom(source).text["question-3"]
    remote = markdown_html("![pixel](https://tracker.example/p.png)")
    assert "<img" not in remote and 'href="https://tracker.example/p.png"' in remote
    inline = markdown_html("![dot](data:image/png;base64,iVBORw0KGgo=)")
    assert '<img src="data:image/png;base64,iVBORw0KGgo=" alt="dot">' in inline


def test_timestamps_are_shown_in_utc_with_the_author(exchange):
    dom = Dom(_page(exchange))
    assert "site-b" in dom.text["answer-1"]
    assert "2026-06-22 13:59:11 UTC" in dom.text["answer-1"]
    assert '<time datetime="2026-06-22T13:59:11Z">' in _page(exchange)


def test_hand_written_offsets_duplicates_and_missing_times(channel):
    with channel.path.open("a", encoding="utf-8") as f:
        f.write("\n### Answer 1 (2026-06-22T16:30+02:00) from bob re Request 1\nby hand\n")
        f.write("\n### Answer 1 from carol\nsame number again\n")
    source = _page(channel)
    dom = Dom(source)
    assert "2026-06-22 14:30:00 UTC" in dom.text["answer-1"]
    assert "no time given" in dom.text["answer-1-2"]
    _assert_safe(dom)


def test_header_strings_are_escaped(tmp_path):
    hostile = Channel.create(
        "Title <script>alert(1)</script> & co",
        author="a",
        context="<img src=x onerror=alert(1)>",
        requests=["<b>bold</b> [x](javascript:alert(1))"],
        directory=tmp_path,
    )
    source = _page(hostile)
    assert "<title>Title &lt;script&gt;alert(1)&lt;/script&gt; &amp; co</title>" in source
    assert "<script" not in source.lower() and "<img" not in source.lower() and "<b>bold" not in source
    _assert_safe(Dom(source))


def test_filters_keep_links_honest(exchange):
    source = _page(exchange, kind="question")
    dom = Dom(source)
    assert "answer-1" not in dom.ids and "question-1" in dom.ids
    assert "Showing 4 of 12 entries" in source
    assert "answered by Answer 1" in dom.text["request-1"]
    assert "#answer-1" not in dom.hrefs()  # Answer 1 is filtered out: text, not a dangling link
    _assert_safe(dom)


def test_the_page_is_standalone_with_a_script_forbidding_policy(exchange):
    source = _page(exchange)
    assert source.startswith("<!DOCTYPE html>")
    assert "default-src 'none'; style-src 'unsafe-inline'; img-src data:" in source
    assert "@media (prefers-color-scheme: dark)" in source and "@media print" in source
    assert not [h for h in Dom(source).hrefs() if not h.startswith(("#", "https://example.org"))]
    dom = Dom(source)
    assert not dom.tags("link") and not [attrs for _, attrs in dom.elements if "src" in attrs]
    assert "Closed" in source and "site-a" in source


# --- the command line -------------------------------------------------------------------------------------


def test_html_to_stdout_applies_filters(runner, exchange):
    result = runner.invoke(app, ["show", exchange.id, "--html", "--author", "site-a"])
    assert result.exit_code == 0, result.stderr
    dom = Dom(result.stdout)
    shown = {a for a in dom.ids if a.startswith(("answer-", "question-"))}
    assert shown == {"answer-2", "answer-4", "question-3", "answer-7", "answer-8"}
    _assert_safe(dom)


def test_output_file_is_written_atomically_and_replaced(runner, exchange, tmp_path):
    target = tmp_path / "out" / "page.html"
    target.parent.mkdir()
    target.write_text("old page")
    old_inode = target.stat().st_ino
    result = runner.invoke(app, ["show", str(exchange.path), "--html", "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{target}\n"
    written = target.read_text(encoding="utf-8")
    assert written == runner.invoke(app, ["show", exchange.id, "--html"]).stdout
    assert target.stat().st_ino != old_inode  # renamed into place, not rewritten in place
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644 & ~umask
    assert sorted(p.name for p in target.parent.iterdir()) == ["page.html"]  # no temporary file left


def test_output_never_overwrites_a_channel(runner, exchange, tmp_path):
    before = exchange.path.read_bytes()
    copy = tmp_path / "elsewhere.html"
    copy.write_bytes(before)
    link = tmp_path / "link.html"
    link.symlink_to(exchange.path)
    for target in (exchange.path, Path(os.path.relpath(exchange.path)), copy, link):
        result = runner.invoke(app, ["show", exchange.id, "--html", "-o", str(target)])
        assert result.exit_code == 1, (target, result.stdout)
        assert result.stderr.startswith("collab: refusing") and result.stderr.count("\n") == 1
        assert result.stdout == ""
    assert exchange.path.read_bytes() == before and copy.read_bytes() == before
    assert link.is_symlink()
    result = runner.invoke(app, ["show", exchange.id, "--html", "-o", str(tmp_path)])
    assert result.exit_code == 1 and "is a directory" in result.stderr
    result = runner.invoke(app, ["show", exchange.id, "--html", "-o", str(tmp_path / "missing" / "p.html")])
    assert result.exit_code == 1 and "does not exist" in result.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["--html", "--json"], "cannot be combined"), (["-o", "x.html"], "add --html"), (["--json", "-o", "x.html"], "")],
)
def test_usage_errors(runner, exchange, tmp_path, args, needle):
    result = runner.invoke(app, ["show", exchange.id, *args])
    assert result.exit_code == 2
    assert needle in result.stderr
    assert not (tmp_path / "x.html").exists()


def test_installed_command_writes_the_page(exchange, tmp_path, subprocess_env):
    target = tmp_path / "installed.html"
    done = subprocess.run(
        [collab_bin(), "show", exchange.id, "--html", "-o", str(target)],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(target)
    _assert_safe(Dom(target.read_text(encoding="utf-8")))


# --- a real browser ---------------------------------------------------------------------------------------


@pytest.fixture
def chromium() -> str:
    return find_chromium()


def _write_page(runner: CliRunner, channel: Channel, target: Path) -> Path:
    result = runner.invoke(app, ["show", channel.id, "--html", "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    return target


@pytest.mark.timeout(120)
def test_browser_screenshot(runner, exchange, tmp_path, chromium):
    page = _write_page(runner, exchange, tmp_path / "page.html")
    shot = tmp_path / "page.png"
    run_chromium(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1200,3000", page.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR" and struct.unpack(">II", data[16:24]) == (1200, 3000)
    # A blank 1200x3000 screenshot measured 16.7 KB here; this page gives about 280 KB.
    assert len(data) > 60_000, len(data)


@pytest.mark.timeout(120)
def test_browser_runs_no_script_and_every_re_link_resolves(runner, exchange, tmp_path, chromium):
    page = _write_page(runner, exchange, tmp_path / "page.html")
    dom = Dom(run_chromium(chromium, tmp_path, "--dump-dom", page.as_uri()))
    assert dom.title == exchange.read().header.title  # no hostile script set document.title
    _assert_safe(dom)
    assert {"request-1", "answer-4", "question-3"} <= set(dom.ids)
    assert {"request-1", "question-1", "answer-4", "answer-2"} <= set(dom.fragment_targets())
    assert "<script>document.title='pwned-1'</script>" in dom.text["answer-3"]
    assert "<img src=x onerror=" in dom.text["question-2"]
    assert "<svg onload=" in dom.text["answer-5"]


@pytest.mark.timeout(120)
def test_browser_escaping_alone_stops_scripts_without_the_policy(runner, exchange, tmp_path, chromium):
    """With the CSP removed and a trusted script added, the trusted one runs and no hostile one does."""
    source = _write_page(runner, exchange, tmp_path / "page.html").read_text(encoding="utf-8")
    policy = source[source.index('<meta http-equiv="Content-Security-Policy"') :]
    source = source.replace(policy[: policy.index(">") + 1], "")
    assert "Content-Security-Policy" not in source
    control = "<script>document.documentElement.setAttribute('data-control', 'ran')</script>"
    bare = tmp_path / "bare.html"
    bare.write_text(source.replace("</body>", control + "</body>"), encoding="utf-8")
    dom = Dom(run_chromium(chromium, tmp_path, "--dump-dom", bare.as_uri()))
    assert dom.tags("html")[0].get("data-control") == "ran"  # scripts do run on this page
    assert dom.title == exchange.read().header.title
    assert len(dom.tags("script")) == 1  # the control, nothing from a body
    assert not [attrs for _, attrs in dom.elements if "data-pwned" in attrs]
    assert not [name for _, attrs in dom.elements for name in attrs if name.lower().startswith("on")]
