"""The services of an appointment-book call: what each proposed Appointment would deliver.

CRD reads an appointment's services from two places: its own ``serviceType`` codings and
the orders it is ``basedOn``. Those ServiceRequests are looked for in the
``context.appointments`` Bundle itself and in the ``serviceRequests`` prefetch (the CRD
standard prefetch for this hook resolves exactly that reference). Each CPT or HCPCS code
becomes one contract request dated on the appointment's ``start`` (else the order's own
date), with the diagnoses of the appointment's and the orders' ``reasonCode`` together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from medpolicy.adapters.fhir_r4.order import (
    concept_codes,
    diagnoses_of,
    order_codes,
    order_request,
)

__all__ = ["OrderPool", "appointment_requests"]


@dataclass(frozen=True, slots=True)
class OrderPool:
    """ServiceRequests an appointment may point to, each with the fullUrl it came with."""

    orders: Sequence[tuple[str | None, Any]]

    def resolve(self, reference: Any) -> Any | None:
        """The ServiceRequest a Reference names (by fullUrl or ``ServiceRequest/id``)."""
        target = getattr(reference, "reference", None)
        if not target:
            return None
        for full_url, order in self.orders:
            local = f"ServiceRequest/{order.id}" if order.id else None
            if target == full_url or (local and (target == local or target.endswith("/" + local))):
                return order
        return None


def based_on(appointment: Any, pool: OrderPool) -> list[Any]:
    """The ServiceRequests of ``pool`` the appointment is based on, in its order."""
    found = [pool.resolve(reference) for reference in appointment.basedOn or []]
    return [order for order in found if order is not None]


def appointment_requests(
    appointment: Any,
    orders: Sequence[Any],
    patient: Any | None,
    coverage: Any | None,
    today: date,
) -> list[tuple[str, dict[str, Any]]]:
    """(code, contract request) for every service the appointment would deliver."""
    diagnoses = list(dict.fromkeys([*diagnoses_of(appointment), *_order_diagnoses(orders)]))
    codes = concept_codes(appointment.serviceType or [])
    codes += [code for order in orders for code in order_codes(order) if code not in codes]
    requests = []
    for code in dict.fromkeys(codes):
        request = order_request(appointment, code, patient, coverage, today)
        if appointment.start is None:
            source = next((o for o in orders if code in order_codes(o)), None)
            if source is not None:
                request["service"] = order_request(source, code, None, None, today)["service"]
        request["diagnoses"] = diagnoses
        requests.append((code, request))
    return requests


def _order_diagnoses(orders: Sequence[Any]) -> list[str]:
    return [code for order in orders for code in diagnoses_of(order)]
