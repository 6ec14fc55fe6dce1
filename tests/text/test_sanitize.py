"""The sanitiser's rule, code point by code point (contract section 7, point 7): whatever could hide
from the person or act on the display is shown as a stand-in, and nothing else changes.

The expected set is computed here from other sources than :mod:`collab.text.sanitize` uses (the ``regex``
package's UCD): general categories from ``unicodedata2``, and Default_Ignorable_Code_Point derived
as DerivedCoreProperties.txt defines it, from the PropList.txt properties written out below.
Both UCDs must be of one Unicode version: when one moves ahead, the walks fail on the code points
newly assigned (Cn on one side only), and the two packages are to be brought level.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache

import pytest
import unicodedata2

from collab.text.sanitize import for_html, for_json, for_terminal

pytestmark = pytest.mark.timeout(60)


def _code_points(*spans: tuple[int, ...]) -> frozenset[int]:
    """The code points of ``spans``: each ``(first,)`` or ``(first, last)``, inclusive."""
    return frozenset(c for span in spans for c in range(span[0], span[-1] + 1))


# PropList.txt of Unicode 18.0, one property each.
OTHER_DEFAULT_IGNORABLE = _code_points(
    (0x034F,), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x2065,), (0x3164,), (0xFFA0,), (0xFFF0, 0xFFF8),
    (0xE0000,), (0xE0002, 0xE001F), (0xE0080, 0xE00FF), (0xE01F0, 0xE0FFF),
)  # fmt: skip
VARIATION_SELECTOR = _code_points((0x180B, 0x180D), (0x180F,), (0xFE00, 0xFE0F), (0xE0100, 0xE01EF))
WHITE_SPACE = _code_points(
    (0x09, 0x0D), (0x20,), (0x85,), (0xA0,), (0x1680,), (0x2000, 0x200A), (0x2028, 0x2029), (0x202F,),
    (0x205F,), (0x3000,),
)  # fmt: skip
PREPENDED_CONCATENATION_MARK = _code_points(
    (0x0600, 0x0605), (0x06DD,), (0x070F,), (0x0890, 0x0891), (0x08E2,), (0x110BD,), (0x110CD,)
)
#: Every code point a str read from UTF-8 can hold: all but the surrogates.
CODE_POINTS = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
UCD = f"unicodedata2 is Unicode {unicodedata2.unidata_version}: the installed regex must be too"
#: Bases to put before a code point ("" for none), each with the code points to walk after it.
Contexts = list[tuple[str, list[int]]]


def _category(code: int) -> str:
    return str(unicodedata2.category(chr(code)))


@cache
def _rule() -> tuple[frozenset[int], frozenset[int], list[int]]:
    """What the rule shows whatever precedes it; the nonspacing marks (shown with no base before
    them); and the code points whose category alone does not decide (neither Cn nor Co).

    The first set: general categories Cc, Cf, Co, Cn, Zl and Zp, and Default_Ignorable_Code_Point
    as DerivedCoreProperties.txt derives it (a view then keeps newline or tab as text).
    """
    categories = {c: _category(c) for c in CODE_POINTS}
    default_ignorable = (
        (OTHER_DEFAULT_IGNORABLE | {c for c, cat in categories.items() if cat == "Cf"} | VARIATION_SELECTOR)
        - WHITE_SPACE
        - _code_points((0xFFF9, 0xFFFB), (0x13430, 0x1343F))
        - PREPENDED_CONCATENATION_MARK
    )
    shown = {c for c, cat in categories.items() if cat in {"Cc", "Cf", "Co", "Cn", "Zl", "Zp"}} | default_ignorable
    marks = frozenset(c for c, cat in categories.items() if cat == "Mn")
    return frozenset(shown), marks, [c for c, cat in categories.items() if cat not in {"Cn", "Co"}]


def stand_in(code: int) -> str:
    """The stand-in the module docstring promises: a Control Picture for C0 and DEL, else ``<U+XXXX>``."""
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else f"<U+{code:04X}>"


@cache
def _visible(kept: str, base: str) -> frozenset[int]:
    """What a view that keeps ``kept`` as text shows after ``base`` (a letter, or "" for none)."""
    shown, marks, _ = _rule()
    return (shown - {ord(c) for c in kept}) | (frozenset() if base else marks)


@cache
def _stand_ins(html: bool) -> dict[int, str]:
    """The stand-in of every code point the rule can show, HTML-escaped or not."""
    shown, marks, _ = _rule()
    pieces = {c: stand_in(c) for c in shown | marks}
    return {c: p.replace("<", "&lt;").replace(">", "&gt;") for c, p in pieces.items()} if html else pieces


def _contexts() -> Contexts:
    """Each base to put before a code point ("" for none), and the code points to walk after it.

    With no base, every code point. After a letter, every code point but the unassigned and
    private-use ones (four in five), which their category alone decides.
    """
    return [("", CODE_POINTS), ("a", _rule()[2])]


def _mismatches(codes: list[int], shown: list[str], expected: list[str]) -> list[str]:
    assert len(shown) == len(expected), "a stand-in split or merged the pieces"
    if shown == expected:
        return []
    pieces = zip(codes, shown, expected, strict=True)
    return [f"U+{c:04X} ({_category(c)}) {s!r} != {e!r}" for c, s, e in pieces if s != e]


def _walk(show: Callable[[str], str], sep: str, kept: str, html: bool, contexts: Contexts) -> list[str]:
    """Each code point of each context through ``show``, after ``sep`` and the context's base.

    Returns one line per code point shown otherwise than the rule says.
    """
    wrong = []
    for base, walked in contexts:
        codes = [c for c in walked if chr(c) != sep]
        visible, pieces = _visible(kept, base), _stand_ins(html)
        expected = [base + (pieces[c] if c in visible else chr(c)) for c in codes]
        wrong += _mismatches(codes, show(sep.join(base + chr(c) for c in codes)).split(sep), expected)
    return wrong


VIEWS = {
    "terminal": (for_terminal, "\n", "\t\n", False),
    "one line": (lambda text: for_terminal(text, one_line=True), "\t", "\t", False),
    "html": (for_html, "\n", "\t\n", True),
}
ASCII = [("", list(range(0x80))), ("a", list(range(0x80)))]  # ASCII text alone takes a pattern of its own


@pytest.mark.parametrize("view", VIEWS)
def test_every_code_point_is_shown_as_the_rule_says(view: str) -> None:
    """Each Cc (but newline and tab), Cf, Co, Cn, Zl, Zp and Default_Ignorable code point, and each
    nonspacing mark with no base before it, is a stand-in; every other code point is unchanged."""
    show, sep, kept, html = VIEWS[view]
    wrong = _walk(show, sep, kept, html, ASCII) + _walk(show, sep, kept, html, _contexts())
    assert not wrong, f"{len(wrong)} code points shown wrongly, the first: {wrong[:20]}; {UCD}"


def _json_walk(contexts: Contexts) -> list[str]:
    wrong = []
    for base, codes in contexts:
        values = [base + chr(c) for c in codes]
        document = json.dumps(values, ensure_ascii=False)
        shown = for_json(document)
        assert json.loads(shown) == values
        # json itself escapes C0; with ensure_ascii it writes every other character as a \\uXXXX
        # escape (RFC 8259, section 7), which is what each character the rule shows must become.
        escaped, raw = json.dumps(values)[2:-2].split('", "'), document[2:-2].split('", "')
        visible = _visible("".join(map(chr, range(0x20))), base)
        expected = [e if c in visible else r for c, e, r in zip(codes, escaped, raw, strict=True)]
        wrong += _mismatches(codes, shown[2:-2].split('", "'), expected)
    return wrong


def test_every_code_point_is_escaped_in_json_as_the_rule_says() -> None:
    """--json escapes what the rule shows (a string's start has no base) and reads back the same."""
    wrong = _json_walk(ASCII) + _json_walk(_contexts())
    assert not wrong, f"{len(wrong)} code points escaped wrongly, the first: {wrong[:20]}; {UCD}"


@pytest.mark.parametrize("code", [0x00AD, 0x034F, 0x115F, 0x3164, 0x180E, 0x17B4, 0xFE0F, 0xE0100, 0xE01EF])
def test_fillers_and_selectors_that_showed_as_nothing_are_visible(code: int) -> None:
    """Soft hyphen, grapheme joiner, Hangul fillers, Mongolian vowel separator, Khmer inherent vowel
    and variation selectors are shown between two letters, and escaped in JSON."""
    text = f"a{chr(code)}b"
    assert for_terminal(text) == f"a<U+{code:04X}>b"
    assert for_terminal(text, one_line=True) == f"a<U+{code:04X}>b"
    assert for_html(f"<p>{text}</p>") == f"<p>a&lt;U+{code:04X}&gt;b</p>"
    shown = for_json(json.dumps(text, ensure_ascii=False))
    assert shown == json.dumps(text) and json.loads(shown) == text


ORDINARY = [
    "plain ASCII 0123456789 !?#&<>",
    "Grüße aus Köln, ça va, ñandú",
    "東京都の天気は晴れ、한국어 텍스트",
    "emoji 🙂👍🏽🎉 🇩🇪",
    "cafe\u0301 and n\u0303 and a\u0308\u0301",  # combining accents after a letter
    "नमस्ते दुनिया, สวัสดีครับ",  # Devanagari virama and Thai vowel marks on their consonants
    "مرحبا بالعالم، שלום עולם",  # right-to-left letters, no bidi controls
    "tab\tand\nnewline",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_passes_unchanged(text: str) -> None:
    """Letters, digits, CJK, emoji, and marks on a base character are left as they are."""
    assert for_terminal(text) == text
    assert for_html(text) == text
    assert json.loads(for_json(json.dumps(text, ensure_ascii=False))) == text
    assert for_json(json.dumps(text, ensure_ascii=False)) == json.dumps(text, ensure_ascii=False)


def test_a_mark_with_no_base_is_shown_wherever_a_view_starts_its_text() -> None:
    """A nonspacing mark at the start, after a newline, tab or stand-in, after a tag in HTML, and at
    a JSON string's start or after an escaped newline, is shown; a run of them is shown whole."""
    assert for_terminal("\u0301a\n\u0302b\t\u0303c\u200b\u0304\u0305") == (
        "<U+0301>a\n<U+0302>b\t<U+0303>c<U+200B><U+0304><U+0305>"
    )
    assert for_terminal("a\n\u0301", one_line=True) == "a\u240a<U+0301>"
    assert for_html("<p>\u0301a</p><p>e\u0301</p>") == "<p>&lt;U+0301&gt;a</p><p>e\u0301</p>"
    assert for_json(json.dumps(["\u0301", "x\n\u0302", "e\u0303"], ensure_ascii=False)) == (
        '["\\u0301", "x\\n\\u0302", "e\u0303"]'
    )


def test_the_emoji_presentation_selector_is_shown_too() -> None:
    """U+FE0F after an emoji is a variation selector like any other: shown, as the module says it is."""
    assert for_terminal("\u2764\ufe0f") == "\u2764<U+FE0F>"


def test_a_lone_surrogate_is_shown_rather_than_left_to_fail_at_encoding() -> None:
    """Category Cs is in the rule: a lone surrogate (from a path Python decoded with surrogateescape) is shown."""
    assert for_terminal("x\udc80") == "x<U+DC80>"
    assert json.loads(for_json(json.dumps("x\udc80", ensure_ascii=False))) == "x\udc80"
