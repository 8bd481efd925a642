"""Presence's roster of connected stations, from the gateway's real registry through the real link."""

from __future__ import annotations

from typing import cast

from tests.support.wiring import ENCODERS
from voltline.gateway.registry import ConnectionRegistry, StationConnection
from voltline.ocppj import RpcSession
from voltline.protocol.outbound import SessionLink


def connection(station_id: str) -> StationConnection:
    return StationConnection(station_id, cast(RpcSession, object()), None, True, "127.0.0.1")


def test_online_ids_are_a_snapshot_of_the_connected_stations() -> None:
    registry = ConnectionRegistry()
    link = SessionLink(registry, ENCODERS)
    assert link.online_ids() == frozenset()

    first = connection("CP-1")
    registry.put(first)
    registry.put(connection("CP-2"))
    snapshot = link.online_ids()
    assert snapshot == {"CP-1", "CP-2"}

    # Held across a query while stations come and go: it does not change under the holder.
    registry.remove(first)
    registry.put(connection("CP-3"))
    assert snapshot == {"CP-1", "CP-2"}
    assert link.online_ids() == {"CP-2", "CP-3"}
    assert all(link.is_online(station_id) for station_id in link.online_ids())
