"""People's accounts: creating users, changing their role, password, state and MFA, removing them.

User names are case-insensitive (stored lower-case). Passwords are hashed with argon2 (passwords.py).
Whatever ends a person's access (disable, password reset, MFA reset, removal) also ends their sessions,
and is announced (`AccessChanged`) once committed, so that their open live event streams end at once too.

An admin names a user by id or by name (`parse_user_ref`): all digits is an id, so a new user name may
not be all digits. An admin's unlock, and a new password set by an admin, end the account's login
lockout: in this process at once (the login throttle), and in every other process (another node, or the
server when the command line did it) at the account's next login attempt, through the time stored on the
user (`login_unlocked_at`, read by the login service only while the account is locked).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from voltline.areas.access.login_throttle import LoginThrottle
from voltline.areas.access.model import AccessChanged, NewUser, Role, User
from voltline.areas.access.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, PasswordHashing
from voltline.areas.access.ports import SESSIONS, USERS
from voltline.kernel.actors import current_actor
from voltline.kernel.clock import utcnow
from voltline.kernel.errors import Conflict, InvalidRequest, NotFound
from voltline.kernel.events import EventBus
from voltline.kernel.storage import Storage, UnitOfWork

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
_DIGITS = re.compile(r"[0-9]+")
MAX_USER_ID = 2**31 - 1

# How an admin names a user: the id, or the stored (lower-case) user name.
UserRef = int | str


def normalise_username(username: str) -> str:
    """The stored form of a user name: trimmed and lower-case; InvalidRequest when it is not usable."""
    name = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(name):
        raise InvalidRequest(
            "a user name is 1 to 64 characters: letters, digits and . _ @ -, starting with a letter or digit"
        )
    return name


def check_new_username(username: str) -> str:
    """The stored form of a new user's name. All digits is refused: it would read as an id in
    /users/{user} and on the command line. (Names made before this rule still log in; admins reach
    them by id.)"""
    name = normalise_username(username)
    if _DIGITS.fullmatch(name):
        raise InvalidRequest("a user name cannot be all digits (that is how a user's id is written)")
    return name


def parse_user_ref(text: str) -> UserRef:
    """A user as an admin names one: all digits (ASCII) is the user's id, anything else the user name."""
    text = text.strip()
    if _DIGITS.fullmatch(text):
        user_id = int(text)
        if not 1 <= user_id <= MAX_USER_ID:
            # No user can have it: as not found as any other id (the rule, for who typed it).
            raise NotFound(f"no user with id {text}: a user id is 1 to {MAX_USER_ID}")
        return user_id
    return normalise_username(text)


def _no_such_user(ref: UserRef) -> NotFound:
    return NotFound(f"no user with id {ref}" if isinstance(ref, int) else f"no user named {ref!r}")


async def _find(uow: UnitOfWork, ref: UserRef) -> User | None:
    if isinstance(ref, int):
        return await uow[USERS].get(ref)
    found = await uow[USERS].secrets_by_username(normalise_username(ref))
    return None if found is None else found.user


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


@dataclass(slots=True, frozen=True)
class Unlocked:
    user: User
    was_locked: bool  # whether this process held a lockout of the account (others may have, too)


class AccountService:
    def __init__(
        self,
        storage: Storage,
        passwords: PasswordHashing,
        throttle: LoginThrottle | None = None,
        *,
        bus: EventBus | None = None,
    ) -> None:
        """`throttle`: the login throttle of this process, to end a lockout at once; None where no logins
        are served (the command line): the stored unlock time reaches the server at the next attempt.
        `bus`: where ended sessions are announced (`AccessChanged`); None where nobody streams (the command
        line: the server's streams then find out at their next periodic check)."""
        self._storage = storage
        self._passwords = passwords
        self._throttle = throttle
        self._bus = bus

    async def create_user(self, username: str, password: str, role: Role) -> User:
        name = check_new_username(username)
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

    async def get_user(self, ref: UserRef) -> User:
        async def op(uow: UnitOfWork) -> User | None:
            return await _find(uow, ref)

        user = await self._storage.read(op)
        if user is None:
            raise _no_such_user(ref)
        return user

    async def change_user(self, ref: UserRef, changes: UserChanges, acting_user_id: int | None = None) -> User:
        """Apply an admin's changes. Admins cannot demote or disable themselves (they would lock themselves
        out halfway through a change); another admin, or an admin API key, can. A new password also ends
        the account's login lockout: the admin has just decided who may log in with what."""
        password_hash = None
        if changes.password is not None:
            check_password(changes.password)
            password_hash = await self._passwords.hash(changes.password)
        now = utcnow()

        async def op(uow: UnitOfWork) -> User | None:
            user = await _find(uow, ref)
            if user is None:
                return None
            user_id = user.id
            if user_id == acting_user_id and (
                (changes.role is not None and changes.role is not Role.ADMIN) or changes.disabled
            ):
                raise Conflict("you cannot demote or disable your own account")
            if changes.role is not None:
                await uow[USERS].set_role(user_id, changes.role, now)
            if changes.disabled is not None:
                await uow[USERS].set_disabled(user_id, changes.disabled, now)
            if password_hash is not None:
                await uow[USERS].set_password_hash(user_id, password_hash, now)
                await uow[USERS].set_login_unlocked(user_id, now)
            if changes.reset_mfa:
                await uow[USERS].reset_mfa(user_id, now)
            if changes.disabled or password_hash is not None or changes.reset_mfa:
                await uow[SESSIONS].delete_for_user(user_id)
            return await uow[USERS].get(user_id)

        user = await self._storage.write(op)
        if user is None:
            raise _no_such_user(ref)
        if changes.disabled or password_hash is not None or changes.reset_mfa:
            await self._announce("user_changed")
        if password_hash is not None:
            await self._unlock_here(user)
        return user

    async def unlock(self, ref: UserRef) -> Unlocked:
        """End the account's login lockout after failed logins, and forget its failures. Its sessions and
        password stay as they are. A lockout of a client address is not the account's and stays."""
        now = utcnow()

        async def op(uow: UnitOfWork) -> User | None:
            user = await _find(uow, ref)
            if user is not None:
                await uow[USERS].set_login_unlocked(user.id, now)
                user = await uow[USERS].get(user.id)
            return user

        user = await self._storage.write(op)
        if user is None:
            raise _no_such_user(ref)
        return Unlocked(user, await self._unlock_here(user))

    async def _unlock_here(self, user: User) -> bool:
        # The throttle counts by the name as typed at login, lower-cased: the stored name for a real user.
        return self._throttle is not None and await self._throttle.unlock(user.username)

    async def delete_user(self, ref: UserRef, acting_user_id: int | None = None) -> None:
        async def op(uow: UnitOfWork) -> bool:
            user = await _find(uow, ref)
            if user is None:
                return False
            if user.id == acting_user_id:
                raise Conflict("you cannot remove your own account")
            return await uow[USERS].delete(user.id)

        if not await self._storage.write(op):
            raise _no_such_user(ref)
        await self._announce("user_removed")

    async def _announce(self, reason: str) -> None:
        if self._bus is not None:
            await self._bus.publish(AccessChanged(reason))
