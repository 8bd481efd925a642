"""Target `sites`: the station path with a load controller on every site.

The benchmark's stations are put into sites of `SITE_SIZE` (one site per 20 stations: the full run's 10,000
stations per version make 500 sites) whose connection gives each station `SHARE_A` on average, so the
controller has to share: every transaction start and end, status change and meter reading of the
generator's mix lands on a watched station, and each start, end and status change reallocates its site and
sends the changed limits as SetChargingProfile (the generator's stations accept them). The same storm,
saturate and rate phases as the `sqlite` target run against it; the figure that matters is the saturated
msg/s against the `sqlite` target of the same run (the issue's target: within 10%).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

SITE_SIZE = 20
SHARE_A = 10.0  # the connection per station, A per phase: below the 32 A each may take, so limits bind
ALLOCATIONS_READ = 1000  # the most allocation history rows one request returns

CallApi = Callable[..., tuple[int, Any]]


def site_ids(prefix: str, stations: int) -> list[str]:
    return [f"site-{prefix.strip('-').lower()}-{n:04d}" for n in range((stations + SITE_SIZE - 1) // SITE_SIZE)]


def create_sites(call_api: CallApi, prefix: str, stations: int) -> list[str]:
    """Sites of `SITE_SIZE` of the stations `prefix00000` ... (registered, not yet connected); their ids."""
    ids = site_ids(prefix, stations)
    for n, site_id in enumerate(ids):
        members = [f"{prefix}{i:05d}" for i in range(n * SITE_SIZE, min((n + 1) * SITE_SIZE, stations))]
        body = {"id": site_id, "name": site_id, "grid_limit": SHARE_A * len(members), "strategy": "equal"}
        status, answer = call_api("POST", "/api/v1/sites", body)
        if status != 201:
            raise RuntimeError(f"site creation answered HTTP {status}: {answer}")
        assignments = {"stations": [{"station_id": s, "max_current_a": 32} for s in members]}
        status, answer = call_api("POST", f"/api/v1/sites/{site_id}/stations", assignments, timeout=60)
        if status not in (200, 201):
            raise RuntimeError(f"station assignment answered HTTP {status}: {answer}")
    return ids


def count_allocations(call_api: CallApi, ids: list[str]) -> int:
    """Reallocations the sites recorded (each site's history, up to ALLOCATIONS_READ rows)."""
    total = 0
    for site_id in ids:
        try:
            status, rows = call_api(
                "GET", f"/api/v1/sites/{site_id}/allocations?limit={ALLOCATIONS_READ}", None, timeout=60
            )
        except OSError:  # a server still catching up: counted as none rather than losing the run's figures
            continue
        if status == 200 and isinstance(rows, list):
            total += len(rows)
    return total


def _saturated(target: dict[str, Any] | None, version: str) -> tuple[float | None, float | None]:
    phases = ((target or {}).get(version) or {}).get("phases") or {}
    saturate = phases.get("saturate") or {}
    return saturate.get("msgs_per_s"), (saturate.get("server") or {}).get("cpu_us_per_msg")


def summary(sites: dict[str, Any], plain: dict[str, Any] | None) -> str:
    if "error" in sites:
        return f"sites: not measured: {sites['error']}"
    lines = [
        f"load controllers ({sites['sites_per_version']} sites of {SITE_SIZE} stations per version, "
        f"{SHARE_A:.0f} A per station on average):"
    ]
    for version, label in (("v16", "1.6"), ("v201", "2.0.1")):
        ours, cpu = _saturated(sites, version)
        theirs, plain_cpu = _saturated(plain, version)
        ratio = f"{ours / theirs:.0%} of" if ours and theirs else "against"
        calls = ((sites.get(version) or {}).get("server_calls") or {}).get("SetChargingProfile", 0)
        saturate = ((sites.get(version) or {}).get("phases") or {}).get("saturate") or {}
        in_window = (saturate.get("server_calls") or {}).get("SetChargingProfile", 0)
        settle = ((sites.get(version) or {}).get("phases") or {}).get("settle") or {}
        last_call = settle.get("last_server_call_after_storm_began_s") or 0
        lines.append(f"  {label}: the storm's 0 A defaults given, the last {last_call:,.1f} s after the storm began")
        prepare = ((sites.get(version) or {}).get("phases") or {}).get("saturate_prepare") or {}
        if prepare.get("server_calls_settled_s") is not None:
            pushed = (prepare.get("server_calls") or {}).get("SetChargingProfile", 0)
            lines.append(
                f"  {label}: {prepare.get('stations', 0):,} transactions started at once: their {pushed:,} limits "
                f"sent, the last {prepare['server_calls_settled_s']:,.1f} s after the first start"
            )
        lines.append(
            f"  {label}: saturated {ours or 0:,.0f} msg/s ({cpu or 0:,.0f} µs CPU per message), {ratio} "
            f"{theirs or 0:,.0f} msg/s ({plain_cpu or 0:,.0f} µs) without sites; "
            f"{in_window:,} SetChargingProfile sent in its window ({calls:,} in all), "
            f"{sites.get(f'{version}_allocations', 0):,} reallocations recorded"
        )
    return "\n".join(lines)


def spread(rounds: list[dict[str, Any]]) -> str:
    """The sites target's saturated msg/s as a share of the sqlite target's, round by round (each round ran
    both in turn) and the median: on a shared machine one pair differs by as much as the 10% it is about."""
    lines = [f"load controllers over {len(rounds)} rounds (sites / sqlite, saturated msg/s):"]
    for version, label in (("v16", "1.6"), ("v201", "2.0.1")):
        shares: list[float] = []
        for targets in rounds:
            ours, _ = _saturated(targets.get("sites"), version)
            theirs, _ = _saturated(targets.get("sqlite"), version)
            if ours and theirs:
                shares.append(ours / theirs)
        if not shares:
            lines.append(f"  {label}: not measured (a round lacks the sqlite or the sites figure)")
            continue
        each = ", ".join(f"{share:.0%}" for share in shares)
        lines.append(f"  {label}: {each}; median {statistics.median(shares):.0%}")
    return "\n".join(lines)
