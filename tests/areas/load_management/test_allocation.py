"""The allocation function case by case: each strategy, phases, nested circuits, minimums and pausing,
fixed loads, rounding, and each problem of a tree or a demand."""

from __future__ import annotations

import pytest

from voltline.areas.load_management.allocation import (
    Allocation,
    Circuit,
    Demand,
    Strategy,
    TreeError,
    allocate,
    validate_tree,
)

THREE = (0, 1, 2)


def site(limit: float) -> list[Circuit]:
    return [Circuit("grid", None, (limit, limit, limit))]


def car(key: str, *, circuit: str = "grid", phases: tuple[int, ...] = THREE, **fields: object) -> Demand:
    values: dict[str, object] = {"min_a": 6.0, "max_a": 32.0, **fields}
    return Demand(key, circuit, phases, **values)  # type: ignore[arg-type]


# -- EQUAL


def test_equal_share_of_100_a_among_three_three_phase_cars() -> None:
    result = allocate(site(100), [car(k, max_a=50.0) for k in "abc"])
    assert result.limits == {"a": 33.3, "b": 33.3, "c": 33.3}
    assert result.paused == frozenset()
    assert result.overloaded == ()
    assert result.load_a == {"grid": (99.9, 99.9, 99.9)}


def test_a_car_capped_at_its_maximum_leaves_the_rest_to_the_others() -> None:
    result = allocate(site(100), [car("slow", max_a=10.0), car("b", max_a=50.0), car("c", max_a=50.0)])
    assert result.limits == {"slow": 10.0, "b": 45.0, "c": 45.0}


def test_everyone_at_maximum_when_there_is_room() -> None:
    result = allocate(site(100), [car(k) for k in "abc"])
    assert result.limits == {"a": 32.0, "b": 32.0, "c": 32.0}
    assert result.load_a["grid"] == (96.0, 96.0, 96.0)


def test_a_single_phase_car_makes_its_phase_the_bottleneck_of_the_three_phase_cars() -> None:
    # L2 carries all three cars; a three-phase car loads all its phases equally, so L1 and L3's room
    # cannot be used beyond what L2 allows: 32 / 3 each, rounded down.
    result = allocate(site(32), [car("one", phases=(1,)), car("t1"), car("t2")])
    assert result.limits == {"one": 10.6, "t1": 10.6, "t2": 10.6}
    assert result.load_a["grid"] == pytest.approx((21.2, 31.8, 21.2))


def test_a_single_phase_car_on_its_own_small_subcircuit_gives_the_rest_of_l2_to_the_others() -> None:
    circuits = [*site(32), Circuit("garage", "grid", (8.0, 8.0, 8.0))]
    result = allocate(circuits, [car("one", circuit="garage", phases=(1,)), car("t1"), car("t2")])
    assert result.limits == {"one": 8.0, "t1": 12.0, "t2": 12.0}
    assert result.load_a["garage"] == (0.0, 8.0, 0.0)
    assert result.load_a["grid"] == (24.0, 32.0, 24.0)


def test_single_phase_cars_on_different_phases_do_not_share() -> None:
    result = allocate(site(20), [car("l1a", phases=(0,)), car("l1b", phases=(0,)), car("l3", phases=(2,))])
    assert result.limits == {"l1a": 10.0, "l1b": 10.0, "l3": 20.0}


def test_nested_feeder_limits_its_cars_and_the_root_gets_the_rest() -> None:
    circuits = [*site(100), Circuit("feeder", "grid", (32.0, 32.0, 32.0))]
    demands = [car("f1", circuit="feeder"), car("f2", circuit="feeder"), car("r1", max_a=63.0), car("r2", max_a=63.0)]
    result = allocate(circuits, demands)
    # The feeder's two cars get 16 each; the root's other 68 A go to the two cars on it.
    assert result.limits == {"f1": 16.0, "f2": 16.0, "r1": 34.0, "r2": 34.0}
    assert result.load_a == {"feeder": (32.0, 32.0, 32.0), "grid": (100.0, 100.0, 100.0)}


def test_three_levels_deep() -> None:
    circuits = [
        *site(50),
        Circuit("hall", "grid", (40.0, 40.0, 40.0)),
        Circuit("row", "hall", (20.0, 20.0, 20.0)),
    ]
    demands = [car("r1", circuit="row"), car("r2", circuit="row"), car("h1", circuit="hall"), car("g1")]
    result = allocate(circuits, demands)
    # The row saturates first (2 x 10 = 20); then h1 and g1 rise until the root is full: 20 + 2 x 15 = 50.
    assert result.limits == {"r1": 10.0, "r2": 10.0, "h1": 15.0, "g1": 15.0}
    assert result.load_a == {"row": (20.0,) * 3, "hall": (35.0,) * 3, "grid": (50.0,) * 3}
    result = allocate(
        circuits, [car("r1", circuit="row"), car("r2", circuit="row"), car("r3", circuit="row"), car("g1")]
    )
    # The row saturates at 20 / 3 = 6.67 each (rounded down); the root's car takes the rest up to its maximum.
    assert result.limits == {"r1": 6.6, "r2": 6.6, "r3": 6.6, "g1": 30.0}


