"""Charging transactions and their meter data, for both OCPP generations.

Every operation here runs as one unit of work and returns only after it committed, so the protocol
adapter answers a station only once its data is durable. The hot ones (MeterValues, TransactionEvent)
are bulk operations: storage hands each of them every such message of a commit group at once.
Stations retry, so every operation is idempotent by content: the same start gets the same
transaction, a second stop changes nothing, and a repeated meter sample is stored once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from operator import attrgetter

from voltline.areas.authorization.model import TokenVerdict
from voltline.areas.authorization.ports import ID_TOKENS
from voltline.areas.authorization.service import decide_many, decide_refs
from voltline.areas.transactions.model import ENERGY_REGISTER, MUTABLE_FIELDS, ReviewKind, SampledValue, Transaction
from voltline.areas.transactions.ports import (
    REVIEW_ITEMS,
    TRANSACTIONS,
    MeterRows,
    NewTransaction,
    StartKey,
    TransactionFilter,
)
from voltline.areas.transactions.remote_starts import ExpectedStarts
from voltline.kernel.activity import ActivityFeed, ActivityKind, EvseActivity
from voltline.kernel.errors import NotFound
from voltline.kernel.live_events import (
    METER_VALUES,
    TRANSACTION_ENDED,
    TRANSACTION_STARTED,
    TRANSACTION_UPDATED,
    EventHub,
)
from voltline.kernel.storage import Storage, UnitOfWork

# Transaction ids are INTEGER columns: 32-bit on PostgreSQL, whose driver raises on a larger parameter.
MAX_TRANSACTION_ID = 2**31 - 1


@dataclass(slots=True, frozen=True)
class StartRequest:
    """An OCPP 1.6 StartTransaction, neutrally."""

    station_id: str
    connector_id: int
    id_token: str
    meter_start_wh: float
    timestamp: datetime
    reservation_id: int | None = None
    # Not on the wire (1.6 has none): the remote start this start answers, claimed from ExpectedStarts.
    remote_start_id: int | None = None


@dataclass(slots=True, frozen=True)
class StopRequest:
    """An OCPP 1.6 StopTransaction, neutrally."""

    station_id: str
    station_tx_id: str
    meter_stop_wh: float
    timestamp: datetime
    reason: str | None = None
    id_token: str | None = None
    transaction_data: Sequence[SampledValue] = ()


@dataclass(slots=True, frozen=True)
class MeterReport:
    station_id: str
    evse_id: int
    station_tx_id: str | None
    values: Sequence[SampledValue]


@dataclass(slots=True, frozen=True)
class TransactionEvent:
    """An OCPP 2.0.1 TransactionEvent, neutrally."""

    station_id: str
    event_type: str  # Started | Updated | Ended
    timestamp: datetime
    trigger_reason: str
    seq_no: int
    station_tx_id: str
    offline: bool = False
    evse_id: int | None = None
    connector_id: int | None = None
    id_token: str | None = None
    id_token_type: str | None = None  # 2.0.1 names a token by value and type
    charging_state: str | None = None
    stopped_reason: str | None = None
    remote_start_id: int | None = None
    meter_values: Sequence[SampledValue] = field(default_factory=tuple)


@dataclass(slots=True, frozen=True)
class StartOutcome:
    transaction: Transaction
    verdict: TokenVerdict
    created: bool = False  # False for a retry, which gets the transaction the first start created


@dataclass(slots=True, frozen=True)
class _StopOutcome:
    verdict: TokenVerdict | None
    ended: Transaction | None  # the transaction this stop ended; None for a retry or an unknown one


@dataclass(slots=True, frozen=True)
class _EventOutcome:
    verdict: TokenVerdict | None
    transaction: Transaction  # as this event left it (a station has one message per commit group)
    created: bool  # this event created the transaction
    ended: bool  # this event ended it


def energy_of(tx: Transaction, register_bounds: tuple[float, float] | None) -> float | None:
    """Energy delivered in Wh: meter stop minus start when both are known, else the register's span."""
    start = tx.meter_start_wh
    if start is None and register_bounds is not None:
        start = register_bounds[0]
    end = tx.meter_stop_wh
    if end is None and register_bounds is not None:
        end = register_bounds[1]
    if start is None or end is None:
        return None
    return max(end - start, 0.0)


