"""``collab uninstall`` takes away exactly what ``collab install`` wrote (contract sections 4 and 8).

A file goes only when it is collab's text byte for byte; anything else at the path stays as it
was and is reported as ``kept`` (exit 0). The way is walked as ``install`` walks it: a link on it
is refused with one line and exit 1, and nothing is removed. The places are the ones
``tests/integrations/test_agents.py`` writes out from each agent's documentation.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
from pathlib import Path

import pytest

from collab.cli import app
from collab.cli.setup import AgentChoice
from collab.integrations import agents
from collab.integrations import uninstall as remover
from tests.conftest import collab_bin
from tests.integrations.test_agents import PROJECT, SKILL, USER
from tests.integrations.test_install_safety import refused_in_one_line, tree


def _args(command: str, agent: str, scope: str, *more: str) -> list[str]:
    return [command, "--agent", agent, *(["--project"] if scope == "project" else []), *more]


def _ok(result):
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result


def _report(result) -> dict:
    return json.loads(_ok(result).stdout)


@pytest.mark.parametrize("scope", ["user", "project"])
@pytest.mark.parametrize("agent", agents.AGENTS)
def test_install_then_uninstall_removes_every_file_and_only_them(runner, places, tmp_path, agent, scope):
    """Each agent's files go, with the skill's own collab/ folder; the shared folders that held them
    stay; a second uninstall finds every file absent and changes nothing."""
    home, top, _ = places
    base, expected = (home, USER[agent]) if scope == "user" else (top, PROJECT[agent])
    before = tree(tmp_path)
    _ok(runner.invoke(app, _args("install", agent, scope)))
    report = _report(runner.invoke(app, _args("uninstall", agent, scope, "--json")))
    assert report["agent"] == agent and report["scope"] == scope
    assert [(f["path"], f["outcome"]) for f in report["files"]] == [(str(base / r), "removed") for r in expected]
    for relative in expected:
        path = base / relative
        assert not path.exists()
        if path.name == "SKILL.md":
            assert not path.parent.exists() and path.parent.parent.is_dir(), "the skill folder, not its parent"
        else:
            assert path.parent.is_dir(), "a commands folder is shared: it stays"
    left = {p for p in tree(tmp_path) if p not in before}
    assert all(not (tmp_path / p).is_file() for p in left), f"a file was left: {left}"
    after = tree(tmp_path)
    again = runner.invoke(app, _args("uninstall", agent, scope))
    assert again.exit_code == 0 and again.stderr == ""
    assert again.stdout.splitlines() == [
        f"{agent_file.what} not installed: {agent_file.path}"
        for agent_file in agents.agent_files(agent, scope == "project")
    ]
    assert tree(tmp_path) == after


def test_the_roots_the_environment_names_are_uninstalled_from(runner, places, tmp_path, monkeypatch):
    """CLAUDE_CONFIG_DIR and GEMINI_CLI_HOME are where uninstall looks, as install writes there."""
    home, _, _ = places
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude-config"))
    monkeypatch.setenv("GEMINI_CLI_HOME", str(tmp_path / "gemini-home"))
    for agent in ("claude", "gemini"):
        _ok(runner.invoke(app, ["install", "--agent", agent]))
    assert {f["outcome"] for f in _report(runner.invoke(app, ["uninstall", "--json"]))["files"]} == {"removed"}
    gemini = _report(runner.invoke(app, ["uninstall", "--agent", "gemini", "--json"]))
    assert [f["path"] for f in gemini["files"]] == [
        str(tmp_path / "gemini-home" / ".gemini/commands/collab.toml"),
        str(tmp_path / "gemini-home" / SKILL),
    ]
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and ".git" not in p.parts]
    assert not any(home.iterdir())


@pytest.mark.parametrize("agent", ["claude", "codex"])
def test_a_persons_own_file_is_kept_byte_for_byte(runner, places, agent):
    """A file at collab's path that is not collab's text stays as it was, reported, and the exit is 0."""
    home, _, _ = places
    target = home / USER[agent][0]
    target.parent.mkdir(parents=True)
    mine = b"---\nname: collab\n---\nmy own notes, not collab's\r\n\x00\xff"
    target.write_bytes(mine)
    os.chmod(target, 0o600)
    result = runner.invoke(app, ["uninstall", "--agent", agent])
    assert result.exit_code == 0 and result.stderr == ""
    what = agents.agent_files(agent, False)[0].what
    assert result.stdout == f"{what} kept, not collab's (it differs from what collab writes): {target}\n"
    assert target.read_bytes() == mine and oct(target.stat().st_mode & 0o777) == "0o600"
    assert _report(runner.invoke(app, ["uninstall", "--agent", agent, "--json"]))["files"][0]["outcome"] == "kept"


def test_collabs_file_with_one_byte_more_is_kept(runner, places):
    """The text must be collab's whole and only: a person's line added at the end keeps the file."""
    home, _, _ = places
    _ok(runner.invoke(app, ["install", "--agent", "codex"]))
    with (home / SKILL).open("a") as skill:
        skill.write("\n")
    assert _report(runner.invoke(app, ["uninstall", "--agent", "codex", "--json"]))["outcome"] == "kept"
    assert (home / SKILL).read_text() == agents.render_agent_skill() + "\n"


def test_a_file_an_older_collab_wrote_is_kept_as_install_would_refuse_it(runner, places, monkeypatch):
    """collab knows only today's text (install calls nothing else ``unchanged``): a file an older
    collab wrote, here one with another wait timeout, cannot be told from a person's and stays."""
    home, _, _ = places
    today = agents.WAIT_TIMEOUT_SECONDS
    monkeypatch.setattr(agents, "WAIT_TIMEOUT_SECONDS", today - 10)
    _ok(runner.invoke(app, ["install", "--agent", "codex"]))
    older = (home / SKILL).read_bytes()
    monkeypatch.setattr(agents, "WAIT_TIMEOUT_SECONDS", today)
    assert older != agents.render_agent_skill().encode()
    assert runner.invoke(app, ["install", "--agent", "codex"]).exit_code == 1, "install refuses it too"
    assert _report(runner.invoke(app, ["uninstall", "--agent", "codex", "--json"]))["outcome"] == "kept"
    assert (home / SKILL).read_bytes() == older


