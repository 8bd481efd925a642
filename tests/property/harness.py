"""One station's RPC session over real services and a real SQLite database, driven frame by frame.

Hypothesis runs its examples synchronously, so the harness owns an `asyncio.Runner`: storage is opened
once per test (not per example, and not through a function-scoped fixture), and each example runs
`RpcSession.on_message` to completion on that loop, under a timeout ("the server never hangs").
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import orjson

from tests.support.databases import fresh_database
from tests.support.links import NoStations
from tests.support.wiring import open_storage, route_tables, wired_services
from voltline.areas.stations.model import Registration
from voltline.areas.stations.service import StationRegistration, StationService
from voltline.kernel.services import ServiceRegistry
from voltline.ocppj import OcppVersion, RpcSession, shared_registry
from voltline.protocol.context import StationContext
from voltline.protocol.dispatcher import StationDispatcher

STATION_ID = "CP-PROP"
# Per frame: generous for a slow CI machine (a group commit on SQLite takes milliseconds).
FRAME_TIMEOUT = 5.0
T = TypeVar("T")


class StationChannel:
    """An accepted station's session: feed raw frames, read back what the server sent."""

    def __init__(self, version: OcppVersion, services: ServiceRegistry, runner: asyncio.Runner) -> None:
        self.version = version
        self.sent: list[bytes] = []
        self.context = StationContext(STATION_ID, version, accepted=True)
        dispatcher = StationDispatcher(self.context, route_tables(services)[version])
        self.session = RpcSession(version, self._send, dispatcher, shared_registry())
        self._runner = runner
        self._ids = itertools.count(1)

    async def _send(self, data: bytes) -> None:
        assert isinstance(data, bytes)
        self.sent.append(data)

    def message_id(self) -> str:
        return f"prop-{next(self._ids)}"

    def exchange(self, raw: bytes) -> list[list[Any]]:
        """Feed one frame; return the frames sent in answer. Raises if on_message raises or hangs."""
        before = len(self.sent)
        self._runner.run(asyncio.wait_for(self.session.on_message(raw), FRAME_TIMEOUT))
        answers: list[list[Any]] = [orjson.loads(data) for data in self.sent[before:]]
        return answers

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._runner.run(coroutine)


@contextmanager
def station_channel(version: OcppVersion, directory: Path) -> Iterator[StationChannel]:
    """A registered station whose boot was Accepted, on a fresh migrated SQLite database."""
    with asyncio.Runner() as runner:
        database = fresh_database("sqlite", directory)
        url = runner.run(database.__aenter__())
        storage = runner.run(open_storage(url))
        try:
            services = wired_services(storage, NoStations(), heartbeat_interval=30)
            runner.run(services[StationService].register(STATION_ID, StationRegistration(Registration.ACCEPTED, 0)))
            yield StationChannel(version, services, runner)
        finally:
            runner.run(storage.close())
            runner.run(database.__aexit__(None, None, None))
