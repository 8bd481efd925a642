"""The whole schema: every table module, imported so that `metadata` holds all tables.

Areas keep their tables in their own modules (tables.py for the core, tables_<area>.py for the rest, all
on the same declarative `Base`); Alembic's environment and the schema-drift test read `metadata` here.
"""

from __future__ import annotations

from voltline.storage.sql import (
    tables,  # noqa: F401  (registers its tables on the shared metadata)
    tables_accounts,  # noqa: F401
    tables_device_model,  # noqa: F401
    tables_local_lists,  # noqa: F401
    tables_message_log,  # noqa: F401
)
from voltline.storage.sql.tables import metadata

__all__ = ["metadata"]
