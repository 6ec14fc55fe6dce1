"""One policy for untrusted text shown to a person: nothing in it acts on the display, nothing hides.

Channel text (task, bodies, authors, headings, paths, diffs, error messages that quote any of
these) is data. Three kinds of character in it could act on the display, or hide from the person
what an agent reading the same text receives:

- **Control characters** (ECMA-48, the standard behind terminal escape sequences): the C0 set
  U+0000-U+001F, DEL U+007F and the C1 set U+0080-U+009F. ESC and the 8-bit C1 introducers
  (CSI U+009B, OSC U+009D, ...) start sequences that clear the screen, retitle the window or
  write the clipboard (OSC 52); CR and BS overwrite what was shown.
- **Bidirectional formatting characters** (Unicode UAX #9, "Unicode Bidirectional Algorithm",
  section 2): the embeddings and overrides U+202A-U+202E, the isolates U+2066-U+2069 and the
  marks U+200E, U+200F, U+061C. They reorder what is displayed, so text reads differently from
  what it is (CVE-2021-42574, "Trojan Source").
- **Invisible characters** that display as nothing: zero-width space, non-joiner and joiner
  U+200B-U+200D, word joiner U+2060, the invisible operators U+2061-U+2064, U+FEFF, the line and
  paragraph separators U+2028/U+2029, and the tag characters U+E0000-U+E007F, which spell out
  ASCII that a model reads and a person does not see.

Newline and tab are ordinary text. Every other character above is *made visible*, never dropped,
so a person can see that it is there: a C0 character becomes its Control Picture (Unicode block
U+2400-U+243F: ESC shows as U+241B), DEL becomes U+2421, and the rest show as ``<U+XXXX>``.

:func:`for_terminal` applies this to text for a terminal or a pipe, :func:`for_html` to rendered
HTML, and :func:`for_json` to serialised JSON, where the characters are escaped (``\\u009b``)
instead, so a JSON reader still gets the original text back.
"""

from __future__ import annotations

import re

# Written as ranges of the character classes below; each range is named in the module docstring.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_INVISIBLE = "\u200b-\u200d\u2028\u2029\u2060-\u2064\ufeff\U000e0000-\U000e007f"

_TERMINAL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}{_INVISIBLE}]")
_ONE_LINE = re.compile(f"[\x00-\x08\x0a-\x1f\x7f-\x9f{_BIDI}{_INVISIBLE}]")
# JSON itself escapes C0 (RFC 8259, section 7); everything else in the policy is left raw by it.
_JSON = re.compile(f"[\x7f-\x9f{_BIDI}{_INVISIBLE}]")


def _stand_in(code: int) -> str:
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return f"<U+{code:04X}>"


def for_terminal(text: str, *, one_line: bool = False) -> str:
    """Return ``text`` with every control, bidirectional and invisible character made visible.

    Args:
        text: untrusted text.
        one_line: also make newlines visible (as U+240A), for a value printed on one line of a
            listing, such as a task in ``collab ls`` or a path, so it cannot start a line of its own.

    Returns:
        The text with each such character replaced by its stand-in (see the module docstring).
    """
    pattern = _ONE_LINE if one_line else _TERMINAL
    return pattern.sub(lambda match: _stand_in(ord(match.group())), text)


def for_html(markup: str) -> str:
    """Return rendered HTML with every control, bidirectional and invisible character made visible.

    ``markup`` is HTML that collab produced (tags, attributes, escaped text), so the stand-ins
    are written HTML-escaped (``&lt;U+202E&gt;``): these characters never occur in tags or entity
    names, so only text and attribute values change. Character references that a markdown renderer
    has already decoded (``&#27;`` in a body) are caught too, since this runs on its output.
    """
    return _TERMINAL.sub(_html_stand_in, markup)


def _html_stand_in(match: re.Match[str]) -> str:
    return _stand_in(ord(match.group())).replace("<", "&lt;").replace(">", "&gt;")


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # JSON writes a character outside the BMP as a UTF-16 surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def for_json(document: str) -> str:
    """Return serialised JSON with DEL, C1, bidirectional and invisible characters as ``\\uXXXX`` escapes.

    The result is the same JSON value: ``json.loads`` gives back the original strings. Outside of
    strings, JSON text is ASCII, so only string contents change.
    """
    return _JSON.sub(_json_escape, document)


_CHANNEL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def for_channel(body: str) -> str:
    """``body`` as collab writes it into a channel: C0 controls (but newline and tab), DEL and C1
    controls (ECMA-48) made visible, so ``cat`` of the file cannot drive a terminal.

    Bidirectional and zero-width characters are kept (right-to-left text needs them); every view
    makes them visible (:func:`for_terminal`).
    """
    return _CHANNEL.sub(lambda match: _stand_in(ord(match.group())), body)
