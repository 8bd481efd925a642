"""Fixtures for every area's tests: services over real SQL storage (once per backend) and the real API app."""

from tests.support.api_fixtures import anonymous, api_storage, client, link, services
from tests.support.domain_fixtures import (
    _drop_shared_postgres_schema,
    authorization,
    database_url,
    stations,
    storage,
    transactions,
)

__all__ = [
    "_drop_shared_postgres_schema",
    "anonymous",
    "api_storage",
    "authorization",
    "client",
    "database_url",
    "link",
    "services",
    "stations",
    "storage",
    "transactions",
]
