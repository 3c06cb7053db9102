"""Which modules are compiled to C (mypyc), and loading their source when a build is stale.

The modules in ``COMPILED`` run once or more per request. An installation compiles them
(``hatch_build.py``) and records a hash of each source in ``native.json``. On import,
``medpolicy`` checks those hashes: when a source no longer matches (it was edited after
an editable install) or ``MEDPOLICY_PURE_PYTHON`` is set, all of them are loaded from
their Python source instead, so an edit takes effect at once and compiled and
interpreted code of the group are never mixed. The compiled build and the source give the
same answers (``tests/test_native.py``); only the speed differs.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

__all__ = ["COMPILED", "build", "compiled", "prefer_source", "stale"]

COMPILED = (
    "medpolicy.memo",
    "medpolicy.engine.facts",
    "medpolicy.engine.program",
)
"""The modules the build compiles, in the form ``hatch_build.py`` reads."""

_PACKAGE = Path(__file__).parent


def _source(module: str, package: Path) -> Path:
    return package.joinpath(*module.split(".")[1:]).with_suffix(".py")


def stale(package: Path = _PACKAGE, modules: Sequence[str] = COMPILED) -> list[str]:
    """The compiled modules whose source differs from the one compiled (all of them when
    the record is missing or unreadable); empty when the build is current."""
    try:
        recorded = json.loads((package / "native.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return list(modules)
    return [
        module
        for module in modules
        if recorded.get(module) != hashlib.sha256(_source(module, package).read_bytes()).hexdigest()
    ]


def compiled(module: ModuleType) -> bool:
    """Whether ``module`` was loaded from a compiled extension."""
    return isinstance(getattr(module, "__loader__", None), importlib.machinery.ExtensionFileLoader)


class _Source(importlib.abc.MetaPathFinder):
    """Finds the modules of ``COMPILED`` as Python source, ahead of their extensions."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,  # noqa: ARG002 (the finder protocol's signature)
        target: ModuleType | None = None,  # noqa: ARG002
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in COMPILED:
            return None
        source = _source(fullname, _PACKAGE)
        loader = importlib.machinery.SourceFileLoader(fullname, str(source))
        return importlib.machinery.ModuleSpec(fullname, loader, origin=str(source))


def _installed() -> bool:
    """Whether the installation put a compiled module beside any of the sources."""
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    return any(_source(m, _PACKAGE).with_suffix(suffix).exists() for m in COMPILED)


def prefer_source() -> None:
    """Load the compiled modules from source when the build is stale or pure Python is
    asked for; nothing when no compiled module is installed. Called by ``medpolicy``
    before any of them is imported."""
    if _installed() and (os.environ.get("MEDPOLICY_PURE_PYTHON") or stale()):
        sys.meta_path.insert(0, _Source())


def build() -> str:
    """How the per-request modules run in this process, in words (``medpolicy --version``):
    an installation that could not compile them says so here."""
    loaded = [sys.modules.get(m) for m in COMPILED]
    if all(module is not None and compiled(module) for module in loaded):
        return "engine compiled with mypyc"
    if os.environ.get("MEDPOLICY_PURE_PYTHON"):
        return "pure Python: MEDPOLICY_PURE_PYTHON is set"
    changed = stale() if _installed() else []
    if changed:
        return f"pure Python: {', '.join(changed)} changed since pip install compiled them"
    return "pure Python: the installation did not compile the engine (see pip install -v)"
