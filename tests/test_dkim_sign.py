"""DKIM signing of follow-ups: real keys, verified by dkimpy through an injected DNS function."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dkim
import dkim.util
import nacl.signing
import pytest

from followupd.config import load_config_data
from followupd.config.models import DkimSettings
from followupd.errors import ConfigError, MailParseError
from followupd.mail.build import build_followup
from followupd.mail.dkim_sign import DkimSigner, check_key, dns_record
from followupd.mail.parse import Address

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config.example.toml"
KEYS = Path(__file__).parent / "fixtures" / "dkim"
RSA_KEY = (KEYS / "rep.key").read_bytes()
REP = "anna@bearings.example.com"
ENV = {
    "FOLLOWUPD_APPROVAL_SECRET": "0123456789abcdef0123456789abcdef",
    "FOLLOWUPD_ANNA_IMAP_PASSWORD": "imap-pw",
    "FOLLOWUPD_ANNA_SMTP_PASSWORD": "smtp-pw",
}


def _settings(**kw: Any) -> DkimSettings:
    return DkimSettings.model_validate({"selector": "fu1", "key_env": "K", **kw})


def _ed25519_seed() -> bytes:
    return base64.b64encode(bytes(nacl.signing.SigningKey.generate()))


def _followup() -> bytes:
    msg = build_followup(
        from_=Address(name="陈安娜 Anna Chen", email=REP),
        to=Address(name="Jürgen Weiß", email="j.weiss@kugellager.example.de"),
        subject="Re: Angebot 6204-2RS – Lieferzeit",
        text="Hallo Herr Weiß,\n\nhaben Sie unser Angebot erhalten?\n\nAnna\n",
        html="<p>Hallo Herr Weiß,</p><p>haben Sie unser Angebot erhalten?</p>",
        message_id="fu.1@bearings.example.com",
        in_reply_to="<orig.1@kugellager.example.de>",
        references=["<orig.0@kugellager.example.de>"],
        date=datetime(2027, 3, 4, 8, 1, tzinfo=UTC),
    )
    # As it goes on the wire: CRLF line ends.
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def _dns(*signers: DkimSigner) -> Callable[..., bytes | None]:
    """A DNS TXT lookup answering with each signer's published record, and nothing else."""
    records = {f"{s.dns_name}.".encode(): dns_record(s).encode() for s in signers}

    def lookup(name: bytes, timeout: float = 5) -> bytes | None:
        return records.get(name)

    return lookup


def _tags(signed: bytes) -> dict[bytes, bytes]:
    """The tags of the topmost DKIM-Signature field."""
    headers, _ = dkim.rfc822_parse(signed)
    value = next(v for name, v in headers if name.lower() == b"dkim-signature")
    return dict(dkim.util.parse_tag_value(value))


# --- signing and verifying ---------------------------------------------------------------


def test_rsa_signature_verifies_with_the_published_record() -> None:
    signer = DkimSigner(_settings(), RSA_KEY, rep_address=REP)
    signed = signer.sign(_followup())
    assert dkim.verify(signed, dnsfunc=_dns(signer))
    # The record carries the same public key openssl extracts from the private one.
    expected = (KEYS / "rep.pub.b64").read_text().strip()
    assert dns_record(signer) == f"v=DKIM1; k=rsa; p={expected}"
    assert signer.dns_name == "fu1._domainkey.bearings.example.com"


def test_ed25519_signature_verifies_with_the_published_record() -> None:
    signer = DkimSigner(_settings(algorithm="ed25519-sha256"), _ed25519_seed(), rep_address=REP)
    signed = signer.sign(_followup())
    assert dns_record(signer).startswith("v=DKIM1; k=ed25519; p=")
    assert dkim.verify(signed, dnsfunc=_dns(signer))
    assert _tags(signed)[b"a"] == b"ed25519-sha256"


