from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.databases import database_url
from voltline.domain.authorization import AuthorizationService
from voltline.domain.stations import StationService
from voltline.domain.transactions import TransactionService
from voltline.storage.sql import SqlStorage

__all__ = ["database_url"]

HEARTBEAT_INTERVAL = 300


@pytest.fixture
async def storage(database_url: str) -> AsyncIterator[SqlStorage]:
    opened = await SqlStorage.open(database_url)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def transactions(storage: SqlStorage) -> TransactionService:
    return TransactionService(storage)


@pytest.fixture
def authorization(storage: SqlStorage) -> AuthorizationService:
    return AuthorizationService(storage)


@pytest.fixture
def stations(storage: SqlStorage) -> StationService:
    return StationService(storage, heartbeat_interval=HEARTBEAT_INTERVAL)
