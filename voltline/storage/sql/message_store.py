"""Where the OCPP message log is written: storage of its own, apart from the stations' group commit.

Frames arrive at twice the message rate and matter less than transactions, so their writes must never
share a commit (or, on SQLite, a write-ahead log and its checkpoints) with station data. By default, on
SQLite they go to a sibling file (`voltline.db` -> `voltline.messages.db`) with synchronous=NORMAL (a power
cut may lose the last frames, never a transaction); on PostgreSQL to the main database through a second
engine. Either way it is a `SqlStorage` of its own: its own writer task and connections.
"""

from __future__ import annotations

from pathlib import PurePath

from voltline.storage.sql import migrate
from voltline.storage.sql.engine import normalize_url
from voltline.storage.sql.storage import SqlStorage
from voltline.storage.sql.unit_of_work import RepositoryFactories


def default_message_log_url(database_url: str) -> str:
    """The message log's database for a main database URL (see the module docstring)."""
    url = normalize_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return database_url
    path = PurePath(url.database)
    sibling = path.with_name(f"{path.stem}.messages{path.suffix or '.db'}")
    return url.set(database=str(sibling)).render_as_string(hide_password=False)


def prepare_message_log_database(url: str, database_url: str) -> None:
    """Bring a separate message log database to the current schema. It holds nothing but diagnostics, so it
    is migrated on start (unlike the main database, which an operator upgrades)."""
    if normalize_url(url) != normalize_url(database_url):
        migrate.upgrade(url)


async def open_message_store(
    url: str, database_url: str, repositories: RepositoryFactories, *, max_batch: int = 512
) -> SqlStorage | None:
    """The message log's own storage; None when it is the main SQLite file itself (then the main storage
    is used: a second writer on one SQLite file would only wait for the first)."""
    same = normalize_url(url) == normalize_url(database_url)
    if normalize_url(url).get_backend_name() == "sqlite":
        if same:
            return None
        # A file that holds only diagnostics: NORMAL is durable enough and halves the fsyncs.
        return await SqlStorage.open(url, repositories, max_batch=max_batch, sqlite_synchronous="NORMAL")
    return await SqlStorage.open(url, repositories, max_batch=max_batch)
