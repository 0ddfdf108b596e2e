"""The CLI's shape: one module per command listed once in ``geodti.cli.COMMANDS`` (the parser,
these tests and the README read it), one argument group for reading a table, and ``main``
the only place that turns geodti's errors into messages."""

import argparse
import ast
import inspect
import re
from pathlib import Path

import pytest

from geodti import cli
from geodti.cli import arguments

ROOT = Path(__file__).resolve().parents[1]
CLI_DIR = Path(cli.__file__).parent
SHARED = {"__init__", "__main__", "arguments", "output"}  # modules that are not commands


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_the_parser_has_exactly_the_registered_commands_in_order():
    assert list(_subcommands()) == list(cli.COMMANDS)


def test_every_command_module_is_registered_and_follows_the_convention():
    modules = {p.stem for p in CLI_DIR.glob("*.py")} - SHARED
    assert modules == set(cli.COMMANDS)
    for name, module in cli.COMMANDS.items():
        assert module.__name__ == f"geodti.cli.{name}"
        assert list(inspect.signature(module.add_parser).parameters) == ["subparsers"], name
        assert list(inspect.signature(module.run).parameters) == ["args"], name


def test_each_command_runs_its_own_module():
    for name, p in _subcommands().items():
        assert p.get_default("func") is cli.COMMANDS[name].run, name


def test_the_readme_lists_every_command():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Command line", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `geodti (\w+)", section, re.M)
    assert sorted(listed) == sorted(cli.COMMANDS)


# the flags every command that reads a table takes, from the one group
CORE = ("--sheet", "--encoding", "--header-row", "--city-column", "--province-column")


def _reading_commands():
    return {name: p for name, p in _subcommands().items()
            if any(a.dest == "table" for a in p._actions)}


def test_every_reading_command_takes_the_one_table_group():
    readers = _reading_commands()
    assert set(readers) == set(cli.COMMANDS) - {"sample"}
    helps = {}
    for name, p in readers.items():
        flags = {o: a for a in p._actions for o in a.option_strings}
        for flag in CORE:
            assert flag in flags, (name, flag)
            helps.setdefault(flag, set()).add(flags[flag].help)
        if name not in ("read", "match"):  # they match cities
            assert {"--allow-unmatched", "--allow-county", "--period-column"} <= set(flags), name
    assert all(len(texts) == 1 for texts in helps.values()), helps  # one wording: one group


def test_table_options_are_the_readers_keywords():
    from geodti.run.config import RunConfig
    from geodti.io.panel import read_panel_with_report

    readers = _reading_commands()
    keywords = set(inspect.signature(read_panel_with_report).parameters)
    for name in ("stats", "summary", "diffusion", "export"):
        args = readers[name].parse_args(["t.csv", "--encoding", "gbk", "--header-row", "3"])
        options = arguments.table_options(args)
        assert options["encoding"] == "gbk" and options["header_row"] == 3, name
        assert set(options) <= keywords, name
    # the run maps the same flags into its configuration
    run_options = arguments.table_options(readers["run"].parse_args(["t.csv"]))
    # value_columns is the configuration's "variables" (geodti.cli.run maps it)
    assert set(run_options) - {"value_columns"} <= {f for f in RunConfig.__dataclass_fields__}
    assert "variables" in RunConfig.__dataclass_fields__
    assert {"encoding", "header_row", "sheet", "allow_county"} <= set(run_options)
    # a reshaping --period is the table's, not summary's or export's own --period
    assert "period" not in arguments.table_options(readers["summary"].parse_args(
        ["t.csv", "--period", "2022"]))
    assert arguments.table_options(readers["stats"].parse_args(
        ["t.csv", "--period", "2022Q1"]))["period"] == "2022Q1"


def _geodti_errors(handler: ast.ExceptHandler) -> set[str]:
    names = ast.unparse(handler.type) if handler.type is not None else ""
    return set(re.findall(r"\b(InputError|MatchError|MethodError)\b", names))


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_no_command_handles_geodti_errors_itself(name):
    tree = ast.parse(inspect.getsource(cli.COMMANDS[name]))
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and _geodti_errors(node):
            # allowed only to add context and raise again; main prints
            assert any(isinstance(n, ast.Raise) for n in ast.walk(node)), (name, node.lineno)


def test_run_reads_the_table_with_the_given_encoding_and_header_row(tmp_path, capsys):
    table = tmp_path / "t.csv"
    table.write_bytes("城市,期间,dti\n深圳,2023Q1,1\n北京,2023Q1,2\n".encode("gbk"))
    # utf-8 named but the bytes are GBK: the read stops, so the flag reached the reader
    assert cli.main(["run", str(table), "--encoding", "utf-8", "--out", str(tmp_path / "a")]) == 2
    last = capsys.readouterr().err.splitlines()[-1]  # after the step's progress line
    assert last.startswith("geodti: error: ") and "t.csv" in last and "not valid utf-8" in last
    # the header is row 1; naming row 2 leaves no city column to find
    assert cli.main(["run", str(table), "--header-row", "2", "--out", str(tmp_path / "b")]) == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith("geodti: error: ") and "t.csv" in last
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
