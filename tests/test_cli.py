"""The `voltline` command, driven in-process with typer's CliRunner against temporary SQLite files."""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.databases import sqlite_url
from tests.support.ports import free_port
from tests.support.wiring import open_storage
from voltline.app import prepare_database
from voltline.areas.stations.model import Registration, Station
from voltline.areas.stations.ports import STATIONS
from voltline.cli import app
from voltline.kernel.credentials import verify_secret
from voltline.kernel.storage import UnitOfWork
from voltline.storage.sql.engine import loggable_url

runner = CliRunner()


def stored_stations(url: str) -> dict[str, Station]:
    async def load() -> list[Station]:
        storage = await open_storage(url)
        try:

            async def op(uow: UnitOfWork) -> list[Station]:
                return await uow[STATIONS].list()

            return await storage.read(op)
        finally:
            await storage.close()

    return {station.id: station for station in asyncio.run(load())}


@pytest.fixture
def database(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "voltline.db")  # a new, empty file: the command migrates it


def import_file(url: str, path: Path, *options: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app, ["stations", "import", str(path), *options], env={"VOLTLINE_DATABASE_URL": url, "COLUMNS": "200"}
    )
    return result.exit_code, result.stdout, result.stderr


def test_imports_csv_then_json_into_an_empty_database(database: str, tmp_path: Path) -> None:
    csv_file = tmp_path / "fleet.csv"
    csv_file.write_text(
        "id,password,security_profile,registration,description\n"
        "CP-1,secret-number-one-0001,,,Level 2 bay 14\n"
        "CP-2,,,Pending,\n"
        "CP-3,secret-number-three-03,1,Accepted,\n"
    )
    code, out, err = import_file(database, csv_file)
    assert code == 0, err
    assert "imported 3 stations (3 created, 0 updated)" in out
    assert "secret-number" not in out + err

    json_file = tmp_path / "more.json"
    json_file.write_text(
        json.dumps(
            [
                {"id": "CP-1", "registration": "Rejected"},
                {"id": "CP-4", "password": "secret-number-four-004", "security_profile": 1},
            ],
            indent=2,
        )
    )
    code, out, err = import_file(database, json_file)
    assert code == 0, err
    assert "imported 2 stations (1 created, 1 updated)" in out

    saved = stored_stations(database)
    assert set(saved) == {"CP-1", "CP-2", "CP-3", "CP-4"}
    assert saved["CP-1"].registration is Registration.REJECTED
    assert saved["CP-1"].description is None
    assert verify_secret("secret-number-one-0001", saved["CP-1"].password_hash)  # kept: no password given
    assert (saved["CP-2"].registration, saved["CP-2"].security_profile) == (Registration.PENDING, 0)
    assert saved["CP-2"].password_hash is None
    assert saved["CP-3"].security_profile == 1
    assert verify_secret("secret-number-three-03", saved["CP-3"].password_hash)
    assert saved["CP-4"].password_hash != "secret-number-four-004"
    assert verify_secret("secret-number-four-004", saved["CP-4"].password_hash)


def test_skip_existing_and_explicit_format(database: str, tmp_path: Path) -> None:
    first = tmp_path / "first.csv"
    first.write_text("id,description\nCP-1,original\n")
    assert import_file(database, first)[0] == 0
    listing = tmp_path / "fleet.txt"
    listing.write_text("id,description\nCP-1,changed\nCP-2,new\n")

    code, out, err = import_file(database, listing, "--format", "csv", "--skip-existing")

    assert code == 0, err
    assert "(1 created, 0 updated, 1 skipped)" in out
    assert stored_stations(database)["CP-1"].description == "original"


def test_a_bad_csv_imports_nothing_and_names_every_bad_line(database: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,password,registration\n"
        "CP-1,a-good-long-password-1,Accepted\n"
        "bad id,a-good-long-password-2,Accepted\n"
        "CP-3,tooshort,Accepted\n"
        "CP-4,,Maybe\n"
        "CP-1,,\n"
    )

    code, out, err = import_file(database, bad)

    assert code == 1
    assert "nothing was imported" in err
    assert "line 3: id 'bad id' is not a station id" in err
    assert "line 4: password must be 16 to 40 characters" in err
    assert "line 5: registration must be Accepted, Pending or Rejected" in err
    assert "line 6: station 'CP-1' already appears on line 2" in err
    assert "tooshort" not in out + err
    assert "imported" not in out
    assert not Path(database.removeprefix("sqlite+aiosqlite:///")).exists()  # not even migrated


