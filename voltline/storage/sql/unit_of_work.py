"""The repositories of one database transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from voltline.storage.sql.accounts import (
    SqlApiKeyRepository,
    SqlAuditRepository,
    SqlRecoveryCodeRepository,
    SqlSessionRepository,
    SqlUserRepository,
)
from voltline.storage.sql.device_model import SqlDeviceModelRepository, SqlTemplateRepository
from voltline.storage.sql.id_tokens import SqlIdTokenRepository
from voltline.storage.sql.local_lists import SqlLocalListRepository
from voltline.storage.sql.message_log import SqlMessageLogRepository
from voltline.storage.sql.records import SqlEventRepository, SqlReviewRepository
from voltline.storage.sql.stations import SqlStationRepository
from voltline.storage.sql.transactions import SqlTransactionRepository


class SqlUnitOfWork:
    """Implements `voltline.storage.ports.UnitOfWork` over one `AsyncSession` (one transaction)."""

    __slots__ = (
        "_api_keys",
        "_audit",
        "_config_templates",
        "_device_model",
        "_events",
        "_id_tokens",
        "_local_lists",
        "_message_log",
        "_recovery_codes",
        "_reviews",
        "_sessions",
        "_stations",
        "_transactions",
        "_users",
        "session",
    )

    def __init__(self, session: AsyncSession, dialect_name: str) -> None:
        self.session = session
        self._stations = SqlStationRepository(session, dialect_name)
        self._id_tokens = SqlIdTokenRepository(session)
        self._transactions = SqlTransactionRepository(session, dialect_name)
        self._reviews = SqlReviewRepository(session)
        self._events = SqlEventRepository(session, dialect_name)
        self._api_keys = SqlApiKeyRepository(session)
        self._users = SqlUserRepository(session)
        self._sessions = SqlSessionRepository(session)
        self._recovery_codes = SqlRecoveryCodeRepository(session)
        self._audit = SqlAuditRepository(session)
        self._message_log = SqlMessageLogRepository(session, dialect_name)
        self._device_model = SqlDeviceModelRepository(session, dialect_name)
        self._config_templates = SqlTemplateRepository(session, dialect_name)
        self._local_lists = SqlLocalListRepository(session, dialect_name)

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

    @property
    def users(self) -> SqlUserRepository:
        return self._users

    @property
    def sessions(self) -> SqlSessionRepository:
        return self._sessions

    @property
    def recovery_codes(self) -> SqlRecoveryCodeRepository:
        return self._recovery_codes

    @property
    def audit(self) -> SqlAuditRepository:
        return self._audit

    @property
    def device_model(self) -> SqlDeviceModelRepository:
        return self._device_model

    @property
    def config_templates(self) -> SqlTemplateRepository:
        return self._config_templates

    @property
    def local_lists(self) -> SqlLocalListRepository:
        return self._local_lists

    @property
    def message_log(self) -> SqlMessageLogRepository:
        return self._message_log
