"""Load generator: thousands of simulated OCPP-J stations in one process (uvloop, raw asyncio WebSocket client).

It runs phases, in order, over one fleet of connections, and prints one JSON document on stdout:

- ``storm``     connect (optionally with HTTP Basic auth) and boot every station as fast as possible;
- ``saturate``  closed loop: every station sends its next message as soon as the last one is answered
                (OCPP allows one CALL in flight per station, so N stations = N requests outstanding);
- ``rate``      open loop at a fixed rate (``--rate`` msg/s spread round-robin over the stations), latency
                measured from the moment a message is due, so queueing behind a slow answer is counted;
- ``idle``      hold every connection with no traffic (pongs are answered);
- ``settle``    after a storm: wait until the server's own CALLs stop (``--settle-quiet`` seconds without
                one, counted from the phase's start; with ``--settle-expect ACTION:N`` only once N of that
                action have come), and report how long after the storm began its last one came, and how many
                of each.

The generator answers no CALL from the server (a CALLERROR, counted as an error), except with
``--answer-smart-charging``: then it plays a station that takes every charging profile and holds none it
can show (SetChargingProfile and ClearChargingProfile Accepted, GetChargingProfiles NoProfiles,
GetCompositeSchedule Rejected, GetConfiguration and GetVariables: unknown), so that a boot storm of stations
with stored profiles measures the server delivering them.

Before ``saturate`` and ``rate``, every station without a transaction starts one (unmeasured, reported as
``<phase>_prepare``), so the measured windows see the steady mix rather than a burst of starts; with
``--prepare-settle S`` it then also waits until the server sent no CALL for S seconds (what the burst of
starts made it send, e.g. a load controller's limits, is reported with the prepare phase, not the window).
Each measured window reports the server's CALLs that came in it (``server_calls``).

The message mix per station follows `bench.frames.mix_pattern` (55% meter values, 25% heartbeats, 12% status
notifications, 8% authorization and transaction start/stop). With ``--watch-pid`` it samples that process's
CPU time and RSS from /proc at the edges of each measured window (the server under test).

    python -m bench.generator --url ws://127.0.0.1:9000/ocpp --ocpp 1.6 --stations 1000 \\
        --phases storm,saturate,rate,idle --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import math
import os
import random
import resource
import sys
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

import orjson

from bench.frames import ACTIONS, V16, V201, StationFrames, mix_pattern

try:  # the C helper websockets ships; a pure-Python fallback below keeps the generator correct without it
    from websockets.speedups import apply_mask as _apply_mask  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    _apply_mask = None

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def mask(payload: bytes, key: bytes) -> bytes:
    if _apply_mask is not None:
        return bytes(_apply_mask(payload, key))
    n = len(payload)
    repeated = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big")


def client_frame(opcode: int, payload: bytes) -> bytes:
    """One masked, final WebSocket frame from client to server (RFC 6455 section 5.2)."""
    n = len(payload)
    key = os.urandom(4)
    if n < 126:
        header = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        header = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    return header + key + mask(payload, key)


# -- statistics ------------------------------------------------------------------------------------------------------


def percentile(ordered: list[float], q: float) -> float | None:
    if not ordered:
        return None
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))  # nearest rank
    return ordered[index]


def latency_summary(latencies: list[float]) -> dict[str, Any]:
    """Exact percentiles from the sorted samples, in milliseconds."""
    ordered = sorted(latencies)

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 3)

    return {
        "count": len(ordered),
        "p50_ms": ms(percentile(ordered, 0.50)),
        "p90_ms": ms(percentile(ordered, 0.90)),
        "p99_ms": ms(percentile(ordered, 0.99)),
        "p999_ms": ms(percentile(ordered, 0.999)),
        "max_ms": ms(ordered[-1] if ordered else None),
    }


@dataclass
class Recorder:
    """What one phase saw: answers by action, errors by kind, latencies."""

    answered: Counter[str] = field(default_factory=Counter)
    call_errors: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    by_action: dict[str, list[float]] = field(default_factory=dict)

    def error_count(self) -> int:
        return sum(self.call_errors.values()) + sum(self.errors.values())


def proc_sample(pid: int | None) -> dict[str, float] | None:
    """CPU seconds (user + system, all threads) and RSS in bytes of a process, from /proc."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        with open(f"/proc/{pid}/statm", "rb") as statm:
            rss_pages = int(statm.read().split()[1])
    except OSError:
        return None
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime: fields 14 and 15 of stat
    return {"cpu_s": cpu, "rss_bytes": float(rss_pages * resource.getpagesize()), "t": time.monotonic()}


