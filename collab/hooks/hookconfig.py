"""The Claude Code plugin's ``hooks/hooks.json``, made here and checked in under ``plugin/hooks/``.

``scripts/write_hook_config.py`` rewrites the checked-in copy; a test checks that it equals
:func:`render`. JSON holds no comments, so the facts it rests on are cited here, from Claude Code's
hooks reference (https://code.claude.com/docs/en/hooks) and plugins reference
(https://code.claude.com/docs/en/plugins-reference), read 2026-11-23:

- A plugin's hooks live in ``hooks/hooks.json`` under a top-level ``"hooks"`` object, event name to
  a list of matcher groups, each with a ``"hooks"`` list of handlers (plugins reference, "Hooks").
- A ``command`` handler without ``args`` is *shell form*: the string runs through ``sh -c`` on macOS
  and Linux. ``${CLAUDE_PLUGIN_ROOT}`` (the plugin's installation directory) is substituted wherever
  it appears in a hook command and exported to the hook's environment; in shell form, wrap it in
  double quotes (hooks reference, "Exec form and shell form"; plugins reference, "Environment
  variables"). Exec form (``args``) is newer; shell form also runs on older versions.
- ``"asyncRewake": true`` runs the hook in the background and, when it exits with code 2, wakes
  Claude even if the session is idle, showing the hook's stderr as a system reminder (hooks
  reference, "Command hook fields" and "Run hooks in the background", "Limitations").
- ``timeout`` is in seconds and defaults to 600 for command hooks (hooks reference, "Common
  fields"); the Stop hook sets a long one, and collab exits :data:`MARGIN_SECONDS` before it, so
  Claude Code never cancels it part-way.
- ``"async": true`` runs a hook in the background without blocking (hooks reference, "Run hooks in
  the background"): the ``UserPromptSubmit`` hook, which runs before every prompt, so costs the
  person no wait. Its plain stdout would reach the model (hooks reference, "Exit code 0").
- Stop, SessionStart, UserPromptSubmit and SessionEnd take no matcher that we need: omitted, they
  match every occurrence. ``SessionEnd`` hooks share a budget of 1.5 seconds that plugin timeouts do not
  raise (hooks reference, "SessionEnd"): collab's only removes two small files.
- The hook input is JSON on stdin with ``session_id``, ``transcript_path``, ``cwd`` and
  ``hook_event_name``, plus ``stop_hook_active`` for Stop (hooks reference, "Common input
  fields", "Stop input"). A SessionStart hook may append ``export NAME=value`` lines to the file
  named by ``CLAUDE_ENV_FILE``, which later Bash commands of the session source ("Persist
  environment variables"); its stdout is added to Claude's context, so collab prints none.
"""

from __future__ import annotations

import json
from typing import Any

#: The Stop hook's ``timeout`` in hooks.json, in seconds: a day of idling stays wakeable.
STOP_TIMEOUT_SECONDS = 86_400
#: How long before Claude Code's timeout the sleeping hook exits 0 by itself, in seconds.
MARGIN_SECONDS = 60
#: The ``timeout`` of the other hooks, in seconds (each takes well under one).
QUICK_TIMEOUT_SECONDS = 10

#: The hook's command, relative to the plugin's root (a POSIX sh script that runs ``collab hook``).
WRAPPER = "hooks/collab-hook.sh"


def _handler(*arguments: str, timeout: int, wake: bool = False, background: bool = False) -> dict[str, Any]:
    command = " ".join([f'sh "${{CLAUDE_PLUGIN_ROOT}}/{WRAPPER}"', *arguments])
    handler: dict[str, Any] = {"type": "command", "command": command}
    if wake:
        handler["asyncRewake"] = True
    if background:
        handler["async"] = True
    handler["timeout"] = timeout
    return handler


def config() -> dict[str, Any]:
    """The content of ``hooks.json``: Stop (sleeps, wakes with exit 2), SessionStart, UserPromptSubmit
    (the session is busy again: its sleeper stands down) and SessionEnd."""
    stop = _handler("--timeout", str(STOP_TIMEOUT_SECONDS - MARGIN_SECONDS), timeout=STOP_TIMEOUT_SECONDS, wake=True)
    return {
        "description": "collab: wake this session when another session writes to a collab channel it sits in",
        "hooks": {
            "SessionStart": [{"hooks": [_handler(timeout=QUICK_TIMEOUT_SECONDS)]}],
            "UserPromptSubmit": [{"hooks": [_handler(timeout=QUICK_TIMEOUT_SECONDS, background=True)]}],
            "Stop": [{"hooks": [stop]}],
            "SessionEnd": [{"hooks": [_handler(timeout=QUICK_TIMEOUT_SECONDS)]}],
        },
    }


def render() -> str:
    """``hooks.json`` as checked in: :func:`config` as indented JSON with a final newline."""
    return json.dumps(config(), indent=2) + "\n"
