"""Configuration templates: desired values for a group of stations, drift against the stored device
models, and applying them (on request, or after every boot of a selected station when `apply_on_boot`,
retried from a timer while such a run failed: see the reconcile pattern in `voltline.kernel.background`).

Applying reads the current values first and writes only those that differ, so a station already in line
gets no writes (and no reboot prompt); each station's outcome is kept as the template's last run.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from voltline.areas.configuration.model import (
    AttributeType,
    ConfigurationTemplate,
    SettingAddress,
    SettingValue,
    TemplateItemResult,
    TemplateRun,
)
from voltline.areas.configuration.ports import CONFIG_TEMPLATES
from voltline.areas.configuration.service import ConfigurationService
from voltline.areas.stations.model import Station
from voltline.areas.stations.ports import STATIONS
from voltline.kernel.clock import utcnow
from voltline.kernel.errors import Conflict, DomainError, InvalidRequest, NotFound
from voltline.kernel.presence import Presence
from voltline.kernel.storage import Storage, UnitOfWork
from voltline.kernel.versions import OcppVersion, capabilities

log = logging.getLogger(__name__)

IN_SYNC = "InSync"
# An item the station's version cannot address (a 1.6 key on a 2.0.1 station, a Target attribute on 1.6).
NOT_APPLICABLE = "NotApplicable"
# Read answers that mean the station does not have the setting at all: writing it would only fail again.
_ABSENT = frozenset({"UnknownKey", "UnknownComponent", "UnknownVariable", "NotSupportedAttributeType"})
# Stations an API apply works on at once (each one is a handful of calls).
APPLY_CONCURRENCY = 8


class RunOutcome:
    IN_SYNC = "InSync"
    APPLIED = "Applied"
    PARTIAL = "Partial"
    FAILED = "Failed"
    OFFLINE = "Offline"
    NOT_SELECTED = "NotSelected"


@dataclass(slots=True, frozen=True)
class DriftItem:
    address: SettingAddress
    desired: str
    stored: str | None  # None: never read from the station
    state: str  # "differs" or "unknown"


@dataclass(slots=True, frozen=True)
class StationDrift:
    station_id: str
    online: bool
    items: list[DriftItem]
    last_run: TemplateRun | None


@dataclass(slots=True, frozen=True)
class TemplateDrift:
    template: ConfigurationTemplate
    stations: list[StationDrift]


@dataclass(slots=True, frozen=True)
class StationApply:
    """One station's part of an apply: its run, or why there was none (Offline, NotSelected)."""

    station_id: str
    outcome: str
    run: TemplateRun | None = None


def same_value(stored: str, desired: str) -> bool:
    """Stations echo booleans in any case ("True", "true"); anything else must match exactly."""
    a, b = stored.strip(), desired.strip()
    return a == b or (a.casefold() in ("true", "false") and a.casefold() == b.casefold())


def station_address(address: SettingAddress, version: OcppVersion | None) -> SettingAddress:
    """How a station of this version names the setting (1.6: the key alone; unknown version: as given)."""
    if version is None or capabilities(version).settings_by_component:
        return address
    return address.as_key()


def applicable(address: SettingAddress, version: OcppVersion | None) -> bool:
    """Whether a station of this version has such a setting at all (one of an unknown version may)."""
    if version is None:
        return True
    if capabilities(version).settings_by_component:
        return address.component is not None
    # A configuration key is one value: no Target/MinSet/MaxSet attribute, no variable instances.
    return address.attribute_type is AttributeType.ACTUAL and address.variable.instance is None


