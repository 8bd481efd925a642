"""The terminal's input: lines from a stream read off the event loop; the end of input (a simulator run in
the background, stdin closed) leaves the station running."""

from __future__ import annotations

import asyncio
import io

from tests.support.fake_csms import FakeCsms
from tests.support.schema_check import assert_station_frames_valid
from voltline.ocppj import OcppVersion
from voltline.simulator import SimulatedStation
from voltline.simulator.terminal import run_terminal, stdin_lines


async def test_commands_from_a_stream_then_eof_leaves_the_station_running() -> None:
    async with FakeCsms(heartbeat_interval=30) as csms:
        station = SimulatedStation(csms.url, "CP1", OcppVersion.V16, meter_interval=0.05, reconnect=True)
        runner = asyncio.create_task(station.run())
        try:
            link = await csms.link("CP1")
            await link.wait_for("StatusNotification")
            printed: list[str] = []
            stream = io.StringIO("status\n\nplug\nswipe CARD-1\n")
            await asyncio.wait_for(run_terminal(station, stdin_lines(stream), printed.append), 5)
            assert printed[0].startswith("CP1 ocpp1.6 online")
            assert printed[-1].startswith("connector 1: charging for CARD-1")
            await link.wait_for("MeterValues")
            assert station.connected and not runner.done()  # EOF ended the commands, not the station
        finally:
            await station.close()
            await asyncio.wait_for(runner, 2)
        assert_station_frames_valid(OcppVersion.V16, station.transcript)
