"""The text of review mails and notices (pure: values in, text out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

DRAFT_START = "----- draft (as it will be sent) -----"
DRAFT_END = "----- end of draft -----"
# How the rep is told where the buyer's timezone came from (contact.timezone_source).
ZONE_SOURCES = {
    "contact": "set for this contact",
    "learned": "learned from their mails",
    "country": "from their country",
    "phone": "from their phone number",
    "cctld": "from their mail domain",
    "default": "default: nothing known yet",
}


@dataclass(frozen=True, kw_only=True)
class ReviewFacts:
    """What the rep needs to decide on a draft."""

    token: str
    step_number: int
    steps_total: int
    cadence: str
    buyer_name: str
    buyer_email: str
    buyer_tz: ZoneInfo
    rep_tz: ZoneInfo
    thread_subject: str
    enrolled_at: datetime
    send_at: datetime
    draft_subject: str
    draft_text: str
    # Where the buyer's zone came from, for the rep ("learned from their mails"); may be empty.
    zone_source: str = ""


def when(instant: datetime, buyer_tz: ZoneInfo, rep_tz: ZoneInfo) -> str:
    """'Thu 2026-12-03 10:57 buyer time (17:57 your time)'."""
    b = instant.astimezone(buyer_tz)
    r = instant.astimezone(rep_tz)
    return f"{b:%a %Y-%m-%d %H:%M} buyer time ({r:%a %H:%M} your time)"


def review_subject(f: ReviewFacts) -> str:
    return (
        f"[{f.token}] Draft {f.step_number}/{f.steps_total} for {f.buyer_name}: {f.thread_subject}"
    )


def review_text(f: ReviewFacts) -> str:
    return (
        "\n".join(
            [
                f"followupd drafted follow-up {f.step_number} of {f.steps_total} "
                f"(cadence {f.cadence}).",
                "",
                f"Buyer:   {f.buyer_name} <{f.buyer_email}> ({f.buyer_tz.key}"
                + (f", {f.zone_source})" if f.zone_source else ")"),
                f"Thread:  {f.thread_subject} (tracked since {f.enrolled_at:%Y-%m-%d})",
                f"Send:    {when(f.send_at, f.buyer_tz, f.rep_tz)}, once you approve",
                "",
                "Reply to this mail with one word on the first line:",
                "  approve  - send it as shown (also: ok, yes, send)",
                "  skip     - do not send this one; continue with the next step",
                "  stop     - stop following up this thread",
                "",
                DRAFT_START,
                f"Subject: {f.draft_subject}",
                "",
                f.draft_text.rstrip(),
                DRAFT_END,
                "",
                f"Token: {f.token}",
            ]
        )
        + "\n"
    )