def test_limits_are_rounded_down_to_the_step() -> None:
    result = allocate(site(10), [car(k, min_a=0.0) for k in "abc"], step_a=0.5)
    assert result.limits == {"a": 3.0, "b": 3.0, "c": 3.0}
    result = allocate(site(10), [car(k, min_a=0.0) for k in "abc"])
    assert result.limits == {"a": 3.3, "b": 3.3, "c": 3.3}


def test_a_minimum_that_is_not_a_multiple_of_the_step_is_kept() -> None:
    result = allocate(site(12.1), [car("a", min_a=6.05), car("b", min_a=6.05)])
    assert result.limits == {"a": 6.05, "b": 6.05}


def test_a_minimum_above_the_water_level_stays_at_its_minimum() -> None:
    result = allocate(site(30), [car("big", min_a=16.0), car("a", min_a=0.0), car("b", min_a=0.0)])
    # 14 A are left after big's minimum; a and b rise to 7 each, below 16, so big stays at 16.
    assert result.limits == {"big": 16.0, "a": 7.0, "b": 7.0}


# -- minimums and pausing


def test_four_cars_of_6_a_minimum_on_20_a_the_latest_arrival_is_paused() -> None:
    demands = [car(f"c{n}", arrival=float(arrival)) for n, arrival in enumerate((30, 10, 40, 20))]
    result = allocate(site(20), demands)
    assert result.paused == frozenset({"c2"})  # arrived at 40, the latest
    assert result.limits["c2"] == 0.0
    assert {k: v for k, v in result.limits.items() if k != "c2"} == {"c0": 6.6, "c1": 6.6, "c3": 6.6}


def test_priority_overrides_arrival_when_pausing() -> None:
    demands = [car(f"c{n}", arrival=float(n)) for n in range(3)] + [car("vip", arrival=99.0, priority=1)]
    result = allocate(site(20), demands)
    assert result.paused == frozenset({"c2"})
    assert result.limits["vip"] >= 6.0


def test_equal_arrivals_are_paused_by_key() -> None:
    result = allocate(site(13), [car("b"), car("a"), car("c")])
    assert result.paused == frozenset({"c"})
    assert result.limits == {"a": 6.5, "b": 6.5, "c": 0.0}


def test_a_paused_car_does_not_block_a_smaller_later_one() -> None:
    # After a's 10 A minimum, 5 A are left: b (min 6) does not fit, c (min 4) does and rises to the last 1 A.
    result = allocate(
        site(15), [car("a", min_a=10.0, arrival=1.0), car("b", arrival=2.0), car("c", min_a=4.0, arrival=3.0)]
    )
    assert result.paused == frozenset({"b"})
    assert result.limits == {"a": 10.0, "b": 0.0, "c": 5.0}


def test_a_zero_minimum_is_always_admitted() -> None:
    result = allocate(site(6), [car("a"), car("zero", min_a=0.0, arrival=5.0)])
    assert result.paused == frozenset()
    assert result.limits == {"a": 6.0, "zero": 0.0}


def test_a_minimum_has_to_fit_on_every_circuit_of_its_path() -> None:
    circuits = [*site(40), Circuit("feeder", "grid", (10.0, 10.0, 10.0))]
    demands = [
        car("f1", circuit="feeder", arrival=1.0),
        car("f2", circuit="feeder", arrival=2.0),
        car("g", arrival=3.0),
    ]
    result = allocate(circuits, demands)
    assert result.paused == frozenset({"f2"})
    assert result.limits == {"f1": 10.0, "f2": 0.0, "g": 30.0}


def test_a_single_phase_minimum_only_needs_its_own_phase() -> None:
    result = allocate(site(20), [car("t1", arrival=1.0), car("t2", arrival=2.0), car("one", phases=(0,), arrival=3.0)])
    # L1 has 8 A left after the two three-phase minimums: the single-phase car fits.
    assert result.paused == frozenset()
    result = allocate(site(12), [car("t1", arrival=1.0), car("t2", arrival=2.0), car("one", phases=(0,), arrival=3.0)])
    assert result.paused == frozenset({"one"})


# -- fixed demands


