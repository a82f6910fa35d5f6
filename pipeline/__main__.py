"""`python -m pipeline` is the `testimony` command."""

import sys

from pipeline.cli import main

sys.exit(main())
