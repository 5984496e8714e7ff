"""The grammar of the rep's reply to a review mail.

The rep answers in an ordinary mail client. Most clients put the rep's new text on top and
the quoted review mail (with the draft, which may itself contain words like "stop") below;
some (mutt, Thunderbird set to bottom-post) put the quote first. Only the rep's own text
counts, and in it only the first non-empty line: its first word is the command, and
``snooze`` and ``pause`` read an amount or a date right after it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from followupd.approval.amounts import MAX_DELAY, MIN_DELAY, read_date, read_delay
from followupd.errors import CommandError

__all__ = [
    "MAX_DELAY",
    "MIN_DELAY",
    "VERBS",
    "Command",
    "Verb",
    "normalise",
    "own_text",
    "parse_command",
    "read_date",
    "read_delay",
    "read_verb",
    "strip_quoted",
]

Verb = Literal["approve", "skip", "snooze", "stop", "set", "paid", "won", "lost", "pause", "now"]

# Synonyms a rep is likely to type; matched case-insensitively as whole words.
VERBS: dict[str, Verb] = {
    "approve": "approve",
    "approved": "approve",
    "ok": "approve",
    "okay": "approve",
    "yes": "approve",
    "send": "approve",
    "skip": "skip",
    "snooze": "snooze",
    "postpone": "snooze",
    "pause": "pause",
    "now": "now",
    "stop": "stop",
    "set": "set",
    "paid": "paid",
    "won": "won",
    "lost": "lost",
}
# Chinese words are matched as a prefix because Chinese text has no spaces ("同意发送" is
# one "word"); longer words are tried first.
_CJK_VERBS: dict[str, Verb] = {
    "现在发送": "now",
    "已付款": "paid",
    "已收款": "paid",
    "同意": "approve",
    "发送": "approve",
    "可以": "approve",
    "好": "approve",
    "跳过": "skip",
    "推迟": "snooze",
    "延后": "snooze",
    "延迟": "snooze",
    "暂停": "pause",
    "立即": "now",
    "马上": "now",
    "停止": "stop",
    "设置": "set",
    "成交": "won",
    "丢单": "lost",
}
# Approving sends mail to a buyer and cannot be undone, and "好", "可以" and "发送" also
# begin ordinary sentences ("好像…", "可以先等等", "发送时间…"). So a Chinese word for
# approve (or for now) counts only when the clause ends after it and a few particles.
_CJK_ORDER = sorted(_CJK_VERBS, key=len, reverse=True)
_CJK_PARTICLES = re.compile(r"(?:的|了|吧|啊|呀|哈|发送|发出|发)*")
_QUESTION = re.compile(r"\s*(?:\?|吗|嘛|么)")
_SEND_NOW = re.compile(r"\s+now(?![^\W\d_])", re.IGNORECASE)
_ONLY_PUNCTUATION = re.compile(r"[\W_]*")
_ARGUMENT_START = re.compile(r"\s*:?\s*(?:for\s+)?", re.IGNORECASE)
_UNTIL = re.compile(r"\s*:?\s*(?:(?:until|till|til|through|to)\b|直到|到|至)?\s*", re.IGNORECASE)

# Lines that start the quoted part, from the clients reps use. Each must match a whole
# line so that a rep who writes "on Monday I wrote: ..." is not cut off by accident. The
# attribution lines ("On <date>, <name> wrote:") are often wrapped onto a second line.
_ATTRIBUTIONS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^on\b.{0,300}\bwrote:$",  # Gmail, Apple Mail, Thunderbird (English)
        r"^(am|on)\b.{0,300}\bschrieb\b.{0,200}:$",  # German clients
        r"^le\b.{0,300}\ba écrit\s?:$",  # French
        r"^op\b.{0,300}\bschreef\b.{0,200}:$",  # Dutch
        r"^在.{0,300}写道\s?[:：]$",  # Foxmail, NetEase, QQ, Thunderbird (Chinese)
        r"^\d{4}\s*年.{0,300}写道\s?[:：]$",  # Apple Mail (Chinese)
        r"^.{0,300}于\s?\d{4}\s*年.{0,200}写道\s?[:：]$",  # Gmail (Chinese)
    )
)
# Any "<someone> wrote:" counts when '>'-quoted lines follow it (K-9, Android clients).
_ATTRIBUTION_END = re.compile(
    r"(wrote|写道|寫道|schrieb|a écrit|schreef|escribió|escreveu|scrisse)\s?[:：]$",
    re.IGNORECASE,
)
_SEPARATORS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^>",
        r"^.{0,300}\bschrieb:$",
        # QQ Mail's plain text keeps the "&nbsp;" of its HTML around "Original".
        r"^-{2,}(?:\s|&nbsp;)*(original(?:\s+message)?|ursprüngliche nachricht|"
        r"message d'origine|原始邮件|回复的原邮件|forwarded message|"
        r"weitergeleitete nachricht)(?:\s|&nbsp;)*-{2,}",
        r"^_{5,}$",  # Outlook's rule above its header block, also in HTML-converted text
        r"^(发件人|寄件者)\s*[:：]",
    )
)
# Outlook quotes the original under a short header block instead of "wrote:".
_OUTLOOK_FROM = re.compile(r"^\*?(from|von|de|van|da)\s*:\*?\s", re.IGNORECASE)
_OUTLOOK_FIELD = re.compile(
    r"^\*?(sent|gesendet|date|datum|envoyé|to|an|à|subject|betreff|objet|cc)\s*:",
    re.IGNORECASE,
)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# A Latin word ends where Chinese text begins: "approve谢谢" starts with "approve".
_LATIN = re.compile(r"(?:(?![\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff])[^\W\d_])+")
_LEADING_JUNK = re.compile(r"^[\W_]+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


@dataclass(frozen=True, kw_only=True, slots=True)
class Command:
    """A command the rep gave: the verb, and the line it was read from (for the audit)."""

    verb: Verb
    evidence: str
    # For "set": the rest of the line, "<key> <value>" (e.g. "validity 2026-12-20").
    argument: str = ""
    # For "snooze": how long to wait before the draft is reviewed again.
    delay: timedelta | None = None
    # For "pause": the day the thread wakes up (checked against today by the caller).
    until: date | None = None

    def __post_init__(self) -> None:
        if (self.delay is not None) != (self.verb == "snooze"):
            raise ValueError("a delay belongs to snooze, and snooze needs one")
        if (self.until is not None) != (self.verb == "pause"):
            raise ValueError("a date belongs to pause, and pause needs one")


def strip_quoted(text: str) -> str:
    """The rep's own new text: everything above the first line that starts a quotation."""
    lines = _lines(text)
    for index in range(len(lines)):
        if _starts_quote(lines, index):
            return "\n".join(lines[:index]).strip()
    return "\n".join(lines).strip()