def test_the_message_is_left_byte_for_byte_under_one_new_field() -> None:
    raw = _followup()
    signed = DkimSigner(_settings(), RSA_KEY, rep_address=REP).sign(raw)
    assert signed.endswith(raw)
    added = signed[: -len(raw)]
    assert added.startswith(b"DKIM-Signature: ") and added.endswith(b"\r\n")
    # One field: every line after the first is a continuation of it.
    assert all(line[:1] == b" " for line in added.split(b"\r\n")[1:-1])


def test_a_message_with_lf_line_ends_gets_an_lf_field_and_verifies() -> None:
    raw = _followup().replace(b"\r\n", b"\n")
    signer = DkimSigner(_settings(), RSA_KEY, rep_address=REP)
    signed = signer.sign(raw)
    assert signed.endswith(raw) and b"\r" not in signed
    assert dkim.verify(signed, dnsfunc=_dns(signer))


def test_the_signature_covers_from_and_the_configured_fields_relaxed() -> None:
    signer = DkimSigner(_settings(), RSA_KEY, rep_address=REP)
    tags = _tags(signer.sign(_followup()))
    signed_fields = [h.strip() for h in tags[b"h"].split(b":")]
    assert signed_fields.count(b"from") == 2
    assert {b"to", b"subject", b"date", b"message-id", b"in-reply-to", b"references"} <= set(
        signed_fields
    )
    assert tags[b"c"] == b"relaxed/relaxed"
    assert (tags[b"d"], tags[b"s"], tags[b"a"]) == (b"bearings.example.com", b"fu1", b"rsa-sha256")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"Angebot erhalten?", b"Angebot erhalten!"),
        (b"Subject: Re: Angebot", b"Subject: Fw: Angebot"),
    ],
)
def test_a_changed_message_fails_verification(old: bytes, new: bytes) -> None:
    signer = DkimSigner(_settings(), RSA_KEY, rep_address=REP)
    signed = signer.sign(_followup())
    assert dkim.verify(signed, dnsfunc=_dns(signer))
    tampered = signed.replace(old, new, 1)
    assert tampered != signed
    assert not dkim.verify(tampered, dnsfunc=_dns(signer))


def test_a_second_from_added_on_the_way_fails_verification() -> None:
    signer = DkimSigner(_settings(), RSA_KEY, rep_address=REP)
    signed = signer.sign(_followup())
    # On top, where a receiver shows it. dkimpy's verifier also catches this on its own; the
    # From listed twice in h= (checked above) makes every other verifier catch it too.
    forged = b"From: Anna <anna@evil.example>\r\n" + signed
    assert not dkim.verify(forged, dnsfunc=_dns(signer))


def test_relaxed_canonicalization_survives_refolded_whitespace() -> None:
    signer = DkimSigner(_settings(), RSA_KEY, rep_address=REP)
    signed = signer.sign(_followup())
    assert b"Subject: Re: Angebot" in signed
    refolded = signed.replace(b"Subject: Re: Angebot", b"Subject:  Re:\r\n  Angebot", 1)
    assert dkim.verify(refolded, dnsfunc=_dns(signer))


def test_the_domain_defaults_to_the_reps_and_can_be_set() -> None:
    assert DkimSigner(_settings(), RSA_KEY, rep_address="a@Sales.Example.COM").domain == (
        "sales.example.com"
    )
    idn = DkimSigner(_settings(), RSA_KEY, rep_address="anna@轴承.example")
    assert idn.domain == "xn--1qur41h.example"
    explicit = DkimSigner(_settings(domain="Example.com."), RSA_KEY, rep_address=REP)
    assert explicit.domain == "example.com"
    signed = explicit.sign(_followup())
    assert _tags(signed)[b"d"] == b"example.com"
    assert dkim.verify(signed, dnsfunc=_dns(explicit))


def test_an_unparsable_message_is_a_mail_error() -> None:
    signer = DkimSigner(_settings(), RSA_KEY, rep_address=REP)
    with pytest.raises(MailParseError, match="cannot DKIM-sign"):
        signer.sign(b"From: a@b.example\r\nno colon here\r\n\r\nbody\r\n")