def test_an_offline_station_is_counted_at_its_fixed_current() -> None:
    demands = [car("offline", fixed_a=20.0), car("a"), car("b")]
    result = allocate(site(50), demands)
    assert "offline" not in result.limits
    assert result.limits == {"a": 15.0, "b": 15.0}
    assert result.load_a["grid"] == (50.0, 50.0, 50.0)
    assert result.overloaded == ()


def test_fixed_loads_that_exceed_a_circuit_are_reported_and_leave_nothing() -> None:
    circuits = [*site(100), Circuit("feeder", "grid", (16.0, 16.0, 16.0))]
    demands = [
        car("off1", circuit="feeder", phases=(0,), fixed_a=10.0),
        car("off2", circuit="feeder", phases=(0,), fixed_a=10.0),
        car("same_phase", circuit="feeder", phases=(0,)),
        car("other_phase", circuit="feeder", phases=(1,)),
        car("three", circuit="feeder"),
        car("zero", circuit="feeder", phases=(0,), min_a=0.0),
    ]
    result = allocate(circuits, demands)
    assert result.overloaded == ("feeder",)
    # L1 of the feeder has nothing left (not less than nothing): whatever loads L1 gets 0.
    assert result.paused == frozenset({"same_phase", "three"})
    assert result.limits == {"same_phase": 0.0, "other_phase": 16.0, "three": 0.0, "zero": 0.0}
    assert result.load_a["feeder"] == (20.0, 16.0, 0.0)
    assert result.load_a["grid"] == (20.0, 16.0, 0.0)


def test_overloaded_circuits_are_sorted() -> None:
    circuits = [*site(100), Circuit("z", "grid", (5.0, 5.0, 5.0)), Circuit("a", "grid", (5.0, 5.0, 5.0))]
    result = allocate(circuits, [car("x", circuit="z", fixed_a=6.0), car("y", circuit="a", fixed_a=6.0)])
    assert result.overloaded == ("a", "z")
    assert result.limits == {}


def test_a_fixed_load_exactly_at_the_limit_is_not_an_overload() -> None:
    result = allocate(site(16), [car("off", fixed_a=16.0), car("a", min_a=0.0)])
    assert result.overloaded == ()
    assert result.limits == {"a": 0.0}


# -- PRIORITY


def test_priority_serves_the_higher_class_fully_first() -> None:
    demands = [car("low1"), car("low2"), car("high", priority=2, max_a=30.0), car("mid", priority=1, max_a=20.0)]
    result = allocate(site(64), demands, Strategy.PRIORITY)
    # Minimums first (4 x 6 = 24); then high to 30, mid to 20, and the lows share 64 - 50 = 14 -> 7 each.
    assert result.limits == {"high": 30.0, "mid": 20.0, "low1": 7.0, "low2": 7.0}


def test_priority_keeps_the_lower_class_at_its_minimum_when_the_higher_takes_everything() -> None:
    demands = [car("low"), car("high1", priority=1, max_a=40.0), car("high2", priority=1, max_a=40.0)]
    result = allocate(site(50), demands, Strategy.PRIORITY)
    assert result.limits == {"high1": 22.0, "high2": 22.0, "low": 6.0}


def test_equal_ignores_priority_except_for_pausing() -> None:
    demands = [car("low"), car("high", priority=5)]
    assert allocate(site(40), demands, Strategy.EQUAL).limits == {"high": 20.0, "low": 20.0}
    assert allocate(site(40), demands, Strategy.PRIORITY).limits == {"high": 32.0, "low": 8.0}


# -- NEED


def test_need_shares_in_proportion_to_the_weights() -> None:
    demands = [car("a", weight=1.0, max_a=40.0), car("b", weight=3.0, max_a=40.0)]
    result = allocate(site(40), demands, Strategy.NEED)
    assert result.limits == {"a": 10.0, "b": 30.0}


def test_need_respects_minimums_and_maximums() -> None:
    demands = [car("a", weight=1.0), car("b", weight=10.0, max_a=16.0), car("c", weight=2.0)]
    result = allocate(site(48), demands, Strategy.NEED)
    # b is capped at 16; a (min 6 until t = 6) and c (2t) share the other 32: 2t + max(t, 6) = 32 -> t = 10.67.
    assert result.limits == {"a": 10.6, "b": 16.0, "c": 21.3}


def test_weights_do_not_matter_for_equal() -> None:
    demands = [car("a", weight=1.0, max_a=40.0), car("b", weight=3.0, max_a=40.0)]
    assert allocate(site(40), demands, Strategy.EQUAL).limits == {"a": 20.0, "b": 20.0}


# -- validation


def test_a_good_tree_has_no_problems() -> None:
    tree = [*site(100), Circuit("a", "grid", (32.0, 32.0, 32.0)), Circuit("b", "a", (16.0, 0.0, 16.0))]
    assert validate_tree(tree) == []


