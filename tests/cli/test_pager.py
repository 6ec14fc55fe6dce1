"""``collab show`` pages a transcript taller than the terminal, and only there (docs/commands.md)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import subprocess
import termios
import time
from pathlib import Path

import pytest

from collab.channel import Channel
from collab.cli.pager import command
from tests.conftest import collab_bin

pytestmark = pytest.mark.timeout(60)

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
ENTRIES = 40


def _take_terminal() -> None:
    """In the child, after setsid: make its stdin (the pty) its controlling terminal, as a shell's is."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _on_terminal(args: list[str], env: dict[str, str], controlling: bool = True) -> tuple[int, str]:
    """Run ``collab ARGS`` on a new pseudo-terminal; return its exit code and the screen, without
    colour codes and with ``\\r\\n`` as ``\\n``.

    With ``controlling`` the pty is the process's controlling terminal and it is in the foreground,
    as in a shell; without, the pty is only where its output goes.
    """
    master, slave = pty.openpty()
    extra = {"start_new_session": True, "preexec_fn": _take_terminal} if controlling else {}
    process = subprocess.Popen([collab_bin(), *args], env=env, stdin=slave, stdout=slave, stderr=slave, **extra)
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + 40
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: every process on the terminal has closed it
                    break
                if not chunk:
                    break
                screen += chunk
            elif process.poll() is not None:
                break
        code = process.wait(20)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    return code, ANSI.sub("", screen.decode("utf-8", "replace")).replace("\r\n", "\n")


@pytest.fixture
def long_channel(channel: Channel) -> Channel:
    """The shared channel with 40 answers, far more than 20 rows of terminal."""
    for n in range(1, ENTRIES + 1):
        channel.answer(f"Body of answer {n}.", author="site-b" if n % 2 else "site-a")
    return channel


