"""Logins, sessions and user management through the real app."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.support.accounts import PASSWORD, bearer, create_user, login, session_token, user_session
from tests.support.api_fixtures import ADMIN_TOKEN


async def test_login_needs_no_credentials_and_returns_a_bearer_session(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    await create_user(client, "Alice", "operator")

    response = await login(anonymous, "ALICE")

    assert response.status_code == 200
    body = response.json()
    assert body["token"].startswith("vls_") and body["token_type"] == "bearer"
    assert body["user"] == {
        "kind": "user",
        "id": body["user"]["id"],
        "name": "alice",
        "role": "operator",
        "mfa_enabled": False,
        "mfa_required": False,
        "mfa_enrolment_required": False,
        "session_expires_at": body["expires_at"],
    }
    assert "set-cookie" not in response.headers  # bearer only: no cookie, so no CSRF
    me = await anonymous.get("/api/v1/auth/me", headers=bearer(body["token"]))
    assert me.status_code == 200 and me.json()["name"] == "alice"


async def test_a_session_lasts_about_eight_hours_by_default(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    from datetime import UTC, datetime

    await create_user(client, "alice", "viewer")
    expires = datetime.fromisoformat((await login(anonymous, "alice")).json()["expires_at"])
    hours = (expires - datetime.now(UTC)).total_seconds() / 3600
    assert 7.9 < hours <= 8.0


async def test_logout_ends_the_session_at_once(client: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> None:
    token = await user_session(client, anonymous, "alice", "viewer")

    assert (await anonymous.post("/api/v1/auth/logout", headers=bearer(token))).status_code == 204

    after = await anonymous.get("/api/v1/stations", headers=bearer(token))
    assert after.status_code == 401
    assert after.headers["www-authenticate"] == "Bearer"


async def test_an_api_key_has_no_session_to_log_out(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/logout")
    assert response.status_code == 403
    assert "revoke" in response.json()["detail"]
    me = await client.get("/api/v1/auth/me")
    assert me.json()["kind"] == "api_key" and me.json()["role"] == "admin"


@pytest.mark.parametrize(
    "body",
    [
        {"username": "alice", "password": "wrong password"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "alice", "password": PASSWORD.upper()},
    ],
)
async def test_wrong_credentials_are_refused_with_one_message(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, body: dict[str, str]
) -> None:
    await create_user(client, "alice", "operator")
    response = await anonymous.post("/api/v1/auth/login", json=body)
    assert response.status_code == 401
    assert response.json()["detail"] == "wrong user name or password"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "alice"},
        {"username": "alice", "password": PASSWORD, "remember": True},
        {"username": "", "password": "x"},
    ],
)
async def test_malformed_logins_are_422(anonymous: httpx.AsyncClient, body: dict[str, object]) -> None:
    assert (await anonymous.post("/api/v1/auth/login", json=body)).status_code == 422


async def test_passwords_and_tokens_never_reach_the_log_or_a_response(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    created = await client.post("/api/v1/users", json={"username": "alice", "password": PASSWORD, "role": "viewer"})
    token = await session_token(anonymous, "alice")
    await login(anonymous, "alice", "a wrong guess 123")
    await anonymous.get("/api/v1/stations", headers=bearer(token))
    listed = await client.get("/api/v1/users")
    for text in (caplog.text, created.text, listed.text):
        assert PASSWORD not in text
        assert "a wrong guess 123" not in text
        assert token not in text
    assert "argon2" not in created.text + listed.text  # not even the hash


async def test_admins_create_list_view_change_and_remove_users(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    user_id = await create_user(client, "otto", "viewer")
    [listed] = (await client.get("/api/v1/users")).json()
    assert listed["username"] == "otto" and listed["role"] == "viewer"
    assert listed["created_by"] == "key:admin (VOLTLINE_ADMIN_TOKEN)"
    assert (await client.get(f"/api/v1/users/{user_id}")).json() == listed

    promoted = await client.patch(f"/api/v1/users/{user_id}", json={"role": "operator"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "operator"
    token = await session_token(anonymous, "otto")
    assert (await client.patch(f"/api/v1/users/{user_id}", json={"disabled": True})).json()["disabled"] is True
    assert (await anonymous.get("/api/v1/stations", headers=bearer(token))).status_code == 401
    assert (await login(anonymous, "otto")).json()["detail"] == "this account is disabled"

    reenabled = await client.patch(
        f"/api/v1/users/{user_id}", json={"disabled": False, "password": "a new passphrase!"}
    )
    assert reenabled.status_code == 200
    assert (await login(anonymous, "otto")).status_code == 401
    assert (await login(anonymous, "otto", "a new passphrase!")).status_code == 200

    assert (await client.delete(f"/api/v1/users/{user_id}")).status_code == 204
    assert (await client.get(f"/api/v1/users/{user_id}")).status_code == 404
    assert (await client.delete(f"/api/v1/users/{user_id}")).status_code == 404
    assert (await client.get("/api/v1/users")).json() == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"username": "otto", "password": "tiny-pw", "role": "viewer"}, 422),
        ({"username": "ot to", "password": PASSWORD, "role": "viewer"}, 422),
        ({"username": "otto", "password": PASSWORD, "role": "superuser"}, 422),
        ({"username": "otto", "password": PASSWORD, "role": "viewer", "mfa": False}, 422),
        ({"username": "OTTO", "password": PASSWORD, "role": "viewer"}, 409),
    ],
)
async def test_bad_user_requests_get_a_clear_4xx(client: httpx.AsyncClient, body: dict[str, str], status: int) -> None:
    await create_user(client, "otto", "viewer")
    response = await client.post("/api/v1/users", json=body)
    assert response.status_code == status
    assert response.json()["detail"]
    assert PASSWORD not in response.text and "tiny-pw" not in response.text


async def test_unknown_or_out_of_range_user_ids(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/users/999")).status_code == 404
    assert (await client.patch("/api/v1/users/999", json={"role": "viewer"})).status_code == 404
    # No user can have these ids: not found, as any other, with the rule said
    for out_of_range in (0, 2**40):
        response = await client.get(f"/api/v1/users/{out_of_range}")
        assert response.status_code == 404
        assert response.json()["detail"] == f"no user with id {out_of_range}: a user id is 1 to 2147483647"


async def test_admin_tokens_from_the_bootstrap_still_work(client: httpx.AsyncClient) -> None:
    me = await client.get("/api/v1/auth/me")
    assert me.json()["name"] == "admin (VOLTLINE_ADMIN_TOKEN)"
    assert ADMIN_TOKEN not in me.text
