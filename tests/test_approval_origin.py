"""Proof of a command's origin: DKIM with real keys (DNS injected) and Authentication-Results."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import dkim
import nacl.signing
import pytest

from followupd.approval.origin import (
    OriginEvidence,
    ProofResult,
    aligned,
    authres_values,
    check_authres,
    verify_dkim,
)

KEYS = Path(__file__).parent / "fixtures" / "dkim"
REP_DOMAIN = "seller.test"


def _pub(name: str) -> bytes:
    return f"v=DKIM1; k=rsa; p={(KEYS / f'{name}.pub.b64').read_text().strip()}".encode()


class Dns:
    """TXT records by name; counts lookups and can fail like a dead resolver."""

    def __init__(self, records: dict[bytes, bytes], *, fail: bool = False) -> None:
        self.records, self.fail, self.asked = records, fail, 0

    def __call__(self, name: bytes, timeout: float = 5) -> bytes | None:
        self.asked += 1
        if self.fail:
            raise TimeoutError("resolver timed out")
        return self.records.get(name)


def _reply(sender: str = "anna@seller.test", body: str = "approve\n") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Anna <{sender}>"
    msg["To"] = "anna+fu@seller.test"
    msg["Subject"] = "Re: [FU-1-abcdefghij-abcdefghijklmnop] Draft 1/5"
    msg["Date"] = format_datetime(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    msg["Message-ID"] = make_msgid(domain="seller.test")
    msg["In-Reply-To"] = "<review.1@followupd.test>"
    msg.set_content(body)
    return msg.as_bytes().replace(b"\n", b"\r\n")


def _sign(raw: bytes, key: str, domain: str, selector: str = "s1") -> bytes:
    private = (KEYS / f"{key}.key").read_bytes()
    header = dkim.sign(raw, selector.encode(), domain.encode(), private)
    return header + raw


def _dns(domain: str = REP_DOMAIN, key: str = "rep", selector: str = "s1") -> Dns:
    return Dns({f"{selector}._domainkey.{domain}.".encode(): _pub(key)})


def test_a_signature_of_the_reps_domain_proves_the_origin() -> None:
    raw = _sign(_reply(), "rep", REP_DOMAIN)
    dns = _dns()
    result = verify_dkim(raw, REP_DOMAIN, dns, timeout=2)
    assert result.ok and result.detail == "pass d=seller.test s=s1"
    assert dns.asked == 1


def test_a_parent_domain_aligns_but_a_sibling_or_suffix_does_not() -> None:
    assert aligned("seller.test", "mail.seller.test")
    assert aligned("Seller.Test.", "seller.test")
    assert not aligned("mail.seller.test", "seller.test")
    assert not aligned("evilseller.test", "seller.test")
    assert not aligned("test", "seller.test")
    assert not aligned("", "seller.test")


def test_a_spoofed_from_without_a_signature_proves_nothing() -> None:
    result = verify_dkim(_reply(), REP_DOMAIN, _dns(), timeout=2)
    assert not result.ok and "no DKIM signature" in result.detail


def test_a_valid_signature_of_another_domain_proves_nothing() -> None:
    raw = _sign(_reply(), "other", "attacker.test")
    result = verify_dkim(raw, REP_DOMAIN, _dns("attacker.test", "other"), timeout=2)
    assert not result.ok
    assert "signed by attacker.test, not by the rep's domain seller.test" in result.detail


def test_a_signature_claiming_the_reps_domain_with_another_key_fails() -> None:
    raw = _sign(_reply(), "other", REP_DOMAIN)
    result = verify_dkim(raw, REP_DOMAIN, _dns(), timeout=2)
    assert not result.ok and "does not verify" in result.detail


def test_a_body_changed_after_signing_fails() -> None:
    raw = _sign(_reply(body="skip\n"), "rep", REP_DOMAIN)
    tampered = raw.replace(b"skip", b"send")
    assert not verify_dkim(tampered, REP_DOMAIN, _dns(), timeout=2).ok


def test_a_dead_resolver_is_no_proof_and_no_crash() -> None:
    raw = _sign(_reply(), "rep", REP_DOMAIN)
    dns = _dns()
    dns.fail = True
    result = verify_dkim(raw, REP_DOMAIN, dns, timeout=0.5)
    assert not result.ok and dns.asked == 1


def test_a_missing_key_record_is_no_proof() -> None:
    raw = _sign(_reply(), "rep", REP_DOMAIN)
    result = verify_dkim(raw, REP_DOMAIN, Dns({}), timeout=2)
    assert not result.ok


def test_a_garbled_signature_header_is_no_proof() -> None:
    raw = b"DKIM-Signature: v=1; a=rsa-sha256; d=seller.test; b=!!!\r\n" + _reply()
    result = verify_dkim(raw, REP_DOMAIN, _dns(), timeout=2)
    assert not result.ok and "signature 1" in result.detail


def test_the_second_signature_may_be_the_reps() -> None:
    # A mailing-list style relay signs on top; the rep's own signature is below.
    raw = _sign(_sign(_reply(), "rep", REP_DOMAIN), "other", "relay.test", "r1")
    records = {**_dns().records, **_dns("relay.test", "other", "r1").records}
    result = verify_dkim(raw, REP_DOMAIN, Dns(records), timeout=2)
    assert result.ok and "d=seller.test" in result.detail


def test_ed25519_signatures_verify() -> None:
    key = nacl.signing.SigningKey.generate()
    private = base64.b64encode(bytes(key))
    public = base64.b64encode(bytes(key.verify_key)).decode()
    raw = _reply()
    signed = (
        dkim.sign(raw, b"ed", REP_DOMAIN.encode(), private, signature_algorithm=b"ed25519-sha256")
        + raw
    )
    dns = Dns({b"ed._domainkey.seller.test.": f"v=DKIM1; k=ed25519; p={public}".encode()})
    result = verify_dkim(signed, REP_DOMAIN, dns, timeout=2)
    assert result.ok and "s=ed" in result.detail


TRUSTED = ("mx.seller.test",)


@pytest.mark.parametrize(
    ("header", "ok", "detail"),
    [
        (
            "mx.seller.test; dkim=pass header.d=seller.test header.s=s1; spf=pass",
            True,
            "mx.seller.test: dkim=pass header.d=seller.test",
        ),
        (
            "mx.seller.test; spf=fail; dkim=none; dmarc=pass (p=reject) header.from=seller.test",
            True,
            "dmarc=pass header.from=seller.test",
        ),
        ("MX.Seller.Test; dkim=pass header.d=mail.seller.test", False, "not the rep's domain"),
        ("mx.seller.test; dkim=pass header.d=attacker.test", False, "not the rep's domain"),
        ("mx.seller.test; dkim=fail header.d=seller.test; dmarc=fail", False, "dkim=fail"),
        ("mx.attacker.test; dkim=pass header.d=seller.test", False, "no Authentication-Results"),
        ("mx.seller.test; dmarc=pass header.from=evil-seller.test", False, "not the rep's"),
        ("this is not ; an = authres header ((", False, ""),
    ],
)
def test_authentication_results_of_a_trusted_server(header: str, ok: bool, detail: str) -> None:
    result = check_authres([header], REP_DOMAIN, TRUSTED)
    assert result.ok is ok
    assert detail in result.detail


def test_authentication_results_without_a_trusted_server_configured() -> None:
    result = check_authres(["mx.seller.test; dkim=pass header.d=seller.test"], REP_DOMAIN, ())
    assert not result.ok and "no trusted authserv-id" in result.detail


def test_authres_values_come_from_the_raw_headers() -> None:
    raw = (
        b"Authentication-Results: mx.seller.test;\r\n dkim=pass header.d=seller.test\r\n"
        b"Authentication-Results: other.test; spf=none\r\n" + _reply()
    )
    values = authres_values(raw)
    assert len(values) == 2
    assert check_authres(values, REP_DOMAIN, TRUSTED).ok


def test_evidence_names_the_first_accepted_proof() -> None:
    no = ProofResult(name="dkim", ok=False, detail="no signature")
    yes = ProofResult(name="authres", ok=True, detail="mx: dkim=pass")
    evidence = OriginEvidence(dkim=no, authres=yes)
    assert evidence.proven() == yes and not evidence.waiting_for_sent()
    only_dkim = OriginEvidence(dkim=no, authres=yes, accepted=("dkim",))
    assert only_dkim.proven() is None and not only_dkim.waiting_for_sent()
    waiting = OriginEvidence(dkim=no)
    assert waiting.proven() is None and waiting.waiting_for_sent()
    assert "dkim: no signature" in waiting.summary()
