"""show --html as a conversation: a side and a colour per participant, highlighted code, the task
once, question status; checked in the page's source and laid out in a headless Chromium at
1280 and 400 CSS pixels."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
from pathlib import Path
from typing import Any

import pytest

from collab.channel import Channel
from collab.cli import app
from collab.render import sides
from collab.render.render_html import render_page
from collab.render.status import compute, select_entries
from collab.text.grammar import Ref
from tests.conftest import NOW
from tests.pages import Dom, find_chromium, run_chromium

WIDE = "    return hmac.new(KEY, canonical(headers), 'sha256').hexdigest()" + "  # keep going" * 20
PYTHON = f"```python\ndef sign(headers):\n    '''Only the headers.'''\n{WIDE}\n```\n"
TASK = "Align the auth handshake\n\nBoth sides must agree on the header names before Friday."


@pytest.fixture
def talk(tmp_path: Path) -> Channel:
    """Three participants: site-a started the channel, site-b answers, carol joins late."""
    ids = iter(["c0nv3rs8"])
    channel = Channel.create(
        TASK,
        author="site-a",
        requests=["Which plugin version runs on your side?", "Send the header names."],
        directory=tmp_path,
        now=NOW,
        id_source=lambda: next(ids),
    )
    channel.answer("Version 2.1.0, signed like this:\n\n" + PYTHON, author="site-b", re=Ref("request", 1))  # A1
    channel.ask("Do you sign the body?\n\n```nosuchlang\n<b>not bold</b>\n```", author="site-b")  # Q1
    channel.answer(
        "Only the headers:\n\n```sh\ncurl -H 'X-Auth: <t>' https://b.example/\n```",
        author="site-a",
        re=Ref("question", 1),
    )  # A2
    channel.answer(
        "<script>document.title='pwned'</script>\n\n```html\n<script>alert(1)</script>\n```",
        author="carol",
        re=Ref("request", 2),
    )  # A3
    channel.ask("And the trace header?", author="site-b")  # Q2, left open
    channel.ask("Which clock do you trust?", author="site-a")  # Q3
    channel.answer("NTP.", author="site-b", re=Ref("question", 3))  # A4
    return channel


def _page(channel: Channel, **filters: Any) -> str:
    document = channel.read()
    status = compute(document, channel.id, channel.path)
    return render_page(document, status, select_entries(document.entries, **filters))


def _articles(source: str) -> dict[str, dict[str, str | None]]:
    return {attrs["id"] or "": attrs for attrs in Dom(source).tags("article")}


def _visible(source: str) -> str:
    """The page's text as a reader sees it: the body, tags removed, entities decoded."""
    body = source[source.index("<body>") :]
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


# --- the page's source ------------------------------------------------------------------------------------


def test_each_participant_keeps_one_side_and_one_colour(talk):
    """The creator's entries sit on the start side, everyone else's on the end side, one class each."""
    articles = _articles(_page(talk))
    by_author = {
        "site-a": ["answer-2", "question-3"],
        "site-b": ["answer-1", "question-1", "question-2", "answer-4"],
        "carol": ["answer-3"],
    }
    expected = {"site-a": ("start", "1"), "site-b": ("end", "2"), "carol": ("end", "3")}
    for author, anchors in by_author.items():
        side, number = expected[author]
        for anchor in anchors:
            attrs = articles[anchor]
            assert attrs["data-side"] == side, (author, anchor)
            assert attrs["data-participant"] == number
            assert f"participant-{number}" in (attrs["class"] or "").split()


