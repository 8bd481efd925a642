"""The message log's settings: part of the process's settings (VOLTLINE_<FIELD> or the TOML key <field>).

The process reads two of them too: it opens the log's own storage (`message_log_database_url`) only when
capture is on (`message_log`).
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class MessageLogSettings(BaseModel):
    message_log: bool = Field(
        default=True,
        description="Keep every OCPP frame in and out of each station (written in batches); off: capture nothing",
    )
    message_log_retention_days: int = Field(default=7, ge=1, description="Days the OCPP message log is kept")
    message_log_database_url: str | None = Field(
        default=None,
        description="Where the message log is written. Default: with SQLite, a file of its own next to the main "
        "database (<name>.messages.db), so logging never delays a station's commit; with PostgreSQL, the main "
        "database over connections of its own",
    )
