"""A mailbox's daily send limit (from its provider preset or config) holds follow-ups back."""

from __future__ import annotations

from datetime import time, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from loop_helpers import followups
from sqlalchemy import select

from followupd.core.send import DAY
from followupd.db.engine import Database
from followupd.demo.servers import Received
from followupd.demo.world import BUYER_TZ, REP, World
from followupd.model import Event, Step

pytestmark = pytest.mark.pymap
EVA = "eva@other-buyer.test"  # another company: only the limit keeps them apart
HOUR = timedelta(hours=1)


async def test_second_followup_waits_a_day_when_the_limit_is_one(tmp_path: Path) -> None:
    async with World(tmp_path, smtp_extra={"daily_limit": 1}) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.rep_sends_pi(subject="PI 2026-119 roller bearings", buyer=EVA)
        await w.advance_until(lambda: len(w.reviews()) == 2)
        for review in w.reviews():
            await w.rep_replies(review, "approve")

        def to_eva() -> list[Received]:
            return [r for r in w.mails_to(EVA) if r.message.get("In-Reply-To")]

        # Both buyers get their follow-up in the end; the second one a day after the first.
        await w.advance_until(lambda: len(followups(w)) + len(to_eva()) == 2)
        first, second = sorted(
            parsedate_to_datetime(str(r.message["Date"])) for r in [*followups(w), *to_eva()]
        )
        assert second - first >= DAY
        # The slot picker already keeps the second one off the full day when it is approved.
        approved = [r for r in w.mails_to(REP) if "Approved:" in str(r.message["Subject"])]
        assert len(approved) == 2


async def test_two_threads_with_one_company_never_touch_it_twice_a_day(tmp_path: Path) -> None:
    colleague = "eva@buyer-corp.test"  # same company as the default buyer
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.rep_sends_pi(subject="PI 2026-119 roller bearings", buyer=colleague)
        await w.advance_until(lambda: len(w.reviews()) == 2)
        for review in w.reviews():
            await w.rep_replies(review, "approve")

        def to_eva() -> list[Received]:
            return [r for r in w.mails_to(colleague) if r.message.get("In-Reply-To")]

        await w.advance_until(lambda: len(followups(w)) + len(to_eva()) == 2)
        days = {
            parsedate_to_datetime(str(r.message["Date"])).astimezone(BUYER_TZ).date()
            for r in [*followups(w), *to_eva()]
        }
        assert len(days) == 2


async def test_a_lowered_limit_holds_slots_planned_before_it(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.rep_sends_pi(subject="PI 2026-119 roller bearings", buyer=EVA)
        await w.advance_until(lambda: len(w.reviews()) == 2)
        for review in w.reviews():
            await w.rep_replies(review, "approve")
        # The admin lowers the limit to one a day and restarts. Both follow-ups were planned
        # without it; put them an hour apart, both still good minutes for the buyers.
        await w.stop_daemon()
        assert w.db_url is not None
        db = Database(w.db_url)
        async with db.transaction() as session:
            first, second = (await session.scalars(select(Step).order_by(Step.id))).all()
            assert first.send_at is not None and second.send_at is not None
            local = first.send_at.astimezone(BUYER_TZ)
            second.send_at = first.send_at + (HOUR if local.time() <= time(15, 5) else -HOUR)
        await db.close()
        w.reconfigure(smtp_extra={"daily_limit": 1})
        await w.start_daemon()

        def to_eva() -> list[Received]:
            return [r for r in w.mails_to(EVA) if r.message.get("In-Reply-To")]

        await w.advance_until(lambda: len(followups(w)) + len(to_eva()) == 2)
        sent = sorted(
            parsedate_to_datetime(str(r.message["Date"])) for r in [*followups(w), *to_eva()]
        )
        assert sent[1] - sent[0] >= DAY
        assert w.daemon is not None and w.daemon.rt is not None
        async with w.daemon.rt.db.transaction() as session:
            causes = (
                await session.scalars(select(Event.cause).where(Event.kind == "resloted"))
            ).all()
        assert any("daily send limit of 1 reached" in (c or "") for c in causes)
