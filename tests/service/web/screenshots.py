"""Screenshots of the workbench for the README: the queue, a case page and a letter.

    .venv/bin/python -m tests.service.web.screenshots docs/

Starts the service with the workbench on a temporary SQLite file, submits a few cases as a
provider's system would, signs a physician in with Debian's chromium, and saves
``workbench-queue.png``, ``workbench-case.png`` and ``letter-adverse.png`` (the first page
of an adverse determination letter, drawn by pdftoppm).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urljoin

from playwright.sync_api import sync_playwright

from ..samples import adverse_request, dli_request, pending_request
from .conftest import CHROMIUM, CHROMIUM_FLAGS, START
from .live import LiveService, MovingClock


def main(out: Path) -> None:
    """Write the three PNGs into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        service = LiveService(Path(folder), MovingClock(START)).start()
        try:
            shoot(service, out, Path(folder))
        finally:
            service.stop()


def shoot(service: LiveService, out: Path, scratch: Path) -> None:
    """Fill the queue, then take the pictures."""
    provider = service.token("provider", "Hope Oncology intake", org="hope-oncology")
    physician = service.token("physician", "Maya Chen, MD, Hematology")
    case_id = service.submit(provider, adverse_request(), "expedited")
    for number in range(7):
        request = pending_request() if number % 3 else dli_request(cell_source="other_donor")
        request["member"]["id"] = f"M{1002 + number:04d}"
        service.submit(provider, request, "expedited" if number == 2 else "standard")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1360, "height": 760})
        page.goto(service.url + "/signin")
        page.get_by_label("Token").fill(physician)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/queue")
        page.screenshot(path=str(out / "workbench-queue.png"))
        page.goto(service.url + f"/cases/{case_id}")
        page.set_viewport_size({"width": 1360, "height": 1500})
        page.screenshot(path=str(out / "workbench-case.png"))
        adverse = page.locator("form.adverse")
        adverse.get_by_label("Reason, in plain words, for the letter").fill(
            "The donor lymphocytes would be collected from a new, unrelated donor, not from "
            "the donor of the member's 2024 transplant. MCP-210 covers donor lymphocyte "
            "infusion only from the original donor."
        )
        adverse.get_by_role("button", name="Decide and send the letter").click()
        page.wait_for_url("**done=deny")
        href = page.get_by_role("link", name="Adverse determination letter (PDF)").get_attribute(
            "href"
        )
        pdf = page.request.get(urljoin(page.url, href)).body()
        browser.close()
    source = scratch / "letter.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(source),
         str(out / "letter-adverse")],
        check=True,
    )  # fmt: skip


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