def _activity_of(kind: ActivityKind, tx: Transaction) -> EvseActivity:
    return EvseActivity(
        tx.station_id,
        tx.evse_id,
        kind,
        transaction_id=tx.id,
        station_tx_id=tx.station_tx_id,
        id_token=tx.id_token,
        charging_state=tx.charging_state,
        # When it happened, where the transaction says so (an update's time is not kept on it).
        at={ActivityKind.STARTED: tx.started_at, ActivityKind.ENDED: tx.stopped_at}.get(kind),
    )


def _meter_activity(
    station_id: str,
    evse_id: int,
    transaction_id: int | None,
    station_tx_id: str | None,
    samples: Sequence[SampledValue],
) -> EvseActivity:
    return EvseActivity(
        station_id,
        evse_id,
        ActivityKind.METER,
        transaction_id=transaction_id,
        station_tx_id=station_tx_id,
        samples=tuple(samples),
    )


class TransactionService:
    """Live events are published once an operation's data is committed (a failed commit group is re-run
    item by item, and only items that then commit return here), before the station is answered: so each
    station's events come out in the order its messages were handled."""

    def __init__(
        self,
        storage: Storage,
        events: EventHub | None = None,
        expected: ExpectedStarts | None = None,
        activity: ActivityFeed | None = None,
    ) -> None:
        self._storage = storage
        self._events = events if events is not None else EventHub()
        # Controllers following some stations (load management): one set lookup per message for the others.
        self._activity = activity if activity is not None else ActivityFeed()
        # Remote starts waiting for their transaction (remote_control records them): a new transaction
        # is handed over once committed, and a 1.6 start takes its remote start id from there.
        self._expected = expected if expected is not None else ExpectedStarts()

    # -- OCPP 1.6 ---------------------------------------------------------------------------------

    async def start(self, request: StartRequest) -> StartOutcome:
        # A remote start of this token (and connector) waiting for its transaction: this may be it.
        expected = self._expected
        claimed = expected.claim(request.station_id, request.connector_id, request.id_token) if expected else None
        if claimed is not None:
            request = replace(request, remote_start_id=claimed)
        try:
            outcome = await self._storage.submit(START_TRANSACTIONS, request)
        except BaseException:
            if claimed is not None:
                expected.release(request.station_id, claimed)  # not stored: the station's retry claims it again
            raise
        if not outcome.created:
            if claimed is not None:
                # A retry of a start created earlier, which keeps what it had: the remote start waits on.
                expected.release(request.station_id, claimed)
            return outcome
        if claimed is not None:
            expected.started(outcome.transaction)
        if request.station_id in self._activity.watched:
            self._activity.emit(_activity_of(ActivityKind.STARTED, outcome.transaction))
        if self._events.active:
            self._events.publish(TRANSACTION_STARTED, request.station_id, _started_data(outcome.transaction))
        return outcome

    async def stop(self, request: StopRequest) -> TokenVerdict | None:
        outcome = await self._storage.submit(STOP_TRANSACTIONS, request)
        if outcome.ended is not None and request.station_id in self._activity.watched:
            self._activity.emit(_activity_of(ActivityKind.ENDED, outcome.ended))
        if outcome.ended is not None and self._events.active:
            self._events.publish(TRANSACTION_ENDED, request.station_id, _ended_data(outcome.ended))
        return outcome.verdict

    async def record_meter_values(self, report: MeterReport) -> None:
        transaction_id = await self._storage.submit(RECORD_METER_VALUES, report)
        if report.station_id in self._activity.watched:
            self._activity.emit(
                _meter_activity(report.station_id, report.evse_id, transaction_id, report.station_tx_id, report.values)
            )
        if self._events.active:
            self._events.publish(
                METER_VALUES,
                report.station_id,
                {
                    "evse_id": report.evse_id,
                    "transaction_id": transaction_id,
                    "station_transaction_id": report.station_tx_id,
                    "values": compact_samples(report.values),
                },
            )

    # -- OCPP 2.0.1 -------------------------------------------------------------------------------

    async def apply_event(self, event: TransactionEvent) -> TokenVerdict | None:
        outcome = await self._storage.submit(APPLY_TRANSACTION_EVENTS, event)
        if self._expected and outcome.transaction.remote_start_id is not None:
            # Any event, not only Started: the remoteStartId may come with a later one (it is copied in once).
            self._expected.started(outcome.transaction)
        if event.station_id in self._activity.watched:
            self._follow_event(event, outcome)
        if self._events.active:
            self._publish_event(event, outcome)
        return outcome.verdict

    def _follow_event(self, event: TransactionEvent, outcome: _EventOutcome) -> None:
        tx, feed = outcome.transaction, self._activity
        if event.meter_values:
            feed.emit(_meter_activity(tx.station_id, tx.evse_id, tx.id, tx.station_tx_id, event.meter_values))
        if outcome.ended:
            feed.emit(_activity_of(ActivityKind.ENDED, tx))
        elif outcome.created:
            feed.emit(_activity_of(ActivityKind.STARTED, tx))
        else:
            feed.emit(_activity_of(ActivityKind.UPDATED, tx))

    def _publish_event(self, event: TransactionEvent, outcome: _EventOutcome) -> None:
        tx, station_id = outcome.transaction, event.station_id
        if outcome.created:
            self._events.publish(TRANSACTION_STARTED, station_id, _started_data(tx))
        elif event.event_type == "Updated":
            self._events.publish(
                TRANSACTION_UPDATED,
                station_id,
                {
                    "transaction_id": tx.id,
                    "station_transaction_id": tx.station_tx_id,
                    "evse_id": tx.evse_id,
                    "trigger_reason": event.trigger_reason,
                    "seq_no": event.seq_no,
                    "charging_state": event.charging_state,
                    "id_token": event.id_token,
                },
            )
        if event.meter_values:
            self._events.publish(
                METER_VALUES,
                station_id,
                {
                    "evse_id": tx.evse_id,
                    "transaction_id": tx.id,
                    "station_transaction_id": tx.station_tx_id,
                    "values": compact_samples(event.meter_values),
                },
            )
        if outcome.ended:
            self._events.publish(TRANSACTION_ENDED, station_id, _ended_data(tx))

    # -- operators --------------------------------------------------------------------------------

    async def list(self, query: TransactionFilter) -> list[Transaction]:
        """A page of transactions, each with its energy so far as `get` shows it (one query for the page)."""

        async def op(uow: UnitOfWork) -> list[Transaction]:
            txs = await uow[TRANSACTIONS].list(query)
            await _fill_energy(uow, txs)
            return txs

        return await self._storage.read(op)

    async def get(self, transaction_id: int, *, with_meter_values: bool = True) -> Transaction:
        async def op(uow: UnitOfWork) -> Transaction | None:
            tx = await uow[TRANSACTIONS].get(transaction_id)
            if tx is None:
                return None
            if with_meter_values:
                tx.meter_values = await uow[TRANSACTIONS].meter_values(tx.id)
            await _fill_energy(uow, [tx])
            return tx

        tx = await self._storage.read(op)
        if tx is None:
            raise NotFound(f"transaction {transaction_id} does not exist")
        return tx

    async def find(self, station_id: str, reference: str) -> Transaction:
        """A transaction of `station_id` by its API id or by the station's own id, whichever is given."""

        async def op(uow: UnitOfWork) -> Transaction | None:
            tx = await uow[TRANSACTIONS].by_station_tx_id(station_id, reference)
            internal_id = _as_transaction_id(reference)
            if tx is None and internal_id is not None:
                candidate = await uow[TRANSACTIONS].get(internal_id)
                if candidate is not None and candidate.station_id == station_id:
                    tx = candidate
            return tx

        tx = await self._storage.read(op)
        if tx is None:
            raise NotFound(f"station {station_id!r} has no transaction {reference!r}")
        return tx


