"""``python -m medpolicy.service``: the service commands on their own."""

import sys

from medpolicy.service.cli import main

sys.exit(main())