@pytest.fixture
def recorder(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A pager that saves its stdin to one file and its ``LESS`` to another: (program, input, LESS)."""
    program, seen, less = tmp_path / "pager.sh", tmp_path / "paged.txt", tmp_path / "less.txt"
    program.write_text(f'#!/bin/sh\nprintf "%s" "${{LESS-unset}}" > "{less}"\ncat > "{seen}"\n')
    program.chmod(0o755)
    return program, seen, less


@pytest.fixture
def env(subprocess_env: dict[str, str]) -> dict[str, str]:
    """A 100 by 20 colour terminal, with none of the person's pager settings."""
    clean = {k: v for k, v in subprocess_env.items() if k not in ("PAGER", "LESS", "MANPAGER", "NO_COLOR")}
    return clean | {"COLUMNS": "100", "LINES": "20", "TERM": "xterm-256color"}


def test_a_transcript_taller_than_the_terminal_goes_whole_to_the_pager(long_channel, recorder, env):
    """PAGER gets every line of the transcript, in colour, with LESS=FRX; the screen gets none of it."""
    program, seen, less = recorder
    code, screen = _on_terminal(["show", long_channel.id], env | {"PAGER": str(program)})
    assert code == 0, screen
    paged = seen.read_text(encoding="utf-8")
    assert "\x1b[" in paged  # the pager is fed colour: less shows it with -R
    assert less.read_text() == "FRX"
    _, printed = _on_terminal(["show", long_channel.id, "--no-pager"], env | {"PAGER": str(program)})
    assert ANSI.sub("", paged).replace("\r\n", "\n") == printed  # the whole transcript, as printed
    assert f"Body of answer {ENTRIES}." in printed and "Body of answer 1." in printed
    assert "Body of answer" not in screen


def test_a_less_setting_of_the_persons_own_is_kept(long_channel, recorder, env):
    program, _, less = recorder
    code, _ = _on_terminal(["show", long_channel.id], env | {"PAGER": str(program), "LESS": "-S"})
    assert code == 0 and less.read_text() == "-S"


def test_no_pager_prints_the_whole_transcript_and_runs_no_pager(long_channel, recorder, env):
    program, seen, _ = recorder
    code, screen = _on_terminal(["show", long_channel.id, "--no-pager"], env | {"PAGER": str(program)})
    assert code == 0 and not seen.exists()
    assert "Body of answer 1." in screen and f"Body of answer {ENTRIES}." in screen


@pytest.mark.parametrize("extra", [["--json"], ["--html"], []], ids=["json", "html", "plain"])
def test_piped_output_never_pages(long_channel, recorder, env, extra):
    """Output to a pipe (plain text, --json, --html) goes straight to it: no pager runs."""
    program, seen, _ = recorder
    done = subprocess.run(
        [collab_bin(), "show", long_channel.id, *extra],
        env=env | {"PAGER": str(program)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert not seen.exists() and f"Body of answer {ENTRIES}." in done.stdout


def test_a_transcript_that_fits_is_printed_without_a_pager(channel, recorder, env):
    program, seen, _ = recorder
    channel.answer("One short answer.", author="site-b")
    code, screen = _on_terminal(["show", channel.id], env | {"PAGER": str(program), "LINES": "60"})
    assert code == 0 and not seen.exists()
    assert "One short answer." in screen


def test_a_terminal_that_is_not_the_controlling_one_gets_no_pager(long_channel, recorder, env):
    """Output to a terminal the keyboard is not on (not the process's controlling terminal) is printed."""
    program, seen, _ = recorder
    code, screen = _on_terminal(["show", long_channel.id], env | {"PAGER": str(program)}, controlling=False)
    assert code == 0 and not seen.exists()
    assert f"Body of answer {ENTRIES}." in screen


def test_a_pager_that_does_not_start_leaves_the_transcript_printed(long_channel, env, tmp_path):
    """PAGER naming a missing program: one warning line, then the whole transcript, exit 0."""
    missing = tmp_path / "no-such-pager"
    code, screen = _on_terminal(["show", long_channel.id], env | {"PAGER": f"{missing} -R"})
    assert code == 0, screen
    assert "Traceback" not in screen
    warnings = [line for line in screen.splitlines() if line.startswith("collab: warning:")]
    assert len(warnings) == 1 and str(missing) in warnings[0] and "printing instead" in warnings[0]
    _, printed = _on_terminal(["show", long_channel.id, "--no-pager"], env)
    assert screen.replace(warnings[0] + "\n", "") == printed


def test_quitting_the_pager_early_ends_show_quietly(long_channel, env, tmp_path):
    """A pager that reads one line and exits, as a person pressing q at once: exit 0, no traceback."""
    first, program = tmp_path / "first.txt", tmp_path / "quits.sh"
    program.write_text(f'#!/bin/sh\nhead -n 1 > "{first}"\n')
    program.chmod(0o755)
    code, screen = _on_terminal(["show", long_channel.id], env | {"PAGER": str(program)})
    assert code == 0, screen
    assert "Traceback" not in screen and "Body of answer" not in screen
    assert first.read_text(encoding="utf-8").strip()


def test_a_pager_setting_that_cannot_be_read_is_a_warning_and_the_transcript(long_channel, env):
    code, screen = _on_terminal(["show", long_channel.id], env | {"PAGER": "less 'unclosed"})
    assert code == 0 and "collab: warning: PAGER cannot be read" in screen
    assert f"Body of answer {ENTRIES}." in screen


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"PAGER": ""}, None),
        ({"PAGER": "  "}, None),
        ({"PAGER": "cat"}, None),
        ({"PAGER": "/bin/cat"}, None),
        ({"PAGER": "cat -v"}, ["cat", "-v"]),
        ({"PAGER": "less -S '+G'"}, ["less", "-S", "+G"]),
        ({"PAGER": "most"}, ["most"]),
        ({"TERM": "dumb"}, None),
        ({"TERM": "dumb", "PAGER": "more"}, ["more"]),
    ],
)
def test_the_pager_command_comes_from_pager(environ, expected):
    """PAGER is split as a shell splits words; empty or cat means none; TERM=dumb alone means none."""
    assert command(environ) == expected


def test_without_pager_it_is_less_where_less_is_installed(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    assert command({"TERM": "xterm"}) == ["less"]
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert command({"TERM": "xterm"}) is None


def test_an_unreadable_pager_is_an_error_to_report():
    with pytest.raises(ValueError):
        command({"PAGER": "less 'unclosed"})