async def _fill_energy(uow: UnitOfWork, txs: list[Transaction]) -> None:
    """Energy so far of the transactions that have no stored total (running ones), by `energy_of`, from
    one batched query: the list and the detail view show the same number."""
    pending = [tx for tx in txs if tx.energy_wh is None]
    if not pending:
        return
    bounds = await uow[TRANSACTIONS].energy_register_bounds_many([tx.id for tx in pending])
    for tx in pending:
        tx.energy_wh = energy_of(tx, bounds.get(tx.id))


def _start_key(request: StartRequest) -> StartKey:
    return (request.station_id, request.connector_id, request.id_token, request.meter_start_wh, request.timestamp)


class _StartTransactions:
    """Bulk operation: the 1.6 StartTransactions of one commit group.

    A retry (same station, connector, idTag, meterStart and timestamp) gets the transaction the first
    one created, also when both arrive in the same group; the new ones are inserted with one statement.
    """

    async def apply(self, uow: UnitOfWork, requests: Sequence[StartRequest]) -> Sequence[StartOutcome]:
        verdicts = await decide_many(uow[ID_TOKENS], [r.id_token for r in requests])
        existing = await uow[TRANSACTIONS].find_starts([_start_key(r) for r in requests])
        new_keys: dict[StartKey, int] = {}  # key -> its index in `news`
        news: list[NewTransaction] = []
        for request in requests:
            key = _start_key(request)
            if key not in existing and key not in new_keys:
                new_keys[key] = len(news)
                news.append(
                    NewTransaction(
                        station_id=request.station_id,
                        evse_id=request.connector_id,
                        connector_id=1 if request.connector_id > 0 else 0,
                        id_token=request.id_token,
                        started_at=request.timestamp,
                        meter_start_wh=request.meter_start_wh,
                        remote_start_id=request.remote_start_id,
                        auth_status=verdicts[request.id_token].status.value,
                    )
                )
        created = await uow[TRANSACTIONS].create_many(news)
        outcomes: list[StartOutcome] = []
        reported: set[int] = set()
        for request in requests:
            key = _start_key(request)
            if key in existing:
                outcomes.append(StartOutcome(existing[key], verdicts[request.id_token]))
            else:
                # Two copies of one new start in the same group: only the first is the creator.
                index = new_keys[key]
                outcomes.append(StartOutcome(created[index], verdicts[request.id_token], index not in reported))
                reported.add(index)
        return outcomes


