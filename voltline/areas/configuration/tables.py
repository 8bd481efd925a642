"""Tables of device configuration: each station's device model (one row per variable attribute) and
configuration templates with the outcome of their last apply per station.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from voltline.storage.sql.base import Base, JsonDocument


class DeviceVariableRow(Base):
    __tablename__ = "device_variables"
    __table_args__ = (
        # address_key is the canonical form of the whole address (component, EVSE, variable, attribute):
        # one narrow unique key instead of seven columns, several of them NULL-able.
        UniqueConstraint("station_id", "address_key", name="uq_device_variables_address"),
        Index("ix_device_variables_station_component", "station_id", "component", "variable"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(48), ForeignKey("stations.id", ondelete="CASCADE"))
    address_key: Mapped[str] = mapped_column(Text)
    component: Mapped[str | None] = mapped_column(String(50))
    component_instance: Mapped[str | None] = mapped_column(String(50))
    evse_id: Mapped[int | None] = mapped_column(Integer)
    connector_id: Mapped[int | None] = mapped_column(Integer)
    variable: Mapped[str] = mapped_column(String(50))
    variable_instance: Mapped[str | None] = mapped_column(String(50))
    attribute_type: Mapped[str] = mapped_column(String(16))
    value: Mapped[str | None] = mapped_column(Text)
    mutability: Mapped[str | None] = mapped_column(String(16))
    persistent: Mapped[bool | None] = mapped_column(Boolean)
    constant: Mapped[bool | None] = mapped_column(Boolean)
    data_type: Mapped[str | None] = mapped_column(String(16))
    unit: Mapped[str | None] = mapped_column(String(16))
    min_limit: Mapped[float | None] = mapped_column(Float)
    max_limit: Mapped[float | None] = mapped_column(Float)
    values_list: Mapped[str | None] = mapped_column(Text)
    supports_monitoring: Mapped[bool | None] = mapped_column(Boolean)
    # The requestId of the report that last described this row; a finished full inventory removes
    # the rows it did not describe.
    report_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime]


class DeviceModelRow(Base):
    __tablename__ = "device_models"

    station_id: Mapped[str] = mapped_column(String(48), ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True)
    refreshed_at: Mapped[datetime | None]
    refresh_source: Mapped[str | None] = mapped_column(String(32))
    last_report_at: Mapped[datetime | None]


class ConfigurationTemplateRow(Base):
    __tablename__ = "configuration_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    selector: Mapped[dict[str, Any]]
    values: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument)
    apply_on_boot: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class TemplateRunRow(Base):
    __tablename__ = "configuration_template_runs"

    template_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("configuration_templates.id", ondelete="CASCADE"), primary_key=True
    )
    station_id: Mapped[str] = mapped_column(String(48), ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True)
    at: Mapped[datetime]
    trigger: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    reboot_required: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[str | None] = mapped_column(Text)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument)


device_variables = cast(Table, DeviceVariableRow.__table__)
device_models = cast(Table, DeviceModelRow.__table__)
configuration_templates = cast(Table, ConfigurationTemplateRow.__table__)
configuration_template_runs = cast(Table, TemplateRunRow.__table__)
