"""kill -9 of the server right after it answered: what was acknowledged is there after a restart, and the
station's retry of the same message gets the same answer."""

from __future__ import annotations

import asyncio
import base64
import itertools
import os
import random
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidMessage, InvalidStatus

from tests.e2e.conftest import ADMIN_TOKEN, STATION_PASSWORD
from tests.support.ports import free_port
from tests.support.schema_check import assert_server_frames_valid
from tests.support.waiting import eventually
from tests.support.wiring import open_storage
from voltline.areas.transactions.model import Transaction
from voltline.areas.transactions.ports import TRANSACTIONS, TransactionFilter
from voltline.kernel.storage import UnitOfWork


class ServerProcess:
    """`voltline serve` in its own process, as an operator runs it."""

    def __init__(self, tmp_path: Path) -> None:
        self.ocpp_port = free_port()
        self.http_port = free_port()
        self.env = {
            **os.environ,
            "VOLTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}",
            "VOLTLINE_ADMIN_TOKEN": ADMIN_TOKEN,
            "VOLTLINE_OCPP_HOST": "127.0.0.1",
            "VOLTLINE_OCPP_PORT": str(self.ocpp_port),
            "VOLTLINE_HTTP_HOST": "127.0.0.1",
            "VOLTLINE_HTTP_PORT": str(self.http_port),
            "VOLTLINE_LOG_LEVEL": "WARNING",
        }
        self.log = tmp_path / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def _spawn(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "voltline", "serve"], env=self.env, stdout=log, stderr=log
            )

    async def start(self) -> None:
        self._spawn()  # Popen returns at once; the wait for readiness below is asynchronous

        async def healthy() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                async with httpx.AsyncClient() as client:
                    return (await client.get(f"http://127.0.0.1:{self.http_port}/health")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(healthy, within=30, every=0.1)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def terminate(self) -> int:
        assert self.process is not None
        self.process.terminate()
        return self.process.wait(20)

    def api(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.http_port}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )

    async def station(self, station_id: str, version: str, transcript: list[tuple[str, bytes]]) -> ClientConnection:
        auth = base64.b64encode(f"{station_id}:{STATION_PASSWORD}".encode()).decode()
        ws = await connect(
            f"ws://127.0.0.1:{self.ocpp_port}/ocpp/{station_id}",
            subprotocols=[version],  # type: ignore[list-item]
            additional_headers={"Authorization": f"Basic {auth}"},
        )
        ws.transcript = transcript  # type: ignore[attr-defined]
        return ws


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[ServerProcess]:
    process = ServerProcess(tmp_path)
    await process.start()
    yield process
    if process.process is not None and process.process.poll() is None:
        process.kill()


async def call(ws: ClientConnection, message_id: str, action: str, payload: dict[str, Any]) -> Any:
    frame = orjson.dumps([2, message_id, action, payload])
    ws.transcript.append(("out", frame))  # type: ignore[attr-defined]
    await ws.send(frame.decode())
    raw = await asyncio.wait_for(ws.recv(), 10)
    ws.transcript.append(("in", raw.encode() if isinstance(raw, str) else raw))  # type: ignore[attr-defined]
    answer = orjson.loads(raw)
    assert answer[0] == 3 and answer[1] == message_id, answer
    return answer[2]


@pytest.fixture
def transcript() -> Iterator[list[tuple[str, bytes]]]:
    frames: list[tuple[str, bytes]] = []
    yield frames


