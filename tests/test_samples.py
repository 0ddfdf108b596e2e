"""The bundled sample registry: every entry exists and is documented, `geodti sample` lists and
copies them, and `sample:NAME` reads the bundled file wherever a table is read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geodti.cli import main
from geodti.errors import InputError
from geodti.io.read import read_table
from geodti.io.samples import SAMPLES, copy_sample, resolve_table, sample_path

ROOT = Path(__file__).resolve().parents[1]


def test_every_sample_is_a_bundled_synthetic_file():
    files = {s.file for s in SAMPLES.values()}
    assert len(files) == len(SAMPLES)
    for sample in SAMPLES.values():
        path = sample_path(sample.name)
        assert path.is_file() and path.stat().st_size > 0, path
        assert "SYNTHETIC" in path.name
    # the registry covers every table in the folder (the generators and the README are not)
    on_disk = {p.name for p in sample_path("panel").parent.iterdir()
               if p.name not in ("README.md", "generate.py", "generate_levels.py")}
    assert on_disk == files


def test_samples_are_documented():
    sample_readme = (ROOT / "data/sample/README.md").read_text(encoding="utf-8")
    for sample in SAMPLES.values():
        assert f"`{sample.name}`" in sample_readme, sample.name
        assert sample.file in sample_readme, sample.file
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^\| `geodti sample", readme, re.M)
    # the README's raw-indicator example uses names the registry knows
    used = set(re.findall(r"sample:([a-z-]+)", readme))
    assert {"raw", "indicator-scores", "layer-scores"} <= used
    assert used <= set(SAMPLES)


def test_sample_prefix_reads_the_bundled_file():
    by_name = read_table("sample:small")
    by_path = read_table(sample_path("small"))
    assert by_name.equals(by_path)
    assert by_name.attrs["source"] == str(sample_path("small"))
    assert resolve_table("data/x.csv") == "data/x.csv"
    assert resolve_table(Path("sample:small")) == Path("sample:small")  # only text is a name


def test_unknown_sample_names_the_known_ones(tmp_path):
    with pytest.raises(InputError) as caught:
        read_table("sample:pannel")
    message = str(caught.value)
    assert "'pannel'" in message
    for name in SAMPLES:
        assert name in message
    with pytest.raises(InputError, match="indicator-scores"):
        copy_sample("nope", tmp_path / "x.csv")
    assert not list(tmp_path.iterdir())


def test_copy_is_exact_and_refuses_to_overwrite(tmp_path):
    target = tmp_path / "raw.csv"
    assert copy_sample("raw", target) == target
    assert target.read_bytes() == sample_path("raw").read_bytes()
    target.write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="--force"):
        copy_sample("raw", target)
    assert target.read_text(encoding="utf-8") == "mine"
    copy_sample("raw", target, force=True)
    assert target.read_bytes() == sample_path("raw").read_bytes()
    # a folder keeps the sample's file name; nothing else (no temporary file) is left
    written = copy_sample("layer-scores", tmp_path)
    assert written == tmp_path / SAMPLES["layer-scores"].file
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["raw.csv", written.name])


def test_cli_lists_and_copies(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["sample"]) == 0
    listed = capsys.readouterr().out
    assert "SYNTHETIC" in listed
    for sample in SAMPLES.values():
        assert re.search(rf"^\s+{re.escape(sample.name)}\s+{re.escape(sample.description)}$",
                         listed, re.M), sample.name
    assert list(tmp_path.iterdir()) == []  # listing writes nothing

    assert main(["sample", "small"]) == 0
    copied = tmp_path / SAMPLES["small"].file
    assert copied.read_bytes() == sample_path("small").read_bytes()
    assert main(["sample", "small"]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["sample", "small", "--out", "mine.csv"]) == 0
    assert (tmp_path / "mine.csv").read_bytes() == copied.read_bytes()
    assert main(["sample", "smal", "--out", "x.csv"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("geodti: error: ") and "small, panel, raw" in err
    assert not (tmp_path / "x.csv").exists()


def test_cli_read_accepts_sample_names(capsys):
    assert main(["read", "sample:small"]) == 0
    out = capsys.readouterr().out
    assert f"file: {sample_path('small')}" in out
    assert "cities" in out


def test_run_input_accepts_sample_names():
    from geodti.run.config import RunConfig
    from geodti.run.runner import input_of

    assert input_of(RunConfig(table="sample:raw")) == (sample_path("raw"), True)
    with pytest.raises(InputError, match="'nope'"):
        input_of(RunConfig(table="sample:nope"))
