"""One set of defaults (geodti.defaults) for every command, the run configuration and the API;
every option's help shows its default."""

import argparse
import inspect
from dataclasses import fields

import pytest

from geodti import cli, defaults
from geodti.dynamics.convergence import spatial_beta_convergence
from geodti.dynamics.summary import diffusion_tables
from geodti.run.config import RunConfig
from geodti.spatial.global_ import global_statistics
from geodti.spatial.local import local_statistics
from geodti.spatial.pipeline import spatial_tables


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _options(p: argparse.ArgumentParser):
    return [a for a in p._actions if a.option_strings and not isinstance(a, argparse._HelpAction)]


def _effective_default(action):
    """The run's flags default to None so a --config file can supply the value; then the
    default is the RunConfig field's."""
    if action.default is None:
        return getattr(RunConfig(), action.dest)
    return action.default


def test_every_seed_and_weights_flag_defaults_to_the_shared_constant():
    seeds, weights = [], []
    for name, p in _commands().items():
        for action in _options(p):
            if action.dest == "seed":
                seeds.append(name)
                assert _effective_default(action) == defaults.SEED, name
            if action.dest == "weights":
                weights.append(name)
                value = _effective_default(action)
                specs = value.split(",") if isinstance(value, str) else list(value)
                # diffusion takes knn weights only: its own (documented) default; a model
                # takes one weights matrix: the first of the shared ones
                expected = ([defaults.DIFFUSION_WEIGHTS] if name == "diffusion"
                            else [defaults.WEIGHTS[0]] if name == "model"
                            else list(defaults.WEIGHTS))
                assert specs == expected, name
    assert {"run", "stats", "diffusion"} <= set(seeds) and {"run", "stats"} <= set(weights)


def test_run_config_and_api_use_the_shared_defaults():
    config = RunConfig()
    assert (config.seed, config.permutations, tuple(config.weights), config.alpha,
            config.correction) == (defaults.SEED, defaults.PERMUTATIONS, defaults.WEIGHTS,
                                   defaults.ALPHA, defaults.CORRECTION)
    for function in (spatial_tables, local_statistics, global_statistics, diffusion_tables,
                     spatial_beta_convergence):
        params = inspect.signature(function).parameters
        assert params["seed"].default == defaults.SEED, function.__name__
        for name, value in (("permutations", defaults.PERMUTATIONS), ("alpha", defaults.ALPHA),
                            ("correction", defaults.CORRECTION), ("draws", defaults.DRAWS)):
            if name in params:
                assert params[name].default == value, (function.__name__, name)
    assert tuple(inspect.signature(spatial_tables).parameters["weights"].default) == defaults.WEIGHTS


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_option_has_help_that_shows_its_default(name):
    p = _commands()[name]
    formatter = p._get_formatter()
    for action in _options(p):
        assert action.help and action.help.strip(), f"{name} {action.option_strings[0]}: no help"
        text = formatter._expand_help(action)
        if action.default not in (None, False, argparse.SUPPRESS):
            assert "default" in text.lower(), f"{name} {action.option_strings[0]}: {text}"


def test_run_help_shows_the_config_defaults():
    p = _commands()["run"]
    formatter = p._get_formatter()
    config = RunConfig()
    known = {f.name for f in fields(RunConfig)}
    shown = 0
    for action in _options(p):
        value = getattr(config, action.dest, None) if action.dest in known else None
        if value is None or isinstance(value, bool):
            continue
        text = formatter._expand_help(action)
        value = ",".join(value) if isinstance(value, list) else str(value)
        assert f"default: {value}" in text, f"--{action.dest}: {text}"
        shown += 1
    assert shown >= 6


SAMPLE = "data/sample/dti_panel_SYNTHETIC.csv"


def test_tables_to_a_pipe_are_plain_with_every_cell_whole(capsys, monkeypatch):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    assert cli.main(["summary", SAMPLE, "--by", "province", "--within", "湖北省"]) == 0
    text = capsys.readouterr().out  # captured: not a terminal
    assert "…" not in text and "┃" not in text
    lines = text.splitlines()
    row = next(line for line in lines if line.startswith("恩施土家族苗族自治州"))
    header = next(line for line in lines if line.startswith("城市"))
    # columns aligned by display width: the row is as wide as the header (Chinese = 2 cells)
    from rich.cells import cell_len

    assert cell_len(row) == cell_len(header) > 80
    assert len(row.split()) == len(header.split())


def test_tables_on_a_terminal_keep_rich(capsys, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich then treats the output as a terminal
    assert cli.main(["summary", SAMPLE, "--by", "province", "--within", "湖北省"]) == 0
    assert "┃" in capsys.readouterr().out
