"""The classifier: each detector on hand-made mail, and the pipeline over the real corpus."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from followupd.classify.base import ClassifyContext
from followupd.classify.pipeline import DETECTORS, classify
from followupd.errors import MailParseError
from followupd.mail.parse import Address, ParsedMessage, parse_message

CORPUS = Path(__file__).parents[2] / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="mail corpus not available")
MACHINE_LABELS = {"auto_reply", "bounce_hard", "bounce_soft", "mdn", "automated"}

REP = "zhang@factory.example"
CTX = ClassifyContext(
    rep_addresses=frozenset({"Zhang@Factory.example", "sales@factory.example"}),
    review_ids={"review.12@factory.example": 12},
    thread_ids={"root.7@factory.example": 7, "fu.7.1@factory.example": 7},
    known_cadences=frozenset({"pi", "halving", "expo-key"}),
)


def parse(headers: str, body: str = "Hello\n") -> ParsedMessage:
    raw = headers.strip() + "\n\n" + body
    return parse_message(raw.replace("\n", "\r\n").encode())


def test_order_is_data() -> None:
    assert [name for name, _ in DETECTORS] == [
        "own",
        "command",
        "enrollment",
        "bounce",
        "read_receipt",
        "auto_reply",
        "reply",
    ]


def test_own_mail_is_ignored() -> None:
    msg = parse(
        f"From: {REP}\nTo: {REP}\nX-Followupd: review\nIn-Reply-To: <root.7@factory.example>"
    )
    verdict = classify(msg, CTX)
    assert verdict.label == "own"
    assert verdict.evidence["x-followupd"] == "review"


def test_our_header_on_a_buyers_mail_does_not_hide_the_reply() -> None:
    msg = parse(
        "From: buyer@buyer.example\nTo: rep@factory.example\nX-Followupd: review\n"
        "In-Reply-To: <root.7@factory.example>"
    )
    verdict = classify(msg, CTX)
    assert (verdict.label, verdict.thread_id) == ("reply", 7)


def test_command_answers_a_review_mail() -> None:
    msg = parse(
        f"From: Zhang Wei <{REP.upper()}>\nTo: {REP}\nSubject: Re: [followupd] Draft 12\n"
        "In-Reply-To: <review.12@factory.example>\nReferences: <review.12@factory.example>",
        "approve\n",
    )
    verdict = classify(msg, CTX)
    assert (verdict.label, verdict.draft_id) == ("command", 12)
    assert verdict.evidence["answers_review"] == "review.12@factory.example"


def test_review_answer_from_a_stranger_is_not_a_command() -> None:
    msg = parse("From: evil@attacker.example\nIn-Reply-To: <review.12@factory.example>")
    assert classify(msg, CTX).label == "other"


@pytest.mark.parametrize(
    ("plus", "cadence", "known"),
    [
        ("zhang+fu@factory.example", None, True),
        ("Zhang+FU-PI@Factory.Example", "pi", True),
        ("zhang+fu-express@factory.example", "express", False),
        ("sales+fu-halving@factory.example", "halving", True),
        ("zhang+fu-expo-key@factory.example", "expo-key", True),
    ],
)
def test_enrollment_by_bcc(plus: str, cadence: str | None, known: bool) -> None:
    msg = parse(
        f"From: Zhang Wei <{REP}>\nTo: Anna <anna@buyer.example>\nCc: {REP}\nBcc: {plus}\n"
        "Subject: PI 2024-08\nMessage-ID: <pi.2024.08@factory.example>"
    )
    verdict = classify(msg, CTX)
    assert verdict.label == "enrollment"
    enrollment = verdict.enrollment
    assert enrollment is not None
    assert (enrollment.cadence, enrollment.cadence_known) == (cadence, known)
    assert enrollment.buyer == Address(name="Anna", email="anna@buyer.example")
    assert enrollment.root_message_id == "pi.2024.08@factory.example"
    assert enrollment.subject == "PI 2024-08"
    assert ("cadence_problem" in verdict.evidence) is not known


def test_enrollment_seen_only_in_delivery_headers() -> None:
    # The BCC copy delivered back to the rep's inbox names the plus address only there.
    msg = parse(
        f"From: {REP}\nTo: anna@buyer.example\nDelivered-To: zhang+fu-pi@factory.example\n"
        "Subject: Quotation"
    )
    verdict = classify(msg, CTX)
    assert verdict.enrollment is not None and verdict.enrollment.cadence == "pi"


def test_enrollment_without_buyer_is_still_reported() -> None:
    msg = parse(f"From: {REP}\nTo: zhang+fu@factory.example\nCc: sales@factory.example")
    verdict = classify(msg, CTX)
    assert verdict.label == "enrollment"
    assert verdict.enrollment is not None and verdict.enrollment.buyer is None
    assert verdict.evidence["buyer"].startswith("none")


@pytest.mark.parametrize(
    "to",
    [
        "zhang+fun@factory.example",  # another tag
        "zhang+fu-@factory.example",  # empty cadence
        "other+fu@factory.example",  # not a rep address
        "zhang+fu@elsewhere.example",  # rep's local part, other domain
    ],
)
def test_not_an_enrollment(to: str) -> None:
    msg = parse(f"From: {REP}\nTo: anna@buyer.example, {to}")
    assert classify(msg, CTX).label == "other"


def test_enrollment_from_a_stranger_is_ignored() -> None:
    msg = parse("From: anna@buyer.example\nTo: zhang+fu@factory.example")
    assert classify(msg, CTX).label == "other"


@pytest.mark.parametrize(
    ("header", "evidence", "label"),
    [
        ("Auto-Submitted: auto-replied", "auto-submitted", "auto_reply"),
        ("Auto-Submitted: auto-generated; owner-email=x@y", "auto-submitted", "other"),
        ("X-Autoreply: yes", "x-autoreply", "auto_reply"),
        ("X-Autorespond: Out of office", "x-autorespond", "auto_reply"),
        ("Precedence: auto_reply", "precedence", "auto_reply"),
        ("Precedence: BULK", "precedence", "other"),
        ("List-Id: Buyers <buyers.lists.example>", "list-id", "other"),
        ("Return-Path: < >", "return-path", "other"),
        ("X-Apple-Action: VACATION", "x-apple-action", "auto_reply"),
        (
            'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
            None,
            "other",
        ),
    ],
)
def test_machine_mail_on_a_tracked_thread_is_not_a_reply(
    header: str, evidence: str | None, label: str
) -> None:
    # An autoresponder's notice is an auto_reply (the thread pauses); other machine mail
    # (lists, bulk, notifications, reports) is claimed as "other". Neither is a reply.
    msg = parse(f"From: anna@buyer.example\nIn-Reply-To: <fu.7.1@factory.example>\n{header}")
    verdict = classify(msg, CTX)
    assert verdict.label == label
    assert (evidence or "content-type") in verdict.evidence


@pytest.mark.parametrize(
    "header",
    ["Auto-Submitted: no", "X-Auto-Response-Suppress: All", "Precedence: normal", ""],
)
def test_signs_that_are_not_machine_mail(header: str) -> None:
    msg = parse(f"From: anna@buyer.example\nIn-Reply-To: <fu.7.1@factory.example>\n{header}")
    verdict = classify(msg, CTX)
    assert (verdict.label, verdict.thread_id) == ("reply", 7)


def test_reply_found_through_references_only() -> None:
    msg = parse(
        "From: colleague@buyer.example\nIn-Reply-To: <unknown@buyer.example>\n"
        "References: <root.7@factory.example> <unknown@buyer.example>"
    )
    verdict = classify(msg, CTX)
    assert (verdict.label, verdict.thread_id) == ("reply", 7)
    assert verdict.evidence["answers"] == "root.7@factory.example"


def test_the_reps_own_mail_on_a_thread_is_not_a_reply() -> None:
    msg = parse(f"From: {REP}\nIn-Reply-To: <root.7@factory.example>")
    assert classify(msg, CTX).label == "other"


def test_evidence_is_read_only() -> None:
    verdict = classify(parse("From: a@b.example"), CTX)
    assert verdict.label == "other"
    with pytest.raises(TypeError):
        verdict.evidence["x"] = "y"  # type: ignore[index]


def corpus() -> list[tuple[dict[str, Any], ParsedMessage]]:
    if not CORPUS.is_dir():
        return []
    with (CORPUS / "manifest.toml").open("rb") as fh:
        entries: list[dict[str, Any]] = tomllib.load(fh)["message"]
    parsed = []
    for entry in entries:
        try:
            parsed.append((entry, parse_message((CORPUS / entry["path"]).read_bytes())))
        except MailParseError:
            continue
    return parsed


def threaded(msg: ParsedMessage) -> ClassifyContext:
    ids = {msg_id: 1 for msg_id in (*msg.in_reply_to, *msg.references)}
    return ClassifyContext(rep_addresses=frozenset({"rep@factory.example"}), thread_ids=ids)


@needs_corpus
def test_every_corpus_message_classifies_with_an_empty_context() -> None:
    empty = ClassifyContext(rep_addresses=frozenset())
    verdicts = {classify(msg, empty).label for _, msg in corpus()}
    assert verdicts <= {"own", "bounce", "read_receipt", "auto_reply", "other"}


@needs_corpus
def test_corpus_machine_mail_never_counts_as_a_reply(capsys: pytest.CaptureFixture[str]) -> None:
    machine = [(e, m) for e, m in corpus() if e["label"] in MACHINE_LABELS]
    caught = 0
    for entry, msg in machine:
        verdict = classify(msg, threaded(msg))
        assert verdict.label != "reply", entry["path"]
        caught += verdict.evidence.get("detector") is not None
        if msg.content_type == "multipart/report":
            # Bounces and read receipts get their own labels; other reports stay machine mail.
            assert verdict.label in ("bounce", "read_receipt", "other"), entry["path"]
            assert verdict.evidence.get("detector") is not None, entry["path"]
    # Subject/body phrases come later; report the rate of headers and report parts alone.
    with capsys.disabled():
        print(f"\nmachine mail caught by headers and reports: {caught} of {len(machine)}")
    assert caught >= len(machine) * 0.8


@needs_corpus
def test_corpus_human_replies_on_tracked_threads_are_replies() -> None:
    # A reply relayed by a mailing list carries list headers and is set aside as machine
    # mail; buyers answer a quotation directly, so this costs nothing in practice.
    checked = 0
    for entry, msg in corpus():
        if entry["label"] != "human_reply" or not msg.in_reply_to:
            continue
        verdict = classify(msg, threaded(msg))
        if "list-id" in msg.auto_headers:
            assert verdict.label == "other", entry["path"]
            continue
        assert (verdict.label, verdict.thread_id) == ("reply", 1), entry["path"]
        checked += 1
    assert checked >= 15


SUBJECT_CTX = ClassifyContext(
    rep_addresses=frozenset({REP}),
    subject_threads={("buyer.example", "pi 2026-118 deep groove ball bearings"): 9},
)


@pytest.mark.parametrize(
    "subject",
    [
        "AW: PI 2026-118 deep groove ball bearings",
        "RE: RE: Fwd: pi 2026-118  Deep Groove Ball Bearings",
        "[EXT] Re: PI 2026-118 deep groove ball bearings",
        "回复：PI 2026-118 deep groove ball bearings",
        "PI 2026-118 deep groove ball bearings",
    ],
)
def test_reply_without_threading_headers_is_matched_by_subject_and_domain(subject: str) -> None:
    # A colleague of the buyer (same domain) writes a fresh mail: one company is one account.
    msg = parse(f"From: Li Na <li.na@buyer.example>\nTo: {REP}\nSubject: {subject}")
    verdict = classify(msg, SUBJECT_CTX)
    assert (verdict.label, verdict.thread_id) == ("reply", 9)
    assert verdict.evidence["matched"] == "subject and domain buyer.example"


@pytest.mark.parametrize(
    ("sender", "subject"),
    [
        ("someone@other.example", "AW: PI 2026-118 deep groove ball bearings"),  # other company
        ("li.na@buyer.example", "AW: PI 2026-119 deep groove ball bearings"),  # other subject
        (REP, "Re: PI 2026-118 deep groove ball bearings"),  # the rep's own mail
    ],
)
def test_subject_match_needs_the_buyers_domain_and_the_same_subject(
    sender: str, subject: str
) -> None:
    msg = parse(f"From: {sender}\nTo: {REP}\nSubject: {subject}")
    assert classify(msg, SUBJECT_CTX).label != "reply"
