"""AccountService over real SQL storage: users, argon2 passwords, roles, disabling, removal."""

from __future__ import annotations

import pytest

from tests.support.account_builders import ADDRESS, PASSWORD, account_kit
from voltline.areas.access.accounts import UserChanges
from voltline.areas.access.login import LoginRefused
from voltline.areas.access.model import Role
from voltline.areas.access.passwords import PasswordHashing
from voltline.areas.access.ports import USERS
from voltline.kernel.errors import Conflict, InvalidRequest, NotFound
from voltline.kernel.storage import UnitOfWork
from voltline.storage.sql import SqlStorage


async def stored_password_hash(storage: SqlStorage, username: str) -> str:
    async def op(uow: UnitOfWork) -> str:
        found = await uow[USERS].secrets_by_username(username)
        assert found is not None
        return found.password_hash

    return await storage.read(op)


async def test_a_user_is_stored_lower_case_with_an_argon2_hash(storage: SqlStorage) -> None:
    kit = account_kit(storage)

    user = await kit.accounts.create_user("  Alice ", PASSWORD, Role.OPERATOR)

    assert (user.username, user.role, user.disabled, user.mfa_enabled) == ("alice", Role.OPERATOR, False, False)
    stored = await stored_password_hash(storage, "alice")
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert [u.username for u in await kit.accounts.list_users()] == ["alice"]
    assert (await kit.accounts.get_user(user.id)).username == "alice"


async def test_the_default_hasher_uses_argon2id_with_the_rfc_9106_parameters() -> None:
    hashing = PasswordHashing()
    stored = await hashing.hash(PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert await hashing.verify(stored, PASSWORD)
    assert not await hashing.verify(stored, PASSWORD + "x")
    assert not await hashing.verify(stored, "\ud800 lone surrogate")
    assert not await hashing.verify("not a hash", PASSWORD)


async def test_user_names_are_unique_whatever_their_case(storage: SqlStorage) -> None:
    kit = account_kit(storage)
    await kit.accounts.create_user("alice", PASSWORD, Role.VIEWER)
    with pytest.raises(Conflict, match="already exists"):
        await kit.accounts.create_user("ALICE", PASSWORD, Role.ADMIN)


@pytest.mark.parametrize("username", ["", "-alice", "al ice", "a" * 65, "alice:x", "ålice"])
async def test_unusable_user_names_are_refused(storage: SqlStorage, username: str) -> None:
    with pytest.raises(InvalidRequest, match="user name"):
        await account_kit(storage).accounts.create_user(username, PASSWORD, Role.VIEWER)


async def test_short_passwords_are_refused(storage: SqlStorage) -> None:
    with pytest.raises(InvalidRequest, match="12 to 1024"):
        await account_kit(storage).accounts.create_user("alice", "short", Role.VIEWER)


async def test_disabling_a_user_ends_their_sessions_and_refuses_logins(storage: SqlStorage) -> None:
    kit = account_kit(storage)
    user = await kit.accounts.create_user("alice", PASSWORD, Role.OPERATOR)
    session = await kit.logins.login("alice", PASSWORD, address=ADDRESS)

    changed = await kit.accounts.change_user(user.id, UserChanges(disabled=True))

    assert changed.disabled
    assert await kit.logins.authenticate(session.token) is None
    with pytest.raises(LoginRefused, match="disabled"):
        await kit.logins.login("alice", PASSWORD, address=ADDRESS)
    await kit.accounts.change_user(user.id, UserChanges(disabled=False))
    assert (await kit.logins.login("alice", PASSWORD, address=ADDRESS)).principal.name == "alice"


async def test_a_password_reset_ends_sessions_and_only_the_new_password_works(storage: SqlStorage) -> None:
    kit = account_kit(storage)
    user = await kit.accounts.create_user("alice", PASSWORD, Role.OPERATOR)
    session = await kit.logins.login("alice", PASSWORD, address=ADDRESS)

    await kit.accounts.change_user(user.id, UserChanges(password="a brand new passphrase"))

    assert await kit.logins.authenticate(session.token) is None
    with pytest.raises(LoginRefused):
        await kit.logins.login("alice", PASSWORD, address=ADDRESS)
    assert await kit.logins.login("alice", "a brand new passphrase", address=ADDRESS)


async def test_a_role_change_applies_to_open_sessions(storage: SqlStorage) -> None:
    kit = account_kit(storage)
    user = await kit.accounts.create_user("alice", PASSWORD, Role.VIEWER)
    session = await kit.logins.login("alice", PASSWORD, address=ADDRESS)

    await kit.accounts.change_user(user.id, UserChanges(role=Role.OPERATOR))

    principal = await kit.logins.authenticate(session.token)
    assert principal is not None and principal.role is Role.OPERATOR


async def test_admins_cannot_demote_disable_or_remove_themselves(storage: SqlStorage) -> None:
    kit = account_kit(storage)
    admin = await kit.accounts.create_user("root", PASSWORD, Role.ADMIN)
    with pytest.raises(Conflict):
        await kit.accounts.change_user(admin.id, UserChanges(role=Role.VIEWER), acting_user_id=admin.id)
    with pytest.raises(Conflict):
        await kit.accounts.change_user(admin.id, UserChanges(disabled=True), acting_user_id=admin.id)
    with pytest.raises(Conflict):
        await kit.accounts.delete_user(admin.id, acting_user_id=admin.id)
    # Another admin (or an admin API key, which has no user id) may.
    assert (await kit.accounts.change_user(admin.id, UserChanges(role=Role.VIEWER))).role is Role.VIEWER


async def test_removing_a_user_ends_their_sessions(storage: SqlStorage) -> None:
    kit = account_kit(storage)
    user = await kit.accounts.create_user("alice", PASSWORD, Role.OPERATOR)
    session = await kit.logins.login("alice", PASSWORD, address=ADDRESS)

    await kit.accounts.delete_user(user.id)

    assert await kit.logins.authenticate(session.token) is None
    with pytest.raises(NotFound):
        await kit.accounts.get_user(user.id)
    with pytest.raises(NotFound):
        await kit.accounts.delete_user(user.id)
    with pytest.raises(NotFound):
        await kit.accounts.change_user(user.id, UserChanges(role=Role.ADMIN))
