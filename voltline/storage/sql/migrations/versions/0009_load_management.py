"""Load management: sites and their tree, station assignments, price curves, demand-response events,
charging plans, session needs and the allocation history.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TIME = sa.DateTime(timezone=True)


def _site_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["site_id"], ["sites.id"], name=op.f(f"fk_{table}_site_id_sites"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("id", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("grid_limit", sa.Float(), nullable=False),
        sa.Column("grid_unit", sa.String(length=4), nullable=False),
        sa.Column("voltage_v", sa.Float(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("strategy", sa.String(length=12), nullable=False),
        sa.Column("controller_enabled", sa.Boolean(), nullable=False),
        sa.Column("base_load_a", sa.Float(), nullable=False),
        sa.Column("min_current_a", sa.Float(), nullable=False),
        sa.Column("layout", _JSON, nullable=False),
        sa.Column("measured_base_load", _JSON, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
    )
    op.create_table(
        "site_assignments",
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(length=48), nullable=False),
        sa.Column("circuit_id", sa.String(length=48), nullable=False),
        sa.Column("phase_rotation", sa.String(length=3), nullable=False),
        sa.Column("max_current_a", sa.Float(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_site_assignments_station_id_stations"), ondelete="CASCADE"
        ),
        _site_fk("site_assignments"),
        sa.PrimaryKeyConstraint("station_id", "evse_id", name=op.f("pk_site_assignments")),
    )
    op.create_index("ix_site_assignments_site_id", "site_assignments", ["site_id"], unique=False)
    op.create_table(
        "site_prices",
        sa.Column("site_id", sa.String(length=48), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("periods", _JSON, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        _site_fk("site_prices"),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_site_prices")),
    )
    op.create_table(
        "demand_response_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_ids", _JSON, nullable=False),
        sa.Column("target", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("start", _TIME, nullable=False),
        sa.Column("end", _TIME, nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=48), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("compliance", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_response_events")),
    )
    op.create_index("ix_demand_response_events_state", "demand_response_events", ["state"], unique=False)
    op.create_table(
        "charging_plans",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id_token", sa.String(length=255), nullable=True),
        sa.Column("token_group", sa.String(length=255), nullable=True),
        sa.Column("departures", _JSON, nullable=False),
        sa.Column("energy_wh", sa.Float(), nullable=True),
        sa.Column("target_soc", sa.Float(), nullable=True),
        sa.Column("battery_wh", sa.Float(), nullable=True),
        sa.Column("max_price_per_kwh", sa.String(length=32), nullable=True),
        sa.Column("charge_now", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charging_plans")),
        sa.UniqueConstraint("id_token", name=op.f("uq_charging_plans_id_token")),
        sa.UniqueConstraint("token_group", name=op.f("uq_charging_plans_token_group")),
    )
    op.create_table(
        "session_needs",
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("energy_wh", sa.Float(), nullable=True),
        sa.Column("departure", _TIME, nullable=True),
        sa.Column("charge_now", sa.Boolean(), nullable=False),
        sa.Column("max_price_per_kwh", sa.String(length=32), nullable=True),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_session_needs_transaction_id_transactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_session_needs")),
    )
    op.create_table(
        "site_allocations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(length=48), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decision", _JSON, nullable=False),
        _site_fk("site_allocations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_allocations")),
    )
    op.create_index("ix_site_allocations_site_id_at", "site_allocations", ["site_id", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_site_allocations_site_id_at", table_name="site_allocations")
    op.drop_table("site_allocations")
    op.drop_table("session_needs")
    op.drop_table("charging_plans")
    op.drop_index("ix_demand_response_events_state", table_name="demand_response_events")
    op.drop_table("demand_response_events")
    op.drop_table("site_prices")
    op.drop_index("ix_site_assignments_site_id", table_name="site_assignments")
    op.drop_table("site_assignments")
    op.drop_table("sites")
