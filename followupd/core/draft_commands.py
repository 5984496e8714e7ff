"""The rep answered the review mail of one draft: authenticate, then obey.

The reply holds a command (``approve``, ``now``, ``skip``, ``snooze 3d``, ``pause until
2026-12-01``, ``stop`` …) and/or an edited draft between the review mail's markers; an edit
is sent instead of the draft (with ``approve`` or ``now``, or with no command at all).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from followupd.approval.auth import CommandClaim, refusal
from followupd.approval.commands import Command, parse_command
from followupd.approval.edit import extract_edit
from followupd.approval.texts import say
from followupd.classify.base import Classification
from followupd.core import decide, outbound
from followupd.core.corrections import on_set
from followupd.core.notices import refuse_unless_genuine
from followupd.core.notify import AfterCommit, tell_rep
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.threads import OPEN_DRAFT_STATES, stale_reason, transition
from followupd.core.verbs import close_thread, on_paid
from followupd.errors import CommandError
from followupd.mail.parse import ParsedMessage
from followupd.model import Draft, Step, Thread
from followupd.sequence.states import ThreadState

__all__ = ["draft_claim", "obey", "on_draft_command", "redraft"]


async def draft_claim(
    rt: Runtime, mb: MailboxRuntime, session: AsyncSession, draft: Draft, thread: Thread
) -> CommandClaim:
    """What a reply must match to decide ``draft`` (its review mail, token, rep, freshness)."""
    open_ = draft.state in OPEN_DRAFT_STATES
    return CommandClaim(
        draft_id=draft.id,
        nonce=draft.nonce,
        review_message_id=draft.review_message_id,
        # A draft going out unless the rep objects still takes the rep's answer.
        draft_state="pending" if open_ else draft.state,
        rep_address=mb.settings.rep_address,
        secret=rt.config.approval_secret(),
        stale=await stale_reason(session, thread, draft) if open_ else None,
    )


async def on_draft_command(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    cls: Classification,
) -> list[AfterCommit]:
    draft = await session.get(Draft, cls.draft_id) if cls.draft_id is not None else None
    step = await session.get(Step, draft.step_id) if draft is not None else None
    thread = await session.get(Thread, step.thread_id) if step is not None else None
    if draft is None or step is None or thread is None:
        return []
    claim = replace(await draft_claim(rt, mb, session, draft, thread), origin=cls.origin)
    refused = refuse_unless_genuine(rt, mb, session, msg, cls, thread, claim)
    if refused is not None:
        # Only a command that is genuine in every other way may make us draft again.
        if claim.stale is not None and refusal(msg, replace(claim, stale=None)) is None:
            refused += redraft(rt, session, draft, step, thread)
        return refused
    lang = mb.settings.rep_language
    edit = extract_edit(msg.text, draft.text)
    command: Command | None = None
    try:
        command = parse_command(msg.text)
    except CommandError as exc:
        if edit is None:
            return [_not_understood(rt, mb, thread, msg, str(exc))]
    if edit is not None:
        if edit.problems:
            problems = "\n".join(f"- {p}" for p in edit.problems)
            return [
                tell_rep(
                    rt,
                    mb,
                    say(lang, "edit_refused.subject", subject=thread.subject),
                    say(lang, "edit_refused.body", problems=problems),
                    msg.message_id,
                )
            ]
        if command is not None and command.verb not in ("approve", "now"):
            return [
                _not_understood(
                    rt,
                    mb,
                    thread,
                    msg,
                    f"the reply both edits the draft and says '{command.evidence}'; to send "
                    "your edit, answer with the edit alone (or with approve); otherwise leave "
                    "the draft as it was",
                )
            ]
        soonest = command is not None and command.verb == "now"
        decision = await decide.approve(
            rt, mb, session, draft, step, thread, soonest=soonest, edited=edit.text
        )
        return _confirm(rt, mb, thread, msg, decision)
    assert command is not None
    return await obey(rt, mb, session, msg, draft, step, thread, command)


async def obey(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    draft: Draft,
    step: Step,
    thread: Thread,
    command: Command,
) -> list[AfterCommit]:
    """Carry out an authenticated ``command`` on ``draft`` and confirm it to the rep."""
    verb = command.verb
    if verb == "set":
        return await on_set(rt, mb, session, msg, thread, command.argument)
    if verb == "paid":
        # The pending draft belongs to the payment chase; mark_paid cancels it.
        return await on_paid(rt, mb, session, thread, reply_to=msg.message_id)
    if verb in ("stop", "won", "lost"):
        draft.state, draft.decided_at = verb, rt.clock.now()
        return await close_thread(rt, mb, session, thread, verb, reply_to=msg.message_id)
    decision = await decide.by_command(rt, mb, session, draft, step, thread, command)
    if decision is None:
        return [_not_understood(rt, mb, thread, msg, f"'{command.evidence}' is incomplete")]
    return _confirm(rt, mb, thread, msg, decision)


def _confirm(
    rt: Runtime, mb: MailboxRuntime, thread: Thread, msg: ParsedMessage, d: decide.Decision
) -> list[AfterCommit]:
    # A confirmation is itself a notice (the rep may answer it with stop, set …); a refusal
    # to change anything is a plain explanation.
    target = thread.id if d.ok else None
    return [*d.actions, tell_rep(rt, mb, d.subject, d.text, msg.message_id, thread_id=target)]


def _not_understood(
    rt: Runtime, mb: MailboxRuntime, thread: Thread, msg: ParsedMessage, detail: str
) -> AfterCommit:
    lang = mb.settings.rep_language
    return tell_rep(
        rt,
        mb,
        say(lang, "not_understood.subject", subject=thread.subject),
        say(lang, "not_understood.body", detail=detail),
        msg.message_id,
    )


def redraft(
    rt: Runtime, session: AsyncSession, draft: Draft, step: Step, thread: Thread
) -> list[AfterCommit]:
    """Void an out-of-date draft and draft its step again now, with what is known now."""
    now = rt.clock.now()
    draft.state, draft.decided_at = "stale", now
    if not transition(session, thread, ThreadState.ACTIVE, at=now, cause="draft out of date"):
        return []
    step.state = "planned"
    return [outbound.arm_step_action(rt, step.id, "planned", now)]
