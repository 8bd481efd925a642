"""Through the real app: an admin unlocks a user locked out after failed logins (POST /users/{user}/unlock,
or a new password), audited; users are addressed by id or by name."""

from __future__ import annotations

import httpx
import pytest

from tests.support.accounts import PASSWORD, bearer, create_user, enrolled_admin, login
from tests.support.api_fixtures import ADMIN_TOKEN, ScriptedLink
from tests.support.wiring import wired_services
from voltline.areas.access.api_access import ApiAccessService
from voltline.kernel.services import ServiceRegistry
from voltline.storage.sql.storage import SqlStorage

WRONG = "a wrong guess 1234"


@pytest.fixture
async def services(api_storage: SqlStorage, link: ScriptedLink) -> ServiceRegistry:
    # A lockout far longer than any test: only an unlock can end it here.
    services = wired_services(
        api_storage,
        link,
        heartbeat_interval=60,
        login_failures_per_account=5,
        login_failures_per_address=8,
        login_lockout=900.0,
    )
    await services[ApiAccessService].ensure_admin_token(ADMIN_TOKEN)
    return services


async def lock_out(anonymous: httpx.AsyncClient, username: str) -> None:
    for _ in range(5):
        assert (await login(anonymous, username, WRONG)).status_code == 401
    assert (await login(anonymous, username)).status_code == 429  # even with the right password


@pytest.mark.parametrize("by", ["name", "id"])
async def test_lockout_then_an_admins_unlock_then_the_user_logs_in(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, by: str
) -> None:
    user_id = await create_user(client, "alice", "operator")
    await lock_out(anonymous, "alice")

    unlocked = await client.post(f"/api/v1/users/{'ALICE' if by == 'name' else user_id}/unlock")

    assert unlocked.status_code == 200, unlocked.text
    assert unlocked.json()["id"] == user_id and unlocked.json()["username"] == "alice"
    assert unlocked.json()["was_locked"] is True
    assert (await login(anonymous, "alice")).status_code == 200


async def test_an_unlock_is_audited_with_the_actor_next_to_the_lockout(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    admin, _ = await enrolled_admin(client, anonymous, "root")
    user_id = await create_user(client, "alice", "operator")
    await lock_out(anonymous, "alice")

    assert (await anonymous.post(f"/api/v1/users/{user_id}/unlock", headers=bearer(admin))).status_code == 200

    entries = (await client.get("/api/v1/audit", params={"target": "account:alice"})).json()
    unlock = next(e for e in entries if e["action"] == "POST /api/v1/users/{user}/unlock")
    assert unlock["actor"] == "user:root" and unlock["result"] == "200"
    assert unlock["summary"] == "unlock a user after failed logins"
    assert "security login lockout" in [e["action"] for e in entries]  # the lockout, under the same target


async def test_an_admins_new_password_ends_the_lockout_too(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    await create_user(client, "alice", "operator")
    await lock_out(anonymous, "alice")

    changed = await client.patch("/api/v1/users/alice", json={"password": "a brand new passphrase"})

    assert changed.status_code == 200
    assert (await login(anonymous, "alice", "a brand new passphrase")).status_code == 200


async def test_unlocking_an_account_leaves_a_locked_address_locked(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    await create_user(client, "alice", "operator")
    for n in range(8):
        assert (await login(anonymous, f"nobody{n}", PASSWORD)).status_code == 401

    unlocked = await client.post("/api/v1/users/alice/unlock")

    assert unlocked.status_code == 200 and unlocked.json()["was_locked"] is False
    assert (await login(anonymous, "alice")).status_code == 429


async def test_only_admins_unlock(client: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> None:
    await create_user(client, "alice", "operator")
    await create_user(client, "otto", "operator")
    token = (await login(anonymous, "otto")).json()["token"]

    assert (await anonymous.post("/api/v1/users/alice/unlock", headers=bearer(token))).status_code == 403


async def test_users_are_addressed_by_id_or_by_name(client: httpx.AsyncClient) -> None:
    user_id = await create_user(client, "otto", "viewer")

    by_id = (await client.get(f"/api/v1/users/{user_id}")).json()
    assert (await client.get("/api/v1/users/Otto")).json() == by_id
    assert (await client.patch("/api/v1/users/otto", json={"role": "operator"})).json()["role"] == "operator"
    assert (await client.get("/api/v1/users/nobody")).status_code == 404
    assert "no user named 'nobody'" in (await client.get("/api/v1/users/nobody")).json()["detail"]
    assert (await client.get("/api/v1/users/not%20a%20name")).status_code == 422
    assert (await client.delete("/api/v1/users/otto")).status_code == 204
    assert (await client.get(f"/api/v1/users/{user_id}")).status_code == 404


async def test_a_user_name_of_digits_only_is_refused_so_ids_stay_unambiguous(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/users", json={"username": "1234", "password": PASSWORD, "role": "viewer"})

    assert response.status_code == 422
    assert "all digits" in response.json()["detail"]


async def test_admins_still_cannot_remove_or_disable_themselves_by_name(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    admin, _ = await enrolled_admin(client, anonymous, "root")

    disabled = await anonymous.patch("/api/v1/users/root", json={"disabled": True}, headers=bearer(admin))
    assert disabled.status_code == 409
    assert (await anonymous.delete("/api/v1/users/ROOT", headers=bearer(admin))).status_code == 409