def test_gemini_removes_its_own_file_and_keeps_the_persons(runner, places):
    """One file collab's and one the person's: the first goes, the second stays, exit 0."""
    home, _, _ = places
    _ok(runner.invoke(app, ["install", "--agent", "gemini"]))
    (home / SKILL).write_text("my own skill\n")
    report = _report(runner.invoke(app, ["uninstall", "--agent", "gemini", "--json"]))
    assert [f["outcome"] for f in report["files"]] == ["removed", "kept"]
    assert not (home / ".gemini/commands/collab.toml").exists() and (home / SKILL).read_text() == "my own skill\n"


def test_the_backups_install_kept_stay_and_are_named(runner, places):
    """A backup of install --force stays, is named, and keeps the skill's folder from going."""
    home, _, _ = places
    target = home / SKILL
    target.parent.mkdir(parents=True)
    target.write_text("my own skill\n")
    _ok(runner.invoke(app, ["install", "--agent", "codex", "--force"]))
    (backup,) = target.parent.glob("SKILL.md.collab-backup-*")
    result = runner.invoke(app, ["uninstall", "--agent", "codex"])
    assert result.exit_code == 0
    assert result.stdout == f"collab skill removed: {target}\n  install's backup stays: {backup}\n"
    assert backup.read_text() == "my own skill\n" and not target.exists()
    report = _report(runner.invoke(app, ["uninstall", "--agent", "codex", "--json"]))
    assert report["files"] == [
        {"path": str(target), "what": "collab skill", "outcome": "absent", "backups": [str(backup)]}
    ]


def test_a_skill_folder_holding_something_else_stays(runner, places):
    """Only an empty collab/ folder goes: a file the person put beside SKILL.md keeps it."""
    _, top, _ = places
    _ok(runner.invoke(app, ["install", "--agent", "cursor", "--project"]))
    (top / SKILL).with_name("notes.md").write_text("mine\n")
    report = _report(runner.invoke(app, ["uninstall", "--agent", "cursor", "--project", "--json"]))
    assert report["files"] == [{"path": str(top / SKILL), "what": "collab skill", "outcome": "removed"}]
    assert (top / SKILL).with_name("notes.md").read_text() == "mine\n"


def test_the_json_shape_mirrors_install(runner, places):
    """{"agent", "scope", "path", "outcome", "files": [{"path", "what", "outcome"}]}, plus "folder" when one went."""
    home, _, _ = places
    installed = _report(runner.invoke(app, ["install", "--agent", "gemini", "--json"]))
    report = _report(runner.invoke(app, ["uninstall", "--agent", "gemini", "--json"]))
    assert set(report) == set(installed) == {"agent", "scope", "path", "outcome", "files"}
    assert report["path"] == installed["path"] and report["outcome"] == "removed"
    assert report["files"] == [
        {"path": str(home / ".gemini/commands/collab.toml"), "what": "/collab command", "outcome": "removed"},
        {"path": str(home / SKILL), "what": "collab skill", "outcome": "removed", "folder": str((home / SKILL).parent)},
    ]


# --- what install refuses, uninstall refuses ---------------------------------------------------


