"""What a run shows: the report page (:mod:`geodti.report.page`) and the paper figures
(:mod:`geodti.report.figures`); the run itself is :mod:`geodti.run`."""
