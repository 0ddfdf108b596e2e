"""Runs declared steps over typed artefacts (:mod:`geodti.run.artefacts`).

Each :class:`Step` declares the artefact kinds it ``needs`` (it cannot run without them),
those it ``uses`` when they are there (a skipped step gives none) and the one kind it
``gives``. :func:`plan` checks the declarations before anything runs (every need or use is
given by a step, no kind by two steps, no cycle) and derives the order from them; the order
in which the steps are listed only breaks ties between steps that do not depend on each other.

A ``background`` step returns a :class:`Deferred`: its work may run in the second process
(:mod:`geodti.run.worker`) while the following steps go on. Its artefact is stored when the
first step that needs or uses it is about to run, at the same point with or without the
second process, so a run writes the same files with one process or two.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from geodti.run.artefacts import Artefact

A = TypeVar("A", bound=Artefact)


class SkipStep(Exception):
    """A step that cannot run on this input; the reason goes into the manifest and report."""


@dataclass
class Deferred:
    """What a background step hands over: ``work()`` computes or writes without touching the
    run (a picklable :func:`functools.partial` of a module-level function, so it can run in
    another process) and ``finish(result)`` turns its result into the step's artefact."""

    work: partial
    finish: Callable[[object], Artefact]


@dataclass(frozen=True)
class Step:
    """A named step of the run: ``function(context, given)`` returns the artefact of kind
    ``gives`` (or a :class:`Deferred` of it when ``background``) or raises :class:`SkipStep`."""

    name: str
    function: Callable[..., Artefact | Deferred]
    gives: type[Artefact]
    needs: tuple[type[Artefact], ...] = ()
    uses: tuple[type[Artefact], ...] = ()
    background: bool = False


class Given:
    """The artefacts a step declared, as the run holds them when the step starts."""

    def __init__(self, step: Step, artefacts: dict[type, Artefact], skipped: list[str]) -> None:
        self._step = step
        self._artefacts = artefacts
        #: Reasons of the steps skipped so far, in run order (the report page lists them).
        self.skipped = list(skipped)

    def __getitem__(self, kind: type[A]) -> A:
        if kind not in self._step.needs:
            raise KeyError(f"step {self._step.name!r} does not declare that it needs {kind.__name__}")
        return self._artefacts[kind]  # type: ignore[return-value]

    def get(self, kind: type[A]) -> A | None:
        """An artefact the step uses, or None when its step was skipped."""
        if kind not in self._step.needs and kind not in self._step.uses:
            raise KeyError(f"step {self._step.name!r} does not declare that it uses {kind.__name__}")
        return self._artefacts.get(kind)  # type: ignore[return-value]


def plan(steps: Sequence[Step]) -> list[Step]:
    """The steps in an order where each runs after the steps giving what it needs or uses.

    Background steps start as soon as what they need is there (the second process then
    works while this one goes on); otherwise the listed order breaks ties.

    Raises
    ------
    ValueError
        Two steps with one name or giving one kind, a need or use that no step gives, or
        steps that wait for each other.
    """
    names = [s.name for s in steps]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"two steps are named {', '.join(twice)}")
    givers: dict[type, Step] = {}
    for step in steps:
        if step.gives in givers:
            raise ValueError(f"steps {givers[step.gives].name!r} and {step.name!r} both give "
                             f"{step.gives.__name__}; one kind of artefact has one step")
        givers[step.gives] = step
    for step in steps:
        for kind in (*step.needs, *step.uses):
            if kind not in givers:
                raise ValueError(f"step {step.name!r} needs {kind.__name__} ({kind.what}), "
                                 "which no step gives")
    waits = {s.name: {givers[k].name for k in (*s.needs, *s.uses)} for s in steps}
    done: set[str] = set()
    ordered: list[Step] = []
    while len(ordered) < len(steps):
        ready = [s for s in steps if s.name not in done and waits[s.name] <= done]
        if not ready:
            stuck = [s.name for s in steps if s.name not in done]
            raise ValueError(f"steps {', '.join(stuck)} wait for each other")
        chosen = next((s for s in ready if s.background), ready[0])
        ordered.append(chosen)
        done.add(chosen.name)
    return ordered


@dataclass
class RunRecord:
    """What :func:`execute` leaves: the artefacts, each step's time or skip reason."""

    artefacts: dict[type, Artefact] = field(default_factory=dict)
    steps: list[dict] = field(default_factory=list)  # {"step", ["skipped"], ["skipped_parts"], "seconds"}
    skipped: list[str] = field(default_factory=list)

    def files(self) -> Iterable:
        for artefact in self.artefacts.values():
            yield from artefact.files


def execute(steps: Sequence[Step], context, *, start: Callable,
            progress: Callable[[str, int, int], None] | None = None,
            second_process: bool = False) -> RunRecord:
    """Run ``steps`` in :func:`plan` order; return the record of the run.

    ``start(work)`` begins a background step's work (in the second process, or here and now)
    and returns a function giving ``(result, seconds)``. A step whose need was not given
    (its step was skipped) is skipped with the reason; one that only uses it runs without.
    """
    ordered = plan(steps)
    givers = {s.gives: s for s in ordered}
    record = RunRecord()
    pending: dict[type, tuple] = {}
    total = len(ordered)

    def skipped(entry: dict, reason: str, index: int) -> None:
        entry["skipped"] = reason
        record.skipped.append(reason + ".")
        if progress is not None:
            progress(f"{entry['step']}: {reason}", index, total)

    def collect(kind: type) -> None:
        if kind not in pending:
            return
        result, deferred, entry, index = pending.pop(kind)
        try:
            value, seconds = result()
            record.artefacts[kind] = _checked(deferred.finish(value), givers[kind], entry)
        except SkipStep as reason:
            skipped(entry, str(reason), index)
            seconds = 0.0
        entry["seconds"] = round(seconds, 3)

    for index, step in enumerate(ordered):
        for kind in (*step.needs, *step.uses):
            collect(kind)
        if progress is not None:
            where = " (in a second process)" if step.background and second_process else ""
            progress(step.name + where, index, total)
        began = time.perf_counter()
        entry = {"step": step.name}
        record.steps.append(entry)
        missing = [k for k in step.needs if k not in record.artefacts]
        try:
            if missing:
                raise SkipStep(f"{step.name} skipped: it needs {missing[0].what}, which "
                               f"{givers[missing[0]].name} did not give")
            made = step.function(context, Given(step, record.artefacts, record.skipped))
            if isinstance(made, Deferred):
                # stored when a later step needs it: in the same order whether its work
                # runs in the second process or here
                pending[step.gives] = (start(made.work), made, entry, index)
                continue
            record.artefacts[step.gives] = _checked(made, step, entry)
        except SkipStep as reason:
            skipped(entry, str(reason), index)
        entry["seconds"] = round(time.perf_counter() - began, 3)
    for kind in list(pending):
        collect(kind)
    return record


def _checked(made: object, step: Step, entry: dict) -> Artefact:
    if not isinstance(made, step.gives):
        raise TypeError(f"step {step.name!r} gave {type(made).__name__}, not the "
                        f"{step.gives.__name__} it declares")
    if made.skipped_parts:  # the step ran, but not all of it
        entry["skipped_parts"] = list(made.skipped_parts)
    return made
