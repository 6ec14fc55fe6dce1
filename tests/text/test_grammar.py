from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collab.text.grammar import (
    Ref,
    author_from_label,
    check_author,
    compose_heading,
    is_entry_heading,
    parse_heading,
    parse_re,
    parse_timestamp,
)

MOMENT = datetime(2026, 6, 22, 14, 2, 11, tzinfo=UTC)


def test_compose_follows_the_strict_grammar():
    assert compose_heading("answer", 1, MOMENT, "site-b", Ref("request", 1)) == (
        "### Answer 1 (2026-06-22T14:02:11Z) from site-b re Request 1"
    )
    assert compose_heading("question", 3, MOMENT, None, None) == "### Question 3 (2026-06-22T14:02:11Z)"


def test_compose_rejects_unknown_kind_and_bad_author():
    with pytest.raises(ValueError):
        compose_heading("note", 1, MOMENT, None, None)
    with pytest.raises(ValueError):
        compose_heading("answer", 1, MOMENT, "two words", None)


@pytest.mark.parametrize(
    ("text", "kind", "number", "timestamp", "author", "re"),
    [
        (
            "Answer 1 (2026-06-22T14:02:11Z) from site-b re Request 1",
            "answer",
            1,
            "2026-06-22T14:02:11Z",
            "site-b",
            Ref("request", 1),
        ),
        ("Answer 1 (2026-06-22T14:02Z)", "answer", 1, "2026-06-22T14:02:00Z", None, None),
        ("Answer 2", "answer", 2, None, None, None),
        (
            "question 4 — 2026-06-22 16:05 +02:00 from @bob (re: question 2)",
            "question",
            4,
            "2026-06-22T14:05:00Z",
            "bob",
            Ref("question", 2),
        ),
        ("Answer #7 to Request 3, from site-a", "answer", 7, None, "site-a", Ref("request", 3)),
        (
            "ANSWER 5 [2026-06-22T14:02:11.123Z] re Answer 4",
            "answer",
            5,
            "2026-06-22T14:02:11Z",
            None,
            Ref("answer", 4),
        ),
    ],
)
def test_parse_is_lenient(text, kind, number, timestamp, author, re):
    heading = parse_heading(text)
    assert (heading.kind, heading.number, heading.timestamp, heading.author, heading.re) == (
        kind,
        number,
        timestamp,
        author,
        re,
    )
    assert heading.warnings == ()


def test_heading_without_number_warns():
    heading = parse_heading("Answer: yes we do")
    assert heading.number is None
    assert heading.warnings == ("no number",)


def test_entry_heading_detection():
    assert is_entry_heading("Answer 1")
    assert is_entry_heading("question")
    assert not is_entry_heading("Answers to your points")
    assert not is_entry_heading("Notes")
    with pytest.raises(ValueError):
        parse_heading("Notes")


def test_timestamps():
    assert parse_timestamp("no date here") is None
    assert parse_timestamp("2026-13-40T99:00Z") is None
    assert parse_timestamp("2026-06-22T14:02") == datetime(2026, 6, 22, 14, 2, tzinfo=UTC)


@pytest.mark.parametrize("value", ["request:2", "Request 2", "question#1", " answer : 3 "])
def test_parse_re_accepts_forms(value):
    ref = parse_re(value)
    assert ref.number in (1, 2, 3)
    assert ref.label().split()[0] in ("Request", "Question", "Answer")


@pytest.mark.parametrize("value", ["bogus", "request:0", "request:", "issue:2"])
def test_parse_re_rejects(value):
    with pytest.raises(ValueError, match="request:N"):
        parse_re(value)


def test_authors():
    assert check_author("site-a") == "site-a"
    assert author_from_label("my site (dev)") == "my-site-dev"
    assert author_from_label("...") == "anonymous"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["#", " ", "\t", "a", "Answer 1", "##"]), max_size=12).map("".join))
def test_heading_text_reads_an_atx_heading_as_commonmark_does(rest: str) -> None:
    from markdown_it import MarkdownIt

    from collab.text.grammar import heading_text

    line = "### " + rest
    tokens = MarkdownIt("commonmark").parse(line)
    if tokens and tokens[0].type == "heading_open":
        assert heading_text(line) == tokens[1].content


def test_heading_text_is_linear_on_a_long_run_of_blanks() -> None:
    """The bench's "heading + 1 MB of spaces": a regex closing-sequence search was quadratic on it."""
    import time

    from collab.text.grammar import heading_text

    started = time.perf_counter()
    assert heading_text("### Answer 1" + " " * 1_000_000 + "x") == "Answer 1" + " " * 1_000_000 + "x"
    assert time.perf_counter() - started < 5  # linear: a few ms; the quadratic search took minutes
