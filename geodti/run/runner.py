"""``geodti run``: one command from a city table to maps, layers, tables and a report page.

:func:`run` checks the inputs, prepares the output folder, runs the declared steps
(:data:`geodti.run.steps.STEPS`, by :func:`geodti.run.scheduler.execute`) in one or two
processes, and writes the configuration and the manifest.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import platform
import sys
import tempfile
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
from geodti.io.outdir import claim_output_dir, folders_created_by, remove_unused_folders
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
#: The samples made from the calibrated city panel (the others are invented without calibration).
CALIBRATED_SAMPLES = ("dti_panel_SYNTHETIC.csv", "dti_raw_long_SYNTHETIC.csv",
                      "dti_sample_small_SYNTHETIC.csv", "dti_province_SYNTHETIC.csv")
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


#: Errors of a folder that cannot be written: read-only, not ours, full, over quota.
UNWRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT}


def unwritable(folder: Path) -> OSError | None:
    """Why ``folder`` or a folder in it cannot take a small file (read-only, full), or None.

    GDAL reports a failed write in its own words and types (``sqlite3_open(...) failed``,
    ``no such table: gpkg_contents`` on a full disk), without the system's error: a probe
    file, flushed to disk, tells which it was."""
    for where in [folder, *(p for p in sorted(folder.glob("*")) if p.is_dir())]:
        try:
            with tempfile.TemporaryFile(dir=where) as probe:
                probe.write(b"\0" * (1 << 16))
                probe.flush()
                os.fsync(probe.fileno())
        except OSError as exc:
            if exc.errno in UNWRITABLE:
                exc.filename = str(where)  # the folder, not the probe's own name
                return exc
    return None


def _gdal_error(exc: BaseException) -> bool:
    """A failure reported by GDAL through pyogrio (a RuntimeError, not an OSError)."""
    errors = sys.modules.get("pyogrio.errors")  # imported when a layer was written
    return errors is not None and isinstance(exc, (errors.DataSourceError, errors.DataLayerError))


@contextlib.contextmanager
def writing_into(out: str | Path):
    """Turn a failed write into ``out`` (read-only, not writable, full) into an
    :class:`InputError` naming the folder, whether the system (an OSError) or GDAL (writing
    layers) reported it; any other error passes unchanged."""
    try:
        yield
    except OSError as exc:
        folder = Path(out).absolute()
        where = Path(exc.filename).absolute() if isinstance(exc.filename, str) else None
        ours = where is None or where == folder or folder in where.parents or \
            (where in folder.parents)  # creating --out inside a read-only folder
        if exc.errno not in UNWRITABLE or not ours:
            raise
        raise _unwritable_error(out, exc) from exc
    except Exception as exc:
        cause = unwritable(Path(out)) if _gdal_error(exc) and Path(out).is_dir() else None
        if cause is None:
            raise
        raise _unwritable_error(out, cause, detail=f"GDAL: {exc}") from exc


def _unwritable_error(out, exc: OSError, detail: str | None = None) -> InputError:
    full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return InputError(
        f"{out}: cannot write into this output folder: "
        + ("the disk is full" if full else "it is read-only or not writable")
        + f" ({exc.strerror}{': ' + str(exc.filename) if exc.filename else ''}"
        + (f"; {detail}" if detail else "") + "). "
        + ("Free some space" if full else "Make it writable")
        + " or choose another --out; no file was left half-written.")


def run(config: RunConfig, progress: Callable[[str, int, int], None] | None = None,
        jobs: int | None = None, notice: Callable[[str], None] | None = None,
        scheduler: str | None = None) -> RunResult:
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
    notice : callable, optional
        ``notice(text)`` is told what the run found or did in its folder beyond its outputs:
        an earlier run that did not finish there, and (at the end) the earlier run's files it
        removed and other files it left in place (the CLI prints them).
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
    config = config.validated()  # also a RunConfig built in Python, before --out exists
    jobs = default_jobs() if jobs is None else int(jobs)
    if jobs < 1:
        raise InputError(f"jobs must be at least 1, got {jobs}.")
    input_path, synthetic = input_of(config)
    # every input is checked before --out is created: a typo leaves nothing behind
    inputs = {str(input_path): check_input_file(input_path)}
    for what, path in (("groups", config.groups), ("indicator scores", config.indicator_scores),
                       ("layer scores", config.layer_scores), ("framework", config.framework),
                       ("second index", config.second)):
        if path is not None:
            inputs[str(path)] = check_input_file(path, what)  # sample:NAME resolved
    client = None
    if scheduler:
        from geodti.spatial.executor import connect

        client = connect(scheduler)  # an unreachable scheduler stops the run before --out exists
    made = folders_created_by(config.out)
    try:
        with writing_into(config.out):
            # locked against a second run into --out until this one ends, marked incomplete
            folder = claim_output_dir(config.out, force=config.force)
    except BaseException:
        if client is not None:
            client.close()
        raise
    try:
        with writing_into(config.out):
            return _run_in(folder, config, input_path, synthetic, inputs, made, jobs, progress,
                           notice or (lambda text: None), scheduler, client)
    finally:
        folder.release()


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


def _run_in(folder, config: RunConfig, input_path: Path, synthetic: bool, inputs: dict,
            made: list[Path], jobs: int, progress, notice, scheduler, client) -> RunResult:
    out = folder.path
    if folder.unfinished:
        pid = folder.unfinished.get("pid")
        notice(f"{out}: the earlier run into this folder"
               + (f" (process {pid}, started {folder.unfinished.get('started')})" if pid else "")
               + " did not finish; this run replaces its files"
               + (f" and removed the {_files(len(folder.removed_temporary))} it was writing"
                  if folder.removed_temporary else "") + ".")
    elif folder.removed_temporary:
        notice(f"{out}: removed {_files(len(folder.removed_temporary))} that a killed run was "
               "writing.")
    context = RunContext(
        config=config, out=out, input_path=input_path, synthetic=synthetic,
        caption=(SAMPLE_CAPTION if synthetic and input_path.name in CALIBRATED_SAMPLES
                 else f"SYNTHETIC sample data ({input_path.name}); invented, not real data"
                 if synthetic else f"data: {input_path.name}"),
        scheduler=scheduler, client=client,
    )
    inputs = {name: _sha256(path) for name, path in inputs.items()}  # every input file's
    cluster = None
    if client is not None:
        from geodti.spatial.executor import scheduler_record

        cluster = scheduler_record(scheduler, client)  # the cluster as the run found it
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
    # the run owns its folder: what an earlier run wrote and this one did not goes
    removed, foreign = folder.finish([*outputs, out / "manifest.json"])
    manifest = {
        "geodti": __version__,
        "complete": True,
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
        # an earlier geodti run's files that this run did not write again, removed
        "removed": removed,
        # files in the folder that no geodti run wrote (a user's): left in place
        "not_written_by_geodti": foreign,
    }
    if cluster is not None:  # --scheduler: where the permutations ran
        manifest["scheduler"] = cluster
    # step times vary from run to run; everything else in the manifest is deterministic
    write_text(out / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    folder.complete()
    if removed:
        notice(f"{out}: removed {_files(len(removed))} of an earlier run that this run did not "
               "write (listed in manifest.json, removed).")
    if foreign:
        notice(f"{out}: left {_files(len(foreign))} that geodti did not write in place: "
               + ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
               + " (listed in manifest.json, not_written_by_geodti).")
    return RunResult(out=out, manifest=manifest, context=context, artefacts=record.artefacts)
