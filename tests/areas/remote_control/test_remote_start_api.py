"""Remote start through the API (issue 10, point 5): the token is checked before anything is sent, every
start has a remote start id, and `?wait=` answers with the transaction (201) or without it (202)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.api_builders import a_v16_transaction
from tests.support.api_fixtures import ScriptedLink
from tests.support.waiting import eventually
from voltline.areas.authorization.model import AuthorizationStatus, IdToken
from voltline.areas.authorization.service import AuthorizationService
from voltline.areas.remote_control.commands import RemoteStart
from voltline.kernel.commands import CommandResult
from voltline.kernel.services import ServiceRegistry

START = "/api/v1/stations/CP-1/remote-start"


@pytest.fixture(autouse=True)
async def tokens(services: ServiceRegistry) -> None:
    authorization = services[AuthorizationService]
    await authorization.create(IdToken("GOOD"))
    await authorization.create(IdToken("STOLEN", status=AuthorizationStatus.BLOCKED))
    await authorization.create(IdToken("OLD", expiry=datetime.now(UTC) - timedelta(days=1)))


@pytest.mark.parametrize(
    ("token", "reason"),
    [("NEVER-SEEN", "is not registered"), ("STOLEN", "is Blocked"), ("OLD", "expired at")],
)
async def test_a_token_that_may_not_charge_is_422_and_nothing_is_sent(
    client: httpx.AsyncClient, link: ScriptedLink, token: str, reason: str
) -> None:
    link.online.add("CP-1")
    response = await client.post(START, json={"id_token": token})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert f"id token {token!r} {reason}" in detail
    assert '"check_token": false' in detail  # the way out is named
    assert link.sent == []


async def test_check_token_false_sends_an_unknown_token(client: httpx.AsyncClient, link: ScriptedLink) -> None:
    link.online.add("CP-1")
    response = await client.post(START, json={"id_token": "ONLY-ON-THE-LOCAL-LIST", "check_token": False})
    assert response.status_code == 200
    [(_, command)] = link.sent
    assert isinstance(command, RemoteStart) and command.id_token == "ONLY-ON-THE-LOCAL-LIST"


async def test_an_offline_station_is_409_before_the_token_is_judged(
    client: httpx.AsyncClient, link: ScriptedLink
) -> None:
    response = await client.post(START, json={"id_token": "NEVER-SEEN"})
    assert response.status_code == 409


async def test_every_start_gets_its_own_remote_start_id_on_16_too(
    client: httpx.AsyncClient, link: ScriptedLink
) -> None:
    link.online.add("CP-1")
    ids = [(await client.post(START, json={"id_token": "GOOD"})).json()["remote_start_id"] for _ in range(3)]
    assert all(isinstance(i, int) and 1 <= i <= 2**31 - 1 for i in ids)
    assert len(set(ids)) == 3
    assert [command.remote_start_id for _, command in link.sent] == ids  # type: ignore[attr-defined]


@pytest.mark.parametrize("wait", ["-1", "61", "soon"])
async def test_a_wait_out_of_range_is_422(client: httpx.AsyncClient, link: ScriptedLink, wait: str) -> None:
    link.online.add("CP-1")
    response = await client.post(START, params={"wait": wait}, json={"id_token": "GOOD"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.wait"
    assert link.sent == []


async def test_a_refused_start_is_not_waited_for(client: httpx.AsyncClient, link: ScriptedLink) -> None:
    link.online.add("CP-1")
    link.answer = CommandResult("Rejected", {"status": "Rejected"})
    started = asyncio.get_running_loop().time()
    response = await client.post(START, params={"wait": 30}, json={"id_token": "GOOD"})
    assert asyncio.get_running_loop().time() - started < 5
    assert response.status_code == 200
    assert response.json()["status"] == "Rejected" and response.json()["transaction"] is None


async def test_a_start_whose_transaction_does_not_follow_is_202(client: httpx.AsyncClient, link: ScriptedLink) -> None:
    link.online.add("CP-1")
    response = await client.post(START, params={"wait": 0.3}, json={"id_token": "GOOD"})
    assert response.status_code == 202
    assert response.json()["status"] == "Accepted" and response.json()["transaction"] is None


async def test_the_16_transaction_that_follows_is_linked_and_returned(
    client: httpx.AsyncClient, link: ScriptedLink, services: ServiceRegistry
) -> None:
    link.online.add("CP-1")
    waiting = asyncio.create_task(client.post(START, params={"wait": 10}, json={"id_token": "GOOD", "connector_id": 2}))

    async def sent() -> bool:
        return bool(link.sent)

    await eventually(sent)
    # Another token's start on that connector, and this token's on another connector, are not it.
    await a_v16_transaction(services, "CP-1", connector_id=2, id_token="OTHER")
    await a_v16_transaction(services, "CP-1", connector_id=1, id_token="GOOD")
    tx = await a_v16_transaction(services, "CP-1", connector_id=2, id_token="good")  # 1.6 idTags: any case
    response = await waiting
    assert response.status_code == 201
    body = response.json()
    assert body["transaction"]["id"] == tx.id
    assert body["transaction"]["remote_start_id"] == body["remote_start_id"] == tx.remote_start_id
    assert body["transaction"]["station_transaction_id"] == tx.station_tx_id
    assert response.headers["Location"] == f"/api/v1/transactions/{tx.id}"
    found = await client.get("/api/v1/transactions", params={"remote_start_id": body["remote_start_id"]})
    assert [t["id"] for t in found.json()] == [tx.id]
