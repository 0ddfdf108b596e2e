"""A run owns its --out folder: lock, incomplete marker, temporary and stale files, links
that stay inside the folder, and a read-only or full folder (issue 16, items 4-7 and 11)."""

import errno
import json
import os
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest

from geodti import cli
from geodti.io import atomic
from geodti.io.atomic import TEMP_PREFIX, temporary_files
from geodti.io.outdir import INCOMPLETE, LOCK, MARKER, claim_output_dir

SMALL = "data/sample/dti_sample_small_SYNTHETIC.csv"
HOSTILE = ["javascript:alert(1);x", "\"><img src=x onerror=alert(1)>", "../../up"]


# ---------- the folder, without a run ----------

def test_a_held_folder_is_refused_with_the_holders_pid(tmp_path, capsys):
    out = tmp_path / "out"
    held = claim_output_dir(out)
    try:
        before = sorted(p.name for p in out.iterdir())
        assert cli.main(["run", SMALL, "--out", str(out), "--jobs", "1"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"geodti: error: {out}: another geodti run (process {os.getpid()})")
        assert "choose another --out" in err
        assert sorted(p.name for p in out.iterdir()) == before  # nothing touched
    finally:
        held.release()
    claim_output_dir(out).release()  # free again once released


def test_a_killed_runs_files_and_temporary_files_are_known_to_the_next(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")  # there before any run: the user's
    first = claim_output_dir(out, force=True)
    marker = json.loads((out / INCOMPLETE).read_text(encoding="utf-8"))
    assert marker["pid"] == os.getpid() and marker["existing"] == ["notes.txt"]
    # the run writes two files and is killed while writing a third (1 MiB, truncated)
    (out / "a.html").write_text("a")
    (out / "tables").mkdir()
    (out / "tables" / "t.csv").write_text("t")
    (out / "tables" / f"{TEMP_PREFIX}u.x1y2.csv").write_bytes(b"x" * (1 << 20))
    first.release()  # as the kernel does for a killed process

    second = claim_output_dir(out)
    try:
        assert second.unfinished["pid"] == os.getpid()
        assert second.removed_temporary == [f"tables/{TEMP_PREFIX}u.x1y2.csv"]
        assert temporary_files(out) == []
        assert second.owned == {"a.html", "tables/t.csv"}
        removed, foreign = second.finish([out / "a.html"])
        assert removed == ["tables/t.csv"] and not (out / "tables").exists()
        assert foreign == ["notes.txt"] and (out / "notes.txt").read_text() == "mine"
        assert (out / INCOMPLETE).exists()  # until the run says it is complete
        second.complete()
        assert not (out / INCOMPLETE).exists()
    finally:
        second.release()


def test_manifest_paths_outside_the_folder_are_never_removed(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "precious.txt").write_text("keep")
    (out / MARKER).write_text("")
    (out / "old.html").write_text("old")
    (out / "manifest.json").write_text(json.dumps(
        {"outputs": ["old.html", "../precious.txt", str(tmp_path / "precious.txt"), 3]}))
    folder = claim_output_dir(out)
    try:
        assert folder.owned == {"old.html", "manifest.json"}
        removed, foreign = folder.finish([out / "manifest.json"])
    finally:
        folder.release()
    assert removed == ["old.html"] and foreign == []
    assert (tmp_path / "precious.txt").read_text() == "keep"


# ---------- a run into a folder an earlier run left ----------

class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        self.links += [(tag, name, value) for name, value in attrs if name in ("href", "src")]


@pytest.fixture(scope="module")
def rerun(tmp_path_factory):
    """A hostile table run into the folder of an earlier run that was killed mid-write."""
    base = tmp_path_factory.mktemp("rerun")
    small = pd.read_csv(SMALL)
    table = small.assign(**{HOSTILE[0]: small["dti"], HOSTILE[1]: small["dti"] * 2,
                            HOSTILE[2]: small["dti"] * 3}).drop(columns="dti")
    table.to_csv(base / "hostile.csv", index=False)
    out = base / "out"
    out.mkdir()
    (out / MARKER).write_text("")
    (out / "notes.txt").write_text("mine")
    (out / "tables").mkdir()
    for name in ("old_map.html", "tables/old_table.csv", "index.html"):
        (out / name).write_text("an earlier run's")
    (out / "manifest.json").write_text(json.dumps(
        {"complete": True, "outputs": ["old_map.html", "tables/old_table.csv", "index.html"]}))
    # then a run was killed: its marker, a page it wrote, a truncated temporary page
    (out / "killed_map.html").write_text("the killed run's")
    (out / INCOMPLETE).write_text(json.dumps(
        {"pid": 1, "started": "2024-01-01T00:00:00", "owned": ["old_map.html"],
         "existing": ["manifest.json", "notes.txt", "old_map.html", "tables/old_table.csv",
                      "index.html", MARKER]}))
    (out / f"{TEMP_PREFIX}dti_2023Q1.k3j4.html").write_bytes(b"<html>" + b"x" * (1 << 20))
    return out, cli.main(["run", str(base / "hostile.csv"), "--out", str(out),
                          "--permutations", "9", "--jobs", "1"])


def test_rerun_replaces_an_unfinished_run_and_says_so(rerun, capsys):
    out, code = rerun
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["complete"] is True
    assert not (out / INCOMPLETE).exists() and temporary_files(out) == []
    assert (out / LOCK).exists() and (out / MARKER).exists()


def test_rerun_removes_the_earlier_runs_files_and_keeps_the_users(rerun):
    out, _ = rerun
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["removed"] == ["killed_map.html", "old_map.html", "tables/old_table.csv"]
    assert manifest["not_written_by_geodti"] == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "mine"
    left = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert left == {*manifest["outputs"], "manifest.json", "notes.txt", MARKER, LOCK}


def test_every_link_of_the_pages_is_a_file_inside_out(rerun):
    out, _ = rerun
    pages = sorted(out.glob("*.html"))
    assert len(pages) >= 3 and out / "index.html" in pages
    seen = 0
    for page in pages:
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for tag, attribute, value in parser.links:
            seen += 1
            parts = urlsplit(value or "")
            assert not parts.scheme and not parts.netloc, (page.name, tag, value)
            assert "/" not in value and "\\" not in value and value not in ("", ".", "..")
            assert (out / value).is_file(), (page.name, value)
    assert seen >= 3  # index.html links to the map pages
    parser = _Links()
    parser.feed((out / "index.html").read_text(encoding="utf-8"))
    # the hostile column's pages are linked by their slug, which no browser runs
    assert any(value.startswith("javascript_alert_1_x") for _, _, value in parser.links)
    assert HOSTILE[1] not in (out / "index.html").read_text(encoding="utf-8")  # escaped


# ---------- a folder that cannot be written ----------

def _make_read_only(folder: Path) -> bool:
    """chmod, else (root ignores modes) the immutable attribute; False if neither holds."""
    folder.chmod(0o555)
    try:
        (folder / "probe").write_text("")
    except PermissionError:
        return True
    (folder / "probe").unlink()
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
    return done.returncode == 0


def _writable_again(folder: Path) -> None:
    subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
    folder.chmod(0o755)


@pytest.mark.parametrize("where", ["out", "parent"])
def test_read_only_out_exits_2_naming_the_folder(where, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    if not _make_read_only(locked):
        pytest.skip("no way to make a folder read-only here")
    out = locked if where == "out" else locked / "new"
    try:
        assert cli.main(["run", SMALL, "--out", str(out), "--jobs", "1"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"geodti: error: {out}: cannot write into this output folder: "
                              "it is read-only or not writable"), err
        assert "Traceback" not in err and list(locked.iterdir()) == []
    finally:
        _writable_again(locked)


def test_a_layers_folder_gdal_cannot_write_into_exits_2_like_an_os_error(
        tmp_path, monkeypatch, capsys):
    import pyogrio

    write = pyogrio.write_dataframe
    locked: list[Path] = []

    def read_only_then_write(frame, path, **options):  # layers/ turns read-only meanwhile
        if not locked:
            if not _make_read_only(Path(path).parent):
                pytest.skip("no way to make a folder read-only here")
            locked.append(Path(path).parent)
        return write(frame, path, **options)  # GDAL's own error, not an OSError

    monkeypatch.setattr(pyogrio, "write_dataframe", read_only_then_write)
    out = tmp_path / "out"
    try:
        assert cli.main(["run", SMALL, "--out", str(out), "--jobs", "1"]) == 2
        err = capsys.readouterr().err.splitlines()[-1]
        assert err.startswith(f"geodti: error: {out}: cannot write into this output folder: it "
                              f"is read-only or not writable (")
        assert f"{out / 'layers'}; GDAL: sqlite3_open(" in err and "Make it writable" in err
        assert list(locked[0].iterdir()) == []  # no half-written layer file
        assert (out / INCOMPLETE).exists() and not (out / "manifest.json").exists()
    finally:
        for folder in locked:
            _writable_again(folder)


def test_full_disk_exits_2_and_leaves_no_half_file(tmp_path, monkeypatch, capsys):
    from geodti.io import tables

    def full(target, data):  # the disk fills up half-way through a table
        with atomic.atomic_path(target) as tmp:
            tmp.write_bytes(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(tables, "write_bytes", full)
    out = tmp_path / "out"
    assert cli.main(["run", SMALL, "--out", str(out), "--jobs", "1"]) == 2
    err = capsys.readouterr().err.splitlines()[-1]  # after the progress of the steps
    assert err.startswith(f"geodti: error: {out}: cannot write into this output folder: the "
                          "disk is full"), err
    assert "Free some space" in err
    assert temporary_files(out) == [] and not any((out / "tables").glob("*"))
    assert (out / INCOMPLETE).exists() and not (out / "manifest.json").exists()