def test_colours_come_from_the_palette_in_order_then_from_the_name(talk):
    source = _page(talk)
    hues = dict(re.findall(r"\.participant-(\d+) \{ --hue: (\d+); \}", source))
    assert hues == {"1": str(sides.PALETTE[0]), "2": str(sides.PALETTE[1]), "3": str(sides.PALETTE[2])}
    names = [f"p{n}" for n in range(len(sides.PALETTE) + 3)]
    voices = sides.cast("p0", names)
    assert [v.hue for v in voices.values()][: len(sides.PALETTE)] == list(sides.PALETTE)
    beyond = [v for v in voices.values() if v.number > len(sides.PALETTE)]
    assert [v.hue for v in beyond] == [sides.derived_hue(v.name) for v in beyond]
    assert sides.derived_hue("p7") == sides.derived_hue("p7") and 0 <= sides.derived_hue("p7") < 360
    assert len({v.hue for v in beyond}) == len(beyond)  # these three names happen to differ: same name, same hue


def test_sides_without_a_creator_and_for_entries_without_an_author():
    voices = sides.cast(None, [None, "b", None, "a"])
    assert [(v.name, v.side, v.number) for v in voices.values()] == [
        (sides.UNKNOWN, "start", 1),
        ("b", "end", 2),
        ("a", "end", 3),
    ]
    creator_silent = sides.cast("a", ["b"])
    assert creator_silent["a"].side == "start" and creator_silent["b"].side == "end"


def test_a_filter_changes_no_colour(talk):
    """Colours follow the whole channel, so --author carol still shows carol in her own colour."""
    articles = _articles(_page(talk, author="carol"))
    assert list(articles) == ["answer-3"]
    assert articles["answer-3"]["data-participant"] == "3" and articles["answer-3"]["data-side"] == "end"


def test_legend_names_every_participant_with_side_and_creator(talk):
    source = _page(talk)
    items = Dom(source).tags("li")
    legend = [(a["data-participant"], a["data-side"]) for a in items if "data-participant" in a]
    assert legend == [("1", "start"), ("2", "end"), ("3", "end")]
    assert "<strong>site-a</strong> started the channel" in source


def test_the_task_appears_once(talk, tmp_path):
    source = _page(talk)
    text = _visible(source)
    assert text.count("Align the auth handshake") == 1  # the title, not again under Task
    assert text.count("Both sides must agree") == 1
    assert Dom(source).title == "Align the auth handshake"
    one_line = Channel.create("Just one line of task", author="a", directory=tmp_path)
    single = _page(one_line)
    assert _visible(single).count("Just one line of task") == 1 and 'id="task"' not in single
    long_task = "word " * 30 + "end"
    shortened = _page(Channel.create(long_task, author="a", directory=tmp_path))
    assert "…" in Dom(shortened).title
    assert " ".join(long_task.split()) in " ".join(_visible(shortened).split())  # the whole task, once, in full


def test_questions_say_which_answers_answered_them(talk):
    source = _page(talk)
    dom = Dom(source)
    assert "answered by Answer 2" in dom.text["question-1"]
    assert 'class="resolution answered">answered by <a href="#answer-2">Answer 2</a>' in source
    assert 'class="resolution open">open<' in source and "open" in dom.text["question-2"]
    assert "answered by Answer 4" in dom.text["question-3"]


def test_code_in_a_known_language_is_highlighted_and_everything_else_is_escaped(talk):
    source = _page(talk)
    dom = Dom(source)
    assert '<pre class="highlight"><code class="language-python"><span class="k">def</span>' in source
    assert '<pre class="highlight"><code class="language-sh">' in source
    # The html block is highlighted as text: its tags are tokens, escaped, never elements.
    assert '<code class="language-html">' in source and "&lt;" in source and not dom.tags("script")
    # An unknown language: escaped, plain, no token spans.
    assert '<pre><code class="language-nosuchlang">&lt;b&gt;not bold&lt;/b&gt;\n</code></pre>' in source
    assert "pre.highlight .k" in source  # the token style sheet is embedded
    assert "<script" not in source.lower()


def test_the_page_stays_standalone(talk):
    source = _page(talk)
    assert "default-src 'none'" in source
    dom = Dom(source)
    assert not dom.tags("link") and not dom.tags("script")
    assert not [a for _, a in dom.elements if "src" in a]
    assert "@import" not in source and "url(" not in source


