"""``followupd command-check``: the verdict on a raw reply, with every check, changing nothing."""

from __future__ import annotations

import asyncio
import json
from email.message import EmailMessage
from pathlib import Path

import dkim
import pytest
from sqlalchemy import select

from followupd.approval.edit import DRAFT_END, DRAFT_START
from followupd.cli import main
from followupd.commands.command_check import CheckRequest, command_check
from followupd.demo.servers import Received
from followupd.demo.world import REP, World
from followupd.model import Draft

pytestmark = pytest.mark.pymap

KEYS = Path(__file__).parent / "fixtures" / "dkim"
RECORD = "s1._domainkey.seller.test"


def _txt(key: str) -> str:
    return f"v=DKIM1; k=rsa; p={(KEYS / f'{key}.pub.b64').read_text().strip()}"


def _reply(review: Received, text: str, *, sender: str = REP, answer: bool = True) -> bytes:
    original = review.message
    msg = EmailMessage()
    msg["From"] = f"Anna <{sender}>"
    msg["To"] = str(original["From"])
    msg["Subject"] = "Re: " + str(original["Subject"])
    msg["Message-ID"] = "<check.1@seller.test>"
    if answer:
        msg["In-Reply-To"] = str(original["Message-ID"])
    body = original.get_body(preferencelist=("plain",))
    quoted = "\n".join("> " + line for line in str(body.get_content() if body else "").split("\n"))
    msg.set_content(f"{text}\n\nOn Tue, 24 Nov 2026, followupd wrote:\n{quoted}\n")
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def _signed(raw: bytes, key: str = "rep", domain: str = "seller.test") -> bytes:
    return dkim.sign(raw, b"s1", domain.encode(), (KEYS / f"{key}.key").read_bytes()) + raw


async def _check(
    w: World, tmp_path: Path, raw: bytes, capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, object]]:
    path = tmp_path / "reply.eml"
    path.write_bytes(raw)
    request = CheckRequest(file=path, config=w.config, dns={RECORD: _txt("rep")}, as_json=True)
    status = await command_check(request)
    return status, json.loads(capsys.readouterr().out)


def _check_names(report: dict[str, object]) -> dict[str, bool]:
    return {c["name"]: c["ok"] for c in report["checks"]}  # type: ignore[attr-defined]


async def test_genuine_and_forged_replies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        review = w.reviews()[0]
        capsys.readouterr()

        status, report = await _check(w, tmp_path, _signed(_reply(review, "approve")), capsys)
        assert status == 0 and report["accepted"] is True and report["reason"] is None
        assert report["command"] == {"verb": "approve", "argument": "", "evidence": "approve"}
        assert report["draft"]["kind"] == "draft" and report["draft"]["state"] == "pending"  # type: ignore[index]
        assert all(_check_names(report).values())

        # Spoofed From, no signature: everything holds but the origin.
        status, report = await _check(w, tmp_path, _reply(review, "approve"), capsys)
        assert status == 1 and _check_names(report)["origin"] is False
        assert "origin is not proven" in str(report["reason"])

        # Valid DKIM, but of another domain.
        raw = _signed(_reply(review, "ok"), "other", "attacker.test")
        status, report = await _check(w, tmp_path, raw, capsys)
        assert status == 1 and "origin" in str(report["reason"])

        # Another rep's address.
        raw = _signed(_reply(review, "ok", sender="bob@seller.test"))
        status, report = await _check(w, tmp_path, raw, capsys)
        assert _check_names(report)["sender"] is False

        # The token copied into a new mail that answers nothing.
        raw = _signed(_reply(review, "approve", answer=False))
        status, report = await _check(w, tmp_path, raw, capsys)
        assert status == 1 and _check_names(report)["answers-review"] is False
        assert report["draft"] is not None

        # Nothing was changed by any of it.
        assert w.daemon is not None and w.daemon.rt is not None
        async with w.daemon.rt.db.transaction() as session:
            (draft,) = (await session.scalars(select(Draft))).all()
        assert draft.state == "pending"

        # The same on the command line, with the database and the secret from the env.
        path = tmp_path / "cli.eml"
        path.write_bytes(_reply(review, "skip"))
        key = tmp_path / "key.txt"
        key.write_text(_txt("rep"))
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("FOLLOWUPD_APPROVAL_SECRET", w.secret)
            args = ["command-check", str(path), "--db", w.db_url, "--dns", f"{RECORD}=@{key}"]
            # The command runs its own event loop: off this one.
            assert await asyncio.to_thread(main, args) == 1
        text = capsys.readouterr().out
        assert "command:  skip" in text and "REFUSED" in text and "FAIL origin" in text


