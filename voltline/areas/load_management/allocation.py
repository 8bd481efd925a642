"""Sharing a site's capacity among its EVSEs: the pure allocation function of load management.

Pure: standard library only, no I/O, no clock. The controller hands it the site's electrical tree (each
circuit's capacity per grid phase, base load already subtracted at the root) and one demand per EVSE, and
gets back a limit per EVSE that no circuit's phase can be overloaded by.

The order of the work is what makes the result defensible to a site operator:

1. Fixed demands (offline stations, refused profiles) are counted first, at what they may be drawing: they
   cannot be told otherwise. A circuit phase they alone overload is reported and has nothing left.
2. Minimums next, in a strict order (priority descending, then arrival ascending, then key): an EVSE either
   gets at least its minimum or is paused (0 A). Giving it something between would not charge the car and
   would still take capacity from others. Later arrivals are paused first, so a car already charging is not
   stopped because another one plugged in.
3. What is left is shared by the strategy, each EVSE capped at its maximum: max-min fair (EQUAL), strict
   classes (PRIORITY) or weighted (NEED).

The sharing is progressive filling computed event by event: between two events (a demand starts rising
above its minimum, reaches its maximum, or a circuit phase saturates) every circuit phase's slack falls
linearly, so the next event is found analytically. That costs O(events x circuit phases) rather than the
O(capacity / increment) of filling in small steps, and the answer is exact rather than within a step.

Limits are rounded down to `step_a` at the end (stations take one decimal), so rounding never exceeds a
limit; an admitted demand is never rounded below its minimum.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from voltline.areas.load_management.model import Strategy

__all__ = [
    "Allocation",
    "Circuit",
    "Demand",
    "Phases",
    "Strategy",
    "TreeError",
    "allocate",
    "validate_tree",
]

Phases = tuple[float, float, float]  # amperes on grid phases L1, L2, L3

# Amperes (and levels) equal to within this are equal: inputs are one-decimal figures and sums of them.
_EPSILON = 1e-9
_PHASE_NAMES = ("L1", "L2", "L3")
# Every valid `Demand.phases`: one to three distinct grid phase indices, in any order.
_VALID_PHASES = frozenset(itertools.chain.from_iterable(itertools.permutations(range(3), n) for n in (1, 2, 3)))


@dataclass(frozen=True, slots=True)
class Circuit:
    """A node of the site's electrical tree: the grid connection (the root) or a feeder below it."""

    circuit_id: str
    parent_id: str | None  # None: the root (the site's grid connection); exactly one root
    limit_a: Phases  # capacity per phase available to EVSEs (the caller already subtracted base load)


@dataclass(frozen=True, slots=True)
class Demand:
    """One EVSE as the allocation sees it. All currents are per phase, on each of `phases`."""

    key: str  # e.g. "CP1/1"
    circuit_id: str
    phases: tuple[int, ...]  # grid phase indices loaded (0, 1, 2): (1,) a single-phase car on L2
    min_a: float  # below this the EVSE cannot charge (0 allowed)
    max_a: float  # >= min_a
    priority: int = 0  # higher is served first (PRIORITY) and paused last
    arrival: float = 0.0  # e.g. epoch seconds of the transaction start; later arrivals are paused first
    weight: float = 1.0  # NEED: relative share (> 0)
    fixed_a: float | None = None  # not allocated: counted as drawing this much (offline station, refused profile)


@dataclass(frozen=True, slots=True)
class Allocation:
    """The result. `limits` has every non-fixed demand; fixed ones appear only in `load_a`."""

    limits: dict[str, float]  # key -> A per phase (0.0 for paused ones)
    paused: frozenset[str]  # non-fixed demands that could not get their minimum (limit 0)
    overloaded: tuple[str, ...]  # circuit ids where fixed loads alone exceed the limit on some phase (sorted)
    load_a: dict[str, Phases]  # circuit id -> allocated load per phase (fixed included), rolled up to ancestors


class TreeError(ValueError):
    """The circuits or demands cannot be allocated; the message names each problem."""


def validate_tree(circuits: Sequence[Circuit]) -> list[str]:
    """The tree's problems, each a sentence naming the circuit; [] when fine.

    Checked: exactly one root, unique ids, known parents, no cycle, no negative (or non-numeric) limit, and
    no child whose limit on a phase exceeds its parent's (such a child's extra capacity could never be used,
    which is almost always a typing error in the site's configuration).
    """
    return _structural_problems(circuits) + _limit_order_problems(circuits)


