"""TOTP one-time codes (RFC 6238: HMAC-SHA1, 30 s steps, 6 digits) and recovery codes, as pure functions.

A code is accepted for the step before, the current and the next (clock drift of the phone), and only for
a step later than the last one the user spent: a code cannot be replayed within its window, and a
captured code cannot be used after a newer one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp

ISSUER = "Voltline"
STEP_SECONDS = 30
DIGITS = 6
VALID_WINDOW = 1  # steps either side of the current one
RECOVERY_CODE_COUNT = 10

# 16 characters of a 32-letter alphabet: 80 random bits, enough that a fast digest is safe to store.
_RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
_RECOVERY_GROUP = 4


def new_secret() -> str:
    """A random base32 secret of 160 bits (the HMAC-SHA1 key size RFC 4226 recommends)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app reads (usually from a QR code)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(name=username, issuer_name=ISSUER)


def step_at(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, at: datetime, last_used_step: int | None) -> int | None:
    """The time step `code` belongs to, if it is valid at `at` and newer than `last_used_step`; else None."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = step_at(at)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if last_used_step is not None and step <= last_used_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Codes such as "k7pq-2mzx-h4td-9wne", each good for one login."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(4 * _RECOVERY_GROUP))
        codes.append("-".join(raw[i : i + _RECOVERY_GROUP] for i in range(0, len(raw), _RECOVERY_GROUP)))
    return codes


def recovery_code_digest(code: str) -> str:
    """SHA-256 of the code without dashes, spaces or case, so "K7PQ 2MZX ..." matches too."""
    normalised = "".join(code.split()).replace("-", "").lower()
    return hashlib.sha256(normalised.encode("utf-8", "surrogatepass")).hexdigest()
