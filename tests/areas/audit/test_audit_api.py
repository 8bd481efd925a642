"""The audit log through the real app: every state-changing call and every station command, for admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support.accounts import PASSWORD, bearer, create_user, login, user_session
from tests.support.api_builders import station_body, token_body
from tests.support.api_fixtures import ScriptedLink

ADMIN_KEY = "key:admin (VOLTLINE_ADMIN_TOKEN)"


async def audit(client: httpx.AsyncClient, **filters: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/audit", params=filters)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


async def test_state_changing_calls_are_recorded_with_who_what_target_and_result(
    client: httpx.AsyncClient,
) -> None:
    await client.put("/api/v1/stations/CP-1", json=station_body())
    await client.post("/api/v1/id-tokens", json=token_body())
    await client.post("/api/v1/id-tokens", json=token_body())  # 409
    await client.get("/api/v1/stations")  # reads are not recorded

    entries = await audit(client)

    assert [(e["actor"], e["action"], e["target"], e["result"]) for e in entries] == [
        (ADMIN_KEY, "POST /api/v1/id-tokens", None, "409"),
        (ADMIN_KEY, "POST /api/v1/id-tokens", None, "201"),
        (ADMIN_KEY, "PUT /api/v1/stations/{station_id}", "CP-1", "201"),
    ]
    assert entries[2]["summary"] == "Register a station or replace its operator record"
    assert datetime.fromisoformat(entries[0]["at"]) > datetime.now(UTC) - timedelta(minutes=1)
    assert "correct-horse" not in str(entries)  # the station password in the PUT body


async def test_refused_calls_and_logins_are_recorded_without_secrets(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    await create_user(client, "vera", "viewer")
    await login(anonymous, "vera", "not her password")
    token = (await login(anonymous, "vera")).json()["token"]
    await anonymous.post("/api/v1/id-tokens", json=token_body(), headers=bearer(token))  # 403
    await anonymous.delete("/api/v1/stations/CP-1")  # 401

    entries = await audit(client)

    rows = [(e["actor"], e["action"], e["target"], e["result"]) for e in entries]
    assert rows[:4] == [
        ("anonymous", "DELETE /api/v1/stations/{station_id}", "CP-1", "401"),
        ("user:vera", "POST /api/v1/id-tokens", None, "403"),
        ("user:vera", "POST /api/v1/auth/login", "user:vera", "200"),
        ("anonymous", "POST /api/v1/auth/login", "user:vera", "401"),
    ]
    assert entries[3]["summary"] == "login failed: wrong user name or password"
    text = str(entries)
    assert PASSWORD not in text and "not her password" not in text and token not in text


async def test_commands_sent_to_stations_are_recorded_with_the_acting_user(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, link: ScriptedLink
) -> None:
    link.online.add("CP-1")
    token = await user_session(client, anonymous, "otto", "operator")

    response = await anonymous.post(
        "/api/v1/stations/CP-1/remote-start",
        json={"id_token": "TOKEN-A", "check_token": False},  # the token check is not the subject here
        headers=bearer(token),
    )
    assert response.status_code == 200

    commands = await audit(client, action="command")
    assert [(e["actor"], e["action"], e["target"], e["result"]) for e in commands] == [
        ("user:otto", "command RemoteStart", "CP-1", "Accepted")
    ]
    assert "TOKEN-A" in commands[0]["detail"]["command"]
    calls = await audit(client, actor="user:otto", action="remote-start")
    assert [(e["target"], e["result"]) for e in calls] == [("CP-1", "200")]


async def test_filters_by_actor_action_target_time_and_page(client: httpx.AsyncClient) -> None:
    for station in ("CP-1", "CP-2", "CP-1"):
        await client.put(f"/api/v1/stations/{station}", json=station_body())
    start = (await audit(client))[-1]["at"]

    assert [e["result"] for e in await audit(client, target="CP-1")] == ["200", "201"]
    assert len(await audit(client, actor=ADMIN_KEY)) == 3
    assert await audit(client, actor="user:nobody") == []
    assert len(await audit(client, action="PUT /API/V1/STATIONS")) == 3
    assert [e["target"] for e in await audit(client, limit=1, offset=1)] == ["CP-2"]
    assert len(await audit(client, since=start)) == 3
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert await audit(client, since=future) == []
    assert len(await audit(client, until=future)) == 3
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"since": "yesterday"}):
        assert (await client.get("/api/v1/audit", params=bad)).status_code == 422, bad


async def test_the_first_path_parameter_is_the_target_and_all_of_them_are_kept(
    client: httpx.AsyncClient, link: ScriptedLink
) -> None:
    link.online.add("CP-1")
    link.raw_answer = {"status": "Accepted"}
    assert (await client.post("/api/v1/stations/CP-1/ocpp/Reset", json={"type": "Soft"})).status_code == 200

    [call] = await audit(client, action="/ocpp/")
    assert (call["target"], call["result"]) == ("CP-1", "200")
    assert call["detail"] == {"path": {"station_id": "CP-1", "action": "Reset"}}
    [command] = await audit(client, action="command")
    assert (command["action"], command["target"], command["detail"]) == (
        "command Reset",
        "CP-1",
        {"payload": {"type": "Soft"}},
    )
