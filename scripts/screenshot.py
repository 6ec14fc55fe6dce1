"""Make ``docs/html-page.png``, the README's picture of the page ``collab show CHANNEL --html`` writes.

    .venv/bin/python scripts/screenshot.py [OUTPUT] [--width PIXELS] [--height PIXELS]

It writes a small exchange between ``site-a`` and ``site-b`` into a temporary directory with
collab's Python API (a task with two requests, two answers, a question and its answer, a close
with a summary), renders it with the ``collab`` of this interpreter's environment, and has
headless Chromium (Debian: ``apt-get install chromium``) take the picture. ``OUTPUT`` defaults to
``docs/html-page.png`` in this repository; the timestamps and the channel id are fixed, so a rerun
changes the picture only when the page does. Rerun it after changing how the page looks.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

#: The repository's root: collab is imported from it, so the picture shows this checkout's page.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collab import Channel, Ref  # noqa: E402

#: As the tests run Chromium (tests/pages.py): headless, no GPU, nothing fetched in the background.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)

START = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)

ANSWER_VERSION = """\
Plugin X is active here, version **2.1.0** (installed from the vendor's package, not a fork).

```console
$ plugin-x --version
plugin-x 2.1.0 (build 7f3c2e1)
```"""

ANSWER_HEADERS = """\
The verifier reads three headers and nothing else:

- `X-Auth-Key`, the key id
- `X-Auth-Timestamp`, seconds since the epoch; more than 300 s of skew is refused
- `X-Auth-Signature`, HMAC-SHA256 over the two above, base64"""

QUESTION = "Do you sign the request body too, or only the headers?"

ANSWER_QUESTION = "Only the headers. The body is checked by its `Content-Digest` header, which is signed with them."

SUMMARY = """\
Agreed: both sides stay on plugin X 2.1.0 and sign the headers only.
site-a sends a `Content-Digest` header with every request from Monday."""


def build(directory: Path) -> Channel:
    """Write the exchange into a new channel in ``directory``; return it."""
    at = iter(START + timedelta(minutes=m) for m in (0, 3, 5, 6, 9, 12))
    channel = Channel.create(
        "Align the auth handshake between site-a and site-b",
        author="site-a",
        context="site-a moves to the new gateway on Monday; the handshake must match before then.",
        requests=["Which version of plugin X runs on site-b?", "Which headers does your verifier read?"],
        directory=directory,
        now=next(at),
        id_source=lambda: "k3x9q2ab",
    )
    a, b = channel.seat("site-a"), channel.seat("site-b")
    b.answer(ANSWER_VERSION, re=Ref("request", 1), now=next(at))
    b.answer(ANSWER_HEADERS, re=Ref("request", 2), now=next(at))
    b.ask(QUESTION, now=next(at))
    a.wait(timeout=5, settle=0)  # site-a reads what site-b wrote, so it may close
    a.answer(ANSWER_QUESTION, re=Ref("question", 1), now=next(at))
    if not a.close(SUMMARY, now=next(at)):
        raise SystemExit("the channel was closed already")
    return channel


def collab_command() -> list[str]:
    """The ``collab`` installed beside this interpreter, else ``python -m collab``."""
    script = Path(sys.executable).with_name("collab")
    return [str(script)] if script.exists() else [sys.executable, "-m", "collab"]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("no Chromium found: install it (Debian: apt-get install chromium)")


def screenshot(page: Path, output: Path, width: int, height: int, scratch: Path) -> None:
    """Have headless Chromium draw ``page`` at ``width`` x ``height`` into ``output`` (PNG)."""
    profile = scratch / "profile"
    command = [
        chromium(),
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        f"--screenshot={output}",
        page.as_uri(),
    ]
    env = {**os.environ, "HOME": str(profile)}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    ) as process:
        try:
            _out, err = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise SystemExit("chromium did not finish within 60 s") from None
    if process.returncode != 0 or not output.exists():
        raise SystemExit(f"chromium failed ({process.returncode}):\n{err[-2000:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=ROOT / "docs" / "html-page.png")
    parser.add_argument("--width", type=int, default=1000)
    parser.add_argument("--height", type=int, default=1580)
    args = parser.parse_args(argv)
    output = args.output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    # The page shows the channel's path: a fixed directory keeps the picture the same from run to run.
    channels = Path(tempfile.gettempdir()) / "collab-screenshot"
    try:
        channels.mkdir(mode=0o700)
    except FileExistsError:
        raise SystemExit(f"{channels} exists: remove it (an earlier run left it?) and run again") from None
    try:
        with tempfile.TemporaryDirectory(prefix="collab-screenshot-") as name:
            scratch = Path(name)
            # The seats and cursors of this exchange stay in the scratch directory, not the user's.
            os.environ.update(
                COLLAB_DIR=str(channels),
                COLLAB_STATE_DIR=str(scratch / "state"),
                COLLAB_SESSION="screenshot",
                HOME=str(scratch),
            )
            channel = build(channels)
            page = scratch / "page.html"
            show = [*collab_command(), "show", str(channel.path), "--html", "-o", str(page)]
            subprocess.run(show, check=True, stdout=subprocess.DEVNULL)
            screenshot(page, output, args.width, args.height, scratch)
    finally:
        shutil.rmtree(channels)
    print(f"{output}: {output.stat().st_size} bytes, {args.width}x{args.height}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
