"""``python -m geoplan``: the same as the ``geoplan`` command."""

import sys

from .cli import main

sys.exit(main())
