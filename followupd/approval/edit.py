"""An edited draft in the rep's reply: the text between the review mail's markers.

The markers are the same whatever the rep's language, so a reply is read the same way.

The rep's mail client quotes the review mail before the rep edits it: with "> " prefixes
(plain-text clients, and HTML replies after :func:`~followupd.mail.htmltext.html_to_text`)
or without any prefix (Outlook). Reading the edit undoes that quoting, drops what the
client added on its own, and refuses anything that could not be sent safely: the rep is
told why and can reply again, while the draft stays as it was.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from followupd.approval.commands import strip_quoted

__all__ = [
    "DRAFT_END",
    "DRAFT_START",
    "MAX_CHARS",
    "EditResult",
    "extract_edit",
    "mark_draft",
    "normalise",
]

DRAFT_START = "=== DRAFT START (edit below) ==="
DRAFT_END = "=== DRAFT END ==="

# Far above any follow-up a buyer reads; a longer "edit" is a pasted attachment or a mistake.
MAX_CHARS = 20000


@dataclass(frozen=True, kw_only=True, slots=True)
class EditResult:
    """The rep's edited draft: ``text`` to send, or ``problems`` saying why it is refused."""

    text: str
    problems: tuple[str, ...]

    def __post_init__(self) -> None:
        # A refused edit must never be sent by mistake, so it carries no text at all.
        if self.problems and self.text:
            raise ValueError("a refused edit carries no text")
        if not self.problems and not self.text.strip():
            raise ValueError("an accepted edit needs text")


def mark_draft(body: str) -> str:
    """The draft ``body`` between the markers, as the review mail shows it for editing."""
    body = body.replace("\r\n", "\n").replace("\r", "\n").rstrip()
    return f"{DRAFT_START}\n{body}\n{DRAFT_END}\n"


# Invisible characters mail clients leave behind: no-break spaces (Outlook quoting, HTML
# "&nbsp;") become spaces; zero-width spaces and byte-order marks go. Zero-width joiners
# stay, because emoji and several scripts need them.
_INVISIBLE = str.maketrans({"\u00a0": " ", "\u200b": None, "\u2060": None, "\ufeff": None})


