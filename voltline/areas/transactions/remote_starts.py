"""Remote starts the CSMS asked for, waiting for the transaction the station then starts.

A remote start is answered before its transaction exists: the station answers the request, then (once a
car is plugged in) starts the transaction. This registry links the two, for both versions:

- OCPP 2.0.1 sends a remoteStartId with RequestStartTransaction, and the station's TransactionEvent
  carries it back: the link is the id.
- OCPP 1.6 has no such id: RemoteStartTransaction names a token (and maybe a connector), and the
  StartTransaction that follows names the same. The first StartTransaction of that station and token (on
  that connector, when one was named) within the window claims the remote start's id, which is stored on
  the transaction as its `remote_start_id`: our own correlation id, never sent to the station.

It is memory only, like the request itself: a restart forgets the starts that are still expected (their
transactions are then simply not linked). It is bounded (the oldest are dropped first) and every entry
expires after the window, so a station that never starts costs nothing for long. Every operation is O(1)
but for the scan of one (station, token)'s expected starts, which is one entry in practice.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from voltline.areas.transactions.model import Transaction

MAX_INT32 = 2**31 - 1
# How long after a remote start its transaction may begin. A 1.6 station waits for the cable to be
# plugged in for its ConnectionTimeOut (commonly 30 to 180 s) before it gives up.
REMOTE_START_WINDOW = 180.0
# More starts expected at once than this (ten thousand stations asked in the same three minutes): the
# oldest are forgotten first.
MAX_EXPECTED_STARTS = 10_000


@dataclass(slots=True, eq=False)
class ExpectedStart:
    """One remote start waiting for its transaction. `started` is resolved with the transaction (or with
    None when the start is withdrawn, expires or is dropped), so a caller that waits on it always ends."""

    station_id: str
    id_token: str
    evse_id: int | None
    remote_start_id: int
    deadline: float
    started: asyncio.Future[Transaction | None] = field(repr=False)
    claimed: bool = False  # a 1.6 StartTransaction took its id; its commit is still ahead


def _token_key(station_id: str, id_token: str) -> tuple[str, str]:
    # OCPP 1.6 idTags are case-insensitive: a station may report the tag in another case than it got it.
    return (station_id, id_token.casefold())


class ExpectedStarts:
    def __init__(
        self,
        window: float = REMOTE_START_WINDOW,
        limit: int = MAX_EXPECTED_STARTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window = window
        self._limit = limit
        self._clock = clock
        # By (station, remote start id), in the order they were made: with one window for all, also the
        # order they expire in, so purging looks at the oldest only.
        self._by_id: dict[tuple[str, int], ExpectedStart] = {}
        # The unclaimed ones by (station, token), for 1.6 StartTransactions to find.
        self._by_token: dict[tuple[str, str], list[ExpectedStart]] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def __bool__(self) -> bool:
        # The hot path's check: no remote start waiting (the usual case) costs one length test.
        return bool(self._by_id)

    def expect(self, station_id: str, id_token: str, evse_id: int | None) -> ExpectedStart:
        """Record a remote start about to be sent, with a fresh remote start id (random, positive int32:
        what 2.0.1 allows; unique among this station's expected starts). Recorded before the request is
        sent: the station may start the transaction before its answer to the request has been read."""
        now = self._clock()
        self._purge(now)
        while len(self._by_id) >= self._limit:
            self._drop(next(iter(self._by_id.values())))
        remote_start_id = secrets.randbelow(MAX_INT32) + 1
        while (station_id, remote_start_id) in self._by_id:
            remote_start_id = secrets.randbelow(MAX_INT32) + 1
        started = asyncio.get_running_loop().create_future()
        expected = ExpectedStart(station_id, id_token, evse_id, remote_start_id, now + self._window, started)
        self._by_id[(station_id, remote_start_id)] = expected
        self._by_token.setdefault(_token_key(station_id, id_token), []).append(expected)
        return expected

    def withdraw(self, expected: ExpectedStart) -> None:
        """The station did not accept the request (or it never got there): no transaction will follow."""
        if self._by_id.get((expected.station_id, expected.remote_start_id)) is expected:
            self._drop(expected)

    def claim(self, station_id: str, evse_id: int, id_token: str) -> int | None:
        """The remote start id for a new OCPP 1.6 StartTransaction: that of the oldest unexpired start
        expected of this station for this token, on this connector or on any (when none was named)."""
        candidates = self._by_token.get(_token_key(station_id, id_token))
        if not candidates:
            return None
        now = self._clock()
        for expected in candidates:
            if expected.deadline > now and expected.evse_id in (None, evse_id):
                self._unlist(expected)
                expected.claimed = True
                return expected.remote_start_id
        return None

    def release(self, station_id: str, remote_start_id: int) -> None:
        """Undo a claim whose StartTransaction did not create a transaction (its commit failed, or it was a
        retry of an earlier start): the transaction is still expected."""
        expected = self._by_id.get((station_id, remote_start_id))
        if expected is not None and expected.claimed:
            expected.claimed = False
            self._by_token.setdefault(_token_key(station_id, expected.id_token), []).insert(0, expected)

    def started(self, tx: Transaction) -> None:
        """`tx` (committed, with its remote start id) has started: hand it to whoever waits for it."""
        if tx.remote_start_id is None:
            return
        expected = self._by_id.pop((tx.station_id, tx.remote_start_id), None)
        if expected is None:
            return  # nobody expects it (a 2.0.1 station's own remote start id, or one already started)
        if not expected.claimed:
            self._unlist(expected)
        if not expected.started.done():
            expected.started.set_result(tx)

    async def wait(self, expected: ExpectedStart, seconds: float) -> Transaction | None:
        """The transaction of `expected` once it started, or None when it has not within `seconds`."""
        try:
            # shield: the end of this wait is not the end of the start, which may still be linked later.
            return await asyncio.wait_for(asyncio.shield(expected.started), seconds)
        except TimeoutError:
            return None

    def _purge(self, now: float) -> None:
        while self._by_id:
            oldest = next(iter(self._by_id.values()))
            if oldest.deadline > now:
                return
            self._drop(oldest)

    def _drop(self, expected: ExpectedStart) -> None:
        del self._by_id[(expected.station_id, expected.remote_start_id)]
        if not expected.claimed:
            self._unlist(expected)
        if not expected.started.done():
            expected.started.set_result(None)

    def _unlist(self, expected: ExpectedStart) -> None:
        key = _token_key(expected.station_id, expected.id_token)
        candidates = self._by_token.get(key)
        if candidates is None:
            return
        try:
            candidates.remove(expected)
        except ValueError:
            return
        if not candidates:
            del self._by_token[key]
