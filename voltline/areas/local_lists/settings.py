"""The local lists' settings: part of the process's settings (VOLTLINE_<FIELD> or the TOML key <field>)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LocalListSettings(BaseModel):
    local_list_max_entries: int = Field(
        default=500,
        ge=1,
        description="Entries per SendLocalList message; a longer Full list goes out as a Full part plus "
        "Differential parts, each with the next version number",
    )
