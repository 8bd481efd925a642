"""Fixtures for the REST API tests: the real app over a real, migrated SQLite file.

The station link is a scripted stand-in: stations are offline unless a test puts them online, and an
online station answers with whatever the test scripted. The sockets behind a real link are tested
end to end elsewhere; here the subject is the HTTP layer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.databases import fresh_database
from tests.support.wiring import api_app, open_storage, wired_services
from voltline.areas.access.api_access import ApiAccessService
from voltline.kernel.commands import Command, CommandResult
from voltline.kernel.errors import StationOffline
from voltline.kernel.services import ServiceRegistry
from voltline.kernel.versions import OcppVersion
from voltline.storage.sql.storage import SqlStorage

ADMIN_TOKEN = "vl_test-admin-token-0123456789"


@dataclass
class ScriptedLink:
    """A `StationLink`: `online` stations answer `answer` (a result, or an exception to raise); like the
    real link, it refuses the others with StationOffline (services do not check before sending)."""

    online: set[str] = field(default_factory=set)
    versions: dict[str, OcppVersion] = field(default_factory=dict)  # 1.6 unless given
    answer: CommandResult | Exception = field(default_factory=lambda: CommandResult("Accepted", {"status": "Accepted"}))
    raw_answer: dict[str, Any] | Exception = field(default_factory=dict)
    sent: list[tuple[str, Command]] = field(default_factory=list)
    raw_calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def is_online(self, station_id: str) -> bool:
        return station_id in self.online

    def version_of(self, station_id: str) -> OcppVersion | None:
        return self.versions.get(station_id, OcppVersion.V16) if station_id in self.online else None

    def online_ids(self) -> frozenset[str]:
        return frozenset(self.online)

    async def send(self, station_id: str, command: Command) -> CommandResult:
        self._require(station_id)
        self.sent.append((station_id, command))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    async def call_raw(self, station_id: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        self._require(station_id)
        self.raw_calls.append((station_id, action, payload))
        if isinstance(self.raw_answer, Exception):
            raise self.raw_answer
        return self.raw_answer

    def _require(self, station_id: str) -> None:
        if station_id not in self.online:
            raise StationOffline(f"station {station_id!r} is not connected")


@pytest.fixture
async def api_storage(tmp_path: Path) -> AsyncIterator[SqlStorage]:
    """SQLite only: the API tests are about HTTP, the storage contract runs on every backend elsewhere."""
    async with fresh_database("sqlite", tmp_path) as url:
        storage = await open_storage(url)
        try:
            yield storage
        finally:
            await storage.close()


@pytest.fixture
def link() -> ScriptedLink:
    return ScriptedLink()


@pytest.fixture
async def services(api_storage: SqlStorage, link: ScriptedLink) -> ServiceRegistry:
    services = wired_services(api_storage, link, heartbeat_interval=60)
    await services[ApiAccessService].ensure_admin_token(ADMIN_TOKEN)
    return services


@pytest.fixture
async def anonymous(services: ServiceRegistry) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sends no credentials."""
    transport = httpx.ASGITransport(app=api_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://voltline.test") as client:
        yield client


@pytest.fixture
async def client(services: ServiceRegistry) -> AsyncIterator[httpx.AsyncClient]:
    """A client authenticated with the admin token."""
    transport = httpx.ASGITransport(app=api_app(services))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://voltline.test",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    ) as client:
        yield client
