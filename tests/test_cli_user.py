"""`voltline user create`, driven in-process with typer's CliRunner against temporary SQLite files."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from typer.testing import CliRunner

from tests.support.account_builders import ADDRESS, AccountKit, account_kit, an_enrolled_admin
from tests.support.databases import sqlite_url
from tests.support.wiring import open_storage
from voltline.areas.access.login import LoginPolicy, LoginRefused, LoginThrottled
from voltline.areas.access.model import Role, UserSecrets
from voltline.areas.access.passwords import PasswordHashing
from voltline.areas.access.ports import USERS
from voltline.areas.audit.model import AuditQuery
from voltline.cli import app
from voltline.kernel.storage import UnitOfWork

runner = CliRunner()
T = TypeVar("T")
PASSWORD = "correct horse battery staple"


def stored_user(url: str, username: str) -> UserSecrets | None:
    async def load() -> UserSecrets | None:
        storage = await open_storage(url)
        try:

            async def op(uow: UnitOfWork) -> UserSecrets | None:
                return await uow[USERS].secrets_by_username(username)

            return await storage.read(op)
        finally:
            await storage.close()

    return asyncio.run(load())


def verifies(stored: str, password: str) -> bool:
    return asyncio.run(PasswordHashing().verify(stored, password))


@pytest.fixture
def database(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "voltline.db")  # a new, empty file: the command migrates it


def user_create(url: str, *args: str, stdin: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["user", "create", *args], input=stdin, env={"VOLTLINE_DATABASE_URL": url})
    return result.exit_code, result.stdout, result.stderr


def test_creates_an_admin_with_a_hidden_prompt_and_confirmation(database: str) -> None:
    code, out, err = user_create(database, "Root", "--role", "admin", stdin=f"{PASSWORD}\n{PASSWORD}\n")

    assert code == 0, err
    assert "created user root (admin); MFA enrolment is required at the first login" in out
    assert PASSWORD not in out + err  # the prompt does not echo
    user = stored_user(database, "root")
    assert user is not None
    assert user.user.role is Role.ADMIN and user.user.created_by == "cli"
    assert user.password_hash.startswith("$argon2id$") and verifies(user.password_hash, PASSWORD)


def test_a_mismatched_confirmation_is_asked_again(database: str) -> None:
    stdin = f"{PASSWORD}\nsomething else entirely\n{PASSWORD}\n{PASSWORD}\n"
    code, out, err = user_create(database, "otto", "--role", "operator", stdin=stdin)
    assert code == 0, err
    assert "do not match" in out
    user = stored_user(database, "otto")
    assert user is not None and user.user.role is Role.OPERATOR


def test_reads_the_password_from_stdin_and_defaults_to_viewer(database: str) -> None:
    code, out, err = user_create(database, "vera", "--password-stdin", stdin=f"{PASSWORD}\n")
    assert code == 0, err
    assert "created user vera (viewer)" in out
    user = stored_user(database, "vera")
    assert user is not None and verifies(user.password_hash, PASSWORD)


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["vera", "--password-stdin"], "short\n", "12 to 1024 characters"),
        (["ve ra", "--password-stdin"], f"{PASSWORD}\n", "user name"),
    ],
)
def test_bad_input_is_refused_with_a_message(database: str, args: list[str], stdin: str, message: str) -> None:
    code, _, err = user_create(database, *args, stdin=stdin)
    assert code == 1
    assert message in err


def test_an_existing_name_is_refused_whatever_its_case(database: str) -> None:
    assert user_create(database, "vera", "--password-stdin", stdin=f"{PASSWORD}\n")[0] == 0
    code, _, err = user_create(database, "VERA", "--password-stdin", stdin=f"{PASSWORD}\n")
    assert code == 1
    assert "already exists" in err


def test_an_unknown_role_is_a_usage_error(database: str) -> None:
    code, _, _ = user_create(database, "vera", "--role", "root", "--password-stdin", stdin=f"{PASSWORD}\n")
    assert code == 2


# -- list, disable, enable, reset-password, unlock; the bootstrap token ----------------------------

BOOTSTRAP_TOKEN = "vl_cli-test-admin-token-0123456789"


def cli(url: str, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin, env={"VOLTLINE_DATABASE_URL": url})
    return result.exit_code, result.stdout, result.stderr


def with_kit(url: str, work: Callable[[AccountKit], Awaitable[T]]) -> T:
    """`work` with the account services over the database file, as the server would have them."""

    async def run() -> T:
        storage = await open_storage(url)
        try:
            return await work(account_kit(storage))
        finally:
            await storage.close()

    return asyncio.run(run())


def cli_audit(url: str) -> list[tuple[str, str, str, str | None]]:
    async def entries(kit: AccountKit) -> list[tuple[str, str, str, str | None]]:
        found = await kit.audit.search(AuditQuery(action="cli"))
        return [(e.actor, e.action, e.result, e.target) for e in reversed(found)]

    return with_kit(url, entries)


@pytest.fixture
def with_users(database: str) -> str:
    for name, role in (("alice", "operator"), ("root", "admin")):
        assert user_create(database, name, "--role", role, "--password-stdin", stdin=f"{PASSWORD}\n")[0] == 0
    return database


def test_lists_the_users(with_users: str) -> None:
    code, out, err = cli(with_users, "user", "list")

    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["id", "username", "role", "state", "mfa", "last", "login"]
    assert [line.split()[:5] for line in lines[1:]] == [
        ["1", "alice", "operator", "enabled", "off"],
        ["2", "root", "admin", "enabled", "off"],
    ]
    assert "argon2" not in out


def test_disables_and_enables_a_user_by_name_or_id_audited(with_users: str) -> None:
    code, out, err = cli(with_users, "user", "disable", "ALICE")
    assert code == 0, err
    assert "disabled user alice" in out
    assert (stored := stored_user(with_users, "alice")) is not None and stored.user.disabled

    code, out, err = cli(with_users, "user", "enable", "1")
    assert code == 0, err
    assert (stored := stored_user(with_users, "alice")) is not None and not stored.user.disabled

    assert cli_audit(with_users)[-2:] == [
        ("cli", "cli user disable", "ok", "user:alice"),
        ("cli", "cli user enable", "ok", "user:alice"),  # named, though given by id
    ]


def test_resets_a_password(with_users: str) -> None:
    code, out, err = cli(
        with_users, "user", "reset-password", "alice", "--password-stdin", stdin="a brand new passphrase\n"
    )

    assert code == 0, err
    assert "set a new password for alice" in out
    stored = stored_user(with_users, "alice")
    assert stored is not None and verifies(stored.password_hash, "a brand new passphrase")
    assert "a brand new passphrase" not in out + err


def test_refusals_are_one_error_line_and_audited(with_users: str) -> None:
    code, _, err = cli(with_users, "user", "reset-password", "alice", "--password-stdin", stdin="too short\n")
    assert code == 1 and "12 to 1024 characters" in err
    code, _, err = cli(with_users, "user", "unlock", "nobody")
    assert code == 1 and "no user named 'nobody'" in err
    code, _, err = cli(with_users, "user", "disable", "0")
    assert code == 1 and "a user id is 1 to" in err
    assert [entry[2] for entry in cli_audit(with_users)[-3:]] == ["refused"] * 3


def test_a_user_name_of_digits_only_is_refused(database: str) -> None:
    code, _, err = user_create(database, "1234", "--password-stdin", stdin=f"{PASSWORD}\n")
    assert code == 1 and "all digits" in err


async def test_unlock_reaches_the_running_servers_lockout(with_users: str) -> None:
    """The server counts lockouts in its memory; the command line is another process and unlocks through
    the database, which the server reads at the account's next login attempt."""
    storage = await open_storage(with_users)
    try:
        server = account_kit(storage, LoginPolicy(failures_per_account=3, lockout=900.0))
        for _ in range(3):
            with pytest.raises(LoginRefused):
                await server.logins.login("alice", "a wrong guess 1234", address=ADDRESS)
        with pytest.raises(LoginThrottled):
            await server.logins.login("alice", PASSWORD, address=ADDRESS)

        code, out, err = await asyncio.to_thread(cli, with_users, "user", "unlock", "alice")

        assert code == 0, err
        assert "unlocked user alice" in out
        assert (await server.logins.login("alice", PASSWORD, address=ADDRESS)).principal.name == "alice"
    finally:
        await storage.close()
    audit = await asyncio.to_thread(cli_audit, with_users)
    assert audit[-1] == ("cli", "cli user unlock", "ok", "account:alice")


