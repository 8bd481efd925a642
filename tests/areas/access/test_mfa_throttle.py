"""One-time codes of POST /auth/mfa/verify and /auth/mfa/recovery-codes are throttled as logins are, through
the real app: a wrong code is a failed login of the account (and from the address), a locked account or
address answers 429 with Retry-After even for the right code, and a right code clears no failures."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.support.accounts import bearer, current_code, login, next_code, session_token, user_session
from tests.support.api_fixtures import ADMIN_TOKEN, ScriptedLink
from tests.support.waiting import eventually
from tests.support.wiring import wired_services
from voltline.areas.access.api_access import ApiAccessService
from voltline.kernel.services import ServiceRegistry
from voltline.storage.sql.storage import SqlStorage

LOCKOUT = 5.0  # long enough that 40 requests on a loaded machine all fall inside one lock
PER_ACCOUNT = 5
PER_ADDRESS = 8
WRONG = "000000"


@pytest.fixture
async def services(api_storage: SqlStorage, link: ScriptedLink) -> ServiceRegistry:
    services = wired_services(
        api_storage,
        link,
        heartbeat_interval=60,
        login_failures_per_account=PER_ACCOUNT,
        login_failures_per_address=PER_ADDRESS,
        login_failure_window=900.0,
        login_lockout=LOCKOUT,
    )
    await services[ApiAccessService].ensure_admin_token(ADMIN_TOKEN)
    return services


def wrong_code(secret: str) -> str:
    """Six digits that are no code of `secret` now (nor of the neighbouring steps)."""
    codes = {current_code(secret), next_code(secret)}
    return next(code for code in ("000000", "111111", "222222") if code not in codes)


async def start_enrolment(anonymous: httpx.AsyncClient, token: str) -> str:
    response = await anonymous.post("/api/v1/auth/mfa/enroll", headers=bearer(token))
    assert response.status_code == 200, response.text
    secret: str = response.json()["secret"]
    return secret


async def enrolled_user(client: httpx.AsyncClient, anonymous: httpx.AsyncClient, name: str) -> tuple[str, str]:
    """A viewer who enrolled MFA: (a session token, the TOTP secret)."""
    token = await user_session(client, anonymous, name, "viewer")
    secret = await start_enrolment(anonymous, token)
    verified = await anonymous.post(
        "/api/v1/auth/mfa/verify", json={"otp": current_code(secret)}, headers=bearer(token)
    )
    assert verified.status_code == 200, verified.text
    return token, secret


async def verify(anonymous: httpx.AsyncClient, token: str, otp: str) -> httpx.Response:
    return await anonymous.post("/api/v1/auth/mfa/verify", json={"otp": otp}, headers=bearer(token))


async def regenerate(anonymous: httpx.AsyncClient, token: str, otp: str) -> httpx.Response:
    return await anonymous.post("/api/v1/auth/mfa/recovery-codes", json={"otp": otp}, headers=bearer(token))


async def test_wrong_enrolment_codes_lock_the_account_and_the_right_code_is_then_refused(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    token = await user_session(client, anonymous, "alice", "viewer")
    secret = await start_enrolment(anonymous, token)
    for _ in range(PER_ACCOUNT):
        assert (await verify(anonymous, token, wrong_code(secret))).status_code == 422

    locked = await verify(anonymous, token, current_code(secret))

    assert locked.status_code == 429
    assert locked.headers["retry-after"] == str(int(LOCKOUT))
    assert "too many failed logins" in locked.json()["detail"]
    assert (await login(anonymous, "alice")).status_code == 429  # the same count as logins
    me = await anonymous.get("/api/v1/auth/me", headers=bearer(token))
    assert me.status_code == 200 and me.json()["mfa_enabled"] is False  # the right code was not heard
    assert f"security event: login lockout for account 'alice' after 5 failed logins, for {LOCKOUT:g} s" in caplog.text

    async def enrols() -> bool:
        return (await verify(anonymous, token, current_code(secret))).status_code == 200

    assert await eventually(enrols, within=LOCKOUT + 5, every=0.2)  # once the lockout is over


async def test_forty_wrong_recovery_code_requests_then_the_right_code_is_refused(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    token, secret = await enrolled_user(client, anonymous, "alice")
    statuses = [(await regenerate(anonymous, token, wrong_code(secret))).status_code for _ in range(40)]

    assert statuses[:PER_ACCOUNT] == [422] * PER_ACCOUNT
    assert set(statuses[PER_ACCOUNT:]) == {429}
    right = next_code(secret)  # unspent: a valid code
    locked = await regenerate(anonymous, token, right)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1
    assert (await login(anonymous, "alice", otp=right)).status_code == 429

    async def replaced() -> bool:
        return (await regenerate(anonymous, token, right)).status_code == 200

    assert await eventually(replaced, within=LOCKOUT + 5, every=0.2)  # the same code, heard after the lockout


async def test_a_right_code_does_not_clear_the_failures(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    token, secret = await enrolled_user(client, anonymous, "alice")
    for _ in range(PER_ACCOUNT - 1):
        assert (await regenerate(anonymous, token, wrong_code(secret))).status_code == 422
    assert (await regenerate(anonymous, token, next_code(secret))).status_code == 200

    # One more wrong code makes five since the last successful login: locked.
    assert (await regenerate(anonymous, token, wrong_code(secret))).status_code == 422
    assert (await regenerate(anonymous, token, wrong_code(secret))).status_code == 429
    assert (await login(anonymous, "alice", otp=current_code(secret))).status_code == 429


async def test_wrong_codes_and_failed_logins_add_up(client: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> None:
    token, secret = await enrolled_user(client, anonymous, "alice")
    for _ in range(3):
        assert (await login(anonymous, "alice", "not the password at all")).status_code == 401
    for _ in range(2):
        assert (await regenerate(anonymous, token, wrong_code(secret))).status_code == 422

    assert (await regenerate(anonymous, token, next_code(secret))).status_code == 429


async def test_wrong_codes_count_against_the_client_address(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    alice, alice_secret = await enrolled_user(client, anonymous, "alice")
    bob, bob_secret = await enrolled_user(client, anonymous, "bob")
    for _ in range(PER_ADDRESS // 2):
        assert (await regenerate(anonymous, alice, wrong_code(alice_secret))).status_code == 422
        assert (await regenerate(anonymous, bob, wrong_code(bob_secret))).status_code == 422

    # Neither account has reached its limit; the address has.
    assert (await regenerate(anonymous, bob, next_code(bob_secret))).status_code == 429
    assert (await verify(anonymous, alice, current_code(alice_secret))).status_code == 429


async def test_requests_that_carry_no_guess_are_not_counted(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    token = await user_session(client, anonymous, "alice", "viewer")
    for _ in range(PER_ACCOUNT + 1):
        # No enrolment started, MFA not enrolled: refused before any code is looked at.
        assert (await verify(anonymous, token, WRONG)).status_code == 422
        assert (await regenerate(anonymous, token, WRONG)).status_code == 422

    assert (await login(anonymous, "alice")).status_code == 200
    assert await session_token(anonymous, "alice")
