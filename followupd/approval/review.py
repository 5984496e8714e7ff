"""The text of review mails and of the daily digest (pure: facts in, text out).

A review mail shows the rep one draft and everything needed to decide on it without opening
the thread: who the buyer is and what time it is there, what was sent and whether anything
came back, when the draft would go out, and the commands. The draft itself sits between the
edit markers exactly as it would be sent, so the rep can change it in the reply.

A digest lists several drafts, numbered, and is answered per number. Its drafts are not
between edit markers: one reply cannot safely carry several edited texts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale

from followupd.approval.edit import mark_draft
from followupd.approval.texts import LANGUAGES, Language, language, say

__all__ = [
    "ZONE_SOURCES",
    "DigestEntry",
    "History",
    "ReviewFacts",
    "country_name",
    "day_in",
    "digest_subject",
    "digest_text",
    "history_lines",
    "review_subject",
    "review_text",
    "when",
    "when_in",
]

# How the rep is told where the buyer's timezone came from (contact.timezone_source), per
# language.
ZONE_SOURCES: Mapping[str, Mapping[Language, str]] = {
    source: {lang: say(lang, f"zone.{source}") for lang in LANGUAGES}
    for source in ("contact", "learned", "country", "phone", "cctld", "default")
}
_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
# Long subjects of earlier mails are cut: the history line has to stay one line.
_SUBJECT_SHOWN = 40
# The rule around each draft of a digest: plain dashes, which no mail client reads as the
# start of a quote (underscores are Outlook's quote rule).
_RULE = "-" * 60
_INDENT = "   "


@dataclass(frozen=True, kw_only=True)
class History:
    """What happened on the thread so far, for the two history lines."""

    # Follow-ups and the original mail sent on the thread.
    sent_count: int
    last_sent_at: datetime | None
    last_sent_subject: str
    # True: a read receipt came; False: one was asked for and none came; None: unknown.
    read: bool | None
    # The buyer's last reply, if any.
    last_reply_at: datetime | None
    last_reply_from: str


@dataclass(frozen=True, kw_only=True)
class ReviewFacts:
    """What the rep needs to decide on a draft."""

    token: str
    step_number: int
    steps_total: int
    cadence: str
    # Empty when unknown.
    buyer_name: str
    buyer_email: str
    buyer_company: str
    # ISO 3166 alpha-2, or empty; shown as the country's name in the rep's language.
    buyer_country: str
    buyer_tz: ZoneInfo
    rep_tz: ZoneInfo
    thread_subject: str
    enrolled_at: datetime
    now: datetime
    send_at: datetime
    draft_subject: str
    draft_text: str
    # A key of ZONE_SOURCES ("learned", "country" ...); empty when there is nothing to say.
    zone_source: str = ""
    history: History
    language: str = "en"
    # Unless-objected policy: the draft goes out at send_at unless the rep objects before this.
    objection_until: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class DigestEntry:
    """One draft of a digest, under the number the rep answers with."""

    number: int
    facts: ReviewFacts


def when(instant: datetime, buyer_tz: ZoneInfo, rep_tz: ZoneInfo) -> str:
    """'Thu 2026-12-03 10:57 buyer time (17:57 your time)'."""
    return when_in("en", instant, buyer_tz, rep_tz)


def when_in(lang: str, instant: datetime, buyer_tz: ZoneInfo, rep_tz: ZoneInfo) -> str:
    """``instant`` in the buyer's time and the rep's, in ``lang``.

    English: 'Thu 2026-12-03 10:57 buyer time (Thu 17:57 your time)'. Chinese:
    '2026-12-03 周四 10:57（买家当地时间），您的时间 17:57', with the rep's weekday added
    only when the rep's day is another one.
    """
    b = instant.astimezone(buyer_tz)
    r = instant.astimezone(rep_tz)
    if language(lang) == "en":
        return say("en", "time.when", buyer=f"{b:%a %Y-%m-%d %H:%M}", rep=f"{r:%a %H:%M}")
    rep = f"{r:%H:%M}" if r.date() == b.date() else f"{_WEEKDAYS_ZH[r.weekday()]} {r:%H:%M}"
    return say("zh", "time.when", buyer=f"{day_in('zh', b.date())} {b:%H:%M}", rep=rep)


def day_in(lang: str, day: date) -> str:
    """A day with its weekday: 'Thu 2026-12-03', or '2026-12-03 周四'."""
    if language(lang) == "en":
        return f"{day:%a %Y-%m-%d}"
    return f"{day:%Y-%m-%d} {_WEEKDAYS_ZH[day.weekday()]}"


def _rep_moment(lang: str, instant: datetime, rep_tz: ZoneInfo) -> str:
    r = instant.astimezone(rep_tz)
    return say(lang, "time.your_time", moment=f"{day_in(lang, r.date())} {r:%H:%M}")


@cache
def _territories(lang: Language) -> Mapping[str, str]:
    return Locale.parse("zh_Hans" if lang == "zh" else "en").territories


def country_name(lang: str, code: str) -> str:
    """The name of the ISO country ``code`` in ``lang``; the code itself if CLDR lacks it."""
    code = code.strip().upper()
    if not code:
        return say(lang, "review.unknown_country")
    return _territories(language(lang)).get(code, code)


def review_subject(f: ReviewFacts) -> str:
    """'[FU-…] Draft 1/4 for Bob: Quote …'; the token lets a reply find its draft."""
    return say(
        f.language,
        "review.subject",
        token=f.token,
        step=f.step_number,
        total=f.steps_total,
        buyer=f.buyer_name or f.buyer_email,
        subject=f.thread_subject,
    )


def review_text(f: ReviewFacts) -> str:
    """The body of the review mail of one draft."""
    lang = f.language
    lines = [
        say(lang, "review.intro", step=f.step_number, total=f.steps_total, cadence=f.cadence),
        "",
        *_facts_lines(f),
        "",
        say(lang, "review.commands").rstrip("\n"),
        "",
        say(lang, "review.edit_hint"),
        "",
        # The subject stays outside the markers: it is the thread's and is not edited.
        f"Subject: {f.draft_subject}",
        mark_draft(f.draft_text).rstrip("\n"),
        "",
        f"Token: {f.token}",
    ]
    return "\n".join(lines) + "\n"


def digest_subject(token: str, count: int, day: date, lang: str) -> str:
    """'[FD-…] Drafts to review: 3 (Thu 2026-12-03)'."""
    return say(lang, "digest.subject", token=token, count=count, day=day_in(lang, day))


def digest_text(token: str, entries: Sequence[DigestEntry], lang: str) -> str:
    """The body of a digest: how to answer, then each draft under its number."""
    lines = [
        say(lang, "digest.intro", count=len(entries)),
        "",
        say(lang, "digest.how").rstrip("\n"),
    ]
    for entry in entries:
        f = entry.facts
        lines += [
            "",
            say(
                lang,
                "digest.entry",
                number=entry.number,
                step=f.step_number,
                total=f.steps_total,
                buyer=f.buyer_name or f.buyer_email,
            ),
            *(_INDENT + line for line in _facts_lines(f, lang)),
            f"{_INDENT}Subject: {f.draft_subject}",
            _RULE,
            f.draft_text.rstrip(),
            _RULE,
        ]
    lines += ["", f"Token: {token}"]
    return "\n".join(lines) + "\n"


def _facts_lines(f: ReviewFacts, lang: str | None = None) -> list[str]:
    """Buyer, country and local time, thread, the two history lines, and the send time."""
    lang = f.language if lang is None else lang
    return [
        say(lang, "review.buyer", buyer=_buyer(f, lang)),
        _country_line(f, lang),
        say(
            lang,
            "review.thread",
            subject=f.thread_subject,
            since=f"{f.enrolled_at.astimezone(f.rep_tz):%Y-%m-%d}",
        ),
        *history_lines(f.history, lang, rep_tz=f.rep_tz, buyer_email=f.buyer_email),
        _send_line(f, lang),
    ]


def _buyer(f: ReviewFacts, lang: str) -> str:
    who = (
        f"{f.buyer_name} <{f.buyer_email}>"
        if f.buyer_name and f.buyer_name != f.buyer_email
        else f.buyer_email
    )
    if not f.buyer_company:
        return who
    return say(lang, "review.buyer_company", who=who, company=f.buyer_company)


def _country_line(f: ReviewFacts, lang: str) -> str:
    local = f.now.astimezone(f.buyer_tz)
    country = country_name(lang, f.buyer_country)
    source = _zone_source(lang, f.zone_source)
    if source:
        return say(
            lang,
            "review.country",
            country=country,
            time=f"{local:%H:%M}",
            zone=f.buyer_tz.key,
            source=source,
        )
    return say(
        lang, "review.country_plain", country=country, time=f"{local:%H:%M}", zone=f.buyer_tz.key
    )


def _zone_source(lang: str, source: str) -> str:
    texts = ZONE_SOURCES.get(source)
    # A source this module does not know is shown as given rather than dropped.
    return texts[language(lang)] if texts is not None else source


def history_lines(h: History, lang: str, *, rep_tz: ZoneInfo, buyer_email: str) -> list[str]:
    """Exactly two lines: what was sent (and whether it was read), and the last reply."""
    return [_sent_line(h, lang, rep_tz), _reply_line(h, lang, rep_tz, buyer_email)]


def _sent_line(h: History, lang: str, rep_tz: ZoneInfo) -> str:
    if h.sent_count <= 0:
        return say(lang, "review.sent_none")
    day = (
        f"{h.last_sent_at.astimezone(rep_tz):%Y-%m-%d}"
        if h.last_sent_at is not None
        else say(lang, "review.date_unknown")
    )
    subject = h.last_sent_subject.strip()
    if len(subject) > _SUBJECT_SHOWN:
        subject = subject[: _SUBJECT_SHOWN - 1].rstrip() + "…"
    what = say(lang, "review.sent_what", subject=subject) if subject else ""
    read = say(
        lang,
        {True: "review.read_yes", False: "review.read_no", None: "review.read_unknown"}[h.read],
    )
    if h.sent_count == 1:
        return say(lang, "review.sent_one", date=day, what=what, read=read)
    return say(lang, "review.sent_many", count=h.sent_count, date=day, what=what, read=read)


def _reply_line(h: History, lang: str, rep_tz: ZoneInfo, buyer_email: str) -> str:
    if h.last_reply_at is None:
        return say(lang, "review.reply_none")
    return say(
        lang,
        "review.reply",
        date=f"{h.last_reply_at.astimezone(rep_tz):%Y-%m-%d}",
        sender=h.last_reply_from or buyer_email,
    )


def _send_line(f: ReviewFacts, lang: str) -> str:
    moment = when_in(lang, f.send_at, f.buyer_tz, f.rep_tz)
    if f.objection_until is None:
        return say(lang, "review.send", when=moment)
    deadline = _rep_moment(lang, f.objection_until, f.rep_tz)
    return say(lang, "review.send_unless", when=moment, deadline=deadline)
