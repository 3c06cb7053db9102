"""Requests the service tests submit, named for the outcome the engine gives them."""

from __future__ import annotations

from typing import Any


def dli_request(**facts: Any) -> dict[str, Any]:
    """A DLI request for relapsed AML after an allogeneic transplant that meets criteria."""
    base: dict[str, Any] = {
        "prior_hsct": "allogeneic",
        "prior_hsct_medically_necessary": True,
        "cell_source": "original_donor",
        "lymphocytes_genetically_modified": False,
        "dli_indication": "relapsed_refractory_persistent",
    }
    base.update(facts)
    return {
        "request_id": "PA-2026-000123",
        "member": {"id": "M0001", "line_of_business": "medicaid", "state": "OH"},
        "service": {"code": "38242", "date_of_service": "2026-03-02"},
        "diagnoses": ["C92.02", "Z94.84"],
        "facts": {k: v for k, v in base.items() if v is not None},
    }


def pending_request() -> dict[str, Any]:
    """The same request without the indication: insufficient information."""
    return dli_request(dli_indication=None)


def adverse_request() -> dict[str, Any]:
    """Cells from a new donor: does not meet criteria, goes to a physician."""
    return dli_request(cell_source="other_donor")


def unaddressed_request() -> dict[str, Any]:
    """An office visit code: no policy addresses it."""
    request = dli_request()
    request["service"]["code"] = "99213"
    return request


def if_match(case: dict[str, Any]) -> dict[str, str]:
    """The If-Match header naming the revision of ``case`` (an API answer) as last read."""
    return {"If-Match": f'"{case["revision"]}"'}
