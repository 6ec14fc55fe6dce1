import pytest

from collab.errors import ChannelFormatError
from collab.text.format import parse

ORIGINAL = b"""# Collab: Align the auth handshake

## Task
Align the auth handshake between site A and site B

## Requests
1. Which version of plugin X is active on your side?
2. Send the exact header names your endpoint expects.

## Answers

### Answer 1 (2026-06-22T14:02Z)
Plugin X is active. Version 2.1.0. Matches mine.
"""


def test_original_collab_style_parses():
    document = parse(ORIGINAL)
    assert document.header.title == "Align the auth handshake"
    assert document.header.task == "Align the auth handshake between site A and site B"
    assert [(r.number, r.text) for r in document.header.requests] == [
        (1, "Which version of plugin X is active on your side?"),
        (2, "Send the exact header names your endpoint expects."),
    ]
    [entry] = document.entries
    assert (entry.kind, entry.number, entry.timestamp, entry.author, entry.re) == (
        "answer",
        1,
        "2026-06-22T14:02:00Z",
        None,
        None,
    )
    assert entry.body == "Plugin X is active. Version 2.1.0. Matches mine."
    assert ORIGINAL[entry.start : entry.end].startswith(b"### Answer 1")
    assert entry.end == len(ORIGINAL)
    assert document.warnings == ()
    assert document.state == "open"


@pytest.mark.parametrize(
    "variant",
    [
        ORIGINAL.replace(b"\n", b"\r\n"),
        b"\xef\xbb\xbf" + ORIGINAL,
        ORIGINAL.rstrip(b"\n"),
    ],
    ids=["crlf", "bom", "no-final-newline"],
)
def test_hand_written_variants_read_the_same(variant):
    document = parse(variant)
    [entry] = document.entries
    assert entry.body == "Plugin X is active. Version 2.1.0. Matches mine."
    assert variant[entry.start : entry.start + 12] == b"### Answer 1"
    assert len(document.header.requests) == 2


def test_byte_offsets_count_multibyte_characters():
    data = ORIGINAL.replace(b"Align the auth", "Align the auth \u00e9\u00e9\u2603".encode()) + (
        "\n### Answer 2 from b\n\u2603 snow\n".encode()
    )
    document = parse(data)
    second = document.entries[1]
    assert data[second.start : second.end].decode().startswith("### Answer 2")
    assert second.body == "\u2603 snow"


def test_headings_inside_code_quotes_and_indents_are_not_entries():
    data = ORIGINAL + b"\n```\n### Answer 9\n```\n\n    ### Answer 8\n\n> ### Answer 7\n"
    document = parse(data)
    assert [e.number for e in document.entries] == [1]
    assert "### Answer 9" in document.entries[0].body


def test_questions_closed_and_re():
    data = ORIGINAL + (
        b"\n## Questions\n\n### Question 1 (2026-06-22T14:03:40Z) from site-b\nSign the body?\n"
        b"\n### Answer 2 (2026-06-22T14:05:02Z) from site-a re Question 1\nOnly the headers.\n"
        b"\n## Closed (2026-06-22T15:00:00Z) by site-a\n"
    )
    document = parse(data)
    assert [(e.kind, e.number, e.index) for e in document.entries] == [
        ("answer", 1, 1),
        ("question", 1, 2),
        ("answer", 2, 3),
    ]
    assert document.entries[2].re is not None and document.entries[2].re.label() == "Question 1"
    assert document.closed is not None
    assert (document.closed.timestamp, document.closed.author) == ("2026-06-22T15:00:00Z", "site-a")
    assert document.state == "closed"
    assert document.counters.questions_line
    assert document.entries[1].to_json() == {
        "kind": "question",
        "number": 1,
        "timestamp": "2026-06-22T14:03:40Z",
        "author": "site-b",
        "re": None,
        "body": "Sign the body?",
        "index": 2,
    }


def test_unreadable_and_odd_headings_warn_but_parse():
    data = ORIGINAL + (
        b"\nstray words\n\n### Answer: no number\nbody a\n\n### Answer 5\nskips\n\n### Answer 5\ntwice\n"
        b"\n## Notes\nafter\n\n## Answers\n"
    )
    document = parse(data)
    assert [e.number for e in document.entries] == [1, 2, 5, 5]
    joined = "\n".join(document.warnings)
    assert "has no number; read as Answer 2" in joined
    assert "Answer 5 follows Answer 2" in joined
    assert "Answer 5 appears twice" in joined
    assert "unexpected heading ## Notes" in joined
    assert "second '## Answers'" in joined
    assert "text outside any entry" in joined
    assert document.entries[0].body.endswith("stray words")
    line = int(document.warnings[0].split(":")[0].split()[1])
    assert data.decode().splitlines()[line - 1] == "### Answer: no number"


def test_unreadable_bytes_are_cut_and_reported_not_fatal():
    """Contract 7.4: a NUL or invalid UTF-8 cuts the readable part at its line; the rest is served."""
    for bad in (b"\x00\x01", b"\xff\xfe"):
        document = parse(ORIGINAL + b"\n### Answer 9\nfine\n" + bad + b"\n### Answer 10\nlost\n")
        assert [e.body for e in document.entries][-1:] == ["fine"]
        assert document.damage is not None and document.damage.offset == len(ORIGINAL) + len(b"\n### Answer 9\nfine\n")
        assert "cannot be read" in document.warnings[-1]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "no '## Answers' line"),
        (b"# just a title\n\nsome text\n", "no '## Answers' line"),
        (b"\xff\xfe binary", "not UTF-8"),
        (b"# x\n\n```\n## Answers\n```\n", "no '## Answers' line"),
    ],
)
def test_not_a_channel(data, message):
    with pytest.raises(ChannelFormatError, match=message):
        parse(data)


def test_the_answers_line_is_the_first_top_level_one():
    data = b"# t\n\n## Context\n```\n## Answers\n```\n\nAnswers\n-------\n\n### Answer 1\nx\n"
    document = parse(data)
    assert [e.body for e in document.entries] == ["x"]
    assert data[document.answers_offset :].startswith(b"Answers\n---")
    assert "## Answers" in document.header.context
