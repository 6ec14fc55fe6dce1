"""The outcome of an exchange (the closing summary) is in every view: show (plain and terminal),
the HTML page as its last block, status (under the state), watch's stdout and ls --json."""

from __future__ import annotations

import json
import re

import pytest
from rich.console import Console
from typer.testing import CliRunner

from collab.channel import Channel
from collab.cli import app
from collab.render import render_html, render_term, render_text

SUMMARY = "Agreed: **headers only**, HMAC-SHA256."


@pytest.fixture
def closed(channel: Channel) -> Channel:
    channel.answer("Version 2.1.0", author="site-b")
    channel.close(author="site-a", summary=SUMMARY)
    return channel


def test_show_plain_ends_with_the_outcome(closed: Channel) -> None:
    result = CliRunner().invoke(app, ["show", str(closed.path)])
    assert result.exit_code == 0
    assert result.stdout.rstrip().endswith(f"Outcome:\n  {SUMMARY}")


def test_show_on_a_terminal_renders_the_outcome_last(closed: Channel) -> None:
    console = Console(record=True, width=100, color_system=None)
    status = closed.status()
    render_term.print_transcript(console, closed.read(), status, closed.read().entries)
    text = console.export_text().rstrip()
    assert text.splitlines()[-1].strip() == "Agreed: headers only, HMAC-SHA256."  # rendered: no ** left
    assert "Outcome" in text.splitlines()[-2]


def test_the_page_ends_with_the_outcome_block(closed: Channel) -> None:
    page = render_html.render_page(closed.read(), closed.status(), closed.read().entries)
    main = page.split("</main>", 1)[0]
    last = main.rsplit("<section", 1)[1]
    assert last.startswith(' id="outcome"') and "<strong>headers only</strong>" in last
    assert main.index('class="closed"') < main.index('id="outcome"')


def test_status_says_the_outcome_under_the_state(closed: Channel) -> None:
    status = closed.status()
    lines = render_text.status_text(status).splitlines()
    assert "[closed]" in lines[0] and lines[1:3] == ["Outcome:", f"  {SUMMARY}"]
    console = Console(record=True, width=100, color_system=None)
    render_term.print_status(console, status)
    shown = console.export_text().splitlines()
    assert shown[1] == "Outcome" and shown[2].strip() == "Agreed: headers only, HMAC-SHA256."
    assert status.to_json()["closing"] == {
        "timestamp": status.closing.timestamp,
        "author": "site-a",
        "summary": SUMMARY,
    }


def test_ls_json_carries_the_outcome(closed: Channel) -> None:
    result = CliRunner().invoke(app, ["ls", "--dir", str(closed.path.parent), "--json"])
    (item,) = json.loads(result.stdout)["channels"]
    assert item["state"] == "closed" and item["closing"]["summary"] == SUMMARY
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item["closing"]["timestamp"])


def test_an_open_channel_has_no_outcome_anywhere(channel: Channel) -> None:
    status = channel.status()
    assert status.outcome is None and "closing" not in status.to_json()
    assert "Outcome" not in render_text.status_text(status)
    assert 'id="outcome"' not in render_html.render_page(channel.read(), status, ())
