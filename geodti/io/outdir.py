"""The run's output folder: created by geodti, marked, and never clobbered by surprise.

``geodti run`` writes into a folder only if it is empty, missing, or carries the marker file
that an earlier geodti run (or the repository's ``maps/``) left there; anything else needs
``--force``, so a typo in ``--out`` cannot scatter files into somebody's documents.

A run owns its folder while it writes (:func:`claim_output_dir`): it holds a lock that a
second run into the same folder is refused on, marks the folder incomplete until it has
finished, removes the temporary files of a killed earlier run, and at its end removes the
files an earlier geodti run wrote that it did not write again (:meth:`OutputFolder.finish`).
Which files are geodti's is known from the earlier run's ``manifest.json`` (``outputs``) or,
for a run that never finished, from its incomplete marker; any other file (a user's) is
left in place and reported, never removed.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from geodti.errors import InputError
from geodti.io.atomic import temporary_files, write_text

MARKER = ".geodti-output"
#: Locked (``flock``) by the run writing into the folder; holds its process id. The kernel
#: releases the lock when the process ends, however it ends (SIGKILL too), so a killed run
#: never leaves a stale lock. The file itself stays: removing a lock file races with the
#: next run opening it.
LOCK = ".geodti-lock"
#: Present from the start of a run to its end: a folder holding it is incomplete (the run is
#: under way, or was killed or failed). JSON: the run's process id, start time, the files
#: geodti owned in the folder and every file there when it began.
INCOMPLETE = ".geodti-incomplete"
#: geodti's own bookkeeping files in an output folder.
BOOKKEEPING = (MARKER, LOCK, INCOMPLETE)
#: The manifest of a finished run; its ``outputs`` lists the files the run wrote.
MANIFEST = "manifest.json"


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
    """Remove the given folders (deepest first) while each holds nothing but geodti's
    bookkeeping files (:data:`BOOKKEEPING`).

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
        if any(entry.name not in BOOKKEEPING for entry in entries):
            return
        for name in BOOKKEEPING:
            (folder / name).unlink(missing_ok=True)
        folder.rmdir()


def _lock(path: Path):
    """Lock ``path/LOCK`` for this process and write its id there; return the open file, or
    ``None`` with the holder's id text when another process holds the lock."""
    handle = open(path / LOCK, "a+", encoding="ascii")  # never truncated before the lock
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        handle.seek(0)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            holder = handle.read().strip()
            handle.close()
            return None, holder
    else:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            return None, holder
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle, ""


def _files(path: Path) -> set[str]:
    """Every file under ``path`` (relative, POSIX), symbolic links not followed."""
    found = set()
    for root, _dirs, files in os.walk(path):
        for name in files:
            found.add((Path(root) / name).relative_to(path).as_posix())
    return found


def _inside(relative: object) -> bool:
    """Whether ``relative`` (from a manifest or marker: not trusted) names a file inside the
    folder: a relative path without ``..``."""
    if not isinstance(relative, str) or not relative:
        return False
    parts = Path(relative).parts
    return not Path(relative).is_absolute() and ".." not in parts and not relative.startswith("~")


def _read_json(file: Path) -> dict:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@dataclass
class OutputFolder:
    """An output folder claimed by a run (:func:`claim_output_dir`) until :meth:`release`."""

    path: Path
    #: files an earlier geodti run wrote here (relative POSIX paths)
    owned: set[str] = field(default_factory=set)
    #: what the incomplete marker of an earlier, unfinished run said (empty if none)
    unfinished: dict = field(default_factory=dict)
    #: temporary files of a killed earlier run, removed (relative paths)
    removed_temporary: list[str] = field(default_factory=list)
    _lock: object = None

    def finish(self, written: Iterable[str | os.PathLike]) -> tuple[list[str], list[str]]:
        """The run wrote ``written``: remove the files an earlier geodti run wrote that it
        did not write again; return those removed and the files left in place that geodti
        did not write (a user's), both relative and sorted."""
        keep = {Path(p).absolute().relative_to(self.path.absolute()).as_posix() for p in written}
        keep |= set(BOOKKEEPING)
        removed = []
        for relative in sorted(self.owned - keep):
            file = self.path / relative
            if file.is_symlink() or file.is_file():
                file.unlink()
                removed.append(relative)
                # a subfolder (tables/, an old run's figures/) left empty goes too
                for parent in file.parents:
                    if parent == self.path or any(parent.iterdir()):
                        break
                    parent.rmdir()
        foreign = sorted(_files(self.path) - keep)
        return removed, foreign

    def complete(self) -> None:
        """Mark the folder complete (the manifest is written): remove the incomplete marker."""
        (self.path / INCOMPLETE).unlink(missing_ok=True)

    def release(self) -> None:
        """Let other runs write here (also done by the system when this process ends)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def claim_output_dir(path: str | Path, force: bool = False) -> OutputFolder:
    """Prepare ``path`` (:func:`prepare_output_dir`) and claim it for one run.

    Takes the folder's lock, notes what an earlier run left (its manifest's outputs, or the
    incomplete marker of a run that never finished, whose temporary files are removed), and
    marks the folder incomplete until :meth:`OutputFolder.complete`.

    Raises
    ------
    InputError
        Another geodti run holds the folder (its process id is named), or
        :func:`prepare_output_dir` refused it.
    """
    path = prepare_output_dir(path, force=force)
    lock, holder = _lock(path)
    if lock is None:
        who = f" (process {holder})" if holder else ""
        raise InputError(
            f"{path}: another geodti run{who} is writing into this folder; wait until it has "
            "finished, or choose another --out.")
    folder = OutputFolder(path=path, _lock=lock)
    try:
        present = _files(path) - set(BOOKKEEPING)
        manifest = _read_json(path / MANIFEST)
        owned = {p for p in manifest.get("outputs", []) if _inside(p)}
        if manifest:
            owned.add(MANIFEST)
        if (path / INCOMPLETE).exists():
            folder.unfinished = _read_json(path / INCOMPLETE) or {"pid": None}
            before = folder.unfinished.get("existing", [])
            owned |= {p for p in folder.unfinished.get("owned", []) if _inside(p)}
            # what appeared while that run held the folder was written by it
            if isinstance(before, list):
                owned |= present - set(before)
        for file in temporary_files(path):
            file.unlink()
            folder.removed_temporary.append(file.relative_to(path).as_posix())
        present -= set(folder.removed_temporary)
        folder.owned = owned & present
        marker = {"pid": os.getpid(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                  "owned": sorted(folder.owned), "existing": sorted(present)}
        write_text(path / INCOMPLETE, json.dumps(marker, ensure_ascii=False, indent=1) + "\n")
    except BaseException:
        folder.release()
        raise
    return folder
