"""One policy for untrusted text shown to a person: nothing in it acts on the display, nothing hides.

Channel text (task, bodies, authors, headings, paths, diffs, error messages that quote any of
these) is data. Some characters in it could act on the display, or hide from the person what an
agent reading the same text receives. The rule names them by Unicode property, as the Unicode
Character Database (UCD) of the ``regex`` package assigns them, never by a hand-kept list:

- **General category Other** (``C``; UAX #44, section 5.7.1): controls ``Cc`` (the ECMA-48 C0
  set U+0000-U+001F, DEL U+007F and the C1 set U+0080-U+009F, whose ESC, CSI U+009B and OSC
  U+009D start sequences that clear the screen, retitle the window or write the clipboard; CR and
  BS overwrite what was shown), format characters ``Cf`` (among them the bidirectional controls
  of UAX #9, which reorder what is displayed, CVE-2021-42574 "Trojan Source"; zero-width space,
  joiners, U+FEFF, U+00AD, U+180E, and the tag characters U+E0001-U+E007F that spell out ASCII a
  model reads and a person does not see), surrogates ``Cs``, private use ``Co`` and unassigned
  code points ``Cn``, which a terminal or a font may show as nothing.
- **Default_Ignorable_Code_Point** (UAX #44; the derivation is in DerivedCoreProperties.txt):
  what a renderer shows as nothing when it has no glyph. Besides ``Cf`` it holds the variation
  selectors U+FE00-U+FE0F and U+E0100-U+E01EF, which can spell a whole hidden sentence after a
  visible one, and fillers such as U+034F, U+115F, U+17B4 and U+3164.
- **The line and paragraph separators** U+2028/U+2029 (categories ``Zl``/``Zp``), which break a
  line in some displays and not in others.
- **A nonspacing mark (``Mn``) with no base character before it**: at the start of the text,
  after a newline or tab, or after another character of this rule, where it draws on nothing. A
  mark after a letter (``e`` + U+0301) is ordinary text. A run of such marks is shown whole.

Newline and tab are ordinary text (except in one-line values). Every other character above is
*made visible*, never dropped, so a person can see that it is there: a C0 character becomes its
Control Picture (Unicode block U+2400-U+243F: ESC shows as U+241B), DEL becomes U+2421, and the
rest show as ``<U+XXXX>``.

The rule has a cost, accepted: emoji presentation selector U+FE0F after an emoji is a variation
selector too, so ``❤️`` shows as ``❤<U+FE0F>``, as the zero-width joiner inside an emoji sequence
already did; so do private-use icons (``Co``) and characters newer than the ``regex`` package's
UCD (``Cn``).

:func:`for_terminal` applies this to text for a terminal or a pipe, :func:`for_html` to rendered
HTML, and :func:`for_json` to serialised JSON, where the characters are escaped (``\\ufe0f``)
instead, so a JSON reader still gets the original text back. :func:`for_channel` is the narrower
rule for what collab writes into a channel file.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    import regex

#: Each character with one of these properties is made visible (regex syntax; see the module docstring).
_PROPERTIES = r"\p{C}\p{Default_Ignorable_Code_Point}"
_SEPARATORS = "\u2028\u2029"
_HIDDEN = _PROPERTIES + _SEPARATORS

#: Per view: the characters of ``_HIDDEN`` it keeps as they are; what else (a regex alternative,
#: or "") counts as "no base character" before a nonspacing mark in its text; and the characters of
#: the rule that ASCII holds (C0 and DEL are category Cc; no other ASCII character is in the rule).
_VIEWS = {
    "terminal": (r"\t\n", "", "[\x00-\x08\x0b-\x1f\x7f]"),
    "one_line": (r"\t", "", "[\x00-\x08\x0a-\x1f\x7f]"),
    # In collab's HTML a text node starts after the ">" of a tag; text writes its ">" as "&gt;".
    "html": (r"\t\n", ">", "[\x00-\x08\x0b-\x1f\x7f]"),
    # JSON escapes C0 itself (RFC 8259, section 7), and its layout uses raw newlines. Inside a
    # string a value starts after '"', and a line or a control after an escape such as \n.
    "json": (r"\x00-\x1f", r'"|\\[bfnrt]|\\u[0-9a-fA-F]{4}', "\x7f"),
}

#: ASCII text (which ``str.isascii`` tells at no cost) takes these ``re`` patterns: several times
#: faster on a long body, and ``import regex`` is left to the first text that needs it, which
#: ``collab answer`` printing an ASCII path never does.
_ASCII = {name: re.compile(ascii_hidden) for name, (_, _, ascii_hidden) in _VIEWS.items()}


@cache
def _full(name: str) -> regex.Pattern[str]:
    """The compiled rule of one view, for text that is not ASCII."""
    import regex

    kept, after, _ = _VIEWS[name]
    no_base = f"^|[{_HIDDEN}]" + (f"|{after}" if after else "")
    # The separators are an alternative of their own: regex tests a class member by member, so each
    # member more in the class slows every character of text that is not ASCII.
    return regex.compile(
        rf"(?V1)[[{_PROPERTIES}]--[{kept}]]|[{_SEPARATORS}]|\p{{Mn}}(?<=(?:{no_base})\p{{Mn}})\p{{Mn}}*"
    )


def _sub(name: str, replace: Callable[[int], str], text: str) -> str:
    def stand_ins(match: re.Match[str] | regex.Match[str]) -> str:
        found = match.group()
        return replace(ord(found)) if len(found) == 1 else "".join(replace(ord(c)) for c in found)

    return (_ASCII[name] if text.isascii() else _full(name)).sub(stand_ins, text)


def _stand_in(code: int) -> str:
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return f"<U+{code:04X}>"


def for_terminal(text: str, *, one_line: bool = False) -> str:
    """Return ``text`` with every character of the policy (see the module docstring) made visible.

    Args:
        text: untrusted text.
        one_line: also make newlines visible (as U+240A), for a value printed on one line of a
            listing, such as a task in ``collab ls`` or a path, so it cannot start a line of its own.

    Returns:
        The text with each such character replaced by its stand-in (see the module docstring).
    """
    return _sub("one_line" if one_line else "terminal", _stand_in, text)


def for_html(markup: str) -> str:
    """Return rendered HTML with every character of the policy (see the module docstring) made visible.

    ``markup`` is HTML that collab produced (tags, attributes, escaped text), so the stand-ins
    are written HTML-escaped (``&lt;U+202E&gt;``): these characters never occur in tags or entity
    names, so only text and attribute values change. Character references that a markdown renderer
    has already decoded (``&#27;`` in a body) are caught too, since this runs on its output. A
    nonspacing mark right after a tag starts a text node with no base character, so it is shown.
    """
    return _sub("html", _html_stand_in, markup)


def _html_stand_in(code: int) -> str:
    return _stand_in(code).replace("<", "&lt;").replace(">", "&gt;")


def _json_escape(code: int) -> str:
    if code > 0xFFFF:  # JSON writes a character outside the BMP as a UTF-16 surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def for_json(document: str) -> str:
    """Return serialised JSON with every character of the policy but C0 as ``\\uXXXX`` escapes.

    ``document`` is JSON text as ``json.dumps(..., ensure_ascii=False)`` writes it, which already
    escapes C0 controls. The result is the same JSON value: ``json.loads`` gives back the original
    strings. Outside of strings, JSON text is ASCII, so only string contents change.
    """
    return _sub("json", _json_escape, document)


_CHANNEL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def for_channel(body: str) -> str:
    """``body`` as collab writes it into a channel: C0 controls (but newline and tab), DEL and C1
    controls (ECMA-48) made visible, so ``cat`` of the file cannot drive a terminal.

    Format, invisible and combining characters are kept (right-to-left text needs the bidi
    controls, emoji their selectors); every view makes them visible (:func:`for_terminal`).
    """
    return _CHANNEL.sub(lambda match: _stand_in(ord(match.group())), body)
