"""DKIM signing of outgoing follow-ups with dkimpy, for relays that do not sign.

Pure: a private key and raw bytes in, raw bytes out. The DKIM-Signature header field is put
on top of the bytes given and nothing else is touched, because re-serialising a message
after it was signed is what breaks signatures. The key is checked when the signer is built
(and by ``check-config`` through :func:`check_key`), so a bad key is a configuration error
reported once, not a failure of every send.

Keys are what dkimpy signs with: for ``rsa-sha256`` an unencrypted RSA private key in PEM
form (PKCS#1 or PKCS#8, as ``openssl genrsa`` writes it); for ``ed25519-sha256`` the base64
of the raw 32-byte private key (the seed, as dkimpy's ``dknewkey --ktype ed25519`` writes it),
which needs PyNaCl (``dkimpy[ed25519]``).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import dkim
import dkim.crypto

from followupd.errors import ConfigError, MailParseError

if TYPE_CHECKING:
    from followupd.config.models import DkimSettings

__all__ = ["DkimSigner", "check_key", "dns_record"]

# RFC 8301: verifiers must reject RSA keys under 1024 bits, so such a key signs in vain.
_MIN_RSA_BITS = 1024
# rsaEncryption (1.2.840.113549.1.1.1) and id-Ed25519 (1.3.101.112), DER-encoded.
_RSA_OID = bytes.fromhex("06092a864886f70d010101")
_ED25519_OID = bytes.fromhex("06032b6570")
_SEED_FROM_PEM = "openssl pkey -in KEY.pem -outform DER | tail -c 32 | base64"


@dataclass(frozen=True)
class _Key:
    # The private half must never reach a log or a traceback.
    private: bytes = field(repr=False)
    kind: Literal["rsa", "ed25519"]
    public: str


def check_key(settings: DkimSettings, key: bytes) -> None:
    """Raise ConfigError (one problem) unless ``key`` can sign with ``settings.algorithm``."""
    _load_key(settings, key)


class DkimSigner:
    """Signs the raw bytes of one mailbox's follow-ups (relaxed/relaxed canonicalization).

    ``key`` is the private key as described in the module docstring; ``rep_address`` gives
    the signing domain when ``settings.domain`` is not set, so that the signature aligns
    with the From address for DMARC.
    """

    def __init__(self, settings: DkimSettings, key: bytes, *, rep_address: str) -> None:
        self._key = _load_key(settings, key)
        self.algorithm = settings.algorithm
        self.selector = settings.selector
        self.domain = settings.domain or _ascii_domain(rep_address.rpartition("@")[2])
        # From is signed once more than it occurs, so no second From can be added on the way
        # (a receiver showing the added one would still see a valid signature otherwise).
        self.headers: tuple[str, ...] = (*settings.headers, "From")

    @property
    def key_type(self) -> Literal["rsa", "ed25519"]:
        """The ``k=`` tag of the DNS record."""
        return self._key.kind

    @property
    def public_key(self) -> str:
        """The ``p=`` tag of the DNS record: the public key, base64."""
        return self._key.public

    @property
    def dns_name(self) -> str:
        """Where the DNS TXT record goes."""
        return f"{self.selector}._domainkey.{self.domain}"

    def sign(self, raw: bytes) -> bytes:
        """``raw`` with a DKIM-Signature header field on top, and otherwise byte for byte.

        The new field ends lines the way ``raw`` does (CRLF or LF). Raises MailParseError
        when dkimpy cannot read the header of ``raw``.
        """
        first_line = raw.split(b"\n", 1)[0]
        linesep = b"\r\n" if first_line.endswith(b"\r") else b"\n"
        try:
            header: bytes = dkim.sign(
                raw,
                self.selector.encode("ascii"),
                self.domain.encode("ascii"),
                self._key.private,
                canonicalize=(b"relaxed", b"relaxed"),
                signature_algorithm=self.algorithm.encode("ascii"),
                include_headers=[h.lower().encode("ascii") for h in self.headers],
                linesep=linesep,
            )
        except dkim.DKIMException as exc:
            raise MailParseError(f"cannot DKIM-sign the message: {exc}") from exc
        return header + raw

    def __repr__(self) -> str:
        return f"DkimSigner({self.algorithm}, {self.dns_name})"


def dns_record(signer: DkimSigner) -> str:
    """The TXT record value to publish at ``signer.dns_name``: ``v=DKIM1; k=...; p=...``.

    An RSA record is longer than the 255 characters of one DNS string; DNS interfaces split
    it themselves, zone files need it as several quoted strings on one line.
    """
    return f"v=DKIM1; k={signer.key_type}; p={signer.public_key}"


def _ascii_domain(domain: str) -> str:
    # d= must be the ASCII form of an internationalised domain (xn--...); DNS holds only that.
    try:
        name = domain.lower().encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ConfigError([f"the DKIM domain {domain!r} is not a valid domain name"]) from exc
    if "." not in name:
        raise ConfigError([f"the DKIM domain {domain!r} is not a valid domain name"])
    return name


def _load_key(settings: DkimSettings, key: bytes) -> _Key:
    # Keys saved by Windows editors end lines with CRLF; dkimpy's PEM parser needs LF.
    text = key.replace(b"\r\n", b"\n").strip()
    return _rsa_key(text) if settings.algorithm == "rsa-sha256" else _ed25519_key(text)


def _rsa_key(text: bytes) -> _Key:
    if b"-----BEGIN ENCRYPTED" in text or b"Proc-Type: 4,ENCRYPTED" in text:
        raise _key_error(
            "is encrypted; give it decrypted (openssl pkey -in KEY.pem -out PLAIN.pem) and "
            "protect the file instead"
        )
    try:
        parsed = dkim.crypto.parse_pem_private_key(text)
    # binascii.Error (a ValueError) comes from a bad PEM body, AssertionError from dkimpy's
    # DER parser on some malformed keys; both mean the same to the admin.
    except (dkim.crypto.UnparsableKeyError, ValueError, AssertionError) as exc:
        hint = ""
        if _is_ed25519_seed(text) or _ed25519_oid_in_pem(text):
            hint = '; this is an ed25519 key: set algorithm = "ed25519-sha256"'
        raise _key_error(
            'is not an RSA private key in PEM form ("-----BEGIN PRIVATE KEY-----" or '
            f'"-----BEGIN RSA PRIVATE KEY-----"), which algorithm = "rsa-sha256" needs{hint}'
        ) from exc
    modulus: int = parsed["modulus"]
    exponent: int = parsed["publicExponent"]
    if modulus.bit_length() < _MIN_RSA_BITS:
        raise _key_error(
            f"has {modulus.bit_length()} bits; receivers reject RSA keys under "
            f"{_MIN_RSA_BITS} bits (2048 is usual)"
        )
    public = base64.b64encode(_rsa_public_key_info(modulus, exponent)).decode("ascii")
    return _Key(private=text, kind="rsa", public=public)


def _ed25519_key(text: bytes) -> _Key:
    try:
        import nacl.encoding
        import nacl.signing
    except ImportError as exc:
        raise ConfigError(
            [
                'algorithm = "ed25519-sha256" needs PyNaCl, which is not installed; install '
                "dkimpy[ed25519]"
            ]
        ) from exc
    if text.startswith(b"-----BEGIN") and _ed25519_oid_in_pem(text):
        raise _key_error(
            'is in PEM form; algorithm = "ed25519-sha256" needs the base64 of the raw 32-byte '
            f"private key, which this prints: {_SEED_FROM_PEM}"
        )
    if text.startswith(b"-----BEGIN"):
        raise _key_error(
            'is a PEM key but not an ed25519 one; algorithm = "ed25519-sha256" needs the '
            "base64 of a raw 32-byte ed25519 private key; an RSA key needs algorithm = "
            '"rsa-sha256"'
        )
    if not _is_ed25519_seed(text):
        raise _key_error(
            "is not the base64 of a 32-byte ed25519 private key, which algorithm = "
            '"ed25519-sha256" needs (44 characters, as dknewkey --ktype ed25519 writes it)'
        )
    signing = nacl.signing.SigningKey(text, encoder=nacl.encoding.Base64Encoder)
    public = signing.verify_key.encode(encoder=nacl.encoding.Base64Encoder).decode("ascii")
    return _Key(private=text, kind="ed25519", public=public)


def _is_ed25519_seed(text: bytes) -> bool:
    # Strict base64: a stray character must not silently make a different key.
    try:
        return len(base64.b64decode(text, validate=True)) == 32
    except binascii.Error:
        return False


def _ed25519_oid_in_pem(text: bytes) -> bool:
    body = b"".join(line for line in text.splitlines() if not line.startswith(b"-----"))
    try:
        der = base64.b64decode(body)
    except binascii.Error:
        return False
    # The algorithm identifier comes within the first 16 bytes of a PKCS#8 key.
    return _ED25519_OID in der[:16]


def _key_error(reason: str) -> ConfigError:
    return ConfigError([f"the DKIM key {reason}"])


def _rsa_public_key_info(modulus: int, exponent: int) -> bytes:
    """The DER SubjectPublicKeyInfo of an RSA key, the form ``p=`` carries (RFC 6376 3.6.1)."""
    rsa_public_key = _der(0x30, _der_int(modulus) + _der_int(exponent))
    algorithm = _der(0x30, _RSA_OID + b"\x05\x00")
    # A BIT STRING starts with the count of unused bits in its last byte: none here.
    return _der(0x30, algorithm + _der(0x03, b"\x00" + rsa_public_key))


def _der_int(n: int) -> bytes:
    # One byte more than the bits need whenever the top bit is set, so it reads as positive.
    return _der(0x02, n.to_bytes(n.bit_length() // 8 + 1, "big"))


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content
