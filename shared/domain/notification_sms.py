"""Short SMS version of a rendered notification, cut from the first paragraph of its plain-text part."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for the annotation: template.py imports this module
    from shared.domain.template import RenderedNotification

DEFAULT_SMS_LIMIT = 320
MIN_SMS_LIMIT = 40
TEST_PREFIX = "[TEST] "
# Three dots, not the single-character ellipsis: it is not in the GSM-7 alphabet and would halve the SMS length.
ELLIPSIS = "..."


def sms_text(rendered: RenderedNotification, limit: int = DEFAULT_SMS_LIMIT) -> str:
    """At most `limit` chars: first paragraph, whitespace collapsed, cut at a word; a test call always shows TEST."""
    if limit < MIN_SMS_LIMIT:
        raise ValueError(f"limit must be at least {MIN_SMS_LIMIT}, got {limit}")
    body = " ".join(_first_paragraph(rendered.text).split())
    short = truncate(body, limit)
    if rendered.is_test and "TEST" not in short:
        short = TEST_PREFIX + truncate(body, limit - len(TEST_PREFIX))
    return short


def truncate(text: str, limit: int) -> str:
    """`text` if it fits, else cut at the last word boundary that leaves room for '...' (mid-word if none)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS) + 1]
    boundary = cut.rfind(" ")
    kept = cut[:boundary] if boundary > 0 else cut[:-1]
    return kept.rstrip(" ,;:-") + ELLIPSIS


def _first_paragraph(text: str) -> str:
    """Lines up to the first blank line after some content (all the text when there is no blank line)."""
    lines: list[str] = []
    for line in text.splitlines():
        if not line.strip() and lines:
            break
        if line.strip():
            lines.append(line)
    return "\n".join(lines)
