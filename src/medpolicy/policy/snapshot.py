"""Loaded policies kept between processes, so a short command skips YAML and validation.

Reading a policy folder strictly (YAML, schema validation, compiling criteria) costs more
than deciding a request, and ``medpolicy evaluate`` of one request would pay it every time.
So the loaded policies are pickled into the user's cache folder beside a fingerprint of
everything they derive from: the size and modification time of every file in the policy
folders and of the modules that load and model them (the test Python itself applies to its
``.pyc`` files), and the Python version. When any of it differs the folder is loaded
afresh, strictly, as before, and the snapshot replaced.

The cache is only ever a copy: when it cannot be read or written (read-only home, a full
disk, a file from another build) the folder is loaded and nothing is said. It holds only
files this module wrote, in a folder private to the user (0700), the same trust Python gives
its own ``__pycache__``. ``MEDPOLICY_CACHE_DIR`` moves it; ``MEDPOLICY_CACHE_DIR=off`` turns
it off.
"""

from __future__ import annotations

import os
import pickle
import sys
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from medpolicy.policy.model import Policy

__all__ = ["cache_dir", "cached_policies"]

_FORMAT = "medpolicy-policies-2"
_PACKAGE = Path(__file__).resolve().parent.parent
_SOURCES = ("errors.py", "policy", "terminology")
"""What loaded policies are made by: their model, loader, schema and code matchers."""


def cache_dir() -> Path | None:
    """Where snapshots live, or None when caching is turned off."""
    configured = os.environ.get("MEDPOLICY_CACHE_DIR")
    if configured:
        return None if configured.lower() == "off" else Path(configured)
    import platformdirs

    return Path(platformdirs.user_cache_dir("medpolicy", appauthor=False))


def cached_policies(folders: Sequence[Path], load: Callable[[Path], Policy]) -> tuple[Policy, ...]:
    """``load`` applied to each folder, or the same result from an earlier process."""
    directory = cache_dir()
    if directory is None:
        return tuple(load(folder) for folder in folders)
    roots = [str(folder.resolve()) for folder in folders]
    name = zlib.crc32("\0".join(roots).encode("utf-8", "surrogateescape"))
    path = directory / f"policies-{name:08x}.pickle"
    fingerprint = _fingerprint(roots)
    found = _read(path, fingerprint)
    if found is not None:
        return found
    policies = tuple(load(folder) for folder in folders)
    _write(path, (fingerprint, policies))
    return policies


def _fingerprint(roots: Sequence[str]) -> tuple[Any, ...]:
    entries: list[tuple[str, int, int]] = []
    for root in [*roots, *(str(_PACKAGE / name) for name in _SOURCES)]:
        _stat_tree(root, entries)
    return (_FORMAT, sys.version, roots, entries)


def _stat_tree(path: str, entries: list[tuple[str, int, int]]) -> None:
    try:
        if not os.path.isdir(path):
            found = os.stat(path)
            entries.append((path, found.st_size, found.st_mtime_ns))
            return
        with os.scandir(path) as listing:
            children = sorted(listing, key=lambda entry: entry.name)
    except OSError:
        entries.append((path, -1, -1))
        return
    for child in children:
        if child.name != "__pycache__":
            _stat_tree(child.path, entries)


def _read(path: Path, fingerprint: tuple[Any, ...]) -> tuple[Policy, ...] | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        found = pickle.loads(data)
    except Exception:  # a truncated or foreign file is a miss, not an error
        return None
    if not (isinstance(found, tuple) and len(found) == 2 and found[0] == fingerprint):
        return None
    policies = found[1]
    if isinstance(policies, tuple) and all(isinstance(p, Policy) for p in policies):
        return policies
    return None


def _write(path: Path, snapshot: tuple[Any, ...]) -> None:
    import tempfile

    temporary: str | None = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".policies-")
        with os.fdopen(handle, "wb") as out:
            pickle.dump(snapshot, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except (OSError, pickle.PicklingError):
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
