"""``followupd classify FILE...`` on raw .eml files, with and without a database."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from followupd.db.engine import Database
from followupd.db.migrate import upgrade
from followupd.model import Contact, Mailbox, Thread

NOW = "Tue, 01 Dec 2026 10:00:00 +0100"
FILES = {
    "reply.eml": (
        "From: Hans <hans@buyer.test>\nTo: anna@seller.test\nSubject: RE: PI 118\n"
        f"Date: {NOW}\nMessage-ID: <r1@buyer.test>\nIn-Reply-To: <pi118@seller.test>\n\n"
        "Thanks Anna, the price is too high for us. Can you do better?\n"
    ),
    "ooo.eml": (
        "From: Hans <hans@buyer.test>\nTo: anna@seller.test\n"
        "Subject: Automatische Antwort: PI 118\n"
        f"Date: {NOW}\nMessage-ID: <o1@buyer.test>\nIn-Reply-To: <pi118@seller.test>\n\n"
        "Ich bin bis zum 10.12.2026 nicht im Büro und habe keinen Zugriff auf E-Mails.\n"
    ),
    "bounce.eml": (
        "From: Mail Delivery System <MAILER-DAEMON@mx.seller.test>\nTo: anna@seller.test\n"
        f"Subject: Undelivered Mail Returned to Sender\nDate: {NOW}\n"
        "Message-ID: <b1@mx.seller.test>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: text/plain\n\nCould not deliver.\n\n"
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.seller.test\n\n"
        "Final-Recipient: rfc822; gone@buyer.test\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 no such user\n\n--b--\n"
    ),
    "newsletter.eml": (
        "From: Trade Fair News <news@fair.test>\nTo: anna@seller.test\nSubject: Hall plan\n"
        f"Date: {NOW}\nMessage-ID: <n1@fair.test>\nList-Id: <news.fair.test>\n"
        "List-Unsubscribe: <mailto:leave@fair.test>\nPrecedence: bulk\n\nNew hall plan.\n"
    ),
    "garbage.eml": "\x00\x01",
}


def run(tmp: Path, *extra: str) -> dict[str, dict[str, object]]:
    paths = []
    for name, text in FILES.items():
        (tmp / name).write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
        paths.append(str(tmp / name))
    result = subprocess.run(
        [sys.executable, "-m", "followupd", "classify", *paths, *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(FILES)
    return {Path(str(line["file"])).name: line for line in lines}


def test_without_database(tmp_path: Path) -> None:
    out = run(tmp_path)
    assert set(out["reply.eml"]) == {
        "file",
        "label",
        "hard",
        "address",
        "return_date",
        "intent",
        "evidence",
    }
    assert (out["reply.eml"]["label"], out["reply.eml"]["intent"]) == ("reply", "price")
    assert out["ooo.eml"]["label"] == "auto_reply"
    assert out["ooo.eml"]["return_date"] == "2026-12-10"
    assert out["bounce.eml"]["label"] == "bounce"
    assert (out["bounce.eml"]["hard"], out["bounce.eml"]["address"]) == (True, "gone@buyer.test")
    assert out["newsletter.eml"]["label"] == "other"
    assert out["garbage.eml"]["label"] == "other" and "unparsable" in str(
        out["garbage.eml"]["evidence"]
    )


def test_with_database_matches_tracked_threads(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"

    async def seed() -> int:
        db = Database(url)
        await upgrade(db)
        now = datetime(2026, 11, 20, tzinfo=UTC)
        async with db.transaction() as s:
            mb = Mailbox(name="anna", rep_address="anna@seller.test", created_at=now)
            c = Contact(
                email="hans@buyer.test", domain="buyer.test", suppressed=False, created_at=now
            )
            s.add_all([mb, c])
            await s.flush()
            t = Thread(
                mailbox_id=mb.id,
                contact_id=c.id,
                root_message_id="pi118@seller.test",
                subject="PI 118",
                cadence="pi",
                state="active",
                steps_done=0,
                last_touch_at=now,
                created_at=now,
                updated_at=now,
            )
            s.add(t)
            await s.flush()
            thread_id = t.id
        await db.close()
        return thread_id

    thread_id = asyncio.run(seed())
    out = run(tmp_path, "--db", url)
    assert (out["reply.eml"]["label"], out["reply.eml"]["thread"]) == ("reply", thread_id)
    assert (out["ooo.eml"]["label"], out["ooo.eml"]["thread"]) == ("auto_reply", thread_id)
    assert out["newsletter.eml"]["thread"] is None
