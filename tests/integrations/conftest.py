"""Fixtures shared by the tests of install and uninstall."""

import pytest


@pytest.fixture
def places(tmp_path, monkeypatch):
    """A home directory, a git checkout two levels above the current directory, and an outside folder."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("CLAUDE_CONFIG_DIR", "GEMINI_CLI_HOME"):
        monkeypatch.delenv(name, raising=False)
    top = tmp_path / "repo"
    (top / ".git").mkdir(parents=True)
    deep = top / "src" / "deep"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    outside = tmp_path / "outside"
    outside.mkdir()
    return home, top, outside
