"""What the authorization area needs from storage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from voltline.areas.authorization.model import IdToken
from voltline.kernel.storage import RepositoryKey


class IdTokenRepository(Protocol):
    async def get(self, id_token: str) -> IdToken | None: ...
    async def get_many(self, id_tokens: Sequence[str]) -> dict[str, IdToken]: ...
    async def list(self, limit: int = 100, offset: int = 0) -> list[IdToken]: ...
    async def add(self, token: IdToken) -> IdToken: ...
    async def update(self, token: IdToken) -> IdToken: ...
    async def delete(self, id_token: str) -> bool: ...


ID_TOKENS: RepositoryKey[IdTokenRepository] = RepositoryKey("id_tokens")
