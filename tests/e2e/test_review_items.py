"""A station naming another station's (or an unknown) transaction: answered normally, never applied, and
listed for an operator at /api/v1/review-items (robustness issue, item 12)."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.e2e.conftest import ADMIN_TOKEN, RunningServer, ServerFactory
from tests.support.schema_check import assert_server_frames_valid


@pytest.fixture
async def accepting(start_server: ServerFactory) -> RunningServer:
    server: RunningServer = await start_server(unknown_stations="accept")
    return server


async def station(server: RunningServer, station_id: str) -> ClientConnection:
    ws = await connect(f"{server.ocpp_url}/{station_id}", subprotocols=["ocpp1.6"])  # type: ignore[list-item]
    ws.transcript = []  # type: ignore[attr-defined]
    await call(ws, "BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "R"})
    return ws


async def call(ws: ClientConnection, action: str, payload: dict[str, Any]) -> Any:
    frame = orjson.dumps([2, f"{action}-{len(ws.transcript)}", action, payload])  # type: ignore[attr-defined]
    ws.transcript.append(("out", frame))  # type: ignore[attr-defined]
    await ws.send(frame.decode())
    raw = await ws.recv()
    ws.transcript.append(("in", raw.encode() if isinstance(raw, str) else raw))  # type: ignore[attr-defined]
    answer = orjson.loads(raw)
    assert answer[0] == 3, answer  # answered normally: a CALLERROR would only make the station retry
    return answer[2]


async def test_another_stations_transaction_is_left_alone_and_listed_for_review(
    accepting: RunningServer,
) -> None:
    owner = await station(accepting, "REVIEW-OWNER")
    intruder = await station(accepting, "REVIEW-INTRUDER")
    start = {"connectorId": 1, "idTag": "TAG-R", "meterStart": 100, "timestamp": "2026-11-24T10:00:00Z"}
    tx = (await call(owner, "StartTransaction", start))["transactionId"]

    stop = {"transactionId": tx, "meterStop": 999_999, "timestamp": "2026-11-24T10:05:00Z"}
    await call(intruder, "StopTransaction", stop)
    await call(intruder, "StopTransaction", {**stop, "transactionId": 987_654})  # one nobody has
    reading = {"timestamp": "2026-11-24T10:01:00Z", "sampledValue": [{"value": "5"}]}
    await call(intruder, "MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": [reading]})

    async with httpx.AsyncClient(
        base_url=accepting.http_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    ) as api:
        detail = (await api.get(f"/api/v1/transactions/{tx}")).json()
        assert detail["active"] is True and detail["meter_stop_wh"] is None  # untouched
        assert detail["meter_values"] == []
        items = (await api.get("/api/v1/review-items", params={"station_id": "REVIEW-INTRUDER"})).json()
        assert [(i["kind"], i["detail"]["action"]) for i in items] == [
            ("ForeignTransaction", "MeterValues"),
            ("UnknownTransaction", "StopTransaction"),
            ("ForeignTransaction", "StopTransaction"),
        ]
        only_unknown = (await api.get("/api/v1/review-items", params={"kind": "UnknownTransaction"})).json()
        assert [i["station_id"] for i in only_unknown] == ["REVIEW-INTRUDER"]
        assert (await api.get("/api/v1/review-items", params={"station_id": "REVIEW-OWNER"})).json() == []
        assert (await api.get("/api/v1/review-items", params={"kind": "Nope"})).status_code == 422
    for ws in (owner, intruder):
        assert_server_frames_valid("ocpp1.6", ws.transcript)  # type: ignore[attr-defined]
        await ws.close()