async def test_v16_start_and_stop_survive_kill_9_and_retries_get_the_same_answers(
    server: ServerProcess, transcript: list[tuple[str, bytes]]
) -> None:
    async with server.api() as api:
        assert (await api.put("/api/v1/stations/CRASH-16", json={"password": STATION_PASSWORD})).status_code == 201
        assert (await api.post("/api/v1/id-tokens", json={"id_token": "TAG-K9"})).status_code == 201

    ws = await server.station("CRASH-16", "ocpp1.6", transcript)
    boot = await call(ws, "b1", "BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "K9"})
    assert boot["status"] == "Accepted"
    start = {"connectorId": 1, "idTag": "TAG-K9", "meterStart": 1000, "timestamp": "2026-11-23T10:00:00Z"}
    first = await call(ws, "s1", "StartTransaction", start)
    server.kill()  # right after the answer

    await server.start()
    ws = await server.station("CRASH-16", "ocpp1.6", transcript)
    retry = await call(ws, "s1-retry", "StartTransaction", start)
    assert retry["transactionId"] == first["transactionId"]
    assert retry["idTagInfo"]["status"] == "Accepted"
    stop = {"transactionId": first["transactionId"], "meterStop": 4500, "timestamp": "2026-11-23T11:00:00Z"}
    assert await call(ws, "e1", "StopTransaction", stop) == {}  # no idTag sent, so no idTagInfo
    server.kill()

    await server.start()
    async with server.api() as api:
        txs = (await api.get("/api/v1/transactions", params={"station_id": "CRASH-16"})).json()
        assert len(txs) == 1, txs
        detail = (await api.get(f"/api/v1/transactions/{txs[0]['id']}")).json()
    assert detail["station_transaction_id"] == str(first["transactionId"])
    assert detail["active"] is False
    assert detail["meter_stop_wh"] == 4500 and detail["energy_wh"] == 3500

    ws = await server.station("CRASH-16", "ocpp1.6", transcript)
    # the retried stop is acknowledged, and does not stop the transaction a second time
    await call(ws, "e1-retry", "StopTransaction", {**stop, "meterStop": 9999})
    async with server.api() as api:
        again = (await api.get(f"/api/v1/transactions/{txs[0]['id']}")).json()
    assert again["meter_stop_wh"] == 4500
    await ws.close()
    assert server.terminate() == 0  # SIGTERM: a clean, graceful exit
    assert assert_server_frames_valid("ocpp1.6", transcript) == 5


async def test_v201_transaction_event_survives_kill_9(
    server: ServerProcess, transcript: list[tuple[str, bytes]]
) -> None:
    async with server.api() as api:
        await api.put("/api/v1/stations/CRASH-201", json={"password": STATION_PASSWORD})
    ws = await server.station("CRASH-201", "ocpp2.0.1", transcript)
    boot = await call(
        ws, "b1", "BootNotification", {"reason": "PowerUp", "chargingStation": {"model": "K9", "vendorName": "Acme"}}
    )
    assert boot["status"] == "Accepted"
    meter = [
        {
            "timestamp": "2026-11-23T10:00:00Z",
            "sampledValue": [{"value": 2000, "measurand": "Energy.Active.Import.Register"}],
        }
    ]
    started = {
        "eventType": "Started",
        "timestamp": "2026-11-23T10:00:00Z",
        "triggerReason": "Authorized",
        "seqNo": 0,
        "transactionInfo": {"transactionId": "tx-k9"},
        "evse": {"id": 1, "connectorId": 1},
        "meterValue": meter,
    }
    await call(ws, "t0", "TransactionEvent", started)
    server.kill()

    await server.start()
    ws = await server.station("CRASH-201", "ocpp2.0.1", transcript)
    await call(ws, "t0-retry", "TransactionEvent", started)
    ended = {
        **started,
        "eventType": "Ended",
        "seqNo": 1,
        "timestamp": "2026-11-23T10:30:00Z",
        "triggerReason": "StopAuthorized",
        "transactionInfo": {"transactionId": "tx-k9", "stoppedReason": "Local"},
        "meterValue": [
            {
                "timestamp": "2026-11-23T10:30:00Z",
                "sampledValue": [
                    {"value": 7.5, "measurand": "Energy.Active.Import.Register", "unitOfMeasure": {"unit": "kWh"}}
                ],
            }
        ],
    }
    await call(ws, "t1", "TransactionEvent", ended)
    server.kill()

    await server.start()
    async with server.api() as api:
        txs = (await api.get("/api/v1/transactions", params={"station_id": "CRASH-201"})).json()
        assert len(txs) == 1
        detail = (await api.get(f"/api/v1/transactions/{txs[0]['id']}")).json()
    assert detail["station_transaction_id"] == "tx-k9"
    assert detail["active"] is False
    assert detail["energy_wh"] == pytest.approx(5500)
    assert assert_server_frames_valid("ocpp2.0.1", transcript) == 4


class FleetStation:
    """A 1.6 station that charges in a loop and, like a real one, resends an unanswered message after it
    reconnects. Every answered message goes into the ledger: what the server acknowledged."""

    def __init__(self, server: ServerProcess, station_id: str, ledger: list[tuple[str, str, Any, Any]]) -> None:
        self.server = server
        self.station_id = station_id
        self.ledger = ledger
        self.ws: ClientConnection | None = None
        self.counter = 0
        # Checked by both loops: on Python 3.11 asyncio.wait_for can swallow a cancellation that arrives as
        # its inner call completes, so a cancel alone may leave a loop running (and the test hanging).
        self.running = True

    async def call(self, action: str, payload: dict[str, Any]) -> Any:
        while self.running:
            try:
                if self.ws is None:
                    self.ws = await connect(
                        f"ws://127.0.0.1:{self.server.ocpp_port}/ocpp/{self.station_id}",
                        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
                        open_timeout=2,
                    )
                    await self.ws.send(
                        orjson.dumps(
                            [2, "boot", "BootNotification", {"chargePointVendor": "K9", "chargePointModel": "F"}]
                        ).decode()
                    )
                    await asyncio.wait_for(self.ws.recv(), 5)
                self.counter += 1
                await self.ws.send(orjson.dumps([2, f"m{self.counter}", action, payload]).decode())
                answer = orjson.loads(await asyncio.wait_for(self.ws.recv(), 5))
                assert answer[0] == 3, answer  # never a CALLERROR for these valid messages
                self.ledger.append((self.station_id, action, payload, answer[2]))
                return answer[2]
            except (OSError, TimeoutError, ConnectionClosed, InvalidStatus, InvalidMessage):
                self.ws = None
                await asyncio.sleep(0.1)  # the server is down: try again, the same message
        raise asyncio.CancelledError

    async def charge_forever(self, sessions: itertools.count[int]) -> None:
        while self.running:
            session = next(sessions)
            stamp = f"2026-11-23T{session // 3600 % 24:02d}:{session // 60 % 60:02d}:{session % 60:02d}Z"
            start = {"connectorId": 1, "idTag": "K9-TAG", "meterStart": session * 1000, "timestamp": stamp}
            tx = (await self.call("StartTransaction", start))["transactionId"]
            for step in range(1, 4):
                reading = {
                    "timestamp": stamp[:-1] + f".{step}Z",
                    "sampledValue": [{"value": str(session * 1000 + step)}],
                }
                await self.call("MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": [reading]})
            await self.call(
                "StopTransaction", {"transactionId": tx, "meterStop": session * 1000 + 5, "timestamp": stamp}
            )


