"""`lakegate dashboard`'s HTTP side: a read-only ASGI app on 127.0.0.1, run by uvicorn as serving is.

The token: a browser cannot send a bearer header when it navigates, so the token is accepted once as
`?token=...`; the answer is a redirect to the same page without it that sets an HttpOnly,
SameSite=Strict cookie holding a value derived from the token (never the token itself). An
`Authorization: Bearer` header works too (curl). Anything else gets 401, a wrong token 403. Only
GET and HEAD exist. The access log is off: a URL carrying the token must never reach a log.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from typing import Callable
from urllib.parse import parse_qsl, urlencode

from lakegate.dashboard.assets import STATIC_PREFIX, script
from lakegate.dashboard.pages import NotFound
from lakegate.serving.http import header
from lakegate.tokens import same_token

COOKIE = "lakegate_dashboard"
HTML = b"text/html; charset=utf-8"
# No network but this server: scripts and styles are the page's own, data is inline, nothing is fetched.
CSP = (b"default-src 'none'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
       b"img-src data:; connect-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
log = logging.getLogger("lakegate.dashboard")
Render = Callable[[str, dict[str, str]], str]  # (path, query) → the page's HTML, or NotFound


def session_value(token: bytes) -> str:
    return hmac.new(token, b"lakegate-dashboard-session", hashlib.sha256).hexdigest()


def _cookie(scope) -> bytes | None:
    raw = header(scope, b"cookie") or b""
    for part in raw.split(b";"):
        name, _, value = part.strip().partition(b"=")
        if name == COOKIE.encode():
            return value
    return None


class DashboardApp:
    def __init__(self, token: bytes, render: Render):
        self._token, self._session, self._render = token, session_value(token).encode(), render

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":  # nothing to open or close
            await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        status, body, media, extra = await self._answer(scope)
        if not any(name == b"cache-control" for name, _ in extra):
            extra.append((b"cache-control", b"no-store"))  # pages change with every refresh of the monitor
        headers = [(b"content-type", media), (b"content-length", str(len(body)).encode()),
                   (b"x-content-type-options", b"nosniff"),
                   (b"referrer-policy", b"no-referrer"), (b"content-security-policy", CSP), *extra]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    async def _answer(self, scope) -> tuple[int, bytes, bytes, list]:
        if scope["method"] not in ("GET", "HEAD"):
            return 405, b"read-only: GET and HEAD only", b"text/plain", [(b"allow", b"GET, HEAD")]
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        path = scope["path"]
        if "token" in query:
            if not same_token(query.pop("token").encode(), self._token):
                return 403, b"wrong dashboard token", b"text/plain", []
            target = (path + ("?" + urlencode(query) if query else "")).encode()
            cookie = f"{COOKIE}={self._session.decode()}; HttpOnly; SameSite=Strict; Path=/".encode()
            return 303, b"", b"text/plain", [(b"location", target), (b"set-cookie", cookie)]
        if not self._allowed(scope):
            return 401, (b"the dashboard needs its read-only token: open the URL `lakegate dashboard` printed "
                         b"(?token=...), or send Authorization: Bearer"), b"text/plain", [(b"www-authenticate", b"Bearer")]
        if path.startswith(STATIC_PREFIX):
            try:
                # The vendored scripts change only with the package: this browser may keep them a day.
                kept = [(b"cache-control", b"private, max-age=86400")]
                return 200, script(path[len(STATIC_PREFIX):]), b"text/javascript", kept
            except KeyError:
                return 404, b"no such file", b"text/plain", []
        try:
            page = await asyncio.to_thread(self._render, path, query)
        except NotFound as exc:
            return 404, str(exc).encode(), b"text/plain", []
        except Exception:  # the page is broken, the server is not: say so and keep serving
            log.exception("rendering %s failed", path)  # the path only: the query may carry filters, never the token
            return 500, b"the page failed to render; see the dashboard's log", b"text/plain", []
        return 200, page.encode("utf-8"), HTML, []

    def _allowed(self, scope) -> bool:
        bearer = header(scope, b"authorization") or b""
        if bearer[:7].lower() == b"bearer " and same_token(bearer[7:].strip(), self._token):
            return True
        return same_token(_cookie(scope), self._session)
