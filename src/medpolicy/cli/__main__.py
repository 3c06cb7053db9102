"""`python -m medpolicy.cli` runs the `medpolicy` command."""

import sys

from medpolicy.cli.main import main

sys.exit(main())
