"""The CDS Hooks discovery document: which CRD services we offer and what they prefetch."""

from __future__ import annotations

from typing import Any

__all__ = ["HOOKS", "discovery"]

_PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "coverage": "Coverage?patient={{context.patientId}}&status=active",
}
HOOKS = {
    "order-sign": "draftOrders",
    "order-select": "draftOrders",
    "appointment-book": "appointments",
}
"""Each hook we serve and the context key holding the Bundle of orders to judge."""

_TEXT = {
    "order-sign": "Whether a signed order needs prior authorization or documentation",
    "order-select": "Early word on prior authorization while an order is being chosen",
    "appointment-book": "Whether the services of a booked appointment need authorization",
}


def discovery() -> dict[str, Any]:
    """``GET /cds-services``: one service per hook, its id equal to the hook name."""
    return {
        "services": [
            {
                "hook": hook,
                "id": hook,
                "title": f"Coverage requirements ({hook})",
                "description": _TEXT[hook],
                "prefetch": _PREFETCH,
            }
            for hook in HOOKS
        ]
    }
