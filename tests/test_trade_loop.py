"""The trade context end to end: read at enrollment, confirmed to the rep, corrected by `set`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from loop_helpers import events
from sqlalchemy import select

from followupd.commands.thread import set_thread
from followupd.demo.world import World
from followupd.model import Draft, Thread

pytestmark = pytest.mark.pymap

PI_BODY = """Dear Hans,

please find attached our proforma invoice PI-2026-118 for the deep groove ball bearings.

Item: 6204-2RS deep groove ball bearing, 20,000 pcs
Total amount: USD 12,480.00
Price term: FOB Ningbo
Payment: 30% T/T deposit, 70% before shipment
Validity: until 15 Dec 2026

Best regards,
Anna Chen
Tel. +86 574 8888 1234
"""


async def _thread(w: World) -> Thread:
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        thread = await session.scalar(select(Thread))
    assert thread is not None
    return thread


async def test_context_is_read_at_enrollment_and_confirmed(tmp_path: Path, db_url: str) -> None:
    async with World(tmp_path, db_url=db_url) as w:
        await w.rep_sends_pi(subject="PI-2026-118 deep groove ball bearings", body=PI_BODY)
        thread = await _thread(w)
        assert thread.document_ref and "2026-118" in thread.document_ref
        assert (thread.amount, thread.currency) == (Decimal("12480.00"), "USD")
        assert thread.validity == date(2026, 12, 15)
        assert thread.incoterm == "FOB Ningbo"
        assert thread.payment_terms and "30% T/T" in thread.payment_terms
        ack = w.notices("Tracking:")
        assert len(ack) == 1
        text = ack[0].message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        assert "USD 12,480.00" in text and "validity 2026-12-15" in text
        assert "reply `set validity 2026-12-15`" in text
        assert f"followupd thread set {thread.id} key=value" in text
        # The mail takes commands itself: it carries a notice token.
        assert "Keep this line in your reply: FN-" in text
        # The phone number in the signature is not an amount, and the notes stay empty.
        assert thread.notes is None


async def test_set_in_a_review_reply_corrects_and_drafts_again(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI-2026-118 deep groove ball bearings", body=PI_BODY)
        await w.advance_until(lambda: len(w.reviews()) == 1)
        await w.rep_replies(w.reviews()[0], "set validity 2026-12-20")
        assert len(w.notices("Updated:")) == 1
        thread = await _thread(w)
        assert thread.validity == date(2026, 12, 20)
        assert "corrected" in await events(w)
        await w.advance_until(lambda: len(w.reviews()) == 2)
        assert w.daemon is not None and w.daemon.rt is not None
        async with w.daemon.rt.db.transaction() as session:
            states = (await session.scalars(select(Draft.state).order_by(Draft.id))).all()
        assert list(states) == ["cancelled", "pending"]
        # A bad value changes nothing and says why.
        await w.rep_replies(w.reviews()[1], "set validity soonish")
        assert len(w.notices("Not changed:")) == 1
        assert (await _thread(w)).validity == date(2026, 12, 20)


async def test_cli_thread_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI-2026-118 deep groove ball bearings", body=PI_BODY)
        thread = await _thread(w)
        assert w.config is not None
        code = await set_thread(
            w.config,
            thread.id,
            ["validity=2026-12-20", "incoterm=CIF Hamburg", "note=call Fri"],
            clock=w.clock,
        )
        assert code == 0
        out = capsys.readouterr().out
        assert "validity: 2026-12-20" in out and "step 1" in out
        thread = await _thread(w)
        assert (thread.validity, thread.incoterm, thread.notes) == (
            date(2026, 12, 20),
            "CIF Hamburg",
            "call Fri",
        )
        # All or nothing.
        code = await set_thread(
            w.config, thread.id, ["incoterm=FOB Ningbo", "validity=soonish"], clock=w.clock
        )
        assert code == 1
        assert "validity" in capsys.readouterr().err
        assert (await _thread(w)).incoterm == "CIF Hamburg"
        assert await set_thread(w.config, 999, ["validity=2026-12-20"]) == 1


async def test_a_step_waits_for_missing_data_and_asks_once(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        # The sample cadence starts with the parcel's tracking number, which the mail lacks.
        await w.rep_sends_pi(subject="Samples for your test", cadence="sample")
        await w.advance_until(lambda: len(w.notices("Needs your input:")) == 1)
        notice = w.notices("Needs your input:")[0].message
        text = notice.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        thread = await _thread(w)
        assert f"followupd thread set {thread.id} tracking=" in text
        assert w.reviews() == []
        assert w.config is not None and w.daemon is not None
        assert (
            await set_thread(w.config, thread.id, ["tracking=1Z999AA10123456784"], clock=w.clock)
            == 0
        )
        w.daemon.reload()
        await w.advance_until(lambda: len(w.reviews()) == 1)
        assert (
            "1Z999AA10123456784"
            in w.reviews()[0]
            .message.get_body(  # type: ignore[union-attr]
                preferencelist=("plain",)
            )
            .get_content()
        )
        assert len(w.notices("Needs your input:")) == 1
