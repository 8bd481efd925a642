"""API keys through the real app: shown once, listed without secrets, each with a role, revoked at once."""

from __future__ import annotations

import httpx

from tests.support.accounts import bearer


async def test_a_key_is_shown_once_and_listed_without_its_secret(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    created = await client.post("/api/v1/api-keys", json={"name": "billing-export", "role": "operator"})

    assert created.status_code == 201
    body = created.json()
    token = body["token"]
    assert token.startswith("vl_") and len(token) > 40
    assert body["role"] == "operator" and body["revoked"] is False
    assert body["created_by"] == "key:admin (VOLTLINE_ADMIN_TOKEN)"

    assert (await anonymous.get("/api/v1/stations", headers=bearer(token))).status_code == 200
    listed = await client.get("/api/v1/api-keys")
    assert listed.status_code == 200
    assert token not in listed.text
    keys = {key["name"]: key for key in listed.json()}
    assert set(keys) == {"admin (VOLTLINE_ADMIN_TOKEN)", "billing-export"}
    assert set(keys["billing-export"]) == {
        "id",
        "name",
        "role",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked",
        "revoked_at",
        "bootstrap",
    }
    assert keys["billing-export"]["last_used_at"] is not None
    assert keys["admin (VOLTLINE_ADMIN_TOKEN)"]["bootstrap"] is True and keys["billing-export"]["bootstrap"] is False


async def test_a_revoked_key_stops_working_on_the_very_next_request(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    created = (await client.post("/api/v1/api-keys", json={"name": "ci", "role": "admin"})).json()
    key = bearer(created["token"])
    assert (await anonymous.get("/api/v1/api-keys", headers=key)).status_code == 200

    assert (await client.delete(f"/api/v1/api-keys/{created['id']}")).status_code == 204

    refused = await anonymous.get("/api/v1/stations", headers=key)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    [listed] = [k for k in (await client.get("/api/v1/api-keys")).json() if k["id"] == created["id"]]
    assert listed["revoked"] is True and listed["revoked_at"] is not None
    assert (await client.delete(f"/api/v1/api-keys/{created['id']}")).status_code == 204  # no change
    # The name is free again once its key is revoked.
    assert (await client.post("/api/v1/api-keys", json={"name": "ci", "role": "viewer"})).status_code == 201


async def test_a_key_can_revoke_itself(client: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> None:
    created = (await client.post("/api/v1/api-keys", json={"name": "one-off", "role": "admin"})).json()
    key = bearer(created["token"])
    assert (await anonymous.delete(f"/api/v1/api-keys/{created['id']}", headers=key)).status_code == 204
    assert (await anonymous.get("/api/v1/auth/me", headers=key)).status_code == 401


async def test_bad_key_requests(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/api-keys", json={"name": "dup", "role": "viewer"})
    assert (await client.post("/api/v1/api-keys", json={"name": "dup", "role": "viewer"})).status_code == 409
    assert (await client.post("/api/v1/api-keys", json={"name": "x", "role": "root"})).status_code == 422
    assert (await client.post("/api/v1/api-keys", json={"name": "", "role": "viewer"})).status_code == 422
    assert (await client.post("/api/v1/api-keys", json={"name": "a\nb", "role": "viewer"})).status_code == 422
    assert (await client.delete("/api/v1/api-keys/999")).status_code == 404
    assert (await client.delete("/api/v1/api-keys/abc")).status_code == 422
