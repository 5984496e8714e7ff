"""Mailbox-watching scenarios, run against pymap and against Dovecot by the test modules.

Each one drives a real daemon in a :class:`World` and looks at what it did in its database
and at the mail the embedded SMTP server received.
"""

from __future__ import annotations

import asyncio
import secrets
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime

from loop_helpers import followups, thread_states
from servers.tcp_proxy import TcpProxy
from sqlalchemy import select

from followupd.demo.world import BUYER, BUYER_NAME, BUYER_TZ, REP, REP_NAME, World
from followupd.model import KnownMessage, Message, Thread


def buyer_reply(
    w: World,
    root: str,
    text: str = "Thanks, we will order next week.",
    *,
    buyer: str = BUYER,
    buyer_name: str = BUYER_NAME,
) -> bytes:
    """A buyer's answer to the enrolled mail, as it lands in the rep's mailbox."""
    msg = EmailMessage(policy=default_policy)
    msg["From"] = f"{buyer_name} <{buyer}>"
    msg["To"] = f"{REP_NAME} <{REP}>"
    msg["Subject"] = "RE: PI for your order"
    msg["Date"] = format_datetime(w.clock.now().astimezone(BUYER_TZ))
    msg["Message-ID"] = f"<{secrets.token_hex(8)}@{buyer.rpartition('@')[2]}>"
    msg["In-Reply-To"] = f"<{root}>"
    msg["References"] = f"<{root}>"
    msg.set_content(text)
    return msg.as_bytes()


def rep_manual_reply(w: World, root: str) -> bytes:
    """What the rep's mail client saves in Sent when she answers the buyer herself."""
    msg = EmailMessage(policy=default_policy)
    msg["From"] = f"{REP_NAME} <{REP}>"
    msg["To"] = f"{BUYER_NAME} <{BUYER}>"
    msg["Subject"] = "Re: PI for your order"
    msg["Date"] = format_datetime(w.clock.now())
    msg["Message-ID"] = f"<manual.{secrets.token_hex(6)}@seller.test>"
    msg["In-Reply-To"] = f"<{root}>"
    msg["References"] = f"<{root}>"
    msg.set_content("Hans, I just called you about the PI; details below.")
    return msg.as_bytes()


async def labels_of(w: World, message_id: str) -> list[tuple[str | None, str]]:
    """(folder, label) of every sighting of one Message-ID, in order."""
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        rows = await session.execute(
            select(Message.folder, Message.label)
            .where(Message.message_id == message_id.strip("<>"))
            .order_by(Message.id)
        )
        return [(f, label) for f, label in rows]


async def deliver(w: World, raw: bytes, folder: str = "INBOX") -> None:
    await asyncio.to_thread(w.imap.append, w.imap_user, raw, folder)


