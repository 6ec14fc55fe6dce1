"""What the host's JSON becomes on this side: the same types a local channel gives, so that the
command line renders a remote channel with the code that renders a local one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from collab.render.status import EntryState, Participant, QuestionState, RequestState, Status
from collab.text.exchange import Closing

if TYPE_CHECKING:
    from collab.housekeeping.catalog import Listing
    from collab.housekeeping.cleanup import Removal
    from collab.text.format import Document


def closing(found: dict[str, Any] | None) -> Closing | None:
    """The closing line ``{"timestamp", "author", "summary"}``, or None."""
    return Closing(found["timestamp"], found["author"], found["summary"]) if found else None


def status(found: dict[str, Any], where: str) -> Status:
    """The :class:`collab.render.status.Status` of ``status --json`` (contract section 4), at ``where``."""
    return Status(
        id=found["id"],
        path=where,
        task=found["task"],
        state=found["state"],
        requests=tuple(RequestState(r["number"], r["text"], tuple(r["answers"])) for r in found["requests"]),
        open_questions=tuple(found["open_questions"]),
        asked=tuple(
            QuestionState(q["number"], q["author"], q["summary"], tuple(q["answers"]))
            for q in found.get("questions", [])
        ),
        participants=tuple(
            Participant(p["name"], p["entries"], p["last_entry"], p["waiting"], p["seen"], p["seen_at"])
            for p in found["participants"]
        ),
        entries=tuple(
            EntryState(e["index"], e["label"], e["author"], tuple(e["read_by"])) for e in found.get("entries", [])
        ),
        answers=found["counts"]["answers"],
        questions=found["counts"]["questions"],
        last_activity=found["last_activity"],
        integrity=found["integrity"],
        closing=closing(found.get("closing")),
    )


def document(source: str) -> Document:
    """The :class:`collab.Document` of a channel's text, as the host holds it."""
    from collab.text.format import parse, readable

    data, damage = readable(source.encode("utf-8"))
    return parse(data, damage)


def listing(found: dict[str, Any]) -> Listing:
    """The :class:`collab.housekeeping.catalog.Listing` of one item of ``ls --json``, its path on the host."""
    from collab.housekeeping.catalog import Listing

    return Listing(
        found["id"],
        Path(found["path"]),
        found["task"],
        found["state"],
        int(found["entries"]),
        found["last_activity"],
        problem=found.get("problem"),
        closing=closing(found.get("closing")),
    )


def removal(found: dict[str, Any]) -> Removal:
    """The :class:`collab.housekeeping.cleanup.Removal` of one item of ``rm --json``, its paths on the host."""
    from collab.housekeeping.cleanup import Removal, Skipped

    def skipped(items: list[dict[str, str]]) -> tuple[Skipped, ...]:
        return tuple(Skipped(Path(s["path"]), s["reason"]) for s in items)

    return Removal(
        found["id"],
        Path(found["path"]),
        found["state"],
        tuple(Path(p) for p in found["files"]),
        skipped(found.get("left", [])),
        skipped(found.get("skipped", [])),
    )
