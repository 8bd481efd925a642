"""GET /metrics end to end: stations over real sockets, then the Prometheus exposition scraped over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import ClientConnection

from tests.e2e.conftest import ADMIN_TOKEN, API_TIMEOUT_S, STATION_PASSWORD, RunningServer, ServerFactory
from tests.e2e.test_events import events_client, listening
from tests.e2e.test_gateway import boot16, heartbeat, open_station, refused_status
from tests.support.waiting import eventually
from voltline.simulator import SimulatedStation

METRICS_TOKEN = "metrics-token-0123456789abcdef"

Samples = Mapping[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample of an exposition, keyed by (sample name, its labels)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


async def scrape(server: RunningServer, token: str = METRICS_TOKEN) -> Samples:
    async with httpx.AsyncClient(base_url=server.http_url, timeout=API_TIMEOUT_S) as client:
        response = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


async def register(server: RunningServer, *station_ids: str) -> None:
    async with httpx.AsyncClient(
        base_url=server.http_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=API_TIMEOUT_S
    ) as api:
        for station_id in station_ids:
            response = await api.put(f"/api/v1/stations/{station_id}", json={"password": STATION_PASSWORD})
            assert response.status_code == 201, response.text


async def exchange(ws: ClientConnection, text: str) -> list[object]:
    await ws.send(text)
    return list(orjson.loads(await asyncio.wait_for(ws.recv(), 5)))


async def test_metrics_count_a_stations_traffic_errors_refusals_commits_and_subscribers(
    start_server: ServerFactory,
) -> None:
    server: RunningServer = await start_server(metrics_token=METRICS_TOKEN)
    await register(server, "MX-16", "MX-201")

    ws = await open_station(server, "MX-16")
    simulated = SimulatedStation(server.ocpp_url, "MX-201", "2.0.1", password=STATION_PASSWORD)
    try:
        assert (await boot16(ws))[2]["status"] == "Accepted"  # type: ignore[index]
        for n in range(2):
            assert (await heartbeat(ws, f"hb-{n}"))[0] == 3
        unreadable = await exchange(ws, "this is not JSON")
        assert unreadable[:3] == [4, "-1", "FormationViolation"]
        unknown = await exchange(ws, orjson.dumps([2, "x-1", "NoSuchAction", {}]).decode())
        assert unknown[:3] == [4, "x-1", "NotImplemented"]
        await simulated.connect()
        assert (await simulated.boot())["status"] == "Accepted"

        assert await refused_status(open_station(server, "MX-16", password="not-the-password-at-all")) == 401
        assert await refused_status(open_station(server, "NOT-REGISTERED")) == 404

        async with (
            events_client(server) as client,
            client.stream("GET", "/api/v1/events") as stream,
        ):
            await listening(stream)
            samples = await scrape(server)

        assert value(samples, "voltline_stations_connected", version="1.6") == 1
        assert value(samples, "voltline_stations_connected", version="2.0.1") == 1

        def messages(version: str, direction: str, kind: str, action: str) -> float | None:
            return value(
                samples, "voltline_ocpp_messages_total", version=version, direction=direction, type=kind, action=action
            )

        assert messages("1.6", "in", "CALL", "BootNotification") == 1
        assert messages("1.6", "out", "CALLRESULT", "BootNotification") == 1
        assert messages("1.6", "in", "CALL", "Heartbeat") == 2
        assert messages("1.6", "out", "CALLRESULT", "Heartbeat") == 2
        assert messages("1.6", "in", "unreadable", "unknown") == 1
        assert messages("1.6", "in", "CALL", "unknown") == 1  # the action name itself never becomes a label
        assert messages("1.6", "out", "CALLERROR", "unknown") == 2
        assert messages("2.0.1", "in", "CALL", "BootNotification") == 1
        assert messages("2.0.1", "out", "CALLRESULT", "BootNotification") == 1
        assert not any("NoSuchAction" in dict(labels).values() for _, labels in samples)

        def callerrors(code: str) -> float | None:
            return value(samples, "voltline_ocpp_callerrors_total", version="1.6", direction="out", code=code)

        assert callerrors("FormationViolation") == 1
        assert callerrors("NotImplemented") == 1

        assert value(samples, "voltline_handshake_refusals_total", reason="bad_credentials") == 1
        assert value(samples, "voltline_handshake_refusals_total", reason="unknown_station") == 1

        assert (value(samples, "voltline_commit_group_size_count", storage="main") or 0) > 0
        assert (value(samples, "voltline_commit_group_size_sum", storage="main") or 0) > 0
        assert (value(samples, "voltline_commit_seconds_count", storage="main") or 0) > 0
        assert value(samples, "voltline_commit_seconds_bucket", storage="main", le="+Inf") == value(
            samples, "voltline_commit_seconds_count", storage="main"
        )
        assert value(samples, "voltline_queue_depth", queue="main_writer") is not None
        assert value(samples, "voltline_queue_depth", queue="station_inbox") == 0
        assert value(samples, "voltline_event_stream_subscribers") == 1
        assert (value(samples, "process_resident_memory_bytes") or 0) > 0
    finally:
        await ws.close()
        await simulated.close()

    async def after_disconnect() -> Samples | None:
        samples = await scrape(server)
        gone = (
            value(samples, "voltline_stations_connected", version="1.6") == 0
            and value(samples, "voltline_event_stream_subscribers") == 0
        )
        return samples if gone else None

    await eventually(after_disconnect)


async def test_metrics_on_the_api_need_the_metrics_token_or_an_admin_token(start_server: ServerFactory) -> None:
    server: RunningServer = await start_server(metrics_token=METRICS_TOKEN)
    async with httpx.AsyncClient(base_url=server.http_url, timeout=API_TIMEOUT_S) as client:
        bare = await client.get("/metrics")
        assert bare.status_code == 401
        assert bare.headers["www-authenticate"] == "Bearer"
        assert "detail" in bare.json()
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401
        basic = await client.get("/metrics", headers={"Authorization": f"Basic {METRICS_TOKEN}"})
        assert basic.status_code == 401
    assert value(await scrape(server, METRICS_TOKEN), "voltline_event_stream_subscribers") == 0
    assert value(await scrape(server, ADMIN_TOKEN), "voltline_event_stream_subscribers") == 0  # an admin's key


async def test_metrics_on_the_api_without_a_metrics_token_still_need_an_admin_token(
    start_server: ServerFactory,
) -> None:
    server: RunningServer = await start_server()
    async with httpx.AsyncClient(base_url=server.http_url, timeout=API_TIMEOUT_S) as client:
        assert (await client.get("/metrics")).status_code == 401
    assert value(await scrape(server, ADMIN_TOKEN), "voltline_stations_connected", version="1.6") == 0


async def test_the_openapi_document_does_not_list_metrics(start_server: ServerFactory) -> None:
    server: RunningServer = await start_server()
    async with httpx.AsyncClient(base_url=server.http_url, timeout=API_TIMEOUT_S) as client:
        assert "/metrics" not in (await client.get("/openapi.json")).json()["paths"]


@pytest.mark.parametrize("token", [None, METRICS_TOKEN])
async def test_the_separate_metrics_port_serves_metrics(start_server: ServerFactory, token: str | None) -> None:
    server: RunningServer = await start_server(metrics_port=0, metrics_token=token)
    await register(server, "MX-PORT")
    ws = await open_station(server, "MX-PORT")
    try:
        await boot16(ws)
        metrics_url = f"http://127.0.0.1:{server.app.metrics_port}"
        async with httpx.AsyncClient(base_url=metrics_url, timeout=API_TIMEOUT_S) as client:
            bare = await client.get("/metrics")
            if token is None:
                assert bare.status_code == 200  # on 127.0.0.1 only, by default
                samples = parse(bare.text)
            else:
                assert bare.status_code == 401
                authorised = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
                assert authorised.status_code == 200
                samples = parse(authorised.text)
            assert (await client.get("/api/v1/stations")).status_code == 404  # nothing but the metrics there
        assert value(samples, "voltline_stations_connected", version="1.6") == 1
    finally:
        await ws.close()
