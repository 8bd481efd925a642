"""Hashing of machine secrets: station Basic-auth passwords and API tokens.

Both are long random secrets, so a fast salted HMAC-SHA256 is the right tool: a slow password KDF would
make a reconnect storm of thousands of stations cost minutes of CPU. People's passwords use argon2
elsewhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_SCHEME = "hmac-sha256"


def hash_secret(secret: str) -> str:
    salt = secrets.token_hex(16)
    # Encoded as verify_secret does: a lone surrogate (valid in a JSON string) must not crash hashing.
    digest = hmac.new(bytes.fromhex(salt), secret.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return f"{_SCHEME}${salt}${digest}"


def verify_secret(secret: str, stored: str | None) -> bool:
    """Constant-time check of `secret` against a value made by `hash_secret`."""
    if not stored:
        return False
    try:
        scheme, salt, digest = stored.split("$")
        salt_bytes = bytes.fromhex(salt)
    except ValueError:
        return False
    if scheme != _SCHEME:
        return False
    candidate = hmac.new(salt_bytes, secret.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return hmac.compare_digest(candidate, digest)


def token_digest(token: str) -> str:
    """Unsalted digest of a high-entropy API token, so it can be looked up by an index."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_api_token() -> str:
    return "vl_" + secrets.token_urlsafe(32)
