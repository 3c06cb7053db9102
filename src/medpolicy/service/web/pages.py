"""HTML responses of the workbench: one Jinja2 environment, strict headers on every page.

Pages are rendered on the server and work without JavaScript; the workbench sends no
script at all, so the Content-Security-Policy allows none (styles and images only from
the service itself). Pages carry patient information, so nothing is cached, and no page
may be framed by another site.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from starlette.responses import HTMLResponse, RedirectResponse, Response

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _when(value: datetime | None) -> str:
    """A UTC instant as reviewers read it: "2026-03-02 09:00 UTC"."""
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def environment() -> jinja2.Environment:
    """The template environment: autoescaped; an inline ``'x' if test`` renders nothing."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    return env


class Pages:
    """Renders templates into responses that carry the workbench's security headers."""

    def __init__(self) -> None:
        self.env = environment()

    def render(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        """The page ``name`` with ``context``."""
        html = self.env.get_template(name).render(**context)
        return secure(HTMLResponse(html, status_code=status))


R = TypeVar("R", bound=Response)


def secure(response: R) -> R:
    """Add the workbench's security headers to a response."""
    response.headers.update(HEADERS)
    return response


def see_other(url: str) -> RedirectResponse:
    """A redirect after a form (303, so the browser asks with GET)."""
    return secure(RedirectResponse(url, status_code=303))