class _StopTransactions:
    """Bulk operation: the 1.6 StopTransactions of one commit group. A second stop changes nothing; a stop
    of a transaction this station does not own is acknowledged and flagged, never applied."""

    async def apply(self, uow: UnitOfWork, requests: Sequence[StopRequest]) -> Sequence[_StopOutcome]:
        tokens = [r.id_token for r in requests if r.id_token]
        verdicts = await decide_many(uow[ID_TOKENS], tokens) if tokens else {}
        known = await uow[TRANSACTIONS].by_station_tx_ids([(r.station_id, r.station_tx_id) for r in requests])
        stopping: dict[int, Transaction] = {}
        ended: list[Transaction | None] = []
        batches: list[MeterRows] = []
        for request in requests:
            tx = known.get((request.station_id, request.station_tx_id))
            ended.append(tx if tx is not None and tx.stopped_at is None else None)
            if tx is None:
                await _flag_missing(uow, request.station_id, request.station_tx_id, "StopTransaction")
                continue
            if tx.stopped_at is not None:
                continue  # a retry: the first stop stands
            if request.transaction_data:
                batches.append(MeterRows(tx.station_id, tx.evse_id, tx.id, request.transaction_data))
            tx.stopped_at = request.timestamp
            tx.meter_stop_wh = request.meter_stop_wh
            tx.stop_reason = request.reason or "Local"
            stopping[tx.id] = tx
        await uow[TRANSACTIONS].add_meter_rows(batches)
        bounds = await uow[TRANSACTIONS].energy_register_bounds_many(list(stopping))
        for tx in stopping.values():
            tx.energy_wh = energy_of(tx, bounds.get(tx.id))
        await uow[TRANSACTIONS].update_many(list(stopping.values()))
        return [
            _StopOutcome(verdicts[r.id_token] if r.id_token else None, tx)
            for r, tx in zip(requests, ended, strict=True)
        ]


class _RecordMeterValues:
    """Bulk operation: the MeterValues of one commit group: one lookup of their transactions, one insert."""

    async def apply(self, uow: UnitOfWork, reports: Sequence[MeterReport]) -> Sequence[int | None]:
        """Returns the transaction (our id) each report belongs to, if any."""
        keys = [(r.station_id, r.station_tx_id) for r in reports if r.station_tx_id is not None]
        known = await uow[TRANSACTIONS].ids_by_station_tx_ids(keys) if keys else {}
        batches: list[MeterRows] = []
        tx_ids: list[int | None] = []
        for report in reports:
            tx_id: int | None = None
            if report.station_tx_id is not None:
                tx_id = known.get((report.station_id, report.station_tx_id))
                if tx_id is None:
                    await _flag_missing(uow, report.station_id, report.station_tx_id, "MeterValues")
            batches.append(MeterRows(report.station_id, report.evse_id, tx_id, report.values))
            tx_ids.append(tx_id)
        await uow[TRANSACTIONS].add_meter_rows(batches)
        return tx_ids


