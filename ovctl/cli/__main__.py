"""``python -m ovctl.cli``: the same entry point as the ``ovctl`` script."""

import sys

from ovctl.cli import main

sys.exit(main())
