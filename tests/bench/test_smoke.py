"""Smoke run of the load generator against the real server (and the baseline): a few hundred stations for a few
seconds, both OCPP versions, in their own processes. Zero errors, every phase answered; no timing assertion
(benchmarks are not timed tests)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[2]
STATIONS = 200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise AssertionError(f"server exited: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            import time

            time.sleep(0.1)
    raise AssertionError(f"server not listening within 30 s: {log.read_text()[-2000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture
def voltline_server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    log = tmp_path / "server.log"
    for _attempt in range(3):  # a free port can be taken by a parallel test before the server binds it
        ocpp_port, http_port = free_port(), free_port()
        env = {
            **os.environ,
            "VOLTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'smoke.db'}",
            "VOLTLINE_UNKNOWN_STATIONS": "accept",
            "VOLTLINE_OCPP_HOST": "127.0.0.1",
            "VOLTLINE_OCPP_PORT": str(ocpp_port),
            "VOLTLINE_HTTP_HOST": "127.0.0.1",
            "VOLTLINE_HTTP_PORT": str(http_port),
            "VOLTLINE_LOG_LEVEL": "WARNING",
            "VOLTLINE_ADMIN_TOKEN": "vl_smoke_admin_token_0123456789abcdef",
        }
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "voltline", "serve"], env=env, cwd=ROOT, stdout=out, stderr=out
            )
        try:
            wait_for_port(process, ocpp_port, log)
            break
        except AssertionError:
            stop(process)
            if "already in use" not in log.read_text():
                raise
    else:
        raise AssertionError(f"no free ports after 3 attempts: {log.read_text()[-2000:]}")
    try:
        yield f"ws://127.0.0.1:{ocpp_port}/ocpp", process.pid
    finally:
        stop(process)
    assert process.returncode == 0, log.read_text()[-2000:]


@pytest.fixture
def baseline_server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    log = tmp_path / "baseline.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.baseline_csms", "--port", str(port)], cwd=ROOT, stdout=out, stderr=out
        )
    try:
        wait_for_port(process, port, log)
        yield f"ws://127.0.0.1:{port}/ocpp", process.pid
    finally:
        stop(process)


async def generate(url: str, pid: int, ocpp: str, stations: int, prefix: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.generator",
        "--url",
        url,
        "--ocpp",
        ocpp,
        "--stations",
        str(stations),
        "--prefix",
        prefix,
        "--phases",
        "storm,saturate,rate,idle",
        "--seconds",
        "1.5",
        "--warmup",
        "0.3",
        "--idle-seconds",
        "0.5",
        "--idle-settle",
        "0",
        "--rate",
        "300",
        "--call-timeout",
        "30",
        "--watch-pid",
        str(pid),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 90)
    assert process.returncode == 0, stderr.decode()[-2000:]
    result: dict[str, Any] = orjson.loads(stdout)
    return result


def assert_clean(result: dict[str, Any], stations: int) -> None:
    phases = result["phases"]
    details = {
        name: {k: v for k, v in p.items() if "error" in k or k == "handshake_failures"} for name, p in phases.items()
    }
    assert result["error_count"] == 0, details
    storm = phases["storm"]
    assert storm["connected"] == storm["accepted"] == stations, storm
    assert storm["boot_status"] == {"Accepted": stations}
    for name in ("saturate", "rate"):
        assert phases[name]["messages"] > 0, phases[name]
        assert phases[name]["unanswered_after_drain"] == 0
    assert phases["idle"]["connections_at_end"] == stations
    sent = result["sent"]
    for kind in ("meter", "heartbeat", "status", "start"):
        assert sent.get(kind, 0) > 0, sent


async def test_generator_against_voltline_both_versions_without_errors(voltline_server: tuple[str, int]) -> None:
    url, pid = voltline_server
    v16, v201 = await asyncio.gather(
        generate(url, pid, "1.6", STATIONS, "SMOKE16-"), generate(url, pid, "2.0.1", STATIONS, "SMOKE201-")
    )
    assert_clean(v16, STATIONS)
    assert_clean(v201, STATIONS)
    assert v16["version"] == "ocpp1.6" and v201["version"] == "ocpp2.0.1"
    assert set(v16["phases"]["saturate"]["answered"]) >= {"MeterValues", "Heartbeat", "StatusNotification"}
    assert "TransactionEvent" in v201["phases"]["saturate"]["answered"]
    assert v16["phases"]["saturate"]["server"]["cpu_s"] >= 0  # the server's /proc figures were read


async def test_generator_against_the_baseline_without_errors(baseline_server: tuple[str, int]) -> None:
    url, pid = baseline_server
    v16, v201 = await asyncio.gather(
        generate(url, pid, "1.6", 50, "BASE16-"), generate(url, pid, "2.0.1", 50, "BASE201-")
    )
    assert_clean(v16, 50)
    assert_clean(v201, 50)