# --- in a browser -----------------------------------------------------------------------------------------

#: Test-only: measures the laid-out page and posts the result to the harness that frames it.
MEASURE = """<script>
const all = (s, r = document) => [...r.querySelectorAll(s)];
const box = e => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, width: r.width}; };
const px = v => parseFloat(v);
const out = {
  viewport: innerWidth, scroll_width: document.documentElement.scrollWidth,
  height: Math.ceil(document.body.getBoundingClientRect().bottom), conversation: box(document.querySelector('.conversation')),
  font_size: px(getComputedStyle(document.querySelector('.body')).fontSize),
  entries: all('article.entry').map(a => { const s = getComputedStyle(a); return {
    id: a.id, side: a.dataset.side, participant: a.dataset.participant, ...box(a),
    left_border: [px(s.borderLeftWidth), s.borderLeftColor], right_border: [px(s.borderRightWidth), s.borderRightColor],
    background: s.backgroundColor, heading: getComputedStyle(a.querySelector('h3')).color,
    title_lines: a.querySelector('h3').getClientRects().length,
    code: all('pre', a).map(p => ({...box(p), scroll: p.scrollWidth, client: p.clientWidth})) }; }),
  keywords: all('pre.highlight span.k').map(t => [getComputedStyle(t).color, getComputedStyle(t.closest('pre')).color]),
  legend: all('.participants li').map(li => [li.dataset.participant, getComputedStyle(li.querySelector('.swatch')).backgroundColor]),
};
parent.postMessage(JSON.stringify(out), '*');
</script>"""  # noqa: E501

#: Headless Chromium will not make a window narrower than 500 px, so each page is laid out in a frame
#: of the width under test, inside a window at least that wide.
HARNESS = """<!DOCTYPE html><html><body style="margin:0">
<iframe src="{src}" scrolling="no" style="border:0;display:block;width:{width}px;height:{height}px"></iframe>
<script>addEventListener('message', e => document.body.setAttribute('data-measure', e.data));</script>
</body></html>"""


@pytest.fixture
def chromium() -> str:
    return find_chromium()


