"""The simulator as a real station against the real server (issue 10 point 15): it reconnects after a server
restart with its transaction going on and delivers what it queued meanwhile, in order; it obeys Reset on
both versions (stops its transactions, reboots, boots again); it takes terminal commands (a card, the
cable, a fault, the network), refusals included; `voltline simulate` prints a status line while charging.
Every frame of both directions is checked against the OCA schemas."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from tests.e2e.conftest import ADMIN_TOKEN, API_TIMEOUT_S, STATION_PASSWORD, RunningServer, ServerFactory
from tests.support.ports import free_port
from tests.support.schema_check import assert_server_frames_valid, assert_station_frames_valid
from tests.support.waiting import eventually
from voltline.simulator import SimulatedStation
from voltline.simulator.terminal import HELP, StationTerminal

VERSIONS = ["1.6", "2.0.1"]
# A station as the CLI runs it, on a fast clock: a sample every 0.1 s, ten simulated minutes per second.
LIFELIKE: dict[str, Any] = {
    "meter_interval": 0.1,
    "time_scale": 600.0,
    "call_timeout": 5.0,
    "reconnect": True,
    "reconnect_initial": 0.05,
    "reconnect_max": 0.3,
    "reboot_on_reset": True,
    "reboot_delay": 0.1,
}


@contextlib.asynccontextmanager
async def api_of(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=server.http_url, headers=headers, timeout=API_TIMEOUT_S) as client:
        yield client


async def register(api: httpx.AsyncClient, station_id: str, *tokens: tuple[str, str]) -> None:
    assert (await api.put(f"/api/v1/stations/{station_id}", json={"password": STATION_PASSWORD})).status_code == 201
    for token, status in tokens:
        created = await api.post("/api/v1/id-tokens", json={"id_token": token, "type": "ISO14443", "status": status})
        assert created.status_code == 201, created.text


@contextlib.asynccontextmanager
async def running(station: SimulatedStation) -> AsyncIterator[asyncio.Task[None]]:
    runner = asyncio.create_task(station.run())
    try:
        yield runner
    finally:
        await station.close()
        await asyncio.wait_for(runner, 5)  # run() returns once closed, whatever happened before
    assert_station_frames_valid(station.version, station.transcript)
    assert_server_frames_valid(station.version, station.transcript)


def calls_out(station: SimulatedStation, action: str) -> list[dict[str, Any]]:
    frames = [orjson.loads(raw) for direction, raw in station.transcript if direction == "out"]
    return [frame[3] for frame in frames if frame[0] == 2 and frame[2] == action]


def energy_of(payload: dict[str, Any]) -> int | None:
    for meter_value in payload.get("meterValue") or payload.get("transactionData") or []:
        for sampled in meter_value["sampledValue"]:
            if sampled.get("measurand") == "Energy.Active.Import.Register":
                return int(float(sampled["value"]))
    return None


def readings_out(station: SimulatedStation) -> list[int]:
    """The energy register of every transaction reading the station sent, in the order it sent them."""
    action = "MeterValues" if station.version.value == "ocpp1.6" else "TransactionEvent"
    return [e for p in calls_out(station, action) if (e := energy_of(p)) is not None and "meterStart" not in p]


async def view(api: httpx.AsyncClient, station_id: str) -> dict[str, Any]:
    response = await api.get(f"/api/v1/stations/{station_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def statuses(api: httpx.AsyncClient, station_id: str) -> list[str] | None:
    body = await view(api, station_id)
    return [c["status"] for c in body["connectors"]] if body["online"] and body["connectors"] else None


async def status_is(api: httpx.AsyncClient, station_id: str, expected: str) -> bool:
    return await statuses(api, station_id) == [expected]


async def transactions(api: httpx.AsyncClient, station_id: str) -> list[dict[str, Any]]:
    body = (await api.get("/api/v1/transactions", params={"station_id": station_id})).json()
    items: list[dict[str, Any]] = body["items"] if isinstance(body, dict) else body
    return items


async def the_transaction(api: httpx.AsyncClient, station_id: str) -> dict[str, Any]:
    (tx,) = await transactions(api, station_id)
    detail: dict[str, Any] = (await api.get(f"/api/v1/transactions/{tx['id']}")).json()
    return detail


async def holds(condition: bool) -> bool:
    return condition


@pytest.mark.parametrize("version", VERSIONS)
async def test_reconnects_after_a_server_restart_and_delivers_what_it_queued_in_order(
    start_server: ServerFactory, version: str
) -> None:
    port = free_port()
    server: RunningServer = await start_server(ocpp_port=port)
    station_id = f"CP-RESTART-{version}"
    async with api_of(server) as api:
        await register(api, station_id, ("TAG-RESTART", "Accepted"))
    station = SimulatedStation(server.ocpp_url, station_id, version, password=STATION_PASSWORD, **LIFELIKE)
    async with running(station):
        async with api_of(server) as api:
            await eventually(lambda: status_is(api, station_id, "Available"))
        assert "plugged in" in await station.plug(1)
        assert "charging for TAG-RESTART" in await station.swipe("TAG-RESTART")
        tx_id = station.transaction_id(1)
        await eventually(lambda: holds(len(readings_out(station)) >= 2))

        await server.app.stop()  # closes every station connection (1001), as a restart does
        await eventually(lambda: holds(len(station.outbox) >= 3))  # still charging: readings pile up
        assert station.transaction_id(1) == tx_id and not station.connected
        queued = station.outbox.peek()
        if version == "2.0.1":
            events = [m for m in queued if m.action == "TransactionEvent"]
            # The oldest may have been in flight when the connection closed: it happened while online, so it
            # is sent again unflagged; every one taken after the link went down says it was offline.
            assert len(events) >= 2 and all(m.payload.get("offline") is True for m in events[1:])
        queued_energy = {energy_of(m.payload) for m in queued}

        server = await start_server(ocpp_port=port)  # same database, same port
        async with api_of(server) as api:
            await eventually(lambda: status_is(api, station_id, "Charging" if version == "1.6" else "Occupied"))
            await eventually(lambda: holds(station.connected and not station.outbox))
            assert "stopped by TAG-RESTART" in await station.swipe("TAG-RESTART")
            detail = await eventually(lambda: _stopped(api, station_id))
    assert str(detail["station_transaction_id"]) == str(tx_id)  # the same transaction went on across the restart
    recorded = {int(v["value"]) for v in detail["meter_values"] if v["measurand"] == "Energy.Active.Import.Register"}
    assert queued_energy <= recorded  # every reading taken while the server was down reached it
    readings = readings_out(station)
    assert readings == sorted(readings)  # oldest first: the queue kept the order they were taken in
    assert len(calls_out(station, "BootNotification")) == 1  # accepted before: a reconnect is no reboot
    assert any(e.kind == "reconnecting" for e in station.events)


async def _stopped(api: httpx.AsyncClient, station_id: str) -> dict[str, Any] | None:
    detail = await the_transaction(api, station_id)
    return None if detail["active"] else detail


@pytest.mark.parametrize(
    ("version", "reset", "stop_reason"),
    [("1.6", "Soft", "SoftReset"), ("1.6", "Hard", "HardReset"), ("2.0.1", "Immediate", "ImmediateReset")],
)
async def test_reset_stops_the_transaction_reboots_and_boots_again(
    server: RunningServer, api: httpx.AsyncClient, version: str, reset: str, stop_reason: str
) -> None:
    station_id = f"CP-RESET-{version}-{reset}"
    await register(api, station_id, ("TAG-RESET", "Accepted"))
    station = SimulatedStation(server.ocpp_url, station_id, version, password=STATION_PASSWORD, **LIFELIKE)
    async with running(station):
        await eventually(lambda: status_is(api, station_id, "Available"))
        await station.plug(1)
        await station.swipe("TAG-RESET")
        await eventually(lambda: holds(len(readings_out(station)) >= 1))

        answer = await api.post(f"/api/v1/stations/{station_id}/ocpp/Reset", json={"type": reset})
        assert answer.status_code == 200, answer.text
        assert "Accepted" in answer.text
        await eventually(lambda: holds(len(calls_out(station, "BootNotification")) == 2))
        await eventually(lambda: status_is(api, station_id, "Preparing" if version == "1.6" else "Occupied"))
        detail = await eventually(lambda: _stopped(api, station_id))
        assert station.transaction_id(1) is None and station.registration_status == "Accepted"
    assert detail["stop_reason"] == stop_reason
    boots = calls_out(station, "BootNotification")
    if version == "1.6":
        (stop,) = calls_out(station, "StopTransaction")
        assert stop["reason"] == stop_reason
    else:
        assert [b["reason"] for b in boots] == ["PowerUp", "RemoteReset"]
        ended = [e for e in calls_out(station, "TransactionEvent") if e["eventType"] == "Ended"]
        assert [(e["triggerReason"], e["transactionInfo"]["stoppedReason"]) for e in ended] == [
            ("ResetCommand", "ImmediateReset")
        ]
    # Rebooted: the stop went out before the connection dropped, the statuses after the new boot.
    out = [orjson.loads(raw) for d, raw in station.transcript if d == "out"]
    calls = [(i, f[2], f[3]) for i, f in enumerate(out) if f[0] == 2]
    boot_at = [i for i, action, _ in calls if action == "BootNotification"]
    stop_at = [i for i, action, p in calls if action == "StopTransaction" or _ended(action, p)]
    assert boot_at[0] < stop_at[-1] < boot_at[1]
    assert any(action == "StatusNotification" and i > boot_at[1] for i, action, _ in calls)
    assert any(e.kind == "reset" for e in station.events)


def _ended(action: str, payload: dict[str, Any]) -> bool:
    return action == "TransactionEvent" and payload["eventType"] == "Ended"


async def test_reset_on_idle_waits_for_the_transaction_to_end(server: RunningServer, api: httpx.AsyncClient) -> None:
    station_id = "CP-RESET-ONIDLE"
    await register(api, station_id, ("TAG-IDLE", "Accepted"))
    station = SimulatedStation(server.ocpp_url, station_id, "2.0.1", password=STATION_PASSWORD, **LIFELIKE)
    async with running(station):
        await eventually(lambda: status_is(api, station_id, "Available"))
        await station.plug(1)
        await station.swipe("TAG-IDLE")
        answer = await api.post(f"/api/v1/stations/{station_id}/ocpp/Reset", json={"type": "OnIdle"})
        assert answer.status_code == 200 and "Scheduled" in answer.text, answer.text
        await asyncio.sleep(0.5)
        assert len(calls_out(station, "BootNotification")) == 1 and station.transaction_id(1) is not None
        assert "stopped by TAG-IDLE" in await station.swipe("TAG-IDLE")  # the driver ends the charge...
        await eventually(lambda: holds(len(calls_out(station, "BootNotification")) == 2))  # ...then it reboots
        await eventually(lambda: status_is(api, station_id, "Occupied"))  # the cable is still in
    assert calls_out(station, "BootNotification")[-1]["reason"] == "RemoteReset"
    assert (await the_transaction(api, station_id))["stop_reason"] == "Local"


@pytest.mark.parametrize("version", VERSIONS)
async def test_terminal_commands_through_the_real_connection(
    server: RunningServer, api: httpx.AsyncClient, version: str
) -> None:
    station_id = f"CP-TERM-{version}"
    await register(api, station_id, ("GOOD-CARD", "Accepted"), ("BLOCKED-CARD", "Blocked"))
    station = SimulatedStation(server.ocpp_url, station_id, version, password=STATION_PASSWORD, **LIFELIKE)
    printed: list[str] = []
    terminal = StationTerminal(station, printed.append)

    async def say(line: str) -> str:
        printed.clear()
        assert await terminal.execute(line) is True
        return "\n".join(printed)

    v16 = version == "1.6"
    async with running(station):
        await eventually(lambda: status_is(api, station_id, "Available"))
        assert await say("help") == HELP
        assert "unknown command 'dance'" in await say("dance")
        # Refusals, as the CSMS says them: nothing starts.
        assert await say("swipe NO-SUCH-CARD") == "NO-SUCH-CARD refused: Invalid"
        assert await say("swipe BLOCKED-CARD") == "BLOCKED-CARD refused: Blocked"
        assert "no connector 7" in await say("plug 7")
        assert "not a connector number" in await say("unplug one")
        # A card first, then the cable: the charge starts when it is plugged in.
        assert "GOOD-CARD accepted; plug the cable in" in await say("swipe GOOD-CARD")
        await eventually(lambda: status_is(api, station_id, "Preparing" if v16 else "Occupied"))
        assert "charging for GOOD-CARD" in await say("plug")
        await eventually(lambda: _active(api, station_id))
        assert "Charging" in await say("status")
        # The network goes: readings and the stop by the same card are queued, and delivered on return.
        assert "offline" in await say("offline")
        await eventually(lambda: _offline(api, station_id))
        await eventually(lambda: holds(len(station.outbox) >= 2))
        assert "stopped by GOOD-CARD" in await say("swipe GOOD-CARD")
        assert "queued message(s)" in await say("status")
        assert await say("online") == "going online"
        detail = await eventually(lambda: _stopped(api, station_id))
        assert detail["stop_reason"] == "Local"
        assert "unplugged" in await say("unplug")
        await eventually(lambda: status_is(api, station_id, "Available"))
        # A fault: Faulted with its code, then cleared.
        assert "Faulted (OverCurrentFailure)" in await say("fault 1 OverCurrentFailure")
        await eventually(lambda: status_is(api, station_id, "Faulted"))
        assert "unknown error code" in await say("fault 1 Melted")
        assert await say("swipe GOOD-CARD") == "no free connector"
        assert "fault cleared" in await say("clear")
        await eventually(lambda: status_is(api, station_id, "Available"))
        assert await terminal.execute("quit") is False
        assert not station.connected
    faults = [s for s in calls_out(station, "StatusNotification") if "Faulted" in s.values()]
    if v16:
        assert [s["errorCode"] for s in faults] == ["OverCurrentFailure"]
        (stop,) = calls_out(station, "StopTransaction")
        assert stop["idTag"] == "GOOD-CARD" and stop["reason"] == "Local"
    else:
        assert len(faults) == 1
        ended = [e for e in calls_out(station, "TransactionEvent") if e["eventType"] == "Ended"]
        assert ended[0]["offline"] is True and ended[0]["triggerReason"] == "StopAuthorized"
    assert len(calls_out(station, "Authorize")) == 3  # a card that stops its own charge needs none


async def _active(api: httpx.AsyncClient, station_id: str) -> bool:
    return any(tx["active"] for tx in await transactions(api, station_id))


async def _offline(api: httpx.AsyncClient, station_id: str) -> bool:
    return not (await view(api, station_id))["online"]


async def simulate(server: RunningServer, station_id: str, *options: str) -> asyncio.subprocess.Process:
    """`voltline simulate` as a job in the background: stdin is not a terminal, so it takes no commands."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "voltline",
        "simulate",
        "--url",
        server.ocpp_url,
        "--id",
        station_id,
        *options,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "COLUMNS": "200"},
    )


