"""What a writer is given, checked before anything is written: bodies, the task, requests, the title."""

import warnings

from collab.errors import EntryTooLarge, UsageError
from collab.text import blocks, format, limits


def title(task: str, limit: int = 80) -> str:
    """The channel's title: the task's first non-blank line, at most ``limit`` characters, shortened
    at a word boundary (a single word longer than that is cut)."""
    first = next((line.strip() for line in task.splitlines() if line.strip()), "")
    first = " ".join(first.lstrip("#").split())
    if len(first) <= limit:
        return first
    cut = first[:limit]
    space = cut.rfind(" ")
    words = cut[:space] if space > 0 else cut[: limit - 1]
    return words.rstrip(" ,;:.-") + "…"


def request_items(requests: list[str]) -> str:
    """The header's numbered list of ``requests`` (later lines of a request indented under it)."""
    items = []
    for number, text in enumerate(requests, 1):
        lines = blocks.normalize_body(text).split("\n")
        items.append(f"{number}. " + "\n".join([lines[0], *("   " + line if line else "" for line in lines[1:])]))
    return "\n".join(items)


def checked_body(kind: str, body: str) -> str:
    """The body to write: normalised, controls made visible; refused when empty, unreadable or too large."""
    from collab.text.sanitize import for_channel

    body = blocks.normalize_body(body)
    if not body:
        raise UsageError(f"the {kind} is empty: give its text as an argument or on stdin")
    if "\x00" in body:
        line = body.count("\n", 0, body.index("\x00")) + 1
        raise UsageError(f"the {kind} holds a NUL byte (line {line}), which no reader can read back: remove it")
    visible = for_channel(body)
    if visible != body:
        warnings.warn(
            f"the {kind} held terminal control characters: they were written as visible symbols (ESC as \u241b)",
            UserWarning,
            stacklevel=4,
        )
    size = len(visible.encode("utf-8", "surrogatepass"))
    if size > limits.MAX_ENTRY_BYTES:
        raise EntryTooLarge(
            f"the {kind} is {size} bytes, over the {limits.MAX_ENTRY_BYTES // 1048576} MiB entry limit; split it"
        )
    try:
        visible.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"the {kind} is not valid text (it holds unpaired surrogates): send it as UTF-8") from None
    return visible


def check_header(text: str, task: str, requests: list[str]) -> None:
    document = format.parse(text.encode("utf-8"))
    got = [r.text for r in document.header.requests]
    want = [blocks.normalize_body(r) for r in requests]
    if got != want:
        bad = next(i for i, (g, w) in enumerate(zip(got + [""] * len(want), want, strict=False), 1) if g != w)
        raise UsageError(f"request {bad} cannot be written as a list item: keep requests to plain paragraphs")
    if document.header.task != task:
        raise UsageError("the task cannot be written into the channel header unchanged")
