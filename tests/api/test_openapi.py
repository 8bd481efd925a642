"""/openapi.json describes every endpoint with its request and response schemas and its auth."""

from __future__ import annotations

from typing import Any

import httpx

EXPECTED = {
    ("get", "/health"),
    ("get", "/api/v1/stations"),
    ("get", "/api/v1/review-items"),
    ("get", "/api/v1/stations/{station_id}"),
    ("put", "/api/v1/stations/{station_id}"),
    ("patch", "/api/v1/stations/{station_id}"),
    ("delete", "/api/v1/stations/{station_id}"),
    ("post", "/api/v1/stations/{station_id}/remote-start"),
    ("post", "/api/v1/stations/{station_id}/remote-stop"),
    ("post", "/api/v1/stations/{station_id}/ocpp/{action}"),
    ("post", "/api/v1/stations/{station_id}/reset"),
    ("post", "/api/v1/stations/{station_id}/unlock"),
    ("post", "/api/v1/stations/{station_id}/availability"),
    ("post", "/api/v1/stations/{station_id}/trigger"),
    ("post", "/api/v1/stations/{station_id}/clear-cache"),
    ("post", "/api/v1/stations/{station_id}/data-transfer"),
    ("post", "/api/v1/stations/{station_id}/display-messages"),
    ("get", "/api/v1/stations/{station_id}/display-messages"),
    ("delete", "/api/v1/stations/{station_id}/display-messages/{message_id}"),
    ("get", "/api/v1/id-tokens"),
    ("post", "/api/v1/id-tokens"),
    ("get", "/api/v1/id-tokens/{id_token}"),
    ("patch", "/api/v1/id-tokens/{id_token}"),
    ("delete", "/api/v1/id-tokens/{id_token}"),
    ("get", "/api/v1/transactions"),
    ("get", "/api/v1/transactions/{transaction_id}"),
    ("get", "/api/v1/events"),
    ("get", "/api/v1/stations/{station_id}/messages"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/auth/me"),
    ("post", "/api/v1/auth/mfa/enroll"),
    ("post", "/api/v1/auth/mfa/verify"),
    ("post", "/api/v1/auth/mfa/recovery-codes"),
    ("get", "/api/v1/users"),
    ("post", "/api/v1/users"),
    ("get", "/api/v1/users/{user}"),
    ("patch", "/api/v1/users/{user}"),
    ("delete", "/api/v1/users/{user}"),
    ("post", "/api/v1/users/{user}/unlock"),
    ("get", "/api/v1/api-keys"),
    ("post", "/api/v1/api-keys"),
    ("delete", "/api/v1/api-keys/bootstrap"),
    ("delete", "/api/v1/api-keys/{key_id}"),
    ("get", "/api/v1/audit"),
    ("get", "/api/v1/local-lists"),
    ("get", "/api/v1/stations/{station_id}/local-list"),
    ("put", "/api/v1/stations/{station_id}/local-list"),
    ("delete", "/api/v1/stations/{station_id}/local-list"),
    ("post", "/api/v1/stations/{station_id}/local-list/sync"),
    ("post", "/api/v1/stations/{station_id}/local-list/version"),
    ("get", "/api/v1/stations/{station_id}/charging-profiles"),
    ("post", "/api/v1/stations/{station_id}/charging-profiles"),
    ("get", "/api/v1/stations/{station_id}/reported-charging-profiles"),
    ("get", "/api/v1/stations/{station_id}/charging-profiles/{profile_id}"),
    ("delete", "/api/v1/stations/{station_id}/charging-profiles/{profile_id}"),
    ("post", "/api/v1/stations/{station_id}/clear-charging-profiles"),
    ("post", "/api/v1/stations/{station_id}/reported-charging-profiles"),
    ("post", "/api/v1/stations/{station_id}/remote-start-with-profile"),
    ("get", "/api/v1/stations/{station_id}/composite-schedule"),
    ("get", "/api/v1/stations/{station_id}/charging-limits"),
    ("get", "/api/v1/charging-profile-templates"),
    ("post", "/api/v1/charging-profile-templates"),
    ("get", "/api/v1/charging-profile-templates/{template_id}"),
    ("delete", "/api/v1/charging-profile-templates/{template_id}"),
    ("post", "/api/v1/charging-profile-templates/{template_id}/apply"),
    ("post", "/api/v1/stations/{station_id}/configuration/read"),
    ("post", "/api/v1/stations/{station_id}/configuration/write"),
    ("post", "/api/v1/stations/{station_id}/device-model/refresh"),
    ("post", "/api/v1/stations/{station_id}/device-model/report"),
    ("get", "/api/v1/stations/{station_id}/device-model"),
    ("get", "/api/v1/configuration-templates"),
    ("post", "/api/v1/configuration-templates"),
    ("get", "/api/v1/configuration-templates/{template_id}"),
    ("put", "/api/v1/configuration-templates/{template_id}"),
    ("delete", "/api/v1/configuration-templates/{template_id}"),
    ("post", "/api/v1/configuration-templates/{template_id}/apply"),
    ("get", "/api/v1/configuration-templates/{template_id}/drift"),
    ("get", "/api/v1/sites"),
    ("post", "/api/v1/sites"),
    ("get", "/api/v1/sites/{site_id}"),
    ("put", "/api/v1/sites/{site_id}"),
    ("delete", "/api/v1/sites/{site_id}"),
    ("get", "/api/v1/sites/{site_id}/circuits"),
    ("put", "/api/v1/sites/{site_id}/circuits"),
    ("get", "/api/v1/sites/{site_id}/stations"),
    ("post", "/api/v1/sites/{site_id}/stations"),
    ("put", "/api/v1/sites/{site_id}/stations/{station_id}"),
    ("delete", "/api/v1/sites/{site_id}/stations/{station_id}"),
    ("put", "/api/v1/sites/{site_id}/base-load"),
    ("get", "/api/v1/sites/{site_id}/load"),
    ("get", "/api/v1/sites/{site_id}/allocations"),
    ("get", "/api/v1/sites/{site_id}/prices"),
    ("put", "/api/v1/sites/{site_id}/prices"),
    ("get", "/api/v1/demand-response/events"),
    ("post", "/api/v1/demand-response/events"),
    ("get", "/api/v1/demand-response/events/{event_id}"),
    ("patch", "/api/v1/demand-response/events/{event_id}"),
    ("delete", "/api/v1/demand-response/events/{event_id}"),
    ("post", "/api/v1/demand-response/signals/{adapter}"),
    ("get", "/api/v1/charging-plans"),
    ("post", "/api/v1/charging-plans"),
    ("get", "/api/v1/charging-plans/{plan_id}"),
    ("put", "/api/v1/charging-plans/{plan_id}"),
    ("delete", "/api/v1/charging-plans/{plan_id}"),
    ("get", "/api/v1/transactions/{transaction_id}/charging-plan"),
    ("put", "/api/v1/transactions/{transaction_id}/charging-need"),
    ("delete", "/api/v1/transactions/{transaction_id}/charging-need"),
}
# Writes that take no input at all.
BODILESS = {
    ("post", "/api/v1/stations/{station_id}/reported-charging-profiles"),
    ("post", "/api/v1/stations/{station_id}/clear-cache"),
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/auth/mfa/enroll"),
    ("post", "/api/v1/stations/{station_id}/local-list/version"),
    ("post", "/api/v1/stations/{station_id}/device-model/refresh"),
    ("post", "/api/v1/users/{user}/unlock"),
}


async def document(anonymous: httpx.AsyncClient) -> dict[str, Any]:
    response = await anonymous.get("/openapi.json")
    assert response.status_code == 200
    doc: dict[str, Any] = response.json()
    return doc


def operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method, path): op for path, item in doc["paths"].items() for method, op in item.items()}


