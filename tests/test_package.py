import subprocess
import sys

import geodti
from geodti import bundled


def test_bundled_folders_resolve():
    assert (bundled.boundaries_dir()).is_dir()
    assert (bundled.data_dir()).is_dir()


def test_cli_version():
    out = subprocess.run(
        [sys.executable, "-m", "geodti.cli", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"geodti {geodti.__version__}"
