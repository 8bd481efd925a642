"""Records of people, sessions and the audit trail, shared by the account services and storage ports, and
the area's domain event (`AccessChanged`).

Plain data only (no imports of storage), so that `voltline.kernel.storage` can name them without an
import cycle. `UserSecrets` carries the password hash and the TOTP secret: it never leaves the domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from voltline.kernel.events import DomainEvent


class Role(StrEnum):
    """What a person or an API key may do: viewers read, operators also act, admins also manage access."""

    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"

    def includes(self, required: Role) -> bool:
        """Whether this role may do what `required` may do (admin > operator > viewer)."""
        return _RANK[self] >= _RANK[required]


_RANK = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


@dataclass(slots=True, frozen=True)
class User:
    id: int
    username: str
    role: Role
    disabled: bool
    mfa_enabled: bool
    created_at: datetime
    updated_at: datetime
    created_by: str | None = None
    last_login_at: datetime | None = None

    @property
    def mfa_required(self) -> bool:
        """MFA is required for admins, and for anyone who enrolled."""
        return self.role is Role.ADMIN or self.mfa_enabled


@dataclass(slots=True, frozen=True)
class UserSecrets:
    """A user with what verifies them. The TOTP secret is readable by necessity (codes are computed from it)."""

    user: User
    password_hash: str
    mfa_secret: str | None
    mfa_pending_secret: str | None
    mfa_last_step: int | None


@dataclass(slots=True, frozen=True)
class NewUser:
    username: str
    role: Role
    password_hash: str
    created_by: str | None
    at: datetime


@dataclass(slots=True, frozen=True)
class UserSession:
    """A live login session: whose it is and when it ends."""

    id: int
    user: User
    expires_at: datetime


@dataclass(slots=True, frozen=True)
class Principal:
    """Who is calling the API: a person (through a login session) or an integration (an API key)."""

    kind: str  # "user" or "api_key"
    id: int
    name: str
    role: Role
    mfa_enabled: bool = False
    expires_at: datetime | None = None  # when the session ends; None for API keys

    @property
    def is_user(self) -> bool:
        return self.kind == "user"

    @property
    def actor(self) -> str:
        """How the audit trail names this caller."""
        return f"user:{self.name}" if self.is_user else f"key:{self.name}"

    @property
    def must_enrol_mfa(self) -> bool:
        """An admin who has not enrolled MFA may do nothing but enrol (and look at or end the session)."""
        return self.is_user and self.role is Role.ADMIN and not self.mfa_enabled


@dataclass(slots=True, frozen=True)
class AccessChanged(DomainEvent):
    """Login sessions or API keys were ended: a logout, a key revoked, a user disabled, their password or
    MFA reset, or removed. Announced after the change committed, so that whoever holds a credential open
    beyond one request (a live event stream) checks it again at once. It names no credential: each holder
    asks whether its own still stands.

    `reason` is for logs: "logout", "api_key_revoked", "user_changed" or "user_removed"."""

    reason: str
