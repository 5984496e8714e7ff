"""``followupd command-check FILE``: would the daemon obey this reply? Nothing is changed.

It reads one raw reply, parses the command the way the daemon does, finds the draft (or
notice) it targets in the database, and runs every authentication check, printing each
result. The proofs of origin are the daemon's too: DKIM through DNS (``--dns`` records can
stand in for it, offline), Authentication-Results from the config's trusted servers, and,
when neither proves it and ``--config`` names the rep's mailbox, one read-only look for the
same message in the rep's Sent folder (the daemon waits a while for it; this looks once).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from followupd.approval.auth import NOTICE_TTL, CheckResult, CommandClaim, evaluate
from followupd.approval.commands import parse_command
from followupd.approval.digest import parse_digest
from followupd.approval.edit import extract_edit
from followupd.approval.origin import (
    DnsTxt,
    OriginEvidence,
    ProofResult,
    gather_evidence,
    system_dns,
)
from followupd.approval.token import find_tokens, verify_token
from followupd.classify.base import referenced_ids
from followupd.config import LoadedConfig
from followupd.core.origin import look_in_sent
from followupd.core.threads import OPEN_DRAFT_STATES, stale_reason
from followupd.db.engine import Database
from followupd.errors import CommandError, FollowupdError, MailParseError
from followupd.mail.parse import ParsedMessage, parse_message
from followupd.model import Digest, Draft, Mailbox, Notice, Step, Thread

__all__ = ["CheckRequest", "command_check"]

EXIT_ACCEPTED, EXIT_REFUSED, EXIT_ERROR = 0, 1, 2
SECRET_ENV = "FOLLOWUPD_APPROVAL_SECRET"


@dataclass(frozen=True, kw_only=True)
class CheckRequest:
    file: Path
    db_url: str | None = None
    config: LoadedConfig | None = None
    dns: Mapping[str, str] | None = None
    as_json: bool = False


async def command_check(request: CheckRequest) -> int:
    """Print the verdict on one reply; 0 accepted, 1 refused, 2 unreadable input."""
    try:
        raw = request.file.read_bytes()
        msg = parse_message(raw)
    except OSError as exc:
        print(f"followupd: {request.file}: {exc.strerror}", file=sys.stderr)
        return EXIT_ERROR
    except MailParseError as exc:
        print(f"followupd: {request.file}: not a mail: {exc}", file=sys.stderr)
        return EXIT_ERROR
    report = await _report(request, raw, msg)
    if request.as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(_as_text(report))
    return EXIT_ACCEPTED if report["accepted"] else EXIT_REFUSED


async def _report(request: CheckRequest, raw: bytes, msg: ParsedMessage) -> dict[str, object]:
    secret = _secret(request.config)
    db_url = request.db_url or (
        request.config.settings.daemon.database_url if request.config else None
    )
    target: dict[str, object] | None = None
    checks: list[CheckResult] = []
    original: str | None = None
    if db_url is None:
        checks.append(_no("database", "no database given (--db or --config): no draft to check"))
    else:
        db = Database(db_url)
        try:
            async with db.transaction() as session:
                found = await _claim(session, msg, secret)
                if found is None:
                    checks.append(
                        _no("target", "it answers no review mail, digest or notice we know")
                    )
                else:
                    claim, target, stale_thread = found
                    origin = await _origin(request, raw, msg, claim.rep_address)
                    stale = None
                    if stale_thread is not None:
                        stale = await stale_reason(session, *stale_thread)
                        original = stale_thread[1].text
                    claim = replace(claim, origin=origin, stale=stale)
                    checks = evaluate(msg, claim)
        finally:
            await db.close()
    kind = target["kind"] if target else "draft"
    command, command_error = _command(msg, kind, original)
    if secret is None:
        checks.insert(0, _no("secret", f"no installation secret (--config or ${SECRET_ENV})"))
    failed = [c for c in checks if not c.ok]
    if command_error is not None:
        failed.append(_no("command", command_error))
    return {
        "file": str(request.file),
        "command": command,
        "draft": target,
        "accepted": not failed,
        "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks],
        "reason": failed[0].detail if failed else None,
    }


def _command(
    msg: ParsedMessage, kind: object, original: str | None
) -> tuple[dict[str, object] | None, str | None]:
    """The command as the daemon would read it for a target of ``kind``, or the error."""
    try:
        if kind == "digest":
            choices = [
                {
                    "verb": c.verb,
                    "numbers": "all" if c.all else list(c.numbers),
                    **_amounts(c.delay, c.until),
                }
                for c in parse_digest(msg.text)
            ]
            return {"verb": "digest", "argument": "", "choices": choices}, None
        edit = extract_edit(msg.text, original) if original is not None else None
        if edit is not None:
            if edit.problems:
                return None, "the edited draft is refused: " + "; ".join(edit.problems)
            return {"verb": "edit", "argument": "", "chars": len(edit.text)}, None
        parsed = parse_command(msg.text)
    except CommandError as exc:
        return None, str(exc)
    return {
        "verb": parsed.verb,
        "argument": parsed.argument,
        "evidence": parsed.evidence,
        **_amounts(parsed.delay, parsed.until),
    }, None


def _amounts(delay: timedelta | None, until: date | None) -> dict[str, object]:
    found: dict[str, object] = {}
    if delay is not None:
        found["delay_hours"] = delay.total_seconds() / 3600
    if until is not None:
        found["until"] = until.isoformat()
    return found


async def _claim(
    session: AsyncSession, msg: ParsedMessage, secret: bytes | None
) -> tuple[CommandClaim, dict[str, object], tuple[Thread, Draft] | None] | None:
    """The claim the daemon would check, the target's description, and what staleness needs."""
    ids = list(referenced_ids(msg))
    draft = await session.scalar(select(Draft).where(Draft.review_message_id.in_(ids)))
    notice = digest = None
    if draft is None:
        notice = await session.scalar(select(Notice).where(Notice.message_id.in_(ids)))
    if draft is None and notice is None:
        digest = await session.scalar(select(Digest).where(Digest.message_id.in_(ids)))
    if draft is None and notice is None and digest is None and secret is not None:
        # A token copied into a new mail: name its target, so the refusal can say why.
        for token in find_tokens(f"{msg.subject}\n{msg.text}"):
            signed = verify_token(secret, token)
            if signed is None:
                continue
            if signed.kind == "FU":
                draft = await session.get(Draft, signed.draft_id)
            elif signed.kind == "FD":
                digest = await session.get(Digest, signed.draft_id)
            else:
                notice = await session.get(Notice, signed.draft_id)
            break
    if digest is not None:
        status = "pending"
        if digest.used_at is not None:
            status = f"used on {digest.used_at:%Y-%m-%d %H:%M} UTC"
        claim = CommandClaim(
            draft_id=digest.id,
            nonce=digest.nonce,
            review_message_id=digest.message_id,
            draft_state=status,
            rep_address=await _rep(session, digest.mailbox_id),
            secret=secret or b"",
            kind="FD",
        )
        listed = await session.scalar(
            select(func.count(Draft.id)).where(Draft.digest_id == digest.id)
        )
        target = {"kind": "digest", "id": digest.id, "state": status, "thread": None}
        target["subject"] = f"digest of {listed or 0} drafts"
        return claim, target, None
    if draft is not None:
        step = await session.get(Step, draft.step_id)
        thread = await session.get(Thread, step.thread_id) if step else None
        if step is None or thread is None:
            return None
        rep = await _rep(session, thread.mailbox_id)
        open_ = draft.state in OPEN_DRAFT_STATES
        claim = CommandClaim(
            draft_id=draft.id,
            nonce=draft.nonce,
            review_message_id=draft.review_message_id or "",
            # A draft going out unless the rep objects still takes the rep's answer.
            draft_state="pending" if open_ else draft.state,
            rep_address=rep,
            secret=secret or b"",
        )
        target = {
            "kind": "draft",
            "id": draft.id,
            "state": draft.state,
            "thread": thread.id,
            "subject": thread.subject,
            "step": step.number,
        }
        return claim, target, (thread, draft) if open_ else None
    if notice is not None:
        thread = await session.get(Thread, notice.thread_id)
        if thread is None:
            return None
        now = datetime.now(UTC)
        status = "pending"
        if notice.used_at is not None:
            status = f"used on {notice.used_at:%Y-%m-%d %H:%M} UTC"
        elif now - notice.created_at > NOTICE_TTL:
            status = f"older than {NOTICE_TTL.days} days"
        claim = CommandClaim(
            draft_id=notice.id,
            nonce=notice.nonce,
            review_message_id=notice.message_id,
            draft_state=status,
            rep_address=await _rep(session, notice.mailbox_id),
            secret=secret or b"",
            kind="FN",
        )
        target = {"kind": "notice", "id": notice.id, "state": status, "thread": thread.id}
        target["subject"] = thread.subject
        return claim, target, None
    return None


