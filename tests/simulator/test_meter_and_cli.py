"""Unit tests: the energy meter, version parsing, the CLI's argument handling."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from voltline.ocppj import OcppVersion
from voltline.simulator import EnergyMeter, parse_version
from voltline.simulator.cli import simulate


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_meter_counts_energy_only_while_charging() -> None:
    clock = FakeClock()
    meter = EnergyMeter(7_200.0, initial_wh=1_000.0, clock=clock)
    clock.now += 3600
    assert meter.advance() == 1_000  # not charging: nothing flows
    meter.start_charging()
    clock.now += 1800  # half an hour at 7.2 kW
    sample = meter.sample()
    assert sample.energy_wh == 4_600
    assert sample.power_w == 7_200.0
    assert sample.currents_a == pytest.approx((7_200 / (3 * 230),) * 3)
    assert sample.offered_a is None  # no station set an offer
    clock.now += 900
    meter.stop_charging()
    clock.now += 900
    assert meter.sample().energy_wh == 6_400
    assert meter.sample().power_w == 0.0


def test_meter_time_scale() -> None:
    clock = FakeClock()
    meter = EnergyMeter(3_600.0, time_scale=60.0, clock=clock)
    meter.start_charging()
    clock.now += 60  # one real minute = one simulated hour
    assert meter.advance() == 3_600


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.6", OcppVersion.V16),
        ("ocpp1.6", OcppVersion.V16),
        (" OCPP2.0.1 ", OcppVersion.V201),
        ("2.0.1", OcppVersion.V201),
        (OcppVersion.V201, OcppVersion.V201),
    ],
)
def test_parse_version(text: str, expected: OcppVersion) -> None:
    assert parse_version(text) is expected


def test_parse_version_rejects_unknown() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        parse_version("2.1")


def test_cli_rejects_bad_version_and_reports_unreachable_csms() -> None:
    app = typer.Typer()
    app.command()(simulate)
    runner = CliRunner()
    bad = runner.invoke(app, ["--ocpp", "3.0"])
    assert bad.exit_code == 2
    # Port 9 (discard) on localhost: nothing listens, the connection is refused; without --no-reconnect the
    # simulator would wait for the CSMS as a real station does.
    down = runner.invoke(app, ["--url", "ws://127.0.0.1:9/ocpp", "--ocpp", "2.0.1", "--no-reconnect"])
    assert down.exit_code == 1
    assert "CP1" in down.output


def test_cli_keeps_trying_an_unreachable_csms_until_its_duration_ends() -> None:
    app = typer.Typer()
    app.command()(simulate)
    result = CliRunner().invoke(app, ["--url", "ws://127.0.0.1:9/ocpp", "--duration", "1.5"])
    assert result.exit_code == 0, result.output
    assert "reconnecting" in result.output and "next attempt in" in result.output
