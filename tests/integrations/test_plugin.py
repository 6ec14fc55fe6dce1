"""The Claude Code plugin and marketplace: every file validates against the documented fields, and
the checked-in copies are what the generator writes (contract section 8).

CI has no ``claude`` (nor any other agent) to validate with, so the schemas below say what each
format's documentation says: the keys that must be there, the keys that may be, and each key's type.
A key not in a schema is an error: a typo, or a field the documented format does not have.
``tests/integrations/test_agents.py`` uses them too.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from collab.integrations import agents

#: key -> (allowed Python types, required?)
Schema = dict[str, tuple[tuple[type, ...], bool]]

STR = (str,)
LIST = (list,)
DICT = (dict,)
BOOL = (bool,)
NUMBER = (int, float)

#: Agent Skills and Claude Code names: lowercase letters and digits, single hyphens between them.
SKILL_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def check(document: Any, schema: Schema, where: str) -> None:
    """Assert ``document`` is a mapping with the required keys, no others, each of an allowed type."""
    assert isinstance(document, dict), f"{where}: not a mapping but {type(document).__name__}"
    unknown = set(document) - set(schema)
    assert not unknown, f"{where}: {sorted(unknown)} not among the documented fields {sorted(schema)}"
    for key, (types, required) in schema.items():
        if key not in document:
            assert not required, f"{where}: the required field {key!r} is missing"
            continue
        value = document[key]
        is_bool = isinstance(value, bool)
        assert isinstance(value, types) and (bool in types or not is_bool), (
            f"{where}: {key!r} is {type(value).__name__}, not {'/'.join(t.__name__ for t in types)}"
        )


def frontmatter(text: str, where: str) -> tuple[dict[str, Any], str]:
    """The YAML frontmatter (a mapping) and the body of a markdown file that starts with ``---``."""
    assert text.startswith("---\n"), f"{where}: no frontmatter (the file must start with ---)"
    head, separator, body = text[4:].partition("\n---\n")
    assert separator, f"{where}: the frontmatter is never closed with ---"
    meta = yaml.safe_load(head)
    assert isinstance(meta, dict), f"{where}: the frontmatter is not a YAML mapping"
    return meta, body


# Claude Code docs, "Plugins reference" (code.claude.com/docs/en/plugins-reference), "Plugin manifest
# schema": only `name` is required; metadata fields and component path fields.
AUTHOR: Schema = {"name": (STR, True), "email": (STR, False), "url": (STR, False)}
PLUGIN_MANIFEST: Schema = {
    "$schema": (STR, False),
    "name": (STR, True),
    "displayName": (STR, False),
    "version": (STR, False),
    "description": (STR, False),
    "author": (DICT, False),
    "homepage": (STR, False),
    "repository": (STR, False),
    "license": (STR, False),
    "keywords": (LIST, False),
    "metadata": (DICT, False),
    "defaultEnabled": (BOOL, False),
    "skills": ((str, list), False),
    "commands": ((str, list), False),
    "agents": ((str, list), False),
    "workflows": ((str, list), False),
    "hooks": ((str, list, dict), False),
    "mcpServers": ((str, list, dict), False),
    "outputStyles": ((str, list), False),
    "lspServers": ((str, list, dict), False),
    "experimental": (DICT, False),
    "userConfig": (DICT, False),
    "channels": (LIST, False),
    "dependencies": (LIST, False),
}

# Claude Code docs, "Plugin marketplaces" (code.claude.com/docs/en/plugin-marketplaces), "Marketplace
# schema" and "Plugin entries": an entry may carry any manifest field plus the marketplace's own.
MARKETPLACE: Schema = {
    "$schema": (STR, False),
    "name": (STR, True),
    "owner": (DICT, True),
    "plugins": (LIST, True),
    "description": (STR, False),
    "version": (STR, False),
    "metadata": (DICT, False),
    "allowCrossMarketplaceDependenciesOn": (LIST, False),
    "renames": (DICT, False),
}
MARKETPLACE_ENTRY: Schema = {
    **{key: (types, False) for key, (types, _) in PLUGIN_MANIFEST.items()},
    "name": (STR, True),
    "source": ((str, dict), True),
    "category": (STR, False),
    "tags": (LIST, False),
    "strict": (BOOL, False),
    "relevance": (DICT, False),
}
#: Marketplace names Claude Code reserves for Anthropic ("Plugin marketplaces", the note on reserved names).
RESERVED_MARKETPLACES = {
    "claude-code-marketplace", "claude-code-plugins", "claude-plugins-official", "claude-plugins-community",
    "claude-community", "anthropic-marketplace", "anthropic-plugins", "agent-skills", "anthropic-agent-skills",
    "knowledge-work-plugins", "life-sciences", "claude-for-legal", "claude-for-financial-services",
    "financial-services-plugins", "first-party-plugins", "healthcare",
}  # fmt: skip

# Claude Code docs, "Hooks reference" (code.claude.com/docs/en/hooks), "Configuration": event ->
# matcher groups -> hook handlers; "Common fields" and "Command hook fields". A plugin's
# hooks/hooks.json holds the same "hooks" object, with an optional description ("Plugins reference").
HOOKS_FILE: Schema = {"description": (STR, False), "hooks": (DICT, True)}
MATCHER_GROUP: Schema = {"matcher": (STR, False), "hooks": (LIST, True)}
COMMAND_HOOK: Schema = {
    "type": (STR, True),
    "command": (STR, True),
    "args": (LIST, False),
    "async": (BOOL, False),
    "asyncRewake": (BOOL, False),
    "shell": (STR, False),
    "timeout": (NUMBER, False),
    "statusMessage": (STR, False),
    "if": (STR, False),
    "once": (BOOL, False),
}
HOOK_EVENTS = {
    "SessionStart", "Setup", "UserPromptSubmit", "UserPromptExpansion", "PreToolUse", "PermissionRequest",
    "PermissionDenied", "PostToolUse", "PostToolUseFailure", "PostToolBatch", "Notification", "MessageDisplay",
    "SubagentStart", "SubagentStop", "TaskCreated", "TaskCompleted", "Stop", "StopFailure", "TeammateIdle",
    "InstructionsLoaded", "ConfigChange", "CwdChanged", "DirectoryAdded", "FileChanged", "WorktreeCreate",
    "WorktreeRemove", "PreCompact", "PostCompact", "Elicitation", "ElicitationResult", "SessionEnd",
}  # fmt: skip

# Claude Code docs, "Extend Claude with skills" (code.claude.com/docs/en/skills), "Frontmatter
# reference": every field is optional; commands in .claude/commands/ take the same frontmatter.
CLAUDE_SKILL: Schema = {
    key: (types, False)
    for key, types in {
        "name": STR, "description": STR, "when_to_use": STR, "argument-hint": STR, "arguments": (str, list),
        "disable-model-invocation": BOOL, "user-invocable": BOOL, "allowed-tools": (str, list),
        "disallowed-tools": (str, list), "model": STR, "effort": STR, "context": STR, "agent": STR,
        "background": BOOL, "hooks": DICT, "paths": (str, list), "shell": STR, "metadata": DICT,
        "license": STR, "compatibility": STR,
    }.items()
}  # fmt: skip

# Agent Skills specification (agentskills.io/specification): name and description required; only
# these optional fields are portable (Claude Code's "Using skill frontmatter outside Claude Code").
AGENT_SKILL: Schema = {
    "name": (STR, True),
    "description": (STR, True),
    "license": (STR, False),
    "compatibility": (STR, False),
    "metadata": (DICT, False),
    "allowed-tools": (STR, False),
}
#: The specification's length limits, in characters.
NAME_MAX, DESCRIPTION_MAX, COMPATIBILITY_MAX = 64, 1024, 500

# Gemini CLI docs, "Custom commands" (docs/cli/custom-commands.md of google-gemini/gemini-cli),
# "TOML file format (v1)": prompt required, description optional.
GEMINI_COMMAND: Schema = {"prompt": (STR, True), "description": (STR, False)}


def check_skill_name(meta: dict[str, Any], directory: str, where: str) -> None:
    """The spec's ``name`` rules: 1-64 characters of a-z, 0-9 and single inner hyphens, equal to the directory."""
    name = meta.get("name")
    assert isinstance(name, str) and SKILL_NAME.match(name) and len(name) <= NAME_MAX, f"{where}: bad name {name!r}"
    assert name == directory, f"{where}: name {name!r} differs from its directory {directory!r}"


ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "plugin"


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_checked_in_copies_equal_the_generator():
    """claude-commands/collab.md and the plugin's manifest and skills are what the templates make."""
    for relative, text in agents.checked_in().items():
        path = ROOT / relative
        assert path.is_file(), f"{relative} is missing: run `python scripts/write_agent_files.py`"
        stale = f"{relative} is stale: run `python scripts/write_agent_files.py`"
        assert path.read_text(encoding="utf-8") == text, stale


