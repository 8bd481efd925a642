"""connector_statuses (status, station_id): the station list's filter by connector status.

`GET /api/v1/stations?status=Faulted` asks for the stations having any connector in a status; with this
index a rare status is found from its own few rows instead of by reading every station's connectors.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("connector_statuses", schema=None) as batch_op:
        batch_op.create_index("ix_connector_statuses_status_station", ["status", "station_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("connector_statuses", schema=None) as batch_op:
        batch_op.drop_index("ix_connector_statuses_status_station")
