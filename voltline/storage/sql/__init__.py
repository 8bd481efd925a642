"""SQL storage (SQLite, PostgreSQL) behind the ports of `voltline.kernel.storage`."""

from voltline.storage.sql.storage import SqlStorage, StorageClosedError
from voltline.storage.sql.unit_of_work import SqlUnitOfWork

__all__ = ["SqlStorage", "SqlUnitOfWork", "StorageClosedError"]
