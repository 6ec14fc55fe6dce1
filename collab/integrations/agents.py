"""collab's instructions for coding agents: every text made from ``templates/``, and where each agent reads it.

Texts (each filled in from ``templates/``; the start and join steps are written once, in
``templates/parts/``, and shared):

- the Claude Code ``/collab`` slash command (contract section 5), also checked in as
  ``claude-commands/collab.md``;
- the Claude Code plugin's skills and manifest (contract section 8), checked in under ``plugin/``;
- one Agent Skills ``SKILL.md`` for the other agents, and a Gemini CLI command.

:func:`agent_files` says where ``collab install --agent NAME`` puts them; the comment above each
agent's paths names the documentation page they come from. ``scripts/write_agent_files.py``
rewrites the checked-in copies from the templates (a test checks they are equal).
"""

from __future__ import annotations

import os
import pwd
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, NamedTuple

from collab.integrations import templates

#: Seconds each ``collab wait`` of session A may block: below Claude Code's 2-minute Bash default.
WAIT_TIMEOUT_SECONDS = 100

Agent = Literal["claude", "codex", "copilot", "cursor", "gemini", "opencode"]
#: The agents ``collab install --agent`` writes for, in the order help lists them.
AGENTS: tuple[Agent, ...] = ("claude", "codex", "copilot", "cursor", "gemini", "opencode")

#: The source tree's root (``pyproject.toml``, ``templates/``, ``plugin/``) when run from a checkout.
SOURCE_ROOT = Path(__file__).resolve().parents[2]


class AgentFile(NamedTuple):
    """One file an agent reads: where it goes, its text, what it is (``"/collab command"``), and its root.

    ``root`` is the directory the install starts from: the home directory, a configuration
    directory named by the environment, or the project's top level. ``path`` lies below it, and
    ``collab install`` checks every directory between the two (:mod:`collab.integrations.install`).
    """

    path: Path
    text: str
    what: str
    root: Path


def _part(name: str, **values: str) -> str:
    """A shared piece of ``templates/parts/``, filled in, without its final line break."""
    return templates.render(f"parts/{name}.md", **values).rstrip("\n")


def _start(task: str, waiting: str) -> str:
    """Session A's steps (``parts/start.md``) with the task's source and the way this agent waits."""
    timeout = str(WAIT_TIMEOUT_SECONDS)
    return _part("start", task=task, waiting=_part(f"wait-{waiting}", wait_timeout=timeout))


def _join(channel: str, waiting: str) -> str:
    """Session B's steps (``parts/join.md``) with the channel's source and the way this agent waits."""
    return _part("join", channel=_part(f"channel-{channel}"), waiting=_part(f"join-wait-{waiting}"))


def render_command() -> str:
    """The Claude Code ``/collab`` command (``claude-commands/collab.md``): a background wait, no hook."""
    task = _part("task-argument", placeholder="$ARGUMENTS")
    return templates.render("command.md", start=_start(task, "background"))


def render_plugin_start_skill() -> str:
    """The plugin's ``skills/collab/SKILL.md``: ``/collab:collab TASK``, woken by the plugin's hook."""
    task = _part("task-argument", placeholder="$ARGUMENTS")
    return templates.render("plugin/collab-skill.md", start=_start(task, "hook"))


def render_plugin_join_skill() -> str:
    """The plugin's ``skills/join/SKILL.md``: ``/collab:join CHANNEL``, woken by the plugin's hook."""
    return templates.render("plugin/join-skill.md", join=_join("argument", "hook"))


def render_plugin_manifest() -> str:
    """The plugin's ``.claude-plugin/plugin.json``, carrying the package's version."""
    return templates.render("plugin/plugin.json", version=package_version())


def render_agent_skill() -> str:
    """The Agent Skills ``SKILL.md`` (start and join) for agents that no hook can wake."""
    start = _start(_part("task-message"), "loop")
    return templates.render("agents/skill.md", start=start, join=_join("message", "loop"))


def render_gemini_command() -> str:
    """The Gemini CLI command ``/collab TASK`` (``.gemini/commands/collab.toml``).

    Raises:
        ValueError: the prompt would hold ``'''``, which ends a TOML literal string.
    """
    start = _start(_part("task-argument", placeholder="{{args}}"), "loop") + "\n"
    if "'''" in start:
        raise ValueError("the Gemini prompt holds ''' and cannot be a TOML literal string")
    return templates.render("agents/gemini-command.toml", start=start)


def package_version() -> str:
    """The package's version: ``pyproject.toml``'s in a source tree, else the installed metadata's.

    The source tree wins so the checked-in ``plugin.json`` follows a version bump at once, even
    before an editable install's metadata is rebuilt.
    """
    import tomllib

    pyproject = SOURCE_ROOT / "pyproject.toml"
    if pyproject.is_file():
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        if project.get("name") == "collab" and isinstance(project.get("version"), str):
            return str(project["version"])
    from importlib.metadata import version

    return version("collab")


def checked_in() -> dict[str, str]:
    """The generated files kept in the repository: path relative to its root -> text."""
    return {
        "claude-commands/collab.md": render_command(),
        "plugin/.claude-plugin/plugin.json": render_plugin_manifest(),
        "plugin/skills/collab/SKILL.md": render_plugin_start_skill(),
        "plugin/skills/join/SKILL.md": render_plugin_join_skill(),
    }