def _page_file(runner, channel: Channel, tmp_path: Path) -> Path:
    target = tmp_path / "talk.html"
    result = runner.invoke(app, ["show", channel.id, "--html", "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    return target


def _measure(chromium: str, tmp_path: Path, page: Path, width: int) -> dict[str, Any]:
    """Lay ``page`` out ``width`` CSS pixels wide and return what :data:`MEASURE` found."""
    source = page.read_text(encoding="utf-8")
    policy = re.search(r'<meta http-equiv="Content-Security-Policy"[^>]*>', source)
    assert policy is not None
    measured = tmp_path / f"measured-{width}.html"  # the policy forbids scripts: this copy is the test's
    measured.write_text(source.replace(policy.group(0), "").replace("</body>", MEASURE + "</body>"), "utf-8")
    harness = tmp_path / f"harness-{width}.html"
    harness.write_text(HARNESS.format(src=measured.name, width=width, height=8000), encoding="utf-8")
    out = run_chromium(
        chromium, tmp_path, f"--window-size={max(width, 500)},8000", "--virtual-time-budget=10000", "--dump-dom",
        harness.as_uri(),
    )  # fmt: skip
    found = re.search(r'data-measure="([^"]*)"', out)
    assert found, "the measuring script did not report"
    data: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    assert data["viewport"] == width
    return data


def _screenshot(chromium: str, tmp_path: Path, page: Path, width: int, height: int) -> Path:
    """A PNG of ``page`` laid out ``width`` pixels wide, whole (the page itself, policy and all, in a frame)."""
    harness = tmp_path / f"frame-{width}.html"
    harness.write_text(HARNESS.format(src=page.name, width=width, height=height), encoding="utf-8")
    shot = tmp_path / f"conversation-{width}.png"
    run_chromium(chromium, tmp_path, f"--screenshot={shot}", f"--window-size={width},{height}", harness.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (width, height)
    assert len(data) > 40_000, len(data)  # a blank page of this size is a few KB
    kept = os.environ.get("COLLAB_SHOTS_DIR")  # set by hand to look at the pages: a copy goes there
    if kept:
        shutil.copy(shot, Path(kept) / shot.name)
    return shot


def _colours(data: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    """Each participant's (heading colour, background) pairs over all its entries."""
    seen: dict[str, set[tuple[str, str]]] = {}
    for entry in data["entries"]:
        seen.setdefault(entry["participant"], set()).add((entry["heading"], entry["background"]))
    return seen


def _edge(entry: dict[str, Any]) -> list[Any]:
    return entry["left_border"] if entry["side"] == "start" else entry["right_border"]


@pytest.mark.timeout(180)
def test_wide_screen_two_columns_one_colour_each(runner, talk, tmp_path, chromium):
    page = _page_file(runner, talk, tmp_path)
    data = _measure(chromium, tmp_path, page, 1280)
    column = data["conversation"]
    entries = data["entries"]
    assert len(entries) == 7
    colours = _colours(data)
    assert all(len(pairs) == 1 for pairs in colours.values()), colours  # one colour per participant
    assert len({pairs.pop() for pairs in colours.values()}) == 3  # and three different ones
    for entry in entries:
        assert entry["side"] == ("start" if entry["participant"] == "1" else "end")
        if entry["side"] == "start":
            assert abs(entry["left"] - column["left"]) < 1, entry
        else:
            assert abs(entry["right"] - column["right"]) < 1, entry
        assert entry["width"] < 0.9 * column["width"]  # a bubble, not a full-width row
        width, colour = _edge(entry)
        assert width >= 4 and colour == entry["heading"]  # the thick edge on its side, in its colour
    starts = [e["left"] for e in entries if e["side"] == "start"]
    ends = [e["left"] for e in entries if e["side"] == "end"]
    assert max(starts) < min(ends)
    heading = {e["participant"]: e["heading"] for e in entries}
    assert dict(data["legend"]) == heading  # the legend's swatches are the entries' colours
    assert data["keywords"] and all(kw != text for kw, text in data["keywords"])  # keywords are coloured
    (wide,) = [p for e in entries for p in e["code"] if p["scroll"] > p["client"]]
    owner = next(e for e in entries if wide in e["code"])
    assert owner["id"] == "answer-1" and wide["right"] <= owner["right"]  # it scrolls inside its bubble
    assert data["scroll_width"] <= data["viewport"]
    _screenshot(chromium, tmp_path, page, 1280, int(data["height"]) + 100)


@pytest.mark.timeout(180)
def test_narrow_screen_full_width_bubbles_that_keep_their_sides(runner, talk, tmp_path, chromium):
    page = _page_file(runner, talk, tmp_path)
    data = _measure(chromium, tmp_path, page, 400)
    assert data["scroll_width"] <= 400  # nothing pushes the page sideways
    assert data["font_size"] >= 14
    for entry in data["entries"]:
        assert entry["left"] >= 0 and entry["right"] <= 400, entry
        assert entry["width"] >= 0.9 * data["conversation"]["width"], entry
        assert entry["title_lines"] == 1, entry  # 'Answer 1' never breaks between its words
        width, colour = _edge(entry)
        assert width >= 4 and colour == entry["heading"]
        for block in entry["code"]:
            assert block["right"] <= entry["right"]
    starts = {e["left"] for e in data["entries"] if e["side"] == "start"}
    ends = {e["left"] for e in data["entries"] if e["side"] == "end"}
    assert max(starts) < min(ends)  # an indent still tells the sides apart
    wide = [p for e in data["entries"] for p in e["code"] if p["scroll"] > p["client"]]
    assert wide, "the long line should scroll inside its bubble"
    assert all(len(pairs) == 1 for pairs in _colours(data).values())
    _screenshot(chromium, tmp_path, page, 400, int(data["height"]) + 100)
