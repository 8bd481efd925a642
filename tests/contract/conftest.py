"""The storage contract, on every backend: the real SQL storage behind the kernel's storage port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.databases import database_url
from tests.support.wiring import open_storage
from voltline.storage.sql import SqlStorage

__all__ = ["database_url"]


@pytest.fixture
async def storage(database_url: str) -> AsyncIterator[SqlStorage]:
    opened = await open_storage(database_url)
    try:
        yield opened
    finally:
        await opened.close()
