"""`python -m jaxscale.cli ...`: the same as the `jaxscale` command."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
