"""Every 4xx has one shape, `{"detail": "<one line>", "errors": [...]}`, with field errors for a 422."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.api_builders import station_body

PUT_STATION = "/api/v1/stations/CP-1"


def assert_error_shape(body: Any) -> None:
    assert set(body) >= {"detail", "errors"}, body
    assert isinstance(body["detail"], str) and body["detail"] and "\n" not in body["detail"], body
    for error in body["errors"]:
        assert set(error) == {"field", "message", "type"}, error
        assert all(isinstance(value, str) and value for value in error.values()), error


async def test_an_invalid_field_is_named_with_its_message(client: httpx.AsyncClient) -> None:
    response = await client.put(PUT_STATION, json=station_body(password="short"))
    assert response.status_code == 422
    body = response.json()
    assert_error_shape(body)
    assert body["errors"] == [
        {"field": "body.password", "message": "String should have at least 16 characters", "type": "string_too_short"}
    ]
    assert body["detail"] == "invalid request: body.password: String should have at least 16 characters"
    assert "short" not in response.text.replace("string_too_short", "")  # the input is never echoed


async def test_every_invalid_field_is_listed(client: httpx.AsyncClient) -> None:
    response = await client.put(PUT_STATION, json={"security_profile": 9, "surprise": 1})
    assert response.status_code == 422
    body = response.json()
    assert_error_shape(body)
    assert {e["field"] for e in body["errors"]} == {"body.security_profile", "body.surprise"}
    assert "body.security_profile" in body["detail"] and "body.surprise" in body["detail"]


async def test_query_parameters_are_named_as_such(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/stations", params={"limit": 0})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.limit"


@pytest.mark.parametrize("station_id", ["a:b", "x" * 49, "tab%09in"])
async def test_a_bad_station_id_is_explained_not_shown_as_a_regex(client: httpx.AsyncClient, station_id: str) -> None:
    response = await client.get(f"/api/v1/stations/{station_id}")
    assert response.status_code == 422
    body = response.json()
    assert_error_shape(body)
    rule = "a station id is 1 to 48 characters, any but ':' and control characters"
    assert body["errors"] == [{"field": "path.station_id", "message": rule, "type": "string_pattern_mismatch"}]
    assert "^" not in response.text and "\\x" not in response.text


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_a_json_body_without_its_content_type_is_told_to_send_json(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.put(PUT_STATION, content=b'{"password": "a-long-random-secret-1"}', headers=headers)
    assert response.status_code == 415
    assert response.json() == {"detail": "send the body as JSON (Content-Type: application/json)", "errors": []}
    assert (await client.get(PUT_STATION)).status_code == 404  # nothing was registered


async def test_broken_or_missing_json_bodies_say_so(client: httpx.AsyncClient) -> None:
    json_type = {"Content-Type": "application/json"}
    broken = await client.put(PUT_STATION, content=b"{", headers=json_type)
    assert broken.status_code == 422
    assert broken.json()["errors"][0]["field"] == "body"
    assert broken.json()["errors"][0]["message"].startswith("not valid JSON at character 1")
    array = await client.put(PUT_STATION, content=b"[]", headers=json_type)
    assert array.json()["errors"][0]["message"] == "the body must be a JSON object"
    missing = await client.put(PUT_STATION)
    assert missing.status_code == 422
    assert missing.json()["errors"] == [{"field": "body", "message": "a JSON body is required", "type": "missing"}]


async def test_a_validator_message_comes_without_pydantic_s_prefix(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/stations/CP-1/remote-start", json={"id_token": "T", "evse_id": 1, "connector_id": 2}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == (
        "evse_id and connector_id name the same thing; give one, or equal values"
    )


async def test_domain_errors_and_http_errors_have_the_same_shape(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    not_found = await client.get("/api/v1/stations/NOPE")
    assert not_found.status_code == 404
    assert not_found.json() == {"detail": "station 'NOPE' is not registered", "errors": []}
    offline = await client.post("/api/v1/stations/NOPE/reset", json={"type": "Soft"})
    assert offline.status_code in (404, 409)
    assert_error_shape(offline.json())
    unauthorized = await anonymous.get("/api/v1/stations")
    assert unauthorized.status_code == 401
    assert unauthorized.headers["www-authenticate"] == "Bearer"
    assert_error_shape(unauthorized.json())
    assert unauthorized.json()["errors"] == []


async def test_unknown_routes_and_methods_say_what_was_asked(client: httpx.AsyncClient) -> None:
    unknown = await client.get("/api/v1/nothing")
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "nothing at /api/v1/nothing: see /docs for the endpoints", "errors": []}
    wrong_method = await client.delete("/api/v1/transactions")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "GET, HEAD"
    assert wrong_method.json() == {
        "detail": "/api/v1/transactions does not take DELETE; it takes GET, HEAD",
        "errors": [],
    }


async def test_openapi_documents_the_one_shape(anonymous: httpx.AsyncClient) -> None:
    doc = (await anonymous.get("/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas  # FastAPI's list shape is not what the API answers
    assert set(schemas["ErrorBody"]["properties"]) == {"detail", "errors"}
    assert set(schemas["FieldErrorBody"]["properties"]) == {"field", "message", "type"}
    put = doc["paths"]["/api/v1/stations/{station_id}"]["put"]["responses"]
    for status in ("401", "413", "415", "422"):
        assert put[status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema["$ref"].endswith("ErrorBody"), (method, path, status)
            if "requestBody" in operation:  # every body can be too large (the body guard answers 413)
                assert "413" in operation["responses"], (method, path)


async def test_a_405_lists_every_method_the_path_takes(client: httpx.AsyncClient) -> None:
    # One path, four routes: routing alone names only the first route it tried (issue 11, point 10).
    response = await client.post("/api/v1/stations/CP-1")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, PUT, PATCH, DELETE"
    assert (
        response.json()["detail"] == "/api/v1/stations/CP-1 does not take POST; it takes GET, HEAD, PUT, PATCH, DELETE"
    )
    listing = await client.delete("/api/v1/stations")
    assert listing.headers["allow"] == "GET, HEAD"
