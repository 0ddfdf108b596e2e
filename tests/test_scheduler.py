"""The run's scheduler: declared needs and gives are checked, and the order is derived."""

import random
from dataclasses import dataclass
from functools import partial

import pytest

from geodti.run import steps as run_steps
from geodti.run.artefacts import Artefact, Diffusion, Statistics
from geodti.run.scheduler import Deferred, SkipStep, Step, execute, plan


@dataclass(frozen=True)
class First(Artefact):
    what = "the first number"
    value: int


@dataclass(frozen=True)
class Second(Artefact):
    what = "the second number"
    value: int


@dataclass(frozen=True)
class Third(Artefact):
    what = "the third number"
    value: int


def _here(work):
    result = work()
    return lambda: (result, 0.0)


def _valid(ordered):
    """Every step comes after the steps giving what it needs or uses."""
    at = {s.gives: i for i, s in enumerate(ordered)}
    return all(at[k] < i for i, s in enumerate(ordered) for k in (*s.needs, *s.uses))


def test_a_need_nobody_gives_is_refused_before_anything_runs():
    ran = []
    steps = [Step("second", lambda c, g: ran.append(1) or Second(2), gives=Second, needs=(First,))]
    with pytest.raises(ValueError, match="'second' needs First .the first number., which no step gives"):
        execute(steps, None, start=_here)
    assert ran == []


def test_two_steps_giving_one_artefact_are_refused():
    steps = [Step("a", lambda c, g: First(1), gives=First),
             Step("b", lambda c, g: First(2), gives=First)]
    with pytest.raises(ValueError, match="'a' and 'b' both give First"):
        plan(steps)


def test_steps_waiting_for_each_other_are_refused():
    steps = [Step("a", lambda c, g: First(1), gives=First, needs=(Second,)),
             Step("b", lambda c, g: Second(2), gives=Second, needs=(First,))]
    with pytest.raises(ValueError, match="wait for each other"):
        plan(steps)


def test_the_order_comes_from_the_needs_not_the_list():
    steps = [Step("third", lambda c, g: Third(g[Second].value + 1), gives=Third, needs=(Second,)),
             Step("second", lambda c, g: Second(g[First].value + 1), gives=Second, needs=(First,)),
             Step("first", lambda c, g: First(1), gives=First)]
    assert [s.name for s in plan(steps)] == ["first", "second", "third"]
    record = execute(steps, None, start=_here)
    assert record.artefacts[Third].value == 3
    assert [e["step"] for e in record.steps] == ["first", "second", "third"]


def test_the_run_order_is_derived_from_its_declarations():
    ordered = plan(run_steps.STEPS)
    assert _valid(ordered)
    # the diffusion step is listed after the statistics but starts first, in the background,
    # as soon as the panel is there
    listed = [s.name for s in run_steps.STEPS]
    assert listed.index("diffusion") > listed.index("statistics")
    assert [s.name for s in ordered] == [
        "read and match", "index", "diffusion", "summaries", "statistics", "figures", "second index",
        "maps", "models", "layers", "tables", "report page"]
    rng = random.Random(0)
    for _ in range(20):  # any listed order gives an order that respects every need
        shuffled = list(run_steps.STEPS)
        rng.shuffle(shuffled)
        assert _valid(plan(shuffled))
    # and the run's steps use only the statistics and diffusion they may lack
    for step in run_steps.STEPS:
        assert Statistics not in step.needs and Diffusion not in step.needs


def test_a_step_reads_only_what_it_declares():
    steps = [Step("first", lambda c, g: First(1), gives=First),
             Step("second", lambda c, g: Second(g[First].value), gives=Second)]
    with pytest.raises(KeyError, match="does not declare that it needs First"):
        execute(steps, None, start=_here)


def test_a_skipped_step_skips_its_dependants_and_not_its_users():
    def skip(context, given):
        raise SkipStep("first skipped: too few cities")

    seen = []
    steps = [Step("first", skip, gives=First),
             Step("second", lambda c, g: Second(1), gives=Second, needs=(First,)),
             Step("third", lambda c, g: seen.append(g.get(First)) or Third(len(g.skipped)),
                  gives=Third, uses=(First, Second))]
    record = execute(steps, None, start=_here)
    entries = {e["step"]: e for e in record.steps}
    assert entries["first"]["skipped"] == "first skipped: too few cities"
    assert entries["second"]["skipped"] == ("second skipped: it needs the first number, which "
                                            "first did not give")
    assert "skipped" not in entries["third"] and seen == [None]
    assert record.artefacts[Third].value == 2 and list(record.artefacts) == [Third]


def test_a_background_result_is_stored_when_a_step_needs_it():
    started, order = [], []

    def later(work):  # the second process: results come when asked for
        started.append(work)
        return lambda: (order.append("collected") or work(), 0.5)

    steps = [Step("first", lambda c, g: Deferred(partial(int, "4"), First), gives=First,
                  background=True),
             Step("second", lambda c, g: order.append("second") or Second(0), gives=Second),
             Step("third", lambda c, g: Third(g[First].value), gives=Third, needs=(First,))]
    record = execute(steps, None, start=later)
    assert order == ["second", "collected"] and len(started) == 1
    assert record.artefacts[Third].value == 4
    assert record.steps[0] == {"step": "first", "seconds": 0.5}


def test_a_step_giving_the_wrong_kind_fails():
    with pytest.raises(TypeError, match="gave Second, not the First it declares"):
        execute([Step("first", lambda c, g: Second(1), gives=First)], None, start=_here)

