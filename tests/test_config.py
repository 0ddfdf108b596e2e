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
