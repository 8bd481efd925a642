"""schemathesis over the whole REST API, every check, against a real `voltline serve` (issue 11, point 10).

The server is its own process on SQLite, as an operator runs it; schemathesis (pinned in the dev
dependencies) reads its /openapi.json and sends generated requests, valid and invalid, to every operation,
authenticated with the admin token, in deterministic mode (the same cases on every run). The run passes only
when no answer is a 5xx, every answer matches its documented schema and status, invalid input is refused,
a 405 names the right methods, and so on: `--checks all`, with tests/api/schemathesis.toml saying why 422 is
an accepted answer to schema-valid data.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.ports import free_port

TOKEN = "vl_schemathesis_admin_token_0123456789"
CONFIG = Path(__file__).with_name("schemathesis.toml")
ST = Path(sys.executable).with_name("st")
EXAMPLES_PER_OPERATION = 10
HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    http_port, ocpp_port = free_port(), free_port()
    env = {
        **os.environ,
        "VOLTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}",
        "VOLTLINE_ADMIN_TOKEN": TOKEN,
        "VOLTLINE_HTTP_HOST": "127.0.0.1",
        "VOLTLINE_HTTP_PORT": str(http_port),
        "VOLTLINE_OCPP_HOST": "127.0.0.1",
        "VOLTLINE_OCPP_PORT": str(ocpp_port),
        "VOLTLINE_LOG_LEVEL": "WARNING",
        # Generated logins fail by the thousand: a lockout would turn the rest of the run into 429s.
        "VOLTLINE_LOGIN_FAILURES_PER_ADDRESS": "1000000",
        "VOLTLINE_LOGIN_FAILURES_PER_ACCOUNT": "1000000",
    }
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "voltline", "serve"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{http_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
            try:
                if httpx.get(base + "/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield base
        assert process.poll() is None, (
            "the server died during the run: " + (tmp_path / "server.log").read_text()[-3000:]
        )
    finally:
        process.terminate()
        process.wait(20)
        log.close()


@pytest.mark.timeout(900)
def test_schemathesis_finds_nothing_over_the_whole_api(server: str, tmp_path: Path) -> None:
    command = [
        str(ST),
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        f"{server}/openapi.json",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {TOKEN}",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--workers",
        "2",
        "--generation-deterministic",
        "--report-dir",
        str(tmp_path / "report"),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=840, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-15000:] + run.stderr[-3000:]
    document = httpx.get(f"{server}/openapi.json").json()
    operations = sum(1 for item in document["paths"].values() for method in item if method in HTTP_METHODS)
    tested = re.search(r"Tested: (\d+)", run.stdout)
    assert tested is not None and int(tested.group(1)) == operations, run.stdout[-3000:]  # every one, none skipped
