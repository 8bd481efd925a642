"""Registered id tokens (the local authorization list of the CSMS)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from voltline.areas.authorization.model import AuthorizationStatus, IdToken, TokenType
from voltline.areas.authorization.ports import ID_TOKENS
from voltline.areas.authorization.tables import id_tokens
from voltline.storage.sql.dialect import utcnow
from voltline.storage.sql.unit_of_work import RepositoryFactories


def token_of_row(row: Row[Any]) -> IdToken:
    m = row._mapping
    return IdToken(
        id_token=m["id_token"],
        type=TokenType(m["type"]),
        status=AuthorizationStatus(m["status"]),
        expiry=m["expiry"],
        group_id=m["group_id"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


class SqlIdTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, id_token: str) -> IdToken | None:
        row = (await self._session.execute(select(id_tokens).where(id_tokens.c.id_token == id_token))).first()
        return None if row is None else token_of_row(row)

    async def get_many(self, tokens: Sequence[str]) -> dict[str, IdToken]:
        wanted = sorted(set(tokens))
        found: dict[str, IdToken] = {}
        for start in range(0, len(wanted), 2000):
            stmt = select(id_tokens).where(id_tokens.c.id_token.in_(wanted[start : start + 2000]))
            for row in await self._session.execute(stmt):
                token = token_of_row(row)
                found[token.id_token] = token
        return found

    async def list(self, limit: int = 100, offset: int = 0) -> builtins.list[IdToken]:
        rows = await self._session.execute(select(id_tokens).order_by(id_tokens.c.id_token).limit(limit).offset(offset))
        return [token_of_row(row) for row in rows]

    async def add(self, token: IdToken) -> IdToken:
        """Insert a new token; a duplicate raises `sqlalchemy.exc.IntegrityError` (check with `get` first)."""
        now = utcnow()
        values = {
            "id_token": token.id_token,
            "type": TokenType(token.type).value,
            "status": AuthorizationStatus(token.status).value,
            "expiry": token.expiry,
            "group_id": token.group_id,
            "created_at": token.created_at or now,
            "updated_at": token.updated_at or token.created_at or now,
        }
        row = (await self._session.execute(insert(id_tokens).values(values).returning(id_tokens))).one()
        return token_of_row(row)

    async def update(self, token: IdToken) -> IdToken:
        """Overwrite type, status, expiry and group; raises LookupError if the token is not registered."""
        values = {
            "type": TokenType(token.type).value,
            "status": AuthorizationStatus(token.status).value,
            "expiry": token.expiry,
            "group_id": token.group_id,
            "updated_at": token.updated_at or utcnow(),
        }
        row = (
            await self._session.execute(
                update(id_tokens).where(id_tokens.c.id_token == token.id_token).values(values).returning(id_tokens)
            )
        ).first()
        if row is None:
            raise LookupError(f"id token {token.id_token!r} is not registered")
        return token_of_row(row)

    async def delete(self, id_token: str) -> bool:
        result = await self._session.execute(delete(id_tokens).where(id_tokens.c.id_token == id_token))
        return bool(result.rowcount)  # type: ignore[attr-defined]


# The repositories this area registers with SQL storage (see `voltline.storage.sql.unit_of_work`).
REPOSITORIES: RepositoryFactories = {
    ID_TOKENS: lambda session, _dialect: SqlIdTokenRepository(session),
}
