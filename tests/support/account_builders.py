"""The account services over one storage, wired as `Services.build` wires them, with test clocks."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pyotp
from argon2 import PasswordHasher

from voltline.areas.access.accounts import AccountService
from voltline.areas.access.api_access import ApiAccessService
from voltline.areas.access.login import LoginPolicy, LoginService
from voltline.areas.access.mfa import MfaService
from voltline.areas.access.model import Role, User
from voltline.areas.access.passwords import PasswordHashing
from voltline.areas.audit.service import AuditService
from voltline.kernel.clock import utcnow
from voltline.kernel.storage import Storage
from voltline.kernel.throttles import InProcessThrottles

PASSWORD = "correct horse battery staple"
ADDRESS = "192.0.2.10"


def cheap_passwords() -> PasswordHashing:
    """argon2id with small parameters: the same code path, a fraction of the CPU (tests hash a lot)."""
    return PasswordHashing(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@dataclass
class AccountKit:
    accounts: AccountService
    logins: LoginService
    mfa: MfaService
    audit: AuditService
    api_access: ApiAccessService


def account_kit(
    storage: Storage,
    policy: LoginPolicy | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    monotonic: Callable[[], float] = time.monotonic,
) -> AccountKit:
    passwords = cheap_passwords()
    audit = AuditService(storage)
    api_access = ApiAccessService(storage)
    mfa = MfaService(storage, clock)
    throttles = InProcessThrottles(clock=monotonic)
    logins = LoginService(storage, passwords, mfa, api_access, audit, policy or LoginPolicy(), throttles)
    return AccountKit(AccountService(storage, passwords, logins.throttle), logins, mfa, audit, api_access)


def code_at(secret: str, at: datetime) -> str:
    """What an authenticator app shows at `at` (computed independently of Voltline, with pyotp)."""
    return pyotp.TOTP(secret).at(at)


async def an_enrolled_admin(kit: AccountKit, username: str = "root") -> User:
    """A new admin who enrolled MFA: an admin who can take over from the bootstrap token."""
    user = await kit.accounts.create_user(username, PASSWORD, Role.ADMIN)
    enrolment = await kit.mfa.enrol(user.id)
    await kit.mfa.confirm(user.id, code_at(enrolment.secret, utcnow()))
    return await kit.accounts.get_user(user.id)


class FakeClock:
    """A monotonic clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def usable_recovery_codes(mfa: MfaService, user_id: int, codes: list[str]) -> int:
    """How many of `codes` still work, found the way a login finds out: by spending each (so none is
    left usable afterwards; call it last)."""
    return sum([await mfa.spend_recovery_code(user_id, code) for code in codes])
