"""The independent robustness suite: the npm package ocpp-ws-cli, pinned in tools/ocpp-ws-cli.

`make setup` installs it (`npm ci` in tools/ocpp-ws-cli). We run its `test` command with every option given
(so it never prompts) and read its JSON report: its exit code is 0 whatever the checks found.

The tool sends no credentials (its `test` command has no auth option), so the station it connects as must
be registered with security profile 0. It connects to `{endpoint}/{identity}` and runs 21 checks in four
suites (transport, rpc, security, chaos); it never sends a BootNotification.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOL_DIR = REPO_ROOT / "tools" / "ocpp-ws-cli"
PACKAGE = "ocpp-ws-cli"
SUITES = "all"
EXPECTED_SUITES = "transport, rpc, security, chaos"

# What each check of ocpp-ws-cli 1.1.12 passes on (read from its source, dist/index.js.map), so that a failure
# message says what was expected, not only what the tool noticed.
EXPECTATIONS: dict[str, str] = {
    "Server requires subprotocol": (
        "a WebSocket upgrade offering no Sec-WebSocket-Protocol must NOT open (HTTP error at the handshake); "
        "a 101 followed by a close counts as a failure"
    ),
    "Server rejects invalid subprotocol": "an upgrade offering only 'ws-chat' must not open with that subprotocol",
    "Server handles malformed JSON gracefully": "'}{not json at all!!' must not break the connection attempt",
    "Server rejects oversized frames (>128KB)": (
        "a ~200 KB text frame ([2, id, 'DataTransfer', {data: 'x'*200000}]) must make the server close the "
        "connection within 4 s"
    ),
    "Server handles empty array payload": "'[]' must not break the connection attempt",
    "Graceful WebSocket close": "a client close 1000 must be answered with close code 1000 (or 1005)",
    "Rapid reconnect stability": "5 connect/terminate cycles 50 ms apart, then a 6th connection must open",
    "Heartbeat round-trip": "[2, id, 'Heartbeat', {}] answered within 5 s by a CALLRESULT or CALLERROR with that id",
    "WebSocket ping/pong": "a WebSocket ping answered by a pong within 5 s",
    "Server rejects invalid message type": "[99, id, 'Foo', {}]: no answer within 3 s, or a CALLERROR (type 4)",
    "Server rejects unknown action (NotImplemented)": (
        "[2, id, 'ThisActionDoesNotExist', {}]: CALLERROR with the same id and code NotImplemented (or no answer)"
    ),
    "Server enforces MessageId is a string": (
        "[2, 12345, 'Heartbeat', {}]: a CALLERROR echoing the id as the NUMBER 12345 with code FormatViolation or "
        "ProtocolError, or no answer at all within 4 s"
    ),
    "Server ignores unmatched CALLRESULT gracefully": "[3, 'fake-message-id', {}]: connection still open after 1.5 s",
    "Server rejects missing payload in CALL": (
        "[2, id, 'Heartbeat']: CALLERROR with the same id and code FormatViolation or ProtocolError (or no answer)"
    ),
    "Server rejects non-object payload in CALL": (
        "[2, id, 'Heartbeat', 'NotAnObject']: CALLERROR with the same id and code FormatViolation, ProtocolError "
        "or TypeConstraintViolation (or no answer)"
    ),
    "Server rejects deeply nested JSON objects": "a 500-level nested payload must not break the connection attempt",
    "Server withstands massive JSON arrays": "a 100,000-element array payload must not break the connection attempt",
    "Server handles Null Byte injection gracefully": "a NUL in a payload string must not break the connection attempt",
    "Server survives rapid heartbeat flood": "100 pipelined Heartbeats must not break the connection attempt",
    "Server survives thundering herd (50 concurrent connects)": "50 simultaneous connects must not hang the tool",
    "Server handles abrupt TCP disconnect mid-message": (
        "after a 50 KB frame cut by a TCP reset, a new connection with the same identity must open 1 s later"
    ),
}


class ToolMissing(Exception):
    """Node.js or the pinned package is not installed: the test skips (fails under CI=true)."""


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    severity: str
    issue: str
    duration_ms: int

    def describe(self) -> str:
        expected = EXPECTATIONS.get(self.name, "(check unknown to this module: read the tool's source)")
        return (
            f"- [{self.severity}] {self.name}\n"
            f"    expected: {expected}\n"
            f"    observed: {self.issue or '(the tool gave no detail)'}"
        )


@dataclass(frozen=True)
class SuiteRun:
    protocol: str
    identity: str
    report_path: Path
    report: dict[str, Any]
    checks: list[Check]
    output: str

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.passed]

    def failure_message(self) -> str:
        lines = [
            f"ocpp-ws-cli test --suite {SUITES} -p {self.protocol}: {len(self.failed)} of {len(self.checks)} "
            f"checks failed (report {self.report_path}):"
        ]
        lines += [check.describe() for check in self.failed]
        return "\n".join(lines)


def pinned_version() -> str:
    """The exact version package.json pins."""
    manifest = json.loads((TOOL_DIR / "package.json").read_text())
    return str(manifest["dependencies"][PACKAGE])


def locate_cli() -> tuple[str, Path]:
    """(node executable, the package's CLI script); ToolMissing with the reason when either is absent."""
    node = shutil.which("node")
    if node is None:
        raise ToolMissing("Node.js (`node`) is not on PATH: the ocpp-ws-cli robustness suite cannot run")
    wanted = pinned_version()
    installed_manifest = TOOL_DIR / "node_modules" / PACKAGE / "package.json"
    if not installed_manifest.is_file():
        raise ToolMissing(f"{PACKAGE}@{wanted} is not installed: run `make setup` (npm ci in {TOOL_DIR})")
    installed = json.loads(installed_manifest.read_text())
    if installed.get("version") != wanted:
        raise ToolMissing(f"{PACKAGE} {installed.get('version')} is installed but {wanted} is pinned: run `make setup`")
    script = installed_manifest.parent / str(installed["bin"][PACKAGE])
    if not script.is_file():
        raise ToolMissing(f"{PACKAGE}@{wanted} is incomplete: {script} is missing (run `make setup`)")
    return node, script


class SuiteProcess:
    """One `ocpp-ws-cli test` run in its own process group (so a time-out can stop it and its children)."""

    def __init__(self, endpoint: str, identity: str, protocol: str, report_dir: Path) -> None:
        node, script = locate_cli()
        self.identity = identity
        self.protocol = protocol
        self.report_dir = report_dir
        report_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = report_dir / "output.log"
        command = [
            node,
            str(script),
            "test",
            "--endpoint",
            endpoint,
            "--identity",
            identity,
            "--protocol",
            protocol,
            "--suite",
            SUITES,
            "--report",
            "json",
            "--report-dir",
            str(report_dir),
        ]
        env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=report_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait(self, deadline: float) -> SuiteRun:
        """Wait until `deadline` (time.monotonic()), then read the report; AssertionError on any trouble."""
        try:
            code = self.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(
                f"ocpp-ws-cli ({self.protocol}) did not finish in time; its output:\n{self.output()[-3000:]}"
            ) from None
        reports = sorted(self.report_dir.glob("ocpp-test-report-*.json"))
        if code != 0 or len(reports) != 1:
            raise AssertionError(
                f"ocpp-ws-cli ({self.protocol}) exited with {code} and wrote {len(reports)} JSON reports "
                f"(expected 1); its output:\n{self.output()[-3000:]}"
            )
        return parse_report(reports[0], self.protocol, self.identity, self.output())

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


def parse_report(path: Path, protocol: str, identity: str, output: str = "") -> SuiteRun:
    """The tool's JSON report, checked to be the run we asked for and complete."""
    report = json.loads(path.read_text())
    metadata = report.get("metadata") or {}
    problems = []
    if report.get("command") != "test":
        problems.append(f"command {report.get('command')!r}")
    if metadata.get("protocol") != protocol or metadata.get("identity") != identity:
        problems.append(f"metadata {metadata!r}")
    if metadata.get("suitesRun") != EXPECTED_SUITES:
        problems.append(f"suites run {metadata.get('suitesRun')!r} instead of {EXPECTED_SUITES!r}")
    results = report.get("testResults")
    if not isinstance(results, list) or not results:
        problems.append("no testResults")
        results = []
    if report.get("metrics", {}).get("totalTestsRun") != len(results):
        problems.append(f"metrics {report.get('metrics')!r} disagree with {len(results)} results")
    if problems:
        raise AssertionError(f"unexpected ocpp-ws-cli report {path}: {'; '.join(problems)}")
    checks = [
        Check(
            name=str(result["name"]),
            passed=result["passed"] is True,
            severity=str(result.get("severity") or "-"),
            issue=str(result.get("issue") or ""),
            duration_ms=int(result.get("durationMs") or 0),
        )
        for result in results
    ]
    return SuiteRun(protocol=protocol, identity=identity, report_path=path, report=report, checks=checks, output=output)
