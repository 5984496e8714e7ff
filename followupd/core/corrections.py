"""The rep corrects what followupd knows about a deal: `set <key> <value>` in a reply.

The reply is authenticated like any command (it answers a review mail, carries its token,
comes from the rep). It does not decide the draft: the facts change, the draft made from the
old ones is void, and a fresh one follows with its own review mail.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from followupd.core import outbound
from followupd.core.notify import AfterCommit, tell_rep
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.threads import audit
from followupd.core.tradectx import replan, set_values
from followupd.errors import CommandError
from followupd.mail.parse import ParsedMessage
from followupd.model import Step, Thread


async def on_set(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    step: Step,
    thread: Thread,
    argument: str,
) -> list[AfterCommit]:
    """Apply ``argument`` ("validity 2026-12-20") to the thread, then re-plan and re-draft."""
    now = rt.clock.now()
    key, _, value = argument.partition(" ")
    try:
        changed = set_values(thread, [(key, value)], today=now)
    except CommandError as exc:
        return [
            tell_rep(
                rt,
                mb,
                f"Not changed: {thread.subject}",
                f"{exc}\nNothing was changed; the draft still waits for you.\n",
                msg.message_id,
            )
        ]
    audit(session, at=now, kind="corrected", thread=thread, cause="; ".join(changed))
    steps = await replan(
        session, thread, rt.cadences[thread.cadence], at=now, default_tz=rt.default_tz
    )
    actions: list[AfterCommit] = [
        outbound.arm_step_action(rt, s.id, "planned", s.due_at) for s in steps
    ]
    actions.append(
        tell_rep(
            rt,
            mb,
            f"Updated: {thread.subject}",
            "".join(f"{line}\n" for line in changed)
            + "\nThe draft you answered is void; a new one with these facts follows.\n",
            msg.message_id,
        )
    )
    return actions
