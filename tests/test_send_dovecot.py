"""The send path against a real Dovecot: CONDSTORE on, so the look right before MAIL FROM must
still read each folder with UID n:*; SPECIAL-USE Sent for the look after a lost answer and for
filing our copy."""

from __future__ import annotations

import collections
from pathlib import Path

from servers.dovecot import DovecotServer, DovecotStore
from test_send_race import run_race

from followupd.demo.world import BUYER, World

OTHER = "jo@other-buyer.test"


async def test_a_reply_just_before_the_slot_stops_the_send(
    tmp_path: Path, dovecot_server: DovecotServer, dovecot_user: tuple[str, str]
) -> None:
    user, password = dovecot_user
    store = {"imap": DovecotStore(dovecot_server), "imap_user": user, "imap_password": password}
    await run_race(tmp_path, 5, store)


async def test_lost_answers_are_settled_through_dovecots_sent_folder(
    tmp_path: Path, dovecot_server: DovecotServer, dovecot_user: tuple[str, str]
) -> None:
    user, password = dovecot_user
    world = World(
        tmp_path,
        imap=DovecotStore(dovecot_server),
        imap_user=user,
        imap_password=password,
        mailbox_extra={"approval_policy": "auto"},
        provider_saves_sent=True,
    )
    async with world as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.rep_sends_pi(subject="PI 2026-119 taper rollers", buyer=OTHER, buyer_name="Jo")
        w.smtp.faults = ["deliver-drop", "drop"]

        def followups(buyer: str) -> list[str]:
            return [
                str(r.message["Message-ID"])
                for r in w.mails_to(buyer)
                if r.message.get("In-Reply-To")
            ]

        await w.advance_until(lambda: bool(followups(BUYER) and followups(OTHER)), limit=60)
        copies = collections.Counter(followups(BUYER) + followups(OTHER))
        assert set(copies.values()) == {1}, copies
        assert w.smtp.faults == []
        assert not w.notices("Check:")
