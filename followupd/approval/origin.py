"""Did a command reply really leave the rep's own mailbox? Three independent proofs.

A valid token and the rep's address in ``From`` are not enough: ``From`` is trivially forged,
and a token can leak (a forwarded review mail). So a command must also prove its origin by
one of:

- ``dkim``: a DKIM signature that verifies (dkimpy; DNS through an injected function with a
  timeout) and whose ``d=`` aligns with the rep's domain (the same domain or a parent of it);
  a signature of any other domain proves nothing about the rep.
- ``authres``: an ``Authentication-Results`` header whose authserv-id is one of the
  configured trusted ones (the rep's own receiving server) with ``dkim=pass`` for an aligned
  ``header.d`` or ``dmarc=pass`` for the rep's domain. Headers from any other authserv-id
  are ignored: anyone can write one.
- ``sent``: the same message (Message-ID, sender and command) is in the rep's own Sent
  folder, which only the rep's account can write to. That part is I/O and lives in
  :mod:`followupd.core.origin`; here it is only reported.

Pure apart from the DNS function handed in, so ``followupd command-check`` and the daemon
judge the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import compat32

import authres
import dkim
import dkim.dnsplug

__all__ = [
    "DnsTxt",
    "OriginEvidence",
    "ProofResult",
    "aligned",
    "authres_values",
    "check_authres",
    "gather_evidence",
    "system_dns",
    "verify_dkim",
]

log = logging.getLogger(__name__)

# name (bytes, e.g. b"s1._domainkey.seller.test.") and a timeout -> the TXT record or None.
DnsTxt = Callable[..., bytes | str | None]
# A reply with more signatures than this is not from a normal mail client.
_MAX_SIGNATURES = 5


@dataclass(frozen=True, kw_only=True)
class ProofResult:
    """One proof: whether it holds, and why (for the rep and ``command-check``)."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, kw_only=True)
class OriginEvidence:
    """The proofs gathered for one reply; ``sent`` is None until the Sent folder was read."""

    dkim: ProofResult | None = None
    authres: ProofResult | None = None
    sent: ProofResult | None = None
    accepted: tuple[str, ...] = field(default=("dkim", "authres", "sent"))

    def proven(self) -> ProofResult | None:
        """The first accepted proof that holds, or None."""
        for proof in (self.dkim, self.authres, self.sent):
            if proof is not None and proof.ok and proof.name in self.accepted:
                return proof
        return None

    def waiting_for_sent(self) -> bool:
        """No proof yet, but the Sent folder may still show the reply."""
        return self.proven() is None and "sent" in self.accepted and self.sent is None

    def summary(self) -> str:
        parts = [
            f"{p.name}: {p.detail}"
            for p in (self.dkim, self.authres, self.sent)
            if p is not None and p.name in self.accepted
        ]
        return "; ".join(parts) or "no proof of origin was looked at"


def aligned(domain: str, rep_domain: str) -> bool:
    """Relaxed alignment: ``domain`` is the rep's domain or a parent of it (not a sibling)."""
    d, rep = domain.strip().lower().rstrip("."), rep_domain.strip().lower().rstrip(".")
    # A bare public suffix ("com") must not align with everything under it.
    return bool(d) and "." in d and (rep == d or rep.endswith("." + d))


def verify_dkim(raw: bytes, rep_domain: str, dns_txt: DnsTxt, *, timeout: float) -> ProofResult:
    """Verify every DKIM signature of ``raw``; it holds when one aligned with the rep passes."""
    count = _signature_count(raw)
    if count == 0:
        return ProofResult(name="dkim", ok=False, detail="the reply carries no DKIM signature")
    seen: list[str] = []
    for index in range(min(count, _MAX_SIGNATURES)):
        checker = dkim.DKIM(raw, timeout=max(1, round(timeout)))
        try:
            good = checker.verify(idx=index, dnsfunc=_bounded(dns_txt, timeout))
        except dkim.DKIMException as exc:
            seen.append(f"signature {index + 1} is broken ({_short(exc)})")
            continue
        except Exception as exc:
            # dkimpy raises plain errors for some malformed input; a broken signature is
            # no proof, never a crash.
            seen.append(f"signature {index + 1} could not be checked ({type(exc).__name__})")
            continue
        domain = _text(checker.domain)
        selector = _text(checker.selector)
        if not good:
            seen.append(f"the signature of {domain or '?'} does not verify")
        elif not aligned(domain, rep_domain):
            seen.append(f"it is signed by {domain}, not by the rep's domain {rep_domain}")
        else:
            return ProofResult(name="dkim", ok=True, detail=f"pass d={domain} s={selector}")
    return ProofResult(name="dkim", ok=False, detail="; ".join(seen))


