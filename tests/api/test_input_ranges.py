"""Values at the edge of their range: a date-time that UTC cannot hold, and integers beyond the bound
/openapi.json documents, are a 422 naming the field (never a 500), and change nothing; the extremes
that are in range go through, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.api_builders import station_body, token_body
from tests.support.api_fixtures import ADMIN_TOKEN, ScriptedLink
from tests.support.databases import BACKENDS, fresh_database
from tests.support.wiring import api_app, open_storage, wired_services
from voltline.areas.access.api_access import ApiAccessService
from voltline.kernel.versions import OcppVersion

# In range as written, out of range once converted to UTC (the year 10000, the year 0).
LATEST_WITH_OFFSET = "9999-12-31T23:59:59-23:59"
EARLIEST_WITH_OFFSET = "0001-01-01T00:00:00+23:59"
OUT_OF_RANGE = [LATEST_WITH_OFFSET, EARLIEST_WITH_OFFSET, "9999-12-31T23:00:00-01:00"]
# The extremes UTC holds, written several ways.
EXTREMES = [
    ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"),
    ("9999-12-31T23:59:59", "9999-12-31T23:59:59Z"),
    ("9999-12-31T23:59:59+01:00", "9999-12-31T22:59:59Z"),
    ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
    ("0001-01-01T23:59:00+23:59", "0001-01-01T00:00:00Z"),
]


@pytest.fixture
def db_link() -> ScriptedLink:
    return ScriptedLink()


@pytest.fixture(params=BACKENDS)
async def db_client(
    request: pytest.FixtureRequest, tmp_path: Path, db_link: ScriptedLink
) -> AsyncIterator[httpx.AsyncClient]:
    """The admin's client of the real app over a fresh database of each backend (PostgreSQL skipped when
    it is not reachable, as everywhere)."""
    async with fresh_database(request.param, tmp_path) as url:
        storage = await open_storage(url)
        try:
            services = wired_services(storage, db_link, heartbeat_interval=60)
            await services[ApiAccessService].ensure_admin_token(ADMIN_TOKEN)
            transport = httpx.ASGITransport(app=api_app(services))
            async with httpx.AsyncClient(
                transport=transport, base_url="http://voltline.test", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
            ) as client:
                yield client
        finally:
            await storage.close()


def fields_of(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    return [error["field"] for error in response.json()["errors"]]


# -- date-times ----------------------------------------------------------------------------------------

DATETIME_FILTERS = [
    ("/api/v1/transactions", "from"),
    ("/api/v1/transactions", "to"),
    ("/api/v1/audit", "since"),
    ("/api/v1/audit", "until"),
    ("/api/v1/stations/CP-1/messages", "since"),
    ("/api/v1/stations/CP-1/messages", "until"),
]


@pytest.mark.parametrize(("path", "name"), DATETIME_FILTERS)
@pytest.mark.parametrize("value", OUT_OF_RANGE)
async def test_a_filter_time_utc_cannot_hold_is_a_422_naming_it(
    client: httpx.AsyncClient, path: str, name: str, value: str
) -> None:
    response = await client.get(path, params={name: value})
    assert fields_of(response) == [f"query.{name}"]
    assert "between the years 1 and 9999" in response.json()["detail"]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
async def test_a_token_expiry_utc_cannot_hold_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, value: str
) -> None:
    response = await client.post("/api/v1/id-tokens", json=token_body(id_token="CARD-1", expiry=value))
    assert fields_of(response) == ["body.expiry"]
    assert (await client.get("/api/v1/id-tokens")).json() == []

    assert (await client.post("/api/v1/id-tokens", json=token_body(id_token="CARD-1"))).status_code == 201
    response = await client.patch("/api/v1/id-tokens/CARD-1", json={"expiry": value})
    assert fields_of(response) == ["body.expiry"]
    assert (await client.get("/api/v1/id-tokens/CARD-1")).json()["expiry"] is None


@pytest.mark.parametrize("name", ["start", "end"])
@pytest.mark.parametrize("value", OUT_OF_RANGE)
async def test_a_display_message_time_utc_cannot_hold_is_refused_and_nothing_is_sent(
    client: httpx.AsyncClient, link: ScriptedLink, name: str, value: str
) -> None:
    link.online.add("CP-1")
    link.versions["CP-1"] = OcppVersion.V201
    body = {"priority": "InFront", "message": {"content": "Hello"}, name: value}
    response = await client.post("/api/v1/stations/CP-1/display-messages", json=body)
    assert fields_of(response) == [f"body.{name}"]
    assert link.sent == []


@pytest.mark.parametrize(("given", "stored"), EXTREMES)
async def test_the_extreme_expiries_utc_holds_are_stored_as_given(
    db_client: httpx.AsyncClient, given: str, stored: str
) -> None:
    created = await db_client.post("/api/v1/id-tokens", json=token_body(id_token="CARD-1", expiry=given))
    assert created.status_code == 201, created.text
    assert created.json()["expiry"] == stored
    assert (await db_client.get("/api/v1/id-tokens/CARD-1")).json()["expiry"] == stored


@pytest.mark.parametrize(
    ("path", "lower", "upper"),
    [
        ("/api/v1/transactions", "from", "to"),
        ("/api/v1/audit", "since", "until"),
        ("/api/v1/stations/CP-1/messages", "since", "until"),
    ],
)
async def test_filters_take_the_extremes_utc_holds(
    db_client: httpx.AsyncClient, path: str, lower: str, upper: str
) -> None:
    assert (await db_client.put("/api/v1/stations/CP-1", json=station_body())).status_code == 201
    for low, high in [(EXTREMES[3][0], EXTREMES[0][0]), (EXTREMES[4][0], EXTREMES[2][0])]:
        response = await db_client.get(path, params={lower: low, upper: high})
        assert response.status_code == 200, (path, response.text)


# -- integers ------------------------------------------------------------------------------------------


def _integer_bounds(node: Any, where: str = "") -> Iterator[tuple[str, str, Any]]:
    if isinstance(node, dict):
        if node.get("type") == "integer":
            for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                if key in node:
                    yield where, key, node[key]
        for key, value in node.items():
            yield from _integer_bounds(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _integer_bounds(value, f"{where}[{index}]")


async def test_every_documented_integer_bound_is_an_exact_integer(anonymous: httpx.AsyncClient) -> None:
    """A bound that is not exactly the one enforced misleads every client that validates against the
    document: 2**63 - 1 written as a double is 2**63, which the API refuses. (FastAPI writes the bounds of
    component schemas as floats, 2147483647.0: exact for any integer up to 2**53.)"""
    document = (await anonymous.get("/openapi.json")).json()
    bounds = list(_integer_bounds(document))
    assert bounds
    inexact = [(where, key, value) for where, key, value in bounds if not _exact_integer(value)]
    assert inexact == []


def _exact_integer(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return float(value).is_integer() and abs(value) <= 2**53


async def _remote_stop_bound(client: httpx.AsyncClient) -> int:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    [branch] = [
        b for b in schemas["RemoteStopRequest"]["properties"]["transaction_id"]["anyOf"] if b["type"] == "integer"
    ]
    return int(branch["maximum"])


async def test_the_documented_bound_of_a_transaction_id_is_the_one_enforced(
    client: httpx.AsyncClient, link: ScriptedLink
) -> None:
    link.online.add("CP-1")
    bound = await _remote_stop_bound(client)
    for value in (bound + 1, 2**63 - 1, 2**63, 2**64):
        response = await client.post("/api/v1/stations/CP-1/remote-stop", json={"transaction_id": value})
        assert response.status_code == 422, (value, response.text)
        assert response.json()["errors"][0]["field"].startswith("body.transaction_id")
    # At the bound: valid, and looked up (there is no such transaction).
    response = await client.post("/api/v1/stations/CP-1/remote-stop", json={"transaction_id": bound})
    assert response.status_code == 404, response.text
    assert link.sent == []


@pytest.mark.parametrize("value", [2**31, 2**63 - 1, 2**63])
async def test_a_transaction_id_beyond_its_column_is_a_422_on_every_backend(
    db_client: httpx.AsyncClient, value: int
) -> None:
    response = await db_client.get(f"/api/v1/transactions/{value}")
    assert fields_of(response) == ["path.transaction_id"]
    assert (await db_client.get(f"/api/v1/transactions/{2**31 - 1}")).status_code == 404
