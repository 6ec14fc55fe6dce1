"""Racing writers, for real (issue 11; contract 7, point 3): a hand writer that skips the lock appends
every 0.5-5 ms while collab writers post, and while ``repair`` runs. Nothing is lost or misreported."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from collab.channel import Channel
from collab.text import format
from tests.conftest import collab_bin

HAND_WRITER = r"""
import os, random, sys, time
path, stop, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
random.seed(7)
count = 0
while count < limit and not os.path.exists(stop):
    count += 1
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    os.write(fd, f"\n### Question {count} from hand\nhand body {count}\n".encode())
    os.close(fd)
    time.sleep(random.uniform(0.0005, 0.005))
print(count)
"""


class HandWriter:
    """A process appending hand entries without the lock until stopped (``cat >>`` in a loop)."""

    def __init__(self, path: Path, env: dict[str, str], limit: int = 5000) -> None:
        self.stop = path.with_name("stop-hand-writer")
        self.process = subprocess.Popen(
            [sys.executable, "-c", HAND_WRITER, str(path), str(self.stop), str(limit)],
            env=env, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip

    def finish(self) -> int:
        self.stop.touch()
        out, _ = self.process.communicate(timeout=60)
        return int(out)


def bodies(data: bytes) -> set[str]:
    return {e.body for e in format.parse(data).entries}


@pytest.mark.timeout(240)
@pytest.mark.parametrize("appends", [5, pytest.param(15, marks=pytest.mark.stress)])
def test_hand_appends_racing_three_collab_writers(
    channel: Channel, subprocess_env: dict[str, str], appends: int
) -> None:
    """No answer exits 4 or is lost, verify passes, and every hand entry is in the channel (3 writers
    of 5 appends each; of 15 in the ``stress`` run)."""
    hand = HandWriter(channel.path, subprocess_env)
    results: list[subprocess.CompletedProcess[str]] = []

    def writer(name: str) -> None:
        for i in range(appends):
            results.append(
                subprocess.run(
                    [collab_bin(), "answer", str(channel.path), f"collab body {name}-{i}", "--as", name],
                    env=subprocess_env,
                    capture_output=True,
                    text=True,
                    timeout=60,
                )
            )

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    written = hand.finish()
    assert [r.returncode for r in results] == [0] * (3 * appends), [r.stderr for r in results if r.returncode]
    found = bodies(channel.path.read_bytes())
    assert {f"collab body w{n}-{i}" for n in range(3) for i in range(appends)} <= found
    assert {f"hand body {i}" for i in range(1, written + 1)} <= found
    numbers = [e.number for e in format.parse(channel.path.read_bytes()).entries if e.kind == "answer"]
    assert numbers == list(range(1, 3 * appends + 1))  # collab's numbers: never shared, never skipped
    verify = subprocess.run(
        [collab_bin(), "verify", str(channel.path)], env=subprocess_env, capture_output=True, text=True, timeout=60
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


@pytest.mark.timeout(240)
def test_repair_racing_hand_appends_loses_nothing(channel: Channel, subprocess_env: dict[str, str]) -> None:
    """Every hand entry ends in the channel or in the file repair keeps; the channel verifies after."""
    channel.answer("the original words", author="site-b")
    hand = HandWriter(channel.path, subprocess_env, limit=4000)
    repairs = []
    for _ in range(12):
        data = channel.path.read_bytes()
        with open(channel.path, "r+b") as handle:  # an in-place edit of history, as an editor might make
            handle.seek(data.index(b"the original words"))
            handle.write(b"the edited!! words")
        repairs.append(
            subprocess.run(
                [collab_bin(), "repair", str(channel.path)],
                env=subprocess_env,
                capture_output=True,
                text=True,
                timeout=60,
            )
        )
    written = hand.finish()
    assert [r.returncode for r in repairs] == [0] * 12, [r.stderr for r in repairs]
    assert all("restored" in r.stdout or "repaired" in r.stdout for r in repairs), [r.stdout for r in repairs]
    everywhere = bodies(channel.path.read_bytes())
    for kept in channel.path.parent.glob("*.edited-*.md"):
        everywhere |= {e.body for e in format.parse(kept.read_bytes()).entries}
    missing = {f"hand body {i}" for i in range(1, written + 1)} - everywhere
    assert not missing, sorted(missing)[:5]
    assert "the original words" in bodies(channel.path.read_bytes())
    assert channel.verify().ok


def test_repair_reads_a_half_written_hand_entry_again_whole_after_the_swap(
    channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deterministic form of the race above. A hand entry is half-written when repair reads the file
    (a writer appending in pieces, or one ``write`` seen part-way), and is finished on the old file
    after the swap; just after the swap another hand entry lands in the new file. Both read back
    whole in the channel: repair copies the last entry from the old file once the swap is done,
    from its heading on, so the second entry cannot take the first one's rest as its own body."""
    import os

    from collab.ledger import repair

    channel.answer("the original words", author="site-b")
    data = channel.path.read_bytes()
    channel.path.write_bytes(data.replace(b"the original words", b"the edited!! words"))
    old = os.open(channel.path, os.O_WRONLY | os.O_APPEND)  # the hand writer's descriptor: the old file
    os.write(old, b"\n### Question 1 from hand\nhand bo")  # half of its entry
    exchange = repair._exchange

    def swap_then_race(a: Path, b: Path) -> bool:
        swapped = exchange(a, b)
        with open(channel.path, "a", encoding="utf-8") as late:  # a second hand writer finds the new file
            late.write("\n### Question 2 from hand\nhand body 2\n")
        os.write(old, b"dy 1\n")  # the first entry is finished, on the old file
        return swapped

    monkeypatch.setattr(repair, "_exchange", swap_then_race)
    try:
        result = channel.repair()
    finally:
        os.close(old)
    assert result.repaired and result.reappended == 1
    entries = format.parse(channel.path.read_bytes()).entries
    assert {e.number: e.body for e in entries if e.kind == "question"} == {1: "hand body 1", 2: "hand body 2"}
    assert [e.body for e in entries if e.kind == "answer"] == ["the original words"]
    assert channel.verify().ok