def test_the_generator_script_writes_the_copies_and_says_which(tmp_path: Path) -> None:
    """scripts/write_agent_files.py ROOT writes every copy below ROOT, naming it; run again, it writes none."""
    script = [sys.executable, str(ROOT / "scripts" / "write_agent_files.py"), str(tmp_path)]
    first = subprocess.run(script, capture_output=True, text=True, check=True, cwd=tmp_path)
    assert first.stdout.splitlines() == [f"wrote {relative}" for relative in agents.checked_in()]
    for relative, text in agents.checked_in().items():
        assert (tmp_path / relative).read_text(encoding="utf-8") == text
    assert subprocess.run(script, capture_output=True, text=True, check=True, cwd=tmp_path).stdout == ""


def test_the_marketplace_lists_the_plugin_by_a_relative_path():
    """marketplace.json has the documented fields, a name that is not reserved, and ./plugin as source."""
    market = _json(ROOT / ".claude-plugin" / "marketplace.json")
    check(market, MARKETPLACE, "marketplace.json")
    check(market["owner"], AUTHOR, "marketplace.json owner")
    assert SKILL_NAME.match(market["name"]) and market["name"] not in RESERVED_MARKETPLACES
    [entry] = market["plugins"]
    check(entry, MARKETPLACE_ENTRY, "marketplace.json plugins[0]")
    assert entry["name"] == "collab"
    # A relative source starts with ./ and resolves against the marketplace root, not .claude-plugin/.
    assert entry["source"].startswith("./") and (ROOT / entry["source"]).resolve() == PLUGIN
    assert (PLUGIN / ".claude-plugin" / "plugin.json").is_file()
    assert "version" not in entry, "plugin.json is where the version lives (it wins over the entry's)"


