"""The process's settings: the platform's and every area's in one `Settings` class, with one set of sources.

An area declares its settings in its own module and names the class in its manifest; these tests check that
such a setting comes from the environment, the TOML file and keyword arguments like a platform one, reaches
the area's build through the real wiring, fails start-up clearly when wrong, and is documented in README.md.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import cast

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from typer.testing import CliRunner

from tests.support.wiring import settings_for_tests
from voltline.areas.access.login import LoginService
from voltline.areas.catalog import AREAS
from voltline.areas.local_lists.service import LocalListService
from voltline.areas.local_lists.settings import LocalListSettings
from voltline.areas.message_log.service import MessageLog
from voltline.areas.stations.model import UnknownStationPolicy
from voltline.areas.stations.settings import StationSettings
from voltline.cli import app
from voltline.composition import Settings, build_services, load_settings, settings_class
from voltline.kernel.area import Area, AreaContext, settings_of
from voltline.kernel.commands import StationLink
from voltline.kernel.services import ServiceRegistry
from voltline.kernel.storage import Storage
from voltline.settings import PlatformSettings

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(autouse=True)
def only_the_sources_a_test_sets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No VOLTLINE_* variable of the shell running the tests, and no ./voltline.toml but the test's own."""
    for name in list(os.environ):
        if name.startswith("VOLTLINE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def built(settings: PlatformSettings) -> ServiceRegistry:
    """Every area built from `settings`, as the server builds them. Building does no I/O, so placeholders
    stand in for storage and the station link."""
    return build_services(cast(Storage, object()), cast(StationLink, object()), settings)


def max_entries(settings: PlatformSettings) -> int:
    return built(settings)[LocalListService].max_entries


# -- an area's setting, from each source, through the real wiring -----------------------------------------


def test_an_area_setting_from_the_environment_reaches_its_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOLTLINE_LOCAL_LIST_MAX_ENTRIES", "7")
    assert max_entries(load_settings()) == 7


def test_an_area_setting_from_the_toml_file_named_by_voltline_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text("local_list_max_entries = 9\n")
    monkeypatch.setenv("VOLTLINE_CONFIG", str(config))
    assert max_entries(load_settings()) == 9


def test_an_area_setting_from_voltline_toml_in_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "voltline.toml").write_text("local_list_max_entries = 11\n")
    assert max_entries(load_settings()) == 11


def test_an_area_setting_from_a_keyword_argument() -> None:
    assert max_entries(load_settings(local_list_max_entries=5)) == 5
    assert max_entries(settings_for_tests(local_list_max_entries=6)) == 6
    assert max_entries(Settings(local_list_max_entries=4)) == 4


def test_keyword_beats_environment_beats_toml_for_an_area_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "voltline.toml").write_text("local_list_max_entries = 9\nheartbeat_interval = 90\n")
    monkeypatch.setenv("VOLTLINE_LOCAL_LIST_MAX_ENTRIES", "7")
    assert load_settings().model_dump(include={"local_list_max_entries", "heartbeat_interval"}) == {
        "local_list_max_entries": 7,
        "heartbeat_interval": 90,
    }
    assert max_entries(load_settings(local_list_max_entries=5)) == 5


def test_each_area_reads_its_own_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOLTLINE_SESSION_TTL", "60")
    monkeypatch.setenv("VOLTLINE_MESSAGE_LOG", "off")
    monkeypatch.setenv("VOLTLINE_MESSAGE_LOG_RETENTION_DAYS", "3")
    monkeypatch.setenv("VOLTLINE_UNKNOWN_STATIONS", "pending")
    settings = load_settings()
    services = built(settings)
    assert services[LoginService].policy.session_ttl == 60
    assert not services[MessageLog].config.enabled
    assert services[MessageLog].config.retention_days == 3
    assert settings_of(settings, StationSettings).unknown_stations is UnknownStationPolicy.PENDING


def test_defaults_are_those_documented() -> None:
    settings = load_settings()
    assert settings_of(settings, LocalListSettings).local_list_max_entries == 500
    assert settings_of(settings, StationSettings).heartbeat_interval == 300
    assert settings_of(settings, StationSettings).unknown_stations is UnknownStationPolicy.REJECT


# -- start-up: a wrong value fails, an unknown name is ignored --------------------------------------------


