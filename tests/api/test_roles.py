"""Roles on every /api/v1 route: viewers read, operators also act, admins also manage access."""

from __future__ import annotations

import re

import httpx

from tests.support.accounts import (
    PASSWORD,
    bearer,
    create_user,
    current_code,
    enrolled_admin,
    session_token,
    user_session,
)
from tests.support.api_builders import station_body, token_body
from tests.support.api_fixtures import ScriptedLink

SELF_SERVICE = {"/api/v1/auth/logout", "/api/v1/auth/mfa/enroll", "/api/v1/auth/mfa/verify"}
SELF_SERVICE |= {"/api/v1/auth/mfa/recovery-codes", "/api/v1/auth/login"}
ADMIN_ONLY = ("/api/v1/users", "/api/v1/api-keys", "/api/v1/audit")


async def operations(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    """Every /api/v1 operation, path parameters filled with a sample value."""
    found: list[tuple[str, str]] = []
    for path, item in (await client.get("/openapi.json")).json()["paths"].items():
        if path.startswith("/api/v1"):
            found.extend((method.upper(), path) for method in item)
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


async def test_a_viewer_can_change_nothing_anywhere(client: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> None:
    viewer = bearer(await user_session(client, anonymous, "vera", "viewer"))
    writes = [(m, p) for m, p in await operations(anonymous) if m not in ("GET", "HEAD") and p not in SELF_SERVICE]
    assert len(writes) >= 15
    for method, path in writes:
        response = await anonymous.request(method, concrete(path), json={}, headers=viewer)
        assert response.status_code == 403, (method, path, response.text)
        assert "viewer role may not" in response.json()["detail"]


async def test_a_viewer_reads_but_cannot_register_a_station_add_a_token_or_start_a_charge(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, link: ScriptedLink
) -> None:
    assert (await client.put("/api/v1/stations/CP-1", json=station_body())).status_code == 201
    viewer = bearer(await user_session(client, anonymous, "vera", "viewer"))
    link.online.add("CP-1")

    refused = [
        await anonymous.put("/api/v1/stations/CP-1", json=station_body(description="changed"), headers=viewer),
        await anonymous.post("/api/v1/id-tokens", json=token_body(), headers=viewer),
        await anonymous.post("/api/v1/stations/CP-1/remote-start", json={"id_token": "TOKEN-A"}, headers=viewer),
        await anonymous.delete("/api/v1/stations/CP-1", headers=viewer),
    ]

    assert [r.status_code for r in refused] == [403, 403, 403, 403]
    assert "needs the operator role" in refused[0].json()["detail"]
    assert link.sent == []
    station = await anonymous.get("/api/v1/stations/CP-1", headers=viewer)
    assert station.status_code == 200 and station.json()["description"] == "Car park level 2"
    assert (await anonymous.get("/api/v1/stations", headers=viewer)).status_code == 200
    assert (await anonymous.get("/api/v1/id-tokens", headers=viewer)).json() == []
    assert (await anonymous.get("/api/v1/transactions", headers=viewer)).status_code == 200


async def test_a_viewer_api_key_is_a_viewer_too(client: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> None:
    created = await client.post("/api/v1/api-keys", json={"name": "dashboard", "role": "viewer"})
    key = bearer(created.json()["token"])
    assert (await anonymous.get("/api/v1/stations", headers=key)).status_code == 200
    assert (await anonymous.post("/api/v1/id-tokens", json=token_body(), headers=key)).status_code == 403


async def test_an_operator_acts_on_stations_and_tokens_but_cannot_manage_access(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, link: ScriptedLink
) -> None:
    operator = bearer(await user_session(client, anonymous, "otto", "operator"))
    link.online.add("CP-1")

    assert (await anonymous.put("/api/v1/stations/CP-1", json=station_body(), headers=operator)).status_code == 201
    assert (await anonymous.post("/api/v1/id-tokens", json=token_body(), headers=operator)).status_code == 201
    started = await anonymous.post(
        "/api/v1/stations/CP-1/remote-start", json={"id_token": token_body()["id_token"]}, headers=operator
    )
    assert started.status_code == 200
    assert len(link.sent) == 1

    for method, path in await operations(anonymous):
        if path.startswith(ADMIN_ONLY):
            response = await anonymous.request(method, concrete(path), json={}, headers=operator)
            assert response.status_code == 403, (method, path)
            assert "needs the admin role" in response.json()["detail"]


async def test_an_admin_without_mfa_is_made_to_enrol_first(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    await create_user(client, "root", "admin")
    login = await anonymous.post("/api/v1/auth/login", json={"username": "root", "password": PASSWORD})
    assert login.status_code == 200
    assert login.json()["user"]["mfa_enrolment_required"] is True
    restricted = bearer(login.json()["token"])

    for method, path in [("GET", "/api/v1/stations"), ("GET", "/api/v1/users"), ("POST", "/api/v1/id-tokens")]:
        response = await anonymous.request(method, path, json=token_body(), headers=restricted)
        assert response.status_code == 403, (method, path)
        assert "MFA enrolment is required" in response.json()["detail"]
    me = await anonymous.get("/api/v1/auth/me", headers=restricted)
    assert me.status_code == 200 and me.json()["mfa_enrolment_required"] is True

    enrolment = await anonymous.post("/api/v1/auth/mfa/enroll", headers=restricted)
    code = current_code(enrolment.json()["secret"])
    assert (await anonymous.post("/api/v1/auth/mfa/verify", json={"otp": code}, headers=restricted)).status_code == 200

    # The same session may do everything now: the second factor was just proven.
    assert (await anonymous.get("/api/v1/users", headers=restricted)).status_code == 200
    assert (await anonymous.get("/api/v1/auth/me", headers=restricted)).json()["mfa_enrolment_required"] is False


async def test_an_enrolled_admin_manages_users(client: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> None:
    token, _ = await enrolled_admin(client, anonymous, "root")
    admin = bearer(token)
    created = await anonymous.post(
        "/api/v1/users",
        json={"username": "otto", "password": "another long passphrase", "role": "operator"},
        headers=admin,
    )
    assert created.status_code == 201
    assert created.json()["created_by"] == "user:root"
    assert (await anonymous.get("/api/v1/audit", headers=admin)).status_code == 200
    assert await session_token(anonymous, "otto", "another long passphrase")
