#!/bin/sh
# Claude Code runs this for the collab plugin's hooks (hooks.json, made by scripts/write_hook_config.py):
# it hands the hook input on stdin to `collab hook`, which decides what to do.
# pipx and `uv tool install` put commands in ~/.local/bin, which a hook's PATH may lack.
PATH="${PATH:+$PATH:}${HOME:-/nonexistent}/.local/bin"
export PATH
if command -v collab >/dev/null 2>&1; then
    # Exit 2 wakes the session. A collab too old to know `hook` exits 2 as well (a usage error), and
    # would wake the session with an error after every turn: so collab is asked to say "wake" with
    # a code of its own, and only that code is passed on as 2.
    COLLAB_HOOK_WAKE_EXIT=75 collab hook "$@"
    status=$?
    case $status in
    75) exit 2 ;;
    2) ;;
    *) exit "$status" ;;
    esac
    hint='the collab plugin needs a newer collab (one with `collab hook`): upgrade it with `pipx upgrade collab` or `uv tool upgrade collab`'
else
    hint='the collab plugin needs the collab command: install it with `pipx install <clone or git URL of collab>` or `uv tool install <same>`, then restart Claude Code'
fi
# Fail soft: say what to do, and never wake the session (exit 0).
input=$(cat)
case $input in
*'"SessionStart"'*)
    # A SessionStart hook's plain stdout goes to Claude; JSON with systemMessage is shown to the person.
    printf '{"systemMessage": "collab: %s"}\n' "$hint" ;;
*)
    printf 'collab: %s\n' "$hint" >&2 ;;
esac
exit 0
