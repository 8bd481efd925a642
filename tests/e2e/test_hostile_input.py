"""Hostile and malformed input over real sockets (issue 5, items 1-6 and 11): each case gets the answer the
protocol names, the connection keeps working, and another station's heartbeats are not disturbed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.e2e.conftest import ADMIN_TOKEN, RunningServer, ServerFactory
from voltline.areas.stations.service import StationService

V16, V201 = "ocpp1.6", "ocpp2.0.1"
ENVELOPE = {V16: "FormationViolation", V201: "RpcFrameworkError"}

# (name, raw frame, {version: (message id, code)} ; None means: no answer at all)
CASES: list[tuple[str, str, dict[str, tuple[str | int, str] | None]]] = [
    ("not JSON", "hello", {v: ("-1", ENVELOPE[v]) for v in (V16, V201)}),
    ("truncated JSON", '[2, "a1", "Heartbeat", {', {v: ("-1", ENVELOPE[v]) for v in (V16, V201)}),
    ("object instead of array", '{"a": 1}', {v: ("-1", ENVELOPE[v]) for v in (V16, V201)}),
    ("empty array", "[]", {v: ("-1", ENVELOPE[v]) for v in (V16, V201)}),
    ("only the type", "[2]", {v: ("-1", ENVELOPE[v]) for v in (V16, V201)}),
    ("extra element", '[2, "a2", "Heartbeat", {}, {}]', {v: ("a2", ENVELOPE[v]) for v in (V16, V201)}),
    ("deep nesting", "[" * 100_000 + "]" * 100_000, {v: ("-1", ENVELOPE[v]) for v in (V16, V201)}),
    (
        "5,000-digit number",
        '[2, "a3", "Heartbeat", {"x": ' + "9" * 5000 + "}]",
        {v: ("-1", ENVELOPE[v]) for v in (V16, V201)},
    ),
    ("message type 7", '[7, "a4", "Heartbeat", {}]', {V16: None, V201: ("a4", "MessageTypeNotSupported")}),
    ('message type "2"', '["2", "a5", "Heartbeat", {}]', {V16: None, V201: ("a5", "MessageTypeNotSupported")}),
    ("message type 2.0", '[2.0, "a6", "Heartbeat", {}]', {V16: None, V201: ("a6", "MessageTypeNotSupported")}),
    ("message type null", '[null, "a7", "Heartbeat", {}]', {V16: None, V201: ("a7", "MessageTypeNotSupported")}),
    ("37-character id", '[2, "' + "i" * 37 + '", "Heartbeat", {}]', {v: ("-1", ENVELOPE[v]) for v in (V16, V201)}),
    ("object id", '[2, {"id": 1}, "Heartbeat", {}]', {v: ("-1", ENVELOPE[v]) for v in (V16, V201)}),
    ("empty id", '[2, "", "Heartbeat", {}]', {v: ("-1", ENVELOPE[v]) for v in (V16, V201)}),
    # A numeric id is readable: echoed as sent, so the station can match the error to its request.
    ("number id", '[2, 12345, "Heartbeat", {}]', {V16: (12345, "ProtocolError"), V201: (12345, "FormatViolation")}),
    ("unknown action", '[2, "a8", "Teleport", {}]', {v: ("a8", "NotImplemented") for v in (V16, V201)}),
    # Refused before storage: a NUL (valid JSON, but no database keeps it faithfully) and a lone surrogate
    # (not valid UTF-8 once decoded, so the frame itself is unreadable).
    (
        "NUL in a vendor id",
        '[2, "a10", "DataTransfer", {"vendorId": "Acme\\u0000Evil"}]',
        {v: ("a10", "PropertyConstraintViolation") for v in (V16, V201)},
    ),
    (
        "lone surrogate in a vendor id",
        '[2, "a11", "DataTransfer", {"vendorId": "Acme\\ud800"}]',
        {v: ("-1", ENVELOPE[v]) for v in (V16, V201)},
    ),
    (
        "known action we do not support",
        '[2, "a9", "SignCertificate", {"csr": "x"}]',
        {v: ("a9", "NotSupported") for v in (V16, V201)},  # 1.6 knows it from its security extensions
    ),
]


async def open_station(server: RunningServer, station_id: str, version: str) -> ClientConnection:
    ws = await connect(f"{server.ocpp_url}/{station_id}", subprotocols=[version])  # type: ignore[list-item]
    boot = (
        {"chargePointVendor": "Acme", "chargePointModel": "X"}
        if version == V16
        else {"reason": "PowerUp", "chargingStation": {"model": "X", "vendorName": "Acme"}}
    )
    await ws.send(orjson.dumps([2, "boot", "BootNotification", boot]).decode())
    assert orjson.loads(await ws.recv())[2]["status"] == "Accepted"
    return ws


@pytest.fixture
async def accepting(start_server: ServerFactory) -> RunningServer:
    server: RunningServer = await start_server(unknown_stations="accept")
    return server


@pytest.fixture
async def bystander(accepting: RunningServer) -> AsyncIterator[list[float]]:
    """Another station heartbeating all along; yields the round-trip times it saw."""
    ws = await open_station(accepting, "BYSTANDER", V16)
    times: list[float] = []

    async def beat() -> None:
        n = 0
        while True:
            n += 1
            began = asyncio.get_running_loop().time()
            await ws.send(orjson.dumps([2, f"hb{n}", "Heartbeat", {}]).decode())
            # asyncio.timeout, not wait_for: on 3.11 wait_for loses a cancel that lands as recv() completes, and
            # this loop then never ends (the teardown hang of stop 25)
            async with asyncio.timeout(5):
                answer = orjson.loads(await ws.recv())
            assert answer[0] == 3, answer
            times.append(asyncio.get_running_loop().time() - began)
            await asyncio.sleep(0.02)

    task = asyncio.create_task(beat())
    yield times
    assert not task.done(), task.exception()  # it never failed or stopped
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await ws.close()


@pytest.mark.parametrize("version", [V16, V201])
async def test_malformed_frames_get_the_named_error_and_nobody_else_notices(
    accepting: RunningServer, bystander: list[float], version: str
) -> None:
    ws = await open_station(accepting, f"HOSTILE-{version}", version)
    for name, frame, expected in CASES:
        await ws.send(frame)
        want = expected[version]
        if want is None:  # ignored: nothing comes back, and the connection still works
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.3)
        else:
            answer = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
            assert answer[:3] == [4, want[0], want[1]], name
            assert isinstance(answer[3], str) and answer[3], name  # a clear description
        await ws.send(orjson.dumps([2, "after", "Heartbeat", {}]).decode())
        assert orjson.loads(await asyncio.wait_for(ws.recv(), 5))[:2] == [3, "after"], name
    beats_during = len(bystander)
    await asyncio.sleep(0.2)
    assert len(bystander) > beats_during  # still served
    assert max(bystander) < 1.0  # and never held up
    await ws.close()


@pytest.mark.parametrize(
    ("field", "payload", "code"),
    [
        ("missing required", {"chargePointModel": "X"}, "OccurenceConstraintViolation"),
        ("wrong type", {"chargePointVendor": 5, "chargePointModel": "X"}, "TypeConstraintViolation"),
        ("over maxLength", {"chargePointVendor": "v" * 21, "chargePointModel": "X"}, "PropertyConstraintViolation"),
        ("extra property", {"chargePointVendor": "v", "chargePointModel": "X", "x": 1}, "FormationViolation"),
    ],
)
async def test_schema_violations_are_answered_before_anything_is_stored(
    accepting: RunningServer, field: str, payload: dict[str, Any], code: str
) -> None:
    ws = await open_station(accepting, "SCHEMA-1", V16)
    await ws.send(orjson.dumps([2, "bad", "BootNotification", payload]).decode())
    assert orjson.loads(await ws.recv())[:3] == [4, "bad", code], field
    assert accepting.app.services is not None
    view = await accepting.app.services[StationService].view("SCHEMA-1")
    assert view.station.vendor == "Acme"  # the first, valid boot is what is stored
    await ws.close()


async def test_markup_sql_and_crlf_are_stored_as_sent_and_returned_unchanged(
    accepting: RunningServer,
) -> None:
    nasty = {
        "chargePointVendor": "<script>x</script>",
        "chargePointModel": "'; DROP TABLE x;--",
        "chargePointSerialNumber": "line1\r\nline2",
        "firmwareVersion": "\u202e\u00e9\U0001f600",
    }
    ws = await connect(f"{accepting.ocpp_url}/NASTY-1", subprotocols=["ocpp1.6"])  # type: ignore[list-item]
    await ws.send(orjson.dumps([2, "b", "BootNotification", nasty]).decode())
    assert orjson.loads(await ws.recv())[0] == 3
    await ws.send(orjson.dumps([2, "d", "DataTransfer", {"vendorId": "<b>v</b>", "data": "1' OR '1'='1\r\n"}]).decode())
    assert orjson.loads(await ws.recv())[2]["status"] == "UnknownVendorId"
    await ws.close()
    async with httpx.AsyncClient(
        base_url=accepting.http_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    ) as api:
        response = await api.get("/api/v1/stations/NASTY-1")
    assert response.headers["content-type"].startswith("application/json")
    view = response.json()
    assert (view["vendor"], view["model"], view["serial_number"], view["firmware_version"]) == (
        nasty["chargePointVendor"],
        nasty["chargePointModel"],
        nasty["chargePointSerialNumber"],
        nasty["firmwareVersion"],
    )


@pytest.mark.parametrize("version", [V16, V201])
async def test_pipelined_requests_are_all_answered_in_order_and_a_reused_id_is_refused(
    accepting: RunningServer, bystander: list[float], version: str
) -> None:
    ws = await open_station(accepting, f"PIPELINE-{version}", version)
    burst = [orjson.dumps([2, f"p{n}", "Heartbeat", {}]).decode() for n in range(50)]
    for frame in burst:  # without waiting for any answer
        await ws.send(frame)
    answers = [orjson.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in burst]
    assert [(a[0], a[1]) for a in answers] == [(3, f"p{n}") for n in range(50)]

    # The same id twice: the second is sent while the first (an Authorize, which reads the token registry
    # through the storage writer) is still in progress.
    authorize = {"idTag": "TAG-DUP"} if version == V16 else {"idToken": {"idToken": "TAG-DUP", "type": "ISO14443"}}
    await ws.send(orjson.dumps([2, "dup", "Authorize", authorize]).decode())
    await ws.send(orjson.dumps([2, "dup", "Heartbeat", {}]).decode())
    first = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
    second = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
    assert first[:2] == [3, "dup"]
    assert second[:3] == [4, "dup", ENVELOPE[version]] and "reused" in second[3]
    await ws.send(orjson.dumps([2, "next", "Heartbeat", {}]).decode())
    assert orjson.loads(await asyncio.wait_for(ws.recv(), 5))[:2] == [3, "next"]
    assert max(bystander) < 1.0
    await ws.close()


async def test_invalid_utf8_in_a_text_frame_closes_with_1007_and_others_carry_on(
    accepting: RunningServer, bystander: list[float]
) -> None:
    ws = await open_station(accepting, "BAD-UTF8", V16)
    invalid = b'[2, "u1", "Heartbeat", {"x": "' + bytes([0xFF, 0xFE]) + b'"}]'
    await ws.send(invalid, text=True)  # a text frame that is not UTF-8
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 5)
    assert ws.close_code == 1007
    beats = len(bystander)
    await asyncio.sleep(0.2)
    assert len(bystander) > beats and max(bystander) < 1.0


async def test_10000_answers_to_nothing_are_discarded_and_the_next_csms_call_works(
    accepting: RunningServer, bystander: list[float]
) -> None:
    ws = await open_station(accepting, "STRAY-1", V201)
    for n in range(10_000):
        frame = [3, f"stray-{n}", {}] if n % 2 else [4, f"stray-{n}", "GenericError", "", {}]
        await ws.send(orjson.dumps(frame).decode())
    await ws.send(orjson.dumps([2, "after-strays", "Heartbeat", {}]).decode())
    assert orjson.loads(await asyncio.wait_for(ws.recv(), 10))[:2] == [3, "after-strays"]  # nothing else came back

    async def answer_the_csms() -> None:
        # Generous: on a loaded 2-core CI machine the 10,000 strays' log rows are still being written.
        call = orjson.loads(await asyncio.wait_for(ws.recv(), 15))
        assert call[0] == 2 and call[2] == "ClearCache"
        await ws.send(orjson.dumps([3, call[1], {"status": "Accepted"}]).decode())

    station = asyncio.create_task(answer_the_csms())
    async with httpx.AsyncClient(
        base_url=accepting.http_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=15
    ) as api:
        response = await api.post("/api/v1/stations/STRAY-1/ocpp/ClearCache", json={})
    await station
    assert response.status_code == 200, response.text
    assert response.json()["payload"] == {"status": "Accepted"}
    assert max(bystander) < 1.0
    await ws.close()
