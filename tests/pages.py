"""Helpers for tests of HTML pages: a small DOM reader, and a headless Chromium to open pages with."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest


class Dom(HTMLParser):
    """Elements, attributes, ids, fragment links, and the text inside each element that has an id."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.ids: list[str] = []
        self.text: dict[str, str] = {}
        self.title = ""
        self._open: list[tuple[str, str | None]] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.elements.append((tag, values))
        anchor = values.get("id")
        if anchor:
            self.ids.append(anchor)
            self.text.setdefault(anchor, "")
        if tag not in self.VOID:
            self._open.append((tag, anchor))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if any(tag == "title" for tag, _ in self._open):
            self.title += data
        for _, anchor in self._open:
            if anchor:
                self.text[anchor] += data

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.elements if tag == name]

    def hrefs(self) -> list[str]:
        return [attrs["href"] or "" for _, attrs in self.elements if "href" in attrs]

    def fragment_targets(self) -> list[str]:
        return [href[1:] for href in self.hrefs() if href.startswith("#")]


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
)


def find_chromium() -> str:
    """The path of a Chromium binary; skips the test when there is none (the README's set-up installs it)."""
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no chromium binary found (Debian: apt-get install chromium); .ci/run installs it")


def run_chromium(binary: str, tmp_path: Path, *args: str) -> str:
    """Run one headless Chromium with its own profile and HOME; return stdout. Killed as a group after 60 s."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    env = {**os.environ, "HOME": str(profile)}
    with subprocess.Popen(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    ) as process:
        try:
            out, err = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail("chromium did not finish within 60 s")
    assert process.returncode == 0, err[-2000:]
    return out
