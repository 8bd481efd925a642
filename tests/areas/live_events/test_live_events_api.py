"""GET /api/v1/events through the real API app: the filters are checked before the stream starts."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from voltline.areas.live_events.api import kind_filter
from voltline.kernel.errors import InvalidRequest
from voltline.kernel.live_events import KINDS


async def test_an_unknown_kind_is_a_422_listing_the_valid_kinds(client: httpx.AsyncClient) -> None:
    # Without the check this is an endless, silent stream: the timeout turns that into a failure.
    response = await asyncio.wait_for(client.get("/api/v1/events", params={"kind": ["status", "transactions"]}), 10)

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "unknown event kind 'transactions'" in detail
    for kind in (*KINDS, "transaction", "command"):
        assert kind in detail


async def test_a_kind_with_capitals_is_unknown_too(client: httpx.AsyncClient) -> None:
    response = await asyncio.wait_for(client.get("/api/v1/events", params={"kind": "Status"}), 10)

    assert response.status_code == 422
    assert "'Status'" in response.json()["detail"]


@pytest.mark.parametrize("kinds", [["transaction"], ["command"], list(KINDS), None])
def test_kinds_and_their_first_parts_stay_valid(kinds: list[str] | None) -> None:
    assert kind_filter(kinds) == kinds


def test_every_unknown_kind_is_named() -> None:
    with pytest.raises(InvalidRequest, match="unknown event kinds 'meter', 'transactions'"):
        kind_filter(["transactions", "status", "meter"])
