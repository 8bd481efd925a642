"""An admin ends a login lockout: AccountService.unlock and a new password, over real SQL storage, in the
process that holds the lockout and from another one (another node, the command line); users named by id
or by name."""

from __future__ import annotations

import pytest

from tests.support.account_builders import ADDRESS, PASSWORD, AccountKit, account_kit, cheap_passwords
from voltline.areas.access.accounts import AccountService, UserChanges, parse_user_ref
from voltline.areas.access.login import LoginPolicy, LoginRefused, LoginThrottled
from voltline.areas.access.model import Role
from voltline.kernel.errors import InvalidRequest, NotFound
from voltline.storage.sql import SqlStorage

POLICY = LoginPolicy(failures_per_account=3, failures_per_address=10, failure_window=900.0, lockout=900.0)


async def locked_out(kit: AccountKit, username: str = "alice", address: str = ADDRESS) -> None:
    for _ in range(POLICY.failures_per_account):
        with pytest.raises(LoginRefused):
            await kit.logins.login(username, "a wrong guess 1234", address=address)
    with pytest.raises(LoginThrottled):
        await kit.logins.login(username, PASSWORD, address=address)


async def test_an_unlock_lets_the_user_in_at_once(storage: SqlStorage) -> None:
    kit = account_kit(storage, POLICY)
    alice = await kit.accounts.create_user("alice", PASSWORD, Role.OPERATOR)
    await locked_out(kit)

    unlocked = await kit.accounts.unlock("alice")

    assert unlocked.user.id == alice.id and unlocked.was_locked is True
    assert (await kit.logins.login("alice", PASSWORD, address=ADDRESS)).principal.name == "alice"
    assert (await kit.accounts.unlock(alice.id)).was_locked is False  # not locked: nothing to end


async def test_an_unlock_from_another_process_is_honoured_at_the_next_attempt(storage: SqlStorage) -> None:
    """The command line (or another node) holds no lockouts of the server: the stored unlock reaches it."""
    kit = account_kit(storage, POLICY)
    await kit.accounts.create_user("alice", PASSWORD, Role.OPERATOR)
    await locked_out(kit)
    elsewhere = AccountService(storage, cheap_passwords())  # no throttle, like `voltline user unlock`

    assert (await elsewhere.unlock("ALICE")).was_locked is False

    assert (await kit.logins.login("alice", PASSWORD, address=ADDRESS)).principal.name == "alice"


async def test_a_lockout_after_the_unlock_still_holds(storage: SqlStorage) -> None:
    kit = account_kit(storage, POLICY)
    await kit.accounts.create_user("alice", PASSWORD, Role.OPERATOR)
    await locked_out(kit)
    await AccountService(storage, cheap_passwords()).unlock("alice")

    # The guesser goes on: the unlock is honoured, the failures count from none, and lock the account again.
    await locked_out(kit)

    with pytest.raises(LoginThrottled):  # the earlier unlock does not cover the new lockout
        await kit.logins.login("alice", PASSWORD, address=ADDRESS)


async def test_an_admins_new_password_ends_the_lockout(storage: SqlStorage) -> None:
    kit = account_kit(storage, POLICY)
    alice = await kit.accounts.create_user("alice", PASSWORD, Role.OPERATOR)
    await locked_out(kit)

    await kit.accounts.change_user(alice.id, UserChanges(password="a brand new passphrase"))

    assert await kit.logins.login("alice", "a brand new passphrase", address=ADDRESS)


async def test_an_unlock_leaves_a_locked_address_locked(storage: SqlStorage) -> None:
    kit = account_kit(storage, POLICY)
    await kit.accounts.create_user("alice", PASSWORD, Role.OPERATOR)
    for n in range(POLICY.failures_per_address):
        with pytest.raises(LoginRefused):
            await kit.logins.login(f"nobody{n}", PASSWORD, address=ADDRESS)

    await kit.accounts.unlock("alice")

    with pytest.raises(LoginThrottled):
        await kit.logins.login("alice", PASSWORD, address=ADDRESS)
    assert await kit.logins.login("alice", PASSWORD, address="192.0.2.99")  # elsewhere, alice gets in


async def test_users_are_found_by_id_or_by_name_in_any_case(storage: SqlStorage) -> None:
    kit = account_kit(storage, POLICY)
    alice = await kit.accounts.create_user("alice", PASSWORD, Role.OPERATOR)

    assert await kit.accounts.get_user(alice.id) == await kit.accounts.get_user("alice")
    assert (await kit.accounts.get_user(parse_user_ref(" Alice "))).id == alice.id
    assert (await kit.accounts.get_user(parse_user_ref(str(alice.id)))).username == "alice"
    with pytest.raises(NotFound, match="no user named 'bob'"):
        await kit.accounts.unlock("bob")
    with pytest.raises(NotFound, match="no user with id 999"):
        await kit.accounts.delete_user(999)


@pytest.mark.parametrize(("text", "parsed"), [("7", 7), ("007", 7), ("Alice", "alice"), ("x7", "x7"), ("7a", "7a")])
def test_all_digits_is_an_id_anything_else_a_name(text: str, parsed: int | str) -> None:
    assert parse_user_ref(text) == parsed


@pytest.mark.parametrize("text", ["", "al ice", "١٢"])
def test_unusable_user_references_are_refused(text: str) -> None:
    with pytest.raises(InvalidRequest):
        parse_user_ref(text)


@pytest.mark.parametrize("text", ["0", str(2**31)])
def test_ids_no_user_can_have_are_not_found(text: str) -> None:
    with pytest.raises(NotFound, match="a user id is 1 to 2147483647"):
        parse_user_ref(text)


async def test_a_new_user_name_cannot_be_all_digits(storage: SqlStorage) -> None:
    kit = account_kit(storage, POLICY)
    with pytest.raises(InvalidRequest, match="all digits"):
        await kit.accounts.create_user("1234", PASSWORD, Role.VIEWER)
    assert (await kit.accounts.create_user("agent007", PASSWORD, Role.VIEWER)).username == "agent007"
