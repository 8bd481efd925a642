"""People's accounts: creating users, changing their role, password, state and MFA, removing them.

User names are case-insensitive (stored lower-case). Passwords are hashed with argon2 (passwords.py).
Whatever ends a person's access (disable, password reset, MFA reset, removal) also ends their sessions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from voltline.areas.access.model import NewUser, Role, User
from voltline.areas.access.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, PasswordHashing
from voltline.areas.access.ports import SESSIONS, USERS
from voltline.kernel.actors import current_actor
from voltline.kernel.clock import utcnow
from voltline.kernel.errors import Conflict, InvalidRequest, NotFound
from voltline.kernel.storage import Storage, UnitOfWork

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")


def normalise_username(username: str) -> str:
    """The stored form of a user name: trimmed and lower-case; InvalidRequest when it is not usable."""
    name = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(name):
        raise InvalidRequest(
            "a user name is 1 to 64 characters: letters, digits and . _ @ -, starting with a letter or digit"
        )
    return name


def check_password(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidRequest(f"a password is {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long")


@dataclass(slots=True, frozen=True)
class UserChanges:
    """What an admin changes about a user; None leaves a field as it is."""

    role: Role | None = None
    disabled: bool | None = None
    password: str | None = None
    reset_mfa: bool = False


class AccountService:
    def __init__(self, storage: Storage, passwords: PasswordHashing) -> None:
        self._storage = storage
        self._passwords = passwords

    async def create_user(self, username: str, password: str, role: Role) -> User:
        name = normalise_username(username)
        check_password(password)
        password_hash = await self._passwords.hash(password)
        new = NewUser(
            username=name, role=role, password_hash=password_hash, created_by=current_actor.get(), at=utcnow()
        )

        async def op(uow: UnitOfWork) -> User:
            if await uow[USERS].secrets_by_username(name) is not None:
                raise Conflict(f"user {name!r} already exists")
            return await uow[USERS].add(new)

        return await self._storage.write(op)

    async def list_users(self) -> list[User]:
        async def op(uow: UnitOfWork) -> list[User]:
            return await uow[USERS].list()

        return await self._storage.read(op)

    async def get_user(self, user_id: int) -> User:
        async def op(uow: UnitOfWork) -> User | None:
            return await uow[USERS].get(user_id)

        user = await self._storage.read(op)
        if user is None:
            raise NotFound(f"no user with id {user_id}")
        return user

    async def change_user(self, user_id: int, changes: UserChanges, acting_user_id: int | None = None) -> User:
        """Apply an admin's changes. Admins cannot demote or disable themselves (they would lock themselves
        out halfway through a change); another admin, or an admin API key, can."""
        if user_id == acting_user_id and (
            (changes.role is not None and changes.role is not Role.ADMIN) or changes.disabled
        ):
            raise Conflict("you cannot demote or disable your own account")
        password_hash = None
        if changes.password is not None:
            check_password(changes.password)
            password_hash = await self._passwords.hash(changes.password)
        now = utcnow()

        async def op(uow: UnitOfWork) -> User | None:
            if await uow[USERS].get(user_id) is None:
                return None
            if changes.role is not None:
                await uow[USERS].set_role(user_id, changes.role, now)
            if changes.disabled is not None:
                await uow[USERS].set_disabled(user_id, changes.disabled, now)
            if password_hash is not None:
                await uow[USERS].set_password_hash(user_id, password_hash, now)
            if changes.reset_mfa:
                await uow[USERS].reset_mfa(user_id, now)
            if changes.disabled or password_hash is not None or changes.reset_mfa:
                await uow[SESSIONS].delete_for_user(user_id)
            return await uow[USERS].get(user_id)

        user = await self._storage.write(op)
        if user is None:
            raise NotFound(f"no user with id {user_id}")
        return user

    async def delete_user(self, user_id: int, acting_user_id: int | None = None) -> None:
        if user_id == acting_user_id:
            raise Conflict("you cannot remove your own account")

        async def op(uow: UnitOfWork) -> bool:
            return await uow[USERS].delete(user_id)

        if not await self._storage.write(op):
            raise NotFound(f"no user with id {user_id}")