def own_text(text: str) -> str:
    """The rep's own new text, whether written above the quote or below it.

    A top-posted reply gives what :func:`strip_quoted` gives. When nothing stands above the
    quote, the reply is bottom-posted: the rep's text is what follows the '>'-quoted block
    (and its attribution line), up to the next quotation or a signature separator ("-- ").
    A quote without '>' marks (Outlook's header block) has no visible end, so nothing below
    it counts.
    """
    top = strip_quoted(text)
    if top:
        return top
    lines = _lines(text)
    index, marked = 0, False
    while index < len(lines):
        line = lines[index].strip()
        if not line:
            index += 1
        elif line.startswith(">"):
            index, marked = index + 1, True
        elif span := _attribution_span(lines, index):
            index, marked = index + span, False
        else:
            break
    if not marked:
        return ""
    below = strip_quoted("\n".join(lines[index:])).split("\n")
    end = next((i for i, line in enumerate(below) if line.rstrip() == "--"), len(below))
    return "\n".join(below[:end]).strip()


def parse_command(text: str) -> Command:
    """Read the command from the rep's reply ``text`` (plain text of the whole reply).

    Raises :class:`CommandError` naming the valid commands when the first word of the rep's
    own text (see :func:`own_text`) is not one of them, or when its amount or date is wrong.
    """
    first = next((x.strip() for x in own_text(text).split("\n") if x.strip()), "")
    evidence = first[:120]
    if not first:
        raise CommandError(f"the reply contains no command; {_HELP}")
    line = normalise(first)
    found = read_verb(line)
    if found is None:
        raise CommandError(f"could not understand the first line {evidence!r}; {_HELP}")
    verb, end = found
    rest = line[end:]
    if _QUESTION.match(rest):
        raise CommandError(f"{evidence!r} reads as a question, not a command; {_HELP}")
    if _CJK.match(line) and verb in ("approve", "now"):
        rest = rest[_end(_CJK_PARTICLES.match(rest)) :]
        if _CJK.match(rest) and not rest.startswith("谢"):
            raise CommandError(f"could not understand the first line {evidence!r}; {_HELP}")
    # "Now ..." begins many English sentences, and "now" sends at once: it must be alone.
    if verb == "now" and not _ONLY_PUNCTUATION.fullmatch(rest):
        raise CommandError(
            f"'now' must stand alone on the first line (as 'now' or 'send now'), "
            f"not {evidence!r}; {_HELP}"
        )
    if verb == "set":
        argument = rest.strip().lstrip(":").strip()
        if not argument:
            raise CommandError("'set' needs a key and a value, e.g. set validity 2026-12-20")
        return Command(verb=verb, evidence=evidence, argument=argument)
    if verb == "snooze":
        start = _end(_ARGUMENT_START.match(rest))
        delay = read_delay(rest, start)
        if delay is None:
            raise CommandError(f"'snooze' needs a time, not {evidence!r}; {_SNOOZE_FORM}")
        return Command(verb=verb, evidence=evidence, delay=delay[0])
    if verb == "pause":
        start = _end(_UNTIL.match(rest))
        until = read_date(rest, start)
        if until is None:
            raise CommandError(f"'pause' needs a day, not {evidence!r}; {_PAUSE_FORM}")
        return Command(verb=verb, evidence=evidence, until=until[0])
    return Command(verb=verb, evidence=evidence)


