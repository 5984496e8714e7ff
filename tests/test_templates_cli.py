"""``followupd templates lint|preview`` as a rep or an admin runs them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from followupd.cli import main
from followupd.db.engine import Database
from followupd.db.migrate import upgrade
from followupd.model import Contact, Mailbox, Thread

SECRETS = {"FU_T_SECRET": "0123456789abcdef0123456789abcdef", "FU_T_PW": "pw"}


def test_lint_of_the_shipped_library_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["templates", "lint"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("templates OK: ")
    assert "languages de, en, es, fr, pt, ru" in out


def test_lint_reports_file_line_problems_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "en" / "nag.j2"
    bad.parent.mkdir()
    bad.write_text(
        '+++\nid = "nag"\npurpose = "Asks again."\nstages = "any"\nrequires = []\n'
        'language = "en"\n+++\nSubject: Re: {{ thread.subject }}\n\n'
        "Dear {{ buyer.name }}, did you get my offer for {{ thread.colour }}?\n",
        encoding="utf-8",
    )
    assert main(["templates", "lint", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"{bad}:3: an email needs adds = one of validity, price_change, freight_fx, "
        "holiday_notice, production_slot, new_product, case_study, test_report, comparison, "
        "flexible_terms, inquiry_check, recap, tracking, feedback, payment_confirmation, "
        "thank_you: a follow-up that brings the buyer nothing new is a nag",
        f"{bad}:10: unknown variable thread.colour; thread has subject, document_type, "
        "document_ref, enrolled_on, products, validity_date, amount, currency, incoterm, "
        "payment_terms, lead_time, shipment_date, paid_on, event, tracking_number, carrier",
    ]
    assert captured.err == "2 problem(s) in 1 template file(s)\n"


def test_lint_of_a_missing_dir_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["templates", "lint", str(tmp_path / "none")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_preview_of_the_sample_thread_prints_subject_text_and_html(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["templates", "preview", "validity-reminder", "--lang", "de", "--sample"]) == 0
    out = capsys.readouterr().out
    head, text_and_html = out.split("\n--- text ---\n")
    text, html = text_and_html.split("\n--- html ---\n")
    assert head.startswith("Template: validity-reminder (de) from ")
    assert head.endswith("\nSubject: Re: PI-2026-118 deep groove ball bearings\n")
    assert text.startswith("Guten Tag Hans Becker,\n\n")
    assert "gelten bis zum 31. März 2026" in text
    assert html.startswith("<!DOCTYPE html>") and "<p>Guten Tag Hans Becker,</p>" in html


def test_preview_falls_back_to_english_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["templates", "preview", "holiday-notice", "--lang", "fr"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "followupd: holiday-notice has no fr version; showing en\n"
    assert "Dear Claire Dubois," in captured.out
    # English words, French number and date formats for the French buyer.
    assert "from 4 févr. 2027" not in captured.out and "4 Feb 2027" in captured.out


def test_preview_of_an_unknown_template(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["templates", "preview", "nope"]) == 1
    assert "unknown template 'nope'" in capsys.readouterr().err


def write_config(tmp_path: Path, db_url: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(
        f"""
[daemon]
database_url = "{db_url}"
[approval]
secret_env = "FU_T_SECRET"
[company]
name = "Seller Ltd."
website = "www.seller.example"
[[mailbox]]
name = "anna"
rep_address = "anna@seller.test"
rep_name = "Anna Wu"
[mailbox.imap]
host = "127.0.0.1"
tls = "none"
allow_plaintext = true
user = "anna"
password_env = "FU_T_PW"
[mailbox.smtp]
host = "127.0.0.1"
tls = "none"
allow_plaintext = true
user = "anna"
password_env = "FU_T_PW"
""",
        encoding="utf-8",
    )
    return path


async def seed(url: str) -> int:
    db = Database(url)
    await upgrade(db)
    now = datetime(2026, 11, 20, tzinfo=UTC)
    async with db.transaction() as s:
        mb = Mailbox(name="anna", rep_address="anna@seller.test", created_at=now)
        c = Contact(
            email="juan@compras.example",
            name="Juan Pérez",
            domain="compras.example",
            country="MX",
            suppressed=False,
            created_at=now,
        )
        s.add_all([mb, c])
        await s.flush()
        t = Thread(
            mailbox_id=mb.id,
            contact_id=c.id,
            root_message_id="pi7@seller.test",
            subject="PI 7 bombas centrífugas",
            cadence="pi",
            state="active",
            steps_done=1,
            document_type="proforma invoice",
            document_ref="PI 7",
            amount=Decimal("9800.00"),
            currency="USD",
            validity=date(2026, 12, 15),
            products="centrifugal pumps",
            last_touch_at=now,
            created_at=now,
            updated_at=now,
        )
        s.add(t)
        await s.flush()
        thread_id = t.id
    await db.close()
    return thread_id


def test_preview_of_a_real_thread_uses_its_buyer_language_and_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    url = f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"
    thread_id = asyncio.run(seed(url))
    cfg = write_config(tmp_path, url)
    args = ["templates", "preview", "pi-check-in", "--thread", str(thread_id), "--config", str(cfg)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("Template: pi-check-in (es) from ")
    assert "Subject: Re: PI 7 bombas centrífugas\n" in out
    assert "Hola, Juan Pérez:\n" in out
    assert "nuestra factura proforma PI 7" in out
    assert "- artículos: centrifugal pumps\n" in out
    assert "- precios válidos hasta el 15 dic 2026\n" in out
    assert "Anna Wu\nSeller Ltd.\nwww.seller.example\n" in out
    assert main([*args, "--lang", "en"]) == 0
    assert "Dear Juan Pérez," in capsys.readouterr().out


def test_preview_of_a_thread_needs_a_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["templates", "preview", "pi-check-in", "--thread", "1"]) == 1
    assert "--thread needs --config" in capsys.readouterr().err


def test_the_installed_command_runs_lint() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "followupd", "templates", "lint"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("templates OK: ")
