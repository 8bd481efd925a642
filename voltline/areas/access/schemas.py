"""Request and response bodies of accounts and access: login, MFA, users, API keys, the audit log.

Secrets appear in responses exactly once: a session token in the login answer, an API key in its
creation answer, a TOTP secret in the enrolment answer, recovery codes in the confirmation answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from voltline.api.schemas import NO_NUL, PRINTABLE, AnyCase, Strict
from voltline.areas.access.model import Principal, Role, User
from voltline.areas.access.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from voltline.areas.access.ports import ApiKey

Username = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$",
        description="1 to 64 letters, digits and . _ @ -; case-insensitive (stored lower-case).",
        examples=["alice"],
    ),
]
NewPassword = Annotated[
    str,
    Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        pattern=NO_NUL,
        description=f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters.",
    ),
]
OneTimeCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=16,
        pattern=NO_NUL,
        description="The 6-digit code of the authenticator app.",
        examples=["492039"],
    ),
]


class LoginRequest(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"username": "alice", "password": "correct horse battery", "otp": "492039"}]},
    )

    username: str = Field(min_length=1, max_length=256, pattern=NO_NUL)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH, pattern=NO_NUL)
    otp: OneTimeCode | None = Field(default=None, description="Required once the user has enrolled MFA.")
    recovery_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=NO_NUL,
        description="Instead of `otp`: one of the recovery codes, which is then used up.",
    )


class MeBody(BaseModel):
    kind: Literal["user", "api_key"] = Field(description="A person's login session, or an API key.")
    id: int
    name: str = Field(description="The user name, or the API key's name.")
    role: Role
    mfa_enabled: bool
    mfa_required: bool = Field(description="Whether this account must use a second factor.")
    mfa_enrolment_required: bool = Field(
        description="An admin without MFA: the session may only enrol MFA, show itself and log out."
    )
    session_expires_at: datetime | None = None

    @classmethod
    def of(cls, principal: Principal) -> MeBody:
        return cls(
            kind="user" if principal.is_user else "api_key",
            id=principal.id,
            name=principal.name,
            role=principal.role,
            mfa_enabled=principal.mfa_enabled,
            mfa_required=principal.is_user and (principal.role is Role.ADMIN or principal.mfa_enabled),
            mfa_enrolment_required=principal.must_enrol_mfa,
            session_expires_at=principal.expires_at,
        )


class LoginBody(BaseModel):
    token: str = Field(description="The session token, shown once: send it as `Authorization: Bearer <token>`.")
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    user: MeBody


class MfaEnrolmentBody(BaseModel):
    secret: str = Field(description="The TOTP secret (base32), shown only now.")
    provisioning_uri: str = Field(
        description="otpauth:// URI for an authenticator app (show it as a QR code).",
        examples=["otpauth://totp/Voltline:alice?secret=JBSWY3DPEHPK3PXP&issuer=Voltline"],
    )
    issuer: str = "Voltline"


class OtpRequest(Strict):
    otp: OneTimeCode


class RecoveryCodesBody(BaseModel):
    recovery_codes: list[str] = Field(description="One-time recovery codes, shown only now; each works once.")


class UserCreate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"username": "alice", "password": "a long passphrase", "role": "operator"}]},
    )

    username: Username
    password: NewPassword
    role: AnyCase[Role] = Role.VIEWER


class UserPatch(Strict):
    """Change a user; fields left out stay as they are."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"role": "admin"}, {"disabled": True}, {"reset_mfa": True}]},
    )

    role: AnyCase[Role] | None = None
    disabled: bool | None = Field(default=None, description="A disabled user cannot log in; sessions end.")
    password: NewPassword | None = Field(
        default=None, description="A new password; the user's sessions and any login lockout end."
    )
    reset_mfa: bool = Field(
        default=False, description="Forget the user's TOTP secret and recovery codes; sessions end."
    )


class UserBody(BaseModel):
    id: int
    username: str
    role: Role
    disabled: bool
    mfa_enabled: bool
    created_at: datetime
    updated_at: datetime
    created_by: str | None = None
    last_login_at: datetime | None = None

    @classmethod
    def of(cls, user: User) -> UserBody:
        return cls(
            id=user.id,
            username=user.username,
            role=user.role,
            disabled=user.disabled,
            mfa_enabled=user.mfa_enabled,
            created_at=user.created_at,
            updated_at=user.updated_at,
            created_by=user.created_by,
            last_login_at=user.last_login_at,
        )


class UnlockedUserBody(UserBody):
    was_locked: bool = Field(
        description="Whether this server held a lockout of the account. Other nodes' lockouts end at the "
        "account's next login attempt there."
    )


class ApiKeyCreate(Strict):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "billing-export", "role": "viewer"}]}
    )

    name: str = Field(min_length=1, max_length=128, pattern=PRINTABLE, description="What the key is for.")
    role: AnyCase[Role]


class ApiKeyBody(BaseModel):
    id: int
    name: str
    role: str
    created_at: datetime
    created_by: str | None = None
    last_used_at: datetime | None = Field(default=None, description="To the minute.")
    revoked: bool
    revoked_at: datetime | None = None
    bootstrap: bool = Field(
        default=False,
        description="The bootstrap admin token (VOLTLINE_ADMIN_TOKEN or generated at the first start): a "
        "break-glass credential without MFA; revoke it with DELETE /api/v1/api-keys/bootstrap.",
    )

    @classmethod
    def fields_of(cls, key: ApiKey) -> dict[str, Any]:
        return {
            "id": key.id,
            "name": key.name,
            "role": key.role,
            "created_at": key.created_at,
            "created_by": key.created_by,
            "last_used_at": key.last_used_at,
            "revoked": key.revoked_at is not None,
            "revoked_at": key.revoked_at,
            "bootstrap": key.bootstrap,
        }

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyBody:
        return cls(**cls.fields_of(key))


class NewApiKeyBody(ApiKeyBody):
    token: str = Field(description="The key, shown only now: `Authorization: Bearer <token>`.")
