"""Logins of people and the authentication of every API request.

A login checks the password (argon2), then the second factor when the user has MFA (a TOTP code or an
unused recovery code), and opens a session: a random token, returned once and stored as its SHA-256
digest with an expiry. Failures are throttled per account and per client address (login_throttle.py);
lockouts and their ends are logged as security events and written to the audit log. The one-time codes
of MFA enrolment and of replacing recovery codes (`confirm_mfa`, `regenerate_recovery_codes`) are held to
the same throttle: a wrong code counts as a failed login of the account (and from the address), and while
either is locked the code is refused unheard, right or wrong; a right code does not clear the count.

`authenticate` turns a bearer token into a `Principal`: a session's user, or an API key; `still_valid`
checks again a credential held open beyond one request (a live event stream). A logout is announced
(`AccessChanged`) once committed.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from voltline.areas.access.accounts import normalise_username
from voltline.areas.access.api_access import ApiAccessService
from voltline.areas.access.login_throttle import LockoutEvent, LoginThrottle
from voltline.areas.access.mfa import MfaService, WrongCode
from voltline.areas.access.model import AccessChanged, Principal, Role, UserSecrets
from voltline.areas.access.passwords import MAX_PASSWORD_LENGTH, PasswordHashing
from voltline.areas.access.ports import SESSIONS, USERS
from voltline.areas.audit.service import AuditService
from voltline.kernel.clock import utcnow
from voltline.kernel.credentials import token_digest
from voltline.kernel.errors import DomainError, InvalidRequest
from voltline.kernel.events import EventBus
from voltline.kernel.storage import Storage, UnitOfWork
from voltline.kernel.throttles import Throttles

log = logging.getLogger(__name__)

SESSION_PREFIX = "vls_"
WRONG_CREDENTIALS = "wrong user name or password"

T = TypeVar("T")


@dataclass(slots=True, frozen=True)
class LoginPolicy:
    session_ttl: float = 8 * 3600.0
    failures_per_account: int = 5
    failures_per_address: int = 20
    failure_window: float = 15 * 60.0
    lockout: float = 15 * 60.0


class LoginRefused(DomainError):
    """Wrong password, missing or wrong second factor, or a disabled account (401).

    `account` names the account when it exists (for the audit trail), else None."""

    def __init__(self, message: str, account: str | None = None) -> None:
        super().__init__(message)
        self.account = account


class LoginThrottled(DomainError):
    """Too many failed logins for this account or from this address (429)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins: try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(slots=True, frozen=True)
class LoginResult:
    token: str  # shown once
    principal: Principal


