"""The README's first charge, run as a new user would: its own code blocks, extracted and run in order.

The blocks to run are the ones the README marks with ``<!-- walkthrough -->`` (run in the foreground, in
one shell, in order) or ``<!-- walkthrough: background -->`` (a process of its own, as in a second
terminal). Nothing is copied here: when the README changes, this test runs what it says now.

"A fresh clone" is the project's files (tracked and untracked, not ignored) copied into an empty directory:
no ./voltline.db, no voltline.toml, no state of this checkout. The copy shares this checkout's .venv (the
Makefile sees the same pyproject and constraints, so ``make run`` does not reinstall): a real fresh venv
would only add minutes of pip. Two things differ from a reader's terminal, both so that parallel test runs
cannot collide: the ports (8000 and 9000 in the text become free ports, by setting and by substitution),
and ``curl`` fails on an HTTP error (``--fail-with-body``), so a step that goes wrong stops the walk.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(
    r"^<!-- walkthrough(?:: (?P<mode>background))? -->\s*\n```(?:sh|bash)\n(?P<body>.*?)^```", re.M | re.S
)
STEP_TIMEOUT_S = 240


@dataclass(frozen=True)
class Block:
    body: str
    background: bool


def walkthrough_blocks(readme: str) -> list[Block]:
    return [Block(m["body"], m["mode"] == "background") for m in MARKER.finditer(readme)]


def fresh_copy(destination: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / os.fsdecode(name)
        if source.is_file():
            target = destination / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    (destination / ".venv").symlink_to(ROOT / ".venv")
    return destination


def with_ports(text: str, http_port: int, ocpp_port: int) -> str:
    return re.sub(r"(?<=:)8000\b", str(http_port), re.sub(r"(?<=:)9000\b", str(ocpp_port), text))


def test_the_readme_blocks_are_there() -> None:
    blocks = walkthrough_blocks((ROOT / "README.md").read_text())

    assert any(b.background and "make run" in b.body for b in blocks), "the walkthrough starts the server"
    assert any(b.background and "voltline simulate" in b.body for b in blocks), "and a simulated station"
    assert any(not b.background and "remote-stop" in b.body for b in blocks), "and stops a transaction"


def test_the_readme_walkthrough_reaches_a_stopped_transaction_with_energy(tmp_path: Path) -> None:
    if not (ROOT / ".venv" / "bin" / "voltline").exists():
        pytest.skip("no .venv in this checkout: run `make test`, which creates it")
    clone = fresh_copy(tmp_path / "clone")
    http_port, ocpp_port = free_port(), free_port()
    blocks = walkthrough_blocks(with_ports((ROOT / "README.md").read_text(), http_port, ocpp_port))
    env = {key: value for key, value in os.environ.items() if not key.startswith(("VOLTLINE_", "PYTEST_", "COV_"))} | {
        "VOLTLINE_HTTP_PORT": str(http_port),
        "VOLTLINE_OCPP_PORT": str(ocpp_port),
        "HOME": str(tmp_path),
    }
    # One shell for the foreground steps (variables carry over, as in the reader's terminal); each
    # background block a process group of its own, stopped at the end as a reader would press Ctrl-C.
    script = [
        "set -eu",
        # A newline after each answer, for a readable transcript, keeping curl's exit status.
        'curl() { local status=0; command curl --show-error --fail-with-body "$@" || status=$?;'
        " echo; return $status; }",
    ]
    logs: list[Path] = []
    for index, block in enumerate(blocks):
        if block.background:
            log = tmp_path / f"background-{index}.log"
            logs.append(log)
            # Without job control the child is not a group leader, so setsid runs in it: its pid is its group.
            script.append(f"setsid bash -c {_quoted(block.body)} > {log} 2>&1 & echo $! >> {tmp_path}/pids")
        else:
            script.append(block.body)
    script.append("echo WALKTHROUGH-DONE")
    try:
        done = subprocess.run(
            ["bash", "-c", "\n".join(script)],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT_S,
        )
        transcript = (
            done.stdout + done.stderr + "".join(f"\n--- {log.name}\n{log.read_text()}" for log in logs if log.exists())
        )
        assert done.returncode == 0, transcript
        assert done.stdout.rstrip().endswith("WALKTHROUGH-DONE"), transcript

        # What the walk left behind, asked of the server it started: a stopped transaction with energy.
        token = re.search(r"VOLTLINE_ADMIN_TOKEN=(\S+)", "\n".join(b.body for b in blocks))
        assert token, "the walkthrough chooses its admin token"
        answer = httpx.get(
            f"http://127.0.0.1:{http_port}/api/v1/transactions",
            headers={"Authorization": f"Bearer {token[1].strip(chr(34) + chr(39))}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        transactions = body["items"] if isinstance(body, dict) else body
        stopped = [t for t in transactions if t["stopped_at"] is not None]
        assert stopped, transcript
        assert all((t["energy_wh"] or 0) > 0 for t in stopped), stopped
    finally:
        _stop_background(tmp_path / "pids")


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _stop_background(pid_file: Path) -> None:
    if not pid_file.exists():
        return
    pids = [int(line) for line in pid_file.read_text().split()]
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, sig)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
            time.sleep(0.1)
        if not any(_alive(pid) for pid in pids):
            return


def _alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True
