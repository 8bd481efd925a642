"""Restarting the server with thousands of stations attached (robustness issue, item 23): a graceful restart
(SIGTERM) and a crash (kill -9), each with the whole fleet connected and a tenth of it charging. Every
station reconnects and boots again by itself, the charging ones carry on with the same transaction ids, and
in the end every transaction is there once, stopped, with every reading acknowledged to it.
"""

from __future__ import annotations

import asyncio
import base64
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidMessage, InvalidStatus

from tests.e2e.test_crash_recovery import ServerProcess
from tests.support.wiring import open_storage
from voltline.areas.transactions.model import Transaction
from voltline.areas.transactions.ports import TRANSACTIONS, TransactionFilter
from voltline.kernel.storage import UnitOfWork

FLEET = 2000  # half 1.6, half 2.0.1
CHARGING_EVERY = 10  # every tenth station charges across the restarts
REATTACH_WITHIN = 60.0  # seconds for the whole fleet to be back after a restart


def password_of(station_id: str) -> str:
    return f"pw-{station_id}-restart-secret"


def boot_payload(version: str) -> dict[str, Any]:
    if version == "ocpp1.6":
        return {"chargePointVendor": "Acme", "chargePointModel": "Restart"}
    return {"reason": "PowerUp", "chargingStation": {"model": "Restart", "vendorName": "Acme"}}


def reading(wh: int, at: str, version: str) -> dict[str, Any]:
    value: int | str = str(wh) if version == "ocpp1.6" else wh  # 1.6 spells sampled values as strings
    return {"timestamp": at, "sampledValue": [{"value": value, "measurand": "Energy.Active.Import.Register"}]}


