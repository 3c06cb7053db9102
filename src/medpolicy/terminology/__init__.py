"""Code systems resolved locally: ICD-10-CM diagnoses and CPT/HCPCS service codes."""

from medpolicy.terminology.icd10cm import ICD10CM_RELEASE, DiagnosisCode, lookup, normalize

__all__ = ["ICD10CM_RELEASE", "DiagnosisCode", "lookup", "normalize"]