class TemplateService:
    def __init__(self, storage: Storage, configuration: ConfigurationService, online: Presence) -> None:
        self._storage = storage
        self._configuration = configuration
        self._online = online
        # The apply-on-boot templates, read once and dropped on every change through this service: a boot
        # storm of thousands of stations must not cost a database read per boot when (as usually) no
        # template applies on boot. Several nodes (a later cluster bus) will need to drop it on each other's
        # changes too.
        self._on_boot: builtins.list[ConfigurationTemplate] | None = None

    # ------------------------------------------------------------------ CRUD

    async def create(self, template: ConfigurationTemplate) -> ConfigurationTemplate:
        _check(template)
        at = utcnow()

        async def op(uow: UnitOfWork) -> ConfigurationTemplate:
            if await uow[CONFIG_TEMPLATES].by_name(template.name) is not None:
                raise Conflict(f"a configuration template named {template.name!r} exists")
            return await uow[CONFIG_TEMPLATES].add(template, at)

        created = await self._storage.write(op)
        self._on_boot = None
        return created

    async def update(self, template_id: int, template: ConfigurationTemplate) -> ConfigurationTemplate:
        _check(template)
        at = utcnow()

        async def op(uow: UnitOfWork) -> ConfigurationTemplate | None:
            named = await uow[CONFIG_TEMPLATES].by_name(template.name)
            if named is not None and named.id != template_id:
                raise Conflict(f"a configuration template named {template.name!r} exists")
            return await uow[CONFIG_TEMPLATES].update(replace(template, id=template_id), at)

        updated = await self._storage.write(op)
        self._on_boot = None
        if updated is None:
            raise NotFound(f"configuration template {template_id} not found")
        return updated

    async def get(self, template_id: int) -> ConfigurationTemplate:
        async def op(uow: UnitOfWork) -> ConfigurationTemplate | None:
            return await uow[CONFIG_TEMPLATES].get(template_id)

        template = await self._storage.read(op)
        if template is None:
            raise NotFound(f"configuration template {template_id} not found")
        return template

    async def list(self) -> builtins.list[ConfigurationTemplate]:
        async def op(uow: UnitOfWork) -> builtins.list[ConfigurationTemplate]:
            return await uow[CONFIG_TEMPLATES].list()

        return await self._storage.read(op)

    async def delete(self, template_id: int) -> None:
        async def op(uow: UnitOfWork) -> bool:
            return await uow[CONFIG_TEMPLATES].delete(template_id)

        deleted = await self._storage.write(op)
        self._on_boot = None
        if not deleted:
            raise NotFound(f"configuration template {template_id} not found")

    # ------------------------------------------------------------------ drift

    async def drift(self, template_id: int) -> TemplateDrift:
        template = await self.get(template_id)
        stations = await self._selected(template)

        async def op(uow: UnitOfWork) -> builtins.list[TemplateRun]:
            return await uow[CONFIG_TEMPLATES].runs(template_id)

        runs = {run.station_id: run for run in await self._storage.read(op)}
        addresses = {a for v in template.values for a in (v.address, v.address.as_key())}
        stored = await self._configuration.stored_values([s.id for s in stations], list(addresses))
        report = []
        for station in stations:
            model = stored.get(station.id, {})
            version = OcppVersion.parse(station.ocpp_version)  # as it last booted (it may be offline now)
            items = []
            for value in template.values:
                if not applicable(value.address, version):
                    continue
                known = model.get(station_address(value.address, version).identity)
                if known is None or known.value is None:
                    items.append(DriftItem(value.address, value.value, None, "unknown"))
                elif not same_value(known.value, value.value):
                    items.append(DriftItem(value.address, value.value, known.value, "differs"))
            report.append(StationDrift(station.id, self._online.is_online(station.id), items, runs.get(station.id)))
        return TemplateDrift(template, report)

    # ------------------------------------------------------------------ apply

    async def apply(self, template_id: int, station_ids: Sequence[str] | None = None) -> builtins.list[StationApply]:
        template = await self.get(template_id)
        selected = {s.id: s for s in await self._selected(template)}
        wanted = list(dict.fromkeys(station_ids)) if station_ids is not None else list(selected)
        gate = asyncio.Semaphore(APPLY_CONCURRENCY)

        async def one(station_id: str) -> StationApply:
            station = selected.get(station_id)
            if station is None:
                return StationApply(station_id, RunOutcome.NOT_SELECTED)
            version = self._online.version_of(station_id)
            if version is None:
                return StationApply(station_id, RunOutcome.OFFLINE)
            async with gate:
                run = await self._apply_to(station_id, version, template, "api")
            return StationApply(station_id, run.outcome, run)

        results = await asyncio.gather(*(one(station_id) for station_id in wanted))
        await self._record([r.run for r in results if r.run is not None])
        return list(results)

    async def reconcile(self, station_id: str, trigger: str = "boot") -> None:
        """Bring the station in line with every apply-on-boot template selecting it (after its boot, and
        again from the timer while a run failed). Idempotent: what is in line already is only read. Costs
        nothing while no template applies on boot (they are kept in memory)."""
        version = self._online.version_of(station_id)
        if version is None:
            return
        templates = await self._boot_templates()
        if not templates:
            return

        async def op(uow: UnitOfWork) -> Station | None:
            return await uow[STATIONS].get(station_id)

        station = await self._storage.read(op)
        if station is None:
            return
        for template in templates:
            if _selects(template, station):
                run = await self._apply_to(station_id, version, template, trigger)
                await self._record([run])
                if run.outcome == RunOutcome.FAILED:
                    log.warning("template %r on station %r: %s", template.name, station_id, run.detail)

    async def retry(self, station_id: str) -> None:
        """`reconcile`, as the timer's sweep runs it (its runs say so)."""
        await self.reconcile(station_id, "timer")

    async def unconverged(self) -> builtins.list[str]:
        """The online stations whose last run of an apply-on-boot template failed (it could not reach or
        hear the station): the timer's sweep retries them. A station that answered, even refusing some
        values, is left until its next boot or an apply. Nothing is read while no template applies on boot."""
        templates = await self._boot_templates()
        if not templates:
            return []

        async def op(uow: UnitOfWork) -> builtins.list[TemplateRun]:
            return [run for t in templates if t.id is not None for run in await uow[CONFIG_TEMPLATES].runs(t.id)]

        failed = {run.station_id for run in await self._storage.read(op) if run.outcome == RunOutcome.FAILED}
        return sorted(station_id for station_id in failed if self._online.is_online(station_id))

    async def _boot_templates(self) -> builtins.list[ConfigurationTemplate]:
        if self._on_boot is None:

            async def boot_templates(uow: UnitOfWork) -> builtins.list[ConfigurationTemplate]:
                return [t for t in await uow[CONFIG_TEMPLATES].list() if t.apply_on_boot]

            self._on_boot = await self._storage.read(boot_templates)
        return self._on_boot

    async def _apply_to(
        self, station_id: str, version: OcppVersion, template: ConfigurationTemplate, trigger: str
    ) -> TemplateRun:
        assert template.id is not None
        values = [
            SettingValue(station_address(v.address, version), v.value)
            for v in template.values
            if applicable(v.address, version)
        ]
        try:
            items = await self._bring_in_line(station_id, values) if values else []
        except DomainError as exc:
            return TemplateRun(
                template.id, station_id, utcnow(), trigger, RunOutcome.FAILED, detail=f"{type(exc).__name__}: {exc}"
            )
        items += [
            TemplateItemResult(v.address, v.value, None, NOT_APPLICABLE)
            for v in template.values
            if not applicable(v.address, version)
        ]
        statuses = {item.status for item in items} - {NOT_APPLICABLE}
        if statuses <= {IN_SYNC}:
            outcome = RunOutcome.IN_SYNC
        elif statuses <= {IN_SYNC, "Accepted", "RebootRequired"}:
            outcome = RunOutcome.APPLIED
        else:
            outcome = RunOutcome.PARTIAL
        return TemplateRun(
            template.id,
            station_id,
            utcnow(),
            trigger,
            outcome,
            reboot_required="RebootRequired" in statuses,
            items=tuple(items),
        )

    async def _bring_in_line(
        self, station_id: str, values: builtins.list[SettingValue]
    ) -> builtins.list[TemplateItemResult]:
        readings = await self._configuration.read(station_id, [v.address for v in values])
        by_address = {r.address.identity: r for r in readings}
        results: dict[str, TemplateItemResult] = {}
        to_write: builtins.list[SettingValue] = []
        for value in values:
            reading = by_address.get(value.address.identity)
            current = reading.value if reading is not None else None
            if reading is not None and reading.status == "Accepted" and current is not None:
                if same_value(current, value.value):
                    results[value.address.identity] = TemplateItemResult(value.address, value.value, current, IN_SYNC)
                    continue
            elif reading is not None and reading.status in _ABSENT:
                results[value.address.identity] = TemplateItemResult(value.address, value.value, None, reading.status)
                continue
            to_write.append(value)
            results[value.address.identity] = TemplateItemResult(value.address, value.value, current, "NoAnswer")
        if to_write:
            outcome = await self._configuration.write(station_id, to_write)
            for written in outcome.results:
                before = results.get(written.address.identity)
                previous = before.previous if before is not None else None
                results[written.address.identity] = TemplateItemResult(
                    written.address, written.value, previous, written.status
                )
        return [results[v.address.identity] for v in values]

    async def _record(self, runs: builtins.list[TemplateRun]) -> None:
        if not runs:
            return

        async def op(uow: UnitOfWork) -> None:
            await uow[CONFIG_TEMPLATES].record_runs(runs)

        await self._storage.write(op)

    async def _selected(self, template: ConfigurationTemplate) -> builtins.list[Station]:
        async def op(uow: UnitOfWork) -> builtins.list[Station]:
            return await uow[STATIONS].list()

        return [s for s in await self._storage.read(op) if _selects(template, s)]


def _selects(template: ConfigurationTemplate, station: Station) -> bool:
    version = OcppVersion.parse(station.ocpp_version)
    return template.selector.selects(station.id, station.vendor, station.model, version)


def _check(template: ConfigurationTemplate) -> None:
    identities = [v.address.identity for v in template.values]
    if len(set(identities)) != len(identities):
        raise InvalidRequest("a setting appears twice in the template's values")
    written = template.selector.ocpp_version
    if written is not None and template.selector.version is None:
        known = " or ".join(version.number for version in OcppVersion)
        raise InvalidRequest(f"unknown OCPP version {written!r} in the selector (use {known})")