LIBRARY_WRITER = r"""
import sys
from pathlib import Path
from collab.channel import Channel
channel = Channel(Path(sys.argv[1]))
for n in range(int(sys.argv[2])):
    channel.answer(f"writer {sys.argv[3]} append {n}", author=f"w{sys.argv[3]}")
"""


@pytest.mark.timeout(300)
@pytest.mark.parametrize("with_hand_writer", [False, True], ids=["collab-only", "with-hand-writer"])
def test_readers_racing_eight_writers_never_report_an_edit(
    channel: Channel, subprocess_env: dict[str, str], with_hand_writer: bool
) -> None:
    """Attack N1: 8 writer processes append while this process checks the channel at least 200 times,
    half taking the lock when free (as ``verify`` and ``show`` do) and half never (as ``wait`` does).
    An append in progress, or accepted between reading the file and reading the ledger, is no edit."""
    from collab.ledger import reading

    hand = HandWriter(channel.path, subprocess_env, limit=400) if with_hand_writer else None
    writers = [
        subprocess.Popen([sys.executable, "-c", LIBRARY_WRITER, str(channel.path), "12", str(w)], env=subprocess_env,
                         stderr=subprocess.PIPE, text=True)
        for w in range(8)
    ]  # fmt: skip
    alarms, checks = [], 0
    try:
        while checks < 200 or any(w.poll() is None for w in writers):
            found = reading.check(channel.path, accept=checks % 2 == 0)
            checks += 1
            if found.integrity != "ok":
                alarms.append(found.warnings(channel.path))
    finally:
        outcomes = [(w.wait(timeout=120), w.stderr.read() if w.stderr else "") for w in writers]
        written = hand.finish() if hand else 0
    assert [code for code, _ in outcomes] == [0] * 8, [err for code, err in outcomes if code]
    assert alarms == [] and checks >= 200
    found = format.parse(channel.path.read_bytes())
    assert sorted(e.number for e in found.entries if e.kind == "answer") == list(range(1, 97))
    assert {f"hand body {i}" for i in range(1, written + 1)} <= {e.body for e in found.entries}
    assert channel.verify().ok
