"""The rep's answer to a digest mail: what to do with each of its numbered drafts.

A digest lists several drafts numbered 1..N. The rep answers with command words followed by
the numbers they apply to, on one line or several: "approve 1 3, skip 2", "snooze 4 3d",
"pause 6 until 2026-12-01", "同意 1 3，跳过 2", "1、3 同意", "approve all, skip 2". Because
one answer decides many drafts, the grammar is strict: an unknown word, a number out of
range or a number given two different answers fails the whole answer, and nothing is done.

The answer is the run of lines at the top of the rep's own text that begin with a command
(or with numbers followed by one); the first other line (a greeting, a signature) ends it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from followupd.approval.amounts import MAX_DELAY, MIN_DELAY, read_date, read_delay
from followupd.approval.commands import Verb, normalise, own_text, read_verb
from followupd.errors import CommandError

__all__ = ["MAX_NUMBER", "DigestChoice", "parse_digest"]

MAX_NUMBER = 99

# Words that mean "every draft not named otherwise", so "approve 1, skip the rest" works.
_ALL_WORDS = re.compile(
    r"(?:all|everything|(?:the\s+)?rest|others)(?![^\W\d_])|全部|所有|其他|其它|其余|剩下的|剩下",
    re.IGNORECASE,
)
# Separators and words that carry no meaning here: list punctuation, "and", courtesy, the
# "until" before a date, and the Chinese ordinal and measure words in "第1封和第3封".
_GAP = re.compile(
    r"(?:[\s#&+.、/:()]|(?:and|until|till|til|for|please|pls|thanks|thank\s+you|thx)"
    r"(?![^\W\d_])|和|及|以及|还有|直到|到|至|都|第|封|条|个|项|号|请|谢谢)+",
    re.IGNORECASE,
)
_BREAK = re.compile(r"[,;。!]+")
_RANGE = re.compile(r"(\d{1,3})\s*(?:-|–|~|to\b|到|至)\s*(\d{1,3})(?!\d)", re.IGNORECASE)
_NUMBER = re.compile(r"\d+")
_WORD = re.compile(r"[^\W_]+|\S")


@dataclass(frozen=True, kw_only=True, slots=True)
class DigestChoice:
    """One decision in a digest answer: ``verb`` for the drafts ``numbers``.

    ``all`` means every draft of the digest that no other choice names ("approve all, skip
    2" approves all but 2); then ``numbers`` is empty. Whether a number exists in the digest
    is for the caller to check, which knows how many drafts it listed.
    """

    verb: Verb
    numbers: tuple[int, ...]
    evidence: str
    all: bool = False
    # For "snooze": how long to wait before the drafts are reviewed again.
    delay: timedelta | None = None
    # For "pause": the day the threads wake up (checked against today by the caller).
    until: date | None = None

    def __post_init__(self) -> None:
        where = f"in {self.evidence!r}"
        if self.verb == "set":
            raise CommandError(f"{_NO_SET} ({where})")
        if self.all and self.numbers:
            raise CommandError(f"'{self.verb}' takes numbers or 'all', not both ({where})")
        if not self.all and not self.numbers:
            raise CommandError(
                f"'{self.verb}' needs the numbers of the drafts ({where}), e.g. "
                f"'{self.verb} 1 3' or '{self.verb} all'"
            )
        for number in self.numbers:
            if not 1 <= number <= MAX_NUMBER:
                raise CommandError(f"there is no draft {number} ({where})")
        if self.verb == "snooze" and self.delay is None:
            raise CommandError(f"'snooze' needs a time ({where}), e.g. 'snooze 4 3d'")
        if self.verb != "snooze" and self.delay is not None:
            raise CommandError(f"only snooze takes a time, not '{self.verb}' ({where})")
        if self.delay is not None and not MIN_DELAY <= self.delay <= MAX_DELAY:
            raise CommandError(f"a snooze must last from 1 hour to 90 days ({where})")
        if self.verb == "pause" and self.until is None:
            raise CommandError(f"'pause' needs a day ({where}), e.g. 'pause 6 until 2026-12-01'")
        if self.verb != "pause" and self.until is not None:
            raise CommandError(f"only pause takes a day, not '{self.verb}' ({where})")


def parse_digest(text: str) -> list[DigestChoice]:
    """The rep's decisions in ``text``, the plain text of a whole reply to a digest mail.

    Reads the rep's own text (see :func:`~followupd.approval.commands.own_text`). Raises
    :class:`CommandError` when there is no answer, when a word, number, time or day cannot
    be understood, or when one draft is given two different answers.

    The choices come in the order written, except that those with ``all`` come last: a
    caller that applies them in order and leaves drafts already decided alone then gets
    "every draft not named otherwise" for ``all``.
    """
    parts: list[_Part] = []
    for raw in own_text(text).split("\n"):
        line = normalise(raw)
        if not line:
            continue
        tokens = _answer_tokens(line, raw.strip()[:120], first=not parts)
        if tokens is None:
            break
        _group(tokens, raw.strip()[:120], parts)
    if not parts:
        raise CommandError(f"the reply contains no answer; {_HELP}")
    choices = [part.choice() for part in parts]
    _check_conflicts(choices)
    return sorted(choices, key=lambda choice: choice.all)


_NO_SET = (
    "'set' cannot be used in a digest answer: answer the thread's own notice instead, so it "
    "is clear which deal the value belongs to"
)
_HELP = (
    "answer with a command and the numbers of the drafts, e.g. 'approve 1 3, skip 2', "
    "'snooze 4 3d', 'now 5', 'stop 6', 'pause 7 until 2026-12-01', 'won 8', 'lost 9', "
    "'paid 10', 'approve all' or '同意 1 3，跳过 2'"
)


@dataclass(frozen=True, slots=True)
class _Verb:
    verb: Verb


_All = Literal["all"]
_Break = Literal["break"]
_Token = _Verb | int | timedelta | date | _All | _Break


@dataclass(slots=True)
class _Part:
    # One command word and what was written with it, before it is checked as a choice.
    verb: Verb
    evidence: str
    tokens: list[_Token] = field(default_factory=list)

    def choice(self) -> DigestChoice:
        numbers = [t for t in self.tokens if isinstance(t, int)]
        delays = [t for t in self.tokens if isinstance(t, timedelta)]
        days = [t for t in self.tokens if isinstance(t, date)]
        if len(delays) > 1 or len(days) > 1:
            raise CommandError(
                f"'{self.verb}' is given more than one time or day in {self.evidence!r}"
            )
        return DigestChoice(
            verb=self.verb,
            numbers=tuple(dict.fromkeys(numbers)),
            evidence=self.evidence,
            all="all" in self.tokens,
            delay=delays[0] if delays else None,
            until=days[0] if days else None,
        )


def _answer_tokens(line: str, evidence: str, *, first: bool) -> list[_Token] | None:
    """The tokens of ``line``, or None when the line is not part of the answer.

    The first line must be part of it. A later line is when it begins with a command word or
    an "all" word, or when it begins with numbers and reads cleanly with a command in it
    ("3 skip"); a phone number in a signature does not.
    """
    starts = read_verb(line) is not None or _ALL_WORDS.match(line) is not None
    if first or starts:
        return _tokens(line, evidence)
    if not line[0].isdigit():
        return None
    try:
        tokens = _tokens(line, evidence)
    except CommandError:
        return None
    return tokens if any(isinstance(t, _Verb) for t in tokens) else None


def _tokens(line: str, evidence: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(line):
        if (gap := _GAP.match(line, pos)) or (gap := _BREAK.match(line, pos)):
            if gap.re is _BREAK:
                tokens.append("break")
            pos = gap.end()
        elif day := read_date(line, pos):
            tokens.append(day[0])
            pos = day[1]
        elif delay := read_delay(line, pos):
            tokens.append(delay[0])
            pos = delay[1]
        elif span := _RANGE.match(line, pos):
            low, high = int(span[1]), int(span[2])
            if not 1 <= low <= high <= MAX_NUMBER:
                raise CommandError(f"{span[0]!r} is not a range of drafts in {evidence!r}")
            tokens.extend(range(low, high + 1))
            pos = span.end()
        elif number := _NUMBER.match(line, pos):
            tokens.append(int(number[0]))
            pos = number.end()
        elif every := _ALL_WORDS.match(line, pos):
            tokens.append("all")
            pos = every.end()
        elif verb := read_verb(line, pos):
            if verb[0] == "set":
                raise CommandError(f"{_NO_SET} ({evidence!r})")
            tokens.append(_Verb(verb[0]))
            pos = verb[1]
        else:
            word = _WORD.match(line, pos)
            unknown = word[0] if word else line[pos:]
            raise CommandError(f"could not understand {unknown!r} in {evidence!r}; {_HELP}")
    return tokens


def _group(tokens: list[_Token], evidence: str, parts: list[_Part]) -> None:
    """Add the clauses of one line to ``parts``.

    In a clause the numbers follow their command ("approve 1 3"), or come before it when the
    command ends the clause ("1、3同意"). Numbers before a command that has numbers of its
    own continue the previous clause: "approve 1, 3 skip 2" approves 1 and 3.
    """
    clause: list[_Token] = []
    for token in [*tokens, "break"]:
        if token != "break":
            clause.append(token)
            continue
        verbs = [i for i, t in enumerate(clause) if isinstance(t, _Verb)]
        lead = clause[: verbs[0]] if verbs else clause
        if lead and verbs and (verbs == [len(clause) - 1] or all(t == "all" for t in lead)):
            clause = [clause[verbs[0]], *lead, *clause[verbs[0] + 1 :]]
        elif lead:
            if not parts:
                raise CommandError(f"start with a command word in {evidence!r}; {_HELP}")
            parts[-1].tokens.extend(lead)
            clause = clause[len(lead) :]
        for item in clause:
            if isinstance(item, _Verb):
                parts.append(_Part(item.verb, evidence))
            else:
                parts[-1].tokens.append(item)
        clause = []


def _check_conflicts(choices: list[DigestChoice]) -> None:
    decided: dict[int | str, DigestChoice] = {}
    for choice in choices:
        for key in ("all",) if choice.all else choice.numbers:
            earlier = decided.setdefault(key, choice)
            same = (earlier.verb, earlier.delay, earlier.until)
            if same != (choice.verb, choice.delay, choice.until):
                which = "'all'" if key == "all" else f"draft {key}"
                where = (
                    repr(choice.evidence)
                    if earlier.evidence == choice.evidence
                    else f"{earlier.evidence!r} and {choice.evidence!r}"
                )
                raise CommandError(
                    f"{which} is given two different answers ({earlier.verb} and "
                    f"{choice.verb}) in {where}; nothing was done, please answer again"
                )
