"""``python -m dae_core``: the command line (see :mod:`dae_core.cli`)."""

import sys

from .cli import main

sys.exit(main())