def _structural_problems(circuits: Sequence[Circuit]) -> list[str]:
    """The problems that make a tree impossible to allocate over (everything but the limit order)."""
    problems: list[str] = []
    roots = [c.circuit_id for c in circuits if c.parent_id is None]
    if not roots:
        problems.append("no root circuit: exactly one circuit must have no parent (the grid connection)")
    elif len(roots) > 1:
        problems.append(f"more than one root circuit: {', '.join(repr(r) for r in roots)} have no parent")
    seen: set[str] = set()
    for circuit in circuits:
        if circuit.circuit_id in seen:
            problems.append(f"circuit {circuit.circuit_id!r} is defined more than once")
        seen.add(circuit.circuit_id)
    for circuit in circuits:
        if circuit.parent_id is not None and circuit.parent_id not in seen:
            problems.append(f"circuit {circuit.circuit_id!r} has an unknown parent {circuit.parent_id!r}")
    for circuit in circuits:
        for phase, limit in enumerate(circuit.limit_a):
            if not limit >= 0.0 or math.isinf(limit):  # `not >=` also catches NaN
                problems.append(
                    f"circuit {circuit.circuit_id!r} has an invalid limit on {_PHASE_NAMES[phase]}: {limit} "
                    "(must be a finite number, not negative)"
                )
        if len(circuit.limit_a) != 3:
            problems.append(f"circuit {circuit.circuit_id!r} must have a limit for each of the 3 phases")
    parent = {c.circuit_id: c.parent_id for c in circuits}
    reported: set[str] = set()
    for start in parent:
        chain: list[str] = []
        node: str | None = start
        while node is not None and node in parent and node not in chain and node not in reported:
            chain.append(node)
            node = parent[node]
        if node is not None and node in chain:  # walked back onto the chain: a cycle
            cycle = chain[chain.index(node) :]
            if not reported.intersection(cycle):
                problems.append(f"circuits {' -> '.join(repr(c) for c in [*cycle, node])} form a cycle")
        reported.update(chain)
    return problems


def _limit_order_problems(circuits: Sequence[Circuit]) -> list[str]:
    """Children whose limit on a phase exceeds their parent's."""
    problems: list[str] = []
    by_id = {c.circuit_id: c for c in circuits}
    for circuit in circuits:
        parent = by_id.get(circuit.parent_id) if circuit.parent_id is not None else None
        if parent is None or len(circuit.limit_a) != 3 or len(parent.limit_a) != 3:
            continue
        for phase in range(3):
            if circuit.limit_a[phase] > parent.limit_a[phase] + _EPSILON:
                problems.append(
                    f"circuit {circuit.circuit_id!r} has a limit on {_PHASE_NAMES[phase]} "
                    f"({circuit.limit_a[phase]} A) above its parent {parent.circuit_id!r}'s "
                    f"({parent.limit_a[phase]} A)"
                )
    return problems


