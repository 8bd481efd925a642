"""The database unavailable for a while (PostgreSQL behind a proxy we cut): transaction messages are not
acknowledged while it is down, nothing acknowledged is lost, and service resumes by itself."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy.engine import make_url
from websockets.asyncio.client import ClientConnection, connect

from tests.e2e.conftest import ServerFactory
from tests.support.databases import fresh_database
from tests.support.waiting import eventually
from voltline.areas.transactions.ports import TransactionFilter
from voltline.areas.transactions.service import TransactionService

# As the robustness issue asks: half a minute without a database, the station retrying all along.
OUTAGE_SECONDS = 30


class CuttableProxy:
    """A TCP relay to PostgreSQL that can drop every link and refuse new ones, like a database outage."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._links: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        for writer in list(self._links):
            writer.transport.abort()
        self._links.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        self._links.update({writer, upstream_writer})

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


@pytest.fixture
async def postgres_url(tmp_path: Path) -> AsyncIterator[str]:
    async with fresh_database("postgresql", tmp_path) as url:
        yield url


async def call(ws: ClientConnection, message_id: str, action: str, payload: dict[str, Any]) -> list[Any]:
    await ws.send(orjson.dumps([2, message_id, action, payload]).decode())
    return list(orjson.loads(await asyncio.wait_for(ws.recv(), 30)))


def meter(value: int, second: int) -> dict[str, Any]:
    sample = {"value": str(value), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
    return {"timestamp": f"2026-11-23T10:00:{second:02d}Z", "sampledValue": [sample]}


async def test_outage_answers_internal_error_loses_nothing_and_recovers(
    postgres_url: str,  # first, so the server started below is stopped before the schema is dropped
    start_server: ServerFactory,
) -> None:
    real = make_url(postgres_url)
    proxy = CuttableProxy(real.host or "127.0.0.1", real.port or 5432)
    await proxy.start()
    through_proxy = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    server = await start_server(database_url=through_proxy, unknown_stations="accept")

    ws = await connect(f"{server.ocpp_url}/DB-OUT-1", subprotocols=["ocpp1.6"])  # type: ignore[list-item]
    boot = await call(ws, "b", "BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "X"})
    assert boot[2]["status"] == "Accepted"
    start = {"connectorId": 1, "idTag": "T1", "meterStart": 0, "timestamp": "2026-11-23T10:00:00Z"}
    started = await call(ws, "s", "StartTransaction", start)
    tx = started[2]["transactionId"]
    assert (
        await call(ws, "m1", "MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": [meter(100, 1)]})
    )[0] == 3

    await proxy.cut()  # the database is gone, for OUTAGE_SECONDS
    during = {"connectorId": 1, "transactionId": tx, "meterValue": [meter(200, 2)]}
    second_start = {"connectorId": 2, "idTag": "T2", "meterStart": 0, "timestamp": "2026-11-23T10:00:02Z"}
    loop = asyncio.get_running_loop()
    outage_ends = loop.time() + OUTAGE_SECONDS
    attempts = 0
    slowest = 0.0
    while loop.time() < outage_ends:  # the station keeps retrying, as a charger does
        attempts += 1
        began = loop.time()
        refused = await call(ws, f"m2-{attempts}", "MeterValues", during)
        assert refused[0] == 4 and refused[2] == "InternalError"  # not acknowledged
        refused = await call(ws, f"s2-{attempts}", "StartTransaction", second_start)
        assert refused[0] == 4 and refused[2] == "InternalError"
        # The station is still served where no write is needed.
        assert (await call(ws, f"h-{attempts}", "Heartbeat", {}))[0] == 3
        slowest = max(slowest, loop.time() - began)
        await asyncio.sleep(2)
    assert attempts >= OUTAGE_SECONDS // 3
    assert slowest < 5  # refusals come promptly; nothing hangs while the database is away

    await proxy.start()  # the database is back on the same address

    async def accepted_again() -> list[Any] | None:
        answer = await call(ws, "m2-retry", "MeterValues", during)
        return answer if answer[0] == 3 else None

    await eventually(accepted_again, within=20, every=0.5)
    restarted = await call(ws, "s2-retry", "StartTransaction", second_start)
    assert restarted[0] == 3 and restarted[2]["idTagInfo"]["status"] in ("Accepted", "Invalid")
    stop = {"transactionId": tx, "meterStop": 300, "timestamp": "2026-11-23T10:00:03Z"}
    assert (await call(ws, "e", "StopTransaction", stop))[0] == 3
    await ws.close()

    assert server.app.services is not None
    detail = await server.app.services[TransactionService].get(tx)
    registers = sorted(v.value for v in detail.meter_values if v.measurand == "Energy.Active.Import.Register")
    assert registers == [100.0, 200.0]  # the acknowledged reading and the retried one, each once
    assert detail.meter_stop_wh == 300 and detail.energy_wh == 300
    on_station = await server.app.services[TransactionService].list(TransactionFilter(station_id="DB-OUT-1"))
    on_connector_2 = [t for t in on_station if t.evse_id == 2]
    assert [t.station_tx_id for t in on_connector_2] == [str(restarted[2]["transactionId"])]  # once, not per retry
