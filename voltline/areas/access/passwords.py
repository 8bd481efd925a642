"""People's passwords: argon2id hashes (argon2-cffi), computed off the event loop.

argon2 is deliberately slow and memory-hungry (RFC 9106 low-memory profile: 64 MiB, 3 passes), which is
what makes a stolen hash expensive to attack, and also what could let a burst of logins stall the server
or exhaust its memory: hashing runs in worker threads, at most `max_concurrent` at a time.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


def _encoded(password: str) -> bytes:
    # A JSON string may hold a lone surrogate; it must be refused as a wrong password, not crash hashing.
    return password.encode("utf-8", "surrogatepass")


class PasswordHashing:
    def __init__(self, hasher: PasswordHasher | None = None, max_concurrent: int = 2) -> None:
        self._hasher = hasher or PasswordHasher()
        self._slots = asyncio.Semaphore(max_concurrent)
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, _encoded(password))

    async def verify(self, stored: str | None, password: str) -> bool:
        """Whether `password` matches `stored`. With no stored hash (unknown user) a dummy hash is checked
        anyway, so that the answer takes as long and does not reveal which user names exist."""
        if stored is None:
            if self._dummy is None:
                self._dummy = await self.hash("not a password of anyone")
            stored = self._dummy
        async with self._slots:
            return await asyncio.to_thread(self._verify, stored, _encoded(password))

    def _verify(self, stored: str, password: bytes) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """True when `stored` was made with weaker parameters than the current ones."""
        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return False
