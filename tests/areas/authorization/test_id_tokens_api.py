"""/api/v1/id-tokens: the token registry, and that its changes decide authorization."""

from __future__ import annotations

import httpx
import pytest

from tests.support.api_builders import token_body
from voltline.areas.authorization.model import AuthorizationStatus
from voltline.areas.authorization.service import AuthorizationService
from voltline.kernel.services import ServiceRegistry


async def test_post_creates_a_token_with_defaults(client: httpx.AsyncClient, services: ServiceRegistry) -> None:
    response = await client.post("/api/v1/id-tokens", json={"id_token": "CARD-1"})
    assert response.status_code == 201
    token = response.json()
    assert token["id_token"] == "CARD-1"
    assert token["type"] == "ISO14443"
    assert token["status"] == "Accepted"
    assert token["expiry"] is None
    assert token["group_id"] is None
    assert token["created_at"] is not None
    assert (await services[AuthorizationService].authorize("CARD-1")).status is AuthorizationStatus.ACCEPTED


async def test_get_returns_what_was_posted(client: httpx.AsyncClient) -> None:
    body = token_body(type="eMAID", status="Blocked", expiry="2030-01-01T00:00:00+01:00", group_id="FLEET-7")
    created = (await client.post("/api/v1/id-tokens", json=body)).json()
    fetched = await client.get(f"/api/v1/id-tokens/{body['id_token']}")
    assert fetched.status_code == 200
    assert fetched.json() == created
    assert fetched.json()["type"] == "eMAID"
    assert fetched.json()["status"] == "Blocked"
    assert fetched.json()["group_id"] == "FLEET-7"
    assert fetched.json()["expiry"] == "2029-12-31T23:00:00Z"


async def test_an_expiry_without_offset_is_read_as_utc(client: httpx.AsyncClient) -> None:
    body = token_body(expiry="2030-06-01T12:00:00")
    assert (await client.post("/api/v1/id-tokens", json=body)).json()["expiry"] == "2030-06-01T12:00:00Z"


async def test_a_past_expiry_makes_an_accepted_token_expired(
    client: httpx.AsyncClient, services: ServiceRegistry
) -> None:
    await client.post("/api/v1/id-tokens", json=token_body(id_token="OLD", expiry="2001-01-01T00:00:00Z"))
    assert (await services[AuthorizationService].authorize("OLD")).status is AuthorizationStatus.EXPIRED


async def test_a_duplicate_is_409_and_keeps_the_original(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/id-tokens", json=token_body(id_token="CARD-1", group_id="A"))
    response = await client.post("/api/v1/id-tokens", json=token_body(id_token="CARD-1", group_id="B"))
    assert response.status_code == 409
    assert "CARD-1" in response.json()["detail"]
    assert (await client.get("/api/v1/id-tokens/CARD-1")).json()["group_id"] == "A"


async def test_list_pages_with_limit_and_offset(client: httpx.AsyncClient) -> None:
    for n in range(5):
        await client.post("/api/v1/id-tokens", json=token_body(id_token=f"CARD-{n}"))
    everything = (await client.get("/api/v1/id-tokens")).json()
    assert sorted(t["id_token"] for t in everything) == [f"CARD-{n}" for n in range(5)]
    first = (await client.get("/api/v1/id-tokens", params={"limit": 2})).json()
    rest = (await client.get("/api/v1/id-tokens", params={"limit": 10, "offset": 2})).json()
    assert len(first) == 2
    assert len(rest) == 3
    assert {t["id_token"] for t in first + rest} == {t["id_token"] for t in everything}


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "ten"}])
async def test_bad_paging_is_422(client: httpx.AsyncClient, params: dict[str, str | int]) -> None:
    response = await client.get("/api/v1/id-tokens", params=params)
    assert response.status_code == 422
    assert response.json()["detail"]