def check_authres(
    header_values: Sequence[str], rep_domain: str, trusted_ids: Sequence[str]
) -> ProofResult:
    """Look for a trusted ``Authentication-Results`` that passes DKIM or DMARC for the rep."""
    if not trusted_ids:
        return ProofResult(name="authres", ok=False, detail="no trusted authserv-id is configured")
    trusted = {t.lower() for t in trusted_ids}
    notes: list[str] = []
    for value in header_values:
        try:
            parsed = authres.AuthenticationResultsHeader.parse(
                "Authentication-Results: " + " ".join(value.split())
            )
        except Exception as exc:
            # authres raises its own syntax errors and plain ones on odd input.
            notes.append(f"an unreadable header ({type(exc).__name__})")
            continue
        server = str(parsed.authserv_id or "").lower()
        if server not in trusted:
            continue
        for result in parsed.results:
            method, outcome = str(result.method).lower(), str(result.result).lower()
            props = {f"{p.type}.{p.name}".lower(): str(p.value) for p in result.properties}
            if method == "dkim" and outcome == "pass":
                domain = props.get("header.d", "")
                if aligned(domain, rep_domain):
                    return ProofResult(
                        name="authres", ok=True, detail=f"{server}: dkim=pass header.d={domain}"
                    )
                notes.append(f"{server}: dkim=pass for {domain or '?'}, not the rep's domain")
            elif method == "dmarc" and outcome == "pass":
                domain = props.get("header.from", "")
                if aligned(domain, rep_domain) and aligned(rep_domain, domain):
                    return ProofResult(
                        name="authres",
                        ok=True,
                        detail=f"{server}: dmarc=pass header.from={domain}",
                    )
                notes.append(f"{server}: dmarc=pass for {domain or '?'}, not the rep's domain")
            elif method in ("dkim", "dmarc"):
                notes.append(f"{server}: {method}={outcome}")
    if not notes:
        return ProofResult(
            name="authres", ok=False, detail="no Authentication-Results from a trusted server"
        )
    return ProofResult(name="authres", ok=False, detail="; ".join(notes))


def gather_evidence(
    raw: bytes,
    rep_domain: str,
    dns_txt: DnsTxt,
    *,
    accepted: Sequence[str],
    timeout: float,
    trusted_ids: Sequence[str],
    sent: ProofResult | None = None,
) -> OriginEvidence:
    """The proofs ``raw`` carries itself (DKIM, Authentication-Results), plus ``sent``."""
    return OriginEvidence(
        dkim=verify_dkim(raw, rep_domain, dns_txt, timeout=timeout) if "dkim" in accepted else None,
        authres=check_authres(authres_values(raw), rep_domain, trusted_ids)
        if "authres" in accepted
        else None,
        sent=sent if "sent" in accepted else None,
        accepted=tuple(accepted),
    )


def authres_values(raw: bytes) -> list[str]:
    """The ``Authentication-Results`` header values of ``raw``, topmost first."""
    message = message_from_bytes(raw, policy=compat32)
    return [str(v) for v in message.get_all("Authentication-Results") or []]


def system_dns(name: bytes, timeout: float = 5.0) -> bytes | str | None:
    """TXT lookup through the system's resolver (dnspython), for DKIM keys."""
    result: bytes | str | None = dkim.dnsplug.get_txt(name, timeout=timeout)
    return result


def _signature_count(raw: bytes) -> int:
    message = message_from_bytes(raw, policy=compat32)
    return len(message.get_all("DKIM-Signature") or [])


def _bounded(dns_txt: DnsTxt, timeout: float) -> Callable[..., bytes | str | None]:
    def lookup(name: bytes, timeout_: float = timeout, **_: object) -> bytes | str | None:
        try:
            return dns_txt(name, timeout=min(timeout, timeout_))
        except Exception as exc:
            # A DNS failure is "cannot verify", which dkimpy reports as a failed signature.
            log.info("dkim: DNS lookup of %r failed: %s", name, _short(exc))
            return None

    return lookup


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
