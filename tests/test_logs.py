"""VOLTLINE_LOG_FORMAT=json: every line a process writes to its log is one parseable JSON object.

Run in child processes: logging is configured once per process, and pytest's own handlers sit on the root
logger of this one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

LOGGING_SCRIPT = """
import logging
from voltline.logs import configure_logging
configure_logging("INFO", "json")
log = logging.getLogger("voltline.example")
log.info("station %s said %r", "CP-1", 'a "quoted"\\nline')
log.debug("not shown at INFO")
try:
    1 / 0
except ZeroDivisionError:
    log.exception("could not divide")
"""


def child_env(**values: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("VOLTLINE_")}
    env["PYTHONPATH"] = str(REPO)
    env.update(values)
    return env


def json_lines(text: str) -> list[dict[str, Any]]:
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]  # fails the test on the first line that is not JSON
    assert all(isinstance(line, dict) for line in parsed)
    return parsed


def test_json_lines_carry_time_level_logger_message_and_exception(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", LOGGING_SCRIPT],
        cwd=tmp_path,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    info, error = json_lines(result.stderr)
    assert info["level"] == "INFO" and info["logger"] == "voltline.example"
    assert info["message"] == "station CP-1 said 'a \"quoted\"\\nline'"
    assert "exception" not in info
    when = datetime.fromisoformat(info["time"])
    assert info["time"].endswith("Z") and when.utcoffset() is not None and when.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert error["level"] == "ERROR" and error["message"] == "could not divide"
    assert error["exception"].startswith("Traceback") and "ZeroDivisionError" in error["exception"]


def test_the_server_logs_json_lines_when_configured(tmp_path: Path) -> None:
    env = child_env(
        VOLTLINE_LOG_FORMAT="json",
        VOLTLINE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'voltline.db'}",
        VOLTLINE_ADMIN_TOKEN="vl_test_admin_token_0123456789abcdef",
        VOLTLINE_OCPP_HOST="127.0.0.1",
        VOLTLINE_OCPP_PORT="0",
        VOLTLINE_HTTP_HOST="127.0.0.1",
        VOLTLINE_HTTP_PORT="0",
        VOLTLINE_METRICS_PORT="0",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "voltline", "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        deadline = time.monotonic() + 60
        started = []
        while time.monotonic() < deadline:
            line = server.stderr.readline()
            if not line:
                break
            started.append(line)
            if "Voltline serving OCPP" in line:
                break
        server.send_signal(signal.SIGTERM)
        _, rest = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    lines = json_lines("".join(started) + rest)
    messages = [line["message"] for line in lines]
    assert any(message.startswith("Voltline serving OCPP") for message in messages), messages
    assert any(message.startswith("Voltline metrics on") for message in messages), messages
    assert any(message == "Voltline stopped" for message in messages), messages
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert server.returncode == 0
