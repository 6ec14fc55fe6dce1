"""Differential fuzz of bodies: does every reader see exactly one entry, with that body?

``python bench/fuzz_bodies.py [--bodies N] [--seed S]`` (default 20,000 bodies).

For each random body, collab writes it as an entry between two others (``neutralise``), and three
readers read the text: markdown-it-py (the CommonMark reference, as agents, editors and GitHub
read the file), mistune (which renders collab's HTML page), and collab's own parser. A body
*disagrees* when a reader sees other entry or section headings than the two around it, or when
collab reads back another body than was given. Contract section 7, point 2 allows none.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Report, Target, machine, table
from markdown_it import MarkdownIt

from collab.text import blocks, format

#: Lines that open, close or interrupt blocks, in CommonMark or in mistune.
LINES = [
    "", "text", "more text", "# Title", "## Answers", "## Closed (2026-11-23T10:00:00Z) by site-a", "## Questions",
    "### Answer 7 (2026-11-23T10:00:00Z) from site-a re Request 1", "### Question 2", "### Notes", "#### four",
    "Title", "---", "===", "- item", "* item", "+ item", "1. item", "2) item", "- ", "  - nested", "    code",
    "\tcode", "> quote", ">", "> ## Answers", "> ### Answer 3", "```", "````", "```python", "~~~", "~~~~",
    "  ```", "   ~~~", "``` `x` ```", "<pre>", "</pre>", "<div>", "</div>", "<!--", "-->", "<!-- c -->", "<?php",
    "?>", "<![CDATA[", "]]>", "<!DOCTYPE html>", "<script>", "</script>", "<style>", "<textarea>", "<b>", "</b>",
    "<x-y>", "[ref]: /url", "[//]: # (hidden)", "***", "___", "| a | b |", "\\### escaped", "Answer 1",
    "- see list", "<pre>x</pre>", "```collab-body", "text ```", "  > ## Closed", "- > ### Answer 5",
]  # fmt: skip
NOISE = "#`~-=*><[]()!:|\\ \t"


def random_body(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(1, 12)):
        if rng.random() < 0.8:
            lines.append(rng.choice(LINES))
        else:
            lines.append("".join(rng.choice(NOISE + "abcAQ019") for _ in range(rng.randint(1, 12))))
    separator = rng.choice(["\n", "\n", "\n", "\r\n", "\r"])
    return separator.join(lines)


def commonmark(text: str) -> list[str]:
    """The structural headings (levels 1-2, level-3 entries) at top level, as markdown-it-py reads them."""
    tokens = MarkdownIt("commonmark").parse(text)
    found = [
        (int(t.tag[1]), tokens[i + 1].content.strip())
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.level == 0
    ]
    return [heading for level, heading in found if format.is_structural(level, heading)]


def mistune(text: str) -> list[str]:
    """The structural headings at top level, as mistune reads them."""
    found = [(t["attrs"]["level"], t["text"].strip()) for t in blocks.scan_tokens(text) if t["type"] == "heading"]
    return [heading for level, heading in found if format.is_structural(level, heading)]


HEAD = "# Collab: fuzz\n\n## Answers\n\n### Answer 1 (2026-11-23T10:00:00Z) from a\n"
TAIL = "\n\n### Answer 2 (2026-11-23T10:00:00Z) from b\nok\n"
EXPECTED = [
    "Collab: fuzz",
    "Answers",
    "Answer 1 (2026-11-23T10:00:00Z) from a",
    "Answer 2 (2026-11-23T10:00:00Z) from b",
]


def run(count: int = 20_000, seed: int = 1) -> Report:
    rng = random.Random(seed)
    wrapped = disagree_commonmark = disagree_mistune = wrong_body = 0
    examples: list[str] = []
    began = time.perf_counter()
    for _ in range(count):
        body = blocks.normalize_body(random_body(rng))
        if not body:
            continue
        written = blocks.neutralise(body)
        wrapped += written != body
        text = HEAD + written + TAIL
        bad_cm, bad_mi = commonmark(text) != EXPECTED, mistune(text) != EXPECTED
        parsed = format.parse(text.encode()).entries
        bad_body = [e.body for e in parsed] != [body, "ok"]
        disagree_commonmark += bad_cm
        disagree_mistune += bad_mi
        wrong_body += bad_body
        if (bad_cm or bad_mi or bad_body) and len(examples) < 3:
            examples.append(repr(body))
    seconds = time.perf_counter() - began
    rows = [[count, wrapped, disagree_commonmark, disagree_mistune, wrong_body, f"{seconds:.0f} s"]]
    text = "\n".join([
        f"Machine: {machine()}", "",
        table(["bodies", "written wrapped", "CommonMark disagrees", "mistune disagrees", "body read back wrong",
               "time"], rows),
        *(["", "First disagreeing bodies:", *examples] if examples else []),
    ])  # fmt: skip
    failures = disagree_commonmark + disagree_mistune + wrong_body
    return Report(
        text, [Target(f"{count} fuzzed bodies: one entry for every reader", f"{failures} disagree", failures == 0)]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bodies", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(run(args.bodies, args.seed).full())


if __name__ == "__main__":
    main()
