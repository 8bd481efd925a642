"""ExpectedStarts: how a remote start finds the transaction that follows it (issue 10, point 5)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from voltline.areas.transactions.model import Transaction
from voltline.areas.transactions.remote_starts import ExpectedStarts

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def transaction(station_id: str, remote_start_id: int | None, tx_id: int = 1) -> Transaction:
    return Transaction(tx_id, station_id, str(tx_id), 1, 1, "TAG", T0, remote_start_id=remote_start_id)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def starts(clock: Clock) -> ExpectedStarts:
    return ExpectedStarts(window=180.0, limit=3, clock=clock)


async def test_a_16_start_claims_by_station_and_token_in_any_case(starts: ExpectedStarts) -> None:
    expected = starts.expect("CP-1", "04A2b3", None)
    assert starts.claim("CP-2", 1, "04A2b3") is None  # another station
    assert starts.claim("CP-1", 1, "OTHER") is None  # another token
    assert starts.claim("CP-1", 1, "04a2B3") == expected.remote_start_id
    assert starts.claim("CP-1", 1, "04A2b3") is None  # claimed once


async def test_a_named_connector_must_match(starts: ExpectedStarts) -> None:
    expected = starts.expect("CP-1", "TAG", 2)
    assert starts.claim("CP-1", 1, "TAG") is None
    assert starts.claim("CP-1", 2, "TAG") == expected.remote_start_id


async def test_the_oldest_start_is_claimed_first(starts: ExpectedStarts) -> None:
    first = starts.expect("CP-1", "TAG", None)
    second = starts.expect("CP-1", "TAG", None)
    assert first.remote_start_id != second.remote_start_id
    assert [starts.claim("CP-1", 1, "TAG"), starts.claim("CP-1", 2, "TAG")] == [
        first.remote_start_id,
        second.remote_start_id,
    ]


async def test_an_expired_start_is_not_claimed_and_its_waiter_ends(starts: ExpectedStarts, clock: Clock) -> None:
    expected = starts.expect("CP-1", "TAG", None)
    clock.now += 181
    assert starts.claim("CP-1", 1, "TAG") is None
    starts.expect("CP-1", "OTHER", None)  # purges what expired
    assert len(starts) == 1
    assert await starts.wait(expected, 1) is None


async def test_withdrawn_it_resolves_the_waiter_with_none(starts: ExpectedStarts) -> None:
    expected = starts.expect("CP-1", "TAG", None)
    starts.withdraw(expected)
    assert not starts
    assert await starts.wait(expected, 1) is None
    assert starts.claim("CP-1", 1, "TAG") is None


async def test_past_the_limit_the_oldest_is_dropped(starts: ExpectedStarts) -> None:
    oldest, *_ = [starts.expect("CP-1", f"TAG-{n}", None) for n in range(3)]
    starts.expect("CP-1", "TAG-3", None)
    assert len(starts) == 3
    assert await starts.wait(oldest, 1) is None
    assert starts.claim("CP-1", 1, "TAG-0") is None
    assert starts.claim("CP-1", 1, "TAG-3") is not None


async def test_a_released_claim_is_claimed_again(starts: ExpectedStarts) -> None:
    expected = starts.expect("CP-1", "TAG", None)
    claimed = starts.claim("CP-1", 1, "TAG")
    assert claimed == expected.remote_start_id
    starts.release("CP-1", claimed)  # its StartTransaction was not stored: the station's retry comes
    assert starts.claim("CP-1", 1, "TAG") == expected.remote_start_id


async def test_started_hands_the_transaction_to_the_waiter(starts: ExpectedStarts) -> None:
    expected = starts.expect("CP-1", "TAG", None)
    starts.started(transaction("CP-1", expected.remote_start_id + 1))  # not this start's id: nothing
    starts.started(transaction("CP-2", expected.remote_start_id))  # another station's: nothing
    assert not expected.started.done()
    tx = transaction("CP-1", expected.remote_start_id, tx_id=7)
    starts.started(tx)  # 2.0.1: by the remoteStartId the station sent back, unclaimed
    assert await starts.wait(expected, 1) is tx
    assert not starts
    assert starts.claim("CP-1", 1, "TAG") is None


async def test_a_wait_ends_with_none_and_the_start_stays_expected(starts: ExpectedStarts) -> None:
    expected = starts.expect("CP-1", "TAG", None)
    assert await starts.wait(expected, 0.05) is None
    assert starts.claim("CP-1", 1, "TAG") == expected.remote_start_id  # still linkable after the wait
