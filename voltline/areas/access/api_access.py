"""API keys for integrations: the bootstrap admin token, keys created by admins, checking keys on each request.

A key is a long random token shown once; only its SHA-256 digest is stored and looked up. A revoked key
is refused from the very next request: every request reads the key's row (nothing is cached); a revocation
is announced (`AccessChanged`) so that a live event stream the key holds open ends at once too.

The bootstrap admin token (VOLTLINE_ADMIN_TOKEN, or the one generated at the first start) is a
break-glass credential: like every API key it needs no second factor, so it is the way in before any
admin exists and should be retired once one does. It may be revoked only while another admin can take
over: an enabled admin user who has enrolled MFA (`real_admins`), so revoking never locks everyone out.
Once revoked it is never made again at start-up, whatever VOLTLINE_ADMIN_TOKEN then says (the log says
so): recovery goes through the command line on the server (`voltline user ...`), which needs the database.
Start-up warns while the token is active although a real admin exists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from voltline.areas.access.model import AccessChanged, Role, User
from voltline.areas.access.ports import (
    API_KEYS,
    BOOTSTRAP_KEY_NAMES,
    CONFIGURED_ADMIN_KEY,
    GENERATED_ADMIN_KEY,
    USERS,
    ApiKey,
)
from voltline.kernel.actors import current_actor
from voltline.kernel.clock import utcnow
from voltline.kernel.credentials import new_api_token, token_digest
from voltline.kernel.errors import Conflict, NotFound
from voltline.kernel.events import EventBus
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
    def __init__(self, storage: Storage, bus: EventBus | None = None) -> None:
        """`bus`: where a revocation is announced (`AccessChanged`), for the live event streams a key holds
        open; None where nobody streams (the command line)."""
        self._storage = storage
        self._bus = bus

    async def ensure_admin_token(self, configured: str | None) -> str | None:
        """Make sure the bootstrap admin token exists, at start-up.

        Returns a newly generated token (to be shown once) when none was configured and no key existed
        yet; a configured token is stored (hashed) if it is not known already. Once a bootstrap token was
        revoked, none is made again: a revoked configured token stays revoked, and a new value of
        VOLTLINE_ADMIN_TOKEN is ignored (an old setting left in the environment must not bring the
        break-glass credential back unnoticed). Every outcome but the ordinary one is logged, never the token.
        """

        async def op(uow: UnitOfWork) -> tuple[str | None, list[ApiKey], list[User]]:
            token = None
            keys = await uow[API_KEYS].list()
            if configured is not None:
                known = await uow[API_KEYS].find_any(token_digest(configured))
                if known is None and any(key.bootstrap and not key.active for key in keys):
                    log.warning(
                        "VOLTLINE_ADMIN_TOKEN is set, but the bootstrap admin token was revoked: it is not "
                        "re-created and the setting is ignored; unset VOLTLINE_ADMIN_TOKEN"
                    )
                elif known is None:
                    await uow[API_KEYS].add(CONFIGURED_ADMIN_KEY, ADMIN_ROLE, token_digest(configured))
                elif not known.active:
                    log.warning(
                        "VOLTLINE_ADMIN_TOKEN was revoked and stays revoked (it is not re-created); "
                        "unset VOLTLINE_ADMIN_TOKEN"
                    )
            elif not keys:
                token = new_api_token()
                await uow[API_KEYS].add(GENERATED_ADMIN_KEY, ADMIN_ROLE, token_digest(token))
            return token, await uow[API_KEYS].list(), await uow[USERS].list()

        token, keys, users = await self._storage.write(op)
        admins = real_admins(users)
        if admins and any(key.bootstrap and key.active for key in keys):
            log.warning(
                "the bootstrap admin token is still active although %d admin user(s) with MFA exist (%s): it "
                "needs no second factor, so revoke it (DELETE /api/v1/api-keys/bootstrap or "
                "`voltline bootstrap-token revoke`) unless you keep it as a break-glass credential",
                len(admins),
                ", ".join(admin.username for admin in admins[:3]) + (", ..." if len(admins) > 3 else ""),
            )
        return token

    async def revoke_bootstrap(self) -> list[ApiKey]:
        """Revoke the bootstrap admin token(s); the keys it revoked (none when none was active).
        Conflict when no real admin would be left to take over."""
        now = utcnow()

        async def op(uow: UnitOfWork) -> list[ApiKey]:
            active = [key for key in await uow[API_KEYS].list() if key.bootstrap and key.active]
            if active:
                await _require_another_admin(uow)
            revoked = [await uow[API_KEYS].revoke(key.id, now) for key in active]
            return [key for key in revoked if key is not None]

        revoked = await self._storage.write(op)
        if revoked:
            log.warning("security event: the bootstrap admin token was revoked by %s", current_actor.get())
            await self._announce()
        return revoked

    async def authenticate(self, token: str, *, touch: bool = True) -> ApiKey | None:
        """The unrevoked key with this token, or None. `touch=False`: a check of a key already in use (an
        open stream's), which does not count as a use."""

        async def op(uow: UnitOfWork) -> ApiKey | None:
            return await uow[API_KEYS].find(token_digest(token))

        key = await self._storage.read(op)
        now = utcnow()
        if touch and key is not None and (key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION):

            async def mark_used(uow: UnitOfWork) -> None:
                await uow[API_KEYS].mark_used(key.id, now)

            await self._storage.write(mark_used)
        return key

    async def create(self, name: str, role: Role) -> NewApiKey:
        token = new_api_token()
        digest = token_digest(token)
        created_by = current_actor.get()

        async def op(uow: UnitOfWork) -> ApiKey:
            if name in BOOTSTRAP_KEY_NAMES:
                raise Conflict(f"{name!r} is the bootstrap admin token's name; choose another")
            if await uow[API_KEYS].active_name_taken(name):
                raise Conflict(f"an active API key is already named {name!r}")
            return await uow[API_KEYS].add(name, role.value, digest, created_by)

        return NewApiKey(await self._storage.write(op), token)

    async def list(self) -> list[ApiKey]:
        async def op(uow: UnitOfWork) -> list[ApiKey]:
            return await uow[API_KEYS].list()

        return await self._storage.read(op)

    async def revoke(self, key_id: int) -> ApiKey:
        """Revoke one key. The bootstrap admin token is held to the rule of `revoke_bootstrap` here too."""

        async def op(uow: UnitOfWork) -> ApiKey | None:
            key = next((key for key in await uow[API_KEYS].list() if key.id == key_id), None)
            if key is not None and key.bootstrap and key.active:
                await _require_another_admin(uow)
            return await uow[API_KEYS].revoke(key_id, utcnow())

        key = await self._storage.write(op)
        if key is None:
            raise NotFound(f"no API key with id {key_id}")
        await self._announce()
        return key

    async def _announce(self) -> None:
        if self._bus is not None:
            await self._bus.publish(AccessChanged("api_key_revoked"))


def real_admins(users: list[User]) -> list[User]:
    """Admins who can take over from the bootstrap token: enabled, and enrolled in MFA, which shows they
    have logged in with their password and may use every admin route."""
    return [user for user in users if user.role is Role.ADMIN and not user.disabled and user.mfa_enabled]


async def _require_another_admin(uow: UnitOfWork) -> None:
    if not real_admins(await uow[USERS].list()):
        raise Conflict(
            "the bootstrap admin token cannot be revoked while no enabled admin user with MFA exists: "
            "nobody could administer Voltline through the API afterwards"
        )
