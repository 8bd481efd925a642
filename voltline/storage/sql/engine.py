"""Engine construction shared by `SqlStorage` and the Alembic environment.

URLs: ``sqlite+aiosqlite:///path/to/file.db`` (``sqlite:///...`` is accepted too) and
``postgresql+asyncpg://host:port/db`` (``postgresql://`` and ``postgres://`` are accepted too).

PostgreSQL schema: libpq's ``options`` URL parameter is understood, so
``postgresql+asyncpg://127.0.0.1/test?options=-csearch_path%3Dvl_abc`` puts every table (and the Alembic
version table) into schema ``vl_abc``. asyncpg itself rejects unknown keywords, so ``-c name=value``
pairs are taken out of the URL and passed as asyncpg ``server_settings``. The same URL therefore works
for `SqlStorage.open`, for `migrate.upgrade` and for psql.

SQLite: every connection gets WAL, the chosen ``synchronous`` level, ``busy_timeout`` and (unless
disabled for migrations) ``foreign_keys=ON``. pysqlite's implicit transaction handling is switched off
and SQLAlchemy emits the ``BEGIN`` itself, so a read sees one snapshot and the writer takes the write
lock up front (``BEGIN IMMEDIATE``) instead of failing half-way on a lock upgrade.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Execution option the writer sets on its connection so that SQLite begins with BEGIN IMMEDIATE.
WRITE_TRANSACTION = "voltline_write_transaction"
_SYNCHRONOUS_LEVELS = {"OFF", "NORMAL", "FULL", "EXTRA"}


def normalize_url(url: str | URL) -> URL:
    """Pick the async driver for plain ``sqlite://`` / ``postgresql://`` URLs."""
    parsed = make_url(url)
    driver = parsed.drivername
    if driver == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif driver in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed


def loggable_url(url: str) -> str:
    """A database URL fit for a log line: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: say nothing that could hold a secret
        return "the configured database"


def _server_settings_from_options(options: str) -> dict[str, str]:
    """Parse libpq ``options`` (``-c name=value`` / ``--name=value``) into server settings."""
    settings: dict[str, str] = {}
    words = shlex.split(options)
    i = 0
    while i < len(words):
        word = words[i]
        if word == "-c" and i + 1 < len(words):
            assignment = words[i + 1]
            i += 2
        elif word.startswith("-c") or word.startswith("--"):
            assignment = word[2:]
            i += 1
        else:
            raise ValueError(f"unsupported PostgreSQL options word {word!r}; use -c name=value")
        name, sep, value = assignment.partition("=")
        if not sep or not name:
            raise ValueError(f"malformed PostgreSQL option {assignment!r}; use -c name=value")
        settings[name.replace("-", "_")] = value
    return settings


def json_text(value: Any) -> str:
    """JSON columns' text: orjson rather than the standard library's encoder, a few times faster on the
    documents written with every profile, audit record and allocation. Non-string keys are written as the
    standard encoder writes them (as strings)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def json_value(text: str | bytes) -> Any:
    """A JSON column's value. Text an earlier version wrote with the standard encoder may hold what orjson
    refuses (NaN, Infinity): the standard decoder reads that."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def make_engine(
    url: str | URL,
    *,
    connect_args: dict[str, Any] | None = None,
    sqlite_synchronous: str = "FULL",
    sqlite_foreign_keys: bool = True,
    null_pool: bool = False,
    **engine_kwargs: Any,
) -> AsyncEngine:
    parsed = normalize_url(url)
    args: dict[str, Any] = dict(connect_args or {})
    backend = parsed.get_backend_name()
    if backend == "postgresql" and "options" in parsed.query:
        raw = parsed.query["options"]
        options = raw if isinstance(raw, str) else " ".join(raw)
        settings = _server_settings_from_options(options)
        args["server_settings"] = {**settings, **args.get("server_settings", {})}
        parsed = parsed.difference_update_query(["options"])
    if backend == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file::memory:"):
            raise ValueError("Voltline needs a SQLite file (readers and the writer use separate connections)")
        synchronous = sqlite_synchronous.upper()
        if synchronous not in _SYNCHRONOUS_LEVELS:
            raise ValueError(f"sqlite_synchronous must be one of {sorted(_SYNCHRONOUS_LEVELS)}")
    if null_pool:
        engine_kwargs["poolclass"] = NullPool
    elif backend == "postgresql":
        # After a database outage every pooled connection is dead: test each one as it is checked out (one
        # round trip per commit group) so service resumes by itself instead of failing one batch per
        # stale connection.
        engine_kwargs["pool_pre_ping"] = True
    engine_kwargs.setdefault("json_serializer", json_text)
    engine_kwargs.setdefault("json_deserializer", json_value)
    engine = create_async_engine(parsed, connect_args=args, **engine_kwargs)
    if backend == "sqlite":
        _configure_sqlite(engine, synchronous, sqlite_foreign_keys)
    return engine


def _configure_sqlite(engine: AsyncEngine, synchronous: str, foreign_keys: bool) -> None:
    pragmas = (
        "PRAGMA journal_mode=WAL",
        f"PRAGMA synchronous={synchronous}",
        f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}",
        f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin (see module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_TRANSACTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
