"""The SMS of a notification: the first paragraph of its plain-text part, sized in SMS segments as networks count them.

A message is GSM-7 when every character is in the GSM 03.38 alphabet (160 septets in one segment, 153 per segment of
a longer one; ^ { } [ ] ~ \\ | and € are escaped and take two), else UCS-2 for the whole message (70 code units in
one segment, 67 per segment; an emoji takes two). A part never ends between the two halves of an escaped character
or of an emoji. Accented letters the alphabet lacks (á, ô, ł) and typographic punctuation (’ “ – …) are written in
their closest GSM-7 form first: one name spelt with an acute accent would otherwise halve what the SMS can carry.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # only for the annotation: template.py imports this module
    from shared.domain.template import RenderedNotification

Encoding = Literal["GSM-7", "UCS-2"]
MAX_SEGMENTS = 2  # what the notification's SMS must fit in: its first lines are never split over three
REPLY_ASK = " Reply 1 to acknowledge."  # what an SMS that can be acknowledged ends with (issue 20), in en-US
TEST_PREFIX = "[TEST] "
# Three dots, not the single-character ellipsis: it is not in the GSM-7 alphabet and would halve the SMS length.
ELLIPSIS = "..."
_SINGLE = {"GSM-7": 160, "UCS-2": 70}  # units in a message of one segment
_PART = {"GSM-7": 153, "UCS-2": 67}  # units per segment of a concatenated message (the rest is its header)
_NEAREST = {  # characters outside GSM-7 that NFKD does not reduce to GSM-7, and what an SMS writes instead
    **dict.fromkeys("‘’‚‛′`´", "'"), **dict.fromkeys("“”„‟″«»", '"'), **dict.fromkeys("‐‑‒–—―−•·", "-"),
    "…": "...", "⁄": "/", "×": "x", "©": "(c)", "®": "(R)", "Œ": "OE", "œ": "oe", "Ł": "L", "ł": "l", "Đ": "D",
    "đ": "d", "Ð": "D", "ð": "d", "Þ": "Th", "þ": "th", "ı": "i",
}


@dataclass(frozen=True)
class SmsSize:
    """How a network sends a text: its encoding, its length in that encoding's units and its segments."""

    encoding: Encoding
    units: int  # septets in GSM-7 (an escaped character counts 2), UTF-16 code units in UCS-2
    segments: int


def reply_ask(locale: str) -> str:
    """REPLY_ASK in `locale` (the catalogue's sms.reply), with the space that joins it to the message."""
    from shared.domain.notification_locale import text

    return " " + text(locale, "sms.reply")


def capacity(encoding: Encoding, segments: int) -> int:
    """Units that `segments` segments carry: GSM-7 160, 306, 459…; UCS-2 70, 134, 201…"""
    return _SINGLE[encoding] if segments == 1 else _PART[encoding] * segments


def sms_size(text: str) -> SmsSize:
    """The encoding, units and segments of `text` as sent (no character is changed here: see gsm_form)."""
    weights = [_septets(ch) for ch in text]
    if all(w is not None for w in weights):
        return _packed("GSM-7", [w or 0 for w in weights])
    return _packed("UCS-2", [2 if ord(ch) > 0xFFFF else 1 for ch in text])


def gsm_form(text: str) -> str:
    """`text` with each character outside GSM-7 replaced by its GSM-7 form when it has one (á→a, ô→o, ’→', –→-),
    control and invisible format characters dropped; other characters (Ж, 中, emoji) are kept, and make it UCS-2."""
    return "".join(_gsm_char(ch) for ch in text)


def first_lines(rendered: RenderedNotification) -> str:
    """What the SMS says before any cut: the text's first paragraph on one line, in GSM-7 form where it can be."""
    return gsm_form(" ".join(_first_paragraph(rendered.text).split()))


def uncut_sms(rendered: RenderedNotification, suffix: str = "") -> str:
    """The SMS sms_text sends when it need not cut: first_lines (TEST in front of a test call's) and `suffix`."""
    body = first_lines(rendered)
    return (TEST_PREFIX if rendered.is_test and "TEST" not in body else "") + body + suffix


def sms_text(rendered: RenderedNotification, suffix: str = "", max_segments: int = MAX_SEGMENTS) -> str:
    """The SMS as sent: first_lines, cut at a word (with '...') so that it and `suffix` fit in `max_segments`; a test
    call always shows TEST. ValueError when `suffix` leaves no room for the message."""
    if max_segments < 1:
        raise ValueError(f"max_segments must be at least 1, got {max_segments}")
    body = first_lines(rendered)
    short = _fit(body, "", suffix, max_segments)
    if rendered.is_test and "TEST" not in short:
        short = _fit(body, TEST_PREFIX, suffix, max_segments)
    return short + suffix


def fits(text: str, max_segments: int = MAX_SEGMENTS) -> bool:
    """True when `text` is sent in at most `max_segments` segments."""
    return sms_size(text).segments <= max_segments


def _fit(body: str, prefix: str, suffix: str, max_segments: int) -> str:
    """prefix + body if it fits with `suffix`, else prefix + the most whole words of body that fit with '...'."""
    if fits(prefix + body + suffix, max_segments):
        return prefix + body
    if not fits(prefix + ELLIPSIS + suffix, max_segments):
        raise ValueError(f"{suffix!r} leaves no room for the message in {max_segments} segment(s)")
    kept = prefix
    for word in body.split(" "):
        longer = f"{kept}{word} "
        if not fits(longer.rstrip(" ,;:-") + ELLIPSIS + suffix, max_segments):
            break
        kept = longer
    if kept == prefix:  # not even the first word fits: cut inside it
        for ch in body:
            if not fits(kept + ch + ELLIPSIS + suffix, max_segments):
                break
            kept += ch
    return kept.rstrip(" ,;:-") + ELLIPSIS


def _packed(encoding: Encoding, weights: list[int]) -> SmsSize:
    """Segments as a sender fills them: whole characters only, so a two-unit character may start the next part."""
    units = sum(weights)
    if units <= _SINGLE[encoding]:
        return SmsSize(encoding, units, 1 if units else 0)
    segments, used = 1, 0
    for w in weights:
        if used + w > _PART[encoding]:
            segments, used = segments + 1, 0
        used += w
    return SmsSize(encoding, units, segments)


@lru_cache(maxsize=4096)
def _septets(ch: str) -> int | None:
    """1 for a character of the GSM-7 basic set, 2 for one of its extension table, None outside GSM-7."""
    _register_codec()
    try:
        return len(ch.encode("gsm03.38"))
    except UnicodeEncodeError:
        return None


@cache
def _register_codec() -> None:
    """gsm0338 registers the 'gsm03.38' codec when imported; loaded on first use, not when the app is indexed."""
    import gsm0338  # noqa: F401

    codecs.lookup("gsm03.38")


@lru_cache(maxsize=4096)
def _gsm_char(ch: str) -> str:
    if unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n\r":
        return ""  # ESC and form feed are GSM-7 codes, but never text: dropped with the invisible characters
    if _septets(ch) is not None:
        return ch
    if ch in _NEAREST:
        return _NEAREST[ch]
    base = "".join(_NEAREST.get(c, c) for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return base if base and all(_septets(c) is not None for c in base) else ch


def _first_paragraph(text: str) -> str:
    """Lines up to the first blank line after some content (all the text when there is no blank line)."""
    lines: list[str] = []
    for line in text.splitlines():
        if not line.strip() and lines:
            break
        if line.strip():
            lines.append(line)
    return "\n".join(lines)