async def _rep(session: AsyncSession, mailbox_id: int) -> str:
    mailbox = await session.get(Mailbox, mailbox_id)
    return mailbox.rep_address if mailbox else ""


async def _origin(
    request: CheckRequest, raw: bytes, msg: ParsedMessage, rep_address: str
) -> OriginEvidence:
    approval = request.config.settings.approval if request.config else None
    evidence = gather_evidence(
        raw,
        rep_address.rsplit("@", 1)[-1],
        _static_dns(request.dns) if request.dns else system_dns,
        accepted=approval.origin_proofs if approval else ("dkim", "authres", "sent"),
        timeout=approval.dkim_dns_timeout if approval else 5.0,
        trusted_ids=approval.trusted_authserv_ids if approval else (),
    )
    if not evidence.waiting_for_sent():
        return evidence
    return replace(evidence, sent=await _sent_proof(request.config, msg, rep_address))


async def _sent_proof(
    config: LoadedConfig | None, msg: ParsedMessage, rep_address: str
) -> ProofResult:
    """One look in the rep's Sent folder, through the mailbox the config names for them."""
    mailboxes = config.settings.mailbox if config else []
    mailbox = next((m for m in mailboxes if m.rep_address == rep_address), None)
    if config is None or mailbox is None:
        return ProofResult(
            name="sent",
            ok=False,
            detail="not searched: --config with the rep's mailbox is needed to reach the "
            "rep's Sent folder",
        )
    try:
        password = config.password(mailbox.name, "imap")
    except FollowupdError as exc:
        return ProofResult(name="sent", ok=False, detail=f"not searched: {exc}")
    return await asyncio.to_thread(look_in_sent, mailbox.imap, password, msg)


