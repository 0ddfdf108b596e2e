"""Output file names made from data: safe slugs, checked to stay inside the output folder.

Column, group, variable and period names come from tables that other people made; a value
column called ``../../x`` must not choose where geodti writes. Every writer that builds a file
name from such a label goes through this module:

* :func:`safe_slug` turns a label into a plain file-name stem (ASCII letters, digits, ``-``,
  ``_`` and Chinese characters kept as they are, so ``数字化指数`` stays readable);
* :func:`unique_slugs` does so for several labels at once and gives two labels that would
  share a name (``a/b`` and ``a_b``) distinct names;
* :func:`output_path` joins a folder and a file name after checking that the name is a plain
  file name that cannot leave the folder (:func:`check_file_name`).

The same labels always give the same names: hash suffixes are a digest of the label itself.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from geodti.errors import InputError

#: Longest slug in UTF-8 bytes (an extension is added to it; file systems allow 255 bytes,
#: and the temporary name of an atomic write adds about a dozen).
MAX_SLUG_BYTES = 100
#: Longest file name :func:`check_file_name` accepts, in UTF-8 bytes.
MAX_NAME_BYTES = 200
#: Slug of a label with nothing usable in it (``""``, ``"..."``).
EMPTY_SLUG = "unnamed"

# Chinese characters: the CJK unified ideographs (basic block, extensions A to I, the dozen in
# the compatibility block) and 〇. NFKC first folds the other compatibility ideographs into these.
_HAN = ("\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
        "\U00030000-\U000323af")
_UNSAFE_RUN = re.compile(rf"[^A-Za-z0-9_\-{_HAN}]+")
# A plain file name: slug characters and dots, neither starting nor ending with a dot.
_FILE_NAME = re.compile(rf"[A-Za-z0-9_\-{_HAN}]([A-Za-z0-9_.\-{_HAN}]*[A-Za-z0-9_\-{_HAN}])?")
# Device names Windows reserves in every folder, with any extension (``con.txt`` too).
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{d}{i}" for d in ("COM", "LPT") for i in range(1, 10)])
_HASH_CHARS = 8


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]


def _cut(text: str, max_bytes: int) -> str:
    """The longest prefix of ``text`` that fits in ``max_bytes`` UTF-8 bytes."""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


def _with_suffix(base: str, suffix: str, max_bytes: int) -> str:
    """``base-suffix``, ``base`` shortened so that the whole fits in ``max_bytes``."""
    return f"{_cut(base, max_bytes - len(suffix) - 1)}-{suffix}"


def safe_slug(text, max_bytes: int = MAX_SLUG_BYTES) -> str:
    """A plain file-name stem for a label from data.

    ASCII letters, digits, ``-``, ``_`` and Chinese characters are kept; each run of other
    characters (``/``, ``\\``, ``.``, spaces, ``:``, control characters, ...) becomes one
    ``_``. Full-width letters and digits are read as their ASCII forms (NFKC).

    Parameters
    ----------
    text : object
        The label (a column, group, variable or period name); ``str(text)`` is used.
    max_bytes : int, default 100
        Longest slug in UTF-8 bytes. A longer slug is shortened and ends in ``-`` and an
        8-character digest of ``text``, so two long labels with the same beginning differ.

    Returns
    -------
    str
        Never empty, never ``.``/``..`` or a hidden name, never a Windows device name
        (``CON`` -> ``CON_``); the same ``text`` always gives the same slug. Two different
        labels can share a slug (``a/b``, ``a_b``): name several files with
        :func:`unique_slugs`.
    """
    text = str(text)
    slug = _UNSAFE_RUN.sub("_", unicodedata.normalize("NFKC", text))
    if not slug.strip("_"):
        slug = EMPTY_SLUG
    if slug.upper() in _RESERVED:
        slug += "_"
    if len(slug.encode("utf-8")) > max_bytes:
        slug = _with_suffix(slug, _digest(text), max_bytes)
    return slug


def unique_slugs(labels: Iterable, max_bytes: int = MAX_SLUG_BYTES) -> dict:
    """Distinct file-name stems for several labels: label -> slug.

    Labels whose slugs coincide (ignoring case, as the file systems of Windows and macOS do)
    are told apart by a ``-`` and an 8-character digest of the label; a label that is its own
    slug keeps it. The result depends only on the set of labels, not on their order.

    Parameters
    ----------
    labels : iterable
        The labels (e.g. table or map names); duplicates count once.
    max_bytes : int, default 100
        As in :func:`safe_slug`.

    Returns
    -------
    dict
        Each label -> its slug, in the order of ``labels``; no two slugs equal ignoring case.
    """
    labels = list(dict.fromkeys(labels))
    slugs = {label: safe_slug(label, max_bytes) for label in labels}
    groups: dict[str, list] = {}
    for label in sorted(labels, key=str):
        groups.setdefault(slugs[label].lower(), []).append(label)
    taken: set[str] = set()
    moved = []
    for key, members in groups.items():
        if len(members) == 1:
            taken.add(key)
            continue
        # the sorted first label that needed no change keeps the plain name; the others move
        keeper = next((m for m in members if slugs[m] == str(m)), None)
        if keeper is not None:
            taken.add(key)
        moved += [m for m in members if m is not keeper]
    for label in moved:
        salt, candidate = "", None
        while candidate is None or candidate.lower() in taken:
            candidate = _with_suffix(slugs[label], _digest(str(label) + salt), max_bytes)
            salt += "#"  # a digest that lands on a taken name (never seen) is drawn again
        taken.add(candidate.lower())
        slugs[label] = candidate
    return {label: slugs[label] for label in labels}


def check_file_name(name: str) -> str:
    """Return ``name`` if it is a plain file name that stays in its folder, else raise.

    A plain file name has slug characters (see :func:`safe_slug`) and dots, no folder part
    (``/``, ``\\``), no scheme (``javascript:``), does not start or end with a dot, is not a
    Windows device name (``CON``, ``con.txt``, ``LPT1.html``) and has at most 200 UTF-8 bytes.

    Raises
    ------
    geodti.errors.InputError
        ``name`` is not such a name.
    """
    if not isinstance(name, str) or not _FILE_NAME.fullmatch(name):
        raise InputError(
            f"{name!r} is not a plain file name (letters, digits, '-', '_', Chinese characters "
            "and inner dots only); geodti names output files with geodti.io.paths.safe_slug.")
    if name.split(".", 1)[0].upper() in _RESERVED:
        raise InputError(f"{name!r} is a device name on Windows; it cannot be a file name.")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise InputError(f"{name[:40]!r}...: a file name of at most {MAX_NAME_BYTES} UTF-8 bytes, "
                         "please.")
    return name


def output_path(folder: str | os.PathLike, name: str) -> Path:
    """``folder / name``, checked to be a file directly inside ``folder``.

    Parameters
    ----------
    folder : path-like
        The output folder (need not exist yet).
    name : str
        A file name such as ``safe_slug(label) + ".csv"``.

    Returns
    -------
    Path
        ``Path(folder) / name``.

    Raises
    ------
    geodti.errors.InputError
        ``name`` is not a plain file name (:func:`check_file_name`), or the joined path
        would not lie directly in ``folder``.
    """
    folder = Path(folder)
    path = folder / check_file_name(name)
    # belt and braces: whatever the name check lets through must still land in the folder.
    # The last part is not resolved: the atomic rename replaces a link there, not its target.
    real_folder = os.path.realpath(folder)
    if os.path.dirname(os.path.normpath(os.path.join(real_folder, name))) != real_folder:
        raise InputError(f"{path}: lies outside the output folder {folder}; not written.")
    return path
