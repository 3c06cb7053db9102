"""Signing in and reading forms with the in-process client (no browser)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response


def hidden(html: str, name: str) -> str:
    """The value of the first hidden input called ``name`` on a page."""
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden field {name!r} on the page"
    return found.group(1)


def sign_in(client: TestClient, token: str) -> Response:
    """Paste ``token`` into the sign-in form, as a reviewer does; the answer (not followed)."""
    form = client.get("/signin")
    return client.post(
        "/signin",
        data={"token": token, "csrf": hidden(form.text, "csrf")},
        follow_redirects=False,
    )


def case_form(client: TestClient, case_id: str) -> tuple[str, str]:
    """The CSRF token and revision the case page's forms carry."""
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200, page.text
    return hidden(page.text, "csrf"), hidden(page.text, "revision")
