"""Shared fixtures: every test gets its own channel directory and a clean environment."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collab.channel import Channel
from tests import processes

# A shell that starts the test run as a background job ignores SIGINT, and child processes inherit
# that: the Ctrl+C tests would then wait forever. A handler (not an ignore) is reset to the default
# in every child at exec, so each `collab` the tests start handles Ctrl+C as it would in a terminal.
signal.signal(signal.SIGINT, signal.default_int_handler)

NOW = datetime(2026, 6, 22, 13, 58, 4, tzinfo=UTC)
TEST_SESSION = "pytest"
#: The turn rule's quiet time in tests (``COLLAB_SETTLE``): most tests write from the library, which
#: counts as by hand, and would otherwise wait out the 30 s default. Tests of the defaults unset it.
TEST_SETTLE = "2"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Cache collab's bytecode before any test starts a ``collab`` process. A user's Python writes
    ``__pycache__`` on the first run (or pip does at install), but a machine that sets
    ``PYTHONDONTWRITEBYTECODE`` makes every process compile collab's source again: about 40 ms of
    CPU each, over the suite's thousands of processes. ``compileall`` writes regardless of it, and
    only where the bytecode is missing or older than its source."""
    import compileall

    compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "collab"), quiet=1)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("COLLAB_DIR", "COLLAB_AS", "COLLAB_SESSION", "CLAUDE_CONFIG_DIR", "NO_COLOR", "COLLAB_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLLAB_DIR", str(tmp_path))
    monkeypatch.setenv("COLLAB_STATE_DIR", str(state_dir(tmp_path)))
    # The test itself is one session: its in-process commands and the ones it runs as subprocesses
    # would otherwise be told apart by the process tree. Tests of sessions unset it.
    monkeypatch.setenv("COLLAB_SESSION", TEST_SESSION)
    monkeypatch.setenv("COLLAB_SETTLE", TEST_SETTLE)
    # In this process a writer appends at once after a hand entry (tests of the hold set these back).
    monkeypatch.setattr("collab.ledger.writer.HAND_QUIET_S", 0.0)
    monkeypatch.setattr("collab.ledger.writer.HAND_PAUSE_S", 0.0)


@pytest.fixture(autouse=True)
def _end_processes(tmp_path: Path) -> Iterator[None]:
    """Every process the test started is ended after it, passed or failed: those still running are
    killed by PID (see ``tests/processes.py``)."""
    before = processes.pids()
    yield
    processes.end(processes.left_running(before, tmp_path))


def state_dir(tmp_path: Path) -> Path:
    """Each test's private state directory (ledgers, cursors), outside its channel directory."""
    return tmp_path.parent / f"{tmp_path.name}-state"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def channel(tmp_path: Path) -> Channel:
    """A fresh channel with two requests, created by ``site-a``."""
    ids = iter(["k3x9q2ab"])
    return Channel.create(
        "Align the auth handshake between site A and site B",
        author="site-a",
        context="Both sides run plugin X.",
        requests=["Which version of plugin X is active on your side?", "Send the exact header names."],
        directory=tmp_path,
        now=NOW,
        id_source=lambda: next(ids),
    )


def collab_bin() -> str:
    """The installed ``collab`` console script next to the running interpreter."""
    import sys

    candidate = Path(sys.executable).parent / "collab"
    return str(candidate) if candidate.exists() else "collab"


@pytest.fixture
def subprocess_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLAB_")}
    env["COLLAB_DIR"] = str(tmp_path)
    env["COLLAB_STATE_DIR"] = str(state_dir(tmp_path))
    env["COLLAB_SESSION"] = TEST_SESSION
    env["COLLAB_SETTLE"] = TEST_SETTLE
    return env
