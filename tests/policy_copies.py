"""Working copies of the shipped policies that a policy author might be editing."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

from medpolicy.policy.registry import default_policies_dir

CURRENT = "2025-08-13"


def with_future_version(root: Path, starts: str = "2027-01-01") -> Path:
    """A folder of policies whose MCP-210 has one more version, a copy of today's criteria
    taking effect on ``starts``; today's version then ends the day before. No golden case
    is added for it. Returns the folder of policy folders."""
    folder = root / "policies"
    target = folder / "mcp-210"
    shutil.copytree(default_policies_dir() / "mcp-210", target)
    versions = target / "versions"
    current = (versions / f"{CURRENT}.yaml").read_text(encoding="utf-8")
    day_before = date.fromisoformat(starts) - timedelta(days=1)
    ended = current.replace(
        f"effective_from: {CURRENT}\n", f"effective_from: {CURRENT}\neffective_to: {day_before}\n"
    )
    assert ended != current, "today's version file no longer has the expected header"
    (versions / f"{CURRENT}.yaml").write_text(ended, encoding="utf-8")
    future = current.replace(f'id: "{CURRENT}"', f'id: "{starts}"').replace(
        f"effective_from: {CURRENT}\n", f"effective_from: {starts}\n"
    )
    (versions / f"{starts}.yaml").write_text(future, encoding="utf-8")
    policy = target / "policy.yaml"
    listed = policy.read_text(encoding="utf-8")
    line = f"  - versions/{CURRENT}.yaml\n"
    assert line in listed
    policy.write_text(listed.replace(line, f"{line}  - versions/{starts}.yaml\n"), encoding="utf-8")
    return folder
