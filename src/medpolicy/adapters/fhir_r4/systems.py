"""Code systems, profiles and extension URLs of FHIR R4 and the Da Vinci guides we speak.

Kept in one place so that the PAS, DTR and CRD modules agree on every URI, and so that a
reviewer can check them against the guides in one read.
"""

from __future__ import annotations

CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = (
    "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
)
SERVICE_SYSTEMS = (CPT, *HCPCS)
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SOURCE_OF_PAYMENT = "urn:oid:2.16.840.1.113883.3.221.5"

PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
PAS_RESPONSE_BUNDLE = PAS + "profile-pas-response-bundle"
PAS_CLAIM_RESPONSE = PAS + "profile-claimresponse"
PAS_INQUIRY_RESPONSE_BUNDLE = PAS + "profile-pas-inquiry-response-bundle"
PAS_INQUIRY_RESPONSE = PAS + "profile-claiminquiryresponse"
PAS_REVIEW_ACTION = PAS + "extension-reviewAction"
PAS_REVIEW_ACTION_CODE = PAS + "extension-reviewActionCode"
PAS_REQUESTED_SERVICE_DATE = PAS + "extension-itemRequestedServiceDate"
PAS_PREAUTH_ISSUE_DATE = PAS + "extension-itemPreAuthIssueDate"
X12_REVIEW_ACTION = "https://codesystem.x12.org/005010/306"
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"

DTR = "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/"
DTR_STD_QUESTIONNAIRE = DTR + "dtr-std-questionnaire"
DTR_QUESTIONNAIRE_RESPONSE = DTR + "dtr-questionnaireresponse"
DTR_INFORMATION_ORIGIN = DTR + "information-origin"
DTR_QR_CONTEXT = DTR + "qr-context"
DTR_PACKAGE_BUNDLE = DTR + "DTR-QPackageBundle"
DTR_PACKAGE_OUTPUT = DTR + "dtr-qpackage-output-parameters"
DTR_INTENDED_USE = DTR + "intendedUse"
ENTRY_MODE = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-entryMode"
QUESTIONNAIRE_UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
UCUM = "http://unitsofmeasure.org"

CRD_COVERAGE_INFORMATION = (
    "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"
)
CRD_BILLING_OPTIONS = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-billing-options"
CRD_CODES = "http://hl7.org/fhir/us/davinci-crd/CodeSystem/coverage-information-codes"
CARD_TYPE = "http://terminology.hl7.org/CodeSystem/cdshooks-card-type"

DEFAULT_BASE = "http://127.0.0.1:8210"
"""Where our own canonical URLs live when ``MEDPOLICY_PUBLIC_BASE_URL`` is not set: the
address a default ``medpolicy serve`` answers on. A deployment sets the public URL so
that the canonicals it hands out (questionnaires, answer code systems) name its own host."""


def canonical_base(public_base_url: str | None) -> str:
    """The root of our canonical URLs: the configured public base URL, else the default."""
    return (public_base_url or DEFAULT_BASE).rstrip("/")


def questionnaire_url(policy_id: str, section: str, base: str = DEFAULT_BASE) -> str:
    """The canonical URL of the questionnaire for one policy section."""
    return f"{base}/fhir/Questionnaire/{questionnaire_id(policy_id, section)}"


def fact_system(policy_id: str, fact: str, base: str = DEFAULT_BASE) -> str:
    """The canonical URL of the code system of one enum fact's values (codes are values)."""
    return f"{base}/fhir/CodeSystem/{policy_id.lower()}-{fact.replace('_', '-')}"


def coverage_reason_system(base: str = DEFAULT_BASE) -> str:
    """Our code system for why a CRD coverage assertion says what it says (see
    ``cds_hooks/coverage_information.py``)."""
    return f"{base}/fhir/CodeSystem/coverage-assertion-reason"


def questionnaire_id(policy_id: str, section: str) -> str:
    """A FHIR id (letters, digits, '-' and '.') for one policy section's questionnaire."""
    return f"{policy_id}-{section}".lower().replace("_", "-")
