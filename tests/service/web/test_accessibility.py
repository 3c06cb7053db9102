"""axe-core (vendored from the npm package, ``axe.min.js``) finds no serious or critical
accessibility violation on any workbench page, including its error pages.

axe is injected by the test, so this context alone lets the test's script past the
pages' Content-Security-Policy; the pages themselves run no script.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..samples import adverse_request, pending_request
from .live import LiveService

pytestmark = pytest.mark.slow
AXE = Path(__file__).with_name("axe.min.js")
BLOCKING = {"serious", "critical"}


@pytest.fixture
def axe_page(browser: Any) -> Iterator[Any]:
    """A page whose context lets the injected axe script run."""
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def audit(page: Any) -> list[dict[str, Any]]:
    """axe's violations on the current page (WCAG 2.x A and AA rules and best practices)."""
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document)")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:3],
        }
        for v in result["violations"]
    ]


def test_no_page_has_a_serious_or_critical_violation(
    axe_page: Any, service: LiveService, capsys: pytest.CaptureFixture[str]
) -> None:
    page = axe_page
    provider = service.token("provider", "Hope Oncology intake", org="hope-oncology")
    physician = service.token("physician", "Maya Chen, MD")
    pending = service.submit(provider, pending_request(), "expedited")
    httpx.post(  # a document, so the case page lists proposals with their Accept buttons
        f"{service.url}/v1/cases/{pending}/documents",
        json={"name": "note.txt", "text": "AML after MUD allo-HCT. Relapse confirmed on marrow."},
        headers={"Authorization": f"Bearer {provider}"},
        timeout=30,
    ).raise_for_status()
    adverse = service.submit(provider, adverse_request())
    closed = service.submit(provider, adverse_request())
    found: dict[str, list[dict[str, Any]]] = {}

    def look(name: str) -> None:
        found[name] = audit(page)

    page.goto(service.url + "/signin")
    look("sign-in")
    page.get_by_label("Token").fill("mp_wrong")
    page.get_by_role("button", name="Sign in").click()
    look("sign-in refused")
    page.get_by_label("Token").fill(physician)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/queue")
    look("queue")
    page.goto(service.url + "/queue?mine=1")
    look("queue, empty")
    page.goto(service.url + f"/cases/{pending}")
    look("case waiting for information")
    page.goto(service.url + f"/cases/{adverse}")
    look("case for a physician's decision")
    page.get_by_label("Reason, in plain words, for the letter").fill("Too short.")
    page.locator("form.adverse").get_by_role("button").click()
    look("case with a refused form")
    page.goto(service.url + f"/cases/{closed}")
    page.locator("form.adverse").get_by_role("button").click()
    page.wait_for_url("**done=deny")
    look("denied case with its letter")
    submit_a_stale_form(page, service.url + f"/cases/{adverse}")
    look("stale form")
    page.goto(service.url + "/policies/MCP-210?version=2025-08-13")
    look("policy 2025-08-13")
    page.goto(service.url + "/policies/MCP-210?version=2014-11-11")
    look("policy 2014-11-11 (reconstructed)")
    page.goto(service.url + "/cases/no-such-case")
    look("case not found")
    page.goto(service.url + f"/cases/{adverse}")
    page.locator("input[name=csrf]").last.evaluate("field => { field.value = 'forged'; }")
    page.get_by_role("button", name="Extend").click()
    look("form refused (CSRF)")

    report(found, capsys)
    blocking = {
        name: [v for v in violations if v["impact"] in BLOCKING]
        for name, violations in found.items()
    }
    assert blocking == {name: [] for name in found}, json.dumps(blocking, indent=1)


def submit_a_stale_form(page: Any, url: str) -> None:
    """Open a case, change it in a second tab, then submit the first tab's form."""
    page.goto(url)
    other = page.context.new_page()
    other.goto(url)
    other.get_by_label("Why more time is needed").fill("Waiting for the chimerism report.")
    other.get_by_role("button", name="Extend").click()
    page.get_by_role("button", name="Approve and send the letter").click()


def report(found: dict[str, list[dict[str, Any]]], capsys: pytest.CaptureFixture[str]) -> None:
    """Print each page's violations by impact (the closing note quotes this)."""
    impacts = ("critical", "serious", "moderate", "minor")
    with capsys.disabled():
        print(f"\naxe-core on {len(found)} workbench pages (violations by impact):")
        for name, violations in found.items():
            counts = {i: sum(v["impact"] == i for v in violations) for i in impacts}
            rules = sorted({v["id"] for v in violations})
            print(f"  {name:<36} {counts} {rules}")
