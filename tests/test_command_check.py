"""``followupd command-check``: the verdict on a raw reply, with every check, changing nothing."""

from __future__ import annotations

import asyncio
import json
from email.message import EmailMessage
from pathlib import Path

import dkim
import pytest
from sqlalchemy import select

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