async def test_every_route_is_documented(anonymous: httpx.AsyncClient) -> None:
    assert set(operations(await document(anonymous))) == EXPECTED


async def test_every_operation_has_a_summary_and_a_response_schema(anonymous: httpx.AsyncClient) -> None:
    for key, op in operations(await document(anonymous)).items():
        assert op.get("summary"), key
        success = [code for code in op["responses"] if code.startswith("2")]
        assert success, key
        for code in success:
            if code == "204":
                assert "content" not in op["responses"][code], key
            elif "text/event-stream" in op["responses"][code]["content"]:  # a stream documents its items
                item = op["responses"][code]["content"]["text/event-stream"]["itemSchema"]
                assert item["properties"]["data"]["contentSchema"]["properties"], key
            else:
                schema = op["responses"][code]["content"]["application/json"]["schema"]
                assert schema and schema != {}, key


async def test_every_write_documents_its_request_body(anonymous: httpx.AsyncClient) -> None:
    for (method, path), op in operations(await document(anonymous)).items():
        if method in ("put", "post", "patch") and (method, path) not in BODILESS:
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            assert schema, (method, path)


async def test_api_operations_declare_bearer_auth_and_401(anonymous: httpx.AsyncClient) -> None:
    doc = await document(anonymous)
    assert doc["components"]["securitySchemes"]["BearerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A login session token (POST /api/v1/auth/login) or an API key: "
        "`Authorization: Bearer <token>`.",
    }
    for (method, path), op in operations(doc).items():
        if path.startswith("/api/v1"):
            assert op["security"] == [{"BearerToken": []}], (method, path)
            assert "401" in op["responses"], (method, path)
        else:
            assert "security" not in op


