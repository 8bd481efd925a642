"""Local authorization lists: per-station list versions and sync state.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "local_lists",
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("selects_all", sa.Boolean(), nullable=False),
        sa.Column("desired_version", sa.Integer(), nullable=False),
        sa.Column("station_version", sa.Integer(), nullable=False),
        sa.Column("sent_version", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("needs_full", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_version", sa.Integer(), nullable=True),
        sa.Column("skipped", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_local_lists_station_id_stations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_local_lists")),
    )
    op.create_index("ix_local_lists_state", "local_lists", ["state"], unique=False)
    op.create_table(
        "local_list_groups",
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("group_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["local_lists.station_id"],
            name=op.f("fk_local_list_groups_station_id_local_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("station_id", "group_id", name=op.f("pk_local_list_groups")),
    )
    op.create_index("ix_local_list_groups_group_id", "local_list_groups", ["group_id"], unique=False)
    op.create_table(
        "local_list_entries",
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("id_token", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("expiry", sa.DateTime(timezone=True), nullable=True),
        sa.Column("group_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["local_lists.station_id"],
            name=op.f("fk_local_list_entries_station_id_local_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("station_id", "id_token", name=op.f("pk_local_list_entries")),
    )


def downgrade() -> None:
    op.drop_table("local_list_entries")
    op.drop_index("ix_local_list_groups_group_id", table_name="local_list_groups")
    op.drop_table("local_list_groups")
    op.drop_index("ix_local_lists_state", table_name="local_lists")
    op.drop_table("local_lists")
