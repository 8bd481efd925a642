"""What holds for every allocation, over random trees and demands (hypothesis): no circuit phase is
overloaded, every EVSE is paused or within its range, pausing happens exactly where a minimum did not fit,
no capacity is left that a capped EVSE could have used, and the share is fair by the strategy's rule.

The checks are written from the documented semantics, not from the implementation: admission is
recomputed here in the documented order, and "fair" is stated on the result (each EVSE below its maximum
has a saturated circuit phase on which nobody it competes with got more than its share)."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from voltline.areas.load_management.allocation import Allocation, Circuit, Demand, Strategy, allocate

STEP = 0.1
EPS = 1e-6
Resource = tuple[str, int]  # (circuit id, phase)


@st.composite
def trees(draw: st.DrawFn) -> list[Circuit]:
    """A root and up to 5 circuits below earlier ones; a child's limit usually within its parent's."""
    count = draw(st.integers(1, 6))
    amps = st.integers(0, 1000).map(lambda n: n / 10)  # 0.0 .. 100.0 A, one decimal
    circuits = [Circuit("c0", None, (draw(amps), draw(amps), draw(amps)))]
    for n in range(1, count):
        parent = draw(st.sampled_from(circuits))
        limits = tuple(min(draw(amps), parent.limit_a[p]) if draw(st.integers(0, 5)) else draw(amps) for p in range(3))
        circuits.append(Circuit(f"c{n}", parent.circuit_id, (limits[0], limits[1], limits[2])))
    return circuits


PHASE_SETS = [(0,), (1,), (2,), (0, 1, 2), (2, 0, 1), (0, 1), (1, 2)]
WEIGHTS = [0.1, 0.5, 1.0, 1.0, 2.0, 3.0, 7.5]


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[Circuit], list[Demand], Strategy]:
    """A tree and up to 25 demands on it. Few draws per demand, each a plain integer (data generation is
    most of the cost here): minimums in tenths of an ampere, 6 A often; a fixed load for a quarter of them."""
    circuits = draw(trees())
    ids = [c.circuit_id for c in circuits]
    demands: list[Demand] = []
    for n in range(draw(st.integers(0, 25))):
        min_tenths = draw(st.integers(-100, 300))
        min_a = 6.0 if min_tenths < 0 else min_tenths / 10  # a third of them at the usual 6 A
        fixed_tenths = draw(st.integers(-1200, 400))
        demands.append(
            Demand(
                key=f"d{n}",
                circuit_id=ids[draw(st.integers(0, len(ids) - 1))],
                phases=PHASE_SETS[draw(st.integers(0, len(PHASE_SETS) - 1))],
                min_a=min_a,
                max_a=min_a + draw(st.integers(0, 600)) / 10,
                priority=draw(st.integers(0, 2)),
                arrival=float(draw(st.integers(0, 5))),
                weight=WEIGHTS[draw(st.integers(0, len(WEIGHTS) - 1))],
                fixed_a=None if fixed_tenths < 0 else fixed_tenths / 10,
            )
        )
    return circuits, demands, list(Strategy)[draw(st.integers(0, 2))]


def path_of(circuits: list[Circuit], circuit_id: str) -> list[str]:
    parent = {c.circuit_id: c.parent_id for c in circuits}
    path: list[str] = []
    node: str | None = circuit_id
    while node is not None:
        path.append(node)
        node = parent[node]
    return path


def resources_of(circuits: list[Circuit], demand: Demand) -> list[Resource]:
    return [(c, p) for c in path_of(circuits, demand.circuit_id) for p in demand.phases]


def limit_of(circuits: list[Circuit]) -> dict[Resource, float]:
    return {(c.circuit_id, p): c.limit_a[p] for c in circuits for p in range(3)}


def fixed_load(circuits: list[Circuit], demands: list[Demand]) -> dict[Resource, float]:
    load: dict[Resource, float] = defaultdict(float)
    for d in demands:
        if d.fixed_a is not None:
            for r in resources_of(circuits, d):
                load[r] += d.fixed_a
    return load


def expected_paused(circuits: list[Circuit], demands: list[Demand]) -> set[str]:
    """Admission as documented: fixed loads first (never below 0 left), then the minimums in the order
    priority descending, arrival ascending, key; one whose minimum does not fit everywhere is paused."""
    fixed = fixed_load(circuits, demands)
    left = {r: max(limit - fixed[r], 0.0) for r, limit in limit_of(circuits).items()}
    paused: set[str] = set()
    for d in sorted((d for d in demands if d.fixed_a is None), key=lambda d: (-d.priority, d.arrival, d.key)):
        resources = resources_of(circuits, d)
        if d.min_a > 0 and any(left[r] < d.min_a - 1e-9 for r in resources):
            paused.add(d.key)
        else:
            for r in resources:
                left[r] -= d.min_a
    return paused


def final_load(circuits: list[Circuit], demands: list[Demand], result: Allocation) -> dict[Resource, float]:
    load: dict[Resource, float] = defaultdict(float)
    for d in demands:
        amperes = d.fixed_a if d.fixed_a is not None else result.limits[d.key]
        for r in resources_of(circuits, d):
            load[r] += amperes
    return load


@settings(max_examples=300, deadline=None)
@given(cases())
def test_every_allocation_is_safe_complete_and_fair(case: tuple[list[Circuit], list[Demand], Strategy]) -> None:
    circuits, demands, strategy = case
    result = allocate(circuits, demands, strategy, step_a=STEP)
    flexible = [d for d in demands if d.fixed_a is None]
    limits = limit_of(circuits)
    fixed = fixed_load(circuits, demands)
    load = final_load(circuits, demands, result)
    overloaded = {r for r, limit in limits.items() if fixed[r] > limit + 1e-9}

    # Exactly the non-fixed demands are allocated; fixed ones are only counted.
    assert set(result.limits) == {d.key for d in flexible}
    assert result.overloaded == tuple(sorted({c for c, _ in overloaded}))

    # load_a is the rolled-up load of the final limits.
    for (c, p), amperes in load.items():
        assert abs(result.load_a[c][p] - amperes) < EPS

    # Safe: no circuit phase above its limit, and nothing non-fixed on a phase fixed loads already overload.
    for r, limit in limits.items():
        if r not in overloaded:
            assert load[r] <= limit + EPS, (r, load[r], limit)
    for d in flexible:
        if overloaded.intersection(resources_of(circuits, d)):
            assert result.limits[d.key] == 0.0

    # Paused with 0, or within [min, max]; paused exactly where the minimum did not fit.
    assert result.paused == expected_paused(circuits, demands)
    for d in flexible:
        limit = result.limits[d.key]
        if d.key in result.paused:
            assert limit == 0.0
        else:
            assert d.min_a - EPS <= limit <= d.max_a + EPS, (d, limit)

    # Nothing left unused and fair: an admitted demand below its maximum has a circuit phase on its path that
    # is full (within what rounding down loses: under a step per demand there) and on which nobody it
    # competes with got more than its share (or is at its own minimum).
    admitted = [d for d in flexible if d.key not in result.paused]
    on: dict[Resource, list[Demand]] = defaultdict(list)
    for d in admitted:
        for r in resources_of(circuits, d):
            on[r].append(d)
    for d in admitted:
        mine = result.limits[d.key]
        if mine >= d.max_a - STEP - EPS:
            continue
        assert any(
            limits[r] - load[r] < STEP * len(on[r]) + EPS
            and all(fair(strategy, d, mine, o, result.limits[o.key]) for o in on[r])
            for r in resources_of(circuits, d)
        ), (d, mine, strategy)


def fair(strategy: Strategy, mine: Demand, my_limit: float, other: Demand, its_limit: float) -> bool:
    """Whether `other` sharing `mine`'s bottleneck got no more than the strategy allows, given `mine` got
    `my_limit` (within a step of rounding)."""
    if its_limit <= other.min_a + EPS:
        return True  # at its minimum: admitted before any sharing
    if strategy is Strategy.PRIORITY:
        if other.priority > mine.priority:
            return True  # a higher class is served first
        if other.priority < mine.priority:
            return False  # a lower class gets more than its minimum only once the higher ones are satisfied
        return its_limit <= my_limit + STEP + EPS
    if strategy is Strategy.NEED:
        return its_limit <= (my_limit + STEP) * other.weight / mine.weight + EPS
    return its_limit <= my_limit + STEP + EPS


@settings(max_examples=100, deadline=None)
@given(cases(), st.randoms(use_true_random=False))
def test_the_order_demands_are_given_in_does_not_matter(
    case: tuple[list[Circuit], list[Demand], Strategy], random: object
) -> None:
    circuits, demands, strategy = case
    shuffled = list(demands)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert allocate(circuits, shuffled, strategy) == allocate(circuits, demands, strategy)


@settings(max_examples=100, deadline=None)
@given(cases())
def test_strategies_agree_on_who_is_paused(case: tuple[list[Circuit], list[Demand], Strategy]) -> None:
    # Pausing is decided by the minimums alone, before any strategy shares the rest.
    circuits, demands, _ = case
    paused = {allocate(circuits, demands, s).paused for s in Strategy}
    assert len(paused) == 1
