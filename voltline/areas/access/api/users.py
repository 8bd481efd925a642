"""/api/v1/users: people's accounts (admins only).

`{user}` is the user's id or name: all digits is the id (a user name may not be all digits), anything
else the name, in any case.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status

from voltline.api.auth import PrincipalDep
from voltline.api.deps import Provided
from voltline.api.errors import error_responses
from voltline.api.schemas import NO_NUL
from voltline.areas.access.accounts import AccountService, UserChanges, UserRef, parse_user_ref
from voltline.areas.access.schemas import UnlockedUserBody, UserBody, UserCreate, UserPatch
from voltline.areas.audit.trail import audit_note

router = APIRouter(prefix="/users", tags=["users"])

UserPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=NO_NUL,
        description="The user's id (all digits) or user name (case-insensitive).",
        examples=["7", "alice"],
    ),
]


def _ref(user: str) -> UserRef:
    return parse_user_ref(user)


@router.get("", summary="List users", description="Every user account, oldest first.", response_model=list[UserBody])
async def list_users(account_service: Annotated[AccountService, Provided(AccountService)]) -> list[UserBody]:
    return [UserBody.of(user) for user in await account_service.list_users()]


@router.post(
    "",
    summary="Create a user",
    description="The password is stored as an argon2 hash. Admins must enrol MFA at their first login. A user "
    "name may not be all digits (that is how an id is written in /users/{user}).",
    status_code=status.HTTP_201_CREATED,
    response_model=UserBody,
    responses=error_responses(409, 422),
)
async def create_user(
    body: UserCreate, account_service: Annotated[AccountService, Provided(AccountService)]
) -> UserBody:
    return UserBody.of(await account_service.create_user(body.username, body.password, body.role))


@router.get("/{user}", summary="View a user", response_model=UserBody, responses=error_responses(404, 422))
async def get_user(user: UserPath, account_service: Annotated[AccountService, Provided(AccountService)]) -> UserBody:
    return UserBody.of(await account_service.get_user(_ref(user)))


@router.patch(
    "/{user}",
    summary="Change a user",
    description="Change the role, disable or enable, set a new password, or reset MFA. Disabling, a new "
    "password and an MFA reset end the user's sessions; a new password also ends a login lockout (as "
    "POST /users/{user}/unlock does). Admins cannot demote or disable themselves (409).",
    response_model=UserBody,
    responses=error_responses(404, 409, 422),
)
async def change_user(
    user: UserPath,
    body: UserPatch,
    principal: PrincipalDep,
    account_service: Annotated[AccountService, Provided(AccountService)],
) -> UserBody:
    changes = UserChanges(role=body.role, disabled=body.disabled, password=body.password, reset_mfa=body.reset_mfa)
    acting = principal.id if principal.is_user else None
    return UserBody.of(await account_service.change_user(_ref(user), changes, acting))


@router.post(
    "/{user}/unlock",
    summary="Unlock a user after failed logins",
    description="Ends the account's lockout after too many failed logins (429 at login) and forgets its "
    "failures, so the user can log in at once; password, MFA and sessions stay as they are. Other nodes, "
    "and a server unlocked from the command line, honour it at the account's next login attempt. A locked "
    "client address (failures across accounts) is not the account's and stays locked until it runs out. "
    "Unlocking an account that is not locked changes nothing. Audited.",
    response_model=UnlockedUserBody,
    responses=error_responses(404, 422),
)
async def unlock_user(
    user: UserPath, request: Request, account_service: Annotated[AccountService, Provided(AccountService)]
) -> UnlockedUserBody:
    unlocked = await account_service.unlock(_ref(user))
    note = audit_note(request)
    # The lockout's own audit entries name the account so: one search finds the lock and its unlock.
    note.target = f"account:{unlocked.user.username}"
    note.summary = "unlock a user after failed logins" + ("" if unlocked.was_locked else " (not locked here)")
    return UnlockedUserBody(**UserBody.of(unlocked.user).model_dump(), was_locked=unlocked.was_locked)


@router.delete(
    "/{user}",
    summary="Remove a user",
    description="Removes the account and ends its sessions. Admins cannot remove themselves (409).",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(404, 409, 422),
)
async def delete_user(
    user: UserPath, principal: PrincipalDep, account_service: Annotated[AccountService, Provided(AccountService)]
) -> Response:
    await account_service.delete_user(_ref(user), principal.id if principal.is_user else None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
