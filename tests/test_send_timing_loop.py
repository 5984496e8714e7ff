"""Send timing in the daemon: the buyer's zone with its source, holidays, and the review mail."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from loop_helpers import followups
from sqlalchemy import select

from followupd.commands.thread import set_thread
from followupd.core.contacts import parse_contact_values
from followupd.demo.world import BUYER, BUYER_TZ, World
from followupd.errors import CommandError
from followupd.model import Contact, Event, Step

pytestmark = pytest.mark.pymap

BERLIN = ZoneInfo("Europe/Berlin")


async def _contact(w: World, email: str) -> Contact:
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        contact = await session.scalar(select(Contact).where(Contact.email == email))
    assert contact is not None
    return contact


async def _approved_steps(w: World) -> list[Step]:
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        rows = await session.scalars(select(Step).where(Step.send_at.is_not(None)))
        return list(rows.all())


def _text(w: World, subject_start: str) -> str:
    mail = w.notices(subject_start)[-1].message.get_body(preferencelist=("plain",))
    assert mail is not None
    return str(mail.get_content())


async def test_a_german_buyer_gets_no_mail_over_christmas(tmp_path: Path, db_url: str) -> None:
    buyer = "hans@buyer-corp.de"
    async with World(tmp_path, db_url=db_url) as w:
        # Monday 21 December: the first step (four days later) falls on Christmas Day.
        w.later(timedelta(days=28))
        await w.rep_sends_pi(subject="PI-2026-140 ball bearings", buyer=buyer)
        contact = await _contact(w, buyer)
        assert (contact.timezone, contact.timezone_source, contact.zone_country) == (
            "Europe/Berlin",
            "cctld",
            "DE",
        )
        await w.advance_until(lambda: len(w.reviews()) == 1)
        review = w.reviews()[0].message.get_body(preferencelist=("plain",))
        assert review is not None and "(Europe/Berlin, from their mail domain)" in str(
            review.get_content()
        )
        await w.rep_replies(w.reviews()[0], "approve")
        (step,) = await _approved_steps(w)
        assert step.send_at is not None
        local = step.send_at.astimezone(BERLIN)
        # 25 and 26 December are public holidays in Germany, the 27th a Sunday.
        assert local.date() == date(2026, 12, 28)
        assert time(10, 1) <= local.time() <= time(16, 5) and local.minute != 0
        await w.advance_until(lambda: len(w.mails_to(buyer)) == 2)


async def test_the_buyers_date_headers_teach_their_zone(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI-2026-118 ball bearings")
        before = await _contact(w, BUYER)
        # A .test address and no country: only the configured default is known.
        assert before.timezone_source == "default"
        await w.advance_until(lambda: len(w.reviews()) == 1)
        await w.rep_replies(w.reviews()[0], "ok")
        await w.advance_until(lambda: len(followups(w)) == 1)
        # Hans answers from Chicago: his Date header says -06:00 in November.
        await w.buyer_replies(followups(w)[0], "Thanks Anna, we will come back to you.")
        after = await _contact(w, BUYER)
        assert after.timezone_source == "learned"
        assert after.timezone is not None
        offset = ZoneInfo(after.timezone).utcoffset(w.clock.now().replace(tzinfo=None))
        assert offset == timedelta(hours=-6)
        assert after.timezone_detail and "show -06:00" in after.timezone_detail


async def test_the_rep_sets_the_buyers_zone_and_country(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI-2026-118 ball bearings")
        await w.rep_replies(w.notices("Tracking:")[0], "set timezone Asia/Dubai")
        contact = await _contact(w, BUYER)
        assert (contact.timezone, contact.timezone_source) == ("Asia/Dubai", "contact")
        assert "every thread with" in _text(w, "Updated:")
        # A bad value changes nothing and says why.
        await w.rep_replies(w.notices("Updated:")[0], "set timezone Mars/Olympus")
        assert "unknown timezone" in _text(w, "Not changed:")
        assert (await _contact(w, BUYER)).timezone == "Asia/Dubai"
        # The send slot follows the zone the rep set.
        await w.advance_until(lambda: len(w.reviews()) == 1)
        await w.rep_replies(w.reviews()[0], "ok")
        (step,) = await _approved_steps(w)
        assert step.send_at is not None
        local = step.send_at.astimezone(ZoneInfo("Asia/Dubai"))
        assert time(10, 1) <= local.time() <= time(16, 5)
        # On the command line: the country, with the zone learned again from it.
        await w.stop_daemon()
        assert w.config is not None
        thread_id = step.thread_id
        assert await set_thread(w.config, thread_id, ["timezone=auto", "country=JP"]) == 0
        assert await set_thread(w.config, thread_id, ["country=Atlantis"]) == 1
        await w.start_daemon()
        contact = await _contact(w, BUYER)
        assert (contact.country, contact.timezone, contact.timezone_source) == (
            "JP",
            "Asia/Tokyo",
            "country",
        )


TOKYO = ZoneInfo("Asia/Tokyo")


def _good_in_tokyo(instant: datetime) -> bool:
    local = instant.astimezone(TOKYO)
    return local.weekday() < 5 and time(10, 1) <= local.time() <= time(16, 5) and local.minute != 0


async def _events(w: World, kind: str) -> list[Event]:
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        return list((await session.scalars(select(Event).where(Event.kind == kind))).all())


async def test_an_approved_followup_moves_when_the_rep_sets_the_buyers_zone(
    tmp_path: Path,
) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI-2026-118 ball bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        await w.rep_replies(w.reviews()[0], "ok")
        (step,) = await _approved_steps(w)
        assert step.send_at is not None and not _good_in_tokyo(step.send_at)
        # Chicago working hours are the middle of the night in Tokyo.
        await w.rep_replies(w.notices("Approved:")[0], "set timezone Asia/Tokyo")
        text = _text(w, "Updated:")
        assert "Approved follow-ups moved to a good time for them" in text
        assert "PI-2026-118 ball bearings:" in text
        (moved,) = await _approved_steps(w)
        assert moved.send_at is not None and moved.send_at > step.send_at
        assert _good_in_tokyo(moved.send_at)
        await w.advance_until(lambda: len(followups(w)) == 1)
        sent = parsedate_to_datetime(str(followups(w)[0].message["Date"]))
        assert _good_in_tokyo(sent)
        assert abs(sent - moved.send_at) < timedelta(minutes=1)


async def test_a_slot_that_no_longer_suits_the_buyer_is_picked_again_at_send_time(
    tmp_path: Path,
) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI-2026-118 ball bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        await w.rep_replies(w.reviews()[0], "ok")
        (step,) = await _approved_steps(w)
        assert step.send_at is not None
        # Changed on the command line, with the daemon down: nothing re-picks the slot then.
        await w.stop_daemon()
        assert w.config is not None
        assert await set_thread(w.config, step.thread_id, ["hours=13:00-18:00"]) == 0
        assert await set_thread(w.config, step.thread_id, ["hours=7-8"]) == 1
        await w.start_daemon()
        await w.advance_until(lambda: len(followups(w)) == 1)
        sent = parsedate_to_datetime(str(followups(w)[0].message["Date"])).astimezone(BUYER_TZ)
        # 13:00-18:00 with the first hour skipped and 55 minutes to answer: 14:01 to 17:05.
        assert time(14, 1) <= sent.time() <= time(17, 5) and sent.minute != 0
        (event,) = await _events(w, "resloted")
        assert "not an allowed minute" in (event.cause or "")
        assert sent > step.send_at.astimezone(BUYER_TZ)


def test_the_buyers_hours_as_the_rep_writes_them() -> None:
    assert parse_contact_values([("hours", "8-16")]) == {"hours": "08:00-16:00"}
    assert parse_contact_values([("Hours", "07:30 – 12:00")]) == {"hours": "07:30-12:00"}
    assert parse_contact_values([("hours", "auto")]) == {"hours": None}
    with pytest.raises(CommandError, match="leave no minute"):
        parse_contact_values([("hours", "9-10")])
    with pytest.raises(CommandError, match="like 08:00-16:30"):
        parse_contact_values([("hours", "mornings")])
