"""Fixtures for the platform API tests (authentication, roles, OpenAPI, robustness): the real app."""

from tests.support.api_fixtures import anonymous, api_storage, client, link, services

__all__ = ["anonymous", "api_storage", "client", "link", "services"]
