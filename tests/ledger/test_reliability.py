"""Reliability under load and under crashes, through real processes.

- 8 writer processes x 10 appends each through the CLI (x 50 in the ``stress`` run, which ``.ci/run``
  runs), with ``collab watch`` following: numbers contiguous, nothing lost, duplicated or torn, and
  the watcher sees every entry exactly once.
- Writers appending 400 KB bodies, killed with SIGKILL at random points: never a torn entry in the
  history, never a stale lock, the next writer succeeds and ``verify`` passes.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from collab.channel import Channel
from tests.conftest import collab_bin
from tests.live.test_live import _await_line

WRITERS = 8


@pytest.mark.timeout(240)
@pytest.mark.parametrize("appends", [10, pytest.param(50, marks=pytest.mark.stress)])
def test_eight_cli_writers_with_a_watcher(channel: Channel, subprocess_env: dict[str, str], appends: int) -> None:
    watcher = subprocess.Popen(
        [collab_bin(), "watch", str(channel.path), "--from-start"],
        env=subprocess_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _await_line(watcher, b"watching", "stderr")
    script = (
        "import subprocess, sys\n"
        "for n in range(int(sys.argv[3])):\n"
        "    subprocess.run([sys.argv[1], 'answer', sys.argv[2], f'writer {sys.argv[4]} append {n}',"
        " '--as', f'w{sys.argv[4]}'], check=True, stdout=subprocess.DEVNULL)\n"
    )
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", script, collab_bin(), str(channel.path), str(appends), str(w)], env=subprocess_env
        )
        for w in range(WRITERS)
    ]
    for writer in writers:
        assert writer.wait(200) == 0
    total = WRITERS * appends
    seen = _await_line(watcher, f"Answer {total} from".encode(), seconds=60)
    watcher.send_signal(signal.SIGINT)
    out, _err = watcher.communicate(timeout=20)
    seen += out
    entries = channel.read().entries
    assert [e.number for e in entries] == list(range(1, total + 1))
    bodies = sorted(e.body for e in entries)
    assert bodies == sorted(f"writer {w} append {n}" for w in range(WRITERS) for n in range(appends))
    assert all(e.author == f"w{e.body.split()[1]}" for e in entries)
    for number in range(1, total + 1):
        assert seen.count(f"\nAnswer {number} from ".encode()) + seen.startswith(f"Answer {number} from".encode()) == 1
    assert channel.verify().ok


KILLER = """
import os, sys
from pathlib import Path
from collab.channel import Channel
channel = Channel(Path(sys.argv[1]))
print("ready", flush=True)
n = 0
while True:
    n += 1
    channel.answer(f"pid {os.getpid()} entry {n}\\n" + ("0123456789abcdef" * 25_600), author="killed")
"""


@pytest.mark.timeout(240)
def test_writers_killed_mid_append_leave_no_torn_entry_and_no_stale_lock(
    channel: Channel, subprocess_env: dict[str, str]
) -> None:
    random.seed(7)
    body_tail = "0123456789abcdef" * 25_600  # 400 KB
    for round_number in range(10):
        writer = subprocess.Popen(
            [sys.executable, "-c", KILLER, str(channel.path)],
            env=subprocess_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        try:  # it appends 400 KB entries until killed: killed here whatever happens
            assert writer.stdout is not None and writer.stdout.readline() == b"ready\n"
            time.sleep(random.uniform(0.0, 0.15))
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait(10)
        started = time.monotonic()
        result = subprocess.run(
            [collab_bin(), "answer", str(channel.path), f"after kill {round_number}", "--as", "next", "--json"],
            env=subprocess_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert time.monotonic() - started < 30  # no stale lock: flock died with the killed writer
        assert json.loads(result.stdout)["body"] == f"after kill {round_number}"
        if channel.path.stat().st_size > 24 * 1024 * 1024:
            break
    entries = channel.read().entries
    assert [e.number for e in entries] == list(range(1, len(entries) + 1))
    for entry in entries:
        if entry.author == "killed":
            first, _, rest = entry.body.partition("\n")
            assert first.startswith("pid ") and rest == body_tail, f"torn entry {entry.label}"
        else:
            assert entry.author == "next" and entry.body.startswith("after kill ")
    assert channel.verify().ok
    for torn in Path(channel.path.parent).glob("*.torn-*.md"):
        assert len(torn.read_bytes()) < len(body_tail) + 200  # a partial append, kept aside


def test_no_leftover_temporary_files(channel: Channel) -> None:
    for n in range(5):
        channel.answer(f"entry {n}", author="a")
    assert not [p for p in os.listdir(channel.path.parent) if p.endswith(".tmp")]


TORN_WRITER = """
import os, signal, sys
from pathlib import Path
from collab.store import files
from collab.channel import Channel

real_write_all = files.write_all
cut = int(sys.argv[2])

def write_half_then_die(fd, data):
    if len(data) > 100_000:  # the channel append, not a ledger record
        os.write(fd, data[:cut])
        os.kill(os.getpid(), signal.SIGKILL)
    real_write_all(fd, data)

files.write_all = write_half_then_die
Channel(Path(sys.argv[1])).answer("doomed\\n" + "x" * 400_000, author="killed")
"""


@pytest.mark.timeout(120)
@pytest.mark.parametrize("cut", [1, 4096, 200_000, 399_999])
def test_a_writer_killed_inside_its_write_is_rolled_back_by_the_next(
    channel: Channel, subprocess_env: dict[str, str], cut: int
) -> None:
    channel.answer("before", author="a")
    before = channel.path.read_bytes()
    died = subprocess.run(
        [sys.executable, "-c", TORN_WRITER, str(channel.path), str(cut)],
        env=subprocess_env,
        capture_output=True,
        timeout=60,
    )
    assert died.returncode == -signal.SIGKILL
    assert len(channel.path.read_bytes()) == len(before) + cut  # the torn bytes are really there
    result = subprocess.run(
        [collab_bin(), "answer", str(channel.path), "next writer", "--as", "b"],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "rolled back" in result.stderr and result.stderr.startswith("collab: warning: ")
    assert [(e.number, e.body) for e in channel.read().entries] == [(1, "before"), (2, "next writer")]
    assert channel.path.read_bytes().startswith(before)
    torn = list(channel.path.parent.glob("*.torn-*.md"))
    assert len(torn) == 1 and len(torn[0].read_bytes()) == cut
    assert channel.verify().ok
