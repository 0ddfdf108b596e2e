"""The one-way rules of docs/architecture.md and the no-private-imports rule, checked on the
code itself: import-linter's contracts (pyproject.toml, [tool.importlinter]) and an AST walk
for ``_private`` names imported from another package or module."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def private_imports(package_dir: Path) -> list[str]:
    """Imports of a ``_private`` module or name owned by another package or module."""
    bad = []
    top = package_dir.parent
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(top).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                names = [target] + [f"{target}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for full in names:
                pieces = full.split(".")
                if pieces[0] != package_dir.name:
                    continue
                private = next((i for i, p in enumerate(pieces)
                                if p.startswith("_") and not p.startswith("__")), None)
                if private is None:
                    continue
                owner = ".".join(pieces[:private])
                if package != owner and not package.startswith(owner + "."):
                    bad.append(f"{path.relative_to(top)}:{node.lineno} imports {'.'.join(pieces[:private + 1])}")
                    break  # one line per import statement
    return sorted(set(bad))


def test_no_private_imports_across_packages():
    assert private_imports(ROOT / "geodti") == []


def test_private_import_check_finds_a_violation(tmp_path):
    pkg = tmp_path / "demo"
    (pkg / "a").mkdir(parents=True)
    (pkg / "b").mkdir()
    for f in ("__init__.py", "a/__init__.py", "b/__init__.py", "a/_core.py", "b/user.py", "a/fine.py"):
        (pkg / f).write_text("", encoding="utf-8")
    (pkg / "a/fine.py").write_text("from ._core import x\nfrom demo.a._core import y\n", encoding="utf-8")
    (pkg / "b/user.py").write_text("from demo.a._core import x\nfrom demo.a.fine import _helper\n",
                                   encoding="utf-8")
    assert private_imports(pkg) == ["demo/b/user.py:1 imports demo.a._core",
                                    "demo/b/user.py:2 imports demo.a.fine._helper"]


def test_import_contracts_are_kept():
    """lint-imports on the contracts of pyproject.toml (exit 0: every contract kept)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    lint = Path(sys.executable).parent / "lint-imports"  # import-linter's script, beside python
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