def proc_delta(before: dict[str, float] | None, after: dict[str, float] | None) -> dict[str, float] | None:
    if before is None or after is None:
        return None
    wall = after["t"] - before["t"]
    cpu = after["cpu_s"] - before["cpu_s"]
    return {
        "cpu_s": round(cpu, 3),
        "wall_s": round(wall, 3),
        "cpu_share": round(cpu / wall, 4) if wall > 0 else 0.0,
        "rss_before_bytes": before["rss_bytes"],
        "rss_after_bytes": after["rss_bytes"],
    }


# -- one station -----------------------------------------------------------------------------------------------------


class HandshakeError(Exception):
    pass


class Station(asyncio.Protocol):
    """A simulated charge point on a raw asyncio transport: the WebSocket client handshake and framing (text,
    continuation, ping/pong, close) and one OCPP-J CALL in flight at a time."""

    def __init__(self, fleet: Fleet, index: int, station_id: str) -> None:
        self.fleet = fleet
        self.index = index
        self.station_id = station_id
        self.frames = StationFrames(fleet.version, station_id, fleet.id_tag)
        self.pattern_pos = random.Random(index).randrange(len(fleet.pattern))
        self.transport: asyncio.Transport | None = None
        self.open = False
        self.closed = False
        self.close_code: int | None = None
        self.buffer = bytearray()
        self.fragments: list[bytes] = []
        self.handshake: asyncio.Future[None] = fleet.loop.create_future()
        self.key = base64.b64encode(os.urandom(16))
        self.counter = 0
        # the CALL in flight: message id, kind, start time (when it was due)
        self.pending_id: bytes | None = None
        self.pending_kind = ""
        self.pending_since = 0.0
        self.on_answer: Callable[[Station, str, Any], None] | None = None
        self.backlog: deque[float] = deque()  # open loop: times at which further messages fell due

    # transport callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's
        url = self.fleet.target
        headers = [
            f"GET {url.path}/{self.station_id} HTTP/1.1",
            f"Host: {url.netloc}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {self.key.decode()}",
            "Sec-WebSocket-Version: 13",
            f"Sec-WebSocket-Protocol: {self.fleet.version}",
        ]
        password = self.fleet.password_for(self.station_id)
        if password is not None:
            token = base64.b64encode(f"{self.station_id}:{password}".encode()).decode()
            headers.append(f"Authorization: Basic {token}")
        self.transport.write(("\r\n".join(headers) + "\r\n\r\n").encode())

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.open:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > 65536:
                    self._fail_handshake("oversized handshake response")
                return
            head = bytes(self.buffer[:end]).decode("latin-1")
            del self.buffer[: end + 4]
            self._check_handshake(head)
            if not self.open:
                return
        self._read_frames()

    def connection_lost(self, exc: Exception | None) -> None:
        was_open = self.open
        self.open = False
        self.closed = True
        if not self.handshake.done():
            self.handshake.set_exception(HandshakeError(f"connection lost: {exc or 'closed by peer'}"))
        if was_open and not self.fleet.closing:
            self.fleet.recorder.errors[f"connection closed by server (code {self.close_code})"] += 1
            if self.pending_id is not None:
                self.fleet.recorder.errors["no answer: connection closed"] += 1
                self.pending_id = None

    # handshake
    def _fail_handshake(self, reason: str) -> None:
        if not self.handshake.done():
            self.handshake.set_exception(HandshakeError(reason))
        if self.transport is not None:
            self.transport.close()

    def _check_handshake(self, head: str) -> None:
        lines = head.split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or parts[1] != "101":
            self._fail_handshake(f"HTTP {parts[1] if len(parts) > 1 else lines[0]!r}")
            return
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        expected = base64.b64encode(hashlib.sha1(self.key + _GUID).digest()).decode()
        if headers.get("sec-websocket-accept") != expected:
            self._fail_handshake("bad Sec-WebSocket-Accept")
        elif headers.get("sec-websocket-protocol") != self.fleet.version:
            self._fail_handshake(f"subprotocol {headers.get('sec-websocket-protocol')!r} not {self.fleet.version}")
        else:
            self.open = True
            self.handshake.set_result(None)

    # framing
    def _read_frames(self) -> None:
        buf = self.buffer
        pos = 0
        size = len(buf)
        while size - pos >= 2:
            b0 = buf[pos]
            b1 = buf[pos + 1]
            length = b1 & 0x7F
            header = 2
            if length == 126:
                if size - pos < 4:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                header = 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                header = 10
            masked = b1 & 0x80
            if masked:
                header += 4
            if size - pos < header + length:
                break
            payload = bytes(buf[pos + header : pos + header + length])
            if masked:  # servers must not mask, but be liberal in what we accept
                payload = mask(payload, bytes(buf[pos + header - 4 : pos + header]))
            pos += header + length
            self._on_frame(b0 & 0x80, b0 & 0x0F, payload)
            if self.closed:
                break
        del buf[:pos]

    def _on_frame(self, fin: int, opcode: int, payload: bytes) -> None:
        if opcode == 0x1 or opcode == 0x2 or opcode == 0x0:
            if opcode == 0x2:
                self.fleet.recorder.errors["binary frame from server"] += 1
            if not fin:
                self.fragments.append(payload)
                return
            if self.fragments:
                payload = b"".join([*self.fragments, payload])
                self.fragments.clear()
            self._on_message(payload)
        elif opcode == 0x9:
            self._write(client_frame(0xA, payload))
        elif opcode == 0x8:
            self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            if self.open:
                self._write(client_frame(0x8, payload[:2]))
            if self.transport is not None:
                self.transport.close()
        # 0xA (pong) needs nothing

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    # OCPP-J
    def next_kind(self) -> str:
        kind = self.fleet.pattern[self.pattern_pos]
        self.pattern_pos = (self.pattern_pos + 1) % len(self.fleet.pattern)
        if not self.frames.in_transaction and kind in ("meter", "stop"):
            return "start"
        if self.frames.in_transaction and kind == "start":
            return "meter"
        return kind

    def call(self, kind: str, since: float) -> None:
        """Send one CALL; `since` is when it fell due (the latency clock starts there)."""
        self.counter += 1
        message_id = b"%d" % self.counter
        frame = self.frames.frame(kind, message_id)
        self.pending_id = message_id
        self.pending_kind = kind
        self.pending_since = since
        self.fleet.sent[kind] += 1
        self._write(client_frame(0x1, frame))

    def _on_message(self, text: bytes) -> None:
        now = time.perf_counter()
        recorder = self.fleet.recorder
        try:
            message = orjson.loads(text)
            message_type = message[0]
        except (orjson.JSONDecodeError, IndexError, KeyError, TypeError):
            recorder.errors["unreadable frame from server"] += 1
            return
        if message_type == 2:  # a CALL from the CSMS
            fleet = self.fleet
            answer = fleet.answers.get(message[2]) if len(message) > 3 else None
            if answer is not None:
                fleet.server_calls[message[2]] += 1
                fleet.last_server_call = now
                self._write(client_frame(0x1, orjson.dumps([3, message[1], answer(message[3])])))
                return
            recorder.errors[f"server CALL {message[2] if len(message) > 2 else '?'}"] += 1
            reply = [4, message[1], "NotImplemented", "load generator", {}]
            self._write(client_frame(0x1, orjson.dumps(reply)))
            return
        if self.pending_id is None or message[1] != self.pending_id.decode():
            recorder.errors["answer to no CALL in flight (late or unknown id)"] += 1
            return
        kind = self.pending_kind
        action = ACTIONS[self.fleet.version][kind]
        self.pending_id = None
        latency = now - self.pending_since
        recorder.latencies.append(latency)
        samples = recorder.by_action.get(action)
        if samples is None:
            samples = recorder.by_action[action] = []
        samples.append(latency)
        if message_type == 3:
            recorder.answered[action] += 1
            self.frames.answered(kind, message[2])
            if kind == "boot":
                status = message[2].get("status") if isinstance(message[2], dict) else None
                self.fleet.boot_status[str(status)] += 1
        elif message_type == 4:
            recorder.call_errors[f"{action}: {message[2]} {message[3]}"[:200]] += 1
            if kind == "boot":
                self.fleet.boot_status["CALLERROR"] += 1
        else:
            recorder.errors[f"message type {message_type!r}"] += 1
        callback = self.on_answer
        if callback is not None:
            callback(self, kind, message)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            if self.open:
                self.transport.write(client_frame(0x8, (1000).to_bytes(2, "big")))
            self.transport.close()