def _static_dns(records: Mapping[str, str]) -> DnsTxt:
    table = {name.lower().rstrip(".") + ".": value for name, value in records.items()}

    def lookup(name: bytes, timeout: float = 5.0) -> bytes | None:
        value = table.get(name.decode("ascii", "replace").lower())
        return value.encode() if value is not None else None

    return lookup


def parse_dns(items: Sequence[str]) -> dict[str, str]:
    """``NAME=TXT`` or ``NAME=@FILE`` items of ``--dns`` (FollowupdError when malformed)."""
    records: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise FollowupdError(f"--dns {item!r}: expected NAME=TXT or NAME=@FILE")
        if value.startswith("@"):
            try:
                value = Path(value[1:]).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise FollowupdError(f"--dns {item!r}: {exc.strerror}") from None
        records[name.strip()] = value.strip()
    return records


def _secret(config: LoadedConfig | None) -> bytes | None:
    if config is not None:
        return config.approval_secret()
    value = os.environ.get(SECRET_ENV)
    return value.encode() if value else None


def _no(name: str, detail: str) -> CheckResult:
    return CheckResult(name=name, ok=False, detail=detail)


def _shown(command: dict[str, object]) -> str:
    choices = command.get("choices")
    if isinstance(choices, list):
        return "digest: " + "; ".join(_shown(c) for c in choices)
    words = [str(command["verb"]), str(command.get("argument", ""))]
    if "numbers" in command:
        numbers = command["numbers"]
        words.append(" ".join(map(str, numbers)) if isinstance(numbers, list) else str(numbers))
    if "delay_hours" in command:
        words.append(f"for {command['delay_hours']:g} h")
    if "until" in command:
        words.append(f"until {command['until']}")
    return " ".join(w for w in words if w)


def _as_text(report: dict[str, object]) -> str:
    command = report["command"]
    lines = [
        f"file:     {report['file']}",
        "command:  " + (_shown(command) if isinstance(command, dict) else "(none understood)"),
    ]
    target = report["draft"]
    if isinstance(target, dict):
        lines.append(
            f"target:   {target['kind']} {target['id']} ({target['state']})"
            + (f" of thread {target['thread']}" if target["thread"] is not None else "")
            + f": {target['subject']}"
        )
    else:
        lines.append("target:   (none found)")
    verdict = "ACCEPTED" if report["accepted"] else f"REFUSED: {report['reason']}"
    lines.append(f"verdict:  {verdict}")
    lines.append("checks:")
    for check in report["checks"]:  # type: ignore[attr-defined]
        mark = "ok  " if check["ok"] else "FAIL"
        lines.append(f"  {mark} {check['name']}: {check['detail']}")
    return "\n".join(lines)
