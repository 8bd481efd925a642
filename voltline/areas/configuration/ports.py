"""What the configuration area needs from storage: device models and templates."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from voltline.areas.configuration.model import (
    ConfigurationTemplate,
    DeviceModelInfo,
    DeviceModelQuery,
    DeviceVariable,
    SettingAddress,
    TemplateRun,
)
from voltline.kernel.storage import RepositoryKey


class DeviceModelRepository(Protocol):
    """Each station's device model: one record per variable attribute."""

    async def replace(self, station_id: str, variables: Sequence[DeviceVariable], source: str, at: datetime) -> None:
        """The station's whole model is `variables` now."""
        ...

    async def store_report(
        self, station_id: str, variables: Sequence[DeviceVariable], report_id: int, at: datetime
    ) -> None:
        """Add or overwrite the variables one report part described (one bulk statement)."""
        ...

    async def finish_inventory(self, station_id: str, report_id: int, source: str, at: datetime) -> int:
        """Remove what full inventory `report_id` did not describe; returns the number of records left."""
        ...

    async def observe(self, station_id: str, variables: Sequence[DeviceVariable], at: datetime) -> None:
        """Values the station confirmed: set value (and mutability when given), keep the rest."""
        ...

    async def search(self, station_id: str, query: DeviceModelQuery) -> tuple[int, builtins.list[DeviceVariable]]: ...
    async def lookup(
        self, station_ids: Sequence[str], addresses: Sequence[SettingAddress]
    ) -> dict[str, dict[str, DeviceVariable]]:
        """Stored variables at these addresses: station id -> address identity -> variable."""
        ...

    async def info(self, station_id: str) -> DeviceModelInfo | None: ...


class ConfigurationTemplateRepository(Protocol):
    async def add(self, template: ConfigurationTemplate, at: datetime) -> ConfigurationTemplate: ...
    async def update(self, template: ConfigurationTemplate, at: datetime) -> ConfigurationTemplate | None: ...
    async def get(self, template_id: int) -> ConfigurationTemplate | None: ...
    async def by_name(self, name: str) -> ConfigurationTemplate | None: ...
    async def list(self) -> builtins.list[ConfigurationTemplate]: ...
    async def delete(self, template_id: int) -> bool: ...
    async def record_runs(self, runs: Sequence[TemplateRun]) -> None:
        """Keep the latest run of each (template, station)."""
        ...

    async def runs(self, template_id: int) -> builtins.list[TemplateRun]: ...


DEVICE_MODEL: RepositoryKey[DeviceModelRepository] = RepositoryKey("device_model")
CONFIG_TEMPLATES: RepositoryKey[ConfigurationTemplateRepository] = RepositoryKey("config_templates")