def normalise(line: str) -> str:
    """``line`` ready to be read: full-width letters, digits and punctuation made ASCII
    (NFKC), invisible characters dropped, and leading punctuation (Markdown bold, bullets,
    quotation marks) removed."""
    text = unicodedata.normalize("NFKC", line).translate(_INVISIBLE)
    return _LEADING_JUNK.sub("", text).rstrip()


def read_verb(text: str, pos: int = 0) -> tuple[Verb, int] | None:
    """The command word at ``text[pos:]`` and the index just after it, or None."""
    if _CJK.match(text, pos):
        word = next((w for w in _CJK_ORDER if text.startswith(w, pos)), None)
        return None if word is None else (_CJK_VERBS[word], pos + len(word))
    match = _LATIN.match(text, pos)
    verb = VERBS.get(match.group(0).lower()) if match else None
    if match is None or verb is None:
        return None
    # "send now" is one command, not "send" followed by a remark.
    now = _SEND_NOW.match(text, match.end()) if match.group(0).lower() == "send" else None
    return ("now", now.end()) if now else (verb, match.end())


_SNOOZE_FORM = (
    "write e.g. snooze 3d, snooze 12h, snooze 2w, snooze 3 days or 推迟3天 (from 1 hour to 90 days)"
)
_PAUSE_FORM = "write e.g. pause until 2026-12-01, pause 2026/12/01 or 暂停到2026-12-01"
_HELP = (
    "reply with one of: approve (or ok, yes, send, 同意, 好) to send the draft, "
    "now (or send now, 立即) to send it at the next allowed time, "
    "skip (跳过) to drop this follow-up, "
    "snooze 3d (or 12h, 2w; 推迟3天) to be asked again later, "
    "pause until 2026-12-01 (暂停到2026-12-01) to hold the thread until that day, "
    "stop (停止) to end follow-ups on this thread, "
    "set <key> <value> (设置) to correct what followupd knows about the deal, "
    "paid (已付款) when the buyer has paid, won (成交) or lost (丢单) to close the deal"
)


def _end(match: re.Match[str] | None) -> int:
    # The patterns passed here can match the empty string, so a miss only happens past
    # the end of the text.
    return match.end() if match else 0


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _clean(line: str) -> str:
    return line.strip().strip("\u200b\ufeff")


def _attribution_span(lines: list[str], index: int) -> int:
    """How many lines the attribution starting at ``lines[index]`` takes (0 if none)."""
    line = _clean(lines[index])
    nxt = _clean(lines[index + 1]) if index + 1 < len(lines) else ""
    if not line:
        return 0
    if any(p.match(line) for p in _ATTRIBUTIONS):
        return 1
    # The second half of a wrapped attribution never starts another one.
    if nxt and any(p.match(f"{line} {nxt}") and not p.match(nxt) for p in _ATTRIBUTIONS):
        return 2
    if _ATTRIBUTION_END.search(line):
        following = next((_clean(x) for x in lines[index + 1 :] if _clean(x)), "")
        return 1 if following.startswith(">") else 0
    return 0


def _starts_quote(lines: list[str], index: int) -> bool:
    line = _clean(lines[index])
    if not line:
        return False
    if any(p.match(line) for p in _SEPARATORS) or _attribution_span(lines, index):
        return True
    if _OUTLOOK_FROM.match(line):
        following = [x.strip() for x in lines[index + 1 : index + 5] if x.strip()]
        return any(_OUTLOOK_FIELD.match(x) for x in following)
    return False
