"""The bootstrap admin token through the real app: a break-glass credential (no MFA) that an admin revokes
once a real admin exists (never before), which then gets 401, is not re-created at the next start, and is
warned about at start-up while it is still active after one exists."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.support.accounts import bearer, create_user, enrolled_admin
from tests.support.api_fixtures import ADMIN_TOKEN
from voltline.areas.access.api_access import ApiAccessService
from voltline.kernel.services import ServiceRegistry

REFUSED = "cannot be revoked while no enabled admin user with MFA exists"


async def bootstrap_key_id(client: httpx.AsyncClient) -> int:
    [key] = [key for key in (await client.get("/api/v1/api-keys")).json() if key["bootstrap"]]
    key_id: int = key["id"]
    return key_id


async def test_revoking_is_refused_while_no_real_admin_exists(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    await create_user(client, "newbie", "admin")  # has not logged in and enrolled MFA yet
    await create_user(client, "otto", "operator")
    key_id = await bootstrap_key_id(client)

    refused = await client.delete("/api/v1/api-keys/bootstrap")
    by_id = await client.delete(f"/api/v1/api-keys/{key_id}")  # no way round the rule

    assert refused.status_code == 409 and REFUSED in refused.json()["detail"]
    assert by_id.status_code == 409 and REFUSED in by_id.json()["detail"]
    assert (await client.get("/api/v1/auth/me")).status_code == 200  # still works


async def test_a_disabled_admin_does_not_count(client: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> None:
    await enrolled_admin(client, anonymous, "root")
    assert (await client.patch("/api/v1/users/root", json={"disabled": True})).status_code == 200

    assert (await client.delete("/api/v1/api-keys/bootstrap")).status_code == 409


async def test_an_admin_revokes_it_once_one_exists_and_it_gets_401(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    admin, _ = await enrolled_admin(client, anonymous, "root")

    revoked = await anonymous.delete("/api/v1/api-keys/bootstrap", headers=bearer(admin))

    assert revoked.status_code == 200, revoked.text
    [key] = revoked.json()
    assert key["name"] == "admin (VOLTLINE_ADMIN_TOKEN)" and key["bootstrap"] and key["revoked"]
    assert ADMIN_TOKEN not in revoked.text
    assert (await client.get("/api/v1/auth/me")).status_code == 401
    # Revoked already: nothing more to do.
    again = await anonymous.delete("/api/v1/api-keys/bootstrap", headers=bearer(admin))
    assert again.status_code == 200 and again.json() == []
    audit = await anonymous.get("/api/v1/audit", params={"target": "api-key:bootstrap"}, headers=bearer(admin))
    entries = audit.json()
    assert [(e["actor"], e["action"], e["result"]) for e in entries][-1] == (
        "user:root",
        "DELETE /api/v1/api-keys/bootstrap",
        "200",
    )


async def test_the_token_may_revoke_itself_once_a_real_admin_exists(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    await enrolled_admin(client, anonymous, "root")

    assert (await client.delete("/api/v1/api-keys/bootstrap")).status_code == 200

    assert (await client.get("/api/v1/users")).status_code == 401


async def test_the_bootstrap_names_are_reserved(client: httpx.AsyncClient) -> None:
    for name in ("admin (VOLTLINE_ADMIN_TOKEN)", "admin (generated)"):
        response = await client.post("/api/v1/api-keys", json={"name": name, "role": "admin"})
        assert response.status_code == 409 and "bootstrap" in response.json()["detail"]


async def test_revoked_it_is_not_re_created_at_the_next_start(
    services: ServiceRegistry,
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await enrolled_admin(client, anonymous, "root")
    assert (await client.delete("/api/v1/api-keys/bootstrap")).status_code == 200
    caplog.set_level(logging.WARNING)

    # What start-up does with VOLTLINE_ADMIN_TOKEN still set, then with another value set.
    assert await services[ApiAccessService].ensure_admin_token(ADMIN_TOKEN) is None
    assert await services[ApiAccessService].ensure_admin_token("vl_another-admin-token-0123456789") is None
    assert await services[ApiAccessService].ensure_admin_token(None) is None

    assert (await client.get("/api/v1/auth/me")).status_code == 401
    other = await anonymous.get("/api/v1/auth/me", headers=bearer("vl_another-admin-token-0123456789"))
    assert other.status_code == 401
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("VOLTLINE_ADMIN_TOKEN was revoked and stays revoked" in m for m in messages)
    assert any("the bootstrap admin token was revoked: it is not re-created" in m for m in messages)
    assert ADMIN_TOKEN not in caplog.text and "vl_another" not in caplog.text


async def test_start_up_warns_while_it_is_active_after_a_real_admin_exists(
    services: ServiceRegistry,
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    await services[ApiAccessService].ensure_admin_token(ADMIN_TOKEN)
    assert not [r for r in caplog.records if "bootstrap admin token is still active" in r.getMessage()]

    await enrolled_admin(client, anonymous, "root")
    await services[ApiAccessService].ensure_admin_token(ADMIN_TOKEN)  # the next start

    [warning] = [r for r in caplog.records if "bootstrap admin token is still active" in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert "1 admin user(s) with MFA exist (root)" in warning.getMessage()
    assert "DELETE /api/v1/api-keys/bootstrap" in warning.getMessage()
    assert ADMIN_TOKEN not in caplog.text
