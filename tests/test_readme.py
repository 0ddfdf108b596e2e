"""The README's promises: its first lines, and its Python example runs as written."""

import re

import pytest
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_first_lines_are_the_two_commands():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ["make demo", "make test"]


@pytest.mark.filterwarnings("ignore::geodti.spatial._permutation.PermutationBudgetWarning")
def test_python_api_example_runs(tmp_path, monkeypatch):
    text = README.read_text(encoding="utf-8")
    section = text.split("## Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    sample = Path(__file__).resolve().parents[1] / "data/sample/dti_panel_SYNTHETIC.csv"
    code = code.replace('"my_cities.xlsx"', repr(str(sample)))
    code = code.replace("permutations=9999", "permutations=99")  # the example's numbers, faster
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert (tmp_path / "maps" / "lisa.html").is_file()
    assert len(namespace["joined"]) == 370 * 9
    assert set(namespace["lisa"].statistic) >= {"lisa", "gi_star"}