def test_revokes_the_bootstrap_token_only_once_a_real_admin_exists(with_users: str) -> None:
    async def bootstrap(kit: AccountKit) -> None:
        await kit.api_access.ensure_admin_token(BOOTSTRAP_TOKEN)

    async def token_works(kit: AccountKit) -> bool:
        return await kit.api_access.authenticate(BOOTSTRAP_TOKEN) is not None

    async def enrolled(kit: AccountKit) -> None:
        await an_enrolled_admin(kit, "boss")

    with_kit(with_users, bootstrap)
    code, _, err = cli(with_users, "bootstrap-token", "revoke")  # root has not enrolled MFA: not a real admin
    assert code == 1 and "cannot be revoked while no enabled admin user with MFA exists" in err
    assert with_kit(with_users, token_works)

    with_kit(with_users, enrolled)
    code, out, err = cli(with_users, "bootstrap-token", "revoke")
    assert code == 0, err
    assert "revoked the bootstrap admin token (admin (VOLTLINE_ADMIN_TOKEN))" in out
    assert not with_kit(with_users, token_works)
    assert cli(with_users, "bootstrap-token", "revoke")[1].strip() == "the bootstrap admin token was revoked already"
    with_kit(with_users, bootstrap)  # the next start, VOLTLINE_ADMIN_TOKEN still set
    assert not with_kit(with_users, token_works)
    assert [entry[1:] for entry in cli_audit(with_users) if "bootstrap" in entry[1]][:2] == [
        ("cli bootstrap-token revoke", "refused", "api-key:bootstrap"),
        ("cli bootstrap-token revoke", "ok", "api-key:bootstrap"),
    ]
