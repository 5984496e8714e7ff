"""Which language a short business mail is written in.

Only the question followupd asks is answered: in which language should the next follow-up
to this buyer be written? So the candidates are the languages trade mail is commonly written
in, and a text is only given a language when the evidence is clear: scripts decide for
Chinese, Japanese, Korean, Arabic and Cyrillic (Russian), and for Latin-script text the most
frequent function words ("the", "und", "le", "que", "não"…) must be frequent enough and well
ahead of the runner-up. Otherwise the answer is None and the buyer's country decides.

Mails are short and full of numbers, model codes and names, which carry no language; function
words do, and every sentence has some.
"""

from __future__ import annotations

import re
from collections import Counter

__all__ = ["detect_language"]

# Frequent words of each candidate. A word listed for two languages ("que", "de", "com") is
# dropped from both below, so only words that tell the languages apart are counted.
_WORDS = {
    "en": (
        "the and you your we our for with this that have has will would please "
        "thank thanks regards dear of to is are be it not can could let know "
        "attached find best kind"
    ),
    "de": (
        "der die das und ich sie wir ihr ihre ihnen mit für ist sind nicht bitte "
        "vielen dank grüßen grüße freundlichen sehr geehrter geehrte uns unser "
        "auch noch haben wird werden wurde kann können eine einen dem den zu auf "
        "gerne ihrer"
    ),
    "fr": (
        "le la les et vous nous votre vos pour avec est sont pas merci bonjour "
        "cordialement salutations une des du au aux ce cette qui que je suis "
        "avons pouvez veuillez"
    ),
    "es": (
        "el los las y usted ustedes nosotros su sus para con es son por gracias "
        "saludos estimado estimada una del al que muy favor podemos puede este "
        "esta le les"
    ),
    "pt": (
        "o os as e você vocês nós seu sua seus suas para com é são não obrigado "
        "obrigada atenciosamente prezado prezada uma do da dos das ao que muito "
        "favor podemos pode este esta"
    ),
    "it": (
        "il lo gli e voi noi vostro vostra per con è sono non grazie cordiali "
        "saluti gentile egregio una del della dei che molto possiamo può questo "
        "questa"
    ),
    "nl": (
        "de het een en u wij uw ons voor met is zijn niet bedankt dank groeten "
        "vriendelijke geachte beste van naar kunnen wij graag deze dit"
    ),
}
_LISTED = {code: frozenset(words.split()) for code, words in _WORDS.items()}
_SHARED = frozenset(
    word
    for code, words in _LISTED.items()
    for word in words
    if any(word in other for other_code, other in _LISTED.items() if other_code != code)
)
_FUNCTION_WORDS = {code: words - _SHARED for code, words in _LISTED.items()}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_SCRIPTS = (
    ("ja", re.compile(r"[\u3040-\u30ff]")),  # kana: only Japanese writes it
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
)
# Enough evidence: this many function words, and the winner this far ahead of the next.
_MIN_HITS = 3
_MIN_LEAD = 2.0
# Share of letters in a script for it to decide (a Chinese name in an English mail does not).
_SCRIPT_SHARE = 0.3


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language ``text`` is written in, or None when unclear."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return None
    for code, script in _SCRIPTS:
        if sum(1 for c in letters if script.match(c)) / len(letters) >= _SCRIPT_SHARE:
            return code
    words = [w.lower() for w in _WORD.findall(text)]
    scores: Counter[str] = Counter()
    for word in words:
        for code, vocabulary in _FUNCTION_WORDS.items():
            if word in vocabulary:
                scores[code] += 1
    ranked = scores.most_common(2)
    if not ranked or ranked[0][1] < _MIN_HITS:
        return None
    best, hits = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    return best if hits >= _MIN_LEAD * runner_up else None
