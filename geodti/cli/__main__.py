"""``python -m geodti.cli``: the ``geodti`` command."""

import sys

from geodti.cli import main

sys.exit(main())
