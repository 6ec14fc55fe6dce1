"""``collab install --agent NAME``: each agent's files land where that agent reads them, and parse.

The expected places are written out here from each agent's documentation (cited in
``collab/agents.py``), not computed from the code under test.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from collab.cli import app
from collab.cli.setup import AgentChoice
from collab.integrations import agents
from tests.conftest import collab_bin
from tests.integrations.test_plugin import (
    AGENT_SKILL,
    CLAUDE_SKILL,
    COMPATIBILITY_MAX,
    DESCRIPTION_MAX,
    GEMINI_COMMAND,
    check,
    check_skill_name,
    frontmatter,
)

SKILL = ".agents/skills/collab/SKILL.md"
#: agent -> the files it reads, relative to the home directory (user-wide) ...
USER = {
    "claude": [".claude/commands/collab.md"],
    "codex": [SKILL],
    "copilot": [SKILL],
    "cursor": [".cursor/skills/collab/SKILL.md"],
    "gemini": [".gemini/commands/collab.toml", SKILL],
    "opencode": [SKILL],
}
#: ... and relative to the git top level (--project).
PROJECT = {
    "claude": [".claude/commands/collab.md"],
    "codex": [SKILL],
    "copilot": [SKILL],
    "cursor": [SKILL],
    "gemini": [".gemini/commands/collab.toml", SKILL],
    "opencode": [SKILL],
}


def _check_parses(path: Path) -> None:
    """The file is valid in its format, with only the documented fields."""
    text = path.read_text(encoding="utf-8")
    where = str(path)
    if path.suffix == ".toml":
        command = tomllib.loads(text)
        check(command, GEMINI_COMMAND, where)
        assert command["prompt"].count("{{args}}") == 1
    elif path.name == "SKILL.md":
        meta, body = frontmatter(text, where)
        check(meta, AGENT_SKILL, where)
        check_skill_name(meta, path.parent.name, where)
        assert 0 < len(meta["description"]) <= DESCRIPTION_MAX
        assert 0 < len(meta["compatibility"]) <= COMPATIBILITY_MAX
        assert "collab start --json - <<'COLLAB_TASK'" in body and "collab join 'CHANNEL'" in body
    else:
        meta, body = frontmatter(text, where)
        check(meta, CLAUDE_SKILL, where)
        assert {"description", "argument-hint", "allowed-tools"} <= set(meta) and "$ARGUMENTS" in body


@pytest.mark.parametrize("scope", ["user", "project"])
@pytest.mark.parametrize("agent", agents.AGENTS)
def test_each_agent_gets_its_files_where_it_reads_them(runner, places, agent, scope):
    """User-wide under the home directory; --project under the git top level, not the cwd."""
    home, top, _ = places
    base, expected = (home, USER[agent]) if scope == "user" else (top, PROJECT[agent])
    args = ["install", "--agent", agent, "--json"] + (["--project"] if scope == "project" else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [f["path"] for f in report["files"]] == [str(base / relative) for relative in expected]
    assert report["path"] == str(base / expected[0]) and report["agent"] == agent and report["scope"] == scope
    assert {f["outcome"] for f in report["files"]} == {"created"}
    written = sorted(str(p) for p in (home.parent).rglob("*") if p.is_file() and ".git" not in p.parts)
    assert written == sorted(str(base / relative) for relative in expected), "wrote somewhere else too"
    for relative in expected:
        _check_parses(base / relative)
        assert oct((base / relative).stat().st_mode & 0o777) == "0o644"
    again = json.loads(runner.invoke(app, args).stdout)
    assert {f["outcome"] for f in again["files"]} == {"unchanged"}


def test_the_skill_is_one_text_shared_by_the_agents_that_read_agents_skills(runner, places):
    """codex, copilot, opencode and gemini read the same ~/.agents/skills file: the second install is a no-op."""
    home, _, _ = places
    assert runner.invoke(app, ["install", "--agent", "codex"]).exit_code == 0
    for agent in ("copilot", "opencode"):
        result = runner.invoke(app, ["install", "--agent", agent])
        assert result.exit_code == 0 and result.stdout == f"collab skill unchanged: {home / SKILL}\n"
    gemini = runner.invoke(app, ["install", "--agent", "gemini"]).stdout.splitlines()
    assert gemini == [
        f"/collab command created: {home / '.gemini/commands/collab.toml'}",
        f"collab skill unchanged: {home / SKILL}",
    ]


def test_a_different_file_is_refused_and_nothing_is_written(runner, places):
    """Without --force a foreign file stops the whole install (no half-installed agent); --force replaces it."""
    home, _, _ = places
    skill = home / SKILL
    skill.parent.mkdir(parents=True)
    skill.write_text("my own skill\n")
    refused = runner.invoke(app, ["install", "--agent", "gemini"])
    assert refused.exit_code == 1
    assert refused.stderr.startswith("collab: ") and "--force" in refused.stderr and refused.stderr.count("\n") == 1
    assert skill.read_text() == "my own skill\n"
    assert not (home / ".gemini").exists(), "the command was written although the skill was refused"
    forced = json.loads(runner.invoke(app, ["install", "--agent", "gemini", "--force", "--json"]).stdout)
    assert [f["outcome"] for f in forced["files"]] == ["created", "updated"]
    assert skill.read_text() == agents.render_agent_skill()
    assert not [p for p in skill.parent.iterdir() if p.name.startswith(".collab-")], "a temporary file was left"


def test_a_link_or_directory_in_the_way_is_refused_even_with_force(runner, places, tmp_path):
    home, _, _ = places
    target = home / ".cursor" / "skills" / "collab" / "SKILL.md"
    target.parent.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere.md"
    elsewhere.write_text("not collab's")
    target.symlink_to(elsewhere)
    result = runner.invoke(app, ["install", "--agent", "cursor", "--force"])
    assert result.exit_code == 1 and "not a regular file" in result.stderr
    assert elsewhere.read_text() == "not collab's"


def test_plain_install_project_writes_at_the_git_top_level(runner, places):
    """Issue 14: `collab install --project` from a subdirectory writes the /collab command at the top level."""
    _, top, _ = places
    result = runner.invoke(app, ["install", "--project"])
    assert result.exit_code == 0, result.stderr
    assert (top / ".claude" / "commands" / "collab.md").read_text() == agents.render_command()
    assert not (Path.cwd() / ".claude").exists()


def test_config_directories_from_the_environment(runner, places, tmp_path, monkeypatch):
    """CLAUDE_CONFIG_DIR replaces ~/.claude; GEMINI_CLI_HOME replaces the home directory for Gemini CLI."""
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude-config"))
    monkeypatch.setenv("GEMINI_CLI_HOME", str(tmp_path / "gemini-home"))
    assert runner.invoke(app, ["install"]).exit_code == 0
    assert (tmp_path / "claude-config" / "commands" / "collab.md").is_file()
    assert runner.invoke(app, ["install", "--agent", "gemini"]).exit_code == 0
    assert (tmp_path / "gemini-home" / ".gemini" / "commands" / "collab.toml").is_file()
    assert (tmp_path / "gemini-home" / SKILL).is_file()


def test_help_shows_the_choices_and_where_each_file_goes(runner):
    result = runner.invoke(app, ["install", "--help"])
    assert result.exit_code == 0
    text = result.stdout
    assert "[claude|codex|copilot|cursor|gemini|opencode]" in text
    for path in (
        "~/.claude/commands/collab.md",
        "~/.agents/skills/collab/SKILL.md",
        "~/.cursor/skills/collab/SKILL.md",
    ):
        assert path in text
    assert "~/.gemini/commands/collab.toml" in text and "git top level" in text
    assert {choice.value for choice in AgentChoice} == set(agents.AGENTS)


def test_an_unknown_agent_is_a_usage_error(runner, places):
    home, _, _ = places
    result = runner.invoke(app, ["install", "--agent", "emacs"])
    assert result.exit_code == 2 and "emacs" in result.stderr and result.stderr.count("\n") == 1
    assert not any(home.iterdir())


def test_the_installed_script_installs_for_an_agent(places, subprocess_env):
    """A real `collab install` process, run from a subdirectory of a checkout."""
    home, top, _ = places
    env = {**subprocess_env, "HOME": str(home)}
    done = subprocess.run(
        [collab_bin(), "install", "--agent", "codex", "--project", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path.cwd(),
        check=True,
    )
    assert json.loads(done.stdout)["path"] == str(top / SKILL)
    _check_parses(top / SKILL)


# --- the untrusted task ------------------------------------------------------------------------


HOSTILE = (
    "Fix it $(touch {d}/p1) and `touch {d}/p2`; '; touch {d}/p3; echo '\n"
    "!{{touch {d}/p4}} @{{/etc/passwd}} {{{{args}}}} ${{HOME}} \\ <<'COLLAB_BODY'\n"
    "last line"
)


def _as_gemini_sends_it(prompt: str, args: str) -> str:
    """Gemini CLI's custom-command expansion, as its docs state it, for a prompt with no !{...}
    and no @{...}: every {{args}} is replaced by the typed text, raw."""
    assert "!{" not in prompt and "@{" not in prompt
    return prompt.replace("{{args}}", args)


def _run_start_as_instructed(instructions: str, task: str, tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    """Do what the instructions say in step 1: their heredoc command, the task between the marker lines."""
    block = re.search(
        r"\n    (collab start --json - <<'?COLLAB_TASK'?)\n    the task text\n    (COLLAB_TASK)\n", instructions
    )
    assert block, "the instructions lost their heredoc command"
    script = f"{block.group(1)}\n{task}\n{block.group(2)}\n"
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=True
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize("text", ["gemini", "command", "plugin", "skill"])
def test_a_hostile_task_never_reaches_a_shell(text, tmp_path, subprocess_env):
    """The task passes to `collab start` as data: nothing in it runs, and the channel holds it verbatim.

    For Gemini CLI the typed text is spliced raw into the prompt; the prompt has no !{...} (which
    Gemini would run before the model sees anything) and no @{...}, and {{args}} only inside <task>.
    """
    hostile = HOSTILE.format(d=tmp_path)
    env = {**subprocess_env, "PATH": f"{Path(collab_bin()).parent}:{subprocess_env.get('PATH', '/usr/bin:/bin')}"}
    if text == "gemini":
        prompt = tomllib.loads(agents.render_gemini_command())["prompt"]
        assert re.search(r"<task>\n\{\{args\}\}\n</task>", prompt) and prompt.count("{{args}}") == 1
        instructions = _as_gemini_sends_it(prompt, hostile)
        task = instructions.split("<task>\n", 1)[1].split("\n</task>", 1)[0]
        assert task == hostile
    else:
        instructions = {
            "command": agents.render_command(),
            "plugin": agents.render_plugin_start_skill(),
            "skill": agents.render_agent_skill(),
        }[text]
        assert not any(line.lstrip().startswith("!") for line in instructions.splitlines())
        task = hostile
    started = _run_start_as_instructed(instructions, task, tmp_path, env)
    assert not list(tmp_path.glob("p[0-9]")), "a command in the task ran"
    shown = subprocess.run(
        [collab_bin(), "show", started["path"], "--json"], capture_output=True, text=True, env=env, check=True
    )
    assert json.loads(shown.stdout)["header"]["task"] == hostile