@pytest.mark.timeout(300)  # 20 restarts of a real server; about a minute on the development machine
async def test_repeated_kill_9_under_a_charging_fleet_loses_and_doubles_nothing(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path)
    server.env["VOLTLINE_UNKNOWN_STATIONS"] = "accept"
    await server.start()
    ledger: list[tuple[str, str, Any, Any]] = []
    sessions = itertools.count(1)
    fleet = [FleetStation(server, f"FLEET-{n}", ledger) for n in range(8)]
    tasks = [asyncio.create_task(station.charge_forever(sessions)) for station in fleet]
    rng = random.Random(20261123)
    try:
        for _ in range(20):
            await asyncio.sleep(rng.uniform(0.3, 0.9))
            server.kill()
            await asyncio.sleep(rng.uniform(0.0, 0.2))
            await server.start()
        await asyncio.sleep(0.5)
    finally:
        for station in fleet:
            station.running = False
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=15)
        server.kill()

    assert sum(1 for _, action, _, _ in ledger if action == "StopTransaction") >= 20  # the fleet did charge
    storage = await open_storage(server.env["VOLTLINE_DATABASE_URL"])

    async def everything(uow: UnitOfWork) -> tuple[list[Transaction], dict[int, list[float]]]:
        txs = await uow[TRANSACTIONS].list(TransactionFilter(limit=1_000_000))
        readings = {tx.id: [v.value for v in await uow[TRANSACTIONS].meter_values(tx.id)] for tx in txs}
        return txs, readings

    try:
        txs, readings = await storage.read(everything)  # one session: the ledger can hold thousands of entries
    finally:
        await storage.close()
    by_id = {tx.id: tx for tx in txs}
    # No transaction twice: every start (station, timestamp, meterStart) made exactly one.
    keys = [(tx.station_id, tx.started_at, tx.meter_start_wh) for tx in txs]
    assert len(keys) == len(set(keys))
    for station_id, action, payload, answer in ledger:
        if action == "StartTransaction":
            tx = by_id[answer["transactionId"]]  # acknowledged, so it is there
            assert (tx.station_id, tx.meter_start_wh) == (station_id, payload["meterStart"])
        elif action == "StopTransaction":
            tx = by_id[payload["transactionId"]]
            assert tx.stopped_at is not None and tx.meter_stop_wh == payload["meterStop"]
        elif action == "MeterValues":
            wanted = float(payload["meterValue"][0]["sampledValue"][0]["value"])
            assert readings[payload["transactionId"]].count(wanted) == 1  # stored, and once
