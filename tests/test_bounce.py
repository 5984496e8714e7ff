"""Bounces: RFC 3464 reports and plain-text ones, hard or soft, on hand-made and real mail."""

from __future__ import annotations

import time
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
from followupd.mail.report import all_failures, extract_report

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="mail corpus not available")

REP = "zhang@factory.example"
BUYER = "anna@buyer.example"
CTX = ClassifyContext(
    rep_addresses=frozenset({REP}),
    thread_ids={"root.7@factory.example": 7, "fu.7.1@factory.example": 7},
)
DAEMON = "From: Mail Delivery System <MAILER-DAEMON@mx.buyer.example>"


def mail(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


def dsn(
    *blocks: str, subject: str = "Undelivered Mail Returned to Sender", extra: str = ""
) -> bytes:
    """A multipart/report with one delivery-status block per recipient in ``blocks``."""
    status = "\n\n".join(blocks)
    return mail(
        f"{DAEMON}\nTo: {REP}\nSubject: {subject}\nMessage-ID: <dsn.1@mx.buyer.example>\n"
        f"{extra}MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
        "--b\nContent-Type: message/delivery-status\n\n"
        f"Reporting-MTA: dns; mx.buyer.example\n\n{status}\n\n"
        "--b\nContent-Type: text/rfc822-headers\n\n"
        f"From: {REP}\nTo: {BUYER}\nMessage-ID: <fu.7.1@factory.example>\n"
        "Subject: Re: PI 2026-118\n\n--b--\n"
    )


def block(address: str, action: str, status: str, diagnostic: str = "") -> str:
    text = f"Final-Recipient: rfc822; {address}\nAction: {action}\nStatus: {status}"
    return text + (f"\nDiagnostic-Code: smtp; {diagnostic}" if diagnostic else "")


def verdict_of(raw: bytes) -> Classification:
    return classify(parse_message(raw), CTX)


def test_unknown_user_is_a_hard_bounce_on_the_thread() -> None:
    verdict = verdict_of(dsn(block(BUYER, "failed", "5.1.1", "550 5.1.1 <anna@...>: User unknown")))
    assert verdict.label == "bounce" and verdict.bounce is not None
    assert verdict.bounce.hard
    assert verdict.bounce.addresses == (BUYER,)
    assert verdict.bounce.status == "5.1.1"
    assert verdict.bounce.diagnostic is not None and "User unknown" in verdict.bounce.diagnostic
    assert verdict.bounce.original_message_id == "fu.7.1@factory.example"
    assert verdict.thread_id == 7
    assert verdict.evidence["check"] == "dsn"


def test_delay_warning_is_soft() -> None:
    verdict = verdict_of(
        dsn(
            block(BUYER, "delayed", "4.2.2", "452 4.2.2 mailbox busy, will retry"),
            subject="Delivery Status Notification (Delay)",
        )
    )
    assert verdict.label == "bounce" and verdict.bounce is not None
    assert not verdict.bounce.hard
    assert (verdict.bounce.status, verdict.thread_id) == ("4.2.2", 7)


@pytest.mark.parametrize(
    ("status", "diagnostic"),
    [
        ("5.2.2", "552 5.2.2 <anna@buyer.example>: Recipient address rejected"),
        ("5.0.0", "550 Mailbox full"),
        ("5.7.1", "552 user is over quota"),
        ("5.5.0", "550 mailbox exceeded storage allocation"),
    ],
)
def test_full_mailbox_is_soft_even_with_a_permanent_code(status: str, diagnostic: str) -> None:
    verdict = verdict_of(dsn(block(BUYER, "failed", status, diagnostic)))
    assert verdict.label == "bounce" and verdict.bounce is not None
    assert not verdict.bounce.hard


def test_a_quotation_in_the_returned_mail_is_not_a_quota() -> None:
    # "quotation" must not read as "quota": the returned mail is about one.
    verdict = verdict_of(dsn(block(BUYER, "failed", "5.1.1", "550 no such user; quotation")))
    assert verdict.bounce is not None and verdict.bounce.hard


def test_mixed_report_is_hard_for_the_failed_address_only() -> None:
    verdict = verdict_of(
        dsn(
            block("gone@buyer.example", "failed", "5.1.1", "550 5.1.1 no such user"),
            block(BUYER, "failed", "5.2.2", "552 5.2.2 mailbox full"),
        )
    )
    assert verdict.bounce is not None and verdict.bounce.hard
    assert verdict.bounce.addresses == ("gone@buyer.example",)
    assert verdict.evidence["soft_recipients"] == "1"


@pytest.mark.parametrize("action", ["delivered", "relayed", "expanded"])
def test_positive_report_is_not_a_bounce(action: str) -> None:
    raw = dsn(block(BUYER, action, "2.0.0"), subject="Successful Mail Delivery Report")
    verdict = verdict_of(raw)
    # Machine mail, claimed so it never counts as a reply, but neither a bounce nor a notice.
    assert verdict.label == "other" and verdict.evidence["detector"] == "auto_reply"
    assert verdict.bounce is None


def test_report_fields_are_read() -> None:
    raw = mail(
        f"{DAEMON}\nTo: {REP}\nSubject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: text/plain\n\nSorry.\n\n"
        "--b\nContent-Type: message/global-delivery-status\n\n"
        "Reporting-MTA: dns; mx.buyer.example\n\n"
        "Original-Recipient: rfc822;Anna@Buyer.example\n"
        "Final-Recipient: rfc822; anna.b@mail.buyer.example\nAction: Failed\n"
        "Status: 5.1.1 (bad destination mailbox)\nRemote-MTA: dns; mail.buyer.example\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <anna.b@mail.buyer.example>:\n"
        "    Recipient address rejected\n\n"
        "--b\nContent-Type: message/global\n\nFrom: x@y.example\n"
        "Message-ID: <root.7@factory.example>\n\nHello\n--b--\n"
    )
    report = extract_report(BytesParser(policy=policy.default).parsebytes(raw))
    assert report is not None and report.delivery is not None
    (recipient,) = report.delivery
    assert recipient.original_recipient == BUYER
    assert recipient.final_recipient == "anna.b@mail.buyer.example"
    assert (recipient.action, recipient.remote_mta) == ("failed", "dns; mail.buyer.example")
    assert recipient.diagnostic is not None and recipient.diagnostic.endswith("rejected")
    assert report.original_message_id == "root.7@factory.example"
    verdict = classify(parse_message(raw), CTX)
    assert verdict.bounce is not None and verdict.bounce.addresses == (BUYER,)
    assert (verdict.bounce.status, verdict.thread_id) == ("5.1.1", 7)


EXIM = (
    "This message was created automatically by mail delivery software.\n\n"
    "A message that you sent could not be delivered to one or more of its\n"
    "recipients. This is a permanent error. The following address(es) failed:\n\n"
    "  anna@buyer.example\n"
    "    SMTP error from remote mail server after RCPT TO:<anna@buyer.example>:\n"
    "    550 5.1.1 No such user here\n\n"
    "------ This is a copy of the message, including all the headers. ------\n\n"
    "Message-ID: <fu.7.1@factory.example>\nSubject: Re: PI 2026-118\n\n"
    "Our quotation: please check your quota of 500 pcs.\n"
)
QMAIL = (
    "Hi. This is the qmail-send program at mx.buyer.example.\n"
    "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
    "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
    "<anna@buyer.example>:\n550 sorry, no mailbox here by that name. (#5.1.1)\n\n"
    "--- Below this line is a copy of the message.\n\n"
    "Message-ID: <fu.7.1@factory.example>\n"
)
SMTP32_FULL = (
    "User mailbox exceeds allowed size: anna@buyer.example\n\n\nOriginal message follows.\n\n"
    "Message-ID: <fu.7.1@factory.example>\nSubject: Re: PI 2026-118\n\nNo user here.\n"
)


@pytest.mark.parametrize(
    ("headers", "body", "hard"),
    [
        ("Subject: Mail delivery failed: returning message to sender", EXIM, True),
        ("Subject: failure notice", QMAIL, True),
        ("Subject: Undeliverable Mail\nX-Mailer: <SMTP32 v10.0>", SMTP32_FULL, False),
        # Exim marks its bounces as auto-replied; the failure is what counts.
        ("Subject: Mail delivery failed\nAuto-Submitted: auto-replied", EXIM, True),
    ],
)
def test_plain_text_bounces(headers: str, body: str, hard: bool) -> None:
    raw = mail(f"{DAEMON}\nTo: {REP}\nReturn-Path: <>\n{headers}\n\n{body}")
    verdict = verdict_of(raw)
    assert verdict.label == "bounce" and verdict.bounce is not None
    assert verdict.bounce.hard is hard
    assert verdict.bounce.addresses == (BUYER,)
    assert verdict.evidence["check"] == "flufl.bounce"
    if "Message-ID" in body:
        assert verdict.thread_id == 7


def test_bounce_nobody_can_parse_is_known_by_sender_and_subject() -> None:
    raw = mail(f"{DAEMON}\nTo: {REP}\nSubject: Undelivered Mail Returned to Sender\n\nOops.\n")
    verdict = verdict_of(raw)
    assert verdict.label == "bounce" and verdict.bounce is not None
    assert (verdict.bounce.hard, verdict.bounce.addresses) == (True, ())
    assert verdict.evidence["check"] == "phrases"


def test_unparsed_delay_notice_is_soft() -> None:
    raw = mail(
        "From: postmaster@mx.buyer.example\nTo: zhang@factory.example\n"
        "Subject: Delivery Status Notification (Delay)\n\nDelivery is delayed; we keep trying.\n"
    )
    verdict = verdict_of(raw)
    assert verdict.bounce is not None and not verdict.bounce.hard


@pytest.mark.parametrize(
    "raw",
    [
        # A vacation reply is an auto-reply, even with bounce-like words in it.
        f"From: {BUYER}\nTo: {REP}\nAuto-Submitted: auto-replied\nReturn-Path: <>\n"
        "Subject: Out of office\n\nI am away. Mail could not be delivered to me until Monday.\n",
        # A person discussing a bounce on the thread is replying.
        f"From: {BUYER}\nTo: {REP}\nIn-Reply-To: <fu.7.1@factory.example>\n"
        "Subject: Re: Undelivered Mail Returned to Sender\n\n"
        "Sorry, our old address failed: 550 5.1.1 user unknown. Use this one.\n",
        # A subject alone is weak evidence.
        f"From: {BUYER}\nTo: {REP}\nSubject: Returned mail\n\nWe returned the goods.\n",
    ],
)
def test_not_a_bounce(raw: str) -> None:
    verdict = verdict_of(mail(raw))
    assert verdict.label != "bounce"


def test_forwarded_bounce_is_not_a_bounce() -> None:
    inner = dsn(block(BUYER, "failed", "5.1.1")).decode()
    raw = mail(
        f"From: colleague@factory.example\nTo: {REP}\nSubject: Fwd: bounce\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="f"\n\n--f\nContent-Type: text/plain\n\n'
        "FYI\n\n--f\nContent-Type: message/rfc822\n\n" + inner.replace("\r\n", "\n") + "\n--f--\n"
    )
    assert verdict_of(raw).label != "bounce"


def test_flufl_results_are_text() -> None:
    raw = mail(f"{DAEMON}\nTo: {REP}\nSubject: failure notice\n\n{QMAIL}")
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert all_failures(msg) == (frozenset(), frozenset({BUYER}))
    plain = BytesParser(policy=policy.default).parsebytes(mail(f"From: {BUYER}\n\nHello\n"))
    assert all_failures(plain) == (frozenset(), frozenset())


def test_big_returned_attachment_is_read_quickly() -> None:
    # The returned quotation often carries its PDF; scanning it line by line took seconds.
    pdf = ("JVBERi0xLjQK" * 6 + "\n") * 40_000  # About 3 MB of base64.
    raw = mail(
        f"{DAEMON}\nTo: {REP}\nReturn-Path: <>\nSubject: Mail delivery failed\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="o"\n\n'
        f"--o\nContent-Type: text/plain\n\n{EXIM}\n--o\nContent-Type: application/pdf\n"
        f"Content-Transfer-Encoding: base64\n\n{pdf}--o--\n"
    )
    started = time.perf_counter()
    verdict = verdict_of(raw)
    assert verdict.bounce is not None and verdict.bounce.addresses == (BUYER,)
    assert time.perf_counter() - started < 5


def predicted(verdict: Classification) -> str | None:
    if verdict.bounce is not None:
        return "bounce_hard" if verdict.bounce.hard else "bounce_soft"
    return "mdn" if verdict.label == "read_receipt" else None


@needs_corpus
def test_corpus_bounces(capsys: pytest.CaptureFixture[str]) -> None:
    results = classified_corpus()
    for path, label, verdict in results:
        if label == "bounce_hard":
            assert verdict.bounce is not None and verdict.bounce.hard, path
        elif label == "bounce_soft":
            assert verdict.bounce is not None and not verdict.bounce.hard, path
        elif label in ("human_reply", "auto_reply"):
            assert verdict.label not in ("bounce", "read_receipt"), path
    with capsys.disabled():
        for label in ("bounce_hard", "bounce_soft", "mdn"):
            actual = sum(lbl == label for _, lbl, _ in results)
            guessed = sum(predicted(v) == label for _, _, v in results)
            hits = sum(lbl == label == predicted(v) for _, lbl, v in results)
            precision, recall = hits / max(guessed, 1), hits / max(actual, 1)
            print(f"\n{label}: precision {precision:.0%} recall {recall:.0%} ({hits}/{actual})")
            assert precision >= 0.95 and recall >= 0.95, label


DSN_SEED = dsn(
    block(BUYER, "failed", "5.1.1", "550 5.1.1 user unknown"),
    block("b@buyer.example", "delayed", "4.4.7"),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(min_value=0, max_value=len(DSN_SEED)),
    start=st.integers(min_value=0, max_value=len(DSN_SEED)),
    junk=st.binary(max_size=40),
)
def test_damaged_reports_never_raise(cut: int, start: int, junk: bytes) -> None:
    raw = (DSN_SEED[:start] + junk + DSN_SEED[start + len(junk) :])[:cut]
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    extract_report(msg)
    try:
        parsed = parse_message(raw)
    except MailParseError:
        return
    classify(parsed, CTX)
