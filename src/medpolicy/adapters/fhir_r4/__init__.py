"""FHIR R4 adapters for the Da Vinci guides: PAS claims, DTR questionnaires, shared mapping.

Payloads are parsed with fhir.resources' R4B models (which read R4) and everything we emit
is validated by the same models before it leaves.
"""

from medpolicy.adapters.fhir_r4.claim import ClaimItem, PasRequest, parse_pas_bundle
from medpolicy.adapters.fhir_r4.claim_response import (
    ItemAnswer,
    pas_inquiry_response,
    pas_response_bundle,
    review_action,
)
from medpolicy.adapters.fhir_r4.dtr import questionnaire_package
from medpolicy.adapters.fhir_r4.operation_outcome import FhirInputError, operation_outcome
from medpolicy.adapters.fhir_r4.questionnaire import (
    build_questionnaire,
    draft_response,
    facts_from_response,
    parse_response,
)

__all__ = [
    "ClaimItem",
    "FhirInputError",
    "ItemAnswer",
    "PasRequest",
    "build_questionnaire",
    "draft_response",
    "facts_from_response",
    "operation_outcome",
    "parse_pas_bundle",
    "parse_response",
    "pas_inquiry_response",
    "pas_response_bundle",
    "questionnaire_package",
    "review_action",
]
