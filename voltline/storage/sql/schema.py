"""The whole schema: the shared declarative metadata, with every area's tables registered on it.

Each area keeps its tables in its own `tables.py` on the same declarative `Base`; importing the area list
imports them all. Alembic's environment and the schema-drift test read `metadata` here.
"""

from __future__ import annotations

import voltline.areas.catalog  # noqa: F401  (importing the areas registers their tables)
from voltline.storage.sql.base import metadata

__all__ = ["metadata"]
