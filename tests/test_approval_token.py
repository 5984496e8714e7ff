"""Approval tokens: signed, compact, found in quoted replies, impossible to forge."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followupd.approval.token import (
    NONCE_LENGTH,
    TokenClaim,
    find_tokens,
    make_token,
    new_nonce,
    verify_token,
)

SECRET = b"k" * 32


def test_nonce_shape_and_randomness() -> None:
    nonces = {new_nonce() for _ in range(200)}
    assert len(nonces) == 200
    assert all(re.fullmatch(f"[a-z2-7]{{{NONCE_LENGTH}}}", n) for n in nonces)


def test_token_round_trip() -> None:
    nonce = new_nonce()
    token = make_token(SECRET, 42, nonce)
    assert re.fullmatch(r"FU-42-[a-z2-7]{10}-[a-z2-7]{16}", token)
    assert verify_token(SECRET, token) == TokenClaim(draft_id=42, nonce=nonce)
    # Clients may change case when quoting; that alone does not make a token invalid.
    assert verify_token(SECRET, token.lower()) == TokenClaim(draft_id=42, nonce=nonce)


def test_forged_and_malformed_tokens_are_refused() -> None:
    token = make_token(SECRET, 42, "abcdefghij")
    signature = token.rsplit("-", 1)[1]
    other = "a" if signature[0] != "a" else "b"
    assert verify_token(b"other secret", token) is None
    assert verify_token(SECRET, token.replace("FU-42-", "FU-43-")) is None
    assert verify_token(SECRET, token[:-16] + other + signature[1:]) is None
    for bad in ["", "FU-42", token + "x", "FU-0-abcdefghij-" + signature, "FU-42-abc-def"]:
        assert verify_token(SECRET, bad) is None
    assert verify_token(b"", token) is None


def test_make_token_validates_its_input() -> None:
    with pytest.raises(ValueError):
        make_token(SECRET, 0, "abcdefghij")
    with pytest.raises(ValueError):
        make_token(SECRET, 1, "ABC")
    with pytest.raises(ValueError):
        make_token(b"", 1, "abcdefghij")


def test_find_tokens_in_a_quoted_reply() -> None:
    one = make_token(SECRET, 7, "abcdefghij")
    two = make_token(SECRET, 8, "bcdefghijk")
    text = (
        f"approve\n\nOn Mon, followupd wrote:\n> Draft 7 ({one}).\n> >{one}\n"
        f"> <{two.upper().replace('FU-', 'fu-')}>\n> xFU-9-abcdefghij-abcdefghijklmnopq\n"
    )
    assert find_tokens(text) == [one, two]
    assert find_tokens("nothing here") == []


@given(
    secret=st.binary(min_size=1, max_size=64),
    draft_id=st.integers(min_value=1, max_value=10**12),
)
def test_every_made_token_verifies_and_is_found(secret: bytes, draft_id: int) -> None:
    nonce = new_nonce()
    token = make_token(secret, draft_id, nonce)
    assert find_tokens(f"text {token}, more") == [token]
    assert verify_token(secret, token) == TokenClaim(draft_id=draft_id, nonce=nonce)


@given(st.text(max_size=80))
def test_verify_never_raises(text: str) -> None:
    assert verify_token(SECRET, text) is None
