"""`voltline user create`, driven in-process with typer's CliRunner against temporary SQLite files."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.databases import sqlite_url
from tests.support.wiring import open_storage
from voltline.areas.access.model import Role, UserSecrets
from voltline.areas.access.passwords import PasswordHashing
from voltline.areas.access.ports import USERS
from voltline.cli import app
from voltline.kernel.storage import UnitOfWork

runner = CliRunner()
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
