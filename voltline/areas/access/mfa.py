"""TOTP multi-factor authentication of users: enrolment, confirmation, recovery codes, second-factor checks.

Enrolment is two steps: `enrol` draws a secret (kept pending, shown once with its provisioning URI) and
`confirm` turns it on once the user proves their app produces the right codes; that answer carries ten
recovery codes, shown once and stored as SHA-256 digests. The secret itself is stored readable (codes are
computed from it) and is never shown again. Admins must enrol; other roles may, and then must use it.

A code that does not match raises `WrongCode`: the API throttles those as failed logins (see
`LoginService.confirm_mfa`), since each one is a guess at the second factor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from voltline.areas.access import totp
from voltline.areas.access.model import UserSecrets
from voltline.areas.access.ports import RECOVERY_CODES, USERS
from voltline.kernel.clock import utcnow
from voltline.kernel.errors import Conflict, InvalidRequest, NotFound
from voltline.kernel.storage import Storage, UnitOfWork


class WrongCode(InvalidRequest):
    """The one-time code did not match (or was used already): a guess, counted as a failed login (422)."""


@dataclass(slots=True, frozen=True)
class MfaEnrolment:
    secret: str
    provisioning_uri: str


class MfaService:
    def __init__(self, storage: Storage, clock: Callable[[], datetime] = utcnow) -> None:
        self._storage = storage
        self._clock = clock

    async def _secrets(self, user_id: int) -> UserSecrets:
        async def op(uow: UnitOfWork) -> UserSecrets | None:
            return await uow[USERS].secrets(user_id)

        found = await self._storage.read(op)
        if found is None:
            raise NotFound(f"no user with id {user_id}")
        return found

    async def enrol(self, user_id: int) -> MfaEnrolment:
        """Start (or restart) enrolment with a new secret; refused once MFA is on."""
        current = await self._secrets(user_id)
        if current.mfa_secret is not None:
            raise Conflict("MFA is already enrolled; an admin can reset it")
        secret = totp.new_secret()
        now = self._clock()

        async def op(uow: UnitOfWork) -> None:
            await uow[USERS].set_pending_mfa_secret(user_id, secret, now)

        await self._storage.write(op)
        return MfaEnrolment(secret=secret, provisioning_uri=totp.provisioning_uri(secret, current.user.username))

    async def confirm(self, user_id: int, otp: str) -> list[str]:
        """Turn MFA on with the pending secret if `otp` is one of its codes; returns new recovery codes."""
        current = await self._secrets(user_id)
        if current.mfa_secret is not None:
            raise Conflict("MFA is already enrolled")
        if current.mfa_pending_secret is None:
            raise InvalidRequest("start enrolment first: POST /api/v1/auth/mfa/enroll")
        now = self._clock()
        step = totp.matching_step(current.mfa_pending_secret, otp, now, None)
        if step is None:
            raise WrongCode("the one-time code does not match; check the authenticator app's clock")
        pending = current.mfa_pending_secret
        codes = totp.new_recovery_codes()
        digests = [totp.recovery_code_digest(code) for code in codes]

        async def op(uow: UnitOfWork) -> None:
            await uow[USERS].enable_mfa(user_id, pending, step, now)
            await uow[RECOVERY_CODES].replace(user_id, digests)

        await self._storage.write(op)
        return codes

    async def regenerate_recovery_codes(self, user_id: int, otp: str) -> list[str]:
        """Replace all recovery codes, on proof of a current one-time code."""
        current = await self._secrets(user_id)
        if current.mfa_secret is None:
            raise InvalidRequest("MFA is not enrolled")
        if not await self.spend_otp(current, otp):
            raise WrongCode("the one-time code does not match or was already used")
        codes = totp.new_recovery_codes()
        digests = [totp.recovery_code_digest(code) for code in codes]

        async def op(uow: UnitOfWork) -> None:
            await uow[RECOVERY_CODES].replace(user_id, digests)

        await self._storage.write(op)
        return codes

    async def spend_otp(self, secrets: UserSecrets, otp: str) -> bool:
        """Whether `otp` is a valid, unspent code of this user; it is spent (with every older one) if so."""
        if secrets.mfa_secret is None:
            return False
        step = totp.matching_step(secrets.mfa_secret, otp, self._clock(), secrets.mfa_last_step)
        if step is None:
            return False
        user_id = secrets.user.id

        async def op(uow: UnitOfWork) -> bool:
            return await uow[USERS].spend_mfa_step(user_id, step)

        return await self._storage.write(op)

    async def spend_recovery_code(self, user_id: int, code: str) -> bool:
        """Whether `code` is an unused recovery code of this user; it is used up if so."""
        digest = totp.recovery_code_digest(code)
        now = self._clock()

        async def op(uow: UnitOfWork) -> bool:
            return await uow[RECOVERY_CODES].spend(user_id, digest, now)

        return await self._storage.write(op)
