"""Mail in the rep's Sent folder: the rep taking a thread over, and what is not that."""

from __future__ import annotations

from followupd.classify.base import ClassifyContext
from followupd.classify.pipeline import SENT_DETECTORS, classify
from followupd.mail.parse import parse_message

REP = "anna@seller.test"


def _ctx(**kw: object) -> ClassifyContext:
    return ClassifyContext(
        rep_addresses=frozenset({REP}),
        thread_ids={"root@seller.test": 7, "fu.1@seller.test": 7},
        review_ids={"review.3@seller.test": 3},
        subject_threads={("buyer-corp.test", "pi 2026-118 ball bearings"): 7},
        known_cadences=frozenset({"pi"}),
        **kw,  # type: ignore[arg-type]
    )


def _mail(headers: str, body: str = "Hello Hans,\n\nsee below.\n") -> bytes:
    return (headers.strip() + "\n\n" + body).replace("\n", "\r\n").encode()


def _sent(**extra: str) -> str:
    head = {
        "From": f"Anna Chen <{REP}>",
        "To": "Hans Becker <hans@buyer-corp.test>",
        "Subject": "Re: PI 2026-118 ball bearings",
        "Message-ID": "<manual.1@seller.test>",
        "Date": "Tue, 24 Nov 2026 09:12:00 +0800",
    }
    head.update(extra)
    return "\n".join(f"{k}: {v}" for k, v in head.items() if v)


def _label(raw: bytes) -> tuple[str, int | None, dict[str, str]]:
    result = classify(parse_message(raw), _ctx(), SENT_DETECTORS)
    return result.label, result.thread_id, dict(result.evidence)


def test_manual_reply_by_headers() -> None:
    label, thread, evidence = _label(
        _mail(
            _sent(
                **{
                    "In-Reply-To": "<fu.1@seller.test>",
                    "References": "<root@seller.test> <fu.1@seller.test>",
                }
            )
        )
    )
    assert (label, thread) == ("rep_reply", 7)
    assert evidence["answers"] == "fu.1@seller.test" and evidence["detector"] == "rep_reply"


def test_manual_reply_by_subject_and_a_colleague_at_the_buyer() -> None:
    label, thread, evidence = _label(
        _mail(_sent(To="Eva <eva.k@buyer-corp.test>", Subject="AW: PI 2026-118  Ball Bearings"))
    )
    assert (label, thread) == ("rep_reply", 7)
    assert "subject and domain" in evidence["matched"]


def test_the_enrolled_mail_and_our_followups_are_not_a_takeover() -> None:
    for own in ("<root@seller.test>", "<fu.1@seller.test>"):
        label, thread, _ = _label(
            _mail(_sent(**{"Message-ID": own, "References": "<root@seller.test>"}))
        )
        assert (label, thread) == ("own", 7), own


def test_review_mails_a_provider_saved_are_own() -> None:
    label, _, _ = _label(_mail(_sent(To=REP, **{"X-Followupd": "review"})))
    assert label == "own"


def test_enrollment_copy_with_bcc_is_an_enrollment() -> None:
    label, _, evidence = _label(
        _mail(
            _sent(
                Bcc="anna+fu-pi@seller.test",
                Subject="PI 2026-200",
                **{"Message-ID": "<new@seller.test>"},
            )
        )
    )
    assert label == "enrollment" and evidence["cadence"] == "pi"


def test_command_copy_is_a_command() -> None:
    label, _, _ = _label(
        _mail(_sent(To=REP, **{"In-Reply-To": "<review.3@seller.test>"}), "approve\n")
    )
    assert label == "command"


def test_note_to_self_and_unrelated_mail_are_other() -> None:
    assert _label(_mail(_sent(To=REP)))[0] == "other"
    assert _label(_mail(_sent(To="someone@else.test", Subject="Lunch")))[0] == "other"


def test_a_bounce_like_mail_the_rep_forwarded_is_never_a_bounce() -> None:
    raw = _mail(
        _sent(To="it@seller-partner.test", Subject="Fwd: Undelivered Mail Returned to Sender"),
        "---------- Forwarded message ---------\nDelivery to the following recipient failed "
        "permanently:\n\n    hans@buyer-corp.test\n",
    )
    assert _label(raw)[0] == "other"
