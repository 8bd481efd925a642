"""Reading and changing station settings, and keeping each station's device model.

The same requests work for both versions: protocol/ turns `ReadSettings` into a 1.6 GetConfiguration or
a 2.0.1 GetVariables, `WriteSettings` into ChangeConfiguration (one key per call, so the service sends
one command per key) or one SetVariables. Every value a station confirms is kept in its stored device
model. A full inventory replaces that model: on 1.6 from one GetConfiguration of all keys, on 2.0.1
from a GetBaseReport whose NotifyReport parts are stored one bulk write per part as they arrive.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from voltline.areas.configuration.model import (
    ComponentRef,
    DeviceModelInfo,
    DeviceModelPage,
    DeviceModelQuery,
    DeviceVariable,
    Mutability,
    SettingAddress,
    SettingValue,
    VariableRef,
)
from voltline.areas.configuration.ports import DEVICE_MODEL
from voltline.areas.stations.ports import STATIONS
from voltline.kernel.clock import utcnow
from voltline.kernel.commands import Command, CommandService, StatusInfo
from voltline.kernel.errors import InvalidRequest, NotFound, StationTimeout
from voltline.kernel.pending_requests import PendingRequests
from voltline.kernel.storage import Storage, UnitOfWork
from voltline.kernel.versions import SettingName, capabilities

# The kind of pending request NotifyReport parts are fed to (kernel/pending_requests.py).
REPORT_KIND = "device_model.report"
# A report in progress fails when no part arrived for this long (not a total: big models take a while).
REPORT_IDLE_TIMEOUT = 30.0

_CommandFor = Callable[[int], Command]  # builds a report request once its requestId is allocated


# Settings per GetVariables / SetVariables / GetConfiguration request when the station's own limit is not
# known yet (it is once its device model was read): small enough for any station met so far.
DEFAULT_ITEMS_PER_MESSAGE = 20


class ReportBase(StrEnum):
    CONFIGURATION_INVENTORY = "ConfigurationInventory"
    FULL_INVENTORY = "FullInventory"
    SUMMARY_INVENTORY = "SummaryInventory"


@dataclass(slots=True, frozen=True)
class ReadSettings(Command):
    """Read these settings; no addresses means every key (OCPP 1.6 only)."""

    addresses: tuple[SettingAddress, ...] = ()


@dataclass(slots=True, frozen=True)
class WriteSettings(Command):
    """Change these settings; OCPP 1.6 takes exactly one per call."""

    values: tuple[SettingValue, ...]


@dataclass(slots=True, frozen=True)
class RequestBaseReport(Command):
    """OCPP 2.0.1 GetBaseReport; the station answers, then reports in NotifyReport parts."""

    request_id: int
    base: ReportBase = ReportBase.FULL_INVENTORY


@dataclass(slots=True, frozen=True)
class ReportSelection:
    component: ComponentRef
    variable: VariableRef | None = None


@dataclass(slots=True, frozen=True)
class RequestReport(Command):
    """OCPP 2.0.1 GetReport: components (and variables) matching the criteria and selections."""

    request_id: int
    criteria: tuple[str, ...] = ()  # Active, Available, Enabled, Problem
    selections: tuple[ReportSelection, ...] = ()


@dataclass(slots=True, frozen=True)
class SettingReading:
    address: SettingAddress
    status: str  # 1.6: Accepted, UnknownKey; 2.0.1: GetVariableStatusEnumType
    value: str | None = None
    readonly: bool | None = None  # 1.6 only
    status_info: StatusInfo | None = None  # 2.0.1: the station's reason (attributeStatusInfo)


@dataclass(slots=True, frozen=True)
class SettingWriteResult:
    address: SettingAddress
    value: str
    status: str  # 1.6: Accepted, Rejected, RebootRequired, NotSupported; 2.0.1: SetVariableStatusEnumType
    status_info: StatusInfo | None = None  # 2.0.1: the station's reason (attributeStatusInfo)

    @property
    def taken(self) -> bool:
        """The station holds the new value (possibly effective only after a reboot)."""
        return self.status in ("Accepted", "RebootRequired")


@dataclass(slots=True, frozen=True)
class WriteOutcome:
    results: list[SettingWriteResult]

    @property
    def reboot_required(self) -> bool:
        return any(r.status == "RebootRequired" for r in self.results)


@dataclass(slots=True, frozen=True)
class ReportOutcome:
    status: str  # the station's answer to GetBaseReport / GetReport
    parts: int = 0
    variables: int = 0  # records received
    stored: int | None = None  # records in the model afterwards (full inventory)
    refreshed_at: datetime | None = None
    status_info: StatusInfo | None = None  # 2.0.1: the reason the station gave with its answer


class ConfigurationService:
    def __init__(self, storage: Storage, commands: CommandService, pending: PendingRequests) -> None:
        self._storage = storage
        self._commands = commands
        self._pending = pending
        self.report_idle_timeout = REPORT_IDLE_TIMEOUT
        self.default_items_per_message = DEFAULT_ITEMS_PER_MESSAGE

    # ------------------------------------------------------------------ settings

    async def read(
        self, station_id: str, addresses: Sequence[SettingAddress], *, items_per_message: int | None = None
    ) -> list[SettingReading]:
        """Ask the station; `items_per_message`: its limit per request when the caller read it already."""
        version = self._commands.require_online(station_id)
        readings: list[SettingReading] = []
        # An empty list (1.6: every key) is one call; a long one goes in parts the station can take.
        chunk = 1
        if addresses:
            chunk = items_per_message or await self._items_per_message(
                station_id, capabilities(version).settings_read_limit
            )
        for start in range(0, max(len(addresses), 1), chunk):
            result = await self._commands.send(station_id, ReadSettings(tuple(addresses[start : start + chunk])))
            readings.extend(result.value)
        await self._observe(station_id, [_observed(r) for r in readings if r.status == "Accepted"])
        return readings

    async def _items_per_message(self, station_id: str, limit: SettingName) -> int:
        """How many settings one request may carry, as the station's stored device model says in `limit`
        (its version's setting for it: 1.6 GetConfigurationMaxKeys; 2.0.1 DeviceDataCtrlr.ItemsPerMessage
        [GetVariables|SetVariables]), else `default_items_per_message`. Stations refuse a request over their
        limit as a whole."""
        return await self.stored_limit(station_id, SettingAddress.of(limit)) or self.default_items_per_message

    async def stored_limit(self, station_id: str, address: SettingAddress) -> int | None:
        """A positive integer setting from the station's stored device model (a limit it announced), or
        None when it was never read or is not a positive integer."""
        known = (await self.stored_values([station_id], [address])).get(station_id, {}).get(address.identity)
        try:
            limit = int(known.value) if known is not None and known.value is not None else 0
        except ValueError:
            return None
        return limit if limit > 0 else None

    async def write(self, station_id: str, values: Sequence[SettingValue]) -> WriteOutcome:
        if not values:
            raise InvalidRequest("nothing to write: give at least one setting")
        identities = [v.address.identity for v in values]
        if len(set(identities)) != len(identities):
            raise InvalidRequest("a setting appears twice in one write")
        write_limit = capabilities(self._commands.require_online(station_id)).settings_write_limit
        results: list[SettingWriteResult] = []
        try:
            if write_limit is None:
                # 1.6 ChangeConfiguration sets one key; in order, so a later key may depend on an earlier one.
                for value in values:
                    result = await self._commands.send(station_id, WriteSettings((value,)))
                    results.extend(result.value)
            else:
                chunk = await self._items_per_message(station_id, write_limit)
                for start in range(0, len(values), chunk):
                    result = await self._commands.send(station_id, WriteSettings(tuple(values[start : start + chunk])))
                    results.extend(result.value)
        finally:
            # Whatever the station took is its configuration now, even if a later key failed.
            await self._observe(station_id, [DeviceVariable(r.address, r.value) for r in results if r.taken])
        return WriteOutcome(results)

    async def _observe(self, station_id: str, variables: list[DeviceVariable]) -> None:
        if not variables:
            return
        at = utcnow()

        async def op(uow: UnitOfWork) -> None:
            await uow[DEVICE_MODEL].observe(station_id, variables, at)

        await self._storage.write(op)

    # ------------------------------------------------------------------ inventory

    async def refresh(self, station_id: str) -> ReportOutcome:
        """Replace the stored device model with the station's full inventory."""
        if not capabilities(self._commands.require_online(station_id)).inventory_by_report:
            return await self._refresh_keys(station_id)
        return await self._request_report(station_id, lambda request_id: RequestBaseReport(request_id), full=True)

    async def report(
        self, station_id: str, criteria: Sequence[str], selections: Sequence[ReportSelection]
    ) -> ReportOutcome:
        """GetReport (2.0.1): store what matches, leave the rest of the model as it is."""
        self._commands.require_online(station_id)
        return await self._request_report(
            station_id, lambda request_id: RequestReport(request_id, tuple(criteria), tuple(selections)), full=False
        )

    async def _refresh_keys(self, station_id: str) -> ReportOutcome:
        result = await self._commands.send(station_id, ReadSettings(()))
        variables = [_observed(r) for r in result.value if r.status == "Accepted"]
        at = utcnow()

        async def op(uow: UnitOfWork) -> None:
            await uow[DEVICE_MODEL].replace(station_id, variables, "GetConfiguration", at)

        await self._storage.write(op)
        return ReportOutcome("Accepted", 1, len(variables), len(variables), at)

    async def _request_report(self, station_id: str, command_for: _CommandFor, *, full: bool) -> ReportOutcome:
        pending = await self._pending.open(station_id, REPORT_KIND)
        try:
            result = await self._commands.send(station_id, command_for(pending.request_id))
            info = result.value if isinstance(result.value, StatusInfo) else None
            if result.status != "Accepted":
                return ReportOutcome(result.status, status_info=info)
            seen = -1
            while not await pending.wait(self.report_idle_timeout):
                if pending.parts == seen:
                    raise StationTimeout(
                        f"station {station_id!r} sent {pending.parts} report part(s) and then nothing for "
                        f"{self.report_idle_timeout:g} s; what arrived is stored"
                    )
                seen = pending.parts
            received = sum(pending.items)
        finally:
            await self._pending.close(pending)
        if not full:
            return ReportOutcome("Accepted", pending.parts, received, status_info=info)
        at = utcnow()
        request_id = pending.request_id

        async def op(uow: UnitOfWork) -> int:
            return await uow[DEVICE_MODEL].finish_inventory(station_id, request_id, "GetBaseReport", at)

        stored = await self._storage.write(op)
        return ReportOutcome("Accepted", pending.parts, received, stored, at, info)

    async def record_report_part(
        self, station_id: str, request_id: int, variables: Sequence[DeviceVariable], more: bool
    ) -> None:
        """One NotifyReport part: stored (one bulk write) before the station is answered, whether or not
        anyone waits for the report, then counted towards the waiting request."""
        at = utcnow()

        async def op(uow: UnitOfWork) -> None:
            await uow[DEVICE_MODEL].store_report(station_id, variables, request_id, at)

        await self._storage.write(op)
        await self._pending.feed(station_id, REPORT_KIND, request_id, [len(variables)], more)

    # ------------------------------------------------------------------ the stored model

    async def device_model(self, station_id: str, query: DeviceModelQuery) -> DeviceModelPage:
        async def op(uow: UnitOfWork) -> DeviceModelPage | None:
            if await uow[STATIONS].get(station_id) is None:
                return None
            total, variables = await uow[DEVICE_MODEL].search(station_id, query)
            info = await uow[DEVICE_MODEL].info(station_id) or DeviceModelInfo(station_id)
            return DeviceModelPage(info, total, variables)

        page = await self._storage.read(op)
        if page is None:
            raise NotFound(f"station {station_id!r} is not registered")
        return page

    async def stored_values(
        self, station_ids: Sequence[str], addresses: Sequence[SettingAddress]
    ) -> dict[str, dict[str, DeviceVariable]]:
        async def op(uow: UnitOfWork) -> dict[str, dict[str, DeviceVariable]]:
            return await uow[DEVICE_MODEL].lookup(station_ids, addresses)

        return await self._storage.read(op)


def _observed(reading: SettingReading) -> DeviceVariable:
    mutability = None
    if reading.readonly is not None:
        mutability = Mutability.READ_ONLY if reading.readonly else Mutability.READ_WRITE
    return DeviceVariable(reading.address, reading.value, mutability)
