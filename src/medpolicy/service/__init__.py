"""The prior-authorization service: cases over HTTP, stored, audited and on the clock.

Providers submit a coverage request as a *case*; the engine decides it at once; what the
engine cannot approve waits in a reviewer queue under the CMS-0057-F deadlines (72 hours
expedited, 7 calendar days standard). Every read and write of a case lands in a
hash-chained audit log. The engine's contract is used as is: the service stores the
contract request and the contract determination, never a private shape of either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from medpolicy.service.api.app import create_app
    from medpolicy.service.config import ServiceSettings

__all__ = ["ServiceSettings", "create_app"]


def __getattr__(name: str) -> Any:
    """``create_app`` and ``ServiceSettings``, imported on first use: the web framework
    costs a second at startup that ``token`` and ``audit`` commands have no use for."""
    if name == "create_app":
        from medpolicy.service.api.app import create_app

        return create_app
    if name == "ServiceSettings":
        from medpolicy.service.config import ServiceSettings

        return ServiceSettings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
