"""The whole loop, end to end, on embedded pymap + aiosmtpd, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path

import pytest
from loop_helpers import events, followups, full_loop, steps, thread_states, unseen_flags
from sqlalchemy import select

from followupd.demo.servers import Received
from followupd.demo.world import BUYER, REP, World
from followupd.model import Quarantine

pytestmark = pytest.mark.pymap


async def test_full_loop(tmp_path: Path, db_url: str) -> None:
    async with World(tmp_path, db_url=db_url) as w:
        await full_loop(w)
        # The daemon only ever read the mailbox: nothing was marked \Seen or deleted.
        flags = unseen_flags(w)
        assert flags and all(b"\\Seen" not in f and b"\\Deleted" not in f for f in flags)


async def test_colleague_answering_without_threading_headers_stops_the_thread(
    tmp_path: Path,
) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI 2026-118 deep groove ball bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        await w.rep_replies(w.reviews()[0], "approve")
        # A colleague at the buyer's company writes a fresh mail: no In-Reply-To/References.
        w.imap.append(
            w.imap_user,
            (
                "From: Li Na <li.na@buyer-corp.test>\r\n"
                f"To: <{REP}>\r\nSubject: AW: PI 2026-118 deep groove ball bearings\r\n"
                "Message-ID: <fresh.1@buyer-corp.test>\r\n\r\nWe take it. Li Na\r\n"
            ).encode(),
        )
        await w.settle()
        assert await thread_states(w) == ["replied"]
        assert len(w.notices("Buyer replied:")) == 1
        for _ in range(10):
            if await w.advance() is None:
                break
        assert followups(w) == []


async def test_polling_when_idle_is_not_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="followupd.imap.watcher")
    async with World(tmp_path, imap_idle=False) as w:
        assert (
            "watching INBOX [inbox: configured], Sent [sent: well-known name 'Sent'] (polling)"
            in caplog.text
        )
        await w.rep_sends_pi(subject="PI 2026-118 deep groove ball bearings")
        assert await thread_states(w) == ["active"]
        await w.advance_until(lambda: len(w.reviews()) == 1)
        await w.rep_replies(w.reviews()[0], "approve")
        assert await thread_states(w) == ["approved"]


async def test_reply_before_the_slot_cancels_the_send(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI 2026-118 deep groove ball bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        await w.rep_replies(w.reviews()[0], "approve")
        pi = w.mails_to(BUYER)[0]
        # Hans answers the PI itself, after the approval but before the chosen minute.
        await w.buyer_replies(pi, "We will order next week.")
        assert await thread_states(w) == ["replied"]
        for _ in range(10):
            if await w.advance() is None:
                break
        assert followups(w) == []
        assert "cancelled" in {s for _, s in await steps(w)}


async def test_reply_during_the_smtp_transaction_stops_the_thread(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        pi = await w.rep_sends_pi(subject="PI 2026-118 deep groove ball bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        await w.rep_replies(w.reviews()[0], "approve")
        reply = (
            f"From: Hans Becker <{BUYER}>\r\nTo: <{REP}>\r\nSubject: RE: PI 2026-118\r\n"
            f"Message-ID: <race.1@buyer-corp.test>\r\nIn-Reply-To: <{pi}>\r\n"
            f"References: <{pi}>\r\n\r\nWe accept the PI.\r\n"
        ).encode()

        def buyer_answers_meanwhile(item: Received) -> None:
            if BUYER in item.rcpt_tos and item.message.get("In-Reply-To"):
                w.imap.append(w.imap_user, reply)
                time.sleep(1.5)  # the daemon sees and handles the reply before SMTP ends

        w.smtp.before_reply = buyer_answers_meanwhile
        await w.advance_until(lambda: len(followups(w)) == 1)
        await w.settle()
        # That one mail was already on its way; but nothing more is planned or sent.
        assert await thread_states(w) == ["replied"]
        assert await steps(w) == [(1, "sent")]
        assert "sent-late" in await events(w)
        assert w.daemon is not None and w.daemon.next_due() is None


async def test_third_pi_step_is_a_call_reminder_for_the_rep(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI 2026-118 deep groove ball bearings")
        for n in (1, 2):
            await w.advance_until(lambda: len(w.reviews()) == n)  # noqa: B023
            await w.rep_replies(w.reviews()[n - 1], "approve")
            await w.advance_until(lambda: len(followups(w)) == n)  # noqa: B023
        await w.advance_until(lambda: bool(w.notices("Call or WhatsApp Hans Becker")))
        reminder = w.notices("Call or WhatsApp Hans Becker")
        assert len(reminder) == 1
        body = reminder[0].message.get_body(preferencelist=("plain",))
        assert body is not None and "hans@buyer-corp.test" in body.get_content()
        # The reminder goes to the rep only; the buyer got nothing new, and step 4 is planned.
        assert len(followups(w)) == 2
        assert (await steps(w))[-2:] == [(3, "done"), (4, "planned")]


async def test_skip_moves_to_the_next_step_and_stop_ends(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI 2026-118 deep groove ball bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        await w.rep_replies(w.reviews()[0], "skip")
        assert await steps(w) == [(1, "skipped"), (2, "planned")]
        assert await thread_states(w) == ["active"]
        await w.advance_until(lambda: len(w.reviews()) == 2)
        await w.rep_replies(w.reviews()[1], "STOP")
        assert await thread_states(w) == ["stopped"]
        assert len(w.notices("Stopped:")) == 1
        for _ in range(10):
            if await w.advance() is None:
                break
        assert followups(w) == []


async def test_commands_that_must_be_refused(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI 2026-118 deep groove ball bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        review = w.reviews()[0]
        # A reply that lost the token (subject rewritten, nothing quoted) is refused.
        stripped = review.raw.replace(b"FU-", b"XX-")
        await w.rep_replies(Received(review.mail_from, review.rcpt_tos, stripped), "approve")
        assert len(w.notices("Command refused:")) == 1
        assert await thread_states(w) == ["drafted"]
        # Gibberish is not a command: the rep is told, the draft keeps waiting.
        await w.rep_replies(review, "maybe later?")
        assert len(w.notices("Command not understood:")) == 1
        assert await thread_states(w) == ["drafted"]
        # The real approval works once; the same token a second time is refused.
        await w.rep_replies(review, "approve")
        assert await thread_states(w) == ["approved"]
        await w.rep_replies(review, "stop")
        assert len(w.notices("Command refused:")) == 2
        assert await thread_states(w) == ["approved"]
        assert "command-refused" in await events(w)


async def test_unknown_cadence_tells_the_rep_the_valid_ones(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="Quotation Q-77", cadence="weekly")
        notice = w.notices("Unknown cadence 'weekly'")
        assert len(notice) == 1
        body = notice[0].message.get_body(preferencelist=("plain",))
        assert body is not None
        text = body.get_content()
        assert "halving" in text and "pi" in text and "NOT tracked" in text
        assert await thread_states(w) == []


async def test_named_cadence_is_used(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI 2026-118 deep groove ball bearings", cadence="halving")
        notice = w.notices("Tracking:")[0].message.get_body(preferencelist=("plain",))
        assert notice is not None and "cadence halving" in notice.get_content()
        due = w.daemon.next_due() if w.daemon else None
        assert due is not None and due - w.clock.now() > timedelta(days=11)


async def test_malformed_message_is_quarantined_and_the_daemon_goes_on(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        w.imap.append(w.imap_user, b"\x00\x01\x02 not a mail at all")
        await w.settle()
        assert w.daemon is not None and w.daemon.rt is not None
        async with w.daemon.rt.db.transaction() as session:
            rows = (await session.scalars(select(Quarantine))).all()
        assert len(rows) == 1 and rows[0].reason and rows[0].raw.startswith(b"\x00\x01")
        # The daemon still works.
        await w.rep_sends_pi(subject="PI 2026-118 deep groove ball bearings")
        assert await thread_states(w) == ["active"]
        # And the bad message is still in the rep's mailbox, untouched.
        client = w.imap.client(w.imap_user)
        try:
            client.select_folder("INBOX", readonly=True)
            first = min(client.search(["ALL"]))
            body = client.fetch([first], ["BODY.PEEK[]"])[first][b"BODY[]"]
        finally:
            client.logout()
        assert body == b"\x00\x01\x02 not a mail at all"


async def test_restart_rebuilds_jobs_from_the_database(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI 2026-118 deep groove ball bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        await w.rep_replies(w.reviews()[0], "approve")
        await w.stop_daemon()
        # A new daemon process on the same database re-arms the approved send.
        await w.start_daemon()
        await w.advance_until(lambda: len(followups(w)) == 1)
        for _ in range(3):
            await w.settle()
        assert len(followups(w)) == 1
        assert await thread_states(w) == ["active"]


async def test_mail_arriving_while_down_is_processed_after_restart(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await w.stop_daemon()
        w.imap.append(w.imap_user, _bcc_copy("PI 2026-120 pillow block bearings"))
        await w.start_daemon()
        assert await thread_states(w) == ["active"]
        assert len(w.notices("Tracking: PI 2026-120")) == 1


def _bcc_copy(subject: str) -> bytes:
    return (
        f"Delivered-To: {REP.replace('@', '+fu@')}\r\n"
        f"From: Anna Chen <{REP}>\r\nTo: Hans Becker <{BUYER}>\r\n"
        f"Subject: {subject}\r\nMessage-ID: <down.1@seller.test>\r\n"
        "Date: Mon, 23 Nov 2026 09:40:00 +0800\r\n\r\nPlease find our PI attached.\r\n"
    ).encode()
