"""API bodies of the id token registry."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from voltline.api.schemas import AnyCase, GroupId, IdTokenValue, NotNull, Strict, UtcDatetime
from voltline.areas.authorization.model import AuthorizationStatus, IdToken, TokenType


class IdTokenCreate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id_token": "04A2B3C4D5E6F7",
                    "type": "ISO14443",
                    "status": "Accepted",
                    "group_id": "FLEET-7",
                }
            ]
        },
    )

    id_token: IdTokenValue
    type: AnyCase[TokenType] = Field(
        default=TokenType.ISO14443, description="Kind of token (OCPP 2.0.1 IdTokenEnumType)."
    )
    status: AnyCase[AuthorizationStatus] = Field(default=AuthorizationStatus.ACCEPTED)
    expiry: UtcDatetime | None = Field(
        default=None, description="After this instant an Accepted token is reported as Expired."
    )
    group_id: GroupId | None = None

    def to_domain(self) -> IdToken:
        return IdToken(
            id_token=self.id_token,
            type=self.type,
            status=self.status,
            expiry=self.expiry,
            group_id=self.group_id,
        )


class IdTokenPatch(Strict):
    """Change some fields of a token; fields left out keep their value. `expiry` and `group_id` may be
    set to null to clear them; `type` and `status` always have a value (null is refused)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "Blocked"}, {"expiry": None}]})

    type: NotNull[AnyCase[TokenType]]
    status: NotNull[AnyCase[AuthorizationStatus]]
    expiry: UtcDatetime | None = None
    group_id: GroupId | None = None

    def changes(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class IdTokenBody(BaseModel):
    id_token: str = Field(examples=["04A2B3C4D5E6F7"])
    type: TokenType
    status: AuthorizationStatus
    expiry: datetime | None = None
    group_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def of(cls, token: IdToken) -> IdTokenBody:
        return cls(
            id_token=token.id_token,
            type=token.type,
            status=token.status,
            expiry=token.expiry,
            group_id=token.group_id,
            created_at=token.created_at,
            updated_at=token.updated_at,
        )
