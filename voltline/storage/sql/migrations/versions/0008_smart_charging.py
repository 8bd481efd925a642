"""Smart charging: the charging profiles kept per station, what stations report (the profiles they hold,
the limits they are under, EV needs) and profile templates.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _station_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["station_id"], ["stations.id"], name=op.f(f"fk_{table}_station_id_stations"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "charging_profiles",
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=24), nullable=False),
        sa.Column("stack_level", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("recurrency", sa.String(length=8), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("transaction_id", sa.String(length=36), nullable=True),
        sa.Column("schedules", _JSON, nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("set_by", sa.String(length=255), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _station_fk("charging_profiles"),
        sa.PrimaryKeyConstraint("station_id", "profile_id", name=op.f("pk_charging_profiles")),
    )
    op.create_index("ix_charging_profiles_state", "charging_profiles", ["state"], unique=False)
    op.create_table(
        "reported_charging_profiles",
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("limit_source", sa.String(length=8), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("profile", _JSON, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        _station_fk("reported_charging_profiles"),
        sa.PrimaryKeyConstraint(
            "station_id", "limit_source", "evse_id", "profile_id", name=op.f("pk_reported_charging_profiles")
        ),
    )
    op.create_table(
        "charging_limits",
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=False),
        sa.Column("grid_critical", sa.Boolean(), nullable=True),
        sa.Column("detail", _JSON, nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        _station_fk("charging_limits"),
        sa.PrimaryKeyConstraint("station_id", "kind", "source", "evse_id", name=op.f("pk_charging_limits")),
    )
    op.create_table(
        "charging_profile_templates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("profile", _JSON, nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charging_profile_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_charging_profile_templates_name")),
    )


def downgrade() -> None:
    op.drop_table("charging_profile_templates")
    op.drop_table("charging_limits")
    op.drop_table("reported_charging_profiles")
    op.drop_index("ix_charging_profiles_state", table_name="charging_profiles")
    op.drop_table("charging_profiles")