def agent_files(
    agent: Agent, project: bool, cwd: Path | None = None, environ: Mapping[str, str] | None = None
) -> list[AgentFile]:
    """The files ``collab install --agent AGENT`` writes, the agent's main file first.

    Args:
        agent: one of :data:`AGENTS`.
        project: True for the project's copy, under the git top level holding ``cwd``
            (:func:`collab.config.project_dir`); False for the user-wide one, under the home directory.
        cwd: where the command runs (default: the current directory).
        environ: the environment (default: ``os.environ``) for ``HOME``, ``CLAUDE_CONFIG_DIR``
            and ``GEMINI_CLI_HOME``. Only the variables this agent and scope use are read.

    Raises:
        ValueError: ``agent`` is not one of :data:`AGENTS`.
        UsageError: a variable that is used is empty, relative or holds a control character, or
            ``HOME`` is not a directory (see :func:`directory_from_env`).
    """
    from collab import config

    if agent not in AGENTS:
        raise ValueError(f"unknown agent {agent!r}: one of {', '.join(AGENTS)}")
    env = os.environ if environ is None else environ
    top = config.project_dir(cwd or Path.cwd()) if project else None
    skill = Path(".agents", "skills", "collab", "SKILL.md")

    def under(root: Path, relative: Path, text: str, what: str) -> AgentFile:
        return AgentFile(root / relative, text, what, root)

    if agent == "claude":
        # Claude Code docs, "Extend Claude with skills" (code.claude.com/docs/en/skills): files in
        # ~/.claude/commands/ and .claude/commands/ still work as /NAME; "Environment variables"
        # (code.claude.com/docs/en/env-vars): CLAUDE_CONFIG_DIR replaces ~/.claude.
        config_dir = None if top else directory_from_env(env, "CLAUDE_CONFIG_DIR")
        if config_dir:
            root, relative = config_dir, Path("commands")
        else:
            root, relative = top or home_dir(env), Path(".claude", "commands")
        return [under(root, relative / "collab.md", render_command(), "/collab command")]
    if agent in ("codex", "copilot", "opencode"):
        # Codex docs, "Agent Skills" (developers.openai.com/codex/skills): REPO scope .agents/skills
        # from the cwd up to the repository root, USER scope $HOME/.agents/skills.
        # GitHub docs, "Adding agent skills for GitHub Copilot CLI" (docs.github.com/en/copilot/how-tos/
        # copilot-cli/customize-copilot/add-skills): project .github/skills, .claude/skills or
        # .agents/skills; personal ~/.copilot/skills or ~/.agents/skills.
        # opencode docs, "Agent Skills" (opencode.ai/docs/skills): .agents/skills/<name>/SKILL.md from
        # the cwd up to the git worktree, and ~/.agents/skills/<name>/SKILL.md.
        return [under(top or home_dir(env), skill, render_agent_skill(), "collab skill")]
    if agent == "cursor":
        # Cursor docs, "Agent Skills" (cursor.com/docs/skills, "Skill directories"): .agents/skills/
        # and .cursor/skills/ in the project; ~/.cursor/skills/ user-wide (no ~/.agents/skills).
        relative = skill if top else Path(".cursor", "skills", "collab", "SKILL.md")
        return [under(top or home_dir(env), relative, render_agent_skill(), "collab skill")]
    # Gemini CLI docs (google-gemini/gemini-cli): "Custom commands" (docs/cli/custom-commands.md),
    # ~/.gemini/commands/ and <project>/.gemini/commands/, NAME.toml is /NAME; "Agent Skills"
    # (docs/cli/skills.md), user skills in ~/.agents/skills, workspace skills in .agents/skills;
    # "Configuration" (docs/reference/configuration.md): GEMINI_CLI_HOME replaces the home directory.
    root = top or directory_from_env(env, "GEMINI_CLI_HOME") or home_dir(env)
    command = Path(".gemini", "commands", "collab.toml")
    return [
        under(root, command, render_gemini_command(), "/collab command"),
        under(root, skill, render_agent_skill(), "collab skill"),
    ]


def directory_from_env(environ: Mapping[str, str], variable: str) -> Path | None:
    """The directory the environment variable ``variable`` names, or None when it is unset.

    An install must never land somewhere the person did not mean: an empty ``HOME`` would put
    files under ``/``, a relative one under whatever the current directory is, and a line break or
    escape would hide the real path in every message.

    Raises:
        UsageError: the variable is set but empty, holds a control character, or is not absolute.
    """
    from collab.errors import UsageError

    value = environ.get(variable)
    if value is None:
        return None
    if not value:
        raise UsageError(f"{variable} is set but empty: set it to an absolute path, or unset it")
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise UsageError(
            f"{variable} holds a control character (a line break, tab or escape): set it to a plain absolute path"
        )
    if not os.path.isabs(value):
        raise UsageError(f"{variable} is a relative path ({value}): set it to an absolute path")
    return Path(value)


def home_dir(environ: Mapping[str, str]) -> Path:
    """The home directory: ``HOME`` (checked as :func:`directory_from_env` does), else the password database's.

    Raises:
        UsageError: ``HOME`` is malformed, or names no directory, or is unset and the user has no
            home directory in the password database.
    """
    from collab.errors import UsageError

    home = directory_from_env(environ, "HOME")
    if home is None:
        try:
            home = Path(pwd.getpwuid(os.getuid()).pw_dir)
        except KeyError:
            raise UsageError("HOME is not set and this user has no home directory: set HOME") from None
        if not home.is_absolute():
            raise UsageError(f"HOME is not set and this user's home directory ({home}) is not absolute: set HOME")
    if not home.is_dir():
        raise UsageError(f"HOME ({home}) is not a directory: set HOME to your home directory")
    return home
