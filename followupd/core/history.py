"""A thread's history in the facts a review mail shows in two lines."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from followupd.approval.review import History
from followupd.model import Message, Step, Thread

__all__ = ["thread_history"]


async def thread_history(session: AsyncSession, thread: Thread) -> History:
    """What was sent on ``thread`` (the rep's mail and our follow-ups), read, and answered."""
    sent_steps, last_step = (
        await session.execute(
            select(func.count(Step.id), func.max(Step.sent_at)).where(
                Step.thread_id == thread.id, Step.state == "sent"
            )
        )
    ).one()
    receipt = await session.scalar(
        select(func.max(Message.at)).where(
            Message.thread_id == thread.id, Message.label == "read_receipt"
        )
    )
    reply = (
        await session.execute(
            select(Message.at, Message.from_addr)
            .where(Message.thread_id == thread.id, Message.label == "reply")
            .order_by(Message.at.desc())
            .limit(1)
        )
    ).first()
    last_sent = last_step or thread.created_at
    return History(
        # The rep's own mail that started the thread counts as the first one sent.
        sent_count=1 + int(sent_steps or 0),
        last_sent_at=last_sent,
        last_sent_subject=thread.subject,
        # No read receipt means nothing: most clients never send one.
        read=True if receipt is not None and receipt >= last_sent else None,
        last_reply_at=reply[0] if reply else None,
        last_reply_from=(reply[1] or "") if reply else "",
    )
