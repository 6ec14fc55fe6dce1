"""Make untrusted text safe to print on a terminal.

A body is data, never instructions to a terminal. ECMA-48 control functions start with C0 or C1
control characters (ESC for CSI/OSC sequences such as ``ESC [ 2 J`` or an OSC 52 clipboard write,
or the 8-bit C1 forms U+0080-U+009F). :func:`for_terminal` replaces every such character except
newline and tab with a visible stand-in, so the sequence shows as text and does nothing.
"""

from __future__ import annotations

import re

_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ESC shows as U+241B
    if code == 0x7F:
        return "\u2421"
    return f"\\x{code:02x}"


def for_terminal(text: str) -> str:
    """Return ``text`` with C0/C1 control characters (except ``\\n`` and ``\\t``) made visible."""
    return _CONTROLS.sub(_visible, text)
