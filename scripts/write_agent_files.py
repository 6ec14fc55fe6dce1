"""Rewrite the agent files checked in to the repository from ``templates/``.

    python scripts/write_agent_files.py [ROOT]

Writes ``claude-commands/collab.md`` and the Claude Code plugin's manifest and skills under
``plugin/`` (:func:`collab.integrations.agents.checked_in`) below ``ROOT`` (default: this
repository), naming each file that changed. Run it after editing ``templates/``:
``tests/integrations/test_plugin.py`` checks the copies are current.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: The repository's root: the copies go here, and collab is imported from here, so they are made
#: from this checkout's templates even when another collab is installed.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collab.integrations import agents  # noqa: E402


def write_checked_in(root: Path) -> None:
    """Rewrite the checked-in copies under ``root`` from the templates, saying which changed."""
    for relative, text in agents.checked_in().items():
        target = root / relative
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {relative}")


if __name__ == "__main__":
    write_checked_in(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT)
