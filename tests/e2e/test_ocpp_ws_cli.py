"""An independent robustness suite against the real server: `ocpp-ws-cli test --suite all` (npm, pinned in
tools/ocpp-ws-cli), for OCPP 1.6 and 2.0.1, with zero failed checks.

The server runs as an operator runs it (`voltline serve`, default unknown-station policy `reject`). The tool
sends no credentials, so each identity it uses is registered through the API with security profile 0. Both
versions run at the same time, against one server, as different stations (about 20 s in all). The tool's
exit code says nothing about its checks: the verdict comes from its JSON report.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import ADMIN_TOKEN
from tests.support.databases import skip_or_fail
from tests.support.ocpp_ws_cli import SuiteProcess, SuiteRun, ToolMissing, locate_cli
from tests.support.ports import free_port

PROTOCOLS = {"ocpp1.6": "OWC-16", "ocpp2.0.1": "OWC-201"}
SUITE_TIME_LIMIT = 60.0  # both runs together; each takes about 19 s


class Server:
    """`voltline serve` in its own process on free loopback ports and a new SQLite file."""

    def __init__(self, workdir: Path) -> None:
        self.ocpp_port = free_port()
        self.http_port = free_port()
        self.log = workdir / "server.log"
        env = {
            **os.environ,
            "VOLTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'voltline.db'}",
            "VOLTLINE_ADMIN_TOKEN": ADMIN_TOKEN,
            "VOLTLINE_OCPP_HOST": "127.0.0.1",
            "VOLTLINE_OCPP_PORT": str(self.ocpp_port),
            "VOLTLINE_HTTP_HOST": "127.0.0.1",
            "VOLTLINE_HTTP_PORT": str(self.http_port),
            "VOLTLINE_LOG_LEVEL": "WARNING",
            # The tool checks that a ~200 KB frame makes the server close the connection: it assumes a
            # 128 KiB limit. Ours is a setting (1 MiB by default, as the core issue asks; the gateway tests
            # check that default), so the suite runs against a server configured the way the tool assumes.
            "VOLTLINE_MAX_MESSAGE_SIZE": str(128 * 1024),
        }
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "voltline", "serve"], env=env, stdout=log, stderr=log, cwd=workdir
            )
        self.api = httpx.Client(
            base_url=f"http://127.0.0.1:{self.http_port}",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=10,
        )

    @property
    def ocpp_endpoint(self) -> str:
        return f"ws://127.0.0.1:{self.ocpp_port}/ocpp"

    def wait_healthy(self, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited with {self.process.returncode}: {self.log.read_text()[-3000:]}")
            try:
                if self.api.get("/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server not healthy within {within} s: {self.log.read_text()[-3000:]}")

    def register_lab_station(self, station_id: str) -> None:
        response = self.api.put(f"/api/v1/stations/{station_id}", json={"security_profile": 0})
        assert response.status_code in (200, 201), response.text

    def stop(self) -> None:
        self.api.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@pytest.fixture(scope="module")
def suite_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, SuiteRun]]:
    """Run the whole suite once per OCPP version (concurrently) against one fresh server."""
    try:
        locate_cli()
    except ToolMissing as missing:
        skip_or_fail(str(missing))
    workdir = tmp_path_factory.mktemp("ocpp_ws_cli")
    server = Server(workdir)
    processes: list[SuiteProcess] = []
    try:
        server.wait_healthy()
        for identity in PROTOCOLS.values():
            server.register_lab_station(identity)
        for protocol, identity in PROTOCOLS.items():
            processes.append(SuiteProcess(server.ocpp_endpoint, identity, protocol, workdir / protocol))
        deadline = time.monotonic() + SUITE_TIME_LIMIT
        runs = {process.protocol: process.wait(deadline) for process in processes}
        assert server.process.poll() is None, f"the server died during the suite: {server.log.read_text()[-3000:]}"
        yield runs
    finally:
        for process in processes:
            process.stop()
        server.stop()


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_ocpp_ws_cli_suite_all_has_no_failed_check(suite_runs: dict[str, SuiteRun], protocol: str) -> None:
    run = suite_runs[protocol]
    assert len(run.checks) >= 21, f"the suite ran only {len(run.checks)} checks: {run.output[-3000:]}"
    if run.failed:
        pytest.fail(run.failure_message(), pytrace=False)
