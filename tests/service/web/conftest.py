"""Fixtures of the workbench tests: the live service, Debian's chromium through Playwright.

Playwright drives the browser the machine already has (``/usr/bin/chromium``, installed by
``.ci/run`` when missing); no browser is downloaded. Without chromium the browser tests are
skipped, except in CI (``MEDPOLICY_REQUIRE_SERVICES=1``) where that is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from .live import LiveService, MovingClock

CHROMIUM = os.environ.get("MEDPOLICY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[LiveService]:
    """The service with the workbench, on a fresh SQLite file, its clock at 2 March 2026."""
    live = LiveService(tmp_path, MovingClock(START)).start()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian chromium, driven by Playwright."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        if os.environ.get("MEDPOLICY_REQUIRE_SERVICES") == "1":
            pytest.fail(f"no chromium at {CHROMIUM}; .ci/run installs Debian's package")
        pytest.skip(f"no chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page; console errors fail the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    errors: list[str] = []

    def note(message: Any) -> None:
        # A page answered 4xx on purpose (a refused form) is logged as a failed load; a
        # failed style sheet or icon, or any CSP refusal, is a real error.
        url = str(message.location.get("url", ""))
        refused_page = message.text.startswith("Failed to load resource") and (
            "/static/" not in url
        )
        if message.type == "error" and not refused_page:
            errors.append(f"{message.text} ({url})")

    opened.on("console", note)
    yield opened
    context.close()
    assert errors == [], f"browser console errors (CSP refusals among them?): {errors}"
