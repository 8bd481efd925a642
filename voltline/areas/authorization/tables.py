"""Table of the id token registry."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import (
    String,
    Table,
)
from sqlalchemy.orm import Mapped, mapped_column

from voltline.storage.sql.base import Base


class IdTokenRow(Base):
    __tablename__ = "id_tokens"

    id_token: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    expiry: Mapped[datetime | None]
    group_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


id_tokens = cast(Table, IdTokenRow.__table__)
