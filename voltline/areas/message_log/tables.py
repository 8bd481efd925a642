"""Table of the OCPP message log: every frame in and out of each station, append-only, purged by age."""

from __future__ import annotations

from typing import cast

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from voltline.storage.sql.base import Base


class MessageLogRow(Base):
    __tablename__ = "message_log"
    # Listing a station's frames by time (and paging by (at, id)); the purge walks the primary key.
    __table_args__ = (Index("ix_message_log_station_at", "station_id", "at_us"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    # Microseconds since the Unix epoch, UTC: an integer keeps the hot insert's index maintenance cheap.
    at_us: Mapped[int] = mapped_column(BigInteger)
    station_id: Mapped[str] = mapped_column(String(48))
    direction: Mapped[str] = mapped_column(String(3))
    message_type: Mapped[str | None] = mapped_column(String(10))
    message_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str | None] = mapped_column(String(64))
    frame: Mapped[str] = mapped_column(Text)
    truncated: Mapped[bool] = mapped_column(Boolean)


message_log = cast(Table, MessageLogRow.__table__)