async def finished(process: asyncio.subprocess.Process, within: float = 20) -> tuple[str, str]:
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), within)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return stdout.decode(), stderr.decode()


async def test_voltline_simulate_prints_a_status_line_while_charging(
    server: RunningServer, api: httpx.AsyncClient
) -> None:
    station_id = "CP-CLI-LINE"
    await register(api, station_id, ("CLI-CARD", "Accepted"))
    process = await simulate(
        server, station_id, "--password", STATION_PASSWORD, "--meter-interval", "0.3", "--duration", "4"
    )
    try:
        await eventually(lambda: status_is(api, station_id, "Available"), within=15)
        started = await api.post(f"/api/v1/stations/{station_id}/remote-start", json={"id_token": "CLI-CARD"})
        assert started.status_code == 200, started.text
    finally:
        stdout, stderr = await finished(process)
    assert process.returncode == 0, stderr  # --duration ends it cleanly
    lines = re.findall(rf"{station_id} conn 1 charging 22\.1 kW (\d+\.\d\d) kWh \d\d:\d\d:\d\d", stdout)
    assert len(lines) >= 2, stdout
    assert [float(x) for x in lines] == sorted(float(x) for x in lines)
    assert "Traceback" not in stderr


async def test_voltline_simulate_stops_on_sigterm_and_names_a_refusal(
    server: RunningServer, api: httpx.AsyncClient
) -> None:
    await register(api, "CP-CLI-TERM")
    process = await simulate(server, "CP-CLI-TERM", "--password", STATION_PASSWORD)
    try:
        await eventually(lambda: status_is(api, "CP-CLI-TERM", "Available"), within=15)
        process.terminate()
    finally:
        _, stderr = await finished(process)
    assert process.returncode == 0, stderr
    await eventually(lambda: _offline(api, "CP-CLI-TERM"))
    # A station the server does not know: waiting would not help, so it says why and exits 1.
    unknown = await simulate(server, "CP-NEVER-REGISTERED", "--password", STATION_PASSWORD)
    stdout, stderr = await finished(unknown)
    assert unknown.returncode == 1
    assert "HTTP 404" in stdout and "registered" in stdout, stdout + stderr
