"""What keeps a public server fair and its pages unframed: the security headers and the browser's cookie on every
response, and a cap on new sessions per address."""

import asyncio

from app_driver import open_app

from dashboard import server
from dashboard.headers import BROWSER_COOKIE, SecurityHeaders, cookies_of, frame_ancestors


def _respond(middleware_of, path="/", content_type=b"text/html", headers=()):
    """The response headers the app wrapped by ``middleware_of`` sends for one request."""

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", content_type)]})
        await send({"type": "http.response.body", "body": b"ok"})

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "scheme": "http", "path": path, "headers": list(headers)}
    asyncio.run(middleware_of(app)(scope, None, send))
    return [(name.decode(), value.decode()) for name, value in sent[0]["headers"]]


def test_every_response_says_it_may_not_be_framed_sniffed_or_referred():
    headers = dict(_respond(SecurityHeaders, content_type=b"application/javascript"))
    assert headers["content-security-policy"] == "frame-ancestors 'self'"
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "same-origin"
    assert "set-cookie" not in headers  # the cookie comes with a page only


def test_a_page_gives_a_new_browser_its_secret_once():
    cookies = [value for name, value in _respond(SecurityHeaders) if name == "set-cookie"]
    assert len(cookies) == 1 and cookies[0].startswith(f"{BROWSER_COOKIE}=")
    assert "; HttpOnly" in cookies[0] and "; SameSite=Lax" in cookies[0] and "Secure" not in cookies[0]
    secret = cookies[0].split(";")[0].split("=", 1)[1]
    assert len(secret) == 43  # 256 random bits
    again = _respond(SecurityHeaders, headers=[(b"cookie", f"a=1; {BROWSER_COOKIE}={secret}".encode())])
    assert "set-cookie" not in dict(again)
    hostile = cookies_of(
        [(b"cookie", b'pref={"a":1}; x="unterminated; \x00\xff'), (b"cookie", f"a b; {BROWSER_COOKIE}=s".encode())]
    )
    assert hostile[BROWSER_COOKIE] == "s"  # another app's malformed cookie hides nothing
    kept = _respond(SecurityHeaders, headers=[(b"cookie", f'pref={{"a":1}}; {BROWSER_COOKIE}={secret}'.encode())])
    assert "set-cookie" not in dict(kept)  # the browser keeps its secret, whatever else it sends
    junk = dict(_respond(SecurityHeaders, headers=[(b"cookie", f"{BROWSER_COOKIE}=chosen-by-someone".encode())]))
    assert junk["set-cookie"].startswith(f"{BROWSER_COOKIE}=") and "chosen" not in junk["set-cookie"]  # replaced


def test_sites_named_by_the_operator_may_frame_the_lab():
    assert frame_ancestors({"DAE_FRAME_ANCESTORS": " https://lms.example.edu  https://a.example "}) == (
        "'self' https://lms.example.edu https://a.example"
    )
    headers = dict(_respond(lambda app: SecurityHeaders(app, "'self' https://lms.example.edu")))
    assert headers["content-security-policy"] == "frame-ancestors 'self' https://lms.example.edu"
    assert "x-frame-options" not in headers  # it cannot name another site: the CSP alone decides


def test_one_address_opens_at_most_its_sessions_a_minute(monkeypatch):
    from dae_core.serving.limits import Limits

    monkeypatch.setattr(server, "LIMITS", Limits(sessions_per_minute=2))
    now = [0.0]
    gate = server.SessionGate(clock=lambda: now[0])
    assert gate.admit("203.0.113.7") is None and gate.admit("203.0.113.7") is None
    assert gate.admit("203.0.113.7") == (
        "Too many new sessions from your address: at most 2 a minute here (DAE_SESSIONS_PER_MINUTE). "
        "Wait a minute, then reload the page."
    )
    assert gate.admit("198.51.100.1") is None and gate.admit(None) is None  # another address; this machine's own
    now[0] = 61.0
    assert gate.admit("203.0.113.7") is None  # a minute later


def test_a_refused_session_says_why_and_makes_no_workspace(monkeypatch):
    message = "Too many new sessions from your address: …"
    monkeypatch.setattr(server.SESSIONS, "admit", lambda address: message)
    app = open_app()
    assert [e.value for e in app.error] == [message] and "lab" not in app.session_state
    assert "ws" not in app.query_params
