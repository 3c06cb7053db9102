"""The reviewer workbench: server-rendered pages for nurses and physicians, at ``/``.

``install(app)`` adds the pages to the service's own application, so ``medpolicy serve``
serves them with the API: no second process, no CDN, no script. See ``routes.py`` for the
pages, ``sessions.py`` for sign-in, ``casepage.py`` and ``views.py`` for what they show.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from medpolicy.service.web.pages import STATIC, Pages, see_other
from medpolicy.service.web.routes import CsrfError, SessionEndedError, router
from medpolicy.service.web.sessions import COOKIE, SessionDesk

__all__ = ["install"]


def install(app: FastAPI) -> None:
    """Serve the workbench from ``app`` (which already holds the case desk and clock)."""
    app.state.web_pages = Pages()
    app.state.web_sessions = SessionDesk(app.state.database, app.state.clock)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(SessionEndedError, _sign_in)  # type: ignore[arg-type]
    app.add_exception_handler(CsrfError, _csrf_refused)  # type: ignore[arg-type]


async def _sign_in(_request: Request, exc: SessionEndedError) -> Response:
    target = "/signin" if exc.reason == "none" else f"/signin?ended={exc.reason}"
    response = see_other(target)
    response.delete_cookie(COOKIE, path="/")
    return response


async def _csrf_refused(request: Request, _exc: CsrfError) -> Response:
    pages: Pages = request.app.state.web_pages
    return pages.render("csrf.html", status=403)