def test_the_private_key_is_never_shown() -> None:
    signer = DkimSigner(_settings(), RSA_KEY, rep_address=REP)
    shown = repr(signer) + repr(vars(signer))
    assert not any(line in shown for line in RSA_KEY.decode().splitlines()[1:-1])


# --- keys that do not fit -----------------------------------------------------------------


def _problem(settings: DkimSettings, key: bytes) -> str:
    with pytest.raises(ConfigError) as info:
        DkimSigner(settings, key, rep_address=REP)
    [problem] = info.value.problems
    return problem


def test_an_ed25519_key_for_rsa_says_which_algorithm_fits() -> None:
    problem = _problem(_settings(), _ed25519_seed())
    assert problem.startswith("the DKIM key is not an RSA private key in PEM form")
    assert 'this is an ed25519 key: set algorithm = "ed25519-sha256"' in problem


def test_an_rsa_key_for_ed25519_says_which_algorithm_fits() -> None:
    problem = _problem(_settings(algorithm="ed25519-sha256"), RSA_KEY)
    assert "is a PEM key but not an ed25519 one" in problem
    assert 'algorithm = "rsa-sha256"' in problem


def test_an_ed25519_key_in_pem_form_says_how_to_convert_it() -> None:
    seed = bytes(nacl.signing.SigningKey.generate())
    der = bytes.fromhex("302e020100300506032b657004220420") + seed
    pem = (
        b"-----BEGIN PRIVATE KEY-----\n" + base64.b64encode(der) + b"\n-----END PRIVATE KEY-----\n"
    )
    problem = _problem(_settings(algorithm="ed25519-sha256"), pem)
    assert "is in PEM form" in problem and "openssl pkey" in problem
    # Its seed, converted as the message says, is accepted.
    DkimSigner(_settings(algorithm="ed25519-sha256"), base64.b64encode(der[-32:]), rep_address=REP)


