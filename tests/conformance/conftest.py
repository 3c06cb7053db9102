"""The conformance captures drive the real app with the FHIR tests' harness and payloads."""

from __future__ import annotations

import sys
from pathlib import Path

_FHIR_TESTS = str(Path(__file__).resolve().parent.parent / "fhir")
if _FHIR_TESTS not in sys.path:
    sys.path.insert(0, _FHIR_TESTS)
