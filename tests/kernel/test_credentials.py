"""Hashing and checking of machine secrets (station passwords, API tokens)."""

from __future__ import annotations

import pytest

from voltline.kernel.credentials import hash_secret, new_api_token, token_digest, verify_secret

SECRET = "a-long-station-secret"


@pytest.mark.parametrize(
    "secret",
    [SECRET, "", "pässwörd-✓-密码", "\ud800 lone surrogate", "x" * 10_000],
    ids=["ascii", "empty", "unicode", "surrogate", "long"],
)
def test_hash_then_verify_round_trips(secret: str) -> None:
    assert verify_secret(secret, hash_secret(secret))


def test_hash_does_not_contain_the_secret() -> None:
    stored = hash_secret(SECRET)

    assert SECRET not in stored
    assert stored.startswith("hmac-sha256$")


@pytest.mark.parametrize("wrong", ["a-long-station-secreT", "a-long-station-secre", SECRET + " ", "", "\ud800"])
def test_wrong_secret_is_refused(wrong: str) -> None:
    assert not verify_secret(wrong, hash_secret(SECRET))


def test_each_hash_has_its_own_salt() -> None:
    first, second = hash_secret(SECRET), hash_secret(SECRET)

    assert first != second
    assert first.split("$")[1] != second.split("$")[1]
    assert verify_secret(SECRET, first)
    assert verify_secret(SECRET, second)


def test_a_hash_does_not_verify_with_another_hashs_salt() -> None:
    scheme, salt, _ = hash_secret(SECRET).split("$")
    _, _, other_digest = hash_secret(SECRET).split("$")

    assert not verify_secret(SECRET, f"{scheme}${salt}${other_digest}")


def _valid() -> str:
    return hash_secret(SECRET)


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "",
        "garbage",
        SECRET,  # a plain password where a hash belongs
        "hmac-sha256$00",  # too few parts
        _valid() + "$extra",  # too many parts
        _valid().replace("hmac-sha256", "md5", 1),  # another scheme
        _valid().replace("$", "$zz", 1),  # salt that is not hex
        "hmac-sha256$0$" + "0" * 64,  # odd-length salt
        _valid()[:-1],  # truncated digest
        _valid().upper(),
        "hmac-sha256$$",
    ],
    # Fixed ids: the hashed values are random, and parallel workers must collect the same test names.
    ids=[
        "none",
        "empty",
        "garbage",
        "plain-password",
        "too-few-parts",
        "too-many-parts",
        "other-scheme",
        "salt-not-hex",
        "odd-length-salt",
        "truncated-digest",
        "upper-case",
        "empty-parts",
    ],
)
def test_malformed_stored_values_never_verify(stored: str | None) -> None:
    assert verify_secret(SECRET, stored) is False


def test_token_digest_is_stable_and_distinguishes_tokens() -> None:
    token = new_api_token()

    assert token_digest(token) == token_digest(token)
    assert len(token_digest(token)) == 64
    assert int(token_digest(token), 16) >= 0  # hex
    assert token_digest(token) != token_digest(token + "x")
    assert token not in token_digest(token)
    # Known value, so a change of algorithm (which would orphan every stored API key) is noticed.
    assert token_digest("vl_test") == "7d8da6e723dff039d703226958b872e2ba059608a1c95165faedbe14c5759fcc"


def test_token_digest_accepts_any_string() -> None:
    assert token_digest("\ud800") != token_digest("")


def test_new_api_tokens_are_prefixed_and_unique() -> None:
    tokens = {new_api_token() for _ in range(100)}

    assert len(tokens) == 100
    assert all(token.startswith("vl_") and len(token) > 40 for token in tokens)
