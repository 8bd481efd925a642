"""What the local-list area needs from storage."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Protocol

from voltline.areas.authorization.model import IdToken
from voltline.areas.local_lists.model import LocalListEntry, LocalListState, Selection, SyncState
from voltline.kernel.storage import RepositoryKey


class LocalListRepository(Protocol):
    """Managed stations' local list records, their selection groups and the entries they confirmed."""

    async def get(self, station_id: str) -> LocalListState | None: ...
    async def list(self, state: SyncState | None = None) -> builtins.list[LocalListState]: ...
    async def save(self, record: LocalListState) -> None:
        """Insert or replace the record, selection groups included (entry_count is not stored)."""
        ...

    async def delete(self, station_id: str) -> bool: ...
    async def mark_changed(self, groups: Sequence[str | None]) -> builtins.list[str]:
        """Stations selecting every token or one of `groups`: next desired version, pending; their ids."""
        ...

    async def entries(self, station_id: str) -> dict[str, LocalListEntry]: ...
    async def replace_entries(self, station_id: str, entries: Sequence[LocalListEntry]) -> None: ...
    async def change_entries(self, station_id: str, upserts: Sequence[LocalListEntry], removals: Sequence[str]) -> None:
        """Remove the `removals` (token ids), then insert or overwrite the `upserts`."""
        ...

    async def selected_tokens(self, selection: Selection) -> builtins.list[IdToken]:
        """The registry tokens a selection takes in, ordered by id."""
        ...


LOCAL_LISTS: RepositoryKey[LocalListRepository] = RepositoryKey("local_lists")
