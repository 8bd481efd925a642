"""Bearer tokens for the REST API: the first admin token, and checking tokens on each request."""

from __future__ import annotations

from voltline.domain.credentials import new_api_token, token_digest
from voltline.storage.ports import ApiKey, Storage, UnitOfWork

ADMIN_ROLE = "admin"


class ApiAccessService:
    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def ensure_admin_token(self, configured: str | None) -> str | None:
        """Make sure an admin token exists.

        Returns a newly generated token (to be shown once) when none was configured and none existed yet;
        a configured token is stored (hashed) if it is not known already.
        """

        async def op(uow: UnitOfWork) -> str | None:
            if configured is not None:
                if await uow.api_keys.find(token_digest(configured)) is None:
                    await uow.api_keys.add("admin (VOLTLINE_ADMIN_TOKEN)", ADMIN_ROLE, token_digest(configured))
                return None
            if await uow.api_keys.count() > 0:
                return None
            token = new_api_token()
            await uow.api_keys.add("admin (generated)", ADMIN_ROLE, token_digest(token))
            return token

        return await self._storage.write(op)

    async def authenticate(self, token: str) -> ApiKey | None:
        async def op(uow: UnitOfWork) -> ApiKey | None:
            return await uow.api_keys.find(token_digest(token))

        return await self._storage.read(op)
