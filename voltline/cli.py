"""The `voltline` command."""

from __future__ import annotations

import asyncio

import typer

from voltline.logs import configure_logging
from voltline.settings import load_settings
from voltline.simulator.cli import simulate

app = typer.Typer(
    help="Voltline: an open charging station management system (OCPP 1.6J and 2.0.1).", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.command("simulate", help="Run a simulated charge point against a CSMS.")(simulate)


@app.command()
def serve() -> None:
    """Serve OCPP (stations) and HTTP (API) until SIGTERM or Ctrl-C; migrates an empty database first."""
    from voltline.app import DatabaseNotMigrated, serve_until_signalled

    settings = load_settings()
    configure_logging(settings.log_level)
    try:
        asyncio.run(serve_until_signalled(settings))
    except DatabaseNotMigrated as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


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


if __name__ == "__main__":
    app()
