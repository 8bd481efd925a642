"""/api/v1/users: people's accounts (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from voltline.api.auth import PrincipalDep, ServicesDep
from voltline.api.errors import error_responses
from voltline.api.schemas_accounts import UserBody, UserCreate, UserPatch
from voltline.domain.accounts import UserChanges

router = APIRouter(prefix="/users", tags=["users"])

UserId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The user's id.")]


@router.get("", summary="List users", description="Every user account, oldest first.", response_model=list[UserBody])
async def list_users(services: ServicesDep) -> list[UserBody]:
    return [UserBody.of(user) for user in await services.accounts.list_users()]


@router.post(
    "",
    summary="Create a user",
    description="The password is stored as an argon2 hash. Admins must enrol MFA at their first login.",
    status_code=status.HTTP_201_CREATED,
    response_model=UserBody,
    responses=error_responses(409, 422),
)
async def create_user(body: UserCreate, services: ServicesDep) -> UserBody:
    return UserBody.of(await services.accounts.create_user(body.username, body.password, body.role))


@router.get("/{user_id}", summary="View a user", response_model=UserBody, responses=error_responses(404))
async def get_user(user_id: UserId, services: ServicesDep) -> UserBody:
    return UserBody.of(await services.accounts.get_user(user_id))


@router.patch(
    "/{user_id}",
    summary="Change a user",
    description="Change the role, disable or enable, set a new password, or reset MFA. Disabling, a new "
    "password and an MFA reset end the user's sessions. Admins cannot demote or disable themselves (409).",
    response_model=UserBody,
    responses=error_responses(404, 409, 422),
)
async def change_user(user_id: UserId, body: UserPatch, principal: PrincipalDep, services: ServicesDep) -> UserBody:
    changes = UserChanges(role=body.role, disabled=body.disabled, password=body.password, reset_mfa=body.reset_mfa)
    acting = principal.id if principal.is_user else None
    return UserBody.of(await services.accounts.change_user(user_id, changes, acting))


@router.delete(
    "/{user_id}",
    summary="Remove a user",
    description="Removes the account and ends its sessions. Admins cannot remove themselves (409).",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(404, 409),
)
async def delete_user(user_id: UserId, principal: PrincipalDep, services: ServicesDep) -> Response:
    await services.accounts.delete_user(user_id, principal.id if principal.is_user else None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
