"""Id token registry and the authorization decision shared by every version.

Every change made through the registry publishes `TokenChanged` inside its own transaction, so what other
areas derive from it (local lists marked pending) commits or rolls back with the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from voltline.areas.authorization.model import AuthorizationStatus, IdToken, TokenChanged, TokenType, TokenVerdict
from voltline.areas.authorization.ports import ID_TOKENS, IdTokenRepository
from voltline.kernel.clock import utcnow
from voltline.kernel.errors import Conflict, NotFound
from voltline.kernel.events import EventBus, Transaction
from voltline.kernel.storage import Storage, UnitOfWork

UNKNOWN = TokenVerdict(AuthorizationStatus.INVALID)


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
    def __init__(self, storage: Storage, events: EventBus | None = None) -> None:
        self._storage = storage
        # Changes are written through the bus, which must write to the same storage.
        self._events = events if events is not None else EventBus(storage)

    async def authorize(self, id_token: str, token_type: str | None = None) -> TokenVerdict:
        """`token_type`: the type a 2.0.1 station gave (None for 1.6, whose tokens have none)."""
        # Through the commit group: one query answers every station authorizing at the same moment.
        return await self._storage.submit(AUTHORIZE_MANY, (id_token, token_type))

    async def verdict(self, id_token: str) -> TokenVerdict:
        """What a station would be told of `id_token` now (Invalid when unknown), read outside any commit
        group: for the CSMS's own checks (a remote start), not for stations' Authorize."""

        async def op(uow: UnitOfWork) -> TokenVerdict:
            return await decide(uow[ID_TOKENS], id_token)

        return await self._storage.read(op)

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
        async def op(tx: Transaction) -> IdToken | None:
            if await tx[ID_TOKENS].get(token.id_token) is not None:
                return None
            now = utcnow()
            created = await tx[ID_TOKENS].add(replace(token, created_at=now, updated_at=now))
            await tx.publish(TokenChanged(None, created))
            return created

        created = await self._events.write(op)
        if created is None:
            raise Conflict(f"id token {token.id_token!r} already exists")
        return created

    async def update(self, id_token: str, changes: dict[str, object]) -> IdToken:
        async def op(tx: Transaction) -> IdToken | None:
            token = await tx[ID_TOKENS].get(id_token)
            if token is None:
                return None
            updated = await tx[ID_TOKENS].update(replace(token, **changes, updated_at=utcnow()))  # type: ignore[arg-type]
            await tx.publish(TokenChanged(token, updated))
            return updated

        token = await self._events.write(op)
        if token is None:
            raise NotFound(f"id token {id_token!r} is not registered")
        return token

    async def delete(self, id_token: str) -> None:
        async def op(tx: Transaction) -> bool:
            token = await tx[ID_TOKENS].get(id_token)
            if token is None or not await tx[ID_TOKENS].delete(id_token):
                return False
            await tx.publish(TokenChanged(token, None))
            return True

        if not await self._events.write(op):
            raise NotFound(f"id token {id_token!r} is not registered")
