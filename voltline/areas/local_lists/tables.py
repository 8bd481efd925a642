"""Tables of the local authorization lists: per managed station its sync record, its selection groups, and
the entries the station confirmed holding.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from voltline.storage.sql.base import Base


class LocalListRow(Base):
    __tablename__ = "local_lists"
    __table_args__ = (Index("ix_local_lists_state", "state"),)

    station_id: Mapped[str] = mapped_column(String(48), ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True)
    selects_all: Mapped[bool] = mapped_column(Boolean)
    desired_version: Mapped[int] = mapped_column(Integer)
    station_version: Mapped[int] = mapped_column(Integer)
    sent_version: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    needs_full: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None]
    last_synced_at: Mapped[datetime | None]
    reported_version: Mapped[int | None] = mapped_column(Integer)
    # Token ids left out of the last update, newline-separated (ids are printable, never contain one).
    skipped: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class LocalListGroupRow(Base):
    """A group whose tokens a station's list holds (when the station does not select every token)."""

    __tablename__ = "local_list_groups"
    __table_args__ = (Index("ix_local_list_groups_group_id", "group_id"),)

    station_id: Mapped[str] = mapped_column(
        String(48), ForeignKey("local_lists.station_id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class LocalListEntryRow(Base):
    """An entry the station confirmed holding (as of the station version)."""

    __tablename__ = "local_list_entries"

    station_id: Mapped[str] = mapped_column(
        String(48), ForeignKey("local_lists.station_id", ondelete="CASCADE"), primary_key=True
    )
    id_token: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    expiry: Mapped[datetime | None]
    group_id: Mapped[str | None] = mapped_column(String(64))


local_lists = cast(Table, LocalListRow.__table__)
local_list_groups = cast(Table, LocalListGroupRow.__table__)
local_list_entries = cast(Table, LocalListEntryRow.__table__)
