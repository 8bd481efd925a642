"""The repositories of one database transaction, made on first use from the factories the areas register."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncSession

from voltline.kernel.storage import RepositoryKey, UnknownRepositoryError

R = TypeVar("R")

# (session, dialect name) -> repository; an area's sql module provides one per repository it owns.
RepositoryFactory = Callable[[AsyncSession, str], Any]
RepositoryFactories = Mapping[RepositoryKey[Any], RepositoryFactory]


class SqlUnitOfWork:
    """Implements `voltline.kernel.storage.UnitOfWork` over one `AsyncSession` (one transaction).

    A repository is built the first time the unit of work is asked for it: a commit group of heartbeats
    builds the station repository and nothing else.
    """

    __slots__ = ("_dialect_name", "_factories", "_made", "session")

    def __init__(self, session: AsyncSession, dialect_name: str, factories: RepositoryFactories) -> None:
        self.session = session
        self._dialect_name = dialect_name
        self._factories = factories
        self._made: dict[RepositoryKey[Any], Any] = {}

    def __getitem__(self, key: RepositoryKey[R], /) -> R:
        made = self._made.get(key)
        if made is None:
            factory = self._factories.get(key)
            if factory is None:
                raise UnknownRepositoryError(f"no area registered the {key.name!r} repository with this storage")
            made = self._made[key] = factory(self.session, self._dialect_name)
        return cast(R, made)
