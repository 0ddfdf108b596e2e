"""The orchestration of ``geodti run``: the run's configuration, its declared steps over
typed artefacts, the scheduler that orders and runs them, and the second process.

Named after the command users type; what the run shows (the report page, the figures) is
in :mod:`geodti.report`, the GIS layers it writes in :mod:`geodti.io.layer_builder`.

>>> from geodti.run import RunConfig, run
>>> result = run(RunConfig(out="maps"))  # doctest: +SKIP
"""

from geodti.run.config import RunConfig
from geodti.run.runner import RunResult, run

__all__ = ["RunConfig", "RunResult", "run"]
