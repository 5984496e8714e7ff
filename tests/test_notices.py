"""Commands in replies to any followupd mail about a thread, and `paid` (reply and CLI)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime
from pathlib import Path

import pytest
from loop_helpers import events
from sqlalchemy import select

from followupd.commands.thread import paid_thread
from followupd.demo.world import BUYER, REP, REP_NAME, Received, World
from followupd.model import Draft, Notice, Step, Thread

pytestmark = pytest.mark.pymap

PI_BODY = """Dear Hans,

please find attached our proforma invoice PI-2026-118 for the deep groove ball bearings.

Total amount: USD 12,480.00
Price term: FOB Ningbo
Validity: until 15 Dec 2026

Best regards,
Anna Chen
"""


async def _thread(w: World) -> Thread:
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        thread = await session.scalar(select(Thread))
    assert thread is not None
    return thread


async def _steps(w: World) -> list[Step]:
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        return list((await session.scalars(select(Step).order_by(Step.number))).all())


def _text(mail: Received) -> str:
    body = mail.message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


async def _drafted_template(w: World) -> str:
    """The template of the step drafted last."""
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        step_id = await session.scalar(select(Draft.step_id).order_by(Draft.id.desc()))
        step = await session.get(Step, step_id)
        assert step is not None
        return step.template


async def test_set_by_replying_to_the_tracking_mail(tmp_path: Path, db_url: str) -> None:
    async with World(tmp_path, db_url=db_url) as w:
        await w.rep_sends_pi(subject="PI-2026-118 deep groove ball bearings", body=PI_BODY)
        ack = w.notices("Tracking:")[0]
        await w.rep_replies(ack, "set validity 2026-12-20")
        assert (await _thread(w)).validity is not None
        assert (await _thread(w)).validity.isoformat() == "2026-12-20"  # type: ignore[union-attr]
        updated = w.notices("Updated:")
        assert len(updated) == 1 and "FN-" in _text(updated[0])
        # The Tracking mail's token worked once: the same reply again is refused.
        await w.rep_replies(ack, "set validity 2026-12-22")
        refused = w.notices("Command refused:")
        assert len(refused) == 1 and "token was used" in _text(refused[0])
        assert (await _thread(w)).validity.isoformat() == "2026-12-20"  # type: ignore[union-attr]
        # The confirmation takes the next command.
        await w.rep_replies(updated[0], "set incoterm CIF Hamburg")
        assert (await _thread(w)).incoterm == "CIF Hamburg"
        assert "command-refused" in await events(w)


async def test_a_notice_has_no_draft_to_approve(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI-2026-118 deep groove ball bearings", body=PI_BODY)
        ack = w.notices("Tracking:")[0]
        await w.rep_replies(ack, "approve")
        assert "decides a draft" in _text(w.notices("Command not understood:")[0])
        # Not used up: the same notice still takes a real command.
        await w.rep_replies(ack, "stop")
        assert (await _thread(w)).state == "stopped"
        assert len(w.notices("Stopped:")) == 1


async def test_forged_and_stale_notice_replies_are_refused(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI-2026-118 deep groove ball bearings", body=PI_BODY)
        ack = w.notices("Tracking:")[0]
        # Answers the notice but without its token (a hand-made mail, not a reply).
        msg = EmailMessage(policy=default_policy)
        msg["From"] = f"{REP_NAME} <{REP}>"
        msg["To"] = REP
        msg["Subject"] = "Re: " + str(ack.message["Subject"])
        msg["Date"] = format_datetime(w.clock.now())
        msg["Message-ID"] = f"<forged.{secrets.token_hex(4)}@seller.test>"
        msg["In-Reply-To"] = str(ack.message["Message-ID"])
        msg.set_content("won\n")
        await w._submit(msg, [REP])
        await w.settle()
        assert "token" in _text(w.notices("Command refused:")[0])
        assert (await _thread(w)).state == "active"
        # A genuine reply, but to a notice older than the tokens' lifetime.
        w.later(timedelta(days=31))
        await w.rep_replies(ack, "won")
        assert "older than 30 days" in _text(w.notices("Command refused:")[1])
        assert (await _thread(w)).state != "won"


async def test_won_from_a_notice_closes_the_thread(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI-2026-118 deep groove ball bearings", body=PI_BODY)
        await w.rep_replies(w.notices("Tracking:")[0], "成交")
        assert (await _thread(w)).state == "won"
        assert {s.state for s in await _steps(w)} == {"cancelled"}
        assert await w.advance() is None
        assert len(w.mails_to(BUYER)) == 1  # only the rep's own PI mail


async def test_paid_by_reply_starts_the_after_payment_cadence(tmp_path: Path, db_url: str) -> None:
    async with World(tmp_path, db_url=db_url) as w:
        await w.rep_sends_pi(
            subject="PI-2026-118 deep groove ball bearings", cadence="payment", body=PI_BODY
        )
        await w.advance_until(lambda: len(w.reviews()) == 1)
        first = w.reviews()[0]
        paid_at = w.clock.now()
        await w.rep_replies(first, "paid")
        thread = await _thread(w)
        assert thread.cadence == "after-payment" and thread.paid_at is not None
        # The simulated clock runs on while the reply travels.
        assert timedelta(0) <= thread.paid_at - paid_at < timedelta(minutes=1)
        assert "FN-" in _text(w.notices("Paid:")[0])
        steps = await _steps(w)
        old = [s for s in steps if s.number <= thread.step_base]
        new = [s for s in steps if s.number > thread.step_base]
        assert old and all(s.state in ("cancelled", "skipped") for s in old)
        assert [(s.number - thread.step_base, s.template) for s in new] == [(1, "payment-received")]
        assert new[0].due_at - thread.paid_at == timedelta(hours=2)
        assert w.daemon is not None and w.daemon.rt is not None
        async with w.daemon.rt.db.transaction() as session:
            assert (await session.scalar(select(Draft.state).order_by(Draft.id))) == "cancelled"
        # The payment confirmation is drafted, approved and goes out within the day.
        await w.advance_until(lambda: len(w.reviews()) == 2)
        assert await _drafted_template(w) == "payment-received"
        await w.rep_replies(w.reviews()[1], "ok")
        await w.advance_until(lambda: len(w.mails_to(BUYER)) == 2)
        assert w.clock.now() - paid_at < timedelta(days=1)
        assert "payment" in _text(w.mails_to(BUYER)[-1]).lower()
        # Then the thank-you with a feedback request, a few days later.
        await w.advance_until(lambda: len(w.reviews()) == 3)
        assert await _drafted_template(w) == "thank-you-feedback"
        # A second "paid" changes nothing.
        await w.rep_replies(w.notices("Paid:")[0], "paid")
        assert "already recorded" in _text(w.notices("Not changed:")[0])


async def test_paid_on_the_command_line(tmp_path: Path, db_url: str) -> None:
    async with World(tmp_path, db_url=db_url) as w:
        await w.rep_sends_pi(subject="PI-2026-118 deep groove ball bearings", body=PI_BODY)
        thread = await _thread(w)
        await w.stop_daemon()
        assert w.config is not None
        cfg = w.config
        assert await paid_thread(cfg, thread.id, clock=w.clock) == 0
        assert await paid_thread(cfg, thread.id, clock=w.clock) == 1
        assert await paid_thread(cfg, 999, clock=w.clock) == 1
        await w.start_daemon()
        await w.settle()
        thread = await _thread(w)
        assert thread.cadence == "after-payment" and thread.state == "active"
        await w.advance_until(lambda: len(w.reviews()) == 1)
        assert await _drafted_template(w) == "payment-received"
        assert w.daemon is not None and w.daemon.rt is not None
        async with w.daemon.rt.db.transaction() as session:
            assert await session.scalar(select(Notice.id)) is not None


async def test_a_company_that_paid_before_is_a_regular_buyer(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI-2026-118 deep groove ball bearings", body=PI_BODY)
        assert (await _thread(w)).tier is None
        await w.rep_replies(w.notices("Tracking:")[0], "paid")
        await w.rep_sends_pi(subject="PI-2026-131 taper roller bearings")
        assert w.daemon is not None and w.daemon.rt is not None
        async with w.daemon.rt.db.transaction() as session:
            second = await session.scalar(select(Thread).order_by(Thread.id.desc()))
        assert second is not None and second.tier == "regular"
        ack = _text(w.notices("Tracking:")[1])
        assert "tier: regular (the company ordered before)" in ack
