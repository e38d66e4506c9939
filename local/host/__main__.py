"""`python -m local.host`: the local Functions host (see local/host/__init__.py)."""

import sys

from local.host import main

sys.exit(main())