class _ApplyTransactionEvents:
    """Bulk operation: the 2.0.1 TransactionEvents of one commit group.

    One query finds their transactions, one their tokens; new transactions (a Started, or any event of
    a transaction we have not seen) are created one by one, which is rare; then one insert stores every
    sample and one executemany writes the transactions back.
    """

    async def apply(self, uow: UnitOfWork, events: Sequence[TransactionEvent]) -> Sequence[_EventOutcome]:
        refs = [(e.id_token, e.id_token_type) for e in events if e.id_token]
        verdicts = await decide_refs(uow[ID_TOKENS], refs) if refs else {}
        known = await uow[TRANSACTIONS].by_station_tx_ids([(e.station_id, e.station_tx_id) for e in events])
        # New transactions first, all with one insert: a Started, or the first event we see of one.
        news: dict[tuple[str, str], NewTransaction] = {}
        for event in events:
            key = (event.station_id, event.station_tx_id)
            if key not in known and key not in news:
                verdict = verdicts[(event.id_token, event.id_token_type)] if event.id_token else None
                news[key] = _new_transaction(event, _first_register(event.meter_values), verdict)
        for key, tx in zip(news, await uow[TRANSACTIONS].create_many(list(news.values())), strict=True):
            known[key] = tx
        changed: dict[int, Transaction] = {}
        before: dict[int, tuple[object, ...]] = {}
        batches: list[MeterRows] = []
        results: list[_EventOutcome] = []
        for event in events:
            verdict = verdicts[(event.id_token, event.id_token_type)] if event.id_token else None
            register = _first_register(event.meter_values)
            key = (event.station_id, event.station_tx_id)
            tx = known[key]
            if tx.id not in before:
                before[tx.id] = _row_state(tx)
            created = news.pop(key, None) is not None
            if not created:  # an event that did not create it folds into it
                _merge(tx, event, register, verdict)
            if event.meter_values:
                batches.append(MeterRows(tx.station_id, tx.evse_id, tx.id, event.meter_values))
            ended = event.event_type == "Ended" and tx.stopped_at is None
            if ended:
                tx.stopped_at = event.timestamp
                tx.stop_reason = event.stopped_reason or "Local"
                if register is not None:
                    tx.meter_stop_wh = register
            changed[tx.id] = tx
            results.append(_EventOutcome(verdict, tx, created, ended))
        await uow[TRANSACTIONS].add_meter_rows(batches)
        stopped = [tx.id for tx in changed.values() if tx.stopped_at is not None]
        bounds = await uow[TRANSACTIONS].energy_register_bounds_many(stopped)  # after the samples are in
        for tx_id in stopped:
            tx = changed[tx_id]
            tx.energy_wh = energy_of(tx, bounds.get(tx_id))
        await uow[TRANSACTIONS].update_many([tx for tx in changed.values() if _row_state(tx) != before[tx.id]])
        return results


START_TRANSACTIONS = _StartTransactions()
STOP_TRANSACTIONS = _StopTransactions()
RECORD_METER_VALUES = _RecordMeterValues()
APPLY_TRANSACTION_EVENTS = _ApplyTransactionEvents()


def compact_samples(values: Sequence[SampledValue]) -> list[dict[str, object]]:
    """Sampled values for a live event: the fields that are set, without signed data."""
    samples: list[dict[str, object]] = []
    for value in values:
        sample: dict[str, object] = {
            "timestamp": value.timestamp.isoformat(),
            "measurand": value.measurand,
            "value": value.value,
        }
        if value.unit:
            sample["unit"] = value.unit
        if value.phase:
            sample["phase"] = value.phase
        if value.location:
            sample["location"] = value.location
        if value.context:
            sample["context"] = value.context
        samples.append(sample)
    return samples


def _started_data(tx: Transaction) -> dict[str, object]:
    return {
        "transaction_id": tx.id,
        "station_transaction_id": tx.station_tx_id,
        "evse_id": tx.evse_id,
        "connector_id": tx.connector_id,
        "id_token": tx.id_token,
        "started_at": tx.started_at.isoformat(),
        "meter_start_wh": tx.meter_start_wh,
        "auth_status": tx.auth_status,
        "remote_start_id": tx.remote_start_id,
    }


