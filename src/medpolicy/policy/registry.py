"""All loaded policies, and which one decides a service code.

The default registry loads every folder under the policies directory: the folder named by
``MEDPOLICY_POLICIES``, else the copy installed with the package, else ``policies/`` of a
source checkout. A code claimed by two policies is an error, not a coin toss.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from medpolicy.errors import PolicyError
from medpolicy.memo import Memo
from medpolicy.policy.model import FactDef, OutOfScope, Policy, Service
from medpolicy.policy.snapshot import cached_policies

__all__ = ["CodeTarget", "Registry", "default_policies_dir", "default_registry"]


@dataclass(frozen=True, slots=True)
class CodeTarget:
    """What a service code means to a policy: a decided service or an out-of-scope code."""

    policy: Policy
    service: Service | None = None
    out_of_scope: OutOfScope | None = None


class Registry:
    """The policies in force and the index from service codes to them."""

    def __init__(self, policies: tuple[Policy, ...]) -> None:
        self.policies = policies
        self._by_id = {p.id.upper(): p for p in policies}
        self._codes: dict[str, CodeTarget] = {}
        for policy in policies:
            for service in policy.services:
                self._claim(service.code, CodeTarget(policy, service=service))
        self._out_of_scope = tuple((p, o) for p in policies for o in p.out_of_scope)
        merged: dict[str, FactDef] = {}
        for policy in policies:
            merged.update(policy.facts)
        self.all_facts = merged
        self._dictionaries: Memo[str, Mapping[str, FactDef]] = Memo(self._dictionary)

    def _claim(self, code: str, target: CodeTarget) -> None:
        earlier = self._codes.get(code)
        if earlier is not None:
            raise PolicyError(
                f"code {code} is decided by both {earlier.policy.id} and {target.policy.id}",
                file=str(target.policy.directory / "policy.yaml"),
                path="services",
            )
        self._codes[code] = target

    def policy(self, policy_id: str) -> Policy | None:
        return self._by_id.get(policy_id.upper())

    def target(self, code: str) -> CodeTarget | None:
        """The policy that decides or explicitly excludes ``code`` (normalized), if any."""
        found = self._codes.get(code)
        if found is not None:
            return found
        for policy, scope in self._out_of_scope:
            if scope.matches(code):
                return CodeTarget(policy, out_of_scope=scope)
        return None

    def facts_for(self, code: str) -> Mapping[str, FactDef]:
        """The data dictionary that a request for ``code`` (normalized) is checked against:
        its policy's, or every policy's together when no policy names the code."""
        return self._dictionaries[code]

    def _dictionary(self, code: str) -> Mapping[str, FactDef]:
        target = self.target(code)
        return target.policy.facts if target is not None else self.all_facts

    @classmethod
    def from_directory(cls, directory: Path | str, *, cached: bool = False) -> Registry:
        """Every policy folder under ``directory``, loaded strictly; with ``cached``, from
        the snapshot of an earlier process when no file changed since (see ``snapshot``)."""
        root = Path(directory)
        if not root.is_dir():
            raise PolicyError("is not a folder of policies", file=str(root))
        folders = sorted(p for p in root.iterdir() if (p / "policy.yaml").is_file())
        if not folders:
            raise PolicyError("holds no policy folder (a folder with policy.yaml)", file=str(root))
        if cached:
            return cls(cached_policies(folders, _load))
        return cls(tuple(_load(folder) for folder in folders))


def _load(folder: Path) -> Policy:
    from medpolicy.policy.loader import load_policy  # YAML and pydantic: only when needed

    return load_policy(folder)


def default_policies_dir() -> Path:
    configured = os.environ.get("MEDPOLICY_POLICIES")
    if configured:
        return Path(configured)
    here = Path(__file__).resolve().parent.parent
    installed = here / "_policies"
    if installed.is_dir():
        return installed
    return here.parent.parent / "policies"


@cache
def default_registry() -> Registry:
    """The registry of the default policies folder, loaded once per process."""
    return Registry.from_directory(default_policies_dir(), cached=True)