def test_rows_of_stations_that_could_never_connect_import_nothing(database: str, tmp_path: Path) -> None:
    # The API's rules: profile 1 needs a password (none is registered for a new station), and profiles 2
    # and 3 need TLS, which this server does not serve.
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("id,password,security_profile\nCP-1,,0\nCP-2,,1\nCP-3,secret-number-three-03,2\n")

    code, out, err = import_file(database, fleet)

    assert code == 1
    assert "nothing was imported" in err
    assert "station 'CP-2': security_profile 1 needs a password" in err
    assert "station 'CP-3': security_profile 2 needs TLS (wss://), and TLS is not configured" in err
    assert "Traceback" not in out + err
    assert stored_stations(database) == {}


def test_a_bad_json_file_names_the_line(database: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[\n  {"id": "CP-1"},\n  {"id": "CP-2",\n   "security_profile": 9}\n]\n')
    code, _, err = import_file(database, bad)
    assert code == 1
    assert "line 3: security_profile must be 0, 1, 2 or 3" in err

    broken = tmp_path / "broken.json"
    broken.write_text('[\n  {"id": "CP-1"},\n  {"id": }\n]')
    code, _, err = import_file(database, broken)
    assert code == 1
    assert "line 3:" in err


def test_unknown_extension_needs_a_format(database: str, tmp_path: Path) -> None:
    listing = tmp_path / "fleet.txt"
    listing.write_text("id\nCP-1\n")
    code, _, err = import_file(database, listing)
    assert code == 2
    assert "--format" in err


def test_ten_thousand_stations(database: str, tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("id,password\n" + "".join(f"CP{i:05d},{secrets.token_urlsafe(24)}\n" for i in range(10_000)))
    started = time.perf_counter()
    code, out, err = import_file(database, fleet)
    elapsed = time.perf_counter() - started
    assert code == 0, err
    print(f"\n10,000 stations imported into SQLite in {elapsed:.2f} s (with migration); command said: {out.strip()}")
    assert len(stored_stations(database)) == 10_000


# -- the command line's own errors and answers -----------------------------------------------------


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["--version"])

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"voltline {importlib.metadata.version('voltline')}"


@pytest.mark.parametrize(("busy", "setting"), [("ocpp", "VOLTLINE_OCPP_PORT"), ("http", "VOLTLINE_HTTP_PORT")])
def test_a_busy_port_is_one_line_naming_it_and_its_setting(tmp_path: Path, busy: str, setting: str) -> None:
    ports = {"ocpp": free_port(), "http": free_port()}
    env = {
        **os.environ,
        "VOLTLINE_DATABASE_URL": sqlite_url(tmp_path / "voltline.db"),
        "VOLTLINE_ADMIN_TOKEN": "vl_test-admin-token-0123456789",
        "VOLTLINE_OCPP_HOST": "127.0.0.1",
        "VOLTLINE_OCPP_PORT": str(ports["ocpp"]),
        "VOLTLINE_HTTP_HOST": "127.0.0.1",
        "VOLTLINE_HTTP_PORT": str(ports["http"]),
    }
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", ports[busy]))
        taken.listen()
        done = subprocess.run(
            [sys.executable, "-m", "voltline.cli", "serve"], env=env, capture_output=True, text=True, timeout=60
        )

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {busy.upper()} port {ports[busy]} on 127.0.0.1 is already in use: set {setting} to another port"
    ]


def test_migrating_an_empty_database_logs_which_one(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = sqlite_url(tmp_path / "voltline.db")
    with caplog.at_level(logging.INFO, logger="voltline"):
        prepare_database(url)

    assert f"empty database {url}: creating the schema" in caplog.messages


def test_a_logged_database_url_has_no_password() -> None:
    named = loggable_url("postgresql+asyncpg://voltline:s3cret-pw@db.example:5432/csms")

    assert named == "postgresql+asyncpg://voltline:***@db.example:5432/csms"
    assert "s3cret" not in named
    assert loggable_url("not a url") == "the configured database"
