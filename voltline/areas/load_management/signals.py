"""Grid signals into demand-response events: a small adapter interface, and a JSON webhook adapter.

An adapter turns what a grid party sends (an OpenADR 3 VEN's event, an aggregator's webhook, a utility's
signal) into `GridSignal`s: an id of the sender's, the sites, a target, when, and whether it is cancelled.
`apply` makes each signal an event: a new id creates one, a known id changes it, a cancellation cancels it.
An OpenADR 3 VEN adapter would map its event intervals (a `IMPORT_CAPACITY_LIMIT` payload in kW) onto the
same fields; it is not built here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from voltline.areas.load_management.model import DemandResponseEvent, DrState, DrTarget
from voltline.kernel.errors import InvalidRequest

if TYPE_CHECKING:
    from voltline.areas.load_management.service import LoadManagementService

MAX_SIGNALS = 100


@dataclass(frozen=True, slots=True)
class GridSignal:
    external_id: str
    site_ids: tuple[str, ...]
    target: DrTarget
    value: float
    start: datetime
    duration_s: int
    priority: int = 0
    cancelled: bool = False


class SignalAdapter(Protocol):
    name: str

    def parse(self, body: bytes) -> list[GridSignal]:
        """The signals in a request body; InvalidRequest naming what is wrong."""
        ...

    async def apply(
        self, signals: Sequence[GridSignal], service: LoadManagementService
    ) -> list[DemandResponseEvent]: ...


def _field(entry: dict[str, object], name: str, index: int) -> object:
    if name not in entry:
        raise InvalidRequest(f"signals[{index}].{name}: missing")
    return entry[name]


class JsonWebhookAdapter:
    """`{"signals": [{"id": "evt-1", "sites": ["depot-1"], "target": "percent", "value": 50,
    "start": "2026-12-06T17:00:00Z", "duration_s": 7200, "priority": 0, "status": "active"}]}`."""

    name = "json"

    def parse(self, body: bytes) -> list[GridSignal]:
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise InvalidRequest("body: not JSON") from None
        entries = document.get("signals") if isinstance(document, dict) else None
        if not isinstance(entries, list) or not entries:
            raise InvalidRequest("signals: a non-empty list of signals is required")
        if len(entries) > MAX_SIGNALS:
            raise InvalidRequest(f"signals: at most {MAX_SIGNALS} at once")
        signals: list[GridSignal] = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise InvalidRequest(f"signals[{index}]: an object is required")
            signals.append(self._signal(entry, index))
        return signals

    def _signal(self, entry: dict[str, object], index: int) -> GridSignal:
        external_id = _field(entry, "id", index)
        sites = _field(entry, "sites", index)
        if not isinstance(external_id, str) or not 0 < len(external_id) <= 200:
            raise InvalidRequest(f"signals[{index}].id: 1 to 200 characters")
        if not isinstance(sites, list) or not sites or not all(isinstance(s, str) for s in sites):
            raise InvalidRequest(f"signals[{index}].sites: a non-empty list of site ids")
        status = entry.get("status", "active")
        if status not in ("active", "cancelled"):
            raise InvalidRequest(f"signals[{index}].status: 'active' or 'cancelled'")
        try:
            target = DrTarget(str(_field(entry, "target", index)))
        except ValueError:
            raise InvalidRequest(f"signals[{index}].target: one of {', '.join(t.value for t in DrTarget)}") from None
        value, duration, priority = entry.get("value", 0), entry.get("duration_s", 0), entry.get("priority", 0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1_000_000:
            raise InvalidRequest(f"signals[{index}].value: a number from 0 to 1000000")
        if isinstance(duration, bool) or not isinstance(duration, int) or not 0 < duration <= 2 * 86400:
            raise InvalidRequest(f"signals[{index}].duration_s: whole seconds from 1 to 172800")
        if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 1000:
            raise InvalidRequest(f"signals[{index}].priority: an integer from 0 to 1000")
        start_text = entry.get("start")
        try:
            start = datetime.fromisoformat(str(start_text)) if start_text is not None else datetime.now(UTC)
        except ValueError:
            raise InvalidRequest(f"signals[{index}].start: an ISO 8601 time with its offset") from None
        if start.tzinfo is None:
            raise InvalidRequest(f"signals[{index}].start: give the time's offset (Z or +01:00)")
        return GridSignal(
            external_id=external_id,
            site_ids=tuple(dict.fromkeys(sites)),
            target=target,
            value=float(value),
            start=start.astimezone(UTC),
            duration_s=duration,
            priority=priority,
            cancelled=status == "cancelled",
        )

    async def apply(self, signals: Sequence[GridSignal], service: LoadManagementService) -> list[DemandResponseEvent]:
        events: list[DemandResponseEvent] = []
        for signal in signals:
            known = await service.dr_event_by_external_id(self.name, signal.external_id)
            is_open = known is not None and known.state in (DrState.SCHEDULED, DrState.ACTIVE)
            if signal.cancelled:
                if known is not None and is_open:
                    events.append(await service.change_dr_event(known.event_id, {"state": DrState.CANCELLED}))
                continue
            if known is not None and is_open:
                changes = {
                    "target": signal.target,
                    "value": signal.value,
                    "priority": signal.priority,
                    "end": known.start + timedelta(seconds=signal.duration_s),
                }
                events.append(await service.change_dr_event(known.event_id, changes))
                continue
            event = DemandResponseEvent(
                event_id=0,
                site_ids=signal.site_ids,
                target=signal.target,
                value=signal.value,
                start=signal.start,
                end=signal.start + timedelta(seconds=signal.duration_s),
                priority=signal.priority,
                source=self.name,
                external_id=signal.external_id,
            )
            events.append(await service.add_dr_event(event))
        return events


SIGNAL_ADAPTERS: dict[str, SignalAdapter] = {JsonWebhookAdapter.name: JsonWebhookAdapter()}
