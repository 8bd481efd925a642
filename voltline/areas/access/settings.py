"""Access's settings: login sessions and the throttling of failed logins. Part of the process's settings
(VOLTLINE_<FIELD> or the TOML key <field>)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AccessSettings(BaseModel):
    session_ttl: float = Field(default=8 * 3600.0, gt=0, description="Seconds a login session lasts")
    login_failures_per_account: int = Field(
        default=5, ge=1, description="Failed logins for one account within the window before it is locked"
    )
    login_failures_per_address: int = Field(
        default=20, ge=1, description="Failed logins from one client address within the window before it is locked"
    )
    login_failure_window: float = Field(default=900.0, gt=0, description="Seconds over which failed logins count")
    login_lockout: float = Field(
        default=900.0, gt=0, description="Seconds a locked account or address is refused (429), right password or not"
    )
