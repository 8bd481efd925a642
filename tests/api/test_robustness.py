"""Garbage in gets a 4xx with a JSON explanation, never a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.support.api_builders import token_body

WRITE_ENDPOINTS = [
    ("PUT", "/api/v1/stations/CP-1"),
    ("POST", "/api/v1/id-tokens"),
    ("PATCH", "/api/v1/id-tokens/CARD-1"),
    ("POST", "/api/v1/stations/CP-1/remote-start"),
    ("POST", "/api/v1/stations/CP-1/remote-stop"),
    ("POST", "/api/v1/stations/CP-1/ocpp/Reset"),
]

GARBAGE = [
    b"{",
    b"not json",
    b"",
    b"null",
    b"[]",
    b'"text"',
    b"12",
    b"\xff\xfe\x00",
    b'{"id_token": "\\ud800"}',
    b'{"a": ' * 200 + b"1" + b"}" * 200,
    b'{"security_profile": 1e999, "id_token": 1e400}',
    b'{"id_token": {"nested": [1, 2, 3]}, "registration": true}',
]


@pytest.mark.parametrize(("method", "path"), WRITE_ENDPOINTS)
async def test_garbage_bodies_are_refused_with_a_json_detail(client: httpx.AsyncClient, method: str, path: str) -> None:
    await client.post("/api/v1/id-tokens", json=token_body(id_token="CARD-1"))
    for body in GARBAGE:
        response = await client.request(method, path, content=body, headers={"Content-Type": "application/json"})
        assert 400 <= response.status_code < 500, (method, path, body[:30], response.status_code)
        assert response.json()["detail"], (method, path, body[:30])


async def test_a_body_that_is_not_json_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/id-tokens",
        content=b"id_token=CARD-1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415  # Unsupported Media Type: the body is not JSON
    assert response.json()["detail"] == "send the body as JSON (Content-Type: application/json)"
    assert (await client.get("/api/v1/id-tokens")).json() == []


async def test_unknown_routes_are_404_json(client: httpx.AsyncClient) -> None:
    for path in ("/api/v1/nothing", "/api/v2/stations", "/nope", "/api/v1/stations/CP-1/unknown-command"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.json()["detail"]


async def test_a_wrong_method_is_405_json(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/v1/transactions")
    assert response.status_code == 405
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/stations/%F0%9F%94%8C-%E2%9A%A1",
        "/api/v1/id-tokens/%C3%A9t%C3%A9",
        "/api/v1/id-tokens/%FF%FE",
        "/api/v1/transactions/%00",
    ],
)
async def test_odd_path_segments_never_fail_the_server(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code in (404, 422), path
    assert response.json()["detail"]
