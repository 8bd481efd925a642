"""The benchmark runner behind `make bench`: Voltline on SQLite, Voltline on PostgreSQL and the baseline
(`bench/baseline_csms.py`), each driven by the same load generator (`bench/generator.py`), one table.

For every target the server runs in its own process pinned to CPU 0 and the generator in its own process
pinned to CPU 1 (when the machine has two or more CPUs and allows it). Runs per target:

1. OCPP 1.6, ``--stations`` stations: reconnect storm (connect + boot all at once, with HTTP Basic auth when
   `voltline stations import` exists), saturation (closed loop), fixed rate (``--rate`` msg/s, open loop);
2. the same for OCPP 2.0.1;
3. after a restart of the server: ``--connections`` stations connect, then idle (memory and idle CPU).

Results: the table on stdout and everything measured in ``bench/results/latest.json``.

    .venv/bin/python -m bench.runner            # full run (a few minutes)
    .venv/bin/python -m bench.runner --quick    # a scaled-down run (about a minute)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import composite, sites
from bench.make_fleet import DEFAULT_PASSWORD_SCHEME, write_fleet

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
POSTGRES_BASE = os.environ.get("VOLTLINE_BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")
ADMIN_TOKEN = "vl_bench_admin_token_0123456789abcdef"
ID_TAG = "BENCH-TAG-1"
SERVER_CPU = 0
GENERATOR_CPU = 1

err = Console(stderr=True)


def log(message: str) -> None:
    err.print(f"[dim]{datetime.now():%H:%M:%S}[/dim] {message}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raise_open_file_limit() -> int:
    """Soft open-file limit up to the hard one; children (server, generator) inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def can_pin() -> bool:
    if not hasattr(os, "sched_getaffinity") or shutil.which("taskset") is None:
        return False
    return {SERVER_CPU, GENERATOR_CPU} <= os.sched_getaffinity(0)


# -- servers ---------------------------------------------------------------------------------------------------------


