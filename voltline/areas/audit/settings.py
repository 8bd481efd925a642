"""The audit trail's settings: part of the process's settings (VOLTLINE_<FIELD> or the TOML key <field>)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AuditSettings(BaseModel):
    audit_anonymous_per_minute: int = Field(
        default=30,
        ge=1,
        description="Audit entries an anonymous client address (an IPv6 one by its /64) writes one by one per "
        "minute; beyond that its requests are counted, and one entry per address and minute records how many "
        "were not written ('anonymous requests suppressed'). Authenticated requests are always recorded",
    )
    audit_retention_days: int = Field(
        default=365,
        ge=0,
        description="Days audit entries are kept; older ones are purged at start-up and hourly, in small "
        "batches. 0: kept forever",
    )
