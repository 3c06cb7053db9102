"""What each role may do: one table, read by the case workflow and pinned by the role matrix test.

Providers see and change only their own organization's cases (checked on the case, see
``visible_to``). A nurse may approve but not deny; only a physician may deny or partially
approve, because an adverse determination must be made by a physician reviewer.
"""

from __future__ import annotations

from enum import StrEnum

from medpolicy.service.errors import ForbiddenError
from medpolicy.service.principal import Principal, Role


class Action(StrEnum):
    """Things a caller can ask the service to do."""

    EVALUATE = "evaluate"
    SUBMIT_CASE = "submit_case"
    WITHDRAW_CASE = "withdraw_case"
    ADD_INFORMATION = "add_information"
    ACCEPT_PROPOSAL = "accept_proposal"
    APPROVE = "approve"
    DENY = "deny"
    PARTIALLY_APPROVE = "partially_approve"
    EXTEND = "extend"
    READ_CASE = "read_case"
    LIST_CASES = "list_cases"
    READ_METRICS = "read_metrics"
    MANAGE_TOKENS = "manage_tokens"
    ASSIGN = "assign"
    RECORD_FACT = "record_fact"
    REQUEST_INFORMATION = "request_information"
    READ_LETTER = "read_letter"


_P, _N, _D, _A = Role.PROVIDER, Role.NURSE, Role.PHYSICIAN, Role.ADMIN

ALLOWED: dict[Action, frozenset[Role]] = {
    Action.EVALUATE: frozenset({_P, _N, _D}),
    Action.SUBMIT_CASE: frozenset({_P}),
    Action.WITHDRAW_CASE: frozenset({_P}),
    Action.ADD_INFORMATION: frozenset({_P, _N, _D}),
    Action.ACCEPT_PROPOSAL: frozenset({_N, _D}),
    Action.APPROVE: frozenset({_N, _D}),
    Action.DENY: frozenset({_D}),
    Action.PARTIALLY_APPROVE: frozenset({_D}),
    Action.EXTEND: frozenset({_N, _D}),
    Action.READ_CASE: frozenset({_P, _N, _D}),
    Action.LIST_CASES: frozenset({_P, _N, _D}),
    Action.READ_METRICS: frozenset({_N, _D, _A}),
    Action.MANAGE_TOKENS: frozenset({_A}),
    Action.ASSIGN: frozenset({_N, _D}),
    Action.RECORD_FACT: frozenset({_N, _D}),
    Action.REQUEST_INFORMATION: frozenset({_N, _D}),
    Action.READ_LETTER: frozenset({_P, _N, _D}),
}


def require(principal: Principal, action: Action) -> None:
    """Raise ``ForbiddenError`` unless the caller's role may do ``action``."""
    allowed = ALLOWED[action]
    if principal.role not in allowed:
        raise ForbiddenError(
            "role_not_allowed",
            f"A {principal.role.value} token may not {action.value.replace('_', ' ')}.",
            field="Authorization",
            accepted="a token with role " + " or ".join(sorted(r.value for r in allowed)),
        )


def visible_to(principal: Principal, case_org: str) -> bool:
    """Reviewers see every case; a provider only its own organization's."""
    return principal.is_reviewer or (principal.role is Role.PROVIDER and principal.org == case_org)
