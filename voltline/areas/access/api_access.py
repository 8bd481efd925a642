"""API keys for integrations: the first admin key, keys created by admins, checking keys on each request.

A key is a long random token shown once; only its SHA-256 digest is stored and looked up. A revoked key
is refused from the very next request: every request reads the key's row (nothing is cached).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from voltline.areas.access.model import Role
from voltline.areas.access.ports import API_KEYS, ApiKey
from voltline.kernel.actors import current_actor
from voltline.kernel.clock import utcnow
from voltline.kernel.credentials import new_api_token, token_digest
from voltline.kernel.errors import Conflict, NotFound
from voltline.kernel.storage import Storage, UnitOfWork

log = logging.getLogger(__name__)

ADMIN_ROLE = Role.ADMIN.value
# last_used_at is written at most this often per key: a busy integration must not cost a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(slots=True, frozen=True)
class NewApiKey:
    key: ApiKey
    token: str  # shown once


class ApiAccessService:
    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def ensure_admin_token(self, configured: str | None) -> str | None:
        """Make sure an admin token exists.

        Returns a newly generated token (to be shown once) when none was configured and none existed yet;
        a configured token is stored (hashed) if it is not known already. A configured token that an admin
        revoked stays revoked.
        """

        async def op(uow: UnitOfWork) -> str | None:
            if configured is not None:
                known = await uow[API_KEYS].find_any(token_digest(configured))
                if known is None:
                    await uow[API_KEYS].add("admin (VOLTLINE_ADMIN_TOKEN)", ADMIN_ROLE, token_digest(configured))
                elif known.revoked_at is not None:
                    log.warning("VOLTLINE_ADMIN_TOKEN was revoked through the API and stays revoked; set a new one")
                return None
            if await uow[API_KEYS].count() > 0:
                return None
            token = new_api_token()
            await uow[API_KEYS].add("admin (generated)", ADMIN_ROLE, token_digest(token))
            return token

        return await self._storage.write(op)

    async def authenticate(self, token: str) -> ApiKey | None:
        """The unrevoked key with this token, or None."""

        async def op(uow: UnitOfWork) -> ApiKey | None:
            return await uow[API_KEYS].find(token_digest(token))

        key = await self._storage.read(op)
        now = utcnow()
        if key is not None and (key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION):

            async def touch(uow: UnitOfWork) -> None:
                await uow[API_KEYS].mark_used(key.id, now)

            await self._storage.write(touch)
        return key

    async def create(self, name: str, role: Role) -> NewApiKey:
        token = new_api_token()
        digest = token_digest(token)
        created_by = current_actor.get()

        async def op(uow: UnitOfWork) -> ApiKey:
            if await uow[API_KEYS].active_name_taken(name):
                raise Conflict(f"an active API key is already named {name!r}")
            return await uow[API_KEYS].add(name, role.value, digest, created_by)

        return NewApiKey(await self._storage.write(op), token)

    async def list(self) -> list[ApiKey]:
        async def op(uow: UnitOfWork) -> list[ApiKey]:
            return await uow[API_KEYS].list()

        return await self._storage.read(op)

    async def revoke(self, key_id: int) -> ApiKey:
        async def op(uow: UnitOfWork) -> ApiKey | None:
            return await uow[API_KEYS].revoke(key_id, utcnow())

        key = await self._storage.write(op)
        if key is None:
            raise NotFound(f"no API key with id {key_id}")
        return key
