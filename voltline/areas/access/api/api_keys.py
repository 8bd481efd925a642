"""/api/v1/api-keys: keys for integrations, each with a role (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status

from voltline.api.deps import Provided
from voltline.api.errors import error_responses
from voltline.areas.access.api_access import ApiAccessService
from voltline.areas.access.schemas import ApiKeyBody, ApiKeyCreate, NewApiKeyBody
from voltline.areas.audit.trail import audit_note

router = APIRouter(prefix="/api-keys", tags=["api-keys"])

KeyId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The key's id.")]


@router.post(
    "",
    summary="Create an API key",
    description="Returns the key once, in `token`; only its SHA-256 digest is stored, so it cannot be shown "
    "again. Names are unique among keys that are not revoked; the bootstrap token's names are reserved.",
    status_code=status.HTTP_201_CREATED,
    response_model=NewApiKeyBody,
    responses=error_responses(409, 422),
)
async def create_api_key(
    body: ApiKeyCreate, api_access: Annotated[ApiAccessService, Provided(ApiAccessService)]
) -> NewApiKeyBody:
    created = await api_access.create(body.name, body.role)
    return NewApiKeyBody(**ApiKeyBody.fields_of(created.key), token=created.token)


@router.get(
    "",
    summary="List API keys",
    description="Every key, revoked ones included; never the key itself or its digest.",
    response_model=list[ApiKeyBody],
)
async def list_api_keys(api_access: Annotated[ApiAccessService, Provided(ApiAccessService)]) -> list[ApiKeyBody]:
    return [ApiKeyBody.of(key) for key in await api_access.list()]


# Before "/{key_id}", which would otherwise take "bootstrap" for a (malformed) id.
@router.delete(
    "/bootstrap",
    summary="Revoke the bootstrap admin token",
    description="Revokes the bootstrap admin token (VOLTLINE_ADMIN_TOKEN, or the one generated at the first "
    "start): a break-glass credential that needs no second factor. Refused (409) while no enabled admin "
    "user with MFA exists, so nobody is locked out. It is refused from the next request on, and not "
    "re-created at later starts even if VOLTLINE_ADMIN_TOKEN is still set. Returns the keys revoked (none "
    "when it was revoked already). Audited.",
    response_model=list[ApiKeyBody],
    responses=error_responses(409),
)
async def revoke_bootstrap_token(
    request: Request, api_access: Annotated[ApiAccessService, Provided(ApiAccessService)]
) -> list[ApiKeyBody]:
    revoked = await api_access.revoke_bootstrap()
    audit_note(request).target = "api-key:bootstrap"
    return [ApiKeyBody.of(key) for key in revoked]


@router.delete(
    "/{key_id}",
    summary="Revoke an API key",
    description="The key is refused from the very next request. Revoking a revoked key changes nothing. The "
    "bootstrap admin token is held to the rule of DELETE /api-keys/bootstrap (409 while no admin user with MFA "
    "exists).",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(404, 409),
)
async def revoke_api_key(
    key_id: KeyId, api_access: Annotated[ApiAccessService, Provided(ApiAccessService)]
) -> Response:
    await api_access.revoke(key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