def normalise(text: str) -> str:
    """``text`` with LF line ends, no trailing spaces, invisible characters cleaned up,
    at most two blank lines in a row and no blank lines at the start or end.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE)
    text = "\n".join(line.rstrip() for line in unicodedata.normalize("NFC", text).split("\n"))
    return re.sub(r"\n{4,}", "\n\n\n", text).strip("\n")


def extract_edit(reply_text: str, original: str) -> EditResult | None:
    """The edited draft in ``reply_text`` (the plain text of the rep's whole reply).

    None when the reply holds no marker at all, or when the text between the markers is
    ``original`` again (the rep only quoted the draft; changes of whitespace alone, such as
    lines re-wrapped by the client, are no edit). Otherwise an :class:`EditResult`, refused
    with ``problems`` when the markers are ambiguous or the edit cannot be sent safely.
    """
    lines = reply_text.replace("\r\n", "\n").split("\n")
    marks = _find_marks(lines)
    if not marks:
        return None
    kinds = [mark.kind for mark in marks]
    problem = _marker_problem(kinds)
    if problem:
        return _refuse(problem)
    pairs = list(zip(marks[::2], marks[1::2], strict=True))
    edits = [_between(lines, start, end) for start, end in pairs]
    if all(_same(edit, original) for edit in edits):
        return None
    if len(pairs) > 1:
        return _refuse(_AMBIGUOUS)
    start, end = pairs[0]
    if start.inline or end.inline:
        return _refuse(_JOINED)
    return _checked(edits[0], original)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Mark:
    kind: Literal["start", "end"]
    line: int
    begin: int  # Columns of the marker in its line.
    end: int
    depth: int  # How many quote levels (">") the line has.
    inline: bool  # Other text shares the marker's line.


def _marker_pattern(marker: str) -> str:
    # Clients re-space lines (HTML conversion collapses runs, Outlook uses no-break spaces).
    return r"[ \t\u00a0]+".join(re.escape(word) for word in marker.split())


_MARKERS = re.compile(
    f"(?P<start>{_marker_pattern(DRAFT_START)})|(?P<end>{_marker_pattern(DRAFT_END)})"
)
_QUOTE = re.compile(r"(?:[ \t]*>)+")
_LEVEL = re.compile(r"[ \t]*>")


def _find_marks(lines: list[str]) -> list[_Mark]:
    marks: list[_Mark] = []
    for index, line in enumerate(lines):
        found = list(_MARKERS.finditer(line))
        if not found:
            continue
        prefix = _QUOTE.match(line)
        depth = prefix.group(0).count(">") if prefix else 0
        rest = _MARKERS.sub("", line[prefix.end() if prefix else 0 :])
        inline = bool(rest.translate(_INVISIBLE).strip())
        marks.extend(
            _Mark(
                kind="start" if match.group("start") else "end",
                line=index,
                begin=match.start(),
                end=match.end(),
                depth=depth,
                inline=inline,
            )
            for match in found
        )
    return marks


_MISSING_END = (
    f"the reply has the line '{DRAFT_START}' but not '{DRAFT_END}', so it is unclear where "
    "your edit ends; keep both lines around the draft and reply again"
)
_MISSING_START = (
    f"the reply has the line '{DRAFT_END}' but not '{DRAFT_START}', so it is unclear where "
    "your edit begins; keep both lines around the draft and reply again"
)
_WRONG_ORDER = (
    f"the line '{DRAFT_END}' comes before '{DRAFT_START}'; keep your edit between the two "
    "lines, the start line first, and reply again"
)
_AMBIGUOUS = (
    "the reply contains the draft markers more than once, so it is unclear which copy is "
    "your edit; keep a single copy of the draft between the markers and reply again"
)
_JOINED = (
    "the draft markers are not on lines of their own, so your mail program has probably "
    "joined the lines of the draft; keep each marker on its own line (or reply in plain "
    "text) and reply again"
)


def _marker_problem(kinds: list[Literal["start", "end"]]) -> str:
    if "end" not in kinds:
        return _MISSING_END
    if "start" not in kinds:
        return _MISSING_START
    if kinds == ["start", "end"] * (len(kinds) // 2):
        return ""
    # An end before any start: markers swapped. Anything else is nested or unbalanced.
    return _WRONG_ORDER if kinds[0] == "end" else _AMBIGUOUS


def _between(lines: list[str], start: _Mark, end: _Mark) -> str:
    if start.line == end.line:
        return lines[start.line][start.end : end.begin]
    # The start marker's quote depth is the client's quoting; deeper levels are the draft's
    # own quotes (a follow-up may quote the buyer) and lines the rep typed may have none.
    body = [lines[start.line][start.end :]]
    body += [_unquote(line, start.depth) for line in lines[start.line + 1 : end.line]]
    body.append(_unquote(lines[end.line][: end.begin], start.depth))
    return "\n".join(_drop_client_tail(body))


def _unquote(line: str, depth: int) -> str:
    removed = 0
    while removed < depth and (level := _LEVEL.match(line)):
        line = line[level.end() :]
        removed += 1
    return line[1:] if removed and line.startswith(" ") else line


# Signatures a mail client appends by itself (never the rep's own closing), whole lines.
_CLIENT_SIGNATURES = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"sent from my (iphone|ipad|android|mobile( phone| device)?|smartphone|"
        r"(samsung|galaxy|huawei|honor|xiaomi|oppo|vivo|blackberry|pixel)\b.{0,40})\.?",
        r"sent from (mail|outlook|yahoo mail|aol mobile mail)( for \w+( \d+)?)?\.?",
        r"get outlook for (ios|android|mac)\.?",
        r"(发自|来自)我的\s?(iphone|ipad|android|手机|华为手机|小米手机|荣耀手机)",
        r"从我的\s?(iphone|ipad|android|手机)\s?发送",
        r"(发自|来自)(网易邮箱大师|qq邮箱|手机qq邮箱)",
        r"von meinem (iphone|ipad|android|smartphone|handy) gesendet\.?",
        r"envoyé de mon (iphone|ipad|android|smartphone|mobile)\.?",
        r"enviado desde mi (iphone|ipad|android|smartphone|celular|móvil)\.?",
    )
)
# Outlook writes its link into the signature: "Get Outlook for iOS<https://aka.ms/…>".
_LINK = re.compile(r"\s*<https?://[^\s>]*>")


def _drop_client_tail(lines: list[str]) -> list[str]:
    """``lines`` without client signatures and attributions trailing at their end."""
    lines = list(lines)
    while True:
        while lines and not lines[-1].strip():
            lines.pop()
        if lines and _is_client_signature(lines[-1]):
            lines.pop()
            while lines and not lines[-1].strip():
                lines.pop()
            # The "-- " delimiter the client put above its own signature goes with it.
            if lines and lines[-1].strip() == "--":
                lines.pop()
            continue
        cut = _attribution_tail(lines)
        if not cut:
            return lines
        del lines[-cut:]


def _is_client_signature(line: str) -> bool:
    text = _LINK.sub("", line.translate(_INVISIBLE)).strip()
    return any(p.fullmatch(text) for p in _CLIENT_SIGNATURES)


def _attribution_tail(lines: list[str]) -> int:
    # "On <date>, <name> wrote:" (often wrapped onto two lines) that the client put inside
    # the block; commands.py knows these lines, in all the languages reps use.
    for span in (1, 2):
        tail = "\n".join(lines[-span:]).strip()
        if len(lines) < span or not tail.endswith((":", "：")) or tail.startswith(">"):
            continue
        if strip_quoted(tail) == "":
            return span
    return 0


def _same(edit: str, original: str) -> bool:
    # Whitespace does not count: clients re-wrap and re-space quoted lines.
    return normalise(edit).split() == normalise(original).split()


def _refuse(*problems: str) -> EditResult:
    return EditResult(text="", problems=problems)


# Characters that could hide or reorder text, or end a line where mail does not expect
# it: C0/C1 controls except tab and newline, Unicode line separators, bidi overrides.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_HEADER_NAMES = (
    "Bcc",
    "Cc",
    "To",
    "From",
    "Subject",
    "Reply-To",
    "Content-Type",
    "MIME-Version",
    "Content-Transfer-Encoding",
)
_HEADER = re.compile(
    r"[ \t]*(" + "|".join(re.escape(n) for n in _HEADER_NAMES) + r")[ \t]*:[ \t]*\S",
    re.IGNORECASE,
)
# Line breaks written as text, the way header injection is usually attempted.
_ENCODED_BREAK = re.compile(r"%0[ad]|\\[rn]|&#0*(?:1[03]|x0*[ad]);?", re.IGNORECASE)


def _checked(raw: str, original: str) -> EditResult:
    text = normalise(raw)
    problems: list[str] = []
    if not text.strip():
        problems.append(
            "the edited draft is empty; to drop this follow-up, reply with skip instead"
        )
    if len(text) > MAX_CHARS:
        problems.append(
            f"the edited draft is {len(text):,} characters long, more than the "
            f"{MAX_CHARS:,} allowed"
        )
    controls = sorted({_describe(c) for c in _CONTROLS.findall(raw)})
    if controls:
        problems.append(
            f"the edited draft contains invisible control characters ({', '.join(controls[:5])})"
            " that could hide or reorder text; remove them and reply again"
        )
    headers = _header_lines(raw, original)
    if headers:
        problems.append(
            f"the edited draft contains a line that looks like a mail header "
            f"({', '.join(headers)}), which is never sent: the subject and recipients cannot "
            "be changed by editing the draft; remove the line and reply again"
        )
    return _refuse(*problems) if problems else EditResult(text=text, problems=())


def _describe(char: str) -> str:
    # C0/C1 controls have no Unicode name; bidi overrides and separators do.
    return f"U+{ord(char):04X} {unicodedata.name(char, 'control').lower()}"


def _header_lines(raw: str, original: str) -> list[str]:
    """Names of the header-like lines in ``raw`` ("Bcc:"), also behind encoded breaks."""
    # A line that is in the draft as followupd wrote it is not the rep's doing.
    own = {line.strip().casefold() for line in normalise(original).split("\n")}
    found: set[str] = set()
    for view in (raw, _ENCODED_BREAK.sub("\n", raw)):
        for line in view.splitlines():
            line = line.translate(_INVISIBLE)
            match = _HEADER.match(line)
            if match and line.strip().casefold() not in own:
                found.add(match.group(1).casefold())
    return [f"{n}:" for n in _HEADER_NAMES if n.casefold() in found]
