"""What the access area needs from storage: users, sessions, recovery codes, API keys."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from voltline.areas.access.model import NewUser, Role, User, UserSecrets, UserSession
from voltline.kernel.storage import RepositoryKey

# The names start-up gives the bootstrap admin token: VOLTLINE_ADMIN_TOKEN's, or the one it generated.
CONFIGURED_ADMIN_KEY = "admin (VOLTLINE_ADMIN_TOKEN)"
GENERATED_ADMIN_KEY = "admin (generated)"
BOOTSTRAP_KEY_NAMES = frozenset({CONFIGURED_ADMIN_KEY, GENERATED_ADMIN_KEY})


@dataclass(slots=True, frozen=True)
class ApiKey:
    id: int
    name: str
    role: str
    created_at: datetime
    created_by: str | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def bootstrap(self) -> bool:
        """Whether start-up made this key (the break-glass admin token). Start-up records no creator, the
        API always does (and refuses these names), so no key made through the API passes for one."""
        return self.name in BOOTSTRAP_KEY_NAMES and self.created_by is None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ApiKeyRepository(Protocol):
    async def add(self, name: str, role: str, key_hash: str, created_by: str | None = None) -> ApiKey: ...
    async def find(self, key_hash: str) -> ApiKey | None:
        """The key with this digest, unless it was revoked."""
        ...

    async def find_any(self, key_hash: str) -> ApiKey | None:
        """The key with this digest, revoked or not."""
        ...

    async def count(self) -> int: ...
    async def list(self) -> builtins.list[ApiKey]: ...
    async def active_name_taken(self, name: str) -> bool: ...
    async def revoke(self, key_id: int, at: datetime) -> ApiKey | None:
        """Revoke the key (a second revoke keeps the first time); None when there is no such key."""
        ...

    async def mark_used(self, key_id: int, at: datetime) -> None: ...


class UserRepository(Protocol):
    """People's accounts. User names are stored lower-case and are unique."""

    async def add(self, new: NewUser) -> User: ...
    async def get(self, user_id: int) -> User | None: ...
    async def secrets(self, user_id: int) -> UserSecrets | None: ...
    async def secrets_by_username(self, username: str) -> UserSecrets | None: ...
    async def list(self) -> builtins.list[User]: ...
    async def set_role(self, user_id: int, role: Role, at: datetime) -> None: ...
    async def set_disabled(self, user_id: int, disabled: bool, at: datetime) -> None: ...
    async def set_password_hash(self, user_id: int, password_hash: str, at: datetime) -> None: ...
    async def set_pending_mfa_secret(self, user_id: int, secret: str | None, at: datetime) -> None: ...
    async def enable_mfa(self, user_id: int, secret: str, step: int, at: datetime) -> None:
        """The pending secret becomes the secret; `step` counts as spent."""
        ...

    async def reset_mfa(self, user_id: int, at: datetime) -> None:
        """Forget the secrets, the spent step and the recovery codes."""
        ...

    async def spend_mfa_step(self, user_id: int, step: int) -> bool:
        """Record `step` as spent, only if it is later than the last spent one; False means a replay."""
        ...

    async def set_last_login(self, user_id: int, at: datetime) -> None: ...
    async def set_login_unlocked(self, user_id: int, at: datetime) -> None:
        """Record that an admin ended the account's login lockout at `at`."""
        ...

    async def login_unlocked_at(self, username: str) -> datetime | None:
        """When an admin last ended the login lockout of the account with this (stored) name."""
        ...

    async def delete(self, user_id: int) -> bool: ...


class SessionRepository(Protocol):
    """Login sessions, found by the SHA-256 digest of their token."""

    async def add(self, user_id: int, token_hash: str, created_at: datetime, expires_at: datetime) -> None: ...
    async def find(self, token_hash: str, now: datetime) -> UserSession | None:
        """The unexpired session with this digest."""
        ...

    async def delete(self, token_hash: str) -> bool: ...
    async def delete_for_user(self, user_id: int) -> int: ...
    async def delete_expired(self, now: datetime) -> int: ...


class RecoveryCodeRepository(Protocol):
    async def replace(self, user_id: int, code_hashes: Sequence[str]) -> None: ...
    async def spend(self, user_id: int, code_hash: str, at: datetime) -> bool:
        """Mark an unused code as used; False when there is no such unused code."""
        ...


API_KEYS: RepositoryKey[ApiKeyRepository] = RepositoryKey("api_keys")
USERS: RepositoryKey[UserRepository] = RepositoryKey("users")
SESSIONS: RepositoryKey[SessionRepository] = RepositoryKey("sessions")
RECOVERY_CODES: RepositoryKey[RecoveryCodeRepository] = RepositoryKey("recovery_codes")
