"""Schema migrations without an alembic.ini on disk.

All functions are synchronous and run their own event loop (``asyncio.run``); from async code call
them through ``asyncio.to_thread``. The URL reaches env.py through ``Config.attributes``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from voltline.storage.sql.engine import make_engine

R = TypeVar("R")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


def current_revision(url: str) -> str | None:
    def revision(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    return asyncio.run(_inspect(url, revision))


def is_empty(url: str) -> bool:
    """True when the database (schema) holds no tables at all."""

    def empty(connection: Connection) -> bool:
        return not inspect(connection).get_table_names()

    return asyncio.run(_inspect(url, empty))


async def _inspect(url: str, fn: Callable[[Connection], R]) -> R:
    engine = make_engine(url, null_pool=True)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(fn)
    finally:
        await engine.dispose()