async def test_error_responses_are_documented(anonymous: httpx.AsyncClient) -> None:
    ops = operations(await document(anonymous))
    remote_start = ops[("post", "/api/v1/stations/{station_id}/remote-start")]["responses"]
    assert {"409", "422", "502", "504"} <= set(remote_start)
    assert remote_start["502"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/StationCallErrorBody"
    }
    assert "409" in ops[("post", "/api/v1/id-tokens")]["responses"]
    assert "404" in ops[("get", "/api/v1/transactions/{transaction_id}")]["responses"]


async def test_schemas_describe_the_fields_and_never_a_secret(anonymous: httpx.AsyncClient) -> None:
    schemas = (await document(anonymous))["components"]["schemas"]
    station = schemas["StationDetailBody"]["properties"]
    assert "password" not in station
    assert "password_hash" not in station
    assert {"online", "connectors", "last_seen", "ocpp_version"} <= set(station)
    registration = schemas["StationRegistrationRequest"]["properties"]
    # Optional (left out: the default for the station's password), so the bounds sit in the integer branch.
    [profile] = [branch for branch in registration["security_profile"]["anyOf"] if branch["type"] == "integer"]
    assert (profile["minimum"], profile["maximum"]) == (0, 3)
    assert "examples" in schemas["StationRegistrationRequest"]
    tx = schemas["TransactionDetailBody"]["properties"]
    assert {"id", "station_transaction_id", "energy_wh", "meter_values"} <= set(tx)
    assert "meter_values" not in schemas["TransactionBody"]["properties"]


async def test_the_api_has_one_body_for_status_info(anonymous: httpx.AsyncClient) -> None:
    doc = await document(anonymous)
    schemas = doc["components"]["schemas"]
    named = [name for name in schemas if "statusinfo" in name.lower()]
    assert named == ["StatusInfoBody"]
    holders = []
    for name, body in schemas.items():
        field = body.get("properties", {}).get("status_info")
        if field is not None:
            holders.append(name)
            assert {"$ref": "#/components/schemas/StatusInfoBody"} in field["anyOf"], name
    assert {"RemoteStartBody", "StationAnswerBody", "SentUpdateBody", "ReadingBody", "ReportOutcomeBody"} <= set(
        holders
    )


def _integer_schemas(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "integer":
            found.append(node)
        for child in node.values():
            found += _integer_schemas(child)
    elif isinstance(node, list):
        for child in node:
            found += _integer_schemas(child)
    return found


async def test_integer_bounds_are_written_as_integers(anonymous: httpx.AsyncClient) -> None:
    # FastAPI writes some as floats (2147483647.0); a bound past 2**53 would then not be the one enforced.
    integers = _integer_schemas(await document(anonymous))
    bounded = [schema for schema in integers if "maximum" in schema or "minimum" in schema]
    assert len(bounded) > 10
    for schema in bounded:
        for bound in ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"):
            assert not isinstance(schema.get(bound), float), schema
