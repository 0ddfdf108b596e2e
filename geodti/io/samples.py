"""The bundled SYNTHETIC sample tables, by name.

:data:`SAMPLES` is the one list of them: ``geodti sample`` prints it and copies from it, and
every reader of a table accepts ``sample:NAME`` for the bundled file (so the README's
examples work from any folder and from a wheel install, where the files live inside the
package). The tables are invented data (``data/sample/README.md``), never a real city's.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from geodti.bundled import data_dir
from geodti.errors import InputError
from geodti.io.atomic import atomic_path

#: What marks a table argument as a bundled sample rather than a file path.
PREFIX = "sample:"


@dataclass(frozen=True)
class Sample:
    """One bundled sample table: its name, file in ``data/sample/`` and what it holds."""

    name: str
    file: str
    description: str


SAMPLES: dict[str, Sample] = {s.name: s for s in (
    Sample("small", "dti_sample_small_SYNTHETIC.csv",
           "10 cities x 2 quarters, the city written in mixed forms (names, adcode, English)"),
    Sample("panel", "dti_panel_SYNTHETIC.csv",
           "index panel: 367 cities x 9 quarters, the index, its 3 layers and 10 industries"),
    Sample("raw", "dti_raw_long_SYNTHETIC.csv",
           "raw indicators, a row per city, quarter and indicator (run with the two score tables)"),
    Sample("indicator-scores", "expert_scores_indicators_SYNTHETIC.csv",
           "9 experts' scores (1-5) of the 8 indicators (--indicator-scores)"),
    Sample("layer-scores", "expert_scores_layers_SYNTHETIC.csv",
           "9 experts' scores (1-5) of the 3 layers (--layer-scores)"),
    Sample("industry-raw", "dti_industry_raw_long_SYNTHETIC.csv.gz",
           "raw industry indicators, gzip CSV (Python API: geodti.index.build_industry_index)"),
    Sample("industry-scores", "expert_scores_industry_SYNTHETIC.csv",
           "9 experts' scores (1-5) of the 3 industry indicators"),
    Sample("second", "future_industries_SYNTHETIC.csv",
           "a second index, SYNTHETIC future industries: 367 cities x 5 quarters (run --second)"),
    Sample("province", "dti_province_SYNTHETIC.csv",
           "province panel: 31 provinces x 9 quarters, the panel sample summed to provinces"),
    Sample("county", "dti_county_annual_SYNTHETIC.csv",
           "annual county panel: 2,848 county-level units x 2011-2021, a score, GDP, population"),
)}


def _unknown(name: str) -> InputError:
    return InputError(f"no bundled sample named {name!r}; the samples are "
                      f"{', '.join(SAMPLES)} (geodti sample lists them).")


def sample_path(name: str) -> Path:
    """Path of the bundled sample ``name`` (a key of :data:`SAMPLES`).

    Parameters
    ----------
    name : str
        The sample's name, e.g. ``"raw"``.

    Returns
    -------
    pathlib.Path
        The file inside the checkout's ``data/sample/`` or the installed package.

    Raises
    ------
    geodti.errors.InputError
        ``name`` is not a bundled sample; the message lists the names.
    """
    if name not in SAMPLES:
        raise _unknown(name)
    return data_dir() / "sample" / SAMPLES[name].file


def resolve_table(path):
    """``path`` itself, or the bundled file if it is written ``sample:NAME``.

    Parameters
    ----------
    path : str or os.PathLike
        A table argument as the user gave it.

    Returns
    -------
    str or os.PathLike or pathlib.Path
        ``path`` unchanged unless it starts with ``sample:``; then :func:`sample_path`.
    """
    if isinstance(path, str) and path.startswith(PREFIX):
        return sample_path(path[len(PREFIX):])
    return path


def copy_sample(name: str, out: str | os.PathLike | None = None, *, force: bool = False) -> Path:
    """Copy the bundled sample ``name`` to ``out`` (a file, or an existing folder).

    Parameters
    ----------
    name : str
        The sample's name (a key of :data:`SAMPLES`).
    out : str or os.PathLike, optional
        Target file; if it is an existing folder, the sample keeps its file name inside it.
        Default: the sample's file name in the current folder.
    force : bool, default False
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The file written. It is written to a temporary name and renamed, so an interrupted
        copy leaves no half file.

    Raises
    ------
    geodti.errors.InputError
        Unknown ``name``, or ``out`` exists and ``force`` is False.
    """
    source = sample_path(name)
    target = Path(source.name if out is None else out)
    if target.is_dir():
        target = target / source.name
    if target.exists() and not force:
        raise InputError(f"{target}: already exists; pass --force to replace it or choose "
                         "another --out.")
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
    return target
