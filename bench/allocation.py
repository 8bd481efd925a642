"""What a reallocation costs: `allocate` for one large site, and for many small sites in a row, one core.

The cases this is for: the load controller reallocates a site whenever something there changes (a
transaction starts or ends, a meter sample shows a car taking less, a demand-response event begins), so
one reallocation of a large site must stay far below the controller's debounce, and a CSMS with many small
sites must be able to reallocate all of them at once (a grid signal for every site) in well under a second.

- large site: 200 (and 2,000) EVSEs under 10 circuits (the grid connection, three feeders, six distribution boards
  below them), a mix of three-phase cars and single-phase cars spread over L1..L3, a few offline stations
  (fixed), minimums of 6 A, maximums of 16 or 32 A, priorities and weights varied; tight enough that
  circuits saturate (most EVSEs get less than their maximum). Each strategy timed on its own.
- many sites: 500 sites of 20 EVSEs each (a connection and two feeders), all reallocated once: the total.

Inputs are built beforehand: only `allocate` is timed. Each figure is the median and the 99th percentile
of the repeats (a reallocation is a short call: its tail, not only its typical cost, is what matters).

    .venv/bin/python -m bench.allocation [--repeats 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from typing import Any

from voltline.areas.load_management.allocation import Circuit, Demand, Strategy, allocate

PHASE_SETS: tuple[tuple[int, ...], ...] = ((0, 1, 2), (0, 1, 2), (0, 1, 2), (0,), (1,), (2,))


def large_site(evses: int = 200, seed: int = 1) -> tuple[list[Circuit], list[Demand]]:
    """10 circuits: grid -> 3 feeders -> 2 boards each, EVSEs on the boards and feeders. The limits grow
    with the EVSEs so that the minimums fit but the maximums do not (about 1.6 x the minimums at the root):
    the sharing, not the pausing, is what is timed."""
    rng = random.Random(seed)
    scale = evses / 200
    circuits = [Circuit("grid", None, (1600.0 * scale,) * 3)]
    leaves: list[str] = []
    for f in range(3):
        circuits.append(Circuit(f"feeder{f}", "grid", (630.0 * scale,) * 3))
        leaves.append(f"feeder{f}")
        for b in range(2):
            circuits.append(Circuit(f"board{f}{b}", f"feeder{f}", (315.0 * scale,) * 3))
            leaves += [f"board{f}{b}"] * 2
    return circuits, [_demand(rng, n, leaves) for n in range(evses)]


def small_site(site: int, evses: int = 20) -> tuple[list[Circuit], list[Demand]]:
    """A 100 A connection with two 63 A feeders."""
    rng = random.Random(site)
    circuits = [
        Circuit("grid", None, (100.0, 100.0, 100.0)),
        Circuit("a", "grid", (63.0, 63.0, 63.0)),
        Circuit("b", "grid", (63.0, 63.0, 63.0)),
    ]
    return circuits, [_demand(rng, n, ["grid", "a", "a", "b", "b"]) for n in range(evses)]


def _demand(rng: random.Random, n: int, circuits: list[str]) -> Demand:
    return Demand(
        key=f"CP{n // 2}/{n % 2 + 1}",  # two EVSEs to a station
        circuit_id=rng.choice(circuits),
        phases=rng.choice(PHASE_SETS),
        min_a=6.0,
        max_a=rng.choice((16.0, 32.0, 32.0)),
        priority=rng.choice((0, 0, 0, 1, 2)),
        arrival=rng.uniform(0, 3600),
        weight=rng.uniform(0.5, 4.0),
        fixed_a=rng.choice((10.0, 16.0)) if rng.random() < 0.05 else None,
    )


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {"median_ms": statistics.median(ordered) * 1e3, "p99_ms": p99 * 1e3}


def measure(repeats: int = 200) -> dict[str, Any]:
    result: dict[str, Any] = {"repeats": repeats, "large_site": {}, "many_sites": {}}
    for evses, times in ((200, repeats), (2000, max(5, repeats // 10))):
        circuits, demands = large_site(evses)
        for strategy in Strategy:
            allocation = allocate(circuits, demands, strategy)  # warm-up, and the figures of the case
            samples = []
            for _ in range(times):
                began = time.perf_counter()
                allocate(circuits, demands, strategy)
                samples.append(time.perf_counter() - began)
            result["large_site"][f"{evses}/{strategy.value}"] = {
                **_ms(samples),
                "strategy": strategy.value,
                "evses": evses,
                "circuits": len(circuits),
                "repeats": times,
                "paused": len(allocation.paused),
                "at_max": sum(1 for d in demands if d.key in allocation.limits and allocation.limits[d.key] >= d.max_a),
            }
    sites = [small_site(n) for n in range(500)]
    rounds = max(5, repeats // 20)
    for strategy in Strategy:
        samples = []
        for _ in range(rounds):
            began = time.perf_counter()
            for site_circuits, site_demands in sites:
                allocate(site_circuits, site_demands, strategy)
            samples.append(time.perf_counter() - began)
        per_site = [s / len(sites) for s in samples]
        result["many_sites"][strategy.value] = {
            "sites": len(sites),
            "evses_per_site": 20,
            "rounds": rounds,
            "total_median_ms": statistics.median(samples) * 1e3,
            "total_max_ms": max(samples) * 1e3,
            "per_site_median_ms": statistics.median(per_site) * 1e3,
        }
    return result


def summary(result: dict[str, Any]) -> str:
    lines = []
    for figures in result["large_site"].values():
        lines.append(
            f"allocate, {figures['evses']} EVSEs under {figures['circuits']} circuits, {figures['strategy']}: "
            f"median {figures['median_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms "
            f"({figures['paused']} paused, {figures['at_max']} at their maximum; {figures['repeats']} repeats)"
        )
    for strategy, figures in result["many_sites"].items():
        lines.append(
            f"allocate, {figures['sites']} sites x {figures['evses_per_site']} EVSEs, {strategy}: "
            f"{figures['total_median_ms']:.1f} ms for all (max {figures['total_max_ms']:.1f} ms), "
            f"{figures['per_site_median_ms']:.3f} ms per site ({figures['rounds']} rounds)"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="the figures as JSON on stdout")
    args = parser.parse_args(argv)
    result = measure(args.repeats)
    if args.json:
        print(json.dumps(result))
        return
    print(summary(result))


if __name__ == "__main__":
    main()
