"""The built wheel works without a checkout: it carries the licence, the bundled data and
boundaries, and from a fresh virtual environment (geodti installed from the wheel only) the
`geodti` command copies the samples out and runs the main job on them.

Slow (marker ``wheel``, about a minute): it builds the wheel, makes a venv and runs
`geodti run` once. The fresh venv borrows the third-party packages of the environment running
the tests through a .pth line, so nothing is downloaded; a directory added by a .pth line does
not have its own .pth files processed, so the editable geodti of that environment stays out.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from geodti.io.samples import SAMPLES

ROOT = Path(__file__).resolve().parents[1]
RAW_RUN = ("raw", "indicator-scores", "layer-scores")

pytestmark = pytest.mark.wheel


def _run(cmd, *, cwd, env, timeout=300) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{cmd} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # a missing build backend is a broken test environment (the `test` extra installs it)
    import hatchling  # noqa: F401

    dist = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--quiet", "-w", str(dist), str(ROOT)], cwd=dist, env=os.environ.copy())
    (built,) = dist.glob("geodti-*.whl")
    return built


def test_wheel_carries_licence_data_and_boundaries(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    (info,) = {n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")}
    licence = zipfile.ZipFile(wheel).read(f"{info}/licenses/LICENSE").decode()
    assert licence == (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License") and "geodti developers" in licence
    for vendored in ("leaflet", "topojson-client"):
        assert f"{info}/licenses/geodti/web/vendor/{vendored}/LICENSE" in names
    assert f"{info}/licenses/geodti/fonts/OFL.txt" in names
    assert "geodti/fonts/NotoSansSC-Regular.otf" in names
    metadata = zipfile.ZipFile(wheel).read(f"{info}/METADATA").decode()
    assert "License-File: LICENSE" in metadata
    for sample in SAMPLES.values():
        assert f"geodti/_bundled/data/sample/{sample.file}" in names, sample.file
    for path in (ROOT / "boundaries").iterdir():
        assert f"geodti/_bundled/boundaries/{path.name}" in names, path.name
    for table in ("gazetteer.csv", "agglomerations.csv", "dti_framework.csv"):
        assert f"geodti/_bundled/data/{table}" in names


def test_wheel_install_runs_the_samples_outside_the_checkout(wheel, tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path,
         env=os.environ.copy())
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
          "--no-deps", "--no-index", str(wheel)], cwd=tmp_path, env=os.environ.copy())
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(_run([str(python), "-c", purelib], cwd=tmp_path, env=os.environ.copy()).stdout.strip())
    (site / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["MPLCONFIGDIR"] = str(tmp_path / "mpl")
    work = tmp_path / "work"
    work.mkdir()
    where = _run([str(python), "-c", "import geodti; print(geodti.__file__)"], cwd=work, env=env)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout

    geodti = str(venv / "bin" / "geodti")  # the console script the wheel installs
    listed = _run([geodti, "sample"], cwd=work, env=env).stdout
    assert "SYNTHETIC" in listed and all(name in listed for name in SAMPLES)
    for name in RAW_RUN:
        _run([geodti, "sample", name], cwd=work, env=env)
    bundled = zipfile.ZipFile(wheel)
    for name in RAW_RUN:
        file = SAMPLES[name].file
        assert (work / file).read_bytes() == bundled.read(f"geodti/_bundled/data/sample/{file}")
    # sample:NAME resolves inside the installed package, not the checkout
    read = _run([geodti, "read", "sample:small"], cwd=work, env=env).stdout
    assert str(venv) in read and str(ROOT) not in read

    # the figures draw Chinese from the font the wheel carries (no CJK font is needed)
    font = _run([str(python), "-c", "from geodti.report import figures\n"
                 "print(figures.BUNDLED_FONT)"], cwd=work, env=env).stdout.strip()
    assert font.startswith(str(venv)) and font.endswith(".otf"), font
    # the copied raw table, and the score tables read in place (the README's example form)
    _run([geodti, "run", SAMPLES["raw"].file, "--indicator-scores", "sample:indicator-scores",
          "--layer-scores", "sample:layer-scores", "--permutations", "99", "--jobs", "1",
          "--out", "out"], cwd=work, env=env, timeout=240)
    page = (work / "out" / "index.html").read_text(encoding="utf-8")
    assert "SYNTHETIC" in page
    assert (work / "out" / "layers" / "geodti.gpkg").is_file()
