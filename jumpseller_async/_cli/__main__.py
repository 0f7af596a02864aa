"""``python -m jumpseller_async._cli``: the same as the ``jumpseller-async`` console script."""

import sys

from . import main

sys.exit(main())
