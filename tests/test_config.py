import dataclasses
import re

import pytest

from geodti.run.config import RunConfig
from geodti.errors import InputError


def test_toml_round_trip(tmp_path):
    cfg = RunConfig(table="t.csv", seed=7, weights=["queen", "knn4"], alpha=0.1, out="o'\"x")
    path = tmp_path / "geodti.toml"
    path.write_text(cfg.to_toml(), encoding="utf-8")
    assert RunConfig.from_toml(path) == cfg


def test_unknown_key_is_an_error(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[run]\nsede = 3\n", encoding="utf-8")
    with pytest.raises(InputError, match="sede"):
        RunConfig.from_toml(path)


def test_flags_override_and_none_means_not_given():
    cfg = RunConfig().updated(seed=5, table=None)
    assert cfg.seed == 5 and cfg.table is None


@pytest.mark.parametrize("bad", [{"alpha": 1.5}, {"permutations": -1}, {"correction": "holm"}])
def test_invalid_values(bad):
    with pytest.raises(InputError):
        RunConfig().updated(**bad)


@pytest.mark.parametrize("bad, message", [
    ({"permutations": 0}, "permutations must be at least 1, got 0: Local Moran's I (LISA), "
                          "Local Geary's c have no analytic test"),
    ({"permutations": -5}, "permutations must be at least 1, got -5"),
    ({"permutations": 9.5}, "permutations must be a whole number, got 9.5"),
    ({"seed": -3}, "seed must be >= 0"),
    ({"alpha": 0.0}, "alpha must be between 0 and 1, got 0.0"),
    ({"alpha": 1}, "alpha must be between 0 and 1, got 1"),
    ({"alpha": float("nan")}, "alpha must be between 0 and 1, got nan"),
    ({"alpha": "0.05"}, "alpha must be a number between 0 and 1, got '0.05'"),
    ({"correction": "holm"}, "correction must be none, fdr or bonferroni, got 'holm'"),
])
def test_a_setting_the_statistics_cannot_take_is_refused_before_out_exists(
        tmp_path, capsys, bad, message):
    from geodti import cli
    from geodti.run import run

    with pytest.raises(InputError, match=f"^configuration: {re.escape(message)}"):
        RunConfig().updated(**bad)
    # a RunConfig built in Python is checked by run() too, before --out is created
    out = tmp_path / "o"
    config = dataclasses.replace(RunConfig(table="sample:small", out=str(out)), **bad)
    with pytest.raises(InputError, match=re.escape(message)):
        run(config, jobs=1)
    assert not out.exists()
    # and from geodti.toml: exit 2, the message, no folder
    toml = tmp_path / "geodti.toml"
    toml.write_text(config.to_toml(), encoding="utf-8")
    assert cli.main(["run", "--config", str(toml), "--jobs", "1"]) == 2
    assert f"geodti: error: {toml}: {message}" in capsys.readouterr().err
    assert not out.exists()