def test_the_manifest_carries_the_package_version():
    """plugin.json has the documented fields, name collab, and the version in pyproject.toml."""
    manifest = _json(PLUGIN / ".claude-plugin" / "plugin.json")
    check(manifest, PLUGIN_MANIFEST, "plugin.json")
    check(manifest["author"], AUTHOR, "plugin.json author")
    assert manifest["name"] == "collab"
    assert all(isinstance(word, str) for word in manifest["keywords"])
    import tomllib

    assert manifest["version"] == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+([-+].+)?", manifest["version"])
    # The default places are used, so the manifest declares no component paths.
    assert not {"skills", "commands", "hooks"} & set(manifest)


def test_hooks_json_follows_the_hooks_reference():
    """hooks/hooks.json: documented events and handler fields; the Stop hook wakes (asyncRewake) with
    an explicit timeout, and every ${CLAUDE_PLUGIN_ROOT} path it names is in the plugin."""
    hooks_file = PLUGIN / "hooks" / "hooks.json"
    assert hooks_file.is_file(), "plugin/hooks/hooks.json is missing"
    config = _json(hooks_file)
    check(config, HOOKS_FILE, "hooks.json")
    assert set(config["hooks"]) <= HOOK_EVENTS, sorted(set(config["hooks"]) - HOOK_EVENTS)
    handlers = []
    for event, groups in config["hooks"].items():
        assert isinstance(groups, list) and groups, event
        for group in groups:
            check(group, MATCHER_GROUP, f"hooks.json {event}")
            for handler in group["hooks"]:
                check(handler, COMMAND_HOOK, f"hooks.json {event} handler")
                assert handler["type"] == "command"
                assert handler.get("shell", "bash") in ("bash", "powershell")
                assert all(isinstance(arg, str) for arg in handler.get("args", []))
                handlers.append((event, handler))
    stops = [handler for event, handler in handlers if event == "Stop"]
    assert stops, "no Stop hook"
    for stop in stops:
        assert stop.get("asyncRewake") is True
        # The default would be 600 s; the hook must say how long it may sleep.
        assert isinstance(stop.get("timeout"), int) and stop["timeout"] > 0
    for _, handler in handlers:
        for word in [handler["command"], *handler.get("args", [])]:
            for relative in re.findall(r"\$\{CLAUDE_PLUGIN_ROOT\}\"?/([^\s\"']+)", word):
                assert (PLUGIN / relative).exists(), f"hooks.json names {relative}, which the plugin lacks"


