"""Where the bundled boundary layers and reference tables live.

A wheel carries them inside the package (``geodti/_bundled/``); a source checkout
(``pip install -e .``) reads the top-level ``boundaries/`` and ``data/`` folders.
Every package that reads a bundled file finds it here.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _bundled(name: str) -> Path:
    for candidate in (_PACKAGE / "_bundled" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"geodti's bundled folder '{name}/' was not found next to the package "
        f"({_PACKAGE}); reinstall geodti (pip install -e . from a checkout)."
    )


def boundaries_dir() -> Path:
    """Folder holding the bundled boundary layers and contiguity."""
    return _bundled("boundaries")


def data_dir() -> Path:
    """Folder holding the reference tables (gazetteer, agglomerations, ...) and samples."""
    return _bundled("data")
