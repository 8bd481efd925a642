"""/api/v1/id-tokens: the tokens (RFID cards, eMAIDs, key codes ...) that may charge."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from voltline.api.deps import Provided
from voltline.api.errors import error_responses
from voltline.api.params import IdTokenPath
from voltline.areas.authorization.schemas import IdTokenBody, IdTokenCreate, IdTokenPatch
from voltline.areas.authorization.service import AuthorizationService

router = APIRouter(prefix="/id-tokens", tags=["id tokens"])


@router.get("", summary="List id tokens", response_model=list[IdTokenBody])
async def list_id_tokens(
    authorization_service: Annotated[AuthorizationService, Provided(AuthorizationService)],
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many tokens.")] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1, description="Skip this many tokens first.")] = 0,
) -> list[IdTokenBody]:
    return [IdTokenBody.of(t) for t in await authorization_service.list(limit, offset)]


@router.post(
    "",
    summary="Add an id token",
    status_code=status.HTTP_201_CREATED,
    response_model=IdTokenBody,
    responses=error_responses(409),
)
async def create_id_token(
    body: IdTokenCreate, authorization_service: Annotated[AuthorizationService, Provided(AuthorizationService)]
) -> IdTokenBody:
    return IdTokenBody.of(await authorization_service.create(body.to_domain()))


@router.get("/{id_token}", summary="View an id token", response_model=IdTokenBody, responses=error_responses(404))
async def get_id_token(
    id_token: IdTokenPath, authorization_service: Annotated[AuthorizationService, Provided(AuthorizationService)]
) -> IdTokenBody:
    return IdTokenBody.of(await authorization_service.get(id_token))


@router.patch(
    "/{id_token}",
    summary="Change some fields of an id token",
    response_model=IdTokenBody,
    responses=error_responses(404),
)
async def update_id_token(
    id_token: IdTokenPath,
    body: IdTokenPatch,
    authorization_service: Annotated[AuthorizationService, Provided(AuthorizationService)],
) -> IdTokenBody:
    changes = body.changes()
    if not changes:
        return IdTokenBody.of(await authorization_service.get(id_token))
    return IdTokenBody.of(await authorization_service.update(id_token, changes))


@router.delete(
    "/{id_token}",
    summary="Remove an id token",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(404),
)
async def delete_id_token(
    id_token: IdTokenPath, authorization_service: Annotated[AuthorizationService, Provided(AuthorizationService)]
) -> Response:
    await authorization_service.delete(id_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