@dataclass
class Server:
    """One server under test in its own process."""

    name: str
    kind: str  # "voltline" or "baseline"
    workdir: Path
    pin: bool
    database_url: str = ""
    unknown_stations: str = "accept"
    ocpp_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ocpp_url(self) -> str:
        return f"ws://127.0.0.1:{self.ocpp_port}/ocpp"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "VOLTLINE_DATABASE_URL": self.database_url,
            "VOLTLINE_UNKNOWN_STATIONS": self.unknown_stations,
            "VOLTLINE_OCPP_HOST": "127.0.0.1",
            "VOLTLINE_OCPP_PORT": str(self.ocpp_port),
            "VOLTLINE_HTTP_HOST": "127.0.0.1",
            "VOLTLINE_HTTP_PORT": str(self.http_port),
            "VOLTLINE_LOG_LEVEL": "WARNING",
            "VOLTLINE_ADMIN_TOKEN": ADMIN_TOKEN,
        }

    def start(self) -> None:
        if self.kind == "voltline":
            command = [sys.executable, "-m", "voltline", "serve"]
        else:
            command = [sys.executable, "-m", "bench.baseline_csms", "--port", str(self.ocpp_port)]
        if self.pin:
            command = ["taskset", "-c", str(SERVER_CPU), *command]
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(command, env=self.env(), cwd=ROOT, stdout=out, stderr=out)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start: {self.log_path.read_text()[-2000:]}")
            if self._ready():
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready within 60 s: {self.log_path.read_text()[-2000:]}")

    def _ready(self) -> bool:
        if self.kind == "voltline":
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/health", timeout=1) as answer:
                    return bool(answer.status == 200)
            except (urllib.error.URLError, OSError):
                return False
        try:
            with socket.create_connection(("127.0.0.1", self.ocpp_port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def api(self, method: str, path: str, body: dict[str, Any]) -> int:
        return self.call_api(method, path, body)[0]

    def call_api(self, method: str, path: str, body: dict[str, Any], timeout: float = 10) -> tuple[int, Any]:
        """(HTTP status, decoded JSON body or None)."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.http_port}{path}",
            data=json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                content = answer.read()
                return int(answer.status), json.loads(content) if content else None
        except urllib.error.HTTPError as exc:
            return int(exc.code), None


def import_available() -> bool:
    voltline = Path(sys.executable).parent / "voltline"
    command = [str(voltline)] if voltline.exists() else [sys.executable, "-m", "voltline"]
    try:
        done = subprocess.run([*command, "stations", "import", "--help"], capture_output=True, timeout=60, cwd=ROOT)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def import_fleet(server: Server, fleet_csv: Path) -> str | None:
    """Register the fleet with `voltline stations import`; returns a problem, or None."""
    done = subprocess.run(
        [sys.executable, "-m", "voltline", "stations", "import", str(fleet_csv)],
        env=server.env(),
        cwd=ROOT,
        capture_output=True,
        timeout=600,
    )
    if done.returncode != 0:
        return f"`voltline stations import` failed ({done.returncode}): {done.stderr.decode()[-500:]}"
    return None


async def _postgres(statement: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    connection = await asyncpg.connect(POSTGRES_BASE, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def postgres_schema() -> tuple[str | None, str]:
    """A fresh schema; returns (schema, problem)."""
    schema = f"vl_bench_{secrets.token_hex(4)}"
    try:
        asyncio.run(_postgres(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        return None, f"PostgreSQL at {POSTGRES_BASE} unreachable: {type(exc).__name__}: {exc}"
    return schema, ""


def drop_postgres_schema(schema: str) -> None:
    with contextlib.suppress(Exception):
        asyncio.run(_postgres(f'DROP SCHEMA "{schema}" CASCADE'))


# -- generator -------------------------------------------------------------------------------------------------------


def generate(server: Server, args: argparse.Namespace, ocpp: str, prefix: str, stations: int, phases: str,
             auth: bool, pin: bool, extra: tuple[str, ...] = ()) -> dict[str, Any]:  # fmt: skip
    command = [
        sys.executable,
        "-m",
        "bench.generator",
        "--url",
        server.ocpp_url,
        "--ocpp",
        ocpp,
        "--stations",
        str(stations),
        "--prefix",
        prefix,
        "--phases",
        phases,
        "--seconds",
        str(args.seconds),
        "--warmup",
        str(args.warmup),
        "--idle-seconds",
        str(args.idle_seconds),
        "--rate",
        str(args.rate),
        "--id-tag",
        ID_TAG,
        "--watch-pid",
        str(server.pid),
    ]
    if auth:
        command += ["--password-scheme", DEFAULT_PASSWORD_SCHEME]
    if pin:
        command += ["--cpu", str(GENERATOR_CPU)]
    command += extra
    log(f"{server.name}: {ocpp} {stations} stations, phases {phases}")
    stderr = server.workdir / f"generator-{server.name}-{prefix.strip('-')}.log"
    with stderr.open("wb") as errors:
        done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=errors, timeout=args.run_timeout)
    if done.returncode != 0:
        raise RuntimeError(f"generator failed ({done.returncode}): {stderr.read_text()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    if server.process is not None and server.process.poll() is not None:
        raise RuntimeError(f"{server.name} died during the run: {server.log_path.read_text()[-2000:]}")
    log(f"{server.name}: {ocpp} done, {result['error_count']} errors")
    return result


def run_target(server: Server, args: argparse.Namespace, pin: bool, fleet_csv: Path | None) -> dict[str, Any]:
    """All runs against one server; returns the generator results plus notes."""
    result: dict[str, Any] = {"name": server.name, "notes": server.notes}
    auth = False
    server.start()
    try:
        if server.kind == "voltline":
            if fleet_csv is not None:
                problem = import_fleet(server, fleet_csv)
                if problem is None:
                    auth = True
                else:
                    server.notes.append(f"{problem}; storm without auth")
                    server.stop()
                    server.unknown_stations = "accept"
                    server.start()
            status = server.api("POST", "/api/v1/id-tokens", {"id_token": ID_TAG, "type": "ISO14443"})
            if status not in (200, 201, 409):
                server.notes.append(f"id token registration answered HTTP {status}: tokens are Invalid")
        result["auth"] = auth
        heavy = "storm,saturate,rate"
        result["v16"] = generate(server, args, "1.6", "S16-", args.stations, heavy, auth, pin)
        result["v201"] = generate(server, args, "2.0.1", "S201-", args.stations, heavy, auth, pin)
        server.stop()
        server.start()  # a fresh process, so RSS per connection is not blurred by the earlier runs
        result["connections"] = generate(server, args, "1.6", "C16-", args.connections, "storm,idle", auth, pin)
    finally:
        server.stop()
    return result


# A station max profile every station of the storm holds: 32 A from a fixed date on.
STORM_PROFILE = {
    "purpose": "ChargingStationMaxProfile",
    "stack_level": 0,
    "kind": "Absolute",
    "evse_id": 0,
    "schedules": [{"unit": "A", "start": "2026-01-01T00:00:00Z", "periods": [{"start_offset": 0, "limit": 32}]}],
}
APPLY_CHUNK = 1000  # station ids per template application (the API's limit)


def store_profiles(server: Server, station_ids: list[str]) -> float:
    """Give every (offline) station the storm profile, through a template; returns the seconds it took."""
    began = time.monotonic()
    status, template = server.call_api(
        "POST", "/api/v1/charging-profile-templates", {"name": f"storm cap {station_ids[0]}", "profile": STORM_PROFILE}
    )
    if status != 201:
        raise RuntimeError(f"template creation answered HTTP {status}")
    for at in range(0, len(station_ids), APPLY_CHUNK):
        chunk = station_ids[at : at + APPLY_CHUNK]
        path = f"/api/v1/charging-profile-templates/{template['id']}/apply"
        status, outcomes = server.call_api("POST", path, {"station_ids": chunk}, timeout=600)
        failed = [o for o in outcomes or [] if o.get("error")]
        if status != 200 or failed:
            raise RuntimeError(f"template application answered HTTP {status}, {len(failed)} failed: {failed[:3]}")
    return time.monotonic() - began


def start_with_fleet(server: Server, fleet_csv: Path) -> None:
    """Start the server and register the fleet's stations; a run that needs them cannot go on without."""
    server.start()
    problem = import_fleet(server, fleet_csv)
    if problem is not None:
        server.stop()
        raise RuntimeError(problem)


def run_profile_storm(server: Server, args: argparse.Namespace, pin: bool, fleet_csv: Path) -> dict[str, Any]:
    """Boot storms of stations with a stored profile, per version: first delivered (pending), then verified
    after a reboot (accepted: 1.6 compares composite schedules, 2.0.1 asks for the profiles; the generator's
    stations show none, so each gets its profile again)."""
    result: dict[str, Any] = {"name": server.name, "notes": server.notes, "stations": args.stations}
    start_with_fleet(server, fleet_csv)
    try:
        answering = ("--answer-smart-charging", "--settle-quiet", "2")
        for key, ocpp, prefix in (("v16", "1.6", "P16-"), ("v201", "2.0.1", "P201-")):
            ids = [f"{prefix}{i:05d}" for i in range(args.stations)]
            # Once online (Voltline learns each station's version), then offline while the profiles are set.
            result[f"{key}_first_boot"] = generate(server, args, ocpp, prefix, args.stations, "storm", True, pin)
            result[f"{key}_store_s"] = round(store_profiles(server, ids), 1)
            for state in ("pending", "accepted"):
                result[f"{key}_{state}"] = generate(
                    server, args, ocpp, prefix, args.stations, "storm,settle", True, pin, answering
                )
    finally:
        server.stop()
    return result


def profile_storm_summary(target: dict[str, Any]) -> str:
    if "error" in target:
        return f"profile storm: {target['error']}"
    lines = [f"boot storm with a stored profile, {target['stations']:,} stations per version (SQLite):"]
    for key, title in (("v16", "1.6"), ("v201", "2.0.1")):
        for state in ("pending", "accepted"):
            run = target.get(f"{key}_{state}") or {}
            storm = _get(run, "phases", "storm") or {}
            settle = _get(run, "phases", "settle") or {}
            calls = settle.get("server_calls", {})
            lines.append(
                f"  {title} {state:8}: {storm.get('accepted', 0):,} booted in {storm.get('seconds')} s, "
                f"{calls.get('SetChargingProfile', 0):,} profiles delivered, the last "
                f"{settle.get('last_server_call_after_storm_began_s')} s after the storm began "
                f"(server calls {calls}; errors {run.get('error_count')})"
            )
    return "\n".join(lines)


# -- the table -------------------------------------------------------------------------------------------------------


def _get(data: dict[str, Any] | None, *path: str) -> Any:
    value: Any = data
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def figures(target: dict[str, Any] | None) -> dict[str, float | None]:
    """The table's numbers for one target (None where not measured)."""
    if target is None or "error" in target:
        return {}
    out: dict[str, float | None] = {}
    conn = target.get("connections")
    held = _get(conn, "phases", "idle", "connections_held")
    out["connections"] = held
    out["storm"] = _get(target, "v16", "phases", "storm", "connect_boot_per_s")
    for key in ("v16", "v201"):
        out[f"sat_{key}"] = _get(target, key, "phases", "saturate", "msgs_per_s")
        out[f"cpu_{key}"] = _get(target, key, "phases", "saturate", "server", "cpu_us_per_msg")
        out[f"p50_{key}"] = _get(target, key, "phases", "rate", "latency", "p50_ms")
        out[f"p99_{key}"] = _get(target, key, "phases", "rate", "latency", "p99_ms")
        out[f"rate_{key}"] = _get(target, key, "phases", "rate", "msgs_per_s")
    before = _get(conn, "phases", "storm", "server", "rss_before_bytes")
    after = _get(conn, "phases", "idle", "server", "rss_after_bytes")
    out["rss"] = (after - before) / held / 1024 if held and before is not None and after is not None else None
    share = _get(conn, "phases", "idle", "server", "cpu_share")
    out["idle"] = share * 100 * 10_000 / held if held and share is not None else None
    out["errors"] = sum(
        int(_get(target, key, "error_count") or 0) for key in ("v16", "v201", "connections") if key in target
    )
    return out


ROWS: list[tuple[str, str, str]] = [
    # key, label, format
    ("connections", "connections held (one process)", "{:,.0f}"),
    ("storm", "connect+boot per second (1.6)", "{:,.0f}"),
    ("sat_v16", "saturated msg/s (1.6)", "{:,.0f}"),
    ("sat_v201", "saturated msg/s (2.0.1)", "{:,.0f}"),
    ("cpu_v16", "server CPU µs per message (1.6)", "{:,.0f}"),
    ("cpu_v201", "server CPU µs per message (2.0.1)", "{:,.0f}"),
    ("lat_v16", "p50 / p99 ms at {rate} msg/s (1.6)", ""),
    ("lat_v201", "p50 / p99 ms at {rate} msg/s (2.0.1)", ""),
    ("rss", "RSS per connection (KiB)", "{:,.1f}"),
    ("idle", "idle CPU (% of a core per 10,000 stations)", "{:.2f}"),
    ("errors", "errors (CALLERROR, timeout, handshake, close)", "{:,.0f}"),
]


def _cell(values: dict[str, float | None], key: str, fmt: str, rate: float) -> str:
    if key.startswith("lat_"):
        version = key[4:]
        p50, p99, achieved = values.get(f"p50_{version}"), values.get(f"p99_{version}"), values.get(f"rate_{version}")
        if p50 is None or p99 is None:
            return "-"
        cell = f"{p50:,.1f} / {p99:,.1f}"
        if achieved is not None and achieved < rate * 0.95:
            cell += f" (only {achieved:,.0f}/s)"
        return cell
    value = values.get(key)
    return "-" if value is None else fmt.format(value)


def _ratio(ours: dict[str, float | None], theirs: dict[str, float | None], key: str) -> str:
    if key.startswith("lat_"):
        version = key[4:]
        a, b = ours.get(f"p99_{version}"), theirs.get(f"p99_{version}")
        prefix = "p99 "
    else:
        a, b = ours.get(key), theirs.get(key)
        prefix = ""
    if key == "errors" or a is None or b is None or b == 0:
        return "-"
    return f"{prefix}{a / b:,.2f}x"


def render(report: dict[str, Any], console: Console) -> None:
    targets = report["targets"]
    names = [("sqlite", "Voltline SQLite"), ("postgresql", "Voltline PostgreSQL"), ("baseline", "baseline")]
    values = {key: figures(targets.get(key)) for key, _ in names}
    rate = report["settings"]["rate"]
    table = Table(title=f"Voltline benchmark ({report['settings']['mode']}) - {report['machine']['summary']}")
    table.add_column("", no_wrap=True)
    for _, title in names:
        table.add_column(title, justify="right")
    table.add_column("ratio (SQLite / baseline)", justify="right")
    for key, label, fmt in ROWS:
        table.add_row(
            label.format(rate=f"{rate:,.0f}"),
            *(_cell(values[name], key, fmt, rate) for name, _ in names),
            _ratio(values["sqlite"], values["baseline"], key),
        )
    console.print(table)
    if "composite" in targets:
        console.print(composite.summary(targets["composite"]))
    if "profiles" in targets:
        console.print(profile_storm_summary(targets["profiles"]))
    if "sites" in targets:
        console.print(sites.summary(targets["sites"], targets.get("sqlite")))
    notes = list(report["notes"])
    for key, title in names:
        target = targets.get(key)
        if target is None:
            continue
        if "error" in target:
            notes.append(f"{title}: not measured: {target['error']}")
        for note in target.get("notes", []):
            notes.append(f"{title}: {note}")
    for note in notes:
        console.print(f"- {note}")


# -- main ------------------------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    cpus = os.cpu_count() or 1
    return {
        "cpus": cpus,
        "cpu_model": model,
        "memory": memory,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "summary": f"{cpus} x {model or platform.machine()}, {memory}, Python {platform.python_version()}",
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="scaled down: 1,000 stations, 2,000 connections, 3 s")
    p.add_argument("--stations", type=int, default=None, help="stations of the storm/saturate/rate runs")
    p.add_argument("--connections", type=int, default=None, help="stations of the connections/idle run")
    p.add_argument("--seconds", type=float, default=None, help="measured seconds of saturate and rate")
    p.add_argument("--idle-seconds", type=float, default=None)
    p.add_argument("--warmup", type=float, default=None)
    p.add_argument("--rate", type=float, default=3000)
    p.add_argument("--targets", default="sqlite,postgresql,baseline,composite,profiles,sites")
    p.add_argument("--run-timeout", type=float, default=900, help="seconds one generator run may take")
    p.add_argument("--output", default=str(RESULTS / "latest.json"))
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the targets this many times in turn (sqlite, sites, sqlite, sites ...): the sites ratio of each "
        "round and their median, since one pair cannot tell 10%% from the machine's own noise",
    )
    args = p.parse_args(argv)
    if args.rounds < 1:
        p.error(f"--rounds must be at least 1, not {args.rounds}")
    quick = args.quick
    defaults = {
        "stations": 1000 if quick else 10_000,
        "connections": 2000 if quick else 19_000,
        "seconds": 3.0 if quick else 10.0,
        "idle_seconds": 5.0 if quick else 20.0,
        "warmup": 0.5 if quick else 1.0,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def run_sites(server: Server, args: argparse.Namespace, pin: bool, fleet_csv: Path) -> dict[str, Any]:
    """The `sqlite` target's storm, saturate and rate phases with every station on a load-managed site."""
    result: dict[str, Any] = {"name": server.name, "notes": server.notes, "stations": args.stations}
    start_with_fleet(server, fleet_csv)
    try:
        status = server.api("POST", "/api/v1/id-tokens", {"id_token": ID_TAG, "type": "ISO14443"})
        if status not in (200, 201, 409):
            raise RuntimeError(f"id token registration answered HTTP {status}")
        for key, ocpp, prefix in (("v16", "1.6", "S16-"), ("v201", "2.0.1", "S201-")):
            # Settled once every station has its default and the server has been quiet for a second.
            expect = f"SetChargingProfile:{args.stations}"
            # Before saturate and rate: the limits the burst of 10,000 starts causes are sent before the window
            # (the steady state is measured, as for the `sqlite` target; how long the burst took is reported).
            answering = (
                "--answer-smart-charging",
                "--settle-quiet",
                "1",
                "--settle-expect",
                expect,
                "--prepare-settle",
                "1",
            )
            began = time.monotonic()
            ids = sites.create_sites(server.call_api, prefix, args.stations)
            result["sites_per_version"] = len(ids)
            result[f"{key}_sites_created_s"] = round(time.monotonic() - began, 1)
            # The storm leaves the controller 0 A defaults to give every station (a one-off, measured by the
            # settle phase); saturate and rate then measure the steady state, as the `sqlite` target does.
            heavy = "storm,settle,saturate,rate"
            result[key] = generate(server, args, ocpp, prefix, args.stations, heavy, True, pin, answering)
            result[f"{key}_allocations"] = sites.count_allocations(server.call_api, ids)
    finally:
        server.stop()
    return result


def run_targets(
    wanted: list[str], workdir: Path, args: argparse.Namespace, pin: bool, fleet_csv: Path | None
) -> dict[str, Any]:
    """One run of every wanted target, in order, with their databases and logs in `workdir`."""
    targets: dict[str, Any] = {}
    for target in wanted:
        if target == "composite":  # a microbenchmark of the smart charging area, in this process: no server
            targets["composite"] = composite.measure()
            log(composite.summary(targets["composite"]))
            continue
        if target == "sites":  # the sqlite target's runs with a load controller on every site
            sites_csv = workdir / "sites-fleet.csv"
            with sites_csv.open("w", encoding="utf-8") as out:
                write_fleet(out, [("S16-", args.stations), ("S201-", args.stations)])
            sites_server = Server("sites", "voltline", workdir, pin, f"sqlite+aiosqlite:///{workdir / 'sites.db'}")
            sites_server.unknown_stations = "reject"
            try:
                targets["sites"] = run_sites(sites_server, args, pin, sites_csv)
            except (RuntimeError, OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
                log(f"sites failed: {exc}")
                targets["sites"] = {"error": str(exc)[:2000]}
            log(sites.summary(targets["sites"], targets.get("sqlite")))
            continue
        if target == "profiles":  # boot storms of stations with stored profiles, on SQLite
            profiles_csv = workdir / "profile-fleet.csv"
            with profiles_csv.open("w", encoding="utf-8") as out:
                write_fleet(out, [("P16-", args.stations), ("P201-", args.stations)])
            storm_server = Server(
                "profiles", "voltline", workdir, pin, f"sqlite+aiosqlite:///{workdir / 'profiles.db'}"
            )
            storm_server.unknown_stations = "reject"
            try:
                targets["profiles"] = run_profile_storm(storm_server, args, pin, profiles_csv)
            except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
                log(f"profiles failed: {exc}")
                targets["profiles"] = {"error": str(exc)[:2000]}
            log(profile_storm_summary(targets["profiles"]))
            continue
        schema: str | None = None
        if target == "sqlite":
            server = Server("sqlite", "voltline", workdir, pin, f"sqlite+aiosqlite:///{workdir / 'bench.db'}")
        elif target == "postgresql":
            schema, problem = postgres_schema()
            if schema is None:
                targets["postgresql"] = {"error": problem}
                log(problem)
                continue
            url = f"postgresql+asyncpg://{POSTGRES_BASE.split('://', 1)[1]}?options=-csearch_path%3D{schema}"
            server = Server("postgresql", "voltline", workdir, pin, url)
        elif target == "baseline":
            server = Server("baseline", "baseline", workdir, pin)
        else:
            raise SystemExit(f"unknown target {target!r}")
        if server.kind == "voltline" and fleet_csv is not None:
            server.unknown_stations = "reject"
        try:
            targets[target] = run_target(server, args, pin, fleet_csv if server.kind == "voltline" else None)
        except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
            log(f"{target} failed: {exc}")
            targets[target] = {"error": str(exc)[:2000], "notes": server.notes}
        finally:
            server.stop()
            if schema is not None:
                drop_postgres_schema(schema)
    return targets


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    limit = raise_open_file_limit()
    notes: list[str] = []
    # each connection costs the server one descriptor; keep room for the database, logs and listeners
    most = max(100, limit - 500)
    if args.connections > most:
        notes.append(f"connections capped at {most:,} by the open-file limit {limit:,}")
        args.connections = most
    pin = can_pin()
    if pin:
        notes.append(f"server pinned to CPU {SERVER_CPU}, generator to CPU {GENERATOR_CPU} (taskset)")
    else:
        notes.append("server and generator not pinned (fewer than 2 usable CPUs or no taskset)")
    workdir = Path(tempfile.mkdtemp(prefix="voltline-bench-"))
    wanted = [t.strip() for t in args.targets.split(",") if t.strip()]
    fleet_csv: Path | None = None
    if "sqlite" in wanted or "postgresql" in wanted:
        if import_available():
            fleet_csv = workdir / "fleet.csv"
            with fleet_csv.open("w", encoding="utf-8") as out:
                write_fleet(out, [("S16-", args.stations), ("S201-", args.stations), ("C16-", args.connections)])
            notes.append("Voltline storm: registered stations (voltline stations import), HTTP Basic auth")
        else:
            notes.append(
                "Voltline storm WITHOUT auth: `voltline stations import` not available, "
                "VOLTLINE_UNKNOWN_STATIONS=accept (stations registered at first connection)"
            )
    notes.append("baseline: in-memory only, persists nothing, accepts every station and token (flatters it)")
    notes.append("Voltline: SQLite synchronous=FULL, transaction and meter data committed before each answer")
    notes.append("CPU per message counts the server process only (not PostgreSQL's own processes)")
    report: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "settings": {
            "mode": "quick" if args.quick else "full",
            "stations": args.stations,
            "connections": args.connections,
            "seconds": args.seconds,
            "idle_seconds": args.idle_seconds,
            "warmup": args.warmup,
            "rate": args.rate,
            "pinned": pin,
            "open_file_limit": limit,
        },
        "notes": notes,
        "targets": {},
    }
    began = time.monotonic()
    rounds: list[dict[str, Any]] = []
    for number in range(1, args.rounds + 1):
        round_dir = workdir if args.rounds == 1 else workdir / f"round-{number}"
        round_dir.mkdir(exist_ok=True)
        if args.rounds > 1:
            log(f"round {number} of {args.rounds}")
        rounds.append(run_targets(wanted, round_dir, args, pin, fleet_csv))
    report["targets"] = rounds[-1]
    if args.rounds > 1:
        report["rounds"] = rounds
        log(sites.spread(rounds))
    report["seconds"] = round(time.monotonic() - began, 1)
    report["workdir"] = str(workdir)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2))
    render(report, Console(width=max(Console().width, 200)))
    print(f"\nfull results: {output} (logs in {workdir}); took {report['seconds']:.0f} s")


if __name__ == "__main__":
    main()