@pytest.mark.parametrize("scope", ["user", "project"])
def test_a_link_on_the_way_is_refused_and_nothing_is_removed(runner, places, tmp_path, scope):
    """`.agents -> elsewhere` holding collab's very text: uninstall neither follows it nor removes
    gemini's command beside it (every file is checked before any goes)."""
    home, top, outside = places
    base = home if scope == "user" else top
    _ok(runner.invoke(app, _args("install", "gemini", scope)))
    (outside / "skills" / "collab").mkdir(parents=True)
    (base / SKILL).rename(outside / "skills" / "collab" / "SKILL.md")
    for folder in ((base / SKILL).parent, (base / SKILL).parent.parent, base / ".agents"):
        folder.rmdir()
    (base / ".agents").symlink_to(outside)
    before = tree(tmp_path)
    line = refused_in_one_line(runner.invoke(app, _args("uninstall", "gemini", scope)))
    assert line == (
        f"collab: {base / '.agents'} is a symbolic link: collab does not follow links when it uninstalls; "
        "replace the link with a real directory (or remove it) and run uninstall again\n"
    )
    assert tree(tmp_path) == before


def test_the_file_itself_a_link_is_refused(runner, places, tmp_path):
    """A link at collab's path to a file holding collab's text is neither followed nor removed."""
    home, _, outside = places
    theirs = outside / "SKILL.md"
    theirs.write_text(agents.render_agent_skill())
    (home / SKILL).parent.mkdir(parents=True)
    (home / SKILL).symlink_to(theirs)
    before = tree(tmp_path)
    done = runner.invoke(app, ["uninstall", "--agent", "codex", "--json"])
    assert done.exit_code == 1 and done.stdout == "" and done.stderr.count("\n") == 1
    assert json.loads(done.stderr)["error"] == {
        "code": 1,
        "message": f"{home / SKILL} is a symbolic link, not a regular file: remove it first",
    }
    assert tree(tmp_path) == before


def test_a_directory_of_another_user_is_not_changed(runner, places, tmp_path):
    """A skill folder another user owns is refused, naming it, with collab's text left inside."""
    if os.getuid() != 0:
        pytest.skip("giving a directory to another user needs root")
    try:
        other = pwd.getpwnam("nobody").pw_uid
    except KeyError:
        pytest.skip("no user `nobody` to give the folder to")
    home, _, _ = places
    _ok(runner.invoke(app, ["install", "--agent", "codex"]))
    os.chown((home / SKILL).parent, other, -1)
    before = tree(tmp_path)
    line = refused_in_one_line(runner.invoke(app, ["uninstall", "--agent", "codex"]))
    assert f"{(home / SKILL).parent} belongs to another user (uid {other})" in line
    assert tree(tmp_path) == before


def test_a_file_replaced_after_it_was_read_is_kept(places, monkeypatch):
    """The file removed is the one that was read: one swapped in between is another file, and stays."""
    home, _, _ = places
    from collab.integrations import install

    file = agents.agent_files("codex", False)[0]
    real_read = install.read_existing

    def read_then_swap(folder, path, limit):
        found = real_read(folder, path, limit)
        path.with_name("new").write_text(file.text)
        os.replace(path.with_name("new"), path)
        return found

    install.install("codex")
    monkeypatch.setattr(install, "read_existing", read_then_swap)
    removed = remover.uninstall("codex")
    assert [r.outcome for r in removed] == ["kept"] and (home / SKILL).read_text() == file.text


def test_a_malformed_home_and_an_unknown_agent_are_usage_errors(runner, places, monkeypatch):
    """The same --agent choices as install; the same checks of HOME: exit 2, one line."""
    assert {choice.value for choice in AgentChoice} == set(agents.AGENTS)
    unknown = runner.invoke(app, ["uninstall", "--agent", "emacs"])
    assert unknown.exit_code == 2 and "emacs" in unknown.stderr
    monkeypatch.setenv("HOME", "relative/home")
    assert "HOME is a relative path" in refused_in_one_line(runner.invoke(app, ["uninstall", "--agent", "codex"]), 2)


def test_help_has_an_example_and_root_help_lists_uninstall(runner):
    result = runner.invoke(app, ["uninstall", "--help"])
    assert result.exit_code == 0 and "collab uninstall --agent codex --project" in result.stdout
    assert "[claude|codex|copilot|cursor|gemini|opencode]" in result.stdout
    assert "uninstall" in runner.invoke(app, ["--help"]).stdout.split("Commands:")[1]


def test_the_installed_script_uninstalls(places, subprocess_env):
    """A real `collab install` then `collab uninstall` process, from a subdirectory of a checkout."""
    home, top, _ = places
    env = {**subprocess_env, "HOME": str(home)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([collab_bin(), *args], capture_output=True, text=True, env=env, cwd=Path.cwd())

    assert run("install", "--agent", "codex", "--project").returncode == 0
    done = run("uninstall", "--agent", "codex", "--project", "--json")
    assert done.returncode == 0 and done.stderr == ""
    assert json.loads(done.stdout)["files"] == [
        {"path": str(top / SKILL), "what": "collab skill", "outcome": "removed", "folder": str((top / SKILL).parent)}
    ]
    assert not (top / SKILL).parent.exists() and (top / ".agents" / "skills").is_dir()
    plain = run("uninstall", "--agent", "codex", "--project")
    assert (plain.returncode, plain.stdout, plain.stderr) == (0, f"collab skill not installed: {top / SKILL}\n", "")
