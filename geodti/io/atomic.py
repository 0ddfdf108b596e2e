"""Atomic file writes: write to a temporary sibling, then rename over the target.

An interrupted write leaves either the old file or nothing, never half a file. A process
killed mid-write (SIGKILL, power loss) cannot remove its temporary file; every temporary name
starts with :data:`TEMP_PREFIX`, so the next writer into that folder can find and remove it
(:func:`temporary_files`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: Start of every temporary file's name (GDAL's side files, e.g. ``-journal``, share it).
TEMP_PREFIX = ".geodti-tmp."


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it onto ``target`` on success.

    The temporary file keeps ``target``'s suffix (GDAL picks drivers by extension) unless
    ``suffix`` is given. On any exception the temporary file is removed and ``target`` is
    left untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f"{TEMP_PREFIX}{target.stem}.", suffix=suffix if suffix is not None else target.suffix,
        dir=target.parent,
    )
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # writers such as GDAL refuse to overwrite; let them create it
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def write_bytes(target: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text(target: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``target`` atomically (``\\n`` line endings on every platform)."""
    return write_bytes(target, text.encode(encoding))


def temporary_files(folder: str | os.PathLike) -> list[Path]:
    """The temporary files that writes into ``folder`` or its subfolders left behind (their
    process was killed), sorted; symbolic links to other folders are not followed."""
    found = []
    for root, _dirs, files in os.walk(folder):
        found.extend(Path(root) / name for name in files if name.startswith(TEMP_PREFIX))
    return sorted(found)