def allocate(
    circuits: Sequence[Circuit],
    demands: Sequence[Demand],
    strategy: Strategy = Strategy.EQUAL,
    *,
    step_a: float = 0.1,
) -> Allocation:
    """Limits for the non-fixed demands such that no circuit phase is overloaded (see the module docstring).

    Raises TreeError when the tree is not a tree (see `validate_tree`) or a demand is invalid: an unknown
    circuit, phases not distinct indices 0..2, negative or non-finite currents, min_a > max_a, weight <= 0,
    a key used twice. A child circuit whose limit exceeds its parent's is *not* an error here: the parent's
    limit applies to everything below it anyway, and the controller subtracts the base load from the root
    only, so the root can legitimately end up below a feeder's rating.
    """
    if not step_a > 0.0:
        raise ValueError(f"step_a must be positive, not {step_a}")
    problems = _structural_problems(circuits)
    if problems:
        raise TreeError("; ".join(problems))
    index = {c.circuit_id: n for n, c in enumerate(circuits)}
    parent_of = [index[c.parent_id] if c.parent_id is not None else -1 for c in circuits]
    paths: list[list[int]] = []  # circuit index -> its circuit and its ancestors, up to the root
    for n in range(len(circuits)):
        path = []
        node = n
        while node != -1:
            path.append(node)
            node = parent_of[node]
        paths.append(path)
    _check_demands(demands, index)
    # Sums in key order: the result must not depend on the order the caller lists demands in, not even in
    # the last bit of a float (it decides where a limit is rounded down to).
    demands = sorted(demands, key=lambda d: d.key)

    # Resources: one per (circuit, phase), numbered circuit * 3 + phase; each demand's, worked out once.
    resources_of = {d.key: _resources(paths[index[d.circuit_id]], d.phases) for d in demands}
    fixed_load = [0.0] * (3 * len(circuits))
    for demand in demands:
        if demand.fixed_a is not None:
            for resource in resources_of[demand.key]:
                fixed_load[resource] += demand.fixed_a
    slack = [0.0] * len(fixed_load)
    overloaded_set: set[str] = set()
    for n, circuit in enumerate(circuits):
        for phase in range(3):
            left = circuit.limit_a[phase] - fixed_load[3 * n + phase]
            if left < -_EPSILON:
                overloaded_set.add(circuit.circuit_id)
            slack[3 * n + phase] = max(left, 0.0)

    # Minimums, in the admission order.
    flexible = sorted((d for d in demands if d.fixed_a is None), key=lambda d: (-d.priority, d.arrival, d.key))
    admitted: list[_Filling] = []
    paused: set[str] = set()
    for demand in flexible:
        resources = resources_of[demand.key]
        if demand.min_a > 0.0 and any(slack[r] - demand.min_a < -_EPSILON for r in resources):
            paused.add(demand.key)
            continue
        for r in resources:
            slack[r] = max(slack[r] - demand.min_a, 0.0)
        weight = demand.weight if strategy is Strategy.NEED else 1.0
        admitted.append(_Filling(demand, resources, weight))

    # The rest, by strategy.
    if strategy is Strategy.PRIORITY:
        classes: dict[int, list[_Filling]] = {}
        for filling in admitted:
            classes.setdefault(filling.demand.priority, []).append(filling)
        for priority in sorted(classes, reverse=True):
            _fill(classes[priority], slack)
    else:
        _fill(admitted, slack)

    limits: dict[str, float] = {d.key: 0.0 for d in flexible}
    for filling in admitted:
        demand = filling.demand
        # Down to a whole number of steps; the epsilon keeps 33.3 from becoming 33.2 through float residue
        # (it can exceed the exact share by a billionth of a step, far below any meter's resolution).
        rounded = round(math.floor(filling.value / step_a + _EPSILON) * step_a, 9)
        limits[demand.key] = float(max(demand.min_a, rounded))

    load = [0.0] * len(fixed_load)
    for demand in demands:
        amperes = demand.fixed_a if demand.fixed_a is not None else limits[demand.key]
        if amperes:
            for resource in resources_of[demand.key]:
                load[resource] += amperes
    return Allocation(
        limits=limits,
        paused=frozenset(paused),
        overloaded=tuple(sorted(overloaded_set)),
        load_a={c.circuit_id: _phases(load, n) for n, c in enumerate(circuits)},
    )


def _check_demands(demands: Sequence[Demand], index: dict[str, int]) -> None:
    problems: list[str] = []
    keys: set[str] = set()
    for demand in demands:
        # The common case first, in one expression: a valid demand (every reallocation checks them all).
        if (
            demand.key not in keys
            and demand.circuit_id in index
            and demand.phases in _VALID_PHASES
            and 0.0 <= demand.min_a <= demand.max_a + _EPSILON
            and 0.0 <= demand.max_a < math.inf
            and (demand.fixed_a is None or 0.0 <= demand.fixed_a < math.inf)
            and 0.0 < demand.weight < math.inf
        ):
            keys.add(demand.key)
            continue
        name = f"demand {demand.key!r}"
        if demand.key in keys:
            problems.append(f"{name} is given more than once")
        keys.add(demand.key)
        if demand.circuit_id not in index:
            problems.append(f"{name} names an unknown circuit {demand.circuit_id!r}")
        if demand.phases not in _VALID_PHASES:
            problems.append(f"{name} has bad phases {demand.phases!r} (distinct grid phase indices 0, 1, 2)")
        for field in ("min_a", "max_a", "fixed_a"):
            value = getattr(demand, field)
            if value is not None and (not value >= 0.0 or math.isinf(value)):
                problems.append(f"{name} has an invalid {field} {value} (must be a finite number, not negative)")
        if demand.min_a > demand.max_a + _EPSILON:
            problems.append(f"{name} has min_a {demand.min_a} above max_a {demand.max_a}")
        if not demand.weight > 0.0 or math.isinf(demand.weight):
            problems.append(f"{name} has an invalid weight {demand.weight} (must be a finite number above 0)")
    if problems:
        raise TreeError("; ".join(problems))