@pytest.mark.parametrize("skill", ["collab", "join"])
def test_every_plugin_skill_has_claude_codes_frontmatter(skill):
    """skills/<name>/SKILL.md: documented fields only, name equal to the directory, a description
    within the Agent Skills limit, and nothing Claude Code would substitute by mistake."""
    where = f"plugin/skills/{skill}/SKILL.md"
    meta, body = frontmatter((PLUGIN / "skills" / skill / "SKILL.md").read_text(encoding="utf-8"), where)
    check(meta, CLAUDE_SKILL, where)
    check_skill_name(meta, skill, where)
    assert 0 < len(meta["description"]) <= DESCRIPTION_MAX
    assert meta["allowed-tools"] == "Bash(collab *)"
    assert "$ARGUMENTS" in body
    # $0, $1 ... and $ARGUMENTS[N] are argument placeholders in a skill: none may appear by accident.
    assert not re.search(r"\$\d|\$ARGUMENTS\[", body)
    assert sorted(path.name for path in (PLUGIN / "skills").iterdir()) == ["collab", "join"]


def test_the_skills_say_the_hook_wakes_the_session_and_keep_the_background_fallback():
    """Issue 15: end the turn and be woken by the hook; where hooks do not run, wait with run_in_background."""
    start = agents.render_plugin_start_skill()
    join = agents.render_plugin_join_skill()
    for text in (start, join):
        flat = " ".join(text.split())
        assert "hook wakes" in flat and "end your turn" in flat
        assert "run_in_background" in flat and "Where hooks do not run" in flat
    assert "collab wait PATH --timeout 100 --json" in start
    assert "collab start --json - <<'COLLAB_TASK'" in start
    assert "collab join 'CHANNEL'" in join
    # The command (no plugin) has no hook to lean on.
    assert "hook" not in agents.render_command()


def test_template_comments_and_placeholders_never_reach_a_generated_text():
    """Templates cite their documentation in {# ... #} comments; no comment or ${...} is left over."""
    texts = [*agents.checked_in().values(), agents.render_agent_skill(), agents.render_gemini_command()]
    for text in texts:
        assert "{#" not in text and "#}" not in text and "${" not in text
    for template in ("command.md", "plugin/collab-skill.md", "agents/skill.md", "agents/gemini-command.toml"):
        comment = (ROOT / "templates" / template).read_text().split("#}")[0]
        assert re.search(r"\((code\.claude\.com|docs/|agentskills\.io)[^)]*\)", comment), template
