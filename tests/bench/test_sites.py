"""Smoke run of the `sites` benchmark target: the real server in its own process, its stations put into
load-managed sites, the generator's stations charging on both versions. Zero errors, the controller shared
each site (SetChargingProfile sent, reallocations recorded); no timing assertion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench import runner, sites
from bench.make_fleet import write_fleet

STATIONS = 60  # three sites per version


def test_the_sites_target_runs_both_versions_with_the_controller_sharing_every_site(tmp_path: Path) -> None:
    args = runner.parse_args(
        ["--stations", str(STATIONS), "--seconds", "1", "--warmup", "0.2", "--rate", "200", "--run-timeout", "120"]
    )
    fleet = tmp_path / "fleet.csv"
    with fleet.open("w", encoding="utf-8") as out:
        write_fleet(out, [("S16-", STATIONS), ("S201-", STATIONS)])
    server = runner.Server("sites", "voltline", tmp_path, False, f"sqlite+aiosqlite:///{tmp_path / 'sites.db'}")
    server.unknown_stations = "reject"
    result = runner.run_sites(server, args, False, fleet)

    assert result["sites_per_version"] == STATIONS // sites.SITE_SIZE
    for version in ("v16", "v201"):
        run = result[version]
        assert run["error_count"] == 0, {name: p.get("errors") for name, p in run["phases"].items()}
        assert run["phases"]["storm"]["boot_status"] == {"Accepted": STATIONS}
        assert run["phases"]["saturate"]["messages"] > 0
        # Every station was given the controller's 0 A default, then limits as transactions came and went.
        assert run["server_calls"].get("SetChargingProfile", 0) > STATIONS, run["server_calls"]
        assert result[f"{version}_allocations"] > 0
    summary = sites.summary(result, None)
    assert "SetChargingProfile sent" in summary and "reallocations recorded" in summary


def _round(sites_16: float, plain_16: float, sites_201: float | None, plain_201: float) -> dict[str, Any]:
    def target(v16: float | None, v201: float | None) -> dict[str, Any]:
        return {
            version: {"phases": {"saturate": {"msgs_per_s": rate, "server": {"cpu_us_per_msg": 100.0}}}}
            for version, rate in (("v16", v16), ("v201", v201))
        }

    return {"sqlite": target(plain_16, plain_201), "sites": target(sites_16, sites_201)}


def test_the_spread_gives_each_rounds_share_and_their_median() -> None:
    rounds = [_round(900, 1000, 800, 1000), _round(600, 1000, 950, 1000), _round(950, 1000, None, 1000)]
    text = sites.spread(rounds)
    assert "1.6: 90%, 60%, 95%; median 90%" in text
    assert "2.0.1: 80%, 95%; median 88%" in text  # the round without a figure is left out


def test_rounds_below_one_are_refused() -> None:
    with pytest.raises(SystemExit):
        runner.parse_args(["--rounds", "0"])
