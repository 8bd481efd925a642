"""/api/v1/users: people's accounts (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from voltline.api.auth import PrincipalDep
from voltline.api.deps import Provided
from voltline.api.errors import error_responses
from voltline.areas.access.accounts import AccountService, UserChanges
from voltline.areas.access.schemas import UserBody, UserCreate, UserPatch

router = APIRouter(prefix="/users", tags=["users"])

UserId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The user's id.")]


@router.get("", summary="List users", description="Every user account, oldest first.", response_model=list[UserBody])
async def list_users(account_service: Annotated[AccountService, Provided(AccountService)]) -> list[UserBody]:
    return [UserBody.of(user) for user in await account_service.list_users()]


@router.post(
    "",
    summary="Create a user",
    description="The password is stored as an argon2 hash. Admins must enrol MFA at their first login.",
    status_code=status.HTTP_201_CREATED,
    response_model=UserBody,
    responses=error_responses(409, 422),
)
async def create_user(
    body: UserCreate, account_service: Annotated[AccountService, Provided(AccountService)]
) -> UserBody:
    return UserBody.of(await account_service.create_user(body.username, body.password, body.role))


@router.get("/{user_id}", summary="View a user", response_model=UserBody, responses=error_responses(404))
async def get_user(user_id: UserId, account_service: Annotated[AccountService, Provided(AccountService)]) -> UserBody:
    return UserBody.of(await account_service.get_user(user_id))


@router.patch(
    "/{user_id}",
    summary="Change a user",
    description="Change the role, disable or enable, set a new password, or reset MFA. Disabling, a new "
    "password and an MFA reset end the user's sessions. Admins cannot demote or disable themselves (409).",
    response_model=UserBody,
    responses=error_responses(404, 409, 422),
)
async def change_user(
    user_id: UserId,
    body: UserPatch,
    principal: PrincipalDep,
    account_service: Annotated[AccountService, Provided(AccountService)],
) -> UserBody:
    changes = UserChanges(role=body.role, disabled=body.disabled, password=body.password, reset_mfa=body.reset_mfa)
    acting = principal.id if principal.is_user else None
    return UserBody.of(await account_service.change_user(user_id, changes, acting))


@router.delete(
    "/{user_id}",
    summary="Remove a user",
    description="Removes the account and ends its sessions. Admins cannot remove themselves (409).",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(404, 409),
)
async def delete_user(
    user_id: UserId, principal: PrincipalDep, account_service: Annotated[AccountService, Provided(AccountService)]
) -> Response:
    await account_service.delete_user(user_id, principal.id if principal.is_user else None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