class AttachedStation:
    """A station that, like a real one, reconnects with a randomised back-off and boots again whenever its
    connection is lost."""

    def __init__(self, ocpp_port: int, station_id: str, version: str) -> None:
        self.url = f"ws://127.0.0.1:{ocpp_port}/ocpp/{station_id}"
        self.station_id = station_id
        self.version = version
        token = base64.b64encode(f"{station_id}:{password_of(station_id)}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}
        self.ws: ClientConnection | None = None
        self.counter = 0
        self.attachments = 0
        self.tx_id: int | str | None = None

    async def attach(self, rng: random.Random) -> None:
        deadline = time.monotonic() + REATTACH_WITHIN
        while True:
            try:
                ws = await connect(
                    self.url,
                    subprotocols=[self.version],
                    additional_headers=self.headers,
                    open_timeout=10,  # type: ignore[list-item]
                )
                self.ws = ws
                answer = await self.call("BootNotification", boot_payload(self.version))
                assert answer["status"] == "Accepted", answer
                self.attachments += 1
                return
            except (OSError, TimeoutError, ConnectionClosed, InvalidStatus, InvalidMessage):
                if time.monotonic() > deadline:
                    raise
                self.ws = None
                await asyncio.sleep(rng.uniform(0.1, 1.0))

    async def call(self, action: str, payload: dict[str, Any]) -> Any:
        assert self.ws is not None
        self.counter += 1
        message_id = f"{self.station_id}-{self.counter}"
        await self.ws.send(orjson.dumps([2, message_id, action, payload]).decode())
        while True:
            answer = orjson.loads(await asyncio.wait_for(self.ws.recv(), 15))
            if answer[0] == 2:  # the CSMS asks something after the boot: this plain station supports nothing
                error = [4, answer[1], "NotSupported", f"{answer[2]} is not supported by this station", {}]
                await self.ws.send(orjson.dumps(error).decode())
                continue
            assert answer[:2] == [3, message_id], answer
            return answer[2]

    async def lost(self) -> None:
        """Wait until the server dropped this connection."""
        assert self.ws is not None
        await asyncio.wait_for(self.ws.wait_closed(), 30)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    # -- a transaction, spelled per version ---------------------------------------------------------

    async def start(self) -> None:
        if self.version == "ocpp1.6":
            answer = await self.call(
                "StartTransaction",
                {"connectorId": 1, "idTag": "TAG-R", "meterStart": 1000, "timestamp": "2026-11-24T08:00:00Z"},
            )
            self.tx_id = answer["transactionId"]
        else:
            self.tx_id = f"tx-{self.station_id}"
            await self.transaction_event("Started", 0, 1000, "2026-11-24T08:00:00Z")

    async def meter(self, seq_no: int, wh: int, at: str) -> None:
        if self.version == "ocpp1.6":
            await self.call(
                "MeterValues",
                {"connectorId": 1, "transactionId": self.tx_id, "meterValue": [reading(wh, at, self.version)]},
            )
        else:
            await self.transaction_event("Updated", seq_no, wh, at)

    async def stop(self, seq_no: int, wh: int, at: str) -> None:
        if self.version == "ocpp1.6":
            await self.call("StopTransaction", {"transactionId": self.tx_id, "meterStop": wh, "timestamp": at})
        else:
            await self.transaction_event("Ended", seq_no, wh, at)

    async def transaction_event(self, kind: str, seq_no: int, wh: int, at: str) -> None:
        info: dict[str, Any] = {"transactionId": self.tx_id}
        if kind == "Ended":
            info["stoppedReason"] = "Local"
        trigger = {"Started": "Authorized", "Updated": "MeterValuePeriodic", "Ended": "StopAuthorized"}[kind]
        await self.call(
            "TransactionEvent",
            {
                "eventType": kind,
                "timestamp": at,
                "triggerReason": trigger,
                "seqNo": seq_no,
                "transactionInfo": info,
                "evse": {"id": 1, "connectorId": 1},
                "meterValue": [reading(wh, at, self.version)],
            },
        )


def import_fleet(server: ServerProcess, tmp_path: Path, ids: list[str]) -> None:
    csv = tmp_path / "fleet.csv"
    csv.write_text("id,password,security_profile\n" + "".join(f"{i},{password_of(i)},1\n" for i in ids))
    subprocess.run(
        [sys.executable, "-m", "voltline", "stations", "import", str(csv)],
        env=server.env,
        check=True,
        capture_output=True,
    )


async def attach_all(stations: list[AttachedStation], rng: random.Random) -> float:
    began = time.monotonic()
    await asyncio.gather(*(station.attach(rng) for station in stations))
    return time.monotonic() - began


@pytest.mark.timeout(400)
async def test_a_fleet_reconnects_after_a_graceful_restart_and_after_a_crash(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path)
    ids = [f"RS16-{n:04d}" for n in range(FLEET // 2)] + [f"RS201-{n:04d}" for n in range(FLEET // 2)]
    import_fleet(server, tmp_path, ids)
    await server.start()
    stations = [AttachedStation(server.ocpp_port, i, "ocpp1.6" if i.startswith("RS16") else "ocpp2.0.1") for i in ids]
    charging = stations[::CHARGING_EVERY]
    rng = random.Random(20261124)
    try:
        first = await attach_all(stations, rng)
        await asyncio.gather(*(s.start() for s in charging))
        await asyncio.gather(*(s.meter(1, 2000, "2026-11-24T08:10:00Z") for s in charging))

        # A graceful restart: every station is told (close 1001), comes back by itself, and carries on.
        assert server.terminate() == 0
        await asyncio.gather(*(s.lost() for s in stations))
        await server.start()
        after_restart = await attach_all(stations, rng)
        await asyncio.gather(*(s.meter(2, 3000, "2026-11-24T08:20:00Z") for s in charging))

        # A crash: the connections just break; the fleet reconnects and finishes charging.
        server.kill()
        await asyncio.gather(*(s.lost() for s in stations))
        await server.start()
        after_crash = await attach_all(stations, rng)
        await asyncio.gather(*(s.stop(3, 4000, "2026-11-24T08:30:00Z") for s in charging))

        listed: list[dict[str, Any]] = []
        async with server.api() as api:
            while True:
                response = await api.get("/api/v1/stations", params={"limit": 1000, "offset": len(listed)})
                if not (items := response.json()["items"]):
                    break
                listed.extend(items)
        online = {row["id"] for row in listed if row["online"]}
    finally:
        await asyncio.gather(*(s.close() for s in stations), return_exceptions=True)
        if server.process is not None and server.process.poll() is None:
            server.kill()
    print(
        f"\n{FLEET} stations attached in {first:.1f} s; back after SIGTERM in {after_restart:.1f} s, "
        f"after kill -9 in {after_crash:.1f} s"
    )

    assert all(s.attachments == 3 for s in stations)
    assert online == set(ids)  # the server sees every station as connected again

    storage = await open_storage(server.env["VOLTLINE_DATABASE_URL"])

    async def everything(uow: UnitOfWork) -> tuple[list[Transaction], dict[int, list[float]]]:
        txs = await uow[TRANSACTIONS].list(TransactionFilter(limit=1_000_000))
        readings = {tx.id: sorted(v.value for v in await uow[TRANSACTIONS].meter_values(tx.id)) for tx in txs}
        return txs, readings

    try:
        txs, readings = await storage.read(everything)
    finally:
        await storage.close()
    by_station = {tx.station_id: tx for tx in txs}
    assert len(txs) == len(by_station) == len(charging)  # one transaction per charging station, none doubled
    for station in charging:
        tx = by_station[station.station_id]
        assert tx.station_tx_id == str(station.tx_id)  # the same transaction all along
        assert tx.stopped_at is not None and tx.meter_stop_wh == 4000
        assert tx.energy_wh == 3000
        expected = [2000.0, 3000.0] if station.version == "ocpp1.6" else [1000.0, 2000.0, 3000.0, 4000.0]
        assert readings[tx.id] == expected
