"""The rep's own words in an enrolled mail: subject and new body text, quotes and signature cut.

An enrolled PI often answers the buyer's inquiry, quoted below it with the buyer's older
prices and dates; only what the rep wrote now describes the deal. The work is bounded
whatever arrives: the body is cut to its first ``MAX_TEXT`` characters and ``MAX_LINES``
lines before anything else reads it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from followupd.approval.commands import strip_quoted

__all__ = ["MAX_LINES", "MAX_TEXT", "Line", "own_lines"]

MAX_TEXT = 20_000
MAX_LINES = 400
# HTML converted to text may hold a whole mail on one line.
MAX_LINE = MAX_TEXT
MAX_SUBJECT = 500

# Quote openers of the clients buyers in Spanish, Portuguese and Russian use, which the
# shared reply grammar does not know, and the signature separator.
_STARTS_OLD = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"^el\b.{0,300}\bescribi[óo]\s?:$",
        r"^em\b.{0,300}\bescreveu\s?:$",
        r"^.{0,300}\bнаписал\(?а?\)?\s?:$",
        r"^-{2,}\s*(?:mensaje original|mensagem original|исходное сообщение|"
        r"пересылаемое сообщение|message transféré|mensaje reenviado|mensagem encaminhada)",
        r"^--\s*$",
    )
)
_HEADER_FROM = re.compile(r"^\*?(?:от|de|from)\s*:", re.IGNORECASE)
_HEADER_FIELD = re.compile(
    r"^\*?(?:enviado|enviada|para|asunto|assunto|fecha|data|отправлено|дата|кому|тема)\s*:",
    re.IGNORECASE,
)
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")


@dataclass(frozen=True, slots=True)
class Line:
    """One non-empty line of the rep's own text and where it is: "subject" or "body"."""

    source: str
    text: str


def own_lines(subject: str, text: str) -> list[Line]:
    """The subject, then the lines of the rep's new text; quotes and signature left out."""
    lines = [Line("subject", _normal(subject[:MAX_SUBJECT])[:MAX_SUBJECT].strip())]
    body = strip_quoted(_normal(text[:MAX_TEXT])[:MAX_TEXT])
    raw = [x.strip()[:MAX_LINE] for x in body.split("\n")[:MAX_LINES]]
    for index, line in enumerate(raw):
        if _starts_old(line, raw[index + 1 : index + 5]):
            break
        if line:
            lines.append(Line("body", line))
    return [line for line in lines if line.text]


def _normal(text: str) -> str:
    # NFKC turns full-width digits, colons and currency signs ("１２，４８０", "：", "￥")
    # and no-break spaces into the plain ones the patterns look for.
    text = unicodedata.normalize("NFKC", text)
    return _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))


def _starts_old(line: str, following: list[str]) -> bool:
    if any(pattern.match(line) for pattern in _STARTS_OLD):
        return True
    # An Outlook-style header block: "De: ..." followed by "Enviado: ...", "Para: ...".
    return bool(_HEADER_FROM.match(line)) and any(_HEADER_FIELD.match(x) for x in following)
