"""The channel header: everything above the answers line (contract section 2).

The header is written once, by ``collab start``, and read often; this module reads it. Its
sections (``Task``, ``Context``, ``Requests``, ``Protocol``) are level-2 headings; the title is the
level-1 heading; the ``- Channel:`` and ``- Created:`` lines below the title are its metadata.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from collab.text import blocks
from collab.text.grammar import format_timestamp, parse_timestamp
from collab.text.structure import TopHeading

#: How many lines below the title are searched for the ``- Channel:`` and ``- Created:`` lines.
META_LINES = 20
#: ``by NAME`` in the ``Created:`` line and the closing line (names as the heading grammar allows).
BY_AUTHOR = re.compile(r"\b(?i:by)[ \t]+@?([A-Za-z0-9][A-Za-z0-9._@+-]{0,63})")  # as grammar's author


class Request(NamedTuple):
    """A numbered request from the header (numbers from 1, as the markdown list gives them)."""

    number: int
    text: str


class Header(NamedTuple):
    """What the header (everything above the answers line) says."""

    title: str
    task: str
    context: str
    requests: tuple[Request, ...]
    channel_id: str | None
    created: str | None
    creator: str | None


def _section_text(text: str) -> str:
    return blocks.unwrap(blocks.normalize_body(text))


#: A line of request text that the fast reader takes as it stands: one that starts no block (as
#: :data:`collab.text.structure._SIMPLE`: no white space, none of ``#`~>*+-_=<[``, no ordered list
#: marker) and ends with no white space, so that no reader could make it anything but paragraph text.
_PLAIN_LINE = re.compile(r"(?![0-9]{1,9}[.)](?:[ \t]|$))[^\s#`~>*+\-_=<\[](?:.*\S)?")
#: Requests numbered above this are written one line each to be read by the fast reader: from 10 on,
#: a marker is four characters wide and the three-space indent of a later line no longer lines up.
_ALIGNED = 9


def _plain_requests(section: str) -> tuple[Request, ...] | None:
    """The requests of ``section`` (``\\n`` line ends) when it is exactly the list that
    :func:`collab.text.bodies.request_items` writes for plain requests, else None.

    Plain: every line is blank or :data:`_PLAIN_LINE`, no two blank lines follow each other, and no
    request ends in one; a request after the ninth is one line. For such a list, mistune reads each
    item as paragraph text that is the request itself (``tests/text/test_header.py`` checks the two agree),
    so reading a channel needs no markdown parser. Anything else (a header edited by hand, a request
    holding a list or a fence) is left to mistune.
    """
    texts: list[list[str]] = []
    for line in section.rstrip("\n").split("\n"):
        marker = f"{len(texts) + 1}. "
        if line.startswith(marker) and _PLAIN_LINE.fullmatch(line, len(marker)):
            if texts and not texts[-1][-1]:
                return None
            texts.append([line[len(marker) :]])
        elif not texts:
            return None
        elif not line:
            if not texts[-1][-1]:
                return None
            texts[-1].append("")
        elif len(texts) <= _ALIGNED and line.startswith("   ") and _PLAIN_LINE.fullmatch(line, 3):
            texts[-1].append(line[3:])
        else:
            return None
    return tuple(Request(number, "\n".join(lines)) for number, lines in enumerate(texts, 1))


def _parse_requests(section: str) -> tuple[Request, ...]:
    """The numbered requests of the ``Requests`` section: its first list, as mistune reads it."""
    section = section.replace("\r\n", "\n").replace("\r", "\n")
    if not section.strip():
        return ()
    plain = _plain_requests(section)
    return plain if plain is not None else _mistune_requests(section)


def _mistune_requests(section: str) -> tuple[Request, ...]:
    requests: list[Request] = []
    for token in blocks.scan_tokens(section):
        if token["type"] != "list":
            continue
        first = int(token["attrs"].get("start", 1)) if token["attrs"].get("ordered") else 1
        for offset, item in enumerate(token["children"]):
            parts = [c.get("text") or c.get("raw") or "" for c in item["children"]]
            text = "\n\n".join(p.strip() for p in parts if p and p.strip())
            requests.append(Request(first + offset, text))
        break
    return tuple(requests)


def _meta(region: str) -> dict[str, str]:
    """The ``- Channel: X`` / ``- Created: Y`` lines among the first :data:`META_LINES` lines of ``region``."""
    found: dict[str, str] = {}
    for line in region.split("\n", META_LINES)[:META_LINES]:
        item = line.strip(" \t")
        if item[:1] not in ("-", "*"):
            continue
        key, colon, value = item[1:].partition(":")
        key = key.strip(" \t").lower()
        if colon and key in ("channel", "created"):
            found.setdefault(key, value.strip(" \t"))
    return found


def parse_header(text: str, headings: list[TopHeading], end: int) -> Header:
    """Read the header from ``text[:end]`` (``end`` is where the answers line starts).

    ``headings`` are the top-level headings of ``text`` (only those before ``end`` of level 1 or 2
    are used). Never raises on odd input: what cannot be read is left empty.
    """
    title = ""
    sections: dict[str, str] = {}
    top = [h for h in headings if h.start < end and h.level <= 2]
    meta_region = text[: top[0].start] if top else text[:end]
    for i, h in enumerate(top):
        stop = top[i + 1].start if i + 1 < len(top) else end
        if h.level == 1 and not title:
            title = h.text[len("collab:") :].lstrip() if h.text.lower().startswith("collab:") else h.text
            meta_region = text[h.body_start : stop]
        elif h.level == 2:
            sections.setdefault(h.text.strip().lower(), text[h.body_start : stop])
    meta = _meta(meta_region)
    created = meta.get("created")
    creator = BY_AUTHOR.search(created[:512]) if created else None
    created_at = parse_timestamp(created) if created else None
    return Header(
        title=title,
        task=_section_text(sections.get("task", "")),
        context=_section_text(sections.get("context", "")),
        requests=_parse_requests(sections.get("requests", "")),
        channel_id=meta.get("channel"),
        created=format_timestamp(created_at) if created_at else None,
        creator=creator.group(1) if creator else None,
    )
