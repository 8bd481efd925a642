"""The `voltline` command."""

from __future__ import annotations

import asyncio
import csv
import json
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import uvloop

from voltline.areas.access.model import Role
from voltline.logs import configure_logging
from voltline.simulator.cli import simulate

if TYPE_CHECKING:
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
    configure_logging(settings.log_level)
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
    configure_logging(settings.log_level)
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

    CSV with a header, or a JSON list of objects: id (required), password (16 to 40 characters), security_profile (0 to 3; default 1 with a password, else 0), registration (Accepted, Pending or Rejected; default Accepted), description. A row without a password keeps a registered station's password. Every row is checked first: if one is bad, nothing is imported."""  # noqa: E501
    from rich.console import Console

    from voltline.app import DatabaseNotMigrated, prepare_database

    settings = load_settings()
    configure_logging(settings.log_level)
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
    result = asyncio.run(_import_stations(settings.database_url, settings.sqlite_synchronous, rows, skip_existing))
    elapsed = time.perf_counter() - started
    skipped = f", {result.skipped} skipped" if skip_existing else ""
    Console(highlight=False, soft_wrap=True).print(
        f"imported {result.created + result.updated} stations "
        f"({result.created} created, {result.updated} updated{skipped}) in {elapsed:.2f} s"
    )


async def _create_user(url: str, synchronous: str, username: str, password: str, role: Role) -> str:
    from voltline.areas.access.accounts import AccountService
    from voltline.areas.access.passwords import PasswordHashing
    from voltline.composition import sql_repositories
    from voltline.kernel.actors import current_actor
    from voltline.storage.sql.storage import SqlStorage

    current_actor.set("cli")
    storage = await SqlStorage.open(url, sql_repositories(), sqlite_synchronous=synchronous)
    try:
        user = await AccountService(storage, PasswordHashing()).create_user(username, password, role)
        return user.username
    finally:
        await storage.close()


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="Letters, digits and . _ @ -; case-insensitive")],
    role: Annotated[Role, typer.Option("--role", help="admin, operator or viewer")] = Role.VIEWER,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input")
    ] = False,
) -> None:
    """Create a user in VOLTLINE_DATABASE_URL (an empty database is migrated). The password is asked for twice
    (hidden), or read from standard input with --password-stdin. Admins enrol MFA at their first login."""
    import sys

    from voltline.app import DatabaseNotMigrated, prepare_database
    from voltline.kernel.errors import Conflict, InvalidRequest

    settings = load_settings()
    configure_logging(settings.log_level)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        prepare_database(settings.database_url)
    except DatabaseNotMigrated as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        name = asyncio.run(_create_user(settings.database_url, settings.sqlite_synchronous, username, password, role))
    except (Conflict, InvalidRequest) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    mfa = "; MFA enrolment is required at the first login" if role is Role.ADMIN else ""
    typer.echo(f"created user {name} ({role.value}){mfa}")


if __name__ == "__main__":
    app()
