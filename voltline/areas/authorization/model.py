"""Id tokens and authorization verdicts, version-neutral."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from voltline.kernel.events import DomainEvent


class TokenType(StrEnum):
    ISO14443 = "ISO14443"
    ISO15693 = "ISO15693"
    KEY_CODE = "KeyCode"
    CENTRAL = "Central"
    EMAID = "eMAID"
    MAC_ADDRESS = "MacAddress"
    LOCAL = "Local"
    NO_AUTHORIZATION = "NoAuthorization"


class AuthorizationStatus(StrEnum):
    """Neutral token status; 1.6 and 2.0.1 adapters spell them onto their enums."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"


@dataclass(slots=True)
class IdToken:
    id_token: str
    type: TokenType = TokenType.ISO14443
    status: AuthorizationStatus = AuthorizationStatus.ACCEPTED
    expiry: datetime | None = None
    group_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(slots=True, frozen=True)
class TokenVerdict:
    """The answer to 'may this token charge now?', as every version reports it."""

    status: AuthorizationStatus
    expiry: datetime | None = None
    group_id: str | None = None


@dataclass(slots=True, frozen=True)
class TokenChanged(DomainEvent):
    """A token of the registry was created (`before` is None), changed, or deleted (`after` is None).

    Published inside the change's own transaction (see `voltline.kernel.events`)."""

    before: IdToken | None
    after: IdToken | None
