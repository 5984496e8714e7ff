"""Read receipts (RFC 8098): recognised, tied to the thread, whatever their disposition."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest
from corpus_data import CORPUS, classified_corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followupd.classify.base import Classification, ClassifyContext
from followupd.classify.pipeline import classify
from followupd.errors import MailParseError
from followupd.mail.parse import parse_message
from followupd.mail.report import extract_report

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="mail corpus not available")

REP = "zhang@factory.example"
BUYER = "anna@buyer.example"
CTX = ClassifyContext(
    rep_addresses=frozenset({REP}),
    thread_ids={"root.7@factory.example": 7, "fu.7.1@factory.example": 7},
)


def mdn(fields: str, *, headers: str = "", returned: str = "") -> bytes:
    """A receipt from the buyer with ``fields`` in its disposition-notification part."""
    parts = (
        "--m\nContent-Type: text/plain\n\nYour message was displayed.\n\n"
        f"--m\nContent-Type: message/disposition-notification\n\n{fields}\n\n"
    )
    if returned:
        parts += f"--m\nContent-Type: text/rfc822-headers\n\n{returned}\n\n"
    raw = (
        f"From: Anna <{BUYER}>\nTo: {REP}\nSubject: Read: Re: PI 2026-118\n{headers}"
        "Message-ID: <mdn.1@buyer.example>\nMIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=disposition-notification;\n"
        f' boundary="m"\n\n{parts}--m--\n'
    )
    return raw.replace("\n", "\r\n").encode()


def verdict_of(raw: bytes) -> Classification:
    return classify(parse_message(raw), CTX)


def test_displayed_receipt_on_a_followup() -> None:
    verdict = verdict_of(
        mdn(
            "Reporting-UA: pc.buyer.example; Thunderbird\n"
            f"Final-Recipient: rfc822;{BUYER}\nOriginal-Message-ID: <fu.7.1@factory.example>\n"
            "Disposition: manual-action/MDN-sent-manually; displayed"
        )
    )
    assert verdict.label == "read_receipt" and verdict.receipt is not None
    assert verdict.receipt.original_message_id == "fu.7.1@factory.example"
    assert verdict.receipt.disposition == "manual-action/MDN-sent-manually; displayed"
    assert verdict.thread_id == 7


@pytest.mark.parametrize("disposition", ["deleted", "denied", "failed"])
def test_other_dispositions_are_still_receipts(disposition: str) -> None:
    verdict = verdict_of(
        mdn(
            "Original-Message-ID: <root.7@factory.example>\n"
            f"Disposition: automatic-action/MDN-sent-automatically;\n {disposition}"
        )
    )
    assert verdict.label == "read_receipt" and verdict.receipt is not None
    # The caller decides what counts as read; the text is kept for it, folding undone.
    assert verdict.receipt.disposition.endswith(f"; {disposition}")
    assert "displayed" not in verdict.receipt.disposition
    assert verdict.thread_id == 7


def test_receipt_without_original_id_uses_the_returned_headers() -> None:
    verdict = verdict_of(
        mdn(
            f"Final-Recipient: rfc822;{BUYER}\n"
            "Disposition: manual-action/MDN-sent-manually;displayed",
            returned=f"From: {REP}\nMessage-ID: <fu.7.1@factory.example>\nSubject: PI",
        )
    )
    assert verdict.receipt is not None
    assert verdict.receipt.original_message_id == "fu.7.1@factory.example"
    assert verdict.thread_id == 7


def test_exchange_receipt_is_tied_by_in_reply_to() -> None:
    # Exchange leaves Original-Message-ID out and answers the message instead.
    verdict = verdict_of(
        mdn(
            f"Final-recipient: RFC822; {BUYER}\n"
            "Disposition: automatic-action/MDN-sent-automatically; displayed",
            headers="In-Reply-To: <root.7@factory.example>\n",
        )
    )
    assert (verdict.label, verdict.thread_id) == ("read_receipt", 7)


def test_receipt_for_untracked_mail_has_no_thread() -> None:
    verdict = verdict_of(
        mdn("Original-Message-ID: <other@factory.example>\nDisposition: manual-action; displayed")
    )
    assert verdict.label == "read_receipt" and verdict.thread_id is None


def test_receipt_fields_are_read() -> None:
    raw = mdn(
        "Final-Recipient: rfc822; Anna@Buyer.example\nOriginal-Message-ID: <a@b.example>\n"
        "Disposition: manual-action/MDN-sent-manually; displayed"
    )
    report = extract_report(BytesParser(policy=policy.default).parsebytes(raw))
    assert report is not None and report.disposition is not None
    assert report.disposition.final_recipient == BUYER
    assert report.disposition.original_message_id == "a@b.example"
    assert (report.temporary, report.permanent) == (frozenset(), frozenset())


def test_receipt_is_not_a_bounce_even_from_a_mail_system() -> None:
    raw = mdn("Original-Message-ID: <fu.7.1@factory.example>\nDisposition: manual-action; failed")
    raw = raw.replace(f"Anna <{BUYER}>".encode(), b"postmaster@buyer.example")
    verdict = verdict_of(raw)
    assert verdict.label == "read_receipt" and verdict.bounce is None


@needs_corpus
def test_corpus_read_receipts(capsys: pytest.CaptureFixture[str]) -> None:
    results = classified_corpus()
    actual = [(p, v) for p, label, v in results if label == "mdn"]
    guessed = [(p, label) for p, label, v in results if v.label == "read_receipt"]
    for path, verdict in actual:
        assert verdict.label == "read_receipt", path
        assert verdict.receipt is not None and "displayed" in verdict.receipt.disposition, path
    for path, label in guessed:
        assert label not in ("human_reply", "auto_reply"), path
    hits = sum(label == "mdn" for _, label in guessed)
    precision, recall = hits / max(len(guessed), 1), hits / max(len(actual), 1)
    with capsys.disabled():
        print(f"\nmdn: precision {precision:.0%} recall {recall:.0%} ({hits}/{len(actual)})")
    assert precision >= 0.95 and recall >= 0.95


MDN_SEED = mdn(
    f"Reporting-UA: pc; Mail\nFinal-Recipient: rfc822;{BUYER}\n"
    "Original-Message-ID: <fu.7.1@factory.example>\n"
    "Disposition: manual-action/MDN-sent-manually; displayed",
    returned=f"From: {REP}\nMessage-ID: <fu.7.1@factory.example>",
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(min_value=0, max_value=len(MDN_SEED)),
    start=st.integers(min_value=0, max_value=len(MDN_SEED)),
    junk=st.binary(max_size=40),
)
def test_damaged_receipts_never_raise(cut: int, start: int, junk: bytes) -> None:
    raw = (MDN_SEED[:start] + junk + MDN_SEED[start + len(junk) :])[:cut]
    extract_report(BytesParser(policy=policy.default).parsebytes(raw))
    try:
        parsed = parse_message(raw)
    except MailParseError:
        return
    classify(parsed, CTX)
