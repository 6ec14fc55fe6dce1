"""``collab ls`` stays readable at any terminal width; piped and ``--json`` output keep their shape."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collab.channel import Channel
from collab.cli import app
from collab.render.listing import HEADER, age, table
from tests.cli.test_surface import _on_pty
from tests.conftest import NOW

pytestmark = pytest.mark.timeout(60)

LONG = "Align the authentication handshake between site A and site B before the release"
ROWS = [
    ("k3x9q2ab", "2026-06-22T13:55:04Z", "open", 12, LONG),
    ("m2p7r4zz", "2026-06-21T09:00:00Z", "closed", 3, "Fix the flaky watcher test on CI"),
    ("q8w1e5ty", "2026-05-02T10:00:00Z", "open", 0, "Docs"),
]


def _task_cells(lines: list[str], row: tuple[str, str, str, int, str]) -> str:
    """The part of ``lines`` that shows ``row``'s task, wherever the layout puts it."""
    at = next(n for n, line in enumerate(lines) if line.startswith(row[0]))
    if lines[at].rstrip().endswith(str(row[3])):  # a line of its own below the channel
        return lines[at + 1].strip()
    return lines[at].split(f" {row[3]}  ", 1)[1]


@pytest.mark.parametrize("width", [60, 80, 160])
def test_every_line_fits_and_each_task_keeps_room_to_be_read(width: int) -> None:
    """At 60, 80 and 160 columns no line is wider than the terminal and a long task shows 30+ cells."""
    lines = table(ROWS, width, terminal=True, now=NOW)
    assert all(len(line) <= width for line in lines), lines
    shown = _task_cells(lines, ROWS[0])
    assert len(shown) >= 30, lines
    assert LONG.startswith(shown.removesuffix("…")), shown  # cut at the end only, at a word
    assert _task_cells(lines, ROWS[2]) == "Docs"


def test_at_160_columns_the_layout_is_the_wide_one() -> None:
    """The wide terminal layout: the header, then each channel's one line, as piped output with a header."""
    lines = table(ROWS, 160, terminal=True, now=NOW)
    assert lines[0].split() == ["ID", "LAST", "ACTIVITY", "STATE", "ENTRIES", "TASK"]
    assert lines[1:] == table(ROWS, 160, terminal=False)
    assert lines[1].split()[:4] == ["k3x9q2ab", "2026-06-22T13:55:04Z", "open", "12"]
    assert lines[1].endswith(LONG)


def test_at_60_columns_each_task_has_a_line_of_its_own_and_times_are_ages() -> None:
    lines = table(ROWS, 60, terminal=True, now=NOW)
    assert lines[0].split() == ["ID", "LAST", "ACTIVITY", "STATE", "ENTRIES"] and lines[1].strip() == "TASK"
    assert lines[2].split() == ["k3x9q2ab", "3m", "ago", "open", "12"]
    assert lines[3].startswith("  Align the authentication handshake")
    assert lines[4].split() == ["m2p7r4zz", "1d", "ago", "closed", "3"]
    assert lines[6].split() == ["q8w1e5ty", "51d", "ago", "open", "0"] and lines[7] == "  Docs"
    starts = {line.index(word) for line in lines[2::2] for word in line.split()[3:4]}
    assert len(starts) == 1, lines  # the state column is one column: nothing slid across


def test_short_tasks_keep_the_one_line_layout_on_a_narrow_terminal() -> None:
    rows = [(*row[:4], "Docs") for row in ROWS]
    assert table(rows, 60, terminal=True, now=NOW)[1:] == table(rows, 60, terminal=False)


def test_a_pipe_keeps_the_one_line_layout_at_any_width() -> None:
    for width in (40, 60, 80, None):
        lines = table(ROWS, width, terminal=False)
        assert [line.split()[:4] for line in lines] == [[r[0], r[1], r[2], str(r[3])] for r in ROWS]


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        (timedelta(seconds=30), "now"),
        (timedelta(minutes=3, seconds=59), "3m ago"),
        (timedelta(hours=5), "5h ago"),
        (timedelta(days=2), "2d ago"),
        (timedelta(days=59), "59d ago"),
        (timedelta(days=75), "2mo ago"),
        (timedelta(days=800), "2y ago"),
        (-timedelta(minutes=10), "in 10m"),
    ],
)
def test_ages_are_one_unit_rounded_down(before: timedelta, expected: str) -> None:
    stamp = (NOW - before).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert age(stamp, NOW) == expected


def test_a_time_that_cannot_be_read_is_shown_as_it_is() -> None:
    assert age("yesterday-ish", NOW) == "yesterday-ish"


# --- through the command ---------------------------------------------------------------------------


@pytest.fixture
def listed(tmp_path: Path) -> list[Channel]:
    ids = iter(["k3x9q2ab", "m2p7r4zz"])
    made = [
        Channel.create(task, author="site-a", directory=tmp_path, now=NOW, id_source=lambda: next(ids))
        for task in (LONG, "Fix the flaky watcher test on CI")
    ]
    made[1].answer("Done.", author="site-b")
    return made


def _ls_on_a_terminal(env: dict[str, str]) -> list[str]:
    return _on_pty(["ls"], env, codes=(0,)).decode().replace("\r\n", "\n").splitlines()


@pytest.mark.parametrize("columns", [60, 80, 160])
def test_ls_on_a_terminal_fits_its_width(listed, subprocess_env, columns: int) -> None:
    lines = _ls_on_a_terminal(subprocess_env | {"COLUMNS": str(columns), "NO_COLOR": "1"})
    assert all(len(line) <= columns for line in lines), lines
    assert lines[0].split()[:2] == [HEADER[0], "LAST"]
    task = next(line for line in lines if "Align" in line)
    assert len(task.split("Align", 1)[1]) + len("Align") >= 30, lines


def test_piped_ls_and_json_are_as_before(listed, runner: CliRunner) -> None:
    """On a pipe: no header, one line a channel with its UTC time, the task cut only to COLUMNS."""
    piped = runner.invoke(app, ["ls"], env={"COLUMNS": "60"})
    assert piped.exit_code == 0, piped.stderr
    lines = piped.stdout.splitlines()
    assert [line.split()[:4] for line in lines] == [
        ["m2p7r4zz", lines[0].split()[1], "open", "1"],
        ["k3x9q2ab", "2026-06-22T13:58:04Z", "open", "0"],
    ]
    assert lines[1].endswith("Align the…") and all(len(line) <= 60 for line in lines)
    whole = runner.invoke(app, ["ls"], env={"COLUMNS": None}).stdout.splitlines()
    assert whole[1].endswith(LONG)
    document = json.loads(runner.invoke(app, ["ls", "--json"]).stdout)
    assert [sorted(c) for c in document["channels"]] == [
        ["entries", "id", "last_activity", "path", "state", "task"]
    ] * 2
    assert document["channels"][1]["last_activity"] == "2026-06-22T13:58:04Z"
