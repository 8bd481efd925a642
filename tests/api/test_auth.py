"""Everything under /api/v1 needs a valid bearer token; the documentation and health check do not."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.support.api_fixtures import ADMIN_TOKEN

SAMPLE_PATH_VALUES = {
    "{station_id}": "CP-1",
    "{id_token}": "TOKEN-A",
    "{transaction_id}": "1",
    "{action}": "Reset",
    "{user}": "1",
    "{key_id}": "1",
    "{message_id}": "1",
    "{template_id}": "1",
    "{profile_id}": "1",
    "{site_id}": "depot-1",
    "{event_id}": "1",
    "{plan_id}": "1",
    "{adapter}": "json",
}


PUBLIC = {("post", "/api/v1/auth/login")}


async def protected_endpoints(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    """Every /api/v1 operation, from the OpenAPI document (which FastAPI builds from the routes)."""
    endpoints: list[tuple[str, str]] = []
    for path, item in (await client.get("/openapi.json")).json()["paths"].items():
        if path.startswith("/api/v1"):
            for placeholder, value in SAMPLE_PATH_VALUES.items():
                path = path.replace(placeholder, value)
            assert "{" not in path, f"add a sample value for {path}"
            endpoints.extend((method.upper(), path) for method in item if (method, path) not in PUBLIC)
    return endpoints


async def test_every_api_endpoint_refuses_requests_without_a_token(anonymous: httpx.AsyncClient) -> None:
    endpoints = await protected_endpoints(anonymous)
    assert len(endpoints) >= 13  # stations 4, commands 3, id tokens 5, transactions 2
    for method, path in endpoints:
        response = await anonymous.request(method, path, json={})
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == "Bearer"
        assert "bearer" in response.json()["detail"].lower()


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer wrong-token",
        f"Bearer {ADMIN_TOKEN}x",
        f"Basic {ADMIN_TOKEN}",
        ADMIN_TOKEN,
        "Bearer ",
        "Bearer " + "x" * 10_000,
    ],
)
async def test_a_wrong_or_malformed_token_is_refused(anonymous: httpx.AsyncClient, authorization: str) -> None:
    response = await anonymous.get("/api/v1/stations", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"]


async def test_a_known_token_is_accepted_whatever_the_case_of_the_scheme(
    anonymous: httpx.AsyncClient,
) -> None:
    for scheme in ("Bearer", "bearer"):
        response = await anonymous.get("/api/v1/stations", headers={"Authorization": f"{scheme} {ADMIN_TOKEN}"})
        assert response.status_code == 200
        assert response.json()["items"] == []


async def test_health_and_documentation_are_public(anonymous: httpx.AsyncClient) -> None:
    health = await anonymous.get("/health")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert (await anonymous.get("/openapi.json")).json()["info"]["title"] == "Voltline API"
    docs = await anonymous.get("/docs")
    assert docs.status_code == 200
    assert "/openapi.json" in docs.text


async def test_tokens_never_reach_the_log(anonymous: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await anonymous.get("/api/v1/stations", headers={"Authorization": "Bearer secret-guess-123"})
    await anonymous.get("/api/v1/stations", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert "secret-guess-123" not in caplog.text
    assert ADMIN_TOKEN not in caplog.text
