"""ApiAccessService over real SQL storage: the first admin token and token checks."""

from __future__ import annotations

from voltline.areas.access.api_access import ADMIN_ROLE, ApiAccessService
from voltline.storage.sql import SqlStorage

CONFIGURED = "vl_configured-admin-token-0123456789"


async def test_a_token_is_generated_once_when_none_is_configured(storage: SqlStorage) -> None:
    access = ApiAccessService(storage)

    token = await access.ensure_admin_token(None)

    assert token is not None and token.startswith("vl_")
    key = await access.authenticate(token)
    assert key is not None and key.role == ADMIN_ROLE
    assert await access.ensure_admin_token(None) is None  # a key exists: nothing new to show


async def test_a_configured_token_is_stored_once(storage: SqlStorage) -> None:
    access = ApiAccessService(storage)

    assert await access.ensure_admin_token(CONFIGURED) is None
    assert await access.ensure_admin_token(CONFIGURED) is None

    key = await access.authenticate(CONFIGURED)
    assert key is not None and key.role == ADMIN_ROLE
    # Once a key exists, no token is generated behind the operator's back.
    assert await access.ensure_admin_token(None) is None


async def test_unknown_tokens_are_not_authenticated(storage: SqlStorage) -> None:
    access = ApiAccessService(storage)
    await access.ensure_admin_token(CONFIGURED)

    assert await access.authenticate(CONFIGURED + "x") is None
    assert await access.authenticate("") is None
