"""The simulated station's terminal: what a driver or a technician does at a charge point, one line each.

`StationTerminal.execute` interprets one line against a running `SimulatedStation` (the CLI feeds it
stdin; tests feed it lines). `stdin_lines` reads a text stream in a daemon thread, so a blocked read never
keeps the process alive, and ends at EOF: a simulator started in the background keeps running without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any, TextIO

from voltline.ocppj import CallErrorReceived, CallTimeout, InvalidCall, SessionClosed
from voltline.simulator.station import SimulatedStation
from voltline.simulator.vehicle import ElectricVehicle

HELP = """commands:
  swipe <idTag> [connector]  hold a card to the reader: Authorize, then start a charge (or stop the one it started)
  plug [connector] [opts]    plug the cable in (a card accepted before starts the charge now); opts pick the
                             car: --phases 1|3, --max-a <A per phase>, --kwh <energy it wants>
  unplug [connector]         pull the cable out: the transaction on it ends
  fault [connector] [code]   a hardware fault: Faulted with a 1.6 error code (default GroundFailure)
  clear [connector]          the fault is gone: Available again
  offline                    lose the network: transaction messages are queued
  online                     come back: boot if needed, report, deliver the queue
  status                     the station and its connectors
  quit                       stop the simulator
  help                       this list"""

Write = Callable[[str], None]


def _connector(args: list[str], index: int = 0) -> int:
    if len(args) <= index:
        return 1
    try:
        return int(args[index])
    except ValueError:
        raise ValueError(f"not a connector number: {args[index]!r}") from None


PLUG_USAGE = "usage: plug [connector] [--phases 1|3] [--max-a <A>] [--kwh <kWh>]"


def _plug_args(args: list[str], default: ElectricVehicle) -> tuple[int, ElectricVehicle | None]:
    """`plug 2 --phases 1 --max-a 16 --kwh 5` (or `--kwh=5`): the connector, and the car (None: no option
    given, the station's default car). Options change the default car, so an unnamed trait stays as the
    station's car has it."""
    connector: int | None = None
    changes: dict[str, Any] = {}
    words = iter(args)
    for word in words:
        if not word.startswith("--"):
            if connector is not None:
                raise ValueError(PLUG_USAGE)
            connector = _connector([word])
            continue
        name, _, text = word[2:].partition("=")
        text = text or next(words, "")
        try:
            if name == "phases":
                changes["phases"] = int(text)
            elif name == "max-a":
                changes["max_current_a"] = float(text)
            elif name == "kwh":
                changes["energy_wanted_wh"] = float(text) * 1000
            else:
                raise ValueError(PLUG_USAGE)
        except ValueError:
            shown = word if "=" in word else f"{word} {text}".rstrip()
            raise ValueError(f"bad option {shown}; {PLUG_USAGE}") from None
    car = replace(default, **changes) if changes else None
    return (1 if connector is None else connector), car


class StationTerminal:
    """Interprets terminal commands for one station; answers go to `write`."""

    def __init__(self, station: SimulatedStation, write: Write) -> None:
        self.station = station
        self.write = write

    async def execute(self, line: str) -> bool:
        """Run one command line; False once `quit` closed the station."""
        words = line.split()
        if not words:
            return True
        command, args = words[0].lower(), words[1:]
        try:
            if command == "quit":
                await self.station.close()
                self.write("bye")
                return False
            action = self._action(command, args)
            if action is None:
                self.write(f"unknown command {command!r}; `help` lists them")
                return True
            answer = await action()
            for text in [answer] if isinstance(answer, str) else answer:
                self.write(text)
        except (ValueError, RuntimeError) as exc:
            self.write(f"{command}: {exc}")
        except (CallErrorReceived, CallTimeout, InvalidCall, SessionClosed, ConnectionError) as exc:
            # The CSMS refused, did not answer or went away in the middle: the station goes on.
            self.write(f"{command}: {type(exc).__name__}: {exc}")
        return True

    def _action(self, command: str, args: list[str]) -> Callable[[], Awaitable[str | list[str]]] | None:
        station = self.station
        if command == "swipe":
            if not args:
                raise ValueError("usage: swipe <idTag> [connector]")
            connector = _connector(args, 1) if len(args) > 1 else None
            return lambda: station.swipe(args[0], connector)
        if command == "plug":
            connector, car = _plug_args(args, station.default_ev)
            return lambda: station.plug(connector, ev=car)
        if command == "unplug":
            return lambda: station.unplug(_connector(args))
        if command == "fault":
            code = args[1] if len(args) > 1 else "GroundFailure"
            return lambda: station.fault(_connector(args), code)
        if command == "clear":
            return lambda: station.clear_fault(_connector(args))
        if command == "offline":
            return station.go_offline
        if command == "online":
            return _now(station.go_online)
        if command == "status":
            return _now(station.describe)
        if command == "help":
            return _now(lambda: HELP)
        return None


def _now(function: Callable[[], str | list[str]]) -> Callable[[], Awaitable[str | list[str]]]:
    async def run() -> str | list[str]:
        return function()

    return run


async def stdin_lines(stream: TextIO) -> AsyncIterator[str]:
    """The lines of `stream`, read in a daemon thread (input() would block the event loop); ends at EOF."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        try:
            for line in iter(stream.readline, ""):
                loop.call_soon_threadsafe(queue.put_nowait, line)
        except (OSError, ValueError):
            pass  # stdin closed under us: as EOF
        finally:
            with contextlib.suppress(RuntimeError):  # the loop is already closed: nobody is listening
                loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="simulator-stdin", daemon=True).start()
    while (line := await queue.get()) is not None:
        yield line


async def run_terminal(station: SimulatedStation, lines: AsyncIterator[str], write: Write) -> None:
    """Execute each line until `quit` or the end of input (which leaves the station running)."""
    terminal = StationTerminal(station, write)
    async for line in lines:
        if not await terminal.execute(line):
            return