def test_a_wrong_area_setting_fails_start_up_naming_the_setting() -> None:
    result = CliRunner().invoke(app, ["db", "current"], env={"VOLTLINE_LOCAL_LIST_MAX_ENTRIES": "0"})
    assert result.exit_code != 0
    assert isinstance(result.exception, ValidationError)
    message = str(result.exception)
    assert "1 validation error for Settings" in message
    assert "local_list_max_entries\n  Input should be greater than or equal to 1" in message


def test_wrong_values_from_every_source_are_reported_together(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "voltline.toml").write_text('message_log_retention_days = "weekly"\n')
    monkeypatch.setenv("VOLTLINE_UNKNOWN_STATIONS", "maybe")
    with pytest.raises(ValidationError) as failure:
        load_settings(http_port="eighty")
    assert failure.value.title == "Settings"
    assert {error["loc"] for error in failure.value.errors()} == {
        ("message_log_retention_days",),
        ("unknown_stations",),
        ("http_port",),
    }
    assert "Input should be 'reject', 'pending' or 'accept'" in str(failure.value)


def test_names_of_no_setting_are_ignored_in_every_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """As before areas declared their own settings: pydantic-settings' extra="ignore" drops them."""
    (tmp_path / "voltline.toml").write_text("no_such_setting = 1\n")
    monkeypatch.setenv("VOLTLINE_NO_SUCH_SETTING", "1")
    settings = load_settings(no_such_setting=1)
    assert "no_such_setting" not in settings.model_dump()


# -- the composition of the Settings class ----------------------------------------------------------------


def nothing(context: AreaContext) -> None:
    pass


class _Colour(BaseModel):
    colour: str = "blue"


def test_the_settings_class_has_every_areas_fields() -> None:
    fields = set(Settings.model_fields)
    assert set(PlatformSettings.model_fields) <= fields
    for area in AREAS:
        if area.settings is not None:
            assert issubclass(Settings, area.settings)
            assert set(cast(type[BaseModel], area.settings).model_fields) <= fields


def test_a_setting_declared_twice_is_refused() -> None:
    class Paint(BaseModel):
        colour: str = "red"

    with pytest.raises(ValueError, match="area 'paint' declares the setting 'colour', already area 'colours''s"):
        settings_class([Area("colours", nothing, settings=_Colour), Area("paint", nothing, settings=Paint)])


def test_an_area_setting_named_like_a_platform_one_is_refused() -> None:
    class Port(BaseModel):
        http_port: int = 1

    with pytest.raises(ValueError, match="declares the setting 'http_port', already the platform's"):
        settings_class([Area("port", nothing, settings=Port)])


def test_an_area_settings_class_keeps_the_platforms_config() -> None:
    class Strict(BaseModel):
        model_config = ConfigDict(extra="forbid")
        level: int = Field(default=1)

    with pytest.raises(ValueError, match="Strict must not set model_config"):
        settings_class([Area("strict", nothing, settings=Strict)])


def test_area_settings_must_be_a_pydantic_model() -> None:
    class Plain:
        colour = "green"

    with pytest.raises(TypeError, match="area 'plain': settings must be a pydantic model class"):
        settings_class([Area("plain", nothing, settings=Plain)])


def test_a_composed_class_reads_its_areas_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOLTLINE_COLOUR", "green")
    composed = settings_class([Area("colours", nothing, settings=_Colour)])
    assert settings_of(composed(), _Colour).colour == "green"


def test_settings_without_an_areas_class_say_so() -> None:
    with pytest.raises(TypeError, match="do not include LocalListSettings"):
        settings_of(settings_class([])(), LocalListSettings)


# -- the documentation ------------------------------------------------------------------------------------


def readme_settings() -> set[str]:
    """The VOLTLINE_* names in the first column of README.md's configuration table."""
    section = README.read_text().split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `VOLTLINE_")]
    assert rows, "README.md: no configuration table under '## Configuration'"
    return {name for row in rows for name in re.findall(r"`(VOLTLINE_[A-Z0-9_]+)`", row.split(" | ", 1)[0])}


@pytest.mark.parametrize(
    "settings",
    [PlatformSettings, *(area.settings for area in AREAS if area.settings is not None)],
    ids=lambda cls: cls.__name__,
)
def test_every_setting_is_in_the_readme(settings: type[BaseModel]) -> None:
    documented = readme_settings()
    missing = sorted({f"VOLTLINE_{name.upper()}" for name in settings.model_fields} - documented)
    assert not missing, f"README.md's configuration table lacks {missing}"


def test_the_readme_lists_no_setting_that_is_gone() -> None:
    known = {f"VOLTLINE_{name.upper()}" for name in Settings.model_fields}
    assert readme_settings() - known == set()
