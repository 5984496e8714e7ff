"""A follow-up as the buyer receives it: DKIM-signed when configured (and the signature holds
over the bytes that were sent), a read receipt asked for when configured, no Auto-Submitted,
and filed in Sent with the very same bytes."""

from __future__ import annotations

from pathlib import Path

import dkim
import pytest

from followupd.demo.world import BUYER, REP, World

pytestmark = pytest.mark.pymap

KEYS = Path(__file__).parent / "fixtures" / "dkim"


def _dns(name: bytes, timeout: float = 5) -> bytes | None:
    public = (KEYS / "rep.pub.b64").read_text().strip()
    return f"v=DKIM1; k=rsa; p={public}".encode() if name == b"s1._domainkey.seller.test." else None


async def test_a_signed_followup_verifies_and_is_filed_unchanged(tmp_path: Path) -> None:
    extra = {
        "approval_policy": "auto",
        "read_receipts": True,
        "dkim": {"selector": "s1", "key_file": str(KEYS / "rep.key")},
    }
    async with World(tmp_path, mailbox_extra=extra) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.advance_until(
            lambda: any(r.message.get("In-Reply-To") for r in w.mails_to(BUYER)), limit=40
        )
        (sent,) = [r for r in w.mails_to(BUYER) if r.message.get("In-Reply-To")]
        assert sent.raw.startswith(b"DKIM-Signature:")
        assert dkim.verify(sent.raw, dnsfunc=_dns)
        assert str(sent.message["Disposition-Notification-To"]) == REP
        assert sent.message.get("Auto-Submitted") is None
        # followupd filed the same bytes in Sent (the provider here does not).
        client = w.imap.client(w.imap_user)
        try:
            client.select_folder("Sent", readonly=True)
            mid = str(sent.message["Message-ID"]).strip("<>")
            uids = client.search(["HEADER", "Message-ID", mid])
            assert len(uids) == 1
            filed = client.fetch(uids, ["BODY.PEEK[]"])[uids[0]][b"BODY[]"]
        finally:
            client.logout()
        assert bytes(filed) == sent.raw
        assert dkim.verify(bytes(filed), dnsfunc=_dns)