def _phases(load: list[float], circuit: int) -> Phases:
    """A circuit's load per phase, without the float residue of the sums (31.799999999999997 is 31.8)."""
    return (round(load[3 * circuit], 9), round(load[3 * circuit + 1], 9), round(load[3 * circuit + 2], 9))


def _resources(path: list[int], phases: tuple[int, ...]) -> list[int]:
    return [3 * circuit + phase for circuit in path for phase in phases]


class _Filling:
    """A demand being filled: its level is clamp(weight * t, min_a, max_a) until it freezes."""

    __slots__ = ("demand", "frozen", "resources", "rising", "value", "weight")

    def __init__(self, demand: Demand, resources: list[int], weight: float) -> None:
        self.demand = demand
        self.resources = resources
        self.weight = weight
        self.value = demand.min_a
        self.frozen = False
        self.rising = False


def _fill(members: list[_Filling], slack: list[float]) -> None:
    """Progressive filling of `members` from their minimums into `slack` (mutated: what is left after).

    `t` rises from 0; a member rises (at `weight` A per unit of t) once weight * t passes its minimum, and
    freezes at its maximum or when a resource it uses has no slack left. Events are the breakpoints (a
    member starts rising, a member reaches its maximum) and saturations; between two, every resource's slack
    falls at the sum of the weights rising on it, so the next saturation is slack / slope away.
    """
    if not members:
        return
    users: dict[int, list[_Filling]] = {}  # resource -> members using it
    for member in members:
        for r in member.resources:
            users.setdefault(r, []).append(member)
    slope = dict.fromkeys(users, 0.0)
    rising_on = dict.fromkeys(users, 0)  # counted apart from the slope so that float residue cannot keep it > 0
    # Breakpoints: (t, kind, member); kind 0 = starts rising, 1 = reaches its maximum. Members with
    # min == max never rise and are done already.
    breakpoints: list[tuple[float, int, int]] = []
    for n, member in enumerate(members):
        demand = member.demand
        if demand.max_a - demand.min_a <= _EPSILON:
            member.frozen = True
            continue
        breakpoints.append((demand.min_a / member.weight, 0, n))
        breakpoints.append((demand.max_a / member.weight, 1, n))
    breakpoints.sort()
    unfrozen = sum(1 for m in members if not m.frozen)
    t = 0.0
    next_bp = 0
    active: set[int] = set()  # resources with a rising member

    def freeze(member: _Filling, at: float) -> None:
        nonlocal unfrozen
        if member.frozen:
            return
        member.frozen = True
        unfrozen -= 1
        demand = member.demand
        member.value = min(max(member.weight * at, demand.min_a), demand.max_a)
        if member.rising:  # it no longer loads the slopes
            member.rising = False
            for r in member.resources:
                rising_on[r] -= 1
                if rising_on[r] == 0:
                    slope[r] = 0.0
                    active.discard(r)
                else:
                    slope[r] -= member.weight

    while unfrozen:
        # The next event: the next breakpoint or the first saturation, whichever comes first.
        t_next = breakpoints[next_bp][0] if next_bp < len(breakpoints) else math.inf
        first: int | None = None
        for r in active:
            at = t + slack[r] / slope[r]
            if at < t_next:
                t_next, first = at, r
        if math.isinf(t_next):  # cannot happen (an unfrozen member has a breakpoint ahead); be safe
            break
        dt = t_next - t
        saturated: list[int] = []
        for r in active:
            slack[r] -= slope[r] * dt
            if slack[r] <= _EPSILON:
                saturated.append(r)
        if first is not None:
            slack[first] = 0.0
            if first not in saturated:
                saturated.append(first)
        t = t_next
        for r in saturated:
            slack[r] = max(slack[r], 0.0)
            for member in users[r]:
                if not member.frozen:
                    freeze(member, t)
        # Breakpoints at (or within rounding of) t: members start rising or reach their maximum.
        while next_bp < len(breakpoints) and breakpoints[next_bp][0] <= t + _EPSILON:
            _, kind, n = breakpoints[next_bp]
            next_bp += 1
            member = members[n]
            if member.frozen:
                continue
            if kind == 1:
                freeze(member, breakpoints[next_bp - 1][0])
                continue
            if any(slack[r] <= _EPSILON for r in member.resources):  # nothing left where it would rise
                freeze(member, t)
                continue
            member.rising = True
            for r in member.resources:
                rising_on[r] += 1
                slope[r] += member.weight
                active.add(r)