async def test_patch_changes_only_the_given_fields(client: httpx.AsyncClient, services: ServiceRegistry) -> None:
    created = (await client.post("/api/v1/id-tokens", json=token_body(id_token="CARD-1", group_id="G"))).json()
    response = await client.patch("/api/v1/id-tokens/CARD-1", json={"status": "Blocked"})
    assert response.status_code == 200
    patched = response.json()
    assert patched["status"] == "Blocked"
    assert patched["group_id"] == "G"
    assert patched["type"] == created["type"]
    assert patched["created_at"] == created["created_at"]
    assert patched["updated_at"] >= created["updated_at"]
    assert (await services[AuthorizationService].authorize("CARD-1")).status is AuthorizationStatus.BLOCKED


async def test_patch_with_null_clears_expiry_and_group(client: httpx.AsyncClient) -> None:
    body = token_body(id_token="CARD-1", group_id="G", expiry="2030-01-01T00:00:00Z")
    await client.post("/api/v1/id-tokens", json=body)
    patched = (await client.patch("/api/v1/id-tokens/CARD-1", json={"expiry": None, "group_id": None})).json()
    assert patched["expiry"] is None
    assert patched["group_id"] is None
    assert (await client.get("/api/v1/id-tokens/CARD-1")).json()["expiry"] is None


async def test_an_empty_patch_changes_nothing(client: httpx.AsyncClient) -> None:
    created = (await client.post("/api/v1/id-tokens", json=token_body(id_token="CARD-1"))).json()
    response = await client.patch("/api/v1/id-tokens/CARD-1", json={})
    assert response.status_code == 200
    assert response.json() == created


@pytest.mark.parametrize(
    "body",
    [{"status": None}, {"type": None}, {"status": "Maybe"}, {"type": "Barcode"}, {"id_token": "RENAMED"}, []],
)
async def test_invalid_patches_are_422(client: httpx.AsyncClient, body: object) -> None:
    await client.post("/api/v1/id-tokens", json=token_body(id_token="CARD-1"))
    response = await client.patch("/api/v1/id-tokens/CARD-1", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]
    assert (await client.get("/api/v1/id-tokens/CARD-1")).json()["status"] == "Accepted"


async def test_unknown_tokens_are_404(client: httpx.AsyncClient) -> None:
    for method, body in (("GET", None), ("PATCH", {"status": "Blocked"}), ("DELETE", None)):
        response = await client.request(method, "/api/v1/id-tokens/NOPE", json=body)
        assert response.status_code == 404, method
        assert "NOPE" in response.json()["detail"]


async def test_delete_removes_the_token(client: httpx.AsyncClient, services: ServiceRegistry) -> None:
    await client.post("/api/v1/id-tokens", json=token_body(id_token="CARD-1"))
    response = await client.delete("/api/v1/id-tokens/CARD-1")
    assert response.status_code == 204
    assert (await client.get("/api/v1/id-tokens/CARD-1")).status_code == 404
    assert (await services[AuthorizationService].authorize("CARD-1")).status is AuthorizationStatus.INVALID


async def test_a_36_character_token_is_the_longest(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/v1/id-tokens", json=token_body(id_token="T" * 36))).status_code == 201
    assert (await client.get(f"/api/v1/id-tokens/{'T' * 36}")).status_code == 200
    assert (await client.post("/api/v1/id-tokens", json=token_body(id_token="T" * 37))).status_code == 422
    assert (await client.get(f"/api/v1/id-tokens/{'T' * 37}")).status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"id_token": ""},
        {"id_token": 12345},
        {"id_token": "CARD\u0000NUL"},
        {"id_token": "CARD-1", "type": "Barcode"},
        {"id_token": "CARD-1", "status": "Maybe"},
        {"id_token": "CARD-1", "expiry": "tomorrow"},
        {"id_token": "CARD-1", "group_id": "G" * 37},
        {"id_token": "CARD-1", "colour": "blue"},
    ],
)
async def test_invalid_tokens_are_422_and_not_stored(client: httpx.AsyncClient, body: dict[str, object]) -> None:
    response = await client.post("/api/v1/id-tokens", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]
    assert (await client.get("/api/v1/id-tokens")).json() == []
