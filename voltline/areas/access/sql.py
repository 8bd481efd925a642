"""Repositories of accounts: API keys, users, login sessions, MFA recovery codes, and the audit log."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, delete, func, insert, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from voltline.areas.access.model import NewUser, Role, User, UserSecrets, UserSession
from voltline.areas.access.ports import API_KEYS, RECOVERY_CODES, SESSIONS, USERS, ApiKey
from voltline.areas.access.tables import api_keys, recovery_codes, sessions, users
from voltline.storage.sql.dialect import utcnow
from voltline.storage.sql.unit_of_work import RepositoryFactories

_KEY_COLUMNS = (
    api_keys.c.id,
    api_keys.c.name,
    api_keys.c.role,
    api_keys.c.created_at,
    api_keys.c.created_by,
    api_keys.c.last_used_at,
    api_keys.c.revoked_at,
)


def _api_key(m: RowMapping) -> ApiKey:
    return ApiKey(
        id=m["id"],
        name=m["name"],
        role=m["role"],
        created_at=m["created_at"],
        created_by=m["created_by"],
        last_used_at=m["last_used_at"],
        revoked_at=m["revoked_at"],
    )


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


class SqlApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, name: str, role: str, key_hash: str, created_by: str | None = None) -> ApiKey:
        row = (
            await self._session.execute(
                insert(api_keys)
                .values(name=name, role=role, key_hash=key_hash, created_at=utcnow(), created_by=created_by)
                .returning(*_KEY_COLUMNS)
            )
        ).one()
        return _api_key(row._mapping)

    async def find(self, key_hash: str) -> ApiKey | None:
        query = select(*_KEY_COLUMNS).where(api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None))
        row = (await self._session.execute(query)).first()
        return None if row is None else _api_key(row._mapping)

    async def find_any(self, key_hash: str) -> ApiKey | None:
        row = (await self._session.execute(select(*_KEY_COLUMNS).where(api_keys.c.key_hash == key_hash))).first()
        return None if row is None else _api_key(row._mapping)

    async def count(self) -> int:
        return int((await self._session.execute(select(func.count()).select_from(api_keys))).scalar_one())

    async def list(self) -> builtins.list[ApiKey]:
        rows = await self._session.execute(select(*_KEY_COLUMNS).order_by(api_keys.c.id))
        return [_api_key(row._mapping) for row in rows]

    async def active_name_taken(self, name: str) -> bool:
        query = select(api_keys.c.id).where(api_keys.c.name == name, api_keys.c.revoked_at.is_(None)).limit(1)
        return (await self._session.execute(query)).first() is not None

    async def revoke(self, key_id: int, at: datetime) -> ApiKey | None:
        await self._session.execute(
            update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None)).values(revoked_at=at)
        )
        row = (await self._session.execute(select(*_KEY_COLUMNS).where(api_keys.c.id == key_id))).first()
        return None if row is None else _api_key(row._mapping)

    async def mark_used(self, key_id: int, at: datetime) -> None:
        await self._session.execute(update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=at))


_USER_COLUMNS = (
    users.c.id,
    users.c.username,
    users.c.role,
    users.c.disabled,
    users.c.mfa_secret,
    users.c.created_at,
    users.c.updated_at,
    users.c.created_by,
    users.c.last_login_at,
)


def _user(m: RowMapping) -> User:
    return User(
        id=m["id"],
        username=m["username"],
        role=Role(m["role"]),
        disabled=m["disabled"],
        mfa_enabled=m["mfa_secret"] is not None,
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        created_by=m["created_by"],
        last_login_at=m["last_login_at"],
    )


def _secrets(m: RowMapping) -> UserSecrets:
    return UserSecrets(
        user=_user(m),
        password_hash=m["password_hash"],
        mfa_secret=m["mfa_secret"],
        mfa_pending_secret=m["mfa_pending_secret"],
        mfa_last_step=m["mfa_last_step"],
    )


class SqlUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _set(self, user_id: int, at: datetime, **values: Any) -> None:
        await self._session.execute(update(users).where(users.c.id == user_id).values(updated_at=at, **values))

    async def add(self, new: NewUser) -> User:
        row = (
            await self._session.execute(
                insert(users)
                .values(
                    username=new.username,
                    role=new.role.value,
                    password_hash=new.password_hash,
                    disabled=False,
                    created_by=new.created_by,
                    created_at=new.at,
                    updated_at=new.at,
                )
                .returning(*_USER_COLUMNS)
            )
        ).one()
        return _user(row._mapping)

    async def get(self, user_id: int) -> User | None:
        row = (await self._session.execute(select(*_USER_COLUMNS).where(users.c.id == user_id))).first()
        return None if row is None else _user(row._mapping)

    async def secrets(self, user_id: int) -> UserSecrets | None:
        row = (await self._session.execute(select(users).where(users.c.id == user_id))).first()
        return None if row is None else _secrets(row._mapping)

    async def secrets_by_username(self, username: str) -> UserSecrets | None:
        row = (await self._session.execute(select(users).where(users.c.username == username))).first()
        return None if row is None else _secrets(row._mapping)

    async def list(self) -> builtins.list[User]:
        return [_user(row._mapping) for row in await self._session.execute(select(*_USER_COLUMNS).order_by(users.c.id))]

    async def set_role(self, user_id: int, role: Role, at: datetime) -> None:
        await self._set(user_id, at, role=role.value)

    async def set_disabled(self, user_id: int, disabled: bool, at: datetime) -> None:
        await self._set(user_id, at, disabled=disabled)

    async def set_password_hash(self, user_id: int, password_hash: str, at: datetime) -> None:
        await self._set(user_id, at, password_hash=password_hash)

    async def set_pending_mfa_secret(self, user_id: int, secret: str | None, at: datetime) -> None:
        await self._set(user_id, at, mfa_pending_secret=secret)

    async def enable_mfa(self, user_id: int, secret: str, step: int, at: datetime) -> None:
        await self._set(user_id, at, mfa_secret=secret, mfa_pending_secret=None, mfa_last_step=step)

    async def reset_mfa(self, user_id: int, at: datetime) -> None:
        await self._set(user_id, at, mfa_secret=None, mfa_pending_secret=None, mfa_last_step=None)
        await self._session.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))

    async def spend_mfa_step(self, user_id: int, step: int) -> bool:
        # One conditional UPDATE: of two concurrent logins with the same code only one can win.
        result = await self._session.execute(
            update(users)
            .where(users.c.id == user_id, or_(users.c.mfa_last_step.is_(None), users.c.mfa_last_step < step))
            .values(mfa_last_step=step)
        )
        return _rowcount(result) == 1

    async def set_last_login(self, user_id: int, at: datetime) -> None:
        await self._session.execute(update(users).where(users.c.id == user_id).values(last_login_at=at))

    async def set_login_unlocked(self, user_id: int, at: datetime) -> None:
        await self._set(user_id, at, login_unlocked_at=at)

    async def login_unlocked_at(self, username: str) -> datetime | None:
        query = select(users.c.login_unlocked_at).where(users.c.username == username)
        found: datetime | None = (await self._session.execute(query)).scalar_one_or_none()
        return found

    async def delete(self, user_id: int) -> bool:
        # Explicit deletes: SQLite enforces ON DELETE CASCADE only with foreign keys switched on.
        await self._session.execute(delete(sessions).where(sessions.c.user_id == user_id))
        await self._session.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
        return _rowcount(await self._session.execute(delete(users).where(users.c.id == user_id))) == 1


class SqlSessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, user_id: int, token_hash: str, created_at: datetime, expires_at: datetime) -> None:
        await self._session.execute(
            insert(sessions).values(
                user_id=user_id, token_hash=token_hash, created_at=created_at, expires_at=expires_at
            )
        )

    async def find(self, token_hash: str, now: datetime) -> UserSession | None:
        query = (
            select(sessions.c.id.label("session_id"), sessions.c.expires_at, *_USER_COLUMNS)
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.token_hash == token_hash, sessions.c.expires_at > now)
        )
        row = (await self._session.execute(query)).first()
        if row is None:
            return None
        return UserSession(id=row.session_id, user=_user(row._mapping), expires_at=row.expires_at)

    async def delete(self, token_hash: str) -> bool:
        return _rowcount(await self._session.execute(delete(sessions).where(sessions.c.token_hash == token_hash))) > 0

    async def delete_for_user(self, user_id: int) -> int:
        return _rowcount(await self._session.execute(delete(sessions).where(sessions.c.user_id == user_id)))

    async def delete_expired(self, now: datetime) -> int:
        return _rowcount(await self._session.execute(delete(sessions).where(sessions.c.expires_at <= now)))


class SqlRecoveryCodeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def replace(self, user_id: int, code_hashes: Sequence[str]) -> None:
        await self._session.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
        if code_hashes:
            await self._session.execute(
                insert(recovery_codes), [{"user_id": user_id, "code_hash": h, "used_at": None} for h in code_hashes]
            )

    async def spend(self, user_id: int, code_hash: str, at: datetime) -> bool:
        result = await self._session.execute(
            update(recovery_codes)
            .where(
                recovery_codes.c.user_id == user_id,
                recovery_codes.c.code_hash == code_hash,
                recovery_codes.c.used_at.is_(None),
            )
            .values(used_at=at)
        )
        return _rowcount(result) == 1


# The repositories this area registers with SQL storage (see `voltline.storage.sql.unit_of_work`).
REPOSITORIES: RepositoryFactories = {
    API_KEYS: lambda session, _dialect: SqlApiKeyRepository(session),
    USERS: lambda session, _dialect: SqlUserRepository(session),
    SESSIONS: lambda session, _dialect: SqlSessionRepository(session),
    RECOVERY_CODES: lambda session, _dialect: SqlRecoveryCodeRepository(session),
}
