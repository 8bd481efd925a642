"""`voltline simulate`: one simulated station, one printed line per event, commands on its terminal."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from websockets.exceptions import WebSocketException

from voltline.simulator.station import SimulatedStation, StationEvent, StationRefused, parse_version
from voltline.simulator.terminal import Write, run_terminal, stdin_lines

_STYLES = {
    "connected": "cyan",
    "booted": "green",
    "status": "blue",
    "tx_started": "bold green",
    "tx_stopped": "bold yellow",
    "command": "magenta",
    "disconnected": "red",
    "reconnecting": "yellow",
    "reset": "magenta",
    "online": "cyan",
    "charging": "green",
}


def _in_foreground() -> bool:
    """stdin is a terminal this process may read: a job started with `&` that read it would be stopped
    (SIGTTIN), so such a job does not take commands."""
    try:
        return sys.stdin.isatty() and os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError, AttributeError):
        return False


def simulate(
    url: Annotated[str, typer.Option(help="CSMS endpoint base; the id is appended.")] = "ws://127.0.0.1:9000/ocpp",
    id: Annotated[str, typer.Option(help="Charge point identity.")] = "CP1",
    ocpp: Annotated[str, typer.Option(help="1.6 or 2.0.1 (or ocpp1.6 / ocpp2.0.1).")] = "1.6",
    password: Annotated[str | None, typer.Option(help="HTTP Basic auth password (username = id).")] = None,
    connectors: Annotated[int, typer.Option(min=1, help="Number of connectors (2.0.1: EVSEs).")] = 1,
    meter_interval: Annotated[
        float, typer.Option(help="Seconds between meter values (and status lines) while charging.")
    ] = 5.0,
    reconnect: Annotated[
        bool, typer.Option(help="Reconnect with back-off when the connection is lost (--no-reconnect: exit 1).")
    ] = True,
    interactive: Annotated[
        bool | None,
        typer.Option(help="Read commands from stdin (`help` lists them); default: when stdin is this terminal."),
    ] = None,
    duration: Annotated[
        float | None, typer.Option(min=0, help="Stop after this many seconds (default: run until Ctrl-C).")
    ] = None,
) -> None:
    """Run a simulated charge point until Ctrl-C (or SIGTERM, `quit`, --duration). It charges when the CSMS
    starts a transaction remotely or a card is swiped at its terminal, reconnects when the CSMS restarts,
    obeys Reset by rebooting."""
    console = Console(highlight=False, soft_wrap=True)
    try:
        version = parse_version(ocpp)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--ocpp") from exc

    def stamp() -> str:
        return f"[dim]{datetime.now().strftime('%H:%M:%S')}[/dim]"

    def show(event: StationEvent) -> None:
        style = _STYLES.get(event.kind, "white")
        # The status line while charging reads: CP1 conn 1 charging 11.0 kW 1.23 kWh 00:05:12
        charging = event.kind == "charging"
        text = f"{id} conn {event.connector_id} charging {event.detail}" if charging else str(event)
        console.print(f"{stamp()} [{style}]{escape(text)}[/{style}]")

    def write(text: str) -> None:
        console.print(escape(text))

    station = SimulatedStation(
        url,
        id,
        version,
        password=password,
        connectors=connectors,
        meter_interval=meter_interval,
        on_event=show,
        reconnect=reconnect,
        reboot_on_reset=True,
    )
    takes_commands = _in_foreground() if interactive is None else interactive
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_run(station, takes_commands, duration, write))
    except StationRefused as exc:
        console.print(f"[red]{escape(f'{id}: {exc}')}[/red]")
        raise typer.Exit(1) from exc
    except (OSError, WebSocketException) as exc:
        console.print(f"[red]{escape(f'{id}: {exc}')}[/red]")
        raise typer.Exit(1) from exc


async def _run(station: SimulatedStation, takes_commands: bool, duration: float | None, write: Write) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    # SIGTERM (kill, a test harness, a service manager) ends the simulator as cleanly as `quit` does.
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    if duration is not None:
        loop.call_later(duration, stop.set)
    helpers = [asyncio.create_task(_close_when(stop, station), name="sim-stop")]
    if takes_commands:
        write(f"{station.station_id}: type `help` for the commands")
        helpers.append(asyncio.create_task(run_terminal(station, stdin_lines(sys.stdin), write), name="sim-terminal"))
    try:
        await station.run()
    finally:
        for task in helpers:
            task.cancel()
        await asyncio.gather(*helpers, return_exceptions=True)
        await station.close()


async def _close_when(stop: asyncio.Event, station: SimulatedStation) -> None:
    await stop.wait()
    await station.close()