async def test_a_used_token_and_garbage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        review = w.reviews()[0]
        await w.rep_replies(review, "approve")
        capsys.readouterr()
        status, report = await _check(w, tmp_path, _signed(_reply(review, "approve")), capsys)
        assert status == 1 and _check_names(report)["single-use"] is False
        # Not a mail at all, and a missing file: exit 2 with one line.
        bad = tmp_path / "bad.eml"
        bad.write_bytes(b"")
        assert await command_check(CheckRequest(file=bad, config=w.config)) == 2
        missing = CheckRequest(file=tmp_path / "missing.eml", config=w.config)
        assert await command_check(missing) == 2
        assert capsys.readouterr().err.count("\n") == 2


async def test_new_commands_edits_and_digests_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        review = w.reviews()[0]
        capsys.readouterr()

        status, report = await _check(w, tmp_path, _signed(_reply(review, "snooze 3d")), capsys)
        assert status == 0
        assert report["command"]["verb"] == "snooze"  # type: ignore[index]
        assert report["command"]["delay_hours"] == 72  # type: ignore[index]

        raw = _signed(_reply(review, "暂停到 2026-12-10"))
        status, report = await _check(w, tmp_path, raw, capsys)
        assert report["command"]["until"] == "2026-12-10"  # type: ignore[index]

        # An edit with a header line: the checks pass, the command does not.
        body = review.message.get_body(preferencelist=("plain",))
        shown = str(body.get_content() if body else "")
        start = shown.index(DRAFT_START) + len(DRAFT_START)
        injected = (
            shown[:start] + "\nHi Hans,\nBcc: thief@evil.test\n" + shown[shown.index(DRAFT_END) :]
        )
        raw = _signed(_reply(_with_text(review, injected), "approve"))
        status, report = await _check(w, tmp_path, raw, capsys)
        assert status == 1 and all(_check_names(report).values())
        assert "Bcc" in str(report["reason"])

        fine = (
            shown[:start]
            + "\nHi Hans,\nthe price holds until Friday.\n"
            + shown[shown.index(DRAFT_END) :]
        )
        raw = _signed(_reply(_with_text(review, fine), ""))
        status, report = await _check(w, tmp_path, raw, capsys)
        assert status == 0 and report["command"]["verb"] == "edit"  # type: ignore[index]


async def test_a_digest_answer_is_checked_against_the_digest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with World(tmp_path, mailbox_extra={"review": "digest"}) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.advance_until(lambda: len(w.digests()) == 1, limit=60)
        digest = w.digests()[0]
        capsys.readouterr()
        status, report = await _check(
            w, tmp_path, _signed(_reply(digest, "approve 1, snooze 2 3d")), capsys
        )
        assert status == 0, report
        assert report["draft"]["kind"] == "digest"  # type: ignore[index]
        choices = report["command"]["choices"]  # type: ignore[index]
        assert choices[0] == {"verb": "approve", "numbers": [1]}
        assert choices[1]["verb"] == "snooze" and choices[1]["numbers"] == [2]
        # A review token's digest twin is not interchangeable with a draft's.
        status, report = await _check(
            w, tmp_path, _signed(_reply(digest, "set validity 2026-12-20")), capsys
        )
        assert status == 1 and "set" in str(report["reason"])


def _with_text(original: Received, text: str) -> Received:
    """The same mail with another plain-text body (what the rep's client quotes)."""
    msg = EmailMessage()
    for name in ("From", "Subject", "Message-ID"):
        msg[name] = str(original.message[name])
    msg.set_content(text)
    return Received(mail_from=original.mail_from, rcpt_tos=original.rcpt_tos, raw=msg.as_bytes())


async def test_the_reps_sent_folder_proves_an_unsigned_reply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        raw = _reply(w.reviews()[0], "approve")
        capsys.readouterr()
        status, report = await _check(w, tmp_path, raw, capsys)
        assert status == 1 and "no copy of the reply in Sent" in str(report["reason"])
        # The rep's client saved it: the same message in her Sent folder proves its origin.
        await asyncio.to_thread(w.imap.append, w.imap_user, raw, "Sent")
        status, report = await _check(w, tmp_path, raw, capsys)
        assert status == 0, report["reason"]
        origin = next(c for c in report["checks"] if c["name"] == "origin")  # type: ignore[attr-defined]
        assert "Sent folder" in origin["detail"]
        # A reply that says something else under the same Message-ID proves nothing.
        status, report = await _check(w, tmp_path, _reply(w.reviews()[0], "skip"), capsys)
        assert status == 1 and "says something else" in str(report["reason"])
        # Without the config, the mailbox cannot be reached: the report says so.
        path = tmp_path / "plain.eml"
        path.write_bytes(raw)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("FOLLOWUPD_APPROVAL_SECRET", w.secret)
            request = CheckRequest(file=path, db_url=w.db_url, as_json=True)
            assert await command_check(request) == 1
        report = json.loads(capsys.readouterr().out)
        assert "--config" in str(report["reason"])
        # Looking changed nothing: the draft still waits.
        assert w.daemon is not None and w.daemon.rt is not None
        async with w.daemon.rt.db.transaction() as session:
            (draft,) = (await session.scalars(select(Draft))).all()
        assert draft.state == "pending"
