"""Security headers on every response: a Content-Security-Policy that lets a page run only
the scripts and styles this package serves (no inline script, nothing from elsewhere, no
framing), and no MIME sniffing, no framing for old browsers, no referrer to other sites."""

from __future__ import annotations

from typing import TypeVar

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_POLICY = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]
CSP = "; ".join(_POLICY)
R = TypeVar("R", bound=Response)
# A page that draws charts: Vega compiles its expressions with Function(), so script there
# may also eval (still only scripts this app serves; inline script stays refused).
CHART_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-eval'")
# FastAPI's /api/docs page (Swagger UI) loads its script and style from jsDelivr and starts
# them with an inline script; it shows no data, only the API's description.
DOCS_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
        "style-src 'self' https://cdn.jsdelivr.net",
        "img-src 'self' data: https://fastapi.tiangolo.com",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
DOCS_PATHS = frozenset({"/api/docs", "/api/docs/oauth2-redirect"})
HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}


def draws_charts(response: R) -> R:
    """The policy for a page that loads Vega (see CHART_CSP)."""
    response.headers["content-security-policy"] = CHART_CSP
    return response


class SecurityHeaders:
    """Pure ASGI middleware (streams stay streams): adds the headers to every HTTP response,
    errors and redirects included, unless the route set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope.get("path") in DOCS_PATHS else CSP

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                wanted = {"content-security-policy": csp, **HEADERS}
                headers += [
                    (k.encode("latin-1"), v.encode("latin-1"))
                    for k, v in wanted.items()
                    if k.encode("latin-1") not in present
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
