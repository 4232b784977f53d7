"""``/ready``: whether the server keeps what visitors do, for a monitor; Streamlit's ``/_stcore/health`` stays as it is.

The two answer two questions. ``/_stcore/health`` (liveness) says the server serves pages: an orchestrator restarts
the server when it fails, and it stays ``ok`` while the data folder cannot keep runs, because the app still works
then (workspaces live in memory, and every page says why); restarting it would only lose those runs and fix nothing.
``/ready`` (readiness) says whether runs are being saved: 200 with ``{"store": "ok"}``, or 503 with
``{"store": "<the problem>"}``, the message every page's banner shows, naming ``DAE_DATA_DIR`` and what to do. A
monitor that alerts on it sees a full disk or a read-only folder at once, not in the log after visitors lost runs.
Each request checks the store again, cheaply: a read and a write rolled back (``FallbackStore.check``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import server


def ready(request: Request) -> JSONResponse:
    """200 while runs are being saved, else 503 saying why. A plain function: Starlette runs it in a thread, so the
    store's check never holds up the server's event loop."""
    problem = server.store().check()
    if problem:
        return JSONResponse({"store": problem}, status_code=503)
    return JSONResponse({"store": "ok"})


ROUTES = [Route("/ready", ready, methods=["GET"])]
