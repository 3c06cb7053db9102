"""medpolicy: medical coverage policies as executable, versioned, explained data.

>>> from medpolicy import evaluate
>>> evaluate({"service": {"code": "Q2056", "date_of_service": "2026-02-01"}}).outcome
'not_addressed'
"""

from medpolicy.api import evaluate
from medpolicy.domain import Determination
from medpolicy.errors import MedpolicyError, PolicyError, RequestError

__all__ = ["Determination", "MedpolicyError", "PolicyError", "RequestError", "evaluate"]