# -- the fleet and its phases ----------------------------------------------------------------------------------------


class Fleet:
    def __init__(self, args: argparse.Namespace) -> None:
        self.loop = asyncio.get_running_loop()
        self.args = args
        self.version = V16 if args.ocpp in ("1.6", V16) else V201
        self.target = urlsplit(args.url.rstrip("/"))
        self.host = self.target.hostname or "127.0.0.1"
        self.port = self.target.port or 80
        self.id_tag: str = args.id_tag
        self.pattern = mix_pattern()
        self.password_scheme: str | None = args.password_scheme
        self.passwords: dict[str, str] = {}
        if args.password_file:
            with open(args.password_file, encoding="utf-8") as source:
                for line in source:
                    sid, _, rest = line.strip().partition(",")
                    if sid and sid != "id":
                        self.passwords[sid] = rest.split(",")[0]
        self.stations = [Station(self, i, f"{args.prefix}{i:05d}") for i in range(args.stations)]
        self.recorder = Recorder()
        self.sent: Counter[str] = Counter()
        self.boot_status: Counter[str] = Counter()
        self.closing = False
        self.watch_pid: int | None = args.watch_pid
        self.answers: dict[str, Callable[[Any], Any]] = SMART_CHARGING_ANSWERS if args.answer_smart_charging else {}
        self.server_calls: Counter[str] = Counter()
        self.last_server_call: float | None = None
        self.storm_began: float | None = None

    def password_for(self, station_id: str) -> str | None:
        if station_id in self.passwords:
            return self.passwords[station_id]
        if self.password_scheme:
            return self.password_scheme.format(id=station_id)
        return None

    def live(self) -> list[Station]:
        return [s for s in self.stations if s.open]

    def in_flight(self) -> int:
        return sum(1 for s in self.stations if s.open and s.pending_id is not None)

    def swap_recorder(self) -> Recorder:
        done, self.recorder = self.recorder, Recorder()
        return done

    async def sweep_timeouts(self) -> None:
        """Count CALLs unanswered after --call-timeout as timeouts and free their station (as a real one would)."""
        while True:
            await asyncio.sleep(0.5)
            limit = time.perf_counter() - self.args.call_timeout
            for station in self.stations:
                if station.pending_id is not None and station.pending_since < limit:
                    self.recorder.errors[f"timeout ({ACTIONS[self.version][station.pending_kind]})"] += 1
                    station.pending_id = None
                    if station.on_answer is not None and station.open:
                        station.on_answer(station, station.pending_kind, None)

    async def _wind_down(self, active: list[Station]) -> tuple[Recorder, int]:
        """After a measured window: feed the stations nothing more, let what is in flight come back.
        Returns what was recorded meanwhile and how many calls stayed unanswered."""
        for station in active:
            station.backlog.clear()
            station.on_answer = None
        unanswered = await self.drain(self.args.drain_timeout)
        return self.swap_recorder(), unanswered

    async def drain(self, within: float) -> int:
        """Wait for the CALLs in flight; returns how many were still unanswered at the deadline."""
        deadline = time.monotonic() + within
        while self.in_flight() and time.monotonic() < deadline:  # noqa: ASYNC110 - polling a count is enough
            await asyncio.sleep(0.05)
        return self.in_flight()

    # phase: storm
    async def storm(self) -> dict[str, Any]:
        handshakes: list[float] = []
        failures: Counter[str] = Counter()
        gate = asyncio.Semaphore(self.args.concurrency) if self.args.concurrency > 0 else None
        booted: list[float] = []
        boot_waiters: dict[Station, asyncio.Future[None]] = {}

        def on_boot(station: Station, kind: str, message: Any) -> None:
            station.on_answer = None
            waiter = boot_waiters.pop(station, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

        async def one(station: Station) -> None:
            if gate is not None:
                await gate.acquire()
            try:
                began = time.perf_counter()
                try:
                    await asyncio.wait_for(
                        self.loop.create_connection(lambda: station, self.host, self.port),
                        self.args.handshake_timeout,
                    )
                    await asyncio.wait_for(asyncio.shield(station.handshake), self.args.handshake_timeout)
                except (OSError, TimeoutError, HandshakeError) as exc:
                    reason = type(exc).__name__ if not isinstance(exc, HandshakeError) else str(exc)
                    if isinstance(exc, OSError) and exc.errno is not None:
                        reason = f"{type(exc).__name__} errno {exc.errno}"
                    failures[reason[:120]] += 1
                    if station.handshake.done() and not station.handshake.cancelled():
                        station.handshake.exception()  # retrieved: asyncio must not warn about it
                    if station.transport is not None:
                        station.transport.close()
                    return
                handshakes.append(time.perf_counter() - began)
                waiter: asyncio.Future[None] = self.loop.create_future()
                boot_waiters[station] = waiter
                station.on_answer = on_boot
                station.call("boot", time.perf_counter())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter, self.args.call_timeout + 1)
                booted.append(time.perf_counter() - began)
            finally:
                if gate is not None:
                    gate.release()

        before = proc_sample(self.watch_pid)
        began = self.storm_began = time.perf_counter()
        await asyncio.gather(*(one(s) for s in self.stations))
        elapsed = time.perf_counter() - began
        after = proc_sample(self.watch_pid)
        recorder = self.swap_recorder()
        accepted = self.boot_status.get("Accepted", 0)
        return {
            "stations": len(self.stations),
            "connected": len(handshakes),
            "accepted": accepted,
            "boot_status": dict(self.boot_status),
            "handshake_failures": dict(failures),
            "seconds": round(elapsed, 3),
            "connect_boot_per_s": round(accepted / elapsed, 1) if elapsed > 0 else None,
            "handshake_latency": latency_summary(handshakes),
            "connect_boot_latency": latency_summary(booted),
            "call_errors": dict(recorder.call_errors),
            "errors": dict(recorder.errors),
            "error_count": recorder.error_count() + sum(failures.values()) + (len(handshakes) - accepted),
            "server": proc_delta(before, after),
        }

    # before saturate and rate: every station begins its transaction, unmeasured
    async def prepare(self) -> dict[str, Any] | None:
        """Each live station without a transaction starts one (StartTransaction / TransactionEvent Started) and
        waits for the answer, so the measured windows see the steady mix, not a burst of starts."""
        waiting = [s for s in self.live() if not s.frames.in_transaction and s.pending_id is None]
        if not waiting:
            return None
        done = self.loop.create_future()
        left = len(waiting)

        def started(station: Station, kind: str, message: Any) -> None:
            nonlocal left
            station.on_answer = None
            left -= 1
            if left == 0 and not done.done():
                done.set_result(None)

        began = time.perf_counter()
        for station in waiting:
            station.on_answer = started
            station.call("start", time.perf_counter())
        calls_before = Counter(self.server_calls)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done, self.args.call_timeout + 1)
        answered = time.perf_counter()
        answered_s = answered - began
        # Quiet counted from the last answer: the server may send nothing while its starts are still queued.
        settled = await self._quiet(self.args.prepare_settle, answered) if self.args.prepare_settle else None
        recorder = self.swap_recorder()
        return {
            "stations": len(waiting),
            "seconds": round(answered_s, 3),
            # with --prepare-settle: when the server's CALLs the starts caused (a load controller's limits)
            # stopped, counted from the first start, and how many came
            "server_calls_settled_s": round(settled - began, 3) if settled is not None else None,
            "server_calls": dict(self.server_calls - calls_before),
            "latency": latency_summary(recorder.latencies),
            "call_errors": dict(recorder.call_errors),
            "errors": dict(recorder.errors),
            "error_count": recorder.error_count(),
        }

    # phase: saturate
    async def saturate(self) -> dict[str, Any]:
        active = self.live()
        if self.args.active:
            active = active[: self.args.active]
        running = True

        def again(station: Station, kind: str, message: Any) -> None:
            if running and station.open:
                station.call(station.next_kind(), time.perf_counter())

        for station in active:
            station.on_answer = again
        for station in active:
            station.call(station.next_kind(), time.perf_counter())
        await asyncio.sleep(self.args.warmup)
        self.swap_recorder()
        calls_before = Counter(self.server_calls)
        before = proc_sample(self.watch_pid)
        began = time.perf_counter()
        await asyncio.sleep(self.args.seconds)
        elapsed = time.perf_counter() - began
        after = proc_sample(self.watch_pid)
        server_calls = dict(self.server_calls - calls_before)
        window = self.swap_recorder()
        running = False
        drained, unanswered = await self._wind_down(active)
        answered = sum(window.answered.values()) + sum(window.call_errors.values())
        return self._report(
            window,
            drained,
            elapsed,
            before,
            after,
            stations=len(active),
            messages=answered,
            msgs_per_s=round(answered / elapsed, 1),
            unanswered_after_drain=unanswered,
            server_calls=server_calls,
        )

    # phase: rate
    async def rate(self) -> dict[str, Any]:
        active = self.live()
        rate = self.args.rate
        running = True
        late = 0

        def next_backlog(station: Station, kind: str, message: Any) -> None:
            if station.backlog and station.open:
                station.call(station.next_kind(), station.backlog.popleft())

        for station in active:
            station.on_answer = next_backlog
        if not active:
            return {"error": "no live station"}

        async def pace(duration: float) -> int:
            nonlocal late
            began = time.perf_counter()
            due_count = 0
            turn = 0
            while running:
                now = time.perf_counter()
                if now - began >= duration:
                    break
                target = int((now - began) * rate)
                while due_count < target:
                    due_count += 1
                    station = active[turn]
                    turn = (turn + 1) % len(active)
                    if not station.open:
                        continue
                    if station.pending_id is None and not station.backlog:
                        station.call(station.next_kind(), now)
                    else:
                        station.backlog.append(now)
                        late += 1
                await asyncio.sleep(0.0005)
            return due_count

        await pace(self.args.warmup)
        self.swap_recorder()
        late = 0
        calls_before = Counter(self.server_calls)
        before = proc_sample(self.watch_pid)
        began = time.perf_counter()
        due = await pace(self.args.seconds)
        elapsed = time.perf_counter() - began
        after = proc_sample(self.watch_pid)
        server_calls = dict(self.server_calls - calls_before)
        window = self.swap_recorder()
        running = False
        backlog = sum(len(s.backlog) for s in active)
        drained, unanswered = await self._wind_down(active)
        answered = sum(window.answered.values()) + sum(window.call_errors.values())
        return self._report(
            window,
            drained,
            elapsed,
            before,
            after,
            stations=len(active),
            target_rate=rate,
            due=due,
            messages=answered,
            msgs_per_s=round(answered / elapsed, 1),
            queued_behind_own_call=late,
            backlog_at_end=backlog,
            unanswered_after_drain=unanswered,
            server_calls=server_calls,
        )

    async def _quiet(self, quiet: float, since: float, action: str = "", wanted: int = 0) -> float:
        """Wait until no server CALL came for `quiet` seconds counted from `since` (and, with `action`, until
        `wanted` of those came), at most `--settle-timeout`; when the last came (or `since`)."""
        while time.perf_counter() - since < self.args.settle_timeout:
            last = max(self.last_server_call or since, since)
            enough = self.server_calls[action] >= wanted if action else True
            if enough and time.perf_counter() - last >= quiet:
                return last
            await asyncio.sleep(0.05)
        return time.perf_counter()

    # phase: settle
    async def settle(self) -> dict[str, Any]:
        """Wait for the server's CALLs to stop: `--settle-quiet` seconds without one (or `--settle-timeout`)."""
        began = time.perf_counter()
        before = proc_sample(self.watch_pid)
        action, _, wanted = (self.args.settle_expect or ":0").partition(":")
        # Quiet counts from this phase's start: CALLs that stopped during the storm (the server still busy
        # with its boots) are not the end of what the storm left it to send.
        await self._quiet(self.args.settle_quiet, began, action, int(wanted or 0))
        after = proc_sample(self.watch_pid)
        recorder = self.swap_recorder()
        origin = self.storm_began if self.storm_began is not None else began
        last = self.last_server_call
        return {
            "server_calls": dict(self.server_calls),
            "last_server_call_after_storm_began_s": round(last - origin, 3) if last is not None else None,
            "timed_out": time.perf_counter() - began >= self.args.settle_timeout,
            "call_errors": dict(recorder.call_errors),
            "errors": dict(recorder.errors),
            "error_count": recorder.error_count(),
            "server": proc_delta(before, after),
        }

    # phase: idle
    async def idle(self) -> dict[str, Any]:
        await asyncio.sleep(self.args.idle_settle)  # let the server finish what the storm left (batched writes)
        held = len(self.live())
        before = proc_sample(self.watch_pid)
        began = time.perf_counter()
        await asyncio.sleep(self.args.idle_seconds)
        elapsed = time.perf_counter() - began
        after = proc_sample(self.watch_pid)
        recorder = self.swap_recorder()
        still = len(self.live())
        return {
            "connections_held": held,
            "connections_at_end": still,
            "seconds": round(elapsed, 3),
            "call_errors": dict(recorder.call_errors),
            "errors": dict(recorder.errors),
            "error_count": recorder.error_count() + (held - still),
            "server": proc_delta(before, after),
        }

    def _report(
        self,
        window: Recorder,
        drained: Recorder,
        elapsed: float,
        before: dict[str, float] | None,
        after: dict[str, float] | None,
        **extra: Any,
    ) -> dict[str, Any]:
        server = proc_delta(before, after)
        messages = extra.get("messages", 0)
        if server is not None and messages:
            server["cpu_us_per_msg"] = round(server["cpu_s"] * 1e6 / messages, 1)
        errors = Counter(window.errors) + Counter(drained.errors)
        call_errors = Counter(window.call_errors) + Counter(drained.call_errors)
        unanswered = extra.get("unanswered_after_drain", 0)
        return {
            **extra,
            "seconds": round(elapsed, 3),
            "answered": dict(window.answered),
            "latency": latency_summary(window.latencies),
            "latency_by_action": {
                action: {k: v for k, v in latency_summary(samples).items() if k in ("count", "p50_ms", "p99_ms")}
                for action, samples in sorted(window.by_action.items())
            },
            "call_errors": dict(call_errors),
            "errors": dict(errors),
            "error_count": sum(errors.values()) + sum(call_errors.values()) + unanswered,
            "server": server,
        }


