"""Subjects as thread keys, for replies whose client dropped the threading headers."""

from __future__ import annotations

import re

# Reply and forward prefixes of the mail clients buyers use, in any number and order, with
# the counters some add ("Re[2]:", "AW(3):"), and bracketed tags gateways add ("[EXT]").
_PREFIXES = re.compile(
    r"^(?:\s*(?:\[[^\]]{1,30}\]\s*)?"
    r"(?:re|aw|antw|sv|vs|r[ée]f\.?|odp|fw|fwd|wg|tr|rv|enc|doorst|回复|答复|回覆|转发|轉寄)"
    r"\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+",
    re.IGNORECASE,
)
_TAG = re.compile(r"^\s*\[[^\]]{1,30}\]\s*")


def thread_key(subject: str) -> str:
    """``subject`` without reply/forward prefixes and tags, case-folded, spaces collapsed."""
    text = " ".join(subject.split())
    for _ in range(5):
        stripped = _TAG.sub("", _PREFIXES.sub("", text))
        if stripped == text:
            break
        text = stripped
    return text.casefold()