def _ended_data(tx: Transaction) -> dict[str, object]:
    return {
        "transaction_id": tx.id,
        "station_transaction_id": tx.station_tx_id,
        "evse_id": tx.evse_id,
        "stopped_at": tx.stopped_at.isoformat() if tx.stopped_at else None,
        "stop_reason": tx.stop_reason,
        "meter_stop_wh": tx.meter_stop_wh,
        "energy_wh": tx.energy_wh,
    }


def _new_transaction(event: TransactionEvent, register: float | None, verdict: TokenVerdict | None) -> NewTransaction:
    return NewTransaction(
        station_id=event.station_id,
        evse_id=event.evse_id or 0,
        connector_id=event.connector_id or (1 if event.evse_id else 0),
        id_token=event.id_token,
        started_at=event.timestamp,
        meter_start_wh=register if event.event_type == "Started" else None,
        station_tx_id=event.station_tx_id,
        remote_start_id=event.remote_start_id,
        auth_status=verdict.status.value if verdict else None,
        last_seq_no=event.seq_no,
        charging_state=event.charging_state,
    )


def _as_transaction_id(reference: str) -> int | None:
    """`reference` as one of our transaction ids, or None when it cannot be one.

    isascii: str.isdigit() also accepts digits int() refuses ('²'); the length check spares int() a huge
    string (it refuses more than 4300 digits); the bound keeps an id that cannot be ours away from the
    database driver, which would raise on an out-of-range integer.
    """
    if (
        reference.isascii()
        and reference.isdigit()
        and len(reference) <= len(str(MAX_TRANSACTION_ID))
        and int(reference) <= MAX_TRANSACTION_ID
    ):
        return int(reference)
    return None


def _first_register(values: Sequence[SampledValue]) -> float | None:
    for value in values:
        if value.measurand == ENERGY_REGISTER and (value.phase is None or value.phase == ""):
            return value.value * 1000.0 if (value.unit or "Wh") == "kWh" else value.value
    return None


# What a transaction event can change (every mutable field), to write back only the transactions that did.
_row_state: Callable[[Transaction], tuple[object, ...]] = attrgetter(*MUTABLE_FIELDS)


def _merge(tx: Transaction, event: TransactionEvent, register: float | None, verdict: TokenVerdict | None) -> None:
    """Fold a later (or earlier, when out of order) event into a known transaction."""
    if event.event_type == "Started":
        # A Started that arrives after other events carries the true start.
        if event.timestamp < tx.started_at:
            tx.started_at = event.timestamp
        if register is not None:
            tx.meter_start_wh = register
    elif event.timestamp < tx.started_at:
        tx.started_at = event.timestamp
    # Out-of-order delivery: a charging state only replaces one reported by an earlier event. Events without
    # one leave the row alone, so a periodic Updated costs no transaction write at all.
    if event.charging_state is not None and (tx.last_seq_no is None or event.seq_no > tx.last_seq_no):
        tx.last_seq_no = event.seq_no
        tx.charging_state = event.charging_state
    if event.id_token and not tx.id_token:
        tx.id_token = event.id_token
    if verdict is not None:
        tx.auth_status = verdict.status.value
    if event.evse_id and not tx.evse_id:
        tx.evse_id = event.evse_id
        tx.connector_id = event.connector_id or 1
    if event.remote_start_id is not None and tx.remote_start_id is None:
        tx.remote_start_id = event.remote_start_id


async def _flag_missing(uow: UnitOfWork, station_id: str, station_tx_id: str, action: str) -> None:
    """Record a message about a transaction this station does not own, for an operator to review.

    The station still gets a normal answer: a CALLERROR would only make it retry forever.
    """
    kind = ReviewKind.UNKNOWN_TRANSACTION
    internal_id = _as_transaction_id(station_tx_id)
    if internal_id is not None:
        other = await uow[TRANSACTIONS].get(internal_id)
        if other is not None and other.station_id != station_id:
            kind = ReviewKind.FOREIGN_TRANSACTION
    await uow[REVIEW_ITEMS].add(station_id, kind, {"action": action, "transaction_id": station_tx_id})
