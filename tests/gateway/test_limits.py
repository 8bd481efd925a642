"""The failed-authentication limiter, with a controlled clock."""

from __future__ import annotations

from voltline.gateway.limits import AuthFailureLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_address_is_throttled_after_n_failures_and_recovers() -> None:
    clock = Clock()
    limiter = AuthFailureLimiter(5, clock=clock)
    events = []
    for _ in range(5):
        assert limiter.check("10.0.0.1", "CP-1") is None
        events += limiter.failed("10.0.0.1", "CP-1")
    wait = limiter.check("10.0.0.1", "CP-1")
    assert wait is not None and 1 <= wait <= 60
    # one event per key when throttling starts, none per further attempt
    assert [e.kind for e in events] == ["auth-failures-address", "auth-failures-station"]
    assert all(e.count == 5 and e.address == "10.0.0.1" and e.station_id == "CP-1" for e in events)
    for _ in range(100):
        assert limiter.check("10.0.0.1", "CP-1") is not None
    assert len(limiter.events) == 2
    # a clean address is never refused, whatever the station id's count
    assert limiter.check("10.0.0.2", "CP-1") is None
    # an attacker who stops is free again within two minutes
    clock.now += 121
    assert limiter.check("10.0.0.1", "CP-1") is None


def test_station_id_is_slowed_only_for_addresses_that_failed() -> None:
    limiter = AuthFailureLimiter(3, clock=Clock())
    for n in range(3):
        limiter.failed(f"10.0.1.{n}", "CP-1")  # spraying one id from many addresses
    assert limiter.check("10.0.1.0", "CP-1") is not None  # failed before: slowed down
    assert limiter.check("10.0.9.9", "CP-1") is None  # clean address: heard
    assert limiter.check("10.0.1.0", "CP-2") is None  # another station id: heard


def test_memory_is_bounded() -> None:
    limiter = AuthFailureLimiter(20, max_entries=100, max_events=10, clock=Clock())
    for n in range(10_000):
        for _ in range(20):
            limiter.failed(f"addr-{n}", f"CP-{n}")
    assert limiter.tracked == (100, 100)
    assert len(limiter.events) == 10
