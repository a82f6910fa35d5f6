"""`python -m pipeline` is the `testimony` command."""

import sys

from pipeline.cli import main

if __name__ == "__main__":  # not when a worker process started by `spawn` (Dask's) imports this module
    sys.exit(main())
