"""LoginService over real SQL storage: sessions, second factors, throttling and its security events, API keys."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.account_builders import (
    ADDRESS,
    PASSWORD,
    FakeClock,
    account_kit,
    an_enrolled_admin,
    code_at,
    usable_recovery_codes,
)
from voltline.areas.access.login import LoginPolicy, LoginRefused, LoginThrottled
from voltline.areas.access.model import Role
from voltline.areas.audit.model import AuditQuery
from voltline.storage.sql import SqlStorage

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


async def test_a_login_opens_a_session_that_authenticates_until_logout(storage: SqlStorage) -> None:
    kit = account_kit(storage)
    await kit.accounts.create_user("alice", PASSWORD, Role.OPERATOR)

    result = await kit.logins.login("Alice", PASSWORD, address=ADDRESS)

    assert result.token.startswith("vls_")
    principal = await kit.logins.authenticate(result.token)
    assert principal is not None
    assert (principal.kind, principal.name, principal.role, principal.actor) == (
        "user",
        "alice",
        Role.OPERATOR,
        "user:alice",
    )
    assert principal.expires_at == result.principal.expires_at
    assert await kit.logins.logout(result.token)
    assert await kit.logins.authenticate(result.token) is None
    assert (await kit.accounts.get_user(principal.id)).last_login_at is not None


async def test_sessions_expire(storage: SqlStorage) -> None:
    kit = account_kit(storage, LoginPolicy(session_ttl=0.3))
    await kit.accounts.create_user("alice", PASSWORD, Role.OPERATOR)
    result = await kit.logins.login("alice", PASSWORD, address=ADDRESS)
    assert await kit.logins.authenticate(result.token) is not None
    await asyncio.sleep(0.4)
    assert await kit.logins.authenticate(result.token) is None


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong password!"), ("nobody", PASSWORD)])
async def test_wrong_credentials_get_one_message(storage: SqlStorage, username: str, password: str) -> None:
    kit = account_kit(storage)
    await kit.accounts.create_user("alice", PASSWORD, Role.OPERATOR)
    with pytest.raises(LoginRefused, match="wrong user name or password"):
        await kit.logins.login(username, password, address=ADDRESS)


async def test_an_admin_without_mfa_gets_a_session_that_must_enrol(storage: SqlStorage) -> None:
    kit = account_kit(storage)
    await kit.accounts.create_user("root", PASSWORD, Role.ADMIN)
    result = await kit.logins.login("root", PASSWORD, address=ADDRESS)
    assert result.principal.must_enrol_mfa
    principal = await kit.logins.authenticate(result.token)
    assert principal is not None and principal.must_enrol_mfa


async def test_once_enrolled_a_login_needs_a_fresh_code_or_an_unused_recovery_code(storage: SqlStorage) -> None:
    kit = account_kit(storage, clock=lambda: NOW)
    user = await kit.accounts.create_user("alice", PASSWORD, Role.VIEWER)
    enrolment = await kit.mfa.enrol(user.id)
    recovery = await kit.mfa.confirm(user.id, code_at(enrolment.secret, NOW))

    with pytest.raises(LoginRefused, match="second factor is required"):
        await kit.logins.login("alice", PASSWORD, address=ADDRESS)
    with pytest.raises(LoginRefused, match="one-time code"):
        await kit.logins.login("alice", PASSWORD, address=ADDRESS, otp="000000")
    with pytest.raises(LoginRefused, match="already used"):
        await kit.logins.login("alice", PASSWORD, address=ADDRESS, otp=code_at(enrolment.secret, NOW))  # spent
    next_step = code_at(enrolment.secret, NOW + timedelta(seconds=30))  # a phone clock a little ahead
    result = await kit.logins.login("alice", PASSWORD, address=ADDRESS, otp=next_step)
    assert result.principal.mfa_enabled and not result.principal.must_enrol_mfa
    with pytest.raises(LoginRefused, match="already used"):
        await kit.logins.login("alice", PASSWORD, address=ADDRESS, otp=next_step)  # replay

    assert await kit.logins.login("alice", PASSWORD, address=ADDRESS, recovery_code=recovery[0].upper())
    with pytest.raises(LoginRefused, match="recovery code"):
        await kit.logins.login("alice", PASSWORD, address=ADDRESS, recovery_code=recovery[0])
    assert await usable_recovery_codes(kit.mfa, user.id, recovery) == 9


async def test_a_wrong_password_is_refused_before_the_second_factor_is_looked_at(storage: SqlStorage) -> None:
    kit = account_kit(storage)
    user = await kit.accounts.create_user("alice", PASSWORD, Role.VIEWER)
    enrolment = await kit.mfa.enrol(user.id)
    codes = await kit.mfa.confirm(user.id, code_at(enrolment.secret, datetime.now(UTC)))
    with pytest.raises(LoginRefused, match="wrong user name or password"):
        await kit.logins.login("alice", "wrong password!", address=ADDRESS, recovery_code=codes[0])
    assert await usable_recovery_codes(kit.mfa, user.id, codes) == 10  # not spent by a failed login


async def test_a_locked_account_is_refused_even_with_the_right_password_then_freed(
    storage: SqlStorage, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    kit = account_kit(storage, LoginPolicy(failures_per_account=3, lockout=60.0), monotonic=clock)
    await kit.accounts.create_user("alice", PASSWORD, Role.OPERATOR)
    caplog.set_level(logging.WARNING)
    for _ in range(3):
        with pytest.raises(LoginRefused):
            await kit.logins.login("alice", "guess-number-1234", address=ADDRESS)

    with pytest.raises(LoginThrottled) as refused:
        await kit.logins.login("alice", PASSWORD, address=ADDRESS)
    assert refused.value.retry_after == 60

    clock.advance(60)
    assert await kit.logins.login("alice", PASSWORD, address=ADDRESS)

    security = [r.getMessage() for r in caplog.records if "security event" in r.getMessage()]
    assert security == [
        "security event: login lockout for account 'alice' after 3 failed logins, for 60 s",
        "security event: login lockout ended for account 'alice'",
    ]
    assert "guess-number-1234" not in caplog.text and PASSWORD not in caplog.text
    entries = await kit.audit.search(AuditQuery(target="account:alice"))
    assert [(e.action, e.result, e.actor) for e in entries] == [
        ("security login lockout ended", "unlocked", "system"),
        ("security login lockout", "locked", "system"),
    ]


async def test_an_address_is_locked_after_failures_for_many_accounts(storage: SqlStorage) -> None:
    clock = FakeClock()
    kit = account_kit(storage, LoginPolicy(failures_per_address=4), monotonic=clock)
    await kit.accounts.create_user("alice", PASSWORD, Role.OPERATOR)
    for n in range(4):
        with pytest.raises(LoginRefused):
            await kit.logins.login(f"user{n}", PASSWORD, address=ADDRESS)
    with pytest.raises(LoginThrottled):
        await kit.logins.login("alice", PASSWORD, address=ADDRESS)
    assert await kit.logins.login("alice", PASSWORD, address="198.51.100.1")  # another address


async def test_a_missing_second_factor_counts_as_a_failure(storage: SqlStorage) -> None:
    clock = FakeClock()
    kit = account_kit(storage, LoginPolicy(failures_per_account=2), monotonic=clock)
    user = await kit.accounts.create_user("alice", PASSWORD, Role.OPERATOR)
    enrolment = await kit.mfa.enrol(user.id)
    await kit.mfa.confirm(user.id, code_at(enrolment.secret, datetime.now(UTC)))
    for _ in range(2):
        with pytest.raises(LoginRefused):
            await kit.logins.login("alice", PASSWORD, address=ADDRESS)
    with pytest.raises(LoginThrottled):
        await kit.logins.login("alice", PASSWORD, address=ADDRESS)


async def test_api_keys_authenticate_until_revoked(storage: SqlStorage) -> None:
    kit = account_kit(storage)
    created = await kit.api_access.create("billing", Role.VIEWER)

    principal = await kit.logins.authenticate(created.token)

    assert principal is not None
    assert (principal.kind, principal.name, principal.role, principal.actor) == (
        "api_key",
        "billing",
        Role.VIEWER,
        "key:billing",
    )
    [listed] = await kit.api_access.list()
    assert listed.last_used_at is not None and listed.revoked_at is None
    revoked = await kit.api_access.revoke(created.key.id)
    assert revoked.revoked_at is not None
    assert await kit.logins.authenticate(created.token) is None


async def test_a_revoked_configured_admin_token_stays_revoked(storage: SqlStorage) -> None:
    kit = account_kit(storage)
    configured = "vl_configured-admin-token-0123456789"
    await kit.api_access.ensure_admin_token(configured)
    [key] = await kit.api_access.list()
    await an_enrolled_admin(kit)  # the bootstrap token is revoked only once an admin can take over
    await kit.api_access.revoke(key.id)

    assert await kit.api_access.ensure_admin_token(configured) is None  # a restart
    assert await kit.logins.authenticate(configured) is None
