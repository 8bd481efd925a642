"""The repositories of one database transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from voltline.storage.sql.id_tokens import SqlIdTokenRepository
from voltline.storage.sql.records import SqlApiKeyRepository, SqlEventRepository, SqlReviewRepository
from voltline.storage.sql.stations import SqlStationRepository
from voltline.storage.sql.transactions import SqlTransactionRepository


class SqlUnitOfWork:
    """Implements `voltline.storage.ports.UnitOfWork` over one `AsyncSession` (one transaction)."""

    __slots__ = ("_api_keys", "_events", "_id_tokens", "_reviews", "_stations", "_transactions", "session")

    def __init__(self, session: AsyncSession, dialect_name: str) -> None:
        self.session = session
        self._stations = SqlStationRepository(session, dialect_name)
        self._id_tokens = SqlIdTokenRepository(session)
        self._transactions = SqlTransactionRepository(session, dialect_name)
        self._reviews = SqlReviewRepository(session)
        self._events = SqlEventRepository(session, dialect_name)
        self._api_keys = SqlApiKeyRepository(session)

    @property
    def stations(self) -> SqlStationRepository:
        return self._stations

    @property
    def id_tokens(self) -> SqlIdTokenRepository:
        return self._id_tokens

    @property
    def transactions(self) -> SqlTransactionRepository:
        return self._transactions

    @property
    def reviews(self) -> SqlReviewRepository:
        return self._reviews

    @property
    def events(self) -> SqlEventRepository:
        return self._events

    @property
    def api_keys(self) -> SqlApiKeyRepository:
        return self._api_keys
