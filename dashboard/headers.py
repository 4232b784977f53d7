"""What every HTTP response of the server carries besides Streamlit's own: security headers, and the browser's secret.

``SecurityHeaders`` is an ASGI middleware (``st.App(middleware=...)`` in ``app.py``). On every response it sets

- ``Content-Security-Policy: frame-ancestors 'self'`` (and ``X-Frame-Options: SAMEORIGIN`` for older browsers): no
  other site may frame the lab, so no foreign page can put a visitor's session to work unseen. ``DAE_FRAME_ANCESTORS``
  names sites that may (a course's learning platform, say), space-separated as CSP writes them;
- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin``: no download is read as a page, and the
  address, which holds the workspace token, never leaves in a ``Referer`` header.

And on a page (an HTML response) to a browser that has none yet, it sets the browser's secret: an HttpOnly,
``SameSite=Lax`` cookie of 256 random bits. A workspace belongs to the browser that made it (the store keeps the
cookie's SHA-256 with it), so an address carrying a workspace's token, pasted into another browser, does not open
it there (``dashboard.workspace.open_workspace``). ``SameSite=Lax`` sends it when a visitor follows a link to the lab
(a top-level page) but not to a page that another site frames.
"""

from __future__ import annotations

import os
import secrets

from starlette.requests import cookie_parser

from dae_core.serving.store import is_token

BROWSER_COOKIE = "dae_browser"
COOKIE_DAYS = 400  # the longest a browser keeps a cookie
FRAME_ANCESTORS_VARIABLE = "DAE_FRAME_ANCESTORS"


def frame_ancestors(environ=None) -> str:
    """The sites that may frame the lab, as CSP's ``frame-ancestors`` lists them: this site, and any that
    ``DAE_FRAME_ANCESTORS`` adds."""
    environ = os.environ if environ is None else environ
    extra = " ".join(environ.get(FRAME_ANCESTORS_VARIABLE, "").split())
    return f"'self' {extra}".strip()


def cookies_of(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """The cookies a request's raw ASGI headers carry, read as Streamlit reads them (Starlette's lenient parser: a
    malformed cookie of another app on the host hides none of the others)."""
    text = "; ".join(value.decode("latin-1") for name, value in headers if name.lower() == b"cookie")
    return cookie_parser(text)


class SecurityHeaders:
    """ASGI middleware: the headers above on every HTTP response, and the browser's cookie on its first page."""

    def __init__(self, app, ancestors: str | None = None):
        self.app = app
        ancestors = frame_ancestors() if ancestors is None else ancestors
        self.headers = [
            (b"content-security-policy", f"frame-ancestors {ancestors}".encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ] + ([(b"x-frame-options", b"SAMEORIGIN")] if ancestors == "'self'" else [])
        self.names = {name for name, _ in self.headers}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # A secret that is not one of ours (mangled, or set by someone else on the host) is replaced, never kept.
        has_cookie = is_token(cookies_of(scope.get("headers", [])).get(BROWSER_COOKIE, ""))
        secure = scope.get("scheme") == "https" or (b"x-forwarded-proto", b"https") in scope.get("headers", [])

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [(n, v) for n, v in message.get("headers", []) if n.lower() not in self.names]
                headers += self.headers
                is_page = any(n.lower() == b"content-type" and v.startswith(b"text/html") for n, v in headers)
                if is_page and not has_cookie:
                    headers.append((b"set-cookie", _browser_cookie(secure)))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _browser_cookie(secure: bool) -> bytes:
    value = secrets.token_urlsafe(32)
    attributes = f"Path=/; Max-Age={COOKIE_DAYS * 86400}; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")
    return f"{BROWSER_COOKIE}={value}; {attributes}".encode()