@pytest.mark.parametrize(
    ("tree", "words"),
    [
        ([Circuit("a", "b", (1.0, 1.0, 1.0)), Circuit("b", "a", (1.0, 1.0, 1.0))], ["no root"]),
        ([*site(10), Circuit("other", None, (5.0, 5.0, 5.0))], ["more than one root", "'grid'", "'other'"]),
        (
            [*site(10), Circuit("a", "grid", (5.0, 5.0, 5.0)), Circuit("a", "grid", (5.0, 5.0, 5.0))],
            ["'a'", "more than once"],
        ),
        ([*site(10), Circuit("a", "nowhere", (5.0, 5.0, 5.0))], ["'a'", "unknown parent", "'nowhere'"]),
        (
            [*site(10), Circuit("a", "b", (5.0, 5.0, 5.0)), Circuit("b", "a", (5.0, 5.0, 5.0))],
            ["cycle", "'a'", "'b'"],
        ),
        ([*site(10), Circuit("self", "self", (5.0, 5.0, 5.0))], ["cycle", "'self'"]),
        ([*site(10), Circuit("big", "grid", (5.0, 12.0, 5.0))], ["'big'", "L2", "above its parent", "'grid'"]),
        ([Circuit("grid", None, (10.0, -1.0, 10.0))], ["'grid'", "L2", "negative"]),
        ([Circuit("grid", None, (10.0, float("nan"), 10.0))], ["'grid'", "L2"]),
    ],
    ids=[
        "no-root",
        "two-roots",
        "duplicate",
        "unknown-parent",
        "cycle",
        "self-parent",
        "child-above-parent",
        "negative",
        "nan",
    ],
)
def test_each_tree_problem_is_named(tree: list[Circuit], words: list[str]) -> None:
    problems = validate_tree(tree)
    assert len(problems) >= 1
    text = " ".join(problems)
    for word in words:
        assert word in text, (word, problems)


def test_a_cycle_is_reported_once() -> None:
    tree = [
        *site(10),
        Circuit("a", "c", (1.0, 1.0, 1.0)),
        Circuit("b", "a", (1.0, 1.0, 1.0)),
        Circuit("c", "b", (1.0, 1.0, 1.0)),
    ]
    problems = validate_tree(tree)
    assert len(problems) == 1
    assert "cycle" in problems[0]


def test_allocate_refuses_a_bad_tree() -> None:
    with pytest.raises(TreeError, match="unknown parent"):
        allocate([*site(10), Circuit("a", "nowhere", (5.0, 5.0, 5.0))], [car("x")])
    with pytest.raises(TreeError, match="no root"):
        allocate([], [])


def test_allocate_accepts_a_child_above_its_parent_since_the_parent_still_limits() -> None:
    # The controller subtracts the base load from the root only: the root can fall below a feeder's rating.
    circuits = [*site(20), Circuit("feeder", "grid", (32.0, 32.0, 32.0))]
    result = allocate(circuits, [car("a", circuit="feeder"), car("b", circuit="feeder")])
    assert result.limits == {"a": 10.0, "b": 10.0}


@pytest.mark.parametrize(
    ("demand", "words"),
    [
        (car("x", circuit="nowhere"), ["'x'", "unknown circuit", "'nowhere'"]),
        (car("x", phases=()), ["'x'", "phases"]),
        (car("x", phases=(3,)), ["'x'", "phases"]),
        (car("x", phases=(1, 1)), ["'x'", "phases"]),
        (car("x", min_a=10.0, max_a=6.0), ["'x'", "min_a", "max_a"]),
        (car("x", min_a=-1.0), ["'x'", "min_a"]),
        (car("x", weight=0.0), ["'x'", "weight"]),
        (car("x", fixed_a=-3.0), ["'x'", "fixed_a"]),
    ],
    ids=[
        "unknown-circuit",
        "no-phases",
        "phase-3",
        "repeated-phase",
        "min-above-max",
        "negative-min",
        "zero-weight",
        "negative-fixed",
    ],
)
def test_bad_demands_are_refused(demand: Demand, words: list[str]) -> None:
    with pytest.raises(TreeError) as raised:
        allocate(site(10), [demand])
    for word in words:
        assert word in str(raised.value)


def test_a_key_given_twice_is_refused() -> None:
    with pytest.raises(TreeError, match="more than once"):
        allocate(site(10), [car("x"), car("x")])


def test_step_must_be_positive() -> None:
    with pytest.raises(ValueError, match="step_a"):
        allocate(site(10), [car("x")], step_a=0.0)


def test_nothing_to_allocate() -> None:
    assert allocate(site(10), []) == Allocation({}, frozenset(), (), {"grid": (0.0, 0.0, 0.0)})