@pytest.mark.parametrize(
    ("algorithm", "key", "expected"),
    [
        ("rsa-sha256", b"not a key", "is not an RSA private key in PEM form"),
        ("rsa-sha256", b"", "is not an RSA private key in PEM form"),
        ("rsa-sha256", b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END", "is encrypted"),
        ("ed25519-sha256", b"not a key", "is not the base64 of a 32-byte ed25519 private key"),
        ("ed25519-sha256", base64.b64encode(b"x" * 64), "32-byte ed25519"),
    ],
)
def test_keys_that_cannot_sign_are_config_errors(algorithm: str, key: bytes, expected: str) -> None:
    assert expected in _problem(_settings(algorithm=algorithm), key)


def test_a_short_rsa_key_is_refused() -> None:
    # Only the numbers' sizes matter to the check; dkimpy parses without checking them.
    modulus = (1 << 511) | 1
    ints = [0, modulus, 65537, *([modulus - 2] * 6)]
    body = b"".join(_der(0x02, n.to_bytes(n.bit_length() // 8 + 1, "big")) for n in ints)
    pem = (
        b"-----BEGIN RSA PRIVATE KEY-----\n"
        + base64.b64encode(_der(0x30, body))
        + b"\n-----END RSA PRIVATE KEY-----\n"
    )
    assert "has 512 bits; receivers reject RSA keys under 1024 bits" in _problem(_settings(), pem)


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def test_a_key_with_crlf_line_ends_is_accepted() -> None:
    signer = DkimSigner(_settings(), RSA_KEY.replace(b"\n", b"\r\n"), rep_address=REP)
    assert dkim.verify(signer.sign(_followup()), dnsfunc=_dns(signer))


def test_ed25519_without_pynacl_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry makes the import fail as if PyNaCl were not installed.
    monkeypatch.setitem(sys.modules, "nacl.signing", None)
    monkeypatch.setitem(sys.modules, "nacl.encoding", None)
    with pytest.raises(ConfigError, match=r"install dkimpy\[ed25519\]"):
        check_key(_settings(algorithm="ed25519-sha256"), _ed25519_seed())


# --- configuration ------------------------------------------------------------------------


def _config(dkim_table: dict[str, Any]) -> dict[str, Any]:
    data = tomllib.loads(EXAMPLE.read_text())
    data["mailbox"][0]["dkim"] = dkim_table
    return data


def _problems(data: dict[str, Any], env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config_data(data, env=env)
    return info.value.problems


def test_the_key_resolves_from_env_file_and_credential(tmp_path: Path) -> None:
    (tmp_path / "dkim.key").write_bytes(RSA_KEY)
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "anna-dkim").write_bytes(RSA_KEY)
    env = {**ENV, "DKIM_KEY": RSA_KEY.decode(), "CREDENTIALS_DIRECTORY": str(creds)}
    for source in (
        {"key_env": "DKIM_KEY"},
        {"key_file": str(tmp_path / "dkim.key")},
        {"key_credential": "anna-dkim"},
    ):
        cfg = load_config_data(_config({"selector": "fu1", **source}), env=env)
        mailbox = cfg.settings.mailbox[0]
        assert mailbox.dkim is not None
        key = cfg.secrets.get("mailbox.anna.dkim.key").encode()
        signer = DkimSigner(mailbox.dkim, key, rep_address=mailbox.rep_address)
        assert dkim.verify(signer.sign(_followup()), dnsfunc=_dns(signer)), source


def test_the_ed25519_key_resolves_and_signs() -> None:
    seed = _ed25519_seed().decode()
    data = _config({"selector": "ed", "algorithm": "ed25519-sha256", "key_env": "DKIM_KEY"})
    cfg = load_config_data(data, env={**ENV, "DKIM_KEY": seed})
    assert cfg.settings.mailbox[0].dkim is not None
    signer = DkimSigner(
        cfg.settings.mailbox[0].dkim,
        cfg.secrets.get("mailbox.anna.dkim.key").encode(),
        rep_address=REP,
    )
    assert dkim.verify(signer.sign(_followup()), dnsfunc=_dns(signer))


@pytest.mark.parametrize(
    "sources",
    [{}, {"key_env": "A", "key_file": "/etc/x"}, {"key_env": "A", "key_credential": "c"}],
)
def test_none_or_two_key_sources_are_an_error(sources: dict[str, str]) -> None:
    [problem] = _problems(_config({"selector": "fu1", **sources}), ENV)
    assert problem.startswith("mailbox[0].dkim: give exactly one of key_env, key_file or ")
    assert "key_credential" in problem


def test_a_missing_key_is_named_like_any_secret(tmp_path: Path) -> None:
    [problem] = _problems(_config({"selector": "fu1", "key_env": "DKIM_KEY"}), ENV)
    assert problem == (
        "mailbox[0].dkim.key_env: environment variable DKIM_KEY is not set (expected the secret)"
    )
    missing = tmp_path / "missing.key"
    [problem] = _problems(_config({"selector": "fu1", "key_file": str(missing)}), ENV)
    assert problem == (
        f"mailbox[0].dkim.key_file: file {missing} cannot be read (No such file or directory)"
    )
    [problem] = _problems(_config({"selector": "fu1", "key_credential": "anna-dkim"}), ENV)
    assert problem.startswith("mailbox[0].dkim.key_credential: systemd credential 'anna-dkim'")
    assert "CREDENTIALS_DIRECTORY is not set" in problem


def test_a_key_that_does_not_fit_the_algorithm_is_found_at_load(tmp_path: Path) -> None:
    (tmp_path / "dkim.key").write_bytes(RSA_KEY)
    data = _config(
        {"selector": "fu1", "algorithm": "ed25519-sha256", "key_file": str(tmp_path / "dkim.key")}
    )
    [problem] = _problems(data, ENV)
    assert problem.startswith(f"mailbox[0].dkim.key_file: file {tmp_path / 'dkim.key'}: ")
    assert "the DKIM key is a PEM key but not an ed25519 one" in problem
    # The key itself is not echoed.
    assert "MII" not in problem


def test_unknown_keys_in_the_dkim_table_are_errors() -> None:
    [problem] = _problems(_config({"selector": "fu1", "key_env": "K", "selectr": "x"}), ENV)
    assert problem == (
        "mailbox[0].dkim.selectr: unknown key (expected one of: algorithm, domain, headers, "
        "key_credential, key_env, key_file, selector)"
    )
    [problem] = _problems(_config({"selector": "fu1", "key": "-----BEGIN"}), ENV)
    assert problem.startswith("mailbox[0].dkim.key: unknown key")
    assert "BEGIN" not in problem


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({"headers": ["To", "Subject"]}, "mailbox[0].dkim.headers: must include From"),
        ({"headers": ["From", "Received"]}, "must not include Received"),
        ({"headers": ["From", "X Bad"]}, "not header field names: 'X Bad'"),
        ({"selector": "fu_1"}, "mailbox[0].dkim.selector = 'fu_1': expected a DNS label"),
        ({"selector": "-fu"}, "expected a DNS label"),
        ({"domain": "localhost"}, "mailbox[0].dkim.domain = 'localhost': expected a domain"),
        ({"algorithm": "rsa-sha1"}, "mailbox[0].dkim.algorithm = 'rsa-sha1': Input should be"),
    ],
)
def test_bad_dkim_values_name_the_key(table: dict[str, Any], expected: str) -> None:
    found = _problems(_config({"selector": "fu1", "key_env": "K", **table}), ENV)
    assert any(expected in p for p in found), found


def test_headers_are_kept_once_each_in_the_order_given() -> None:
    settings = _settings(headers=["From", "to", "Subject", "from", "To"])
    assert settings.headers == ("From", "to", "Subject")
    assert _settings(selector="fu.2027").selector == "fu.2027"


def _example_with_dkim() -> str:
    """config.example.toml with its [mailbox.dkim] table uncommented (key from env)."""
    text = EXAMPLE.read_text()
    start = text.index("# [mailbox.dkim]")
    setting = re.compile(r"^# (\[mailbox\.dkim\]|(?!key_file|key_credential)[a-z_]+ = .*)$")
    lines = []
    for line in text[start:].splitlines():
        if match := setting.match(line):
            lines.append(match.group(1))
        elif line.startswith("#            "):
            # The continuation of a value written over several lines.
            lines.append(line.removeprefix("#"))
    return text[:start] + "\n".join(lines) + "\n"


def test_the_example_documents_every_dkim_key_and_its_table_loads() -> None:
    text = EXAMPLE.read_text()
    for key in DkimSettings.model_fields:
        assert f"\n# {key} = " in text, key
    # Uncommented, the documented table is valid (with one key source of the three).
    data = tomllib.loads(_example_with_dkim())
    cfg = load_config_data(data, env={**ENV, "FOLLOWUPD_ANNA_DKIM_KEY": RSA_KEY.decode()})
    dkim_settings = cfg.settings.mailbox[0].dkim
    assert dkim_settings is not None
    assert dkim_settings == DkimSettings(
        selector="fu2027", domain="bearings.example.com", key_env="FOLLOWUPD_ANNA_DKIM_KEY"
    )


def test_check_config_shows_the_record_to_publish(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(_example_with_dkim())
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUPD_")}
    env = {**clean, **ENV, "FOLLOWUPD_ANNA_DKIM_KEY": RSA_KEY.decode()}
    result = subprocess.run(
        [sys.executable, "-m", "followupd", "check-config", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    signer = DkimSigner(_settings(selector="fu2027"), RSA_KEY, rep_address=REP)
    assert f"  fu2027._domainkey.bearings.example.com TXT {dns_record(signer)}\n" in result.stdout
    assert "PRIVATE" not in result.stdout + result.stderr
