"""The platform's settings, and where every setting of the process comes from.

Sources, strongest first: keyword arguments (tests), VOLTLINE_* environment variables, then a TOML file
(VOLTLINE_CONFIG, or ./voltline.toml when present), then the defaults.

An area's own settings are declared by the area (`voltline/areas/<area>/settings.py`, named by its
manifest's `Area.settings`), not here. The process's `Settings` class is this one together with every
area's, made by the composition root (`voltline.composition.Settings`), so it has one set of sources and
one validation; this module knows no area, and does not change when one is added.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from voltline.ocppj import OcppVersion


def _config_file() -> Path | None:
    explicit = os.environ.get("VOLTLINE_CONFIG")
    if explicit:
        return Path(explicit)
    default = Path("voltline.toml")
    return default if default.is_file() else None


class PlatformSettings(BaseSettings):
    """The settings of the platform (storage, gateway, API, process); the base of the process's Settings."""

    # Also the config of the composed Settings. extra="ignore": an environment variable, TOML key or keyword
    # argument that names no setting is dropped, not an error (a shell may hold VOLTLINE_* of other versions).
    model_config = SettingsConfigDict(env_prefix="VOLTLINE_", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./voltline.db",
        description="SQLAlchemy URL: sqlite+aiosqlite:///path.db or postgresql+asyncpg://host/db",
    )
    admin_token: SecretStr | None = Field(
        default=None, description="First admin API token; generated and printed once when unset"
    )

    ocpp_host: str = "0.0.0.0"
    ocpp_port: int = 9000
    ocpp_path: str = "/ocpp"
    ocpp_versions: list[OcppVersion] = Field(
        default_factory=lambda: [OcppVersion.V201, OcppVersion.V16],
        description="Subprotocols offered, in the server's order of preference",
    )
    http_host: str = "0.0.0.0"
    http_port: int = 8000
    http_max_body: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body the API reads, in bytes; larger ones are answered 413 unread",
    )
    http_trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses (or networks) of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto "
        "are believed; from anyone else those headers are ignored",
    )

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
    reconcile_interval: float = Field(
        default=300.0,
        gt=0,
        description="Seconds between sweeps that bring online stations not in line with their desired state "
        "(local lists pending or failed, apply-on-boot templates whose run failed) up to date",
    )
    sqlite_synchronous: str = "FULL"
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = Field(
        default="text", description="text: one readable line per event; json: one JSON object per line"
    )

    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token for GET /metrics on the API (an admin's API key or session works too)",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Also serve GET /metrics on this port of VOLTLINE_METRICS_HOST, without a token unless "
        "VOLTLINE_METRICS_TOKEN is set (0: any free port)",
    )
    metrics_host: str = Field(default="127.0.0.1", description="Address of the separate metrics port")

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
