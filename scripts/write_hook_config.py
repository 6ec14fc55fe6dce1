"""Rewrite the Claude Code plugin's ``plugin/hooks/hooks.json`` from :func:`collab.hooks.hookconfig.render`.

    python scripts/write_hook_config.py [ROOT]

Writes below ``ROOT`` (default: this repository). Run it after changing
:mod:`collab.hooks.hookconfig`: ``tests/hooks/test_push.py`` checks the checked-in file equals
:func:`~collab.hooks.hookconfig.render`.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: The repository's root: the file goes below it, and collab is imported from it, so the file is
#: made by this checkout's code even when another collab is installed.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collab.hooks import hookconfig  # noqa: E402


def write(root: Path) -> Path:
    """Write ``plugin/hooks/hooks.json`` under ``root``; return its path."""
    target = root / "plugin" / "hooks" / "hooks.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(hookconfig.render(), encoding="utf-8")
    return target


if __name__ == "__main__":
    sys.stdout.write(f"wrote {write(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT)}\n")
