"""appointment-book: the services come from the Appointments, their serviceType codes and
the ServiceRequests they are based on (in the context Bundle or the prefetch)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir.resources.R4B.appointment import Appointment

from medpolicy import evaluate
from medpolicy.adapters.cds_hooks import answer_hook, invariant_problems
from medpolicy.domain import Determination
from medpolicy.policy.registry import default_registry

TODAY = date(2026, 3, 2)
CPT = "http://www.ama-assn.org/go/cpt"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"


def _appointment(**extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "id": "appt1",
        "status": "proposed",
        "start": "2026-03-09T09:00:00Z",
        "end": "2026-03-09T13:00:00Z",
        "participant": [{"actor": {"reference": "Patient/pat1"}, "status": "needs-action"}],
        **extra,
    }


def _order(order_id: str = "sr1", code: str = "38242") -> dict[str, Any]:
    return {
        "resourceType": "ServiceRequest",
        "id": order_id,
        "status": "active",
        "intent": "order",
        "code": {"coding": [{"system": CPT, "code": code}]},
        "subject": {"reference": "Patient/pat1"},
        "reasonCode": [{"coding": [{"system": ICD, "code": "C92.02"}]}],
    }


def _call(
    entries: list[dict[str, Any]], prefetch: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def recording(request: dict[str, Any]) -> Determination:
        seen.append(request)
        return evaluate(request)

    body = {
        "hook": "appointment-book",
        "context": {
            "patientId": "pat1",
            "appointments": {"resourceType": "Bundle", "type": "collection", "entry": entries},
        },
        "prefetch": prefetch or {},
    }
    answer = answer_hook("appointment-book", body, default_registry(), recording, TODAY)
    return answer, seen


def _updated(answer: dict[str, Any]) -> list[dict[str, Any]]:
    resources = [action["resource"] for action in answer["systemActions"]]
    for resource in resources:
        for extension in resource["extension"]:
            assert invariant_problems(extension) == []
    return resources


def test_the_service_type_of_an_appointment_is_judged_on_the_appointment() -> None:
    appointment = _appointment(
        serviceType=[{"coding": [{"system": CPT, "code": "38242"}]}],
        reasonCode=[{"coding": [{"system": ICD, "code": "C92.02"}]}],
    )
    answer, seen = _call([{"resource": appointment}])
    (updated,) = _updated(answer)
    Appointment.model_validate(updated)
    assert updated["resourceType"] == "Appointment"
    assert updated["id"] == "appt1"
    assert seen[0]["service"] == {"code": "38242", "date_of_service": "2026-03-09"}
    assert seen[0]["diagnoses"] == ["C92.02"]
    assert len(answer["cards"]) == 1


def test_a_based_on_order_in_the_context_is_judged_once_as_part_of_its_appointment() -> None:
    appointment = _appointment(basedOn=[{"reference": "ServiceRequest/sr1"}])
    answer, seen = _call(
        [
            {"resource": appointment},
            {"fullUrl": "http://ehr.example/fhir/ServiceRequest/sr1", "resource": _order()},
        ]
    )
    (updated,) = _updated(answer)
    assert updated["resourceType"] == "Appointment"
    (request,) = seen
    assert request["service"] == {"code": "38242", "date_of_service": "2026-03-09"}
    assert request["diagnoses"] == ["C92.02"]


def test_a_based_on_order_is_found_in_the_service_requests_prefetch() -> None:
    appointment = _appointment(
        basedOn=[{"reference": "http://ehr.example/fhir/ServiceRequest/sr2"}], start=None
    )
    del appointment["start"], appointment["end"]
    order = {**_order("sr2", "38243"), "occurrenceDateTime": "2026-03-20"}
    prefetch = {
        "serviceRequests": {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"fullUrl": "http://ehr.example/fhir/ServiceRequest/sr2", "resource": order}],
        }
    }
    answer, seen = _call([{"resource": appointment}], prefetch)
    (updated,) = _updated(answer)
    assert updated["id"] == "appt1"
    assert seen[0]["service"] == {"code": "38243", "date_of_service": "2026-03-20"}


def test_a_service_request_no_appointment_points_to_is_still_judged_alone() -> None:
    answer, seen = _call([{"resource": _appointment()}, {"resource": _order()}])
    (updated,) = _updated(answer)
    assert updated["resourceType"] == "ServiceRequest"
    assert len(seen) == 1


def test_an_appointment_for_a_service_no_policy_decides_gets_no_action() -> None:
    appointment = _appointment(serviceType=[{"coding": [{"system": CPT, "code": "99213"}]}])
    answer, seen = _call([{"resource": appointment}])
    assert answer == {"cards": [], "systemActions": []}
    assert seen == []
