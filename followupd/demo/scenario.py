"""``followupd demo``: the whole loop in well under a minute, printed as a timeline.

Anna, a rep in Ningbo, sends a proforma invoice to Hans in Chicago and Bcc's her ``+fu``
address. followupd drafts the first follow-up, Anna approves it by replying ``approve``; it
goes out near a full hour in Chicago working time; the same for the second; Hans answers the
second, and followupd stops. Everything runs on real (embedded) IMAP and SMTP servers, a
temporary SQLite database and a simulated clock.
"""

from __future__ import annotations

import logging
import tempfile
import time
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

from sqlalchemy import select

from followupd.demo.servers import Received
from followupd.demo.world import BUYER, BUYER_TZ, REP, REP_TZ, Moment, World
from followupd.model import Thread

SUBJECT = "PI 2026-118 deep groove ball bearings 6204-2RS"


def _mail_moment(r: Received) -> Moment:
    m = r.message
    at = parsedate_to_datetime(str(m["Date"]))
    kind = m.get("X-Followupd")
    subject = str(m.get("Subject", ""))
    if BUYER in r.rcpt_tos and r.mail_from == REP and m.get("In-Reply-To"):
        what = f"sends follow-up to {BUYER}: '{subject}' (In-Reply-To {m['In-Reply-To']})"
        return Moment(at, "followupd", what)
    if kind == "review":
        return Moment(at, "followupd", f"mails the rep a draft to review: '{subject[:70]}…'")
    if kind:
        return Moment(at, "followupd", f"tells the rep: '{subject}'")
    return Moment(at, "mail", f"{r.mail_from} → {', '.join(r.rcpt_tos)}: '{subject}'")


def timeline(world: World) -> list[Moment]:
    """The actors' actions and every mail the daemon sent, in time order."""
    daemon_mails = [
        r
        for r in world.smtp.received
        if r.message.get("X-Followupd")
        or (
            r.message.get("In-Reply-To")
            and r.mail_from == REP
            and BUYER in r.rcpt_tos
            and not str(r.message.get("Subject", "")).startswith("Re: [FU-")
        )
    ]
    moments = [*world.timeline, *map(_mail_moment, daemon_mails)]
    # Date headers have whole seconds; an action and the mail it caused share a second.
    return sorted(moments, key=lambda m: m.at.replace(microsecond=0))


def render(moments: list[Moment]) -> str:
    head = f"{'buyer time (Chicago)':<22}{'rep time (Ningbo)':<22}{'who':<11}what"
    lines = [head, "-" * len(head)]
    for m in moments:
        b = m.at.astimezone(BUYER_TZ)
        r = m.at.astimezone(REP_TZ)
        lines.append(f"{b:%a %d %b %H:%M}      {r:%a %d %b %H:%M}      {m.who:<11}{m.what}")
    return "\n".join(lines)


async def run_demo(verbose: bool = True) -> int:
    """Play the scenario; print the timeline; exit status 0 when every stage happened."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="followupd-demo-") as tmp:
        async with World(Path(tmp)) as w:
            if verbose:
                print(
                    f"IMAP (pymap) on 127.0.0.1:{w.imap.port}, SMTP (aiosmtpd) on "
                    f"127.0.0.1:{w.smtp.port}, SQLite in a temporary directory.\n"
                )
            await w.rep_sends_pi(subject=SUBJECT)
            for n, answer in ((1, "approve"), (2, "ok")):
                await w.advance_until(lambda: len(w.reviews()) >= n)  # noqa: B023
                w.later(timedelta(hours=2))
                await w.rep_replies(w.reviews()[n - 1], answer)
                await w.advance_until(lambda: len(w.mails_to(BUYER)) >= n + 1)  # noqa: B023
            w.later(timedelta(hours=5))
            await w.buyer_replies(
                w.mails_to(BUYER)[-1], "Thanks Anna, please send the revised PI for 5,000 pcs."
            )
            # Let every remaining job run: nothing more may reach the buyer.
            for _ in range(10):
                if await w.advance() is None:
                    break
            assert w.daemon is not None and w.daemon.rt is not None
            async with w.daemon.rt.db.transaction() as session:
                state = (await session.scalars(select(Thread.state))).all()
            print(render(timeline(w)))
            buyer_mails = len(w.mails_to(BUYER)) - 1  # the PI itself went through SMTP too
            ok = buyer_mails == 2 and state == ["replied"] and len(w.reviews()) == 2
            print()
            print(
                f"follow-ups received by the buyer: {buyer_mails}; thread state: "
                f"{', '.join(state)}; simulated time: "
                f"{_span(w.timeline[0].at, w.clock.now())}; "
                f"real time: {time.monotonic() - started:.1f} s"
            )
            print("demo OK" if ok else "demo FAILED: a stage did not happen as expected")
            return 0 if ok else 1


def _span(a: datetime, b: datetime) -> str:
    return f"{(b - a).days} days"
