"""`voltline simulate`: one autonomous simulated station, one printed line per event."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from websockets.exceptions import WebSocketException

from voltline.simulator.station import SimulatedStation, StationEvent, parse_version

_STYLES = {
    "connected": "cyan",
    "booted": "green",
    "status": "blue",
    "tx_started": "bold green",
    "tx_stopped": "bold yellow",
    "command": "magenta",
    "disconnected": "red",
}


def simulate(
    url: Annotated[str, typer.Option(help="CSMS endpoint base; the id is appended.")] = "ws://127.0.0.1:9000/ocpp",
    id: Annotated[str, typer.Option(help="Charge point identity.")] = "CP1",
    ocpp: Annotated[str, typer.Option(help="1.6 or 2.0.1 (or ocpp1.6 / ocpp2.0.1).")] = "1.6",
    password: Annotated[str | None, typer.Option(help="HTTP Basic auth password (username = id).")] = None,
    connectors: Annotated[int, typer.Option(min=1, help="Number of connectors (2.0.1: EVSEs).")] = 1,
    meter_interval: Annotated[float, typer.Option(help="Seconds between meter values while charging.")] = 5.0,
) -> None:
    """Run a simulated charge point until Ctrl-C; charging is driven by the CSMS (remote start/stop)."""
    console = Console(highlight=False, soft_wrap=True)
    try:
        version = parse_version(ocpp)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--ocpp") from exc

    def show(event: StationEvent) -> None:
        style = _STYLES.get(event.kind, "white")
        stamp = datetime.now().strftime("%H:%M:%S")
        console.print(f"[dim]{stamp}[/dim] [{style}]{event}[/{style}]")

    station = SimulatedStation(
        url,
        id,
        version,
        password=password,
        connectors=connectors,
        meter_interval=meter_interval,
        on_event=show,
    )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(station.run())
    except (OSError, WebSocketException) as exc:
        console.print(f"[red]{id}: {exc}[/red]")
        raise typer.Exit(1) from exc