class LoginService:
    def __init__(
        self,
        storage: Storage,
        passwords: PasswordHashing,
        mfa: MfaService,
        api_access: ApiAccessService,
        audit: AuditService,
        policy: LoginPolicy,
        throttles: Throttles,
        *,
        bus: EventBus | None = None,
    ) -> None:
        """`bus`: where a logout is announced (`AccessChanged`); None where nobody streams."""
        self._storage = storage
        self._bus = bus
        self._passwords = passwords
        self._mfa = mfa
        self._api_access = api_access
        self._audit = audit
        self.policy = policy
        self._end_reports: set[asyncio.Task[None]] = set()
        self.throttle = LoginThrottle(
            throttles,
            failures_per_account=policy.failures_per_account,
            failures_per_address=policy.failures_per_address,
            window=policy.failure_window,
            lockout=policy.lockout,
        )

    async def login(
        self,
        username: str,
        password: str,
        *,
        address: str,
        otp: str | None = None,
        recovery_code: str | None = None,
    ) -> LoginResult:
        account = username.strip().lower()[:64]
        await self._refuse_while_locked(account, address)
        try:
            name = normalise_username(username)
        except InvalidRequest:
            name = None
        found = None
        if name is not None:

            async def find(uow: UnitOfWork) -> UserSecrets | None:
                return await uow[USERS].secrets_by_username(name)

            found = await self._storage.read(find)
        # The password is checked (or a dummy, for unknown names) before anything else is revealed.
        password_ok = len(password) <= MAX_PASSWORD_LENGTH and await self._passwords.verify(
            found.password_hash if found else None, password
        )
        if found is None or not password_ok:
            await self._failed(account, address)
            raise LoginRefused(WRONG_CREDENTIALS, found.user.username if found else None)
        user = found.user
        if user.disabled:
            await self._failed(account, address)
            raise LoginRefused("this account is disabled", user.username)
        if found.mfa_secret is not None:
            reason = await self._second_factor(found, otp, recovery_code)
            if reason is not None:
                await self._failed(account, address)
                raise LoginRefused(reason, user.username)
        await self.throttle.succeeded(account)
        return await self._open_session(found, password)

    async def confirm_mfa(self, principal: Principal, otp: str, *, address: str) -> list[str]:
        """`MfaService.confirm` for the calling user, throttled as logins are (see the module doc)."""
        return await self._throttled_code(principal, address, lambda: self._mfa.confirm(principal.id, otp))

    async def regenerate_recovery_codes(self, principal: Principal, otp: str, *, address: str) -> list[str]:
        """`MfaService.regenerate_recovery_codes` for the calling user, throttled as logins are."""
        return await self._throttled_code(
            principal, address, lambda: self._mfa.regenerate_recovery_codes(principal.id, otp)
        )

    async def _throttled_code(self, principal: Principal, address: str, attempt: Callable[[], Awaitable[T]]) -> T:
        # The throttle counts accounts by the name as typed at login, lower-cased: the stored user name.
        account = principal.name
        await self._refuse_while_locked(account, address)
        try:
            return await attempt()
        except WrongCode:
            # A guess at the second factor, made with the password already known: a failed login. A right
            # code clears nothing (only a whole login does).
            await self._failed(account, address)
            raise

    async def _refuse_while_locked(self, account: str, address: str) -> None:
        """LoginThrottled while the account or the address is locked (an admin's unlock, wherever it was
        made, ends the account's lockout first); reports the lockouts that ran out."""
        await self._report(await self.throttle.ended())
        wait = await self.throttle.retry_after(account, address)
        if wait is not None and await self._unlocked_by_admin(account):
            wait = await self.throttle.retry_after(account, address)  # the address may still be locked
        if wait is not None:
            raise LoginThrottled(wait)

    async def _unlocked_by_admin(self, account: str) -> bool:
        """Whether an admin unlocked the account (or set its password) since its running lockout began,
        wherever that happened: on another node, or with the command line, neither of which can reach this
        process's counters. Then the lockout ends here too. One read by the unique user name, and only
        while the account is locked, so a guesser hammering a locked account costs no argon2 either."""
        remaining = await self.throttle.account_locked_for(account)
        if remaining is None:
            return False
        # When the lockout began, on the wall clock the unlock was stamped with (the throttle counts in
        # monotonic seconds; a lockout always lasts policy.lockout). Nodes' clocks are assumed in step
        # to well within a lockout.
        locked_since = utcnow() - timedelta(seconds=self.policy.lockout - remaining)

        async def op(uow: UnitOfWork) -> datetime | None:
            return await uow[USERS].login_unlocked_at(account)

        unlocked_at = await self._storage.read(op)
        if unlocked_at is None or unlocked_at < locked_since:
            return False
        await self.throttle.unlock(account)
        log.info("login lockout of account %r ended: an admin unlocked it", account)
        return True

    async def _second_factor(self, found: UserSecrets, otp: str | None, recovery_code: str | None) -> str | None:
        """Why the second factor is refused, or None when it was accepted (and spent)."""
        if otp:
            if await self._mfa.spend_otp(found, otp):
                return None
            return "wrong or already used one-time code"
        if recovery_code:
            if await self._mfa.spend_recovery_code(found.user.id, recovery_code):
                return None
            return "wrong or already used recovery code"
        return "a second factor is required: send otp (from the authenticator app) or recovery_code"

    async def _open_session(self, found: UserSecrets, password: str) -> LoginResult:
        token = SESSION_PREFIX + secrets.token_urlsafe(32)
        digest = token_digest(token)
        now = utcnow()
        expires = now + timedelta(seconds=self.policy.session_ttl)
        user = found.user
        new_hash = await self._passwords.hash(password) if self._passwords.needs_rehash(found.password_hash) else None

        async def op(uow: UnitOfWork) -> None:
            await uow[SESSIONS].delete_expired(now)
            await uow[SESSIONS].add(user.id, digest, now, expires)
            await uow[USERS].set_last_login(user.id, now)
            if new_hash is not None:
                await uow[USERS].set_password_hash(user.id, new_hash, now)

        await self._storage.write(op)
        principal = Principal(
            kind="user",
            id=user.id,
            name=user.username,
            role=user.role,
            mfa_enabled=user.mfa_enabled,
            expires_at=expires,
        )
        return LoginResult(token=token, principal=principal)

    async def _failed(self, account: str, address: str) -> None:
        started = await self.throttle.failed(account, address)
        await self._report(started)
        for event in started:
            # Report the end when it comes, not only at the next login attempt after it.
            asyncio.get_running_loop().call_later(event.seconds, self._report_ended_soon)

    def _report_ended_soon(self) -> None:
        task = asyncio.get_running_loop().create_task(self._report_ended())
        self._end_reports.add(task)
        task.add_done_callback(self._end_reports.discard)

    async def _report_ended(self) -> None:
        try:
            ended = await self.throttle.ended()
        except Exception:  # a shared throttle's store may fail; the next login attempt reports them
            log.exception("could not read the login lockouts that ended")
            return
        await self._report(ended)

    async def _report(self, events: list[LockoutEvent]) -> None:
        for event in events:
            what = "login lockout" if event.started else "login lockout ended"
            # Names and addresses only: never a password, never a token.
            log.warning(
                "security event: %s for %s %r%s",
                what,
                event.kind,
                event.key,
                f" after {event.failures} failed logins, for {event.seconds:.0f} s" if event.started else "",
            )
            detail: dict[str, object] = {"kind": event.kind, "seconds": event.seconds}
            if event.started:
                detail["failures"] = event.failures
            try:
                await self._audit.record(
                    action=f"security {what}",
                    result="locked" if event.started else "unlocked",
                    target=f"{event.kind}:{event.key}",
                    summary=what,
                    detail=detail,
                    actor="system",
                )
            except Exception:
                log.exception("could not write a login lockout to the audit log")

    async def logout(self, token: str) -> bool:
        digest = token_digest(token)

        async def op(uow: UnitOfWork) -> bool:
            return await uow[SESSIONS].delete(digest)

        ended = await self._storage.write(op)
        if ended and self._bus is not None:
            await self._bus.publish(AccessChanged("logout"))
        return ended

    async def still_valid(self, token: str, principal: Principal) -> bool:
        """Whether `token` still stands for `principal`, as it did when a request opened something held open
        (a live event stream): the same session's user, still enabled, the session neither ended nor
        expired; or the same API key, not revoked. This check is no use of the key (`last_used_at`)."""
        now = await self.authenticate(token, touch=False)
        return now is not None and now.kind == principal.kind and now.id == principal.id and not now.must_enrol_mfa

    async def authenticate(self, token: str, *, touch: bool = True) -> Principal | None:
        """The caller a bearer token stands for: a live session's enabled user, or an unrevoked API key.
        `touch=False`: an API key's `last_used_at` is left as it is."""
        if token.startswith(SESSION_PREFIX):
            digest = token_digest(token)
            now = utcnow()

            async def op(uow: UnitOfWork) -> Principal | None:
                session = await uow[SESSIONS].find(digest, now)
                if session is None or session.user.disabled:
                    return None
                user = session.user
                return Principal(
                    kind="user",
                    id=user.id,
                    name=user.username,
                    role=user.role,
                    mfa_enabled=user.mfa_enabled,
                    expires_at=session.expires_at,
                )

            found = await self._storage.read(op)
            if found is not None:
                return found
        key = await self._api_access.authenticate(token, touch=touch)
        if key is None:
            return None
        try:
            role = Role(key.role)
        except ValueError:
            return None
        return Principal(kind="api_key", id=key.id, name=key.name, role=role)
