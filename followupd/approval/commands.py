"""The grammar of the rep's reply to a review mail.

The rep answers in an ordinary mail client, so the reply holds the rep's new text on top
and the quoted review mail (with the draft, which may itself contain words like "stop")
below. Only the new text counts, and in it only the first word of the first non-empty line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from followupd.errors import CommandError

__all__ = ["VERBS", "Command", "Verb", "parse_command", "strip_quoted"]

Verb = Literal["approve", "skip", "stop", "set", "paid", "won", "lost"]

# Synonyms a rep is likely to type; Chinese words are matched as a prefix because Chinese
# text has no spaces ("同意发送" is one "word").
VERBS: dict[str, Verb] = {
    "approve": "approve",
    "approved": "approve",
    "ok": "approve",
    "okay": "approve",
    "yes": "approve",
    "send": "approve",
    "skip": "skip",
    "stop": "stop",
    "set": "set",
    "paid": "paid",
    "won": "won",
    "lost": "lost",
}
_CJK_VERBS: dict[str, Verb] = {
    "同意": "approve",
    "发送": "approve",
    "停止": "stop",
    "已付款": "paid",
    "已收款": "paid",
    "成交": "won",
    "丢单": "lost",
}

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
        r"^在.{0,300}写道\s?[:：]$",  # Foxmail, NetEase, QQ
    )
)
_SEPARATORS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^>",
        r"^.{0,300}\bschrieb:$",
        r"^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|"
        r"原始邮件|回复的原邮件|forwarded message|weitergeleitete nachricht)\s*-{2,}",
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
_WORD = re.compile(r"[^\W\d_]+|\d+")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True, kw_only=True, slots=True)
class Command:
    """A command the rep gave: the verb, and the line it was read from (for the audit)."""

    verb: Verb
    evidence: str
    # For "set": the rest of the line, "<key> <value>" (e.g. "validity 2026-12-20").
    argument: str = ""


def strip_quoted(text: str) -> str:
    """The rep's own new text: everything above the first line that starts a quotation."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for index in range(len(lines)):
        if _starts_quote(lines, index):
            return "\n".join(lines[:index]).strip()
    return "\n".join(lines).strip()


def parse_command(text: str) -> Command:
    """Read the command from the rep's reply ``text`` (plain text of the whole reply).

    Raises :class:`CommandError` naming the valid commands when the first word of the rep's
    new text is not one of them.
    """
    own = strip_quoted(text)
    first = next((line.strip() for line in own.split("\n") if line.strip()), "")
    evidence = first[:120]
    if not first:
        raise CommandError(f"the reply contains no command; {_HELP}")
    verb: Verb | None = None
    if _CJK.match(first):
        verb = next((v for w, v in _CJK_VERBS.items() if first.startswith(w)), None)
    elif match := _WORD.search(first):
        verb = VERBS.get(match.group(0).lower())
    if verb is None:
        raise CommandError(f"could not understand the first line {evidence!r}; {_HELP}")
    if verb == "set":
        argument = first.split(None, 1)[1].strip() if len(first.split(None, 1)) > 1 else ""
        if not argument:
            raise CommandError("'set' needs a key and a value, e.g. set validity 2026-12-20")
        return Command(verb=verb, evidence=evidence, argument=argument)
    return Command(verb=verb, evidence=evidence)


_HELP = (
    "reply with one of: approve (or ok, yes, send, 同意) to send the draft, "
    "skip to drop this follow-up, stop to end follow-ups on this thread, "
    "set <key> <value> to correct what followupd knows about the deal, "
    "paid when the buyer has paid, won or lost to close the deal"
)


def _starts_quote(lines: list[str], index: int) -> bool:
    line = lines[index].strip().strip("\u200b\ufeff")
    if not line:
        return False
    joined = f"{line} {lines[index + 1].strip()}" if index + 1 < len(lines) else line
    if any(p.match(line) for p in _SEPARATORS):
        return True
    if any(p.match(line) or p.match(joined) for p in _ATTRIBUTIONS):
        return True
    if _OUTLOOK_FROM.match(line):
        following = [x.strip() for x in lines[index + 1 : index + 5] if x.strip()]
        return any(_OUTLOOK_FIELD.match(x) for x in following)
    return False
