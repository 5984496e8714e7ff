"""Render an HTML body as readable plain text.

Used when a message has no text/plain part. Paragraphs, list items and quoted blocks are
kept, so quote stripping works on HTML-only replies too.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_text"]

# Tags that end a line, and the subset that also leaves a blank line (a paragraph break).
_LINE_TAGS = frozenset({"br", "div", "tr", "li", "hr", "pre", "section", "article"})
_PARAGRAPH_TAGS = frozenset(
    {"p", "blockquote", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"}
)
_SKIP_TAGS = frozenset({"script", "style", "head", "title"})


class _TextExtractor(HTMLParser):
    # Quoted blocks keep a "> " prefix so that quote stripping works on HTML-only replies.

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._chunks: list[str] = []
        self._quote = 0
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag == "br" and not "".join(self._chunks).strip():
            self.lines.append("")  # A second <br> in a row is an empty line.
        elif tag in _LINE_TAGS or tag in _PARAGRAPH_TAGS:
            self._break(paragraph=tag in _PARAGRAPH_TAGS)
            if tag == "blockquote":
                self._quote += 1
            elif tag == "li":
                self._chunks.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _LINE_TAGS or tag in _PARAGRAPH_TAGS:
            self._break(paragraph=tag in _PARAGRAPH_TAGS)
            if tag == "blockquote" and self._quote > 0:
                self._quote -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._chunks.append(data)

    def _break(self, *, paragraph: bool) -> None:
        # Inline tags split text into chunks without adding spaces ("a<b>b</b>" is "ab").
        line = " ".join("".join(self._chunks).split())
        self._chunks = []
        if line:
            self.lines.append("> " * self._quote + line)
        if paragraph and self.lines and self.lines[-1]:
            self.lines.append("")

    def finish(self) -> str:
        self._break(paragraph=False)
        text = "\n".join(self.lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip()


def html_to_text(html: str) -> str:
    """A readable plain-text rendering of ``html`` (paragraphs, lists, quotes kept)."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except Exception:  # A parser failure halfway still leaves useful text behind.
        pass
    return extractor.finish()
