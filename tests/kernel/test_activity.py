"""The activity feed: watched stations only, every listener, a failing listener harms no one."""

from __future__ import annotations

import logging

import pytest

from voltline.kernel.activity import ActivityFeed, ActivityKind, EvseActivity


def test_listeners_get_every_activity_in_order_and_a_failing_one_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    feed = ActivityFeed()
    seen: list[EvseActivity] = []

    def broken(activity: EvseActivity) -> None:
        raise RuntimeError("bug")

    feed.listen(broken)
    feed.listen(seen.append)
    first, second = EvseActivity("CP-1", 1, ActivityKind.STARTED), EvseActivity("CP-1", 1, ActivityKind.ENDED)
    with caplog.at_level(logging.ERROR, "voltline.activity"):
        feed.emit(first)
        feed.emit(second)
    assert seen == [first, second]
    assert "activity listener failed on started of 'CP-1'" in caplog.text


def test_watching_is_by_station_id() -> None:
    feed = ActivityFeed()
    feed.watch(["CP-1", "CP-2"])
    feed.unwatch(["CP-2", "CP-3"])
    assert feed.watched == {"CP-1"}
