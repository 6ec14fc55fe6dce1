"""Who sits where in the conversation view of ``show --html``: a side and a colour per participant.

People read an exchange between two parties as two columns. The channel's creator, who wrote the
task and the requests, keeps the *start* side (the left in a left-to-right page); every other
participant takes the *end* side. When the header names no creator (a file made by hand), the
author of the first entry takes the start side.

Each participant also keeps one colour, given as a hue (degrees on the colour wheel) that the page
turns into a border, a tint and a heading colour for light and dark screens. Hues come from
:data:`PALETTE`, in order: the creator first (the header is its first entry), then the others in
the order of their first entry. Beyond the palette a hue is derived from the name (SHA-256), so the
same name gets the same colour on every page. Names are compared exactly, as ``collab status``
counts participants.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, NamedTuple

from collab.text import digest

Side = Literal["start", "end"]

#: Hues, in degrees, of the first participants: blue, orange, teal, purple, magenta, olive.
PALETTE = (212, 28, 170, 272, 330, 80)
#: Name of the participant of entries without an author.
UNKNOWN = "unknown author"


class Voice(NamedTuple):
    """One participant's place on the page: ``number`` counts from 1 in order of appearance (it
    names the CSS class ``participant-N``), ``hue`` is in degrees (0-359)."""

    name: str
    number: int
    side: Side
    hue: int

    @property
    def css_class(self) -> str:
        """``participant-N``: the class of this participant's entries and legend item."""
        return f"participant-{self.number}"


def derived_hue(name: str) -> int:
    """A hue for ``name`` that does not depend on the page: the first bytes of its SHA-256, modulo 360."""
    return int.from_bytes(digest.sha256(name.encode("utf-8", "surrogatepass")).digest()[:4], "big") % 360


def cast(creator: str | None, authors: Iterable[str | None]) -> dict[str, Voice]:
    """Each participant's :class:`Voice`, keyed by name, in order of appearance.

    Args:
        creator: the channel's creator (from its header), or None when the header names none.
        authors: the author of each entry in file order (None for an entry without one).
    """
    names = [creator] if creator else []
    for author in authors:
        name = author or UNKNOWN
        if name not in names:
            names.append(name)
    starter = names[0] if names else None
    return {
        name: Voice(
            name,
            number,
            "start" if name == starter else "end",
            PALETTE[number - 1] if number <= len(PALETTE) else derived_hue(name),
        )
        for number, name in enumerate(names, 1)
    }


def style_rules(voices: Iterable[Voice]) -> str:
    """One CSS rule per participant, setting the ``--hue`` its entries and legend item are drawn with."""
    return "".join(f".{v.css_class} {{ --hue: {v.hue}; }}\n" for v in voices)


def terminal_colour(hue: int) -> str:
    """The colour a participant of ``hue`` (degrees) is drawn in on a terminal, as ``#rrggbb``: the
    page's hue at a lightness that reads on dark and light backgrounds alike (HSL 70%, 55%)."""
    import colorsys

    red, green, blue = colorsys.hls_to_rgb(hue / 360, 0.55, 0.70)
    return "#" + "".join(f"{round(c * 255):02x}" for c in (red, green, blue))


class Casting:
    """Hues handed out as participants appear (``watch`` sees them one entry at a time): the creator
    first when known, then each new name, in :data:`PALETTE` order, as :func:`cast` does for a page."""

    def __init__(self, creator: str | None = None) -> None:
        self._hues: dict[str, int] = {}
        if creator:
            self.hue(creator)

    def hue(self, name: str | None) -> int:
        """The hue of ``name`` (None: the unknown author), given it the first time it is asked for."""
        key = name or UNKNOWN
        if key not in self._hues:
            number = len(self._hues) + 1
            self._hues[key] = PALETTE[number - 1] if number <= len(PALETTE) else derived_hue(key)
        return self._hues[key]
