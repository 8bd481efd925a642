"""Failed logins are throttled through the real app: 429 with Retry-After, even with the right password,
then the real user gets in once the (test-short) lockout is over. Audited and logged as security events."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.support.accounts import PASSWORD, create_user, login
from tests.support.api_fixtures import ADMIN_TOKEN, ScriptedLink
from tests.support.waiting import eventually
from tests.support.wiring import wired_services
from voltline.areas.access.api_access import ApiAccessService
from voltline.kernel.services import ServiceRegistry
from voltline.storage.sql.storage import SqlStorage

LOCKOUT = 1.0


@pytest.fixture
async def services(api_storage: SqlStorage, link: ScriptedLink) -> ServiceRegistry:
    services = wired_services(
        api_storage,
        link,
        heartbeat_interval=60,
        login_failures_per_account=5,
        login_failures_per_address=8,
        login_failure_window=900.0,
        login_lockout=LOCKOUT,
    )
    await services[ApiAccessService].ensure_admin_token(ADMIN_TOKEN)
    return services


async def test_an_account_is_locked_after_repeated_failures_then_the_real_user_gets_in(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    await create_user(client, "alice", "operator")
    for _ in range(5):
        assert (await login(anonymous, "alice", "guess-1234-5678")).status_code == 401

    locked = await login(anonymous, "alice")

    assert locked.status_code == 429
    assert locked.headers["retry-after"] == "1"
    assert "too many failed logins" in locked.json()["detail"]

    async def gets_in() -> bool:
        return (await login(anonymous, "alice")).status_code == 200

    assert await eventually(gets_in, within=LOCKOUT + 5, every=0.2)
    security = [r.getMessage() for r in caplog.records if r.getMessage().startswith("security event")]
    assert security == [
        "security event: login lockout for account 'alice' after 5 failed logins, for 1 s",
        "security event: login lockout ended for account 'alice'",
    ]
    assert "guess-1234-5678" not in caplog.text
    lockouts = (await client.get("/api/v1/audit", params={"action": "security"})).json()
    assert [(e["action"], e["target"]) for e in lockouts] == [
        ("security login lockout ended", "account:alice"),
        ("security login lockout", "account:alice"),
    ]
    refused = (await client.get("/api/v1/audit", params={"action": "auth/login", "target": "account:alice"})).json()
    assert refused and {e["result"] for e in refused} == {"429"}


async def test_the_end_of_a_lockout_is_recorded_when_it_comes_without_another_attempt(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    await create_user(client, "alice", "operator")
    for _ in range(5):
        assert (await login(anonymous, "alice", "guess-1234-5678")).status_code == 401

    async def ended() -> bool:
        entries = (await client.get("/api/v1/audit", params={"action": "security"})).json()
        return any(e["action"] == "security login lockout ended" for e in entries)

    assert not await ended()
    assert await eventually(ended, within=LOCKOUT + 3, every=0.1)  # nobody tried to log in meanwhile


async def test_an_address_is_locked_after_failures_across_accounts(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    await create_user(client, "alice", "operator")
    for n in range(8):
        assert (await login(anonymous, f"nobody{n}", PASSWORD)).status_code == 401

    locked = await login(anonymous, "alice")

    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) >= 1

    async def gets_in() -> bool:
        return (await login(anonymous, "alice")).status_code == 200

    assert await eventually(gets_in, within=LOCKOUT + 5, every=0.2)
