"""The header's request list: the fast reader agrees with mistune wherever it reads a list at all."""

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from collab.text import blocks, header
from collab.text.bodies import request_items

# Characters that start, end or change blocks, white space of every kind (Unicode's too), line
# separators Python knows but markdown does not, and plain letters and digits.
ALPHABET = "ab1090.)-*+#>`~=_<[]:|\\! \t\n\x0b\x0c\x1c\x85\xa0\u2028\u3000é"
texts = st.text(alphabet=ALPHABET, min_size=1, max_size=40)
# Request-like texts: words, a few of them marks that start blocks, joined by spaces, line ends and
# blank lines; most are plain, so that the fast reader takes many of them.
PLAIN_WORDS = ["a", "word", "10", "1.2", "x.", "é", "a,b", "(c)", "$", "1x", "a`b`", "<b>", "[a]", "a-b", "!"]
MARKS = ["1.", "2)", "-", "*", "+", "#", "##", ">", "```", "~~~", "[a]:", "===", "---", "_", "\\", "\t", "  ", "\xa0",
         "\x0c", "\u2028", "|", "<div>"]  # fmt: skip
words = st.sampled_from(PLAIN_WORDS * 12 + MARKS)
separators = st.sampled_from([" "] * 12 + ["\n"] * 3 + ["\n\n"] * 2 + ["\n\n\n", "\n   ", "  \n", "\t"])
request_like = st.lists(st.tuples(words, separators), min_size=1, max_size=8).map(
    lambda parts: "".join(word + sep for word, sep in parts)
)


def _read(section: str) -> tuple[tuple[int, str], ...]:
    """What the header reads: the fast reader's requests when it takes the text, mistune's otherwise."""
    return tuple(header._parse_requests(section))


def _by_mistune(section: str) -> tuple[tuple[int, str], ...]:
    return tuple(header._mistune_requests(section.replace("\r\n", "\n").replace("\r", "\n")))


def _agrees(section: str) -> bool:
    """Asserts the contract of the fast reader on ``section``; returns whether it took the text."""
    plain = header._plain_requests(section.replace("\r\n", "\n").replace("\r", "\n"))
    if plain is not None:
        assert tuple(plain) == _by_mistune(section)
    assert _read(section) == _by_mistune(section) or not section.strip()
    return plain is not None


@pytest.mark.parametrize(
    "requests",
    [["Which version of plugin X is active on your side?", "Send the exact header names."], ["one"],
     ["a first line\nand a second", "two paragraphs\n\nthe second"], [f"request {n}" for n in range(1, 13)],
     ["it costs 10 $ (about 9 EUR), see the 1.2.3 notes: done!", "2024 was a year, 1.5x"]],
)  # fmt: skip
def test_the_lists_collab_writes_are_read_without_mistune(requests: list[str]) -> None:
    section = request_items(requests) + "\n\n"
    assert _agrees(section)
    assert [r.text for r in header._plain_requests(section) or ()] == requests


@pytest.mark.parametrize(
    "section",
    ["1. a\n   - b\n\n", "1. a\n\n\n   b\n\n", "1. a\n\n2. b\n\n", "2. a\n\n", "1) a\n\n", "- a\n\n",
     "1. a  \n\n   b\n\n", "1. # a\n\n", "1. a\n   ```\n\n", "1. a\n    b\n\n", "some text\n\n1. a\n\n", "1. a\nb\n\n",
     "10. a\n   b\n\n", "1. a\n   b\n2. c\n\nmore\n", "1.  a\n\n", "1. a\n   [x]: /url\n\n", "1. a\n   ---\n\n"],
)  # fmt: skip
def test_anything_else_is_left_to_mistune(section: str) -> None:
    assert not _agrees(section)


def test_no_requests() -> None:
    assert _read("") == _read("\n\n") == _read(" \n") == ()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(request_like | texts, min_size=1, max_size=4) | st.lists(request_like, min_size=9, max_size=12))
@example(["a\n b"])
@example(["a\x0cb"])
@example(["a\u2028b"])
def test_fast_reader_agrees_with_mistune_on_request_texts(requests: list[str]) -> None:
    """For any request texts, written as ``collab start`` writes them: where the fast reader takes the
    list, mistune reads the same requests; and a list of one-line plain requests is always taken."""
    kept = [blocks.normalize_body(r) for r in requests]
    if not all(kept):
        return
    section = request_items(kept) + "\n\n"
    took = _agrees(section)
    if all(header._PLAIN_LINE.fullmatch(text) for text in kept):
        assert took


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ALPHABET + "\r", max_size=80))
def test_fast_reader_agrees_with_mistune_on_any_section(section: str) -> None:
    """A section edited by hand: whatever the fast reader takes, mistune reads the same."""
    _agrees(section)


EDITS = [" ", "\n", "\n\n", "   ", " ", "1. ", "2. ", "10. ", "- ", "#", "\t", "x", "\xa0", ""]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(request_like, min_size=1, max_size=11),
    st.lists(st.tuples(st.integers(0), st.integers(0, 3), st.sampled_from(EDITS)), max_size=3),
)
def test_fast_reader_agrees_with_mistune_on_edited_lists(requests: list[str], edits: list[tuple[int, int, str]]):
    """A list as collab writes it, then edited by hand (characters cut out, others put in)."""
    kept = [text for text in (blocks.normalize_body(r) for r in requests) if text]
    section = request_items(kept) + "\n\n"
    for at, cut, text in edits:
        at %= len(section) + 1
        section = section[:at] + text + section[at + cut :]
    _agrees(section)
