"""Public policy pages: criteria and evidence, which Medicare Advantage plans must publish."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse

from medpolicy.policy.render import policy_to_dict, render_markdown
from medpolicy.service.api.deps import RegistryDep
from medpolicy.service.api.schemas import ERROR_RESPONSES
from medpolicy.service.errors import NotFoundError

router = APIRouter(prefix="/v1/policies", tags=["policies"])


@router.get("")
def list_policies(registry: RegistryDep) -> dict[str, Any]:
    """Every policy the plan applies, with its versions (reconstructed ones marked)."""
    return {
        "policies": [
            {
                "id": policy.id,
                "title": policy.title,
                "versions": [
                    {"id": v.id, "reconstructed": v.reconstructed} for v in policy.versions
                ],
                "href": f"/v1/policies/{policy.id}",
            }
            for policy in registry.policies
        ]
    }


@router.get(
    "/{policy_id}",
    responses={
        **ERROR_RESPONSES,
        200: {"content": {"application/json": {}, "text/markdown": {}}},
    },
    response_model=None,
)
def read_policy(
    registry: RegistryDep,
    policy_id: Annotated[str, Path(max_length=64)],
    format: Literal["json", "markdown"] = "json",
    version: Annotated[str | None, Query(max_length=20)] = None,
) -> dict[str, Any] | PlainTextResponse:
    """One policy's criteria with citations and evidence summary, as JSON or Markdown."""
    policy = next((p for p in registry.policies if p.id == policy_id), None)
    if policy is None:
        known = ", ".join(p.id for p in registry.policies)
        raise NotFoundError(
            "policy_not_found", f"No policy {policy_id!r}.", field="policy_id", accepted=known
        )
    if version is not None and version not in {v.id for v in policy.versions}:
        raise NotFoundError(
            "version_not_found",
            f"Policy {policy.id} has no version {version!r}.",
            field="version",
            accepted=", ".join(v.id for v in policy.versions),
        )
    if format == "markdown":
        return PlainTextResponse(render_markdown(policy, version), media_type="text/markdown")
    return policy_to_dict(policy)
