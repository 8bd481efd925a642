"""LoginThrottle: lockouts per account and per address, their ends, and bounded memory (a hand-moved clock)."""

from __future__ import annotations

from tests.support.account_builders import FakeClock
from voltline.areas.access.login_throttle import LoginThrottle
from voltline.kernel.throttles import InProcessThrottles


def a_throttle(clock: FakeClock, *, throttles: InProcessThrottles | None = None) -> LoginThrottle:
    return LoginThrottle(
        throttles or InProcessThrottles(clock=clock),
        failures_per_account=5,
        failures_per_address=20,
        window=900.0,
        lockout=900.0,
    )


async def test_an_account_is_locked_after_five_failures_and_freed_after_the_lockout() -> None:
    clock = FakeClock()
    throttle = a_throttle(clock)
    for _ in range(4):
        assert await throttle.failed("alice", "192.0.2.1") == []
        assert await throttle.retry_after("alice", "192.0.2.1") is None

    [event] = await throttle.failed("alice", "192.0.2.1")

    assert (event.kind, event.key, event.started, event.failures) == ("account", "alice", True, 5)
    assert await throttle.retry_after("alice", "192.0.2.1") == 900
    assert await throttle.retry_after("alice", "198.51.100.7") == 900  # from anywhere
    assert await throttle.retry_after("bob", "192.0.2.1") is None  # the address is not locked
    clock.advance(600)
    assert await throttle.retry_after("alice", "192.0.2.1") == 300
    assert await throttle.ended() == []
    clock.advance(300)
    assert await throttle.retry_after("alice", "192.0.2.1") is None
    [end] = await throttle.ended()
    assert (end.kind, end.key, end.started) == ("account", "alice", False)
    assert await throttle.ended() == []  # reported once


async def test_failures_older_than_the_window_do_not_count() -> None:
    clock = FakeClock()
    throttle = a_throttle(clock)
    for _ in range(4):
        await throttle.failed("alice", "192.0.2.1")
    clock.advance(901)
    assert await throttle.failed("alice", "192.0.2.1") == []
    assert await throttle.retry_after("alice", "192.0.2.1") is None


async def test_a_success_clears_the_accounts_failures() -> None:
    clock = FakeClock()
    throttle = a_throttle(clock)
    for _ in range(4):
        await throttle.failed("alice", "192.0.2.1")
    await throttle.succeeded("alice")
    for _ in range(4):
        assert await throttle.failed("alice", "192.0.2.1") == []


async def test_an_address_is_locked_after_twenty_failures_across_accounts() -> None:
    clock = FakeClock()
    throttle = a_throttle(clock)
    events = []
    for n in range(20):
        events += await throttle.failed(f"user{n}", "192.0.2.1")
    assert [(e.kind, e.key) for e in events] == [("address", "192.0.2.1")]
    assert await throttle.retry_after("someone-else", "192.0.2.1") == 900
    assert await throttle.retry_after("someone-else", "192.0.2.2") is None


async def test_failures_while_locked_do_not_extend_the_lockout() -> None:
    clock = FakeClock()
    throttle = a_throttle(clock)
    for _ in range(5):
        await throttle.failed("alice", "192.0.2.1")
    clock.advance(899)
    assert await throttle.failed("alice", "192.0.2.9") == []
    clock.advance(1)
    assert await throttle.retry_after("alice", "192.0.2.1") is None


async def test_memory_is_bounded() -> None:
    clock = FakeClock()
    throttles = InProcessThrottles(max_tracked=100, clock=clock)
    throttle = a_throttle(clock, throttles=throttles)
    for n in range(1000):
        await throttle.failed(f"user{n}", f"10.0.{n // 256}.{n % 256}")
    assert throttles.tracked() <= 200
