"""The run's output folder: created by geodti, marked, and never clobbered by surprise.

``geodti run`` writes into a folder only if it is empty, missing, or carries the marker file
that an earlier geodti run (or the repository's ``maps/``) left there; anything else needs
``--force``, so a typo in ``--out`` cannot scatter files into somebody's documents.
"""

from __future__ import annotations

from pathlib import Path

from geodti.errors import InputError
from geodti.io.atomic import write_text

MARKER = ".geodti-output"


def prepare_output_dir(path: str | Path, force: bool = False) -> Path:
    """Create or reuse ``path`` as an output folder and mark it as geodti's."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{path}: exists and is not a folder; choose another --out.")
    if path.is_dir() and not force and not (path / MARKER).exists() and any(path.iterdir()):
        raise InputError(
            f"{path}: folder is not empty and was not created by geodti; choose an empty or "
            "new --out folder, or pass --force to write into it anyway."
        )
    path.mkdir(parents=True, exist_ok=True)
    if not (path / MARKER).exists():
        write_text(path / MARKER, "This folder holds geodti output; geodti run may overwrite it.\n")
    return path


def folders_created_by(path: str | Path) -> list[Path]:
    """The folders that :func:`prepare_output_dir` would create for ``path``, deepest first
    (empty when ``path`` exists); pass them to :func:`remove_unused_folders` if the run fails."""
    path = Path(path).absolute()
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    return missing


def remove_unused_folders(folders: list[Path]) -> None:
    """Remove the given folders (deepest first) while each holds nothing but geodti's marker.

    A run that fails before writing anything leaves no folder behind; a folder holding any
    output, or one that existed before the run, is kept (it carries the marker, so the next
    run may reuse it without ``--force``).
    """
    for folder in folders:
        try:
            entries = list(folder.iterdir())
        except FileNotFoundError:
            continue
        except OSError:
            return
        if any(entry.name != MARKER for entry in entries):
            return
        (folder / MARKER).unlink(missing_ok=True)
        folder.rmdir()
