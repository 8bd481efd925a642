"""All configuration in one typed object.

Sources, strongest first: keyword arguments (tests), VOLTLINE_* environment variables, then a TOML file
(VOLTLINE_CONFIG, or ./voltline.toml when present), then the defaults below.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from voltline.areas.stations.admission import UnknownStationPolicy
from voltline.ocppj import OcppVersion


def _config_file() -> Path | None:
    explicit = os.environ.get("VOLTLINE_CONFIG")
    if explicit:
        return Path(explicit)
    default = Path("voltline.toml")
    return default if default.is_file() else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VOLTLINE_", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./voltline.db",
        description="SQLAlchemy URL: sqlite+aiosqlite:///path.db or postgresql+asyncpg://host/db",
    )
    admin_token: SecretStr | None = Field(
        default=None, description="First admin API token; generated and printed once when unset"
    )
    unknown_stations: UnknownStationPolicy = UnknownStationPolicy.REJECT

    ocpp_host: str = "0.0.0.0"
    ocpp_port: int = 9000
    ocpp_path: str = "/ocpp"
    ocpp_versions: list[OcppVersion] = Field(
        default_factory=lambda: [OcppVersion.V201, OcppVersion.V16],
        description="Subprotocols offered, in the server's order of preference",
    )
    http_host: str = "0.0.0.0"
    http_port: int = 8000

    heartbeat_interval: int = Field(default=300, ge=1, description="Seconds, sent in the boot answer")
    ping_interval: float = Field(default=30.0, gt=0)
    ping_timeout: float = Field(default=30.0, gt=0)
    handshake_timeout: float = Field(default=10.0, gt=0)
    auth_failures_per_minute: int = Field(
        default=20,
        ge=1,
        description="Failed station authentications per minute from one address (or, from addresses that "
        "failed, for one station id) before further attempts get 429 unheard",
    )
    max_pending_handshakes_per_address: int = Field(
        default=25_000,
        ge=1,
        description="Concurrent unfinished handshakes from one address; more are closed at once",
    )
    close_timeout: float = Field(
        default=1.0, gt=0, description="Seconds to wait for a peer's close frame before dropping the TCP link"
    )
    call_timeout: float = Field(default=30.0, gt=0, description="Seconds a station has to answer a CSMS call")
    max_message_size: int = Field(default=1024 * 1024, ge=1024)
    backlog: int = Field(default=4096, ge=128)
    last_seen_flush_interval: float = Field(default=5.0, gt=0)

    write_batch_max: int = Field(default=512, ge=1)
    local_list_max_entries: int = Field(
        default=500,
        ge=1,
        description="Entries per SendLocalList message; a longer Full list goes out as a Full part plus "
        "Differential parts, each with the next version number",
    )
    reconcile_interval: float = Field(
        default=300.0,
        gt=0,
        description="Seconds between sweeps that bring online stations not in line with their desired state "
        "(local lists pending or failed, apply-on-boot templates whose run failed) up to date",
    )
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
    sqlite_synchronous: str = "FULL"
    log_level: str = "INFO"

    @field_validator("ocpp_path")
    @classmethod
    def _normalise_path(cls, value: str) -> str:
        return "/" + value.strip("/") if value.strip("/") else ""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)
