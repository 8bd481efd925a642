"""The `voltline` command."""

from __future__ import annotations

import asyncio
import csv
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
import uvloop

from voltline.areas.access.model import Role
from voltline.logs import configure_logging
from voltline.simulator.cli import simulate

if TYPE_CHECKING:
    from voltline.areas.access.accounts import AccountService, Unlocked, UserChanges
    from voltline.areas.access.api_access import ApiAccessService
    from voltline.areas.access.model import User
    from voltline.areas.access.ports import ApiKey
    from voltline.areas.audit.service import AuditService
    from voltline.areas.stations.service import ImportResult, StationImport
    from voltline.settings import PlatformSettings

app = typer.Typer(
    help="Voltline: an open charging station management system (OCPP 1.6J and 2.0.1).", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)
app.add_typer(db_app, name="db")
stations_app = typer.Typer(help="Station registry.", no_args_is_help=True)
app.add_typer(stations_app, name="stations")
user_app = typer.Typer(help="People's accounts for the API.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.command("simulate", help="Run a simulated charge point against a CSMS.")(simulate)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"voltline {version('voltline')}")
        raise typer.Exit


@app.callback()
def main(
    _version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    pass


def load_settings() -> PlatformSettings:
    """Every setting of the process, validated: the platform's and the areas'. Imported when a command runs,
    not for `voltline --help`: the areas' settings come with the area list, which imports every area."""
    from voltline.composition import load_settings as load

    return load()


@app.command()
def serve() -> None:
    """Serve OCPP (stations) and HTTP (API) until SIGTERM or Ctrl-C; migrates an empty database first."""
    from voltline.app import CannotListen, DatabaseNotMigrated, serve_until_signalled

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        # uvloop: the libuv event loop, markedly cheaper per socket event than asyncio's own.
        uvloop.run(serve_until_signalled(settings))
    except DatabaseNotMigrated as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except CannotListen as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Apply database migrations (VOLTLINE_DATABASE_URL) up to REVISION."""
    from voltline.storage.sql import migrate

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    migrate.upgrade(settings.database_url, revision)
    typer.echo(f"database at revision {migrate.current_revision(settings.database_url)}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and the one this version needs."""
    from voltline.storage.sql import migrate

    settings = load_settings()
    typer.echo(f"current: {migrate.current_revision(settings.database_url)}  head: {migrate.head_revision()}")


_MAX_PROBLEMS_SHOWN = 200


class ImportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


def _csv_records(text: str) -> list[tuple[int, object]]:
    """(line number, record) per data row; a record maps the header's names to the row's cells."""
    reader = csv.DictReader(text.splitlines(keepends=True), restkey="\0extra")
    records: list[tuple[int, object]] = []
    for row in reader:
        extra = row.pop("\0extra", None)
        records.append((reader.line_num, {**row, "\0extra": extra} if extra else row))
    return records


def _json_records(text: str) -> list[tuple[int, object]]:
    """(line number where it starts, record) per element of the top-level JSON list."""
    decoder = json.JSONDecoder()
    position = len(text) - len(text.lstrip())
    if not text.startswith("[", position):
        raise ValueError("a JSON import file holds one list of objects")
    position += 1
    records: list[tuple[int, object]] = []
    while True:
        position += len(text[position:]) - len(text[position:].lstrip())
        if text.startswith("]", position) and not records:
            break
        line = text.count("\n", 0, position) + 1
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {exc.lineno}: {exc.msg}") from None
        records.append((line, value))
        position += len(text[position:]) - len(text[position:].lstrip())
        if text.startswith(",", position):
            position += 1
        elif text.startswith("]", position):
            break
        else:
            raise ValueError(f"line {text.count(chr(10), 0, position) + 1}: expected ',' or ']'")
    if text[position + 1 :].strip():
        raise ValueError(f"line {text.count(chr(10), 0, position) + 1}: text after the list")
    return records


def read_station_imports(path: Path, file_format: ImportFormat) -> tuple[list[StationImport], list[str]]:
    """Every row of an import file, or the problems of the bad ones ("line N: ...")."""
    from voltline.areas.stations.service import StationImport
    from voltline.kernel.errors import InvalidRequest

    try:
        text = path.read_text(encoding="utf-8-sig")
        records = _csv_records(text) if file_format is ImportFormat.CSV else _json_records(text)
    except (ValueError, csv.Error) as exc:
        return [], [str(exc)]
    rows: list[StationImport] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for line, record in records:
        if not isinstance(record, dict):
            problems.append(f"line {line}: expected an object with the keys id, password, ...")
            continue
        row_problems = ["more values than columns"] if record.pop("\0extra", None) else []
        station_id = record.get("id")
        if isinstance(station_id, str) and station_id:
            if station_id in first_line:
                row_problems.append(f"station {station_id!r} already appears on line {first_line[station_id]}")
            first_line.setdefault(station_id, line)
        try:
            rows.append(StationImport.parse(record))
        except InvalidRequest as exc:
            row_problems.append(str(exc))
        if row_problems:
            problems.append(f"line {line}: {'; '.join(row_problems)}")
    return rows, problems


async def _import_stations(url: str, synchronous: str, rows: list[StationImport], skip: bool) -> ImportResult:
    from voltline.areas.stations.service import StationService
    from voltline.composition import sql_repositories
    from voltline.storage.sql.storage import SqlStorage

    storage = await SqlStorage.open(url, sql_repositories(), sqlite_synchronous=synchronous)
    try:
        return await StationService(storage, heartbeat_interval=0).import_many(rows, skip_existing=skip)
    finally:
        await storage.close()


@stations_app.command("import")
def stations_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or JSON file")],
    file_format: Annotated[
        ImportFormat | None, typer.Option("--format", help="csv or json; by default from the file's extension")
    ] = None,
    skip_existing: Annotated[bool, typer.Option("--skip-existing", help="Leave registered stations unchanged")] = False,
) -> None:
    """Register or update many stations from FILE in VOLTLINE_DATABASE_URL (an empty database is migrated).

    CSV with a header, or a JSON list of objects: id (required), password (16 to 40 characters), security_profile (0 to 3, 1 and 2 need a password, 2 and 3 TLS, which this server does not serve yet; default 1 when the station has a password, given or kept, else 0), registration (Accepted, Pending or Rejected; default Accepted), description. A row without a password keeps a registered station's password. Every row is checked first: if one is bad, nothing is imported."""  # noqa: E501
    from rich.console import Console

    from voltline.app import DatabaseNotMigrated, prepare_database

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    if file_format is None:
        try:
            file_format = ImportFormat(file.suffix.lower().lstrip("."))
        except ValueError:
            typer.echo(f"error: cannot tell the format of {file.name}: use --format csv or --format json", err=True)
            raise typer.Exit(2) from None
    started = time.perf_counter()
    rows, problems = read_station_imports(file, file_format)
    if problems:
        typer.echo(f"error: {file}: {len(problems)} problem(s), nothing was imported", err=True)
        for problem in problems[:_MAX_PROBLEMS_SHOWN]:
            typer.echo(f"  {problem}", err=True)
        if len(problems) > _MAX_PROBLEMS_SHOWN:
            typer.echo(f"  ... and {len(problems) - _MAX_PROBLEMS_SHOWN} more", err=True)
        raise typer.Exit(1)
    try:
        prepare_database(settings.database_url)
    except DatabaseNotMigrated as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    from voltline.kernel.errors import InvalidRequest

    try:
        result = asyncio.run(_import_stations(settings.database_url, settings.sqlite_synchronous, rows, skip_existing))
    except InvalidRequest as exc:
        # Rows that could never connect given what is registered (a profile 1 row without a password for a
        # station that has none) or the server (profiles 2 and 3 need TLS): checked before any write.
        typer.echo(f"error: {file}: nothing was imported: {exc}", err=True)
        raise typer.Exit(1) from None
    elapsed = time.perf_counter() - started
    skipped = f", {result.skipped} skipped" if skip_existing else ""
    Console(highlight=False, soft_wrap=True).print(
        f"imported {result.created + result.updated} stations "
        f"({result.created} created, {result.updated} updated{skipped}) in {elapsed:.2f} s"
    )


# -- people's accounts and the bootstrap admin token ------------------------------------------------
# These commands work on the database (VOLTLINE_DATABASE_URL) directly, as the server's operator, without
# a token: that is what makes them the way back in when nobody can log in. Every change is written to the
# audit log as the actor "cli" (with the OS user in the detail), like the API's changes.

CLI_ACTOR = "cli"
T = TypeVar("T")


@dataclass(slots=True, frozen=True)
class _Access:
    accounts: AccountService
    api_access: ApiAccessService
    audit: AuditService


def _os_user() -> dict[str, object]:
    import getpass

    try:
        return {"os_user": getpass.getuser()}
    except (KeyError, OSError):  # no login name in this environment (e.g. a container's numeric user)
        return {}


async def _with_access(settings: PlatformSettings, work: Callable[[_Access], Awaitable[T]]) -> T:
    from voltline.areas.access.accounts import AccountService
    from voltline.areas.access.api_access import ApiAccessService
    from voltline.areas.access.passwords import PasswordHashing
    from voltline.areas.audit.service import AuditService
    from voltline.composition import sql_repositories
    from voltline.kernel.actors import current_actor
    from voltline.storage.sql.storage import SqlStorage

    current_actor.set(CLI_ACTOR)
    storage = await SqlStorage.open(
        settings.database_url, sql_repositories(), sqlite_synchronous=settings.sqlite_synchronous
    )
    try:
        # No login throttle here: the server's lockouts are in its memory. An unlock is stored on the user
        # and the server honours it at the account's next login attempt.
        return await work(
            _Access(AccountService(storage, PasswordHashing()), ApiAccessService(storage), AuditService(storage))
        )
    finally:
        await storage.close()


async def _audited(
    access: _Access, action: str, target: str, change: Awaitable[T], named: Callable[[T], str] | None = None
) -> T:
    """Run `change` and record its outcome (a refusal too, as the API records its 4xx). `target` is what
    the operator typed; `named` gives the target from the result, e.g. the user's name for an id typed."""
    from voltline.kernel.errors import DomainError

    try:
        result = await change
    except DomainError as exc:
        await access.audit.record(
            action=f"cli {action}", result="refused", target=target, summary=str(exc), detail=_os_user()
        )
        raise
    target = named(result) if named is not None else target
    await access.audit.record(action=f"cli {action}", result="ok", target=target, detail=_os_user())
    return result


def _run_access(work: Callable[[_Access], Awaitable[T]]) -> T:
    """Settings, logging and a migrated database, then `work`; a refusal is one `error:` line (exit 1)."""
    from voltline.app import DatabaseNotMigrated, prepare_database
    from voltline.kernel.errors import DomainError

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        prepare_database(settings.database_url)
    except DatabaseNotMigrated as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        return asyncio.run(_with_access(settings, work))
    except DomainError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


def _read_password(password_stdin: bool) -> str:
    import sys

    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


UserArgument = Annotated[str, typer.Argument(help="The user's id (all digits) or user name", show_default=False)]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input")
]


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="Letters, digits and . _ @ -, not all digits; case-insensitive")],
    role: Annotated[Role, typer.Option("--role", help="admin, operator or viewer")] = Role.VIEWER,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a user in VOLTLINE_DATABASE_URL (an empty database is migrated). The password (12 to 1024
    characters) is asked for twice (hidden), or read from standard input with --password-stdin. Admins enrol
    MFA at their first login."""
    password = _read_password(password_stdin)

    async def work(access: _Access) -> str:
        change = access.accounts.create_user(username, password, role)
        user = await _audited(access, "user create", f"user:{username.strip().lower()[:64]}", change)
        return user.username

    name = _run_access(work)
    mfa = "; MFA enrolment is required at the first login" if role is Role.ADMIN else ""
    typer.echo(f"created user {name} ({role.value}){mfa}")


@user_app.command("list")
def user_list() -> None:
    """List the users: id, name, role, whether enabled, whether MFA is on, last login."""

    async def work(access: _Access) -> list[User]:
        return await access.accounts.list_users()

    users = _run_access(work)
    rows = [("id", "username", "role", "state", "mfa", "last login")] + [
        (
            str(user.id),
            user.username,
            user.role.value,
            "disabled" if user.disabled else "enabled",
            "on" if user.mfa_enabled else "off",
            user.last_login_at.isoformat(timespec="seconds") if user.last_login_at else "never",
        )
        for user in users
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _change_user(user: str, action: str, changes: UserChanges) -> User:
    from voltline.areas.access.accounts import parse_user_ref

    async def work(access: _Access) -> User:
        async def change() -> User:
            return await access.accounts.change_user(parse_user_ref(user), changes)

        return await _audited(
            access, action, f"user:{user.strip().lower()}", change(), lambda changed: f"user:{changed.username}"
        )

    return _run_access(work)


@user_app.command("disable")
def user_disable(user: UserArgument) -> None:
    """Disable a user: their logins are refused and their sessions end at once."""
    from voltline.areas.access.accounts import UserChanges

    changed = _change_user(user, "user disable", UserChanges(disabled=True))
    typer.echo(f"disabled user {changed.username}; their sessions ended")


@user_app.command("enable")
def user_enable(user: UserArgument) -> None:
    """Enable a disabled user again."""
    from voltline.areas.access.accounts import UserChanges

    changed = _change_user(user, "user enable", UserChanges(disabled=False))
    typer.echo(f"enabled user {changed.username}")


@user_app.command("reset-password")
def user_reset_password(user: UserArgument, password_stdin: PasswordStdin = False) -> None:
    """Set a new password (asked for twice, hidden; or --password-stdin). The user's sessions end, and a login
    lockout ends too (the server honours it at the next login attempt). MFA stays as it is."""
    from voltline.areas.access.accounts import UserChanges

    password = _read_password(password_stdin)
    changed = _change_user(user, "user reset-password", UserChanges(password=password))
    typer.echo(f"set a new password for {changed.username}; their sessions ended and any login lockout with them")


@user_app.command("unlock")
def user_unlock(user: UserArgument) -> None:
    """End a user's login lockout after failed logins (429 at login). The running server honours it at the
    account's next login attempt. A locked client address is not the account's and stays locked."""
    from voltline.areas.access.accounts import parse_user_ref

    async def work(access: _Access) -> Unlocked:
        async def unlock() -> Unlocked:
            return await access.accounts.unlock(parse_user_ref(user))

        # Named as the lockout's own audit entries name the account: one search finds both.
        return await _audited(
            access, "user unlock", f"account:{user.strip().lower()}", unlock(), lambda u: f"account:{u.user.username}"
        )

    unlocked = _run_access(work)
    typer.echo(f"unlocked user {unlocked.user.username}: they can log in again")


bootstrap_app = typer.Typer(
    help="The bootstrap admin token (VOLTLINE_ADMIN_TOKEN or generated at the first start): a break-glass "
    "credential that needs no MFA.",
    no_args_is_help=True,
)
app.add_typer(bootstrap_app, name="bootstrap-token")


@bootstrap_app.command("revoke")
def bootstrap_token_revoke() -> None:
    """Revoke the bootstrap admin token, once an enabled admin user with MFA exists (refused before, so nobody
    is locked out). It is not re-created at later starts, even if VOLTLINE_ADMIN_TOKEN is still set."""

    async def work(access: _Access) -> list[ApiKey]:
        return await _audited(
            access, "bootstrap-token revoke", "api-key:bootstrap", access.api_access.revoke_bootstrap()
        )

    revoked = _run_access(work)
    if revoked:
        typer.echo(f"revoked the bootstrap admin token ({', '.join(key.name for key in revoked)})")
    else:
        typer.echo("the bootstrap admin token was revoked already")


if __name__ == "__main__":
    app()
