"""Quick closed-loop throughput probe: N stations, each sending MeterValues (1.6) or TransactionEvent
Updated (2.0.1) and waiting for the answer, against `voltline serve` on SQLite in its own process.

Not a test and not the full benchmark suite (that is issue 4's bench/ runner): a first figure.

    .venv/bin/python bench/quick_throughput.py --stations 200 --seconds 10 --ocpp 1.6
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect

BOOT = {
    "ocpp1.6": {"chargePointVendor": "Bench", "chargePointModel": "B1"},
    "ocpp2.0.1": {"reason": "PowerUp", "chargingStation": {"model": "B1", "vendorName": "Bench"}},
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


async def rpc(ws: ClientConnection, message_id: str, action: str, payload: dict[str, object]) -> object:
    await ws.send(orjson.dumps([2, message_id, action, payload]).decode())
    answer = orjson.loads(await ws.recv())
    if answer[0] != 3:
        raise RuntimeError(f"{action}: {answer}")
    return answer[2]


async def station(url: str, sid: str, version: str, stop_at: float, latencies: list[float], heartbeats: bool) -> int:
    async with connect(f"{url}/{sid}", subprotocols=[version], max_queue=None) as ws:  # type: ignore[list-item]
        await rpc(ws, "b", "BootNotification", BOOT[version])
        tx = "1"
        if version == "ocpp1.6":
            started = await rpc(
                ws, "s", "StartTransaction", {"connectorId": 1, "idTag": "B", "meterStart": 0, "timestamp": now()}
            )
            tx = started["transactionId"]  # type: ignore[index]
        count, energy = 0, 0
        while time.monotonic() < stop_at:
            energy += 10
            ts = now()
            sample = [
                {
                    "timestamp": ts,
                    "sampledValue": [{"value": str(energy), "measurand": "Energy.Active.Import.Register"}],
                }
            ]
            if version == "ocpp1.6":
                action, payload = "MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": sample}
            else:
                sample[0]["sampledValue"][0]["value"] = energy  # type: ignore[index]
                action, payload = (
                    "TransactionEvent",
                    {
                        "eventType": "Updated",
                        "timestamp": ts,
                        "triggerReason": "MeterValuePeriodic",
                        "seqNo": count + 1,
                        "transactionInfo": {"transactionId": f"tx-{sid}"},
                        "evse": {"id": 1, "connectorId": 1},
                        "meterValue": sample,
                    },
                )
            if heartbeats:
                action, payload = "Heartbeat", {}
            began = time.perf_counter()
            await rpc(ws, f"m{count}", action, payload)
            latencies.append(time.perf_counter() - began)
            count += 1
        return count


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stations", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--ocpp", choices=["1.6", "2.0.1"], default="1.6")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument("--heartbeats", action="store_true", help="send Heartbeat only (no database write)")
    args = parser.parse_args()
    version = "ocpp1.6" if args.ocpp == "1.6" else "ocpp2.0.1"
    workdir = Path(tempfile.mkdtemp())
    ocpp_port, http_port = free_port(), free_port()
    env = {
        **os.environ,
        "VOLTLINE_DATABASE_URL": args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
        "VOLTLINE_UNKNOWN_STATIONS": "accept",
        "VOLTLINE_OCPP_HOST": "127.0.0.1",
        "VOLTLINE_HTTP_HOST": "127.0.0.1",
        "VOLTLINE_OCPP_PORT": str(ocpp_port),
        "VOLTLINE_HTTP_PORT": str(http_port),
        "VOLTLINE_LOG_LEVEL": "WARNING",
        "VOLTLINE_ADMIN_TOKEN": "bench-admin-token-000000",
    }
    command = [
        sys.executable,
        *(os.environ["BENCH_SERVER"].split() if os.environ.get("BENCH_SERVER") else ["-m", "voltline", "serve"]),
    ]
    if os.environ.get("BENCH_PROFILE"):  # e.g. BENCH_PROFILE=/tmp/profile.svg, needs py-spy installed
        command = [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "-o",
            os.environ["BENCH_PROFILE"],
            "--format",
            "raw",
            "--",
            *command,
        ]
    server = subprocess.Popen(command, env=env)  # noqa: ASYNC220 - started once, before any load
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                try:
                    if (await client.get(f"http://127.0.0.1:{http_port}/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        latencies: list[float] = []
        url = f"ws://127.0.0.1:{ocpp_port}/ocpp"
        began = time.monotonic()
        stop_at = began + args.seconds
        counts = await asyncio.gather(
            *(station(url, f"B{i}", version, stop_at, latencies, args.heartbeats) for i in range(args.stations))
        )
        elapsed = time.monotonic() - began
        total = sum(counts)
        latencies.sort()
        print(
            f"{version}: {args.stations} stations, {total} messages in {elapsed:.1f} s = {total / elapsed:,.0f} msg/s; "
            f"latency p50 {statistics.median(latencies) * 1000:.1f} ms, "
            f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms"
        )
    finally:
        server.send_signal(2)  # SIGINT: py-spy passes it on and writes its profile
        server.wait(60)


if __name__ == "__main__":
    asyncio.run(main())
