"""A public server in a real browser: a workspace that a link cannot hand to someone else, headers that keep other
sites from framing the lab, and a lesson link that a framing page cannot start."""

from __future__ import annotations

import contextlib
import http.server
import re
import threading
import urllib.request

import pytest
from test_dashboard import button, progress_text, runs_listed, wait_for_status, wait_until

pytestmark = pytest.mark.e2e

SECRET = "height,weight,salary\n" + "\n".join(f"{150 + i},{50 + i % 30},{1000 * i}" for i in range(100)) + "\n"


def test_an_attackers_address_shows_them_none_of_the_victims_work(app):
    attacker = app.new_page()
    app.open(attacker, "/")
    token = re.search(r"[?&]ws=([A-Za-z0-9_-]{43})", attacker.evaluate("location.search"))[1]

    victim = app.new_page()  # another browser, sent /train?dataset=csv&epochs=20&ws=<the attacker's token>
    app.open(victim, f"/train?dataset=csv&epochs=20&ws={token}")
    victim.get_by_text("This address was made in another browser").wait_for()
    victim.locator(".st-key-w_csv_file input[type=file]").set_input_files(
        files=[{"name": "secret.csv", "mimeType": "text/csv", "buffer": SECRET.encode()}]
    )
    victim.get_by_text("secret.csv: 100 rows × 3 features").wait_for()
    app.wait_idle(victim)
    button(victim, "btn_train").click()
    wait_for_status(victim, "done", seconds=60)
    assert token not in victim.evaluate("location.search")  # the victim's address now holds their own workspace

    attacker.reload()
    app.wait_idle(attacker)
    app.open(attacker, f"/experiments?ws={token}")
    assert runs_listed(attacker) == 0
    app.open(attacker, f"/train?dataset=csv&ws={token}")
    assert "secret.csv" not in attacker.locator('[data-testid="stMain"]').inner_text()
    assert "secret.csv" not in attacker.locator('[data-testid="stSidebar"]').inner_text()


def test_every_response_carries_the_security_headers_and_a_page_the_browsers_cookie(app):
    for path in ("/", "/train?lesson=denoise", "/_stcore/health"):
        with urllib.request.urlopen(app.server.url + path, timeout=10) as response:
            headers = response.headers
            assert headers["Content-Security-Policy"] == "frame-ancestors 'self'", path
            assert headers["X-Frame-Options"] == "SAMEORIGIN", path
            assert headers["X-Content-Type-Options"] == "nosniff", path
            assert headers["Referrer-Policy"] == "same-origin", path
            cookie = headers["Set-Cookie"] or ""
            assert (cookie.startswith("dae_browser=") and "HttpOnly" in cookie) == (path != "/_stcore/health"), path


@contextlib.contextmanager
def foreign_site(app_url: str, path: str):
    """Another site (another host and port) whose page frames ``app_url + path``."""
    page = f'<!doctype html><title>elsewhere</title><iframe src="{app_url}{path}" width="1200" height="760"></iframe>'

    class Framing(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page.encode())

        def log_message(self, *args):
            pass

    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Framing)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{site.server_address[1]}"  # the lab is on localhost: another site
    finally:
        site.shutdown()


def test_a_foreign_page_cannot_frame_the_lab(app):
    with foreign_site(app.server.url, "/?lesson=denoise") as site:
        page = app.new_page()
        page.goto(site)
        frame = page.frame_locator("iframe")
        with pytest.raises(Exception, match="Timeout"):
            frame.locator('[data-testid="stApp"]').wait_for(timeout=5000)  # the browser refused to show it


def test_a_framed_lesson_link_trains_nothing_until_clicked(app_on, tmp_path):
    """A site the operator lets frame the lab (DAE_FRAME_ANCESTORS) still cannot start a run: its frame sends no
    cookie, so the lesson waits for a click on Train."""
    framing = {"DAE_FRAME_ANCESTORS": "http://127.0.0.1:*", "DAE_DATA_DIR": str(tmp_path / "data")}
    with app_on(env=framing) as app, foreign_site(app.server.url, "/?lesson=denoise") as site_url:
        page = app.new_page()
        page.goto(site_url)
        frame = page.frame_locator("iframe")
        frame.get_by_text("Press Train to start the lesson's run").wait_for()
        frame.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
        frame.locator('[data-testid="stSidebarNav"] a[href$="/train"]').click()
        frame.locator(".st-key-btn_train button:visible").wait_for()
        framed = page.frames[1]
        assert "running" not in progress_text(framed) and "Epoch" not in progress_text(framed)
        frame.locator(".st-key-btn_train button:visible").click()
        wait_until(lambda: re.search(r"\b(running|done)\b", progress_text(framed)), 60, "the clicked run")
