#!/bin/sh
# Claude Code runs this for the collab plugin's hooks (hooks.json, made by collab/hookconfig.py):
# it hands the hook input on stdin to `collab hook`, which decides what to do.
# pipx and `uv tool install` put commands in ~/.local/bin, which a hook's PATH may lack.
PATH="${PATH:+$PATH:}${HOME:-/nonexistent}/.local/bin"
export PATH
if command -v collab >/dev/null 2>&1; then
    exec collab hook "$@"
fi
# Without collab, fail soft: say how to get it, and never wake the session (exit 0).
hint='the collab plugin needs the collab command: install it with `pipx install <clone or git URL of collab>` or `uv tool install <same>`, then restart Claude Code'
input=$(cat)
case $input in
*'"SessionStart"'*)
    # A SessionStart hook's plain stdout goes to Claude; JSON with systemMessage is shown to the person.
    printf '{"systemMessage": "collab: %s"}\n' "$hint" ;;
*)
    printf 'collab: %s\n' "$hint" >&2 ;;
esac
exit 0
