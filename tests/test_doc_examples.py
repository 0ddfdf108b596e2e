"""The Examples sections of the functions users call first run, so that they cannot rot."""

import doctest
import importlib

import pytest

MODULES = [
    "geodti.periods",
    "geodti.schema",
    "geodti.io.panel",
    "geodti.places.match",
    "geodti.places.join",
    "geodti.places.boundaries",
    "geodti.places.gazetteer",
    "geodti.index.growth",
    "geodti.index.summary",
    "geodti.spatial.weights",
    "geodti.spatial.local",
    "geodti.spatial.pipeline",
    "geodti.spatial.losh",
    "geodti.run.runner",
]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name, monkeypatch):
    monkeypatch.chdir(importlib.import_module("geodti.bundled").data_dir().parent)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0, f"{result.failed} example(s) of {name} failed (see the output above)"
