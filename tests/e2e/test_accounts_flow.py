"""Accounts and access end to end: a real server, people logging in with MFA, roles, the audit trail of a
command that reaches a simulated station (1.6J and 2.0.1), and login throttling over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

import httpx
import pyotp
import pytest

from tests.e2e.conftest import ADMIN_TOKEN, API_TIMEOUT_S, STATION_PASSWORD, RunningServer, ServerFactory
from tests.support.schema_check import assert_server_frames_valid
from tests.support.waiting import eventually
from voltline.simulator import SimulatedStation

PASSWORD = "correct horse battery staple"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def a_user(http: httpx.AsyncClient, username: str, role: str) -> None:
    response = await http.post(
        "/api/v1/users",
        json={"username": username, "password": PASSWORD, "role": role},
        headers=bearer(ADMIN_TOKEN),
    )
    assert response.status_code == 201, response.text


async def log_in(http: httpx.AsyncClient, username: str, **extra: str) -> httpx.Response:
    return await http.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD, **extra})


async def an_enrolled_admin_session(http: httpx.AsyncClient, username: str) -> str:
    await a_user(http, username, "admin")
    restricted = bearer((await log_in(http, username)).json()["token"])
    assert (await http.get("/api/v1/audit", headers=restricted)).status_code == 403
    secret = (await http.post("/api/v1/auth/mfa/enroll", headers=restricted)).json()["secret"]
    verified = await http.post("/api/v1/auth/mfa/verify", json={"otp": pyotp.TOTP(secret).now()}, headers=restricted)
    assert verified.status_code == 200
    assert (await log_in(http, username)).status_code == 401  # a second factor is required now
    later = pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30))
    response = await log_in(http, username, otp=later)
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_an_operators_command_reaches_the_station_and_the_audit_log(server: RunningServer, version: str) -> None:
    station_id = f"CP-AUDIT-{version}"
    async with httpx.AsyncClient(base_url=server.http_url, timeout=API_TIMEOUT_S) as http:
        root = bearer(await an_enrolled_admin_session(http, "root"))
        registered = await http.put(f"/api/v1/stations/{station_id}", json={"password": STATION_PASSWORD}, headers=root)
        assert registered.status_code == 201
        token = await http.post("/api/v1/id-tokens", json={"id_token": "APP-USER-7"}, headers=root)
        assert token.status_code == 201  # a remote start with an unknown token is refused before it is sent
        await a_user(http, "otto", "operator")
        await a_user(http, "vera", "viewer")
        otto = bearer((await log_in(http, "otto")).json()["token"])
        vera = bearer((await log_in(http, "vera")).json()["token"])
        station = SimulatedStation(server.ocpp_url, station_id, version, password=STATION_PASSWORD)
        runner = asyncio.create_task(station.run())
        try:

            async def online() -> bool:
                view = (await http.get(f"/api/v1/stations/{station_id}", headers=vera)).json()
                return bool(view["online"]) and [c["status"] for c in view["connectors"]] == ["Available"]

            await eventually(online)
            start = {"id_token": "APP-USER-7", "evse_id": 1}
            refused = await http.post(f"/api/v1/stations/{station_id}/remote-start", json=start, headers=vera)
            assert refused.status_code == 403
            started = await http.post(f"/api/v1/stations/{station_id}/remote-start", json=start, headers=otto)
            assert started.status_code == 200, started.text
        finally:
            await station.close()
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await runner

        trail = (await http.get("/api/v1/audit", params={"target": station_id}, headers=root)).json()
        rows = [(e["actor"], e["action"], e["result"]) for e in trail]
        assert ("user:otto", "command RemoteStart", "Accepted") in rows
        assert ("user:otto", "POST /api/v1/stations/{station_id}/remote-start", "200") in rows
        assert ("user:vera", "POST /api/v1/stations/{station_id}/remote-start", "403") in rows
        assert ("user:root", "PUT /api/v1/stations/{station_id}", "201") in rows
        assert all(e["actor"] != "user:vera" or e["action"] != "command RemoteStart" for e in trail)
    assert assert_server_frames_valid(version, station.transcript) >= 3


async def test_failed_logins_lock_the_account_then_it_opens_again(start_server: ServerFactory) -> None:
    server: RunningServer = await start_server(login_failures_per_account=3, login_lockout=1.0)
    async with httpx.AsyncClient(base_url=server.http_url, timeout=API_TIMEOUT_S) as http:
        await a_user(http, "alice", "operator")
        for _ in range(3):
            wrong = await http.post("/api/v1/auth/login", json={"username": "alice", "password": "wrong guess!"})
            assert wrong.status_code == 401
        locked = await log_in(http, "alice")
        assert locked.status_code == 429
        assert locked.headers["retry-after"] == "1"

        async def opens() -> bool:
            return (await log_in(http, "alice")).status_code == 200

        assert await eventually(opens, within=6, every=0.2)


async def test_an_admin_unlocks_a_locked_out_user_over_real_http(start_server: ServerFactory) -> None:
    server: RunningServer = await start_server(login_failures_per_account=3, login_lockout=900.0)
    async with httpx.AsyncClient(base_url=server.http_url, timeout=API_TIMEOUT_S) as http:
        root = bearer(await an_enrolled_admin_session(http, "root"))
        await a_user(http, "alice", "operator")
        for _ in range(3):
            wrong = await http.post("/api/v1/auth/login", json={"username": "alice", "password": "wrong guess!"})
            assert wrong.status_code == 401
        assert (await log_in(http, "alice")).status_code == 429

        assert (await http.post("/api/v1/users/alice/unlock", headers=root)).status_code == 200

        assert (await log_in(http, "alice")).status_code == 200


async def test_the_bootstrap_token_warned_about_then_revoked_stays_revoked_across_restarts(
    start_server: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """VOLTLINE_ADMIN_TOKEN stays set throughout, as it would in a deployment's environment."""
    caplog.set_level(logging.WARNING, logger="voltline")
    first: RunningServer = await start_server()
    async with httpx.AsyncClient(base_url=first.http_url, timeout=API_TIMEOUT_S) as http:
        await an_enrolled_admin_session(http, "root")
    await first.app.stop()
    assert not any("still active" in m for m in caplog.messages)  # no real admin at the first start

    second: RunningServer = await start_server()
    assert any("the bootstrap admin token is still active although 1 admin user(s)" in m for m in caplog.messages)
    async with httpx.AsyncClient(base_url=second.http_url, timeout=API_TIMEOUT_S) as http:
        # The token revokes itself: allowed, since root can take over.
        revoked = await http.delete("/api/v1/api-keys/bootstrap", headers=bearer(ADMIN_TOKEN))
        assert revoked.status_code == 200, revoked.text
        assert (await http.get("/api/v1/auth/me", headers=bearer(ADMIN_TOKEN))).status_code == 401
    await second.app.stop()
    caplog.clear()

    third: RunningServer = await start_server()
    assert any("VOLTLINE_ADMIN_TOKEN was revoked and stays revoked" in m for m in caplog.messages)
    assert not any("still active" in m for m in caplog.messages)
    assert ADMIN_TOKEN not in caplog.text
    async with httpx.AsyncClient(base_url=third.http_url, timeout=API_TIMEOUT_S) as http:
        assert (await http.get("/api/v1/auth/me", headers=bearer(ADMIN_TOKEN))).status_code == 401
