"""Request bodies are bounded, read only for a caller who may send them, and parsed by stricter rules.

(issue 11, point 1, and the duplicate keys of point 11; the loop-stall measurement is tests/e2e/test_api_isolation.py)
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.api_fixtures import ADMIN_TOKEN
from voltline.api.app import DEFAULT_MAX_BODY, create_api
from voltline.api.body_guard import MAX_OBJECT_MEMBERS
from voltline.api.errors import MAX_FIELD_ERRORS
from voltline.composition import api_routers
from voltline.kernel.services import ServiceRegistry

JSON = {"Content-Type": "application/json"}
LOGIN = "/api/v1/auth/login"
ID_TOKENS = "/api/v1/id-tokens"


@pytest.fixture
async def small_limit(services: ServiceRegistry) -> AsyncIterator[httpx.AsyncClient]:
    """The real app with a 4 KiB body limit, as VOLTLINE_HTTP_MAX_BODY=4096 makes it."""
    app = create_api(services, api_routers(), max_body_bytes=4096)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers) as client:
        yield client


def test_the_default_limit_is_one_mebibyte() -> None:
    assert DEFAULT_MAX_BODY == 1024 * 1024


async def test_a_declared_length_over_the_limit_is_413_before_anything_is_read(
    small_limit: httpx.AsyncClient,
) -> None:
    response = await small_limit.post(ID_TOKENS, content=b"x" * 5000, headers=JSON)
    assert response.status_code == 413
    assert response.json() == {
        "detail": "the request body is larger than 4096 bytes (VOLTLINE_HTTP_MAX_BODY)",
        "errors": [],
    }


async def test_a_streamed_body_is_refused_once_it_passes_the_limit(small_limit: httpx.AsyncClient) -> None:
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):  # 100 KiB offered, no Content-Length
            sent.append(1)
            yield b" " * 1024

    response = await small_limit.post(ID_TOKENS, content=chunks(), headers=JSON)
    assert response.status_code == 413
    assert "larger than 4096 bytes" in response.json()["detail"]
    assert len(sent) < 100  # it stopped reading, it did not take it all first
    listed = await small_limit.get(ID_TOKENS)
    assert listed.status_code == 200 and listed.json() == []


async def test_a_body_within_the_limit_is_taken(small_limit: httpx.AsyncClient) -> None:
    response = await small_limit.post(ID_TOKENS, json={"id_token": "04A2B3C4", "type": "ISO14443"})
    assert response.status_code == 201, response.text


async def test_an_anonymous_body_is_never_read_or_parsed(anonymous: httpx.AsyncClient) -> None:
    for body in (b"{not json", b'{"id_token": 1, "id_token": 2}', b"[" * 5000):
        response = await anonymous.post(ID_TOKENS, content=body, headers=JSON)
        assert response.status_code == 401, response.text
        assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_a_wrong_token_is_401_before_the_body_is_judged(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.post(
        ID_TOKENS, content=b"{not json", headers={**JSON, "Authorization": "Bearer vl_not-a-key"}
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "invalid or expired bearer token"


async def test_a_viewer_is_refused_by_role_before_the_body_is_judged(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/v1/api-keys", json={"name": "reader", "role": "viewer"})
    assert created.status_code == 201, created.text
    viewer = {**JSON, "Authorization": f"Bearer {created.json()['token']}"}
    response = await client.post(ID_TOKENS, content=b"{not json", headers=viewer)
    assert response.status_code == 403
    assert "needs the operator role" in response.json()["detail"]


async def test_login_still_judges_its_body(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.post(LOGIN, content=b"{not json", headers=JSON)
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "json_invalid"


async def test_duplicate_keys_are_refused_and_nothing_is_created(client: httpx.AsyncClient) -> None:
    body = b'{"name": "sneaky", "role": "viewer", "role": "admin"}'
    response = await client.post("/api/v1/api-keys", content=body, headers=JSON)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error == {"field": "body", "message": 'not valid JSON: duplicate key "role"', "type": "json_invalid"}
    keys = (await client.get("/api/v1/api-keys")).json()
    assert "sneaky" not in json.dumps(keys)


async def test_duplicate_keys_in_a_nested_object_are_refused(client: httpx.AsyncClient) -> None:
    body = b'{"id_token": "04A2", "type": "ISO14443", "extra": {"a": 1, "a": 2}}'
    response = await client.post(ID_TOKENS, content=body, headers=JSON)
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == 'not valid JSON: duplicate key "a"'


async def test_an_object_of_very_many_members_is_refused_at_once(anonymous: httpx.AsyncClient) -> None:
    wide = json.dumps({f"k{i}": 1 for i in range(MAX_OBJECT_MEMBERS + 1)}).encode()
    response = await anonymous.post(LOGIN, content=wide, headers=JSON)
    assert response.status_code == 422
    body = response.json()
    assert len(body["errors"]) == 1
    assert f"more than the {MAX_OBJECT_MEMBERS} allowed" in body["errors"][0]["message"]


async def test_many_invalid_fields_give_a_bounded_answer_that_counts_them(anonymous: httpx.AsyncClient) -> None:
    unknown = {f"k{i}": 1 for i in range(200)}
    response = await anonymous.post(LOGIN, json={"username": "a", "password": "b", **unknown})
    assert response.status_code == 422
    body = response.json()
    assert len(body["errors"]) == MAX_FIELD_ERRORS
    assert f"(and 195 more; `errors` lists the first {MAX_FIELD_ERRORS})" in body["detail"]
    assert len(response.content) < 10_000


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"name": "\xff\xfe"}', "not valid JSON: the body is not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON: the body is nested too deeply"),
        (b'{"name": ' + b"9" * 5000 + b"}", "not valid JSON: Exceeds the limit"),
    ],
    ids=["not-utf8", "deep", "huge-integer"],
)
async def test_bodies_the_parser_cannot_take_are_a_documented_422_not_a_400(
    client: httpx.AsyncClient, body: bytes, message: str
) -> None:
    response = await client.post("/api/v1/api-keys", content=body, headers=JSON)
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["field"] == "body" and error["type"] == "json_invalid"
    assert error["message"].startswith(message), error


async def test_a_large_valid_body_is_parsed_off_the_loop_and_taken(client: httpx.AsyncClient) -> None:
    # Over the in-loop threshold (64 KiB): the thread path must answer as the in-loop one does.
    padded = {"id_token": "04A2", "type": "ISO14443", "extra": {"note": "x" * 100_000}}
    response = await client.post(ID_TOKENS, content=json.dumps(padded).encode(), headers=JSON)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.extra"  # judged by the model, not by the guard
    twice = b'{"id_token": "04A2", "type": "ISO14443", "x": "' + b"y" * 100_000 + b'", "x": 1}'
    refused = await client.post(ID_TOKENS, content=twice, headers=JSON)
    assert refused.json()["errors"][0]["message"] == 'not valid JSON: duplicate key "x"'