def message_id(raw: bytes) -> str:
    for line in raw.split(b"\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode().strip("<>")
    raise AssertionError("no Message-ID")


async def wait_for(w: World, check: object, limit: float = 20.0) -> None:
    """Poll the database (real time, bounded) until ``check()`` is true."""
    assert callable(check)
    for _ in range(int(limit / 0.1)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the daemon did not get there in time")


async def reply_in_other_folder(w: World) -> None:
    """A rule files the buyer's reply in "Buyers"; later the same mail shows up in INBOX."""
    root = await w.rep_sends_pi(subject="PI for your order")
    reply = buyer_reply(w, root)
    await deliver(w, reply, "Buyers")
    await w.settle()
    assert await thread_states(w) == ["replied"]
    await deliver(w, reply, "INBOX")  # the rep moved it back
    await w.settle()
    assert len(w.notices("Buyer replied:")) == 1
    assert [label for _, label in await labels_of(w, message_id(reply))] == ["reply", "copy"]
    # The enrolled mail was seen twice too (the +fu copy in INBOX, the rep's copy in Sent).
    sightings = await labels_of(w, root)
    assert sorted(label for _, label in sightings) == ["copy", "enrollment"]


async def rep_takes_over(w: World, sent_folder: str) -> None:
    """The rep answers the buyer by hand; the copy in Sent pauses the thread for good."""
    root = await w.rep_sends_pi(subject="PI for your order")
    await w.advance_until(lambda: len(w.reviews()) == 1)
    assert await thread_states(w) == ["drafted"]
    manual = rep_manual_reply(w, root)
    await deliver(w, manual, sent_folder)
    await w.settle()
    assert await thread_states(w) == ["paused"]
    assert [label for _, label in await labels_of(w, message_id(manual))] == ["rep_reply"]
    notice = w.notices("You took over:")
    assert len(notice) == 1
    # The pending draft is void: approving it now sends nothing.
    await w.rep_replies(w.reviews()[0], "approve")
    for _ in range(10):
        if await w.advance() is None:
            break
    assert followups(w) == []
    assert await thread_states(w) == ["paused"]


async def reconnect_after_cut(w: World, proxy: TcpProxy) -> None:
    """The connection dies mid-IDLE and the server is unreachable while the reply arrives."""
    root = await w.rep_sends_pi(subject="PI for your order")
    assert await thread_states(w) == ["active"]
    await asyncio.sleep(0.3)  # back in IDLE
    proxy.refuse(True)
    assert proxy.cut() >= 2
    reply = buyer_reply(w, root)
    await deliver(w, reply)  # straight to the server, not through the proxy
    await asyncio.sleep(1.5)  # at least one reconnect attempt fails
    assert await thread_states(w) == ["active"]
    proxy.refuse(False)

    async def replied() -> bool:
        return await thread_states(w) == ["replied"]

    await wait_for(w, replied)
    await w.settle()
    assert [label for _, label in await labels_of(w, message_id(reply))] == ["reply"]
    assert len(w.notices("Buyer replied:")) == 1
    assert proxy.accepted >= 2


async def uidvalidity_change(w: World) -> None:
    """ "Buyers" is deleted and made again: old mail is not handled twice, new mail is."""
    root_a = await w.rep_sends_pi(subject="PI for your order")
    first = buyer_reply(w, root_a)
    await deliver(w, first, "Buyers")
    await w.settle()
    root_b = await w.rep_sends_pi(subject="PI for your order", buyer="eva@buyer-corp.test")
    assert await thread_states(w) == ["replied", "active"]
    client = await asyncio.to_thread(w.imap.client, w.imap_user)
    try:
        before = (await asyncio.to_thread(client.folder_status, "Buyers"))[b"UIDVALIDITY"]
        await asyncio.to_thread(client.delete_folder, "Buyers")
        await asyncio.to_thread(client.create_folder, "Buyers")
        await asyncio.to_thread(client.append, "Buyers", first)
        second = buyer_reply(w, root_b, "Eva here: please hold the PI.")
        await asyncio.to_thread(client.append, "Buyers", second)
        after = (await asyncio.to_thread(client.folder_status, "Buyers"))[b"UIDVALIDITY"]
    finally:
        await asyncio.to_thread(client.logout)
    assert after != before
    await w.settle()
    await w.settle()
    assert await thread_states(w) == ["replied", "replied"]
    assert [label for _, label in await labels_of(w, message_id(first))] == ["reply", "copy"]
    assert [label for _, label in await labels_of(w, message_id(second))] == ["reply"]
    assert len(w.notices("Buyer replied:")) == 2
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        assert len((await session.scalars(select(Thread.id))).all()) == 2


async def old_mail_is_indexed_not_handled(w: World) -> None:
    """A folder seen for the first time: its mail is indexed by header, never acted upon."""
    await w.stop_daemon()
    client = await asyncio.to_thread(w.imap.client, w.imap_user)
    old = [buyer_reply(w, f"old.{n}@seller.test", f"Old answer {n}") for n in range(3)]
    try:
        await asyncio.to_thread(client.create_folder, "Old mail")
        for raw in old:
            await asyncio.to_thread(client.append, "Old mail", raw)
    finally:
        await asyncio.to_thread(client.logout)
    await w.start_daemon()
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        indexed = (
            await session.execute(
                select(KnownMessage.message_id, KnownMessage.from_addr, KnownMessage.utc_offset)
                .where(KnownMessage.folder == "Old mail")
                .order_by(KnownMessage.uid)
            )
        ).all()
        handled = (
            await session.scalars(select(Message.id).where(Message.folder == "Old mail"))
        ).all()
    assert [m for m, _, _ in indexed] == [message_id(raw) for raw in old]
    assert {f for _, f, _ in indexed} == {BUYER}
    assert all(offset is not None for _, _, offset in indexed)
    assert handled == []
    # New mail in the same folder is handled as usual.
    root = await w.rep_sends_pi(subject="PI for your order")
    await deliver(w, buyer_reply(w, root), "Old mail")
    await w.settle()
    assert await thread_states(w) == ["replied"]
