"""medpolicy: medical coverage policies as executable, versioned, explained data.

>>> from medpolicy import evaluate
>>> evaluate({"service": {"code": "Q2056", "date_of_service": "2026-02-01"}}).outcome
'not_addressed'
"""

from medpolicy import native

native.prefer_source()

from medpolicy.api import evaluate  # noqa: E402
from medpolicy.domain import Determination  # noqa: E402
from medpolicy.errors import MedpolicyError, PolicyError, RequestError  # noqa: E402

__all__ = ["Determination", "MedpolicyError", "PolicyError", "RequestError", "evaluate"]
