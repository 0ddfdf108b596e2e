"""``geodti run``: one command from a city table to maps, layers, tables and a report page.

:func:`run` checks the inputs, prepares the output folder, runs the declared steps
(:data:`geodti.run.steps.STEPS`, by :func:`geodti.run.scheduler.execute`) in one or two
processes, and writes the configuration and the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from importlib import metadata
from pathlib import Path

from threadpoolctl import threadpool_limits

from geodti import __version__
from geodti.bundled import data_dir
from geodti.errors import InputError
from geodti.io.atomic import write_text
from geodti.io.outdir import folders_created_by, prepare_output_dir, remove_unused_folders
from geodti.io.read import check_input_file
from geodti.io.samples import resolve_table
from geodti.run import steps as run_steps
from geodti.run.artefacts import Artefact
from geodti.run.config import RunConfig
from geodti.run.scheduler import execute
from geodti.run.steps import RunContext
from geodti.run.worker import Worker

#: The bundled synthetic sample panel, the input of a run without a table.
SAMPLE_PANEL = "sample/dti_panel_SYNTHETIC.csv"
SAMPLE_CAPTION = (
    "SYNTHETIC sample data calibrated to the published tables of the Tencent Research "
    "Institute's DTI report 2023; not the report's data"
)
#: Packages whose versions go into the manifest.
RECORDED_PACKAGES = ("numpy", "pandas", "shapely", "pyogrio", "geopandas", "pyarrow", "libpysal",
                     "esda", "mapclassify", "giddy", "inequality", "pointpats", "spreg", "folium",
                     "matplotlib", "rapidfuzz", "pypinyin", "openpyxl")


def input_of(config: RunConfig) -> tuple[Path, bool]:
    """The table a run reads, and whether it is the bundled synthetic sample."""
    if config.table is None:
        return data_dir() / SAMPLE_PANEL, True
    path = Path(resolve_table(config.table))  # sample:NAME names a bundled sample table
    # every table in data/sample/ is synthetic (the panel, the raw indicators, the small one)
    return path, path.resolve().parent == (data_dir() / SAMPLE_PANEL).resolve().parent


@dataclass
class RunResult:
    """Where a run wrote, its manifest, and the artefacts its steps gave (by kind)."""

    out: Path
    manifest: dict
    context: RunContext
    artefacts: dict[type[Artefact], Artefact]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    versions = {"geodti": __version__, "python": platform.python_version()}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def default_jobs() -> int:
    """Processes a run uses by default: two where this process may use two CPUs, else one."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return 2 if cpus >= 2 else 1


def _start(work: partial, worker: Worker | None) -> Callable[[], tuple[object, float]]:
    """Start ``work`` in the worker, or do it here and now; return a function that gives its
    result and how many seconds it took."""
    if worker is not None:
        return worker.submit(work)
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    return lambda: (result, seconds)


def run(config: RunConfig, progress: Callable[[str, int, int], None] | None = None,
        jobs: int | None = None, scheduler: str | None = None) -> RunResult:
    """Run the whole pipeline described by ``config``; return where it wrote and its manifest.

    Parameters
    ----------
    config : RunConfig
        The run's settings (the ``geodti run`` flags or a ``geodti.toml``).
    progress : callable, optional
        ``progress(step_name, index, total)`` is called before each step (the CLI shows it).
    jobs : int, optional
        Number of processes: with 2 (the default where two CPUs are available; more are no
        faster) the background steps, the diffusion tables and then the maps and figures,
        run in a second process while the summaries, statistics, layers and tables are done
        here; 1 runs every step here. Either way the outputs are the same, byte for byte.
    scheduler : str, optional
        ``dask://HOST:PORT``: the permutation tests (statistics, Gi* of the emerging hot
        spots) run on that Dask cluster, with the same numbers; checked (reachable, same
        versions) before anything is written.

    Returns
    -------
    RunResult
        The output folder, the manifest written to ``manifest.json`` and the artefacts.

    Examples
    --------
    The bundled small (SYNTHETIC) table, 10 cities: too few for the spatial steps, which the
    run skips and says why; the whole sample panel is the default table.

    >>> import tempfile
    >>> from pathlib import Path
    >>> from geodti.run import RunConfig, run
    >>> out = Path(tempfile.mkdtemp()) / "maps"
    >>> result = run(RunConfig(table="sample:small", out=str(out)), jobs=1)
    >>> sorted(p.name for p in result.out.glob("*.html"))
    ['agglomerations_dti_2023Q1.html', 'dti_2023Q1.html', 'dti_slider.html', 'index.html']
    """
    jobs = default_jobs() if jobs is None else int(jobs)
    if jobs < 1:
        raise InputError(f"jobs must be at least 1, got {jobs}.")
    input_path, synthetic = input_of(config)
    # every input is checked before --out is created: a typo leaves nothing behind
    inputs = {str(input_path): check_input_file(input_path)}
    for what, path in (("groups", config.groups), ("indicator scores", config.indicator_scores),
                       ("layer scores", config.layer_scores), ("framework", config.framework)):
        if path is not None:
            inputs[str(path)] = check_input_file(path, what)  # sample:NAME resolved
    client = None
    if scheduler:
        from geodti.spatial.executor import connect

        client = connect(scheduler)  # an unreachable scheduler stops the run before --out exists
    made = folders_created_by(config.out)
    try:
        out = prepare_output_dir(config.out, force=config.force)
    except BaseException:
        if client is not None:
            client.close()
        raise
    context = RunContext(
        config=config, out=out, input_path=input_path, synthetic=synthetic,
        caption=SAMPLE_CAPTION if synthetic else f"data: {input_path.name}",
        scheduler=scheduler, client=client,
    )
    inputs = {name: _sha256(path) for name, path in inputs.items()}  # every input file's
    began = time.perf_counter()
    # one worker process: the background steps depend on each other in a chain
    worker = Worker() if jobs > 1 else None
    # One BLAS thread, here and in the worker: two processes on two CPUs are enough, and a
    # threaded BLAS may sum in a different order with a different number of threads, which
    # would make the last digits depend on the machine.
    blas = threadpool_limits(limits=1)
    finished = False
    try:
        record = execute(run_steps.STEPS, context, start=partial(_start, worker=worker),
                         progress=progress, second_process=worker is not None)
        finished = True
    finally:
        blas.restore_original_limits()
        if client is not None:
            client.close()
        if worker is not None:
            # done: it ends by itself once its input closes; failed or interrupted: it is
            # stopped, and waited for while it removes its temporary files
            worker.close(finished=finished)
        if not finished:  # a failed or interrupted run: a folder it made and left empty goes
            remove_unused_folders(made)

    outputs = [*record.files(), write_text(out / "geodti.toml", config.to_toml())]
    manifest = {
        "geodti": __version__,
        "inputs": inputs,
        "synthetic_sample": synthetic,
        "config": config.to_dict(),
        "seed": config.seed,
        "permutations": config.permutations,
        "weights": list(config.weights),
        "versions": _versions(),
        "steps": record.steps,
        "seconds": round(time.perf_counter() - began, 3),
        "jobs": jobs,
        "outputs": sorted(str(Path(p).relative_to(out)) for p in set(outputs)),
    }
    # step times vary from run to run; everything else in the manifest is deterministic
    write_text(out / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return RunResult(out=out, manifest=manifest, context=context, artefacts=record.artefacts)
