"""Device models (one row per variable attribute) and configuration templates.

A 2.0.1 station reports thousands of variables in parts: each part is one executemany upsert, and a
finished full inventory deletes, in one statement, the rows it did not describe.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from voltline.areas.configuration.model import (
    AttributeType,
    ComponentRef,
    ConfigurationTemplate,
    DeviceModelInfo,
    DeviceModelQuery,
    DeviceVariable,
    EvseRef,
    Mutability,
    SettingAddress,
    SettingValue,
    TemplateItemResult,
    TemplateRun,
    TemplateSelector,
    VariableCharacteristics,
    VariableRef,
    address_document,
    address_from_document,
)
from voltline.areas.configuration.ports import CONFIG_TEMPLATES, DEVICE_MODEL
from voltline.areas.configuration.tables import (
    configuration_template_runs,
    configuration_templates,
    device_models,
    device_variables,
)
from voltline.storage.sql.dialect import dialect_insert
from voltline.storage.sql.unit_of_work import RepositoryFactories

# Bounded IN lists: PostgreSQL and SQLite both limit the number of bound parameters of one statement.
_IN_CHUNK = 500


def _row_values(station_id: str, variable: DeviceVariable, report_id: int | None, at: datetime) -> dict[str, Any]:
    address = variable.address
    component = address.component
    evse = component.evse if component is not None else None
    traits = variable.characteristics
    return {
        "station_id": station_id,
        "address_key": address.identity,
        "component": component.name if component else None,
        "component_instance": component.instance if component else None,
        "evse_id": evse.id if evse else None,
        "connector_id": evse.connector_id if evse else None,
        "variable": address.variable.name,
        "variable_instance": address.variable.instance,
        "attribute_type": address.attribute_type.value,
        "value": variable.value,
        "mutability": variable.mutability.value if variable.mutability else None,
        "persistent": variable.persistent,
        "constant": variable.constant,
        "data_type": traits.data_type if traits else None,
        "unit": traits.unit if traits else None,
        "min_limit": traits.min_limit if traits else None,
        "max_limit": traits.max_limit if traits else None,
        "values_list": traits.values_list if traits else None,
        "supports_monitoring": traits.supports_monitoring if traits else None,
        "report_id": report_id,
        "updated_at": at,
    }


def _variable(row: Row[Any]) -> DeviceVariable:
    m = row._mapping
    component = None
    if m["component"] is not None:
        evse = EvseRef(m["evse_id"], m["connector_id"]) if m["evse_id"] is not None else None
        component = ComponentRef(m["component"], m["component_instance"], evse)
    traits = None
    if m["data_type"] is not None:
        traits = VariableCharacteristics(
            data_type=m["data_type"],
            supports_monitoring=bool(m["supports_monitoring"]),
            unit=m["unit"],
            min_limit=m["min_limit"],
            max_limit=m["max_limit"],
            values_list=m["values_list"],
        )
    return DeviceVariable(
        address=SettingAddress(
            component, VariableRef(m["variable"], m["variable_instance"]), AttributeType(m["attribute_type"])
        ),
        value=m["value"],
        mutability=Mutability(m["mutability"]) if m["mutability"] else None,
        persistent=m["persistent"],
        constant=m["constant"],
        characteristics=traits,
        updated_at=m["updated_at"],
    )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqlDeviceModelRepository:
    def __init__(self, session: AsyncSession, dialect_name: str) -> None:
        self._session = session
        self._dialect = dialect_name

    async def replace(self, station_id: str, variables: Sequence[DeviceVariable], source: str, at: datetime) -> None:
        """The station's whole model is `variables` now (OCPP 1.6: one GetConfiguration answer)."""
        await self._session.execute(delete(device_variables).where(device_variables.c.station_id == station_id))
        rows = _unique_rows(station_id, variables, None, at)
        if rows:
            await self._session.execute(insert(device_variables), rows)
        await self._set_info(station_id, {"refreshed_at": at, "refresh_source": source, "last_report_at": at})

    async def store_report(
        self, station_id: str, variables: Sequence[DeviceVariable], report_id: int, at: datetime
    ) -> None:
        """Add or overwrite the variables of one report part (everything the station described)."""
        rows = _unique_rows(station_id, variables, report_id, at)
        if rows:
            stmt = dialect_insert(self._dialect, device_variables)
            described = {
                name: stmt.excluded[name]
                for name in rows[0]
                if name not in ("station_id", "address_key", "component", "variable", "attribute_type")
            }
            await self._session.execute(
                stmt.on_conflict_do_update(index_elements=["station_id", "address_key"], set_=described), rows
            )
        await self._set_info(station_id, {"last_report_at": at})

    async def finish_inventory(self, station_id: str, report_id: int, source: str, at: datetime) -> int:
        """A full inventory is complete: drop what it did not describe; returns how many rows remain."""
        c = device_variables.c
        await self._session.execute(
            delete(device_variables).where(
                c.station_id == station_id, or_(c.report_id.is_(None), c.report_id != report_id)
            )
        )
        await self._set_info(station_id, {"refreshed_at": at, "refresh_source": source})
        count = await self._session.execute(
            select(func.count()).select_from(device_variables).where(c.station_id == station_id)
        )
        return int(count.scalar_one())

    async def observe(self, station_id: str, variables: Sequence[DeviceVariable], at: datetime) -> None:
        """Values the station confirmed (read or written): update them, keep what a report said about the rest."""
        rows = _unique_rows(station_id, variables, None, at)
        if not rows:
            return
        stmt = dialect_insert(self._dialect, device_variables)
        await self._session.execute(
            stmt.on_conflict_do_update(
                index_elements=["station_id", "address_key"],
                set_={
                    "value": stmt.excluded.value,
                    "mutability": func.coalesce(stmt.excluded.mutability, device_variables.c.mutability),
                    "updated_at": stmt.excluded.updated_at,
                },
            ),
            rows,
        )

    async def search(self, station_id: str, query: DeviceModelQuery) -> tuple[int, builtins.list[DeviceVariable]]:
        c = device_variables.c
        conditions: list[ColumnElement[bool]] = [c.station_id == station_id]
        if query.component is not None:
            conditions.append(func.lower(c.component) == query.component.lower())
        if query.variable is not None:
            conditions.append(c.variable.ilike(_like(query.variable), escape="\\"))
        if query.text is not None:
            pattern = _like(query.text)
            conditions.append(
                or_(
                    c.component.ilike(pattern, escape="\\"),
                    c.variable.ilike(pattern, escape="\\"),
                    c.value.ilike(pattern, escape="\\"),
                )
            )
        if query.evse_id is not None:
            conditions.append(c.evse_id == query.evse_id)
        where = and_(*conditions)
        counted = await self._session.execute(select(func.count()).select_from(device_variables).where(where))
        total = counted.scalar_one()
        rows = await self._session.execute(
            select(device_variables)
            .where(where)
            .order_by(
                func.coalesce(c.component, ""),
                func.coalesce(c.component_instance, ""),
                func.coalesce(c.evse_id, -1),
                func.coalesce(c.connector_id, -1),
                c.variable,
                func.coalesce(c.variable_instance, ""),
                c.attribute_type,
            )
            .limit(query.limit)
            .offset(query.offset)
        )
        return int(total), [_variable(row) for row in rows]

    async def lookup(
        self, station_ids: Sequence[str], addresses: Sequence[SettingAddress]
    ) -> dict[str, dict[str, DeviceVariable]]:
        """The stored variables at these addresses: station id -> address identity -> variable."""
        found: dict[str, dict[str, DeviceVariable]] = {}
        keys = sorted({a.identity for a in addresses})
        stations = sorted(set(station_ids))
        c = device_variables.c
        for start in range(0, len(stations), _IN_CHUNK):
            chunk = stations[start : start + _IN_CHUNK]
            for key_start in range(0, len(keys), _IN_CHUNK):
                stmt = select(device_variables).where(
                    c.station_id.in_(chunk), c.address_key.in_(keys[key_start : key_start + _IN_CHUNK])
                )
                for row in await self._session.execute(stmt):
                    variable = _variable(row)
                    found.setdefault(row.station_id, {})[variable.address.identity] = variable
        return found

    async def info(self, station_id: str) -> DeviceModelInfo | None:
        stmt = select(device_models).where(device_models.c.station_id == station_id)
        row = (await self._session.execute(stmt)).first()
        if row is None:
            return None
        return DeviceModelInfo(station_id, row.refreshed_at, row.refresh_source, row.last_report_at)

    async def _set_info(self, station_id: str, values: dict[str, Any]) -> None:
        stmt = dialect_insert(self._dialect, device_models).values(station_id=station_id, **values)
        await self._session.execute(stmt.on_conflict_do_update(index_elements=["station_id"], set_=values))


