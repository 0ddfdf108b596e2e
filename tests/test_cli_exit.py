"""Exit codes, messages and what is left on disk when a command stops early or is interrupted."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from geodti import cli
from geodti.io.outdir import (BOOKKEEPING, INCOMPLETE, MARKER, folders_created_by,
                               prepare_output_dir, remove_unused_folders)

SMALL = "data/sample/dti_sample_small_SYNTHETIC.csv"

# every command that reads a table, with the flags that make it write into --out
COMMANDS = {
    "run": ["--out", "{out}"],
    "read": [],
    "match": ["--out", "{out}/report.csv"],
    "summary": ["--out", "{out}/summary.csv"],
    "diffusion": ["--out", "{out}"],
    "stats": ["--out", "{out}"],
    "export": ["--out", "{out}/layers.gpkg"],
    "model": ["--y", "dti", "--x", "platform", "--out", "{out}"],
    "aggregate": ["--to", "province", "--out", "{out}/provinces.csv"],
}


def test_every_reading_command_is_covered():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    readers = {name for name, p in sub.choices.items()
               if any(a.dest in ("table", "panel") for a in p._actions)}
    assert readers <= set(COMMANDS), readers - set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("kind", ["missing", "folder"])
def test_missing_or_folder_input_exits_2_and_writes_nothing(command, kind, tmp_path, capsys):
    table = tmp_path / ("missing.csv" if kind == "missing" else "a_folder.csv")
    if kind == "folder":
        table.mkdir()
    out = tmp_path / "new" / "out"
    flags = [f.format(out=out) for f in COMMANDS[command]]
    assert cli.main([command, str(table), *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith("geodti: error: ") and str(table) in err
    assert ("not found" in err) if kind == "missing" else ("is a folder" in err)
    assert not (tmp_path / "new").exists()


def test_run_that_stops_on_unmatched_cities_leaves_only_the_match_report(tmp_path, capsys):
    table = tmp_path / "t.csv"
    table.write_text("city,period,dti\n深圳,2023Q1,1\nGotham,2023Q1,2\n", encoding="utf-8")
    assert cli.main(["run", str(table), "--out", str(tmp_path / "a" / "b")]) == 1
    # the full report, for the user to fix the names (issue 16); nothing else
    assert [p.name for p in (tmp_path / "a" / "b").iterdir()
            if not p.name.startswith(".")] == ["match_report.csv"]
    # a folder that existed before the run is kept, even when empty
    (tmp_path / "mine").mkdir()
    assert cli.main(["run", str(table), "--out", str(tmp_path / "mine")]) == 1
    assert (tmp_path / "mine").is_dir()


def test_unused_folders_are_removed_but_never_those_with_content(tmp_path):
    target = tmp_path / "x" / "y"
    made = folders_created_by(target)
    assert made == [target.absolute(), (tmp_path / "x").absolute()]
    prepare_output_dir(target)
    (target / "keep.txt").write_text("output")
    remove_unused_folders(made)
    assert (target / "keep.txt").is_file() and (target / MARKER).is_file()
    (target / "keep.txt").unlink()
    remove_unused_folders(made)
    assert not (tmp_path / "x").exists() and tmp_path.is_dir()
    assert folders_created_by(tmp_path) == []


def test_missing_config_or_groups_exit_2_before_creating_out(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["run", SMALL, "--config", str(tmp_path), "--out", str(out)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert cli.main(["run", SMALL, "--groups", str(tmp_path / "tiers.csv"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "tiers.csv: groups file not found" in err and err.startswith("geodti: error: ")
    assert not out.exists()


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
# "index": the second process is still importing or waiting for work; "tables": the main
# process writes the tables while the second process draws the maps
@pytest.mark.parametrize("step", ["index", "tables"])
def test_ctrl_c_during_run_stops_both_processes_cleanly(step, tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "geodti.cli", "run", SMALL, "--out", str(out),
               "--permutations", "19", "--jobs", "2"]
    env = {**os.environ, "PYTHONPATH": str(Path(cli.__file__).parents[2])}  # cli/__init__.py
    # a session of its own, as a terminal's foreground job: killpg below is Ctrl-C
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env=env, start_new_session=True)
    before = []
    try:
        for line in proc.stderr:
            before.append(line.rstrip("\n"))
            if f"] {step}" in line:
                break
        else:
            pytest.fail(f"the run ended before its {step} step:\n" + "\n".join(before))
        workers = [pid for pid in _children(proc.pid)
                   if b"geodti.run.worker" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(workers) == 1
        os.killpg(proc.pid, signal.SIGINT)
        rest = proc.stderr.read()
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 130
    stderr = "\n".join(before) + "\n" + rest
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    after = [line for line in rest.splitlines() if line.strip()]
    assert after[-1] == "geodti: interrupted"
    # before it only the progress of the steps that began meanwhile (a long one wraps)
    assert re.match(r"\[\d+/\d+\] ", after[0]) or len(after) == 1, after
    assert not any(word in line for line in after[:-1] for word in ("interrupt", "error")), after
    assert not Path(f"/proc/{workers[0]}").exists()  # the second process has ended
    if step == "index":  # nothing written yet: the folder the run made is gone
        assert not out.exists()
        return
    left = [p.relative_to(out).as_posix() for p in out.rglob("*")]
    assert MARKER in left and "layers/geodti.gpkg" in left and "manifest.json" not in left
    assert INCOMPLETE in left  # the folder says it is unfinished
    temporary = [p for p in left if p.endswith(".tmp") or
                 (Path(p).name.startswith(".") and Path(p).name not in BOOKKEEPING)]
    assert temporary == []
    # the interrupted folder is geodti's: the next run writes into it without --force
    again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    assert (out / "manifest.json").is_file()


def test_a_run_with_two_processes_ends_quietly(tmp_path):
    """A finished run with the second process prints its progress and its summary, nothing
    else: no traceback or warning from the second process's shutdown."""
    command = [sys.executable, "-m", "geodti.cli", "run", SMALL, "--out", str(tmp_path / "out"),
               "--permutations", "19", "--jobs", "2"]
    env = {**os.environ, "PYTHONPATH": str(Path(cli.__file__).parents[2])}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    noise = [line for line in done.stderr.splitlines() if not re.match(r"\[\d+/\d+\] ", line)]
    assert noise == [], done.stderr
