"""Id token registry and the authorization decision shared by every version."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from voltline.areas.authorization.model import AuthorizationStatus, IdToken, TokenType, TokenVerdict
from voltline.areas.authorization.ports import ID_TOKENS, IdTokenRepository
from voltline.kernel.clock import utcnow
from voltline.kernel.errors import Conflict, NotFound
from voltline.kernel.storage import Storage, UnitOfWork

UNKNOWN = TokenVerdict(AuthorizationStatus.INVALID)

AfterCommit = Callable[[], None]


class TokenWatcher(Protocol):
    """Learns of every token change made through the registry (created: before is None; deleted: after is
    None), inside the change's own transaction; what it returns runs once that transaction committed."""

    async def token_changed(
        self, uow: UnitOfWork, before: IdToken | None, after: IdToken | None
    ) -> AfterCommit | None: ...


# OCPP 2.0.1 names a token by its value and its type: a KeyCode "1234" is not the RFID card "1234". A
# Central token is one the CSMS handed out itself (RequestStartTransaction), so it stands for the registered
# token of that value whatever its kind.
_ANY_KIND = frozenset({TokenType.CENTRAL.value})

# A token as a station presents it: its value, and (OCPP 2.0.1 only) its type.
TokenRef = tuple[str, str | None]


def verdict_for(token: IdToken | None, presented_type: str | None = None) -> TokenVerdict:
    """The rule: unknown tokens are Invalid, and so is a token presented as another kind than registered;
    an Accepted token past its expiry is Expired."""
    if token is None:
        return UNKNOWN
    if presented_type is not None and presented_type not in _ANY_KIND and presented_type != token.type:
        return UNKNOWN
    status = token.status
    if status is AuthorizationStatus.ACCEPTED and token.expiry is not None and token.expiry <= utcnow():
        status = AuthorizationStatus.EXPIRED
    return TokenVerdict(status, token.expiry, token.group_id)


async def decide(tokens: IdTokenRepository, id_token: str) -> TokenVerdict:
    """Verdict for a token, usable inside a larger unit of work (start, stop, transaction events)."""
    return verdict_for(await tokens.get(id_token))


async def decide_many(tokens: IdTokenRepository, id_tokens: Sequence[str]) -> dict[str, TokenVerdict]:
    """Verdicts for many tokens with one query."""
    known = await tokens.get_many(id_tokens)
    return {id_token: verdict_for(known.get(id_token)) for id_token in id_tokens}


async def decide_refs(tokens: IdTokenRepository, refs: Sequence[TokenRef]) -> dict[TokenRef, TokenVerdict]:
    """Verdicts for many tokens as stations presented them (value and type), with one query."""
    known = await tokens.get_many(list({value for value, _ in refs}))
    return {ref: verdict_for(known.get(ref[0]), ref[1]) for ref in refs}


class _AuthorizeMany:
    """Bulk operation: the Authorize requests of one commit group, answered with one query."""

    async def apply(self, uow: UnitOfWork, refs: Sequence[TokenRef]) -> Sequence[TokenVerdict]:
        verdicts = await decide_refs(uow[ID_TOKENS], refs)
        return [verdicts[ref] for ref in refs]


AUTHORIZE_MANY = _AuthorizeMany()


class AuthorizationService:
    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._watchers: list[TokenWatcher] = []

    def watch(self, watcher: TokenWatcher) -> None:
        self._watchers.append(watcher)

    async def _changed(self, uow: UnitOfWork, before: IdToken | None, after: IdToken | None) -> list[AfterCommit]:
        follow_ups = [await watcher.token_changed(uow, before, after) for watcher in self._watchers]
        return [f for f in follow_ups if f is not None]

    @staticmethod
    def _run(follow_ups: list[AfterCommit]) -> None:
        for follow_up in follow_ups:
            follow_up()

    async def authorize(self, id_token: str, token_type: str | None = None) -> TokenVerdict:
        """`token_type`: the type a 2.0.1 station gave (None for 1.6, whose tokens have none)."""
        # Through the commit group: one query answers every station authorizing at the same moment.
        return await self._storage.submit(AUTHORIZE_MANY, (id_token, token_type))

    async def list(self, limit: int = 100, offset: int = 0) -> list[IdToken]:
        async def op(uow: UnitOfWork) -> list[IdToken]:
            return await uow[ID_TOKENS].list(limit, offset)

        return await self._storage.read(op)

    async def get(self, id_token: str) -> IdToken:
        async def op(uow: UnitOfWork) -> IdToken | None:
            return await uow[ID_TOKENS].get(id_token)

        token = await self._storage.read(op)
        if token is None:
            raise NotFound(f"id token {id_token!r} is not registered")
        return token

    async def create(self, token: IdToken) -> IdToken:
        async def op(uow: UnitOfWork) -> tuple[IdToken | None, list[AfterCommit]]:
            if await uow[ID_TOKENS].get(token.id_token) is not None:
                return None, []
            now = utcnow()
            created = await uow[ID_TOKENS].add(replace(token, created_at=now, updated_at=now))
            return created, await self._changed(uow, None, created)

        created, follow_ups = await self._storage.write(op)
        if created is None:
            raise Conflict(f"id token {token.id_token!r} already exists")
        self._run(follow_ups)
        return created

    async def update(self, id_token: str, changes: dict[str, object]) -> IdToken:
        async def op(uow: UnitOfWork) -> tuple[IdToken | None, list[AfterCommit]]:
            token = await uow[ID_TOKENS].get(id_token)
            if token is None:
                return None, []
            updated = await uow[ID_TOKENS].update(replace(token, **changes, updated_at=utcnow()))  # type: ignore[arg-type]
            return updated, await self._changed(uow, token, updated)

        token, follow_ups = await self._storage.write(op)
        if token is None:
            raise NotFound(f"id token {id_token!r} is not registered")
        self._run(follow_ups)
        return token

    async def delete(self, id_token: str) -> None:
        async def op(uow: UnitOfWork) -> tuple[bool, list[AfterCommit]]:
            token = await uow[ID_TOKENS].get(id_token)
            if token is None or not await uow[ID_TOKENS].delete(id_token):
                return False, []
            return True, await self._changed(uow, token, None)

        deleted, follow_ups = await self._storage.write(op)
        if not deleted:
            raise NotFound(f"id token {id_token!r} is not registered")
        self._run(follow_ups)