def _unique_rows(
    station_id: str, variables: Sequence[DeviceVariable], report_id: int | None, at: datetime
) -> list[dict[str, Any]]:
    # A station may describe one attribute twice in a part; one statement must not upsert a key twice.
    rows = {v.address.identity: _row_values(station_id, v, report_id, at) for v in variables}
    return list(rows.values())


def _template(row: Row[Any]) -> ConfigurationTemplate:
    m = row._mapping
    return ConfigurationTemplate(
        id=m["id"],
        name=m["name"],
        description=m["description"],
        selector=TemplateSelector.from_document(m["selector"]),
        values=tuple(SettingValue(address_from_document(v["address"]), v["value"]) for v in m["values"]),
        apply_on_boot=m["apply_on_boot"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def _template_values(template: ConfigurationTemplate) -> dict[str, Any]:
    return {
        "name": template.name,
        "description": template.description,
        "selector": template.selector.as_document(),
        "values": [{"address": address_document(v.address), "value": v.value} for v in template.values],
        "apply_on_boot": template.apply_on_boot,
    }


def _item_document(item: TemplateItemResult) -> dict[str, Any]:
    return {
        "address": address_document(item.address),
        "desired": item.desired,
        "previous": item.previous,
        "status": item.status,
    }


def _run(row: Row[Any]) -> TemplateRun:
    m = row._mapping
    return TemplateRun(
        template_id=m["template_id"],
        station_id=m["station_id"],
        at=m["at"],
        trigger=m["trigger"],
        outcome=m["outcome"],
        reboot_required=m["reboot_required"],
        detail=m["detail"],
        items=tuple(
            TemplateItemResult(address_from_document(i["address"]), i["desired"], i["previous"], i["status"])
            for i in m["items"]
        ),
    )


class SqlTemplateRepository:
    def __init__(self, session: AsyncSession, dialect_name: str) -> None:
        self._session = session
        self._dialect = dialect_name

    async def add(self, template: ConfigurationTemplate, at: datetime) -> ConfigurationTemplate:
        """Insert; a duplicate name raises `sqlalchemy.exc.IntegrityError` (check with `by_name` first)."""
        stmt = (
            insert(configuration_templates)
            .values(**_template_values(template), created_at=at, updated_at=at)
            .returning(configuration_templates)
        )
        return _template((await self._session.execute(stmt)).one())

    async def update(self, template: ConfigurationTemplate, at: datetime) -> ConfigurationTemplate | None:
        stmt = (
            update(configuration_templates)
            .where(configuration_templates.c.id == template.id)
            .values(**_template_values(template), updated_at=at)
            .returning(configuration_templates)
        )
        row = (await self._session.execute(stmt)).first()
        return None if row is None else _template(row)

    async def get(self, template_id: int) -> ConfigurationTemplate | None:
        stmt = select(configuration_templates).where(configuration_templates.c.id == template_id)
        row = (await self._session.execute(stmt)).first()
        return None if row is None else _template(row)

    async def by_name(self, name: str) -> ConfigurationTemplate | None:
        stmt = select(configuration_templates).where(configuration_templates.c.name == name)
        row = (await self._session.execute(stmt)).first()
        return None if row is None else _template(row)

    async def list(self) -> builtins.list[ConfigurationTemplate]:
        rows = await self._session.execute(select(configuration_templates).order_by(configuration_templates.c.id))
        return [_template(row) for row in rows]

    async def delete(self, template_id: int) -> bool:
        result = await self._session.execute(
            delete(configuration_templates).where(configuration_templates.c.id == template_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def record_runs(self, runs: Sequence[TemplateRun]) -> None:
        """Keep each (template, station)'s latest run."""
        if not runs:
            return
        rows = {
            (run.template_id, run.station_id): {
                "template_id": run.template_id,
                "station_id": run.station_id,
                "at": run.at,
                "trigger": run.trigger,
                "outcome": run.outcome,
                "reboot_required": run.reboot_required,
                "detail": run.detail,
                "items": [_item_document(i) for i in run.items],
            }
            for run in runs
        }
        stmt = dialect_insert(self._dialect, configuration_template_runs)
        kept = ("at", "trigger", "outcome", "reboot_required", "detail", "items")
        await self._session.execute(
            stmt.on_conflict_do_update(
                index_elements=["template_id", "station_id"], set_={k: stmt.excluded[k] for k in kept}
            ),
            list(rows.values()),
        )

    async def runs(self, template_id: int) -> builtins.list[TemplateRun]:
        rows = await self._session.execute(
            select(configuration_template_runs)
            .where(configuration_template_runs.c.template_id == template_id)
            .order_by(configuration_template_runs.c.station_id)
        )
        return [_run(row) for row in rows]


# The repositories this area registers with SQL storage (see `voltline.storage.sql.unit_of_work`).
REPOSITORIES: RepositoryFactories = {
    DEVICE_MODEL: SqlDeviceModelRepository,
    CONFIG_TEMPLATES: SqlTemplateRepository,
}
