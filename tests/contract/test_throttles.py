"""The throttle ports' contracts, through the ports only, with a clock the test moves by hand:
`Throttles` / `Lockouts` (kernel: login lockouts and any area's), and the gateway's `AuthFailureThrottle`.

The in-process implementations run here today; one shared by the nodes of a cluster joins the
`*_IMPLEMENTATIONS` tables (built around the test's clock) and is held to the same behaviour.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.account_builders import FakeClock
from voltline.gateway.limits import AuthFailureLimiter, AuthFailureThrottle
from voltline.kernel.throttles import InProcessThrottles, LockoutPolicy, Throttles

THROTTLES_IMPLEMENTATIONS: dict[str, Callable[[FakeClock], Throttles]] = {
    "in-process": lambda clock: InProcessThrottles(clock=clock),
}
# (failures per minute, clock) -> throttle
AUTH_FAILURE_IMPLEMENTATIONS: dict[str, Callable[[int, FakeClock], AuthFailureThrottle]] = {
    "in-process": lambda per_minute, clock: AuthFailureLimiter(per_minute, clock=clock),
}

POLICY = LockoutPolicy(limit=3, window=60.0, lockout=300.0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=sorted(THROTTLES_IMPLEMENTATIONS))
def throttles(request: pytest.FixtureRequest, clock: FakeClock) -> Throttles:
    return THROTTLES_IMPLEMENTATIONS[request.param](clock)


@pytest.fixture(params=sorted(AUTH_FAILURE_IMPLEMENTATIONS))
def auth_failures(request: pytest.FixtureRequest) -> Callable[[int, FakeClock], AuthFailureThrottle]:
    return AUTH_FAILURE_IMPLEMENTATIONS[request.param]


# -- Lockouts ---------------------------------------------------------------------------------------


async def test_the_limit_of_failures_locks_a_key_until_the_lockout_ends(throttles: Throttles, clock: FakeClock) -> None:
    lockouts = throttles.lockouts("test.accounts", POLICY)
    assert await lockouts.fail("alice") is None
    assert await lockouts.fail("alice") is None
    assert await lockouts.retry_after("alice") is None
    assert await lockouts.fail("alice") == 3  # the third locks: the failures that did it
    assert await lockouts.retry_after("alice") == 300
    assert await lockouts.retry_after("bob") is None  # keys are counted apart
    clock.advance(200)
    assert await lockouts.retry_after("alice") == 100
    assert await lockouts.ended() == []
    clock.advance(100)
    assert await lockouts.retry_after("alice") is None
    assert await lockouts.ended() == ["alice"]
    assert await lockouts.ended() == []  # reported once
    assert await lockouts.fail("alice") is None  # a fresh start after the lockout


async def test_failures_older_than_the_window_do_not_count(throttles: Throttles, clock: FakeClock) -> None:
    lockouts = throttles.lockouts("test.accounts", POLICY)
    await lockouts.fail("alice")
    await lockouts.fail("alice")
    clock.advance(61)
    assert await lockouts.fail("alice") is None
    assert await lockouts.retry_after("alice") is None


async def test_clearing_forgets_failures_but_not_a_running_lockout(throttles: Throttles, clock: FakeClock) -> None:
    lockouts = throttles.lockouts("test.accounts", POLICY)
    await lockouts.fail("alice")
    await lockouts.fail("alice")
    await lockouts.clear("alice")
    assert await lockouts.fail("alice") is None
    assert await lockouts.fail("alice") is None
    assert await lockouts.fail("alice") == 3
    await lockouts.clear("alice")
    assert await lockouts.retry_after("alice") == 300


async def test_failures_while_locked_do_not_extend_the_lockout(throttles: Throttles, clock: FakeClock) -> None:
    lockouts = throttles.lockouts("test.accounts", POLICY)
    for _ in range(3):
        await lockouts.fail("alice")
    clock.advance(299)
    assert await lockouts.fail("alice") is None
    clock.advance(1)
    assert await lockouts.retry_after("alice") is None


async def test_an_unlock_ends_the_lockout_at_once_and_starts_from_no_failures(
    throttles: Throttles, clock: FakeClock
) -> None:
    lockouts = throttles.lockouts("test.accounts", POLICY)
    for _ in range(3):
        await lockouts.fail("alice")
    await lockouts.fail("bob")

    assert await lockouts.unlock("alice") is True

    assert await lockouts.retry_after("alice") is None
    assert await lockouts.fail("alice") is None  # counting starts over
    assert await lockouts.fail("alice") is None
    assert await lockouts.fail("alice") == 3  # the limit locks again
    assert await lockouts.unlock("nobody") is False
    assert await lockouts.unlock("bob") is False  # failures but no lockout: forgotten all the same
    assert await lockouts.fail("bob") is None
    assert await lockouts.fail("bob") is None
    clock.advance(300)
    assert await lockouts.ended() == ["alice"]  # the second lockout only: an unlocked one is not reported


async def test_one_name_is_one_set_of_counters_and_names_are_apart(throttles: Throttles) -> None:
    """Every node (and every user in one process) taking the same name counts in the same place."""
    first = throttles.lockouts("test.accounts", POLICY)
    again = throttles.lockouts("test.accounts", POLICY)
    other = throttles.lockouts("test.addresses", POLICY)
    await first.fail("alice")
    await again.fail("alice")
    assert await other.fail("alice") is None
    assert await first.fail("alice") == 3
    assert await again.retry_after("alice") == 300
    assert await other.retry_after("alice") is None


# -- AuthFailureThrottle ----------------------------------------------------------------------------


def test_an_address_is_throttled_after_its_failures_and_free_again_once_it_stops(
    auth_failures: Callable[[int, FakeClock], AuthFailureThrottle], clock: FakeClock
) -> None:
    throttle = auth_failures(5, clock)
    events = []
    for _ in range(5):
        assert throttle.check("10.0.0.1", "CP-1") is None
        events += throttle.failed("10.0.0.1", "CP-1")
    wait = throttle.check("10.0.0.1", "CP-1")
    assert wait is not None and 1 <= wait <= 60
    # One event per key when throttling starts, none per further attempt.
    assert [e.kind for e in events] == ["auth-failures-address", "auth-failures-station"]
    for _ in range(100):
        assert throttle.check("10.0.0.1", "CP-1") is not None
    assert throttle.check("10.0.0.2", "CP-1") is None  # a clean address is heard
    clock.advance(121)  # an attacker who stops is free within two minutes
    assert throttle.check("10.0.0.1", "CP-1") is None


def test_a_station_id_is_slowed_only_for_addresses_that_failed(
    auth_failures: Callable[[int, FakeClock], AuthFailureThrottle], clock: FakeClock
) -> None:
    throttle = auth_failures(3, clock)
    for n in range(3):
        throttle.failed(f"10.0.1.{n}", "CP-1")  # spraying one id from many addresses
    assert throttle.check("10.0.1.0", "CP-1") is not None
    assert throttle.check("10.0.9.9", "CP-1") is None
    assert throttle.check("10.0.1.0", "CP-2") is None