def _unknown_keys(request: Any) -> Any:
    return {"configurationKey": [], "unknownKey": list(request.get("key", []))}


def _unknown_variables(request: Any) -> Any:
    return {
        "getVariableResult": [
            {"attributeStatus": "UnknownVariable", "component": item["component"], "variable": item["variable"]}
            for item in request.get("getVariableData", [])
        ]
    }


# --answer-smart-charging: a station that takes every profile and holds none it could show the server.
SMART_CHARGING_ANSWERS: dict[str, Callable[[Any], Any]] = {
    "SetChargingProfile": lambda _request: {"status": "Accepted"},
    "ClearChargingProfile": lambda _request: {"status": "Accepted"},
    "GetChargingProfiles": lambda _request: {"status": "NoProfiles"},
    "GetCompositeSchedule": lambda _request: {"status": "Rejected"},
    "GetConfiguration": _unknown_keys,
    "GetVariables": _unknown_variables,
}


def raise_open_file_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def progress(message: str) -> None:
    """A line on stderr (the runner keeps it in the generator's log: where a profiler can wait for a phase)."""
    print(f"{time.strftime('%H:%M:%S')} generator: {message}", file=sys.stderr, flush=True)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    fleet = Fleet(args)
    sweeper = asyncio.create_task(fleet.sweep_timeouts())
    phases: dict[str, Any] = {}
    try:
        for phase in args.phases.split(","):
            phase = phase.strip()
            progress(f"{phase} began")
            if phase == "storm":
                phases["storm"] = await fleet.storm()
            elif phase in ("saturate", "rate"):
                prepared = await fleet.prepare()
                if prepared is not None:
                    phases[f"{phase}_prepare"] = prepared
                progress(f"{phase} measured from now")
                phases[phase] = await (fleet.saturate() if phase == "saturate" else fleet.rate())
            elif phase == "idle":
                phases["idle"] = await fleet.idle()
            elif phase == "settle":
                phases["settle"] = await fleet.settle()
            else:
                raise SystemExit(f"unknown phase {phase!r}")
            if phase != "storm" and not fleet.live():
                break
    finally:
        sweeper.cancel()
        fleet.closing = True
        for station in fleet.stations:
            station.close()
        await asyncio.sleep(0.2)
    errors = sum(int(p.get("error_count", 0)) for p in phases.values())
    return {
        "version": fleet.version,
        "stations": args.stations,
        "url": args.url,
        "sent": dict(fleet.sent),
        "server_calls": dict(fleet.server_calls),  # the CALLs the server sent, by action, over every phase
        "phases": phases,
        "error_count": errors,
        "open_file_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        "uvloop": type(asyncio.get_running_loop()).__module__.startswith("uvloop"),
    }


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="ws://127.0.0.1:9000/ocpp", help="endpoint prefix; stations use {url}/{id}")
    p.add_argument("--ocpp", choices=["1.6", "2.0.1"], default="1.6")
    p.add_argument("--stations", type=int, default=1000)
    p.add_argument("--prefix", default="BENCH-", help="station ids are {prefix}{index:05d}")
    p.add_argument("--phases", default="storm,saturate,rate,idle")
    p.add_argument("--seconds", type=float, default=10, help="measured window of saturate and rate")
    p.add_argument("--warmup", type=float, default=1, help="unmeasured seconds before each window")
    p.add_argument("--idle-seconds", type=float, default=10)
    p.add_argument("--idle-settle", type=float, default=3, help="unmeasured seconds before the idle window")
    p.add_argument("--rate", type=float, default=3000, help="open loop: messages per second over all stations")
    p.add_argument("--active", type=int, default=0, help="saturate with this many stations only (0: all)")
    p.add_argument("--concurrency", type=int, default=0, help="storm: handshakes in progress at once (0: all)")
    p.add_argument("--password-scheme", default=None, help="Basic auth password, e.g. 'pw-{id}-bench-secret'")
    p.add_argument("--password-file", default=None, help="CSV id,password[,...] (as written by bench.make_fleet)")
    p.add_argument("--id-tag", default="BENCH-TAG-1")
    p.add_argument("--handshake-timeout", type=float, default=30)
    p.add_argument("--call-timeout", type=float, default=60)
    p.add_argument("--drain-timeout", type=float, default=60)
    p.add_argument("--watch-pid", type=int, default=None, help="sample this process's CPU and RSS (the server)")
    p.add_argument("--cpu", type=int, default=None, help="pin the generator to this CPU")
    p.add_argument("--no-uvloop", action="store_true")
    p.add_argument("--answer-smart-charging", action="store_true", help="answer the server's smart charging CALLs")
    p.add_argument("--settle-quiet", type=float, default=2, help="settle: seconds without a server CALL")
    p.add_argument("--settle-timeout", type=float, default=120)
    p.add_argument(
        "--prepare-settle",
        type=float,
        default=0,
        help="before saturate/rate: after the starts, wait for this many seconds without a server CALL",
    )
    p.add_argument("--settle-expect", default=None, help="settle: ACTION:N, wait until N of that CALL have come")
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    raise_open_file_limit()
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {args.cpu})
    try:
        import uvloop
    except ImportError:  # the `bench` extra is not installed: plain asyncio, slower but correct
        uvloop = None  # type: ignore[assignment]
    use_uvloop = uvloop is not None and not args.no_uvloop
    result = uvloop.run(run(args)) if use_uvloop else asyncio.run(run(args))
    sys.stdout.buffer.write(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
