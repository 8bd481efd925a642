"""Request bodies take each value in its own JSON type only (a boolean `true`/`false`, an integer a JSON
integer, a date-time an ISO 8601 string), text never holds a NUL, and a PATCH field documented as not
nullable refuses null; each refusal is a 422 naming the field and changes nothing. Query parameters are
text and keep being parsed from it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.test_input_ranges import db_client, db_link
from tests.support.api_builders import station_body, token_body
from tests.support.api_fixtures import ScriptedLink
from voltline.api.schemas import Strict
from voltline.areas.remote_control.commands import Reset, ResetKind
from voltline.kernel.versions import OcppVersion

__all__ = ["db_client", "db_link"]

STATION = "/api/v1/stations/CP-1"
TEMPLATE = {
    "name": "heartbeat",
    "values": [{"address": {"component": None, "variable": {"name": "HeartbeatInterval"}}, "value": "300"}],
}
NOT_A_BOOLEAN = [0, 1, "true", "false", 1.0, "1"]
NOT_AN_INTEGER = [True, False, "1", 1.5, "0x1"]  # 1.0 is one: see the end of the file
NOT_A_DATETIME = [0, 0.5, 1_700_000_000, True, "0", "0.5", "1700000000", {"at": "2026-01-01T00:00:00Z"}]


def fields_of(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    return [error["field"] for error in response.json()["errors"]]


# -- booleans, integers, date-times --------------------------------------------------------------------


@pytest.mark.parametrize("value", [False, True, 0.5, "1", 1.5, "0"])
async def test_a_security_profile_is_a_json_integer(client: httpx.AsyncClient, value: Any) -> None:
    response = await client.put(STATION, json=station_body(security_profile=value))
    assert fields_of(response) == ["body.security_profile"]
    assert (await client.get(STATION)).status_code == 404

    assert (await client.put(STATION, json=station_body())).status_code == 201
    response = await client.patch(STATION, json={"security_profile": value})
    assert fields_of(response) == ["body.security_profile"]
    assert (await client.get(STATION)).json()["security_profile"] == 1


@pytest.mark.parametrize("value", NOT_A_BOOLEAN)
async def test_booleans_of_commands_are_json_booleans(
    client: httpx.AsyncClient, link: ScriptedLink, value: Any
) -> None:
    link.online.add("CP-1")
    response = await client.post(f"{STATION}/remote-start", json={"id_token": "CARD-1", "check_token": value})
    assert fields_of(response) == ["body.check_token"]
    response = await client.post(f"{STATION}/availability", json={"operative": value})
    assert fields_of(response) == ["body.operative"]
    assert link.sent == []


@pytest.mark.parametrize("value", NOT_AN_INTEGER)
async def test_integers_of_commands_are_json_integers(
    client: httpx.AsyncClient, link: ScriptedLink, value: Any
) -> None:
    link.online.add("CP-1")
    link.versions["CP-1"] = OcppVersion.V201
    response = await client.post(f"{STATION}/remote-start", json={"id_token": "CARD-1", "evse_id": value})
    assert fields_of(response) == ["body.evse_id"]
    response = await client.post(f"{STATION}/unlock", json={"evse_id": value})
    assert fields_of(response) == ["body.evse_id"]
    response = await client.post(f"{STATION}/reset", json={"type": "Soft", "evse_id": value})
    assert fields_of(response) == ["body.evse_id"]
    message = {"priority": "InFront", "message": {"content": "Hello"}, "id": value}
    response = await client.post(f"{STATION}/display-messages", json=message)
    assert fields_of(response) == ["body.id"]
    assert link.sent == []


@pytest.mark.parametrize("value", [True, False, 1.5, [1], {"id": 1}])
async def test_a_transaction_to_stop_is_a_json_integer_or_a_string(
    client: httpx.AsyncClient, link: ScriptedLink, value: Any
) -> None:
    link.online.add("CP-1")
    response = await client.post(f"{STATION}/remote-stop", json={"transaction_id": value})
    assert response.status_code == 422, response.text
    assert {field.split(".")[1] for field in fields_of(response)} == {"transaction_id"}
    # "1" is a string: the station's own id 1 (it has none: 404), never the boolean true.
    assert (await client.post(f"{STATION}/remote-stop", json={"transaction_id": "1"})).status_code == 404
    assert link.sent == []


@pytest.mark.parametrize("value", NOT_A_BOOLEAN)
async def test_booleans_of_lists_and_templates_are_json_booleans(client: httpx.AsyncClient, value: Any) -> None:
    assert (await client.put(STATION, json=station_body())).status_code == 201
    response = await client.put(f"{STATION}/local-list", json={"selection": {"all": value}})
    assert fields_of(response) == ["body.selection.all"]
    assert (await client.get(f"{STATION}/local-list")).json()["managed"] is False
    response = await client.post(f"{STATION}/local-list/sync", json={"full": value})
    assert fields_of(response) == ["body.full"]

    response = await client.post("/api/v1/configuration-templates", json={**TEMPLATE, "apply_on_boot": value})
    assert fields_of(response) == ["body.apply_on_boot"]
    assert (await client.get("/api/v1/configuration-templates")).json() == []


@pytest.mark.parametrize("value", NOT_A_DATETIME)
async def test_a_date_time_is_an_iso_8601_string(client: httpx.AsyncClient, link: ScriptedLink, value: Any) -> None:
    response = await client.post("/api/v1/id-tokens", json=token_body(id_token="CARD-1", expiry=value))
    assert fields_of(response) == ["body.expiry"]
    assert (await client.get("/api/v1/id-tokens")).json() == []

    assert (await client.post("/api/v1/id-tokens", json=token_body(id_token="CARD-1"))).status_code == 201
    assert fields_of(await client.patch("/api/v1/id-tokens/CARD-1", json={"expiry": value})) == ["body.expiry"]
    assert (await client.get("/api/v1/id-tokens/CARD-1")).json()["expiry"] is None

    link.online.add("CP-1")
    link.versions["CP-1"] = OcppVersion.V201
    message = {"priority": "InFront", "message": {"content": "Hello"}, "start": value}
    assert fields_of(await client.post(f"{STATION}/display-messages", json=message)) == ["body.start"]
    assert link.sent == []


async def test_values_of_their_own_type_still_go_through(client: httpx.AsyncClient, link: ScriptedLink) -> None:
    created = await client.post(
        "/api/v1/id-tokens",
        json={"id_token": "CARD-1", "type": "emaid", "status": "BLOCKED", "expiry": "2030-01-01T01:00:00+01:00"},
    )
    assert created.status_code == 201, created.text
    assert (created.json()["type"], created.json()["status"]) == ("eMAID", "Blocked")
    assert created.json()["expiry"] == "2030-01-01T00:00:00Z"
    assert (await client.put(STATION, json=station_body(security_profile=0, password=None))).status_code == 201
    assert (await client.patch(STATION, json={"security_profile": 1, "password": "p" * 16})).status_code == 200
    assert (await client.patch(STATION, json={"security_profile": 0.0})).json()["security_profile"] == 0
    link.online.add("CP-1")
    response = await client.post(f"{STATION}/availability", json={"operative": False, "evse_id": 1})
    assert response.status_code == 200, response.text
    response = await client.post(f"{STATION}/remote-start", json={"id_token": "X", "check_token": False})
    assert response.status_code == 200, response.text
    assert len(link.sent) == 2


async def test_query_parameters_are_still_parsed_from_text(client: httpx.AsyncClient) -> None:
    query = {"active": "false", "limit": "5", "offset": "0", "remote_start_id": "1", "station_id": "CP-1"}
    assert (await client.get("/api/v1/transactions", params=query)).status_code == 200
    assert (await client.get("/api/v1/transactions", params={"from": "2026-01-01"})).status_code == 200
    assert (
        await client.get("/api/v1/stations", params={"online": "true", "registration": "accepted"})
    ).status_code == 200
    assert (await client.get("/api/v1/local-lists", params={"state": "PENDING"})).status_code == 200


def _strict_models(kind: type[Strict] = Strict) -> Iterator[type[Strict]]:
    for sub in kind.__subclasses__():
        yield sub
        yield from _strict_models(sub)


async def test_every_request_body_is_a_strict_model(anonymous: httpx.AsyncClient) -> None:
    document = (await anonymous.get("/openapi.json")).json()
    strict_models = {model.__name__ for model in _strict_models()}
    assert all(model.model_config.get("strict") is True for model in _strict_models())
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content is None:
                continue
            schema = content["schema"]
            refs = [schema, *schema.get("anyOf", [])]
            names = {ref["$ref"].rsplit("/", 1)[1] for ref in refs if "$ref" in ref}
            if (method, path) == ("post", "/api/v1/stations/{station_id}/ocpp/{action}"):
                assert schema["type"] == "object"  # the raw OCPP payload, checked against the OCPP schema
                continue
            if (method, path) == ("post", "/api/v1/demand-response/signals/{adapter}"):
                assert schema["type"] == "object"  # a grid party's own shape, checked by its adapter
                continue
            if (method, path) == ("put", "/api/v1/sites/{site_id}/prices"):
                # JSON or CSV, so read raw and documented inline; the JSON form is still checked strictly.
                assert schema["title"] == "PricesRequest" and "PricesRequest" in strict_models
                continue
            assert names and names <= strict_models, (method, path, schema)


# -- NUL in text -----------------------------------------------------------------------------------------

NUL = "bay\x003"


async def test_nul_in_a_station_s_text_is_refused_on_every_backend(db_client: httpx.AsyncClient) -> None:
    response = await db_client.put(STATION, json=station_body(description=NUL))
    assert fields_of(response) == ["body.description"]
    assert "NUL" in response.json()["errors"][0]["message"]
    assert fields_of(await db_client.put(STATION, json=station_body(password="p" * 16 + "\x00"))) == ["body.password"]
    assert (await db_client.get(STATION)).status_code == 404

    assert (await db_client.put(STATION, json=station_body())).status_code == 201
    assert fields_of(await db_client.patch(STATION, json={"description": NUL})) == ["body.description"]
    assert (await db_client.get(STATION)).json()["description"] == "Car park level 2"
    # Other control characters are fine in free text.
    response = await db_client.patch(STATION, json={"description": "level 2\nbay\t3"})
    assert response.status_code == 200, response.text


async def test_nul_in_a_template_is_refused_on_every_backend(db_client: httpx.AsyncClient) -> None:
    for body in (
        {**TEMPLATE, "description": NUL},
        {**TEMPLATE, "selector": {"vendor": NUL}},
        {**TEMPLATE, "selector": {"model": NUL}},
        {**TEMPLATE, "selector": {"station_ids": [NUL]}},
    ):
        response = await db_client.post("/api/v1/configuration-templates", json=body)
        assert response.status_code == 422, (body, response.text)
    assert (await db_client.get("/api/v1/configuration-templates")).json() == []


async def test_nul_in_a_display_message_is_refused(client: httpx.AsyncClient, link: ScriptedLink) -> None:
    link.online.add("CP-1")
    link.versions["CP-1"] = OcppVersion.V201
    body = {"priority": "InFront", "message": {"content": NUL}}
    assert fields_of(await client.post(f"{STATION}/display-messages", json=body)) == ["body.message.content"]
    assert link.sent == []


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/stations/CP-1/device-model", "component"),
        ("/api/v1/stations/CP-1/device-model", "variable"),
        ("/api/v1/stations/CP-1/device-model", "q"),
        ("/api/v1/stations/CP-1/messages", "action"),
        ("/api/v1/stations/CP-1/messages", "cursor"),
        ("/api/v1/transactions", "id_token"),
        ("/api/v1/transactions", "station_id"),
        ("/api/v1/review-items", "station_id"),
    ],
)
async def test_nul_in_a_filter_is_refused_on_every_backend(db_client: httpx.AsyncClient, path: str, name: str) -> None:
    assert (await db_client.put(STATION, json=station_body())).status_code == 201
    assert fields_of(await db_client.get(path, params={name: NUL})) == [f"query.{name}"]


# Text inputs that still take a NUL, in files other people own (see the hardening issue's point 8): each
# needs a pattern (`voltline.api.schemas.NO_NUL` or PRINTABLE).
ELSEWHERE = {
    ("get", "/api/v1/events", "query.kind"),  # an enumeration, checked against the list of kinds
}


def _refuses_nul(schema: dict[str, Any]) -> bool:
    # Date-times and times are parsed by pydantic, which refuses a NUL in either.
    if "enum" in schema or "const" in schema or schema.get("format") in ("date-time", "time"):
        return True
    pattern = schema.get("pattern")
    return pattern is not None and not any(re.search(pattern, text) for text in ("\x00", "a\x00", "a\x00b"))


def _strings(schema: dict[str, Any], schemas: dict[str, Any], where: str, seen: set[str]) -> Iterator[tuple[str, Any]]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            yield from _strings(schemas[name], schemas, name, seen)
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            yield from _strings(branch, schemas, where, seen)
    if schema.get("type") == "string":
        yield where, schema
    if isinstance(schema.get("items"), dict):
        yield from _strings(schema["items"], schemas, where, seen)
    for name, prop in schema.get("properties", {}).items():
        yield from _strings(prop, schemas, f"{where}.{name}", seen)


async def test_every_documented_text_input_refuses_nul(anonymous: httpx.AsyncClient) -> None:
    """Every string of a query, path or body, as /openapi.json documents it, has a pattern that refuses NUL
    (or is an enumeration, a date-time or a time)."""
    document = (await anonymous.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    taking_nul = set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            inputs = [(p["schema"], f"{p['in']}.{p['name']}") for p in operation.get("parameters", [])]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body is not None:
                inputs.append((body, "body"))
            for schema, where in inputs:
                for field, text in _strings(schema, schemas, where, set()):
                    if not _refuses_nul(text):
                        taking_nul.add((method, path, field))
    assert taking_nul - ELSEWHERE == set()


# -- nullable as documented ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "names"),
    [("IdTokenPatch", ("type", "status")), ("StationChangeRequest", ("registration", "security_profile"))],
)
async def test_patch_fields_that_refuse_null_are_not_documented_as_nullable(
    anonymous: httpx.AsyncClient, model: str, names: tuple[str, ...]
) -> None:
    schema = (await anonymous.get("/openapi.json")).json()["components"]["schemas"][model]
    for name in names:
        field = schema["properties"][name]
        assert "null" not in str(field.get("anyOf", [])) and field.get("type") != "null", (model, name, field)
        assert "default" not in field, (model, name, field)
        assert name not in schema.get("required", [])


@pytest.mark.parametrize("name", ["type", "status"])
async def test_null_for_a_token_s_type_or_status_is_a_422_naming_it(client: httpx.AsyncClient, name: str) -> None:
    assert (await client.post("/api/v1/id-tokens", json=token_body(id_token="CARD-1"))).status_code == 201
    response = await client.patch("/api/v1/id-tokens/CARD-1", json={name: None, "group_id": "G"})
    assert fields_of(response) == [f"body.{name}"]
    token = (await client.get("/api/v1/id-tokens/CARD-1")).json()
    assert (token["type"], token["status"], token["group_id"]) == ("ISO14443", "Accepted", None)
    # Nullable ones still clear.
    response = await client.patch("/api/v1/id-tokens/CARD-1", json={"expiry": None, "group_id": None})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("name", ["registration", "security_profile"])
async def test_null_for_a_station_s_registration_or_profile_is_a_422_naming_it(
    client: httpx.AsyncClient, name: str
) -> None:
    assert (await client.put(STATION, json=station_body())).status_code == 201
    response = await client.patch(STATION, json={name: None})
    assert fields_of(response) == [f"body.{name}"]
    station = (await client.get(STATION)).json()
    assert (station["registration"], station["security_profile"]) == ("Accepted", 1)


# -- integers: JSON numbers without a fraction -----------------------------------------------------------


@pytest.mark.parametrize(("text", "number"), [("1", 1), ("1.0", 1), ("1e0", 1), ("2.00", 2), ("0.2E1", 2)])
async def test_an_integer_may_be_written_with_a_zero_fraction(
    client: httpx.AsyncClient, link: ScriptedLink, text: str, number: int
) -> None:
    """JSON Schema's "integer", which /openapi.json documents, is any number without a fraction: 1.0 and
    1e0 are the integer 1 (fuzzers such as schemathesis send them). 1.5, true and "1" are still refused."""
    link.online.add("CP-1")
    link.versions["CP-1"] = OcppVersion.V201
    body = '{"type": "Soft", "evse_id": ' + text + "}"
    response = await client.post(f"{STATION}/reset", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    [(_, command)] = link.sent
    assert command == Reset(ResetKind.SOFT, number) and type(command.evse_id) is int
    for refused in (1.5, True, "1"):
        response = await client.post(f"{STATION}/reset", json={"type": "Soft", "evse_id": refused})
        assert fields_of(response) == ["body.evse_id"]
    assert len(link.sent) == 1

    response = await client.put(STATION, json=station_body(security_profile=0.0, password=None))
    assert response.status_code == 201, response.text
    assert (await client.get(STATION)).json()["security_profile"] == 0
