"""Decode bytes of unknown or mislabelled charset into text, never failing.

Shared by header decoding (encoded words) and body decoding (MIME parts), so it lives apart
from both.
"""

from __future__ import annotations

__all__ = ["decode_bytes"]

# Mislabelled charsets are common; these supersets decode what the label promises and more.
_CHARSET_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "ks_c_5601-1987": "cp949",
    "unicode-1-1-utf-7": "utf-7",
}


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode body or header bytes; declared charset, then UTF-8, then never failing."""
    declared = (charset or "").strip().strip('"').lower()
    declared = _CHARSET_SUPERSETS.get(declared, declared)
    for codec, errors in ((declared, "strict"), ("utf-8", "strict"), (declared, "replace")):
        if not codec:
            continue
        try:
            return data.decode(codec, errors)
        except (LookupError, UnicodeError, TypeError, ValueError):
            continue
    return data.decode("latin-1")
