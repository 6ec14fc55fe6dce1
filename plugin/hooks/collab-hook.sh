#!/bin/sh
# Claude Code runs this for the collab plugin's hooks (hooks.json, made by collab/hookconfig.py):
# it hands the hook input on stdin to `collab hook`, which decides what to do.
# pipx and `uv tool install` put commands in ~/.local/bin, which a hook's PATH may lack.
PATH="${PATH:+$PATH:}${HOME:-/nonexistent}/.local/bin"
export PATH
if command -v collab >/dev/null 2>&1; then
    # Only the Stop hook (the one hooks.json gives options) can wake the session, by exiting 2; a
    # collab too old to know `hook` exits 2 too, on the unknown command, and would wake the session
    # with an error after every turn. So for Stop, check first.
    if [ "$#" -eq 0 ] || collab hook --help >/dev/null 2>&1; then
        exec collab hook "$@"
    fi
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
