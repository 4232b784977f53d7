"""Denoising Autoencoder Lab: the entry point. Run it with ``streamlit run app.py``.

The file plays two parts:

- ``streamlit run app.py`` imports it as a module and serves ``app``. Its start-up hook starts paying the
  process's one-off costs in the background (the training workers' fork server importing PyTorch, then the pages'
  own imports: a few seconds on a small machine), so the server answers at once and a click that comes first waits
  visibly ("warming up"); when the server stops, the same hook keeps every run that is training as "interrupted",
  with its epochs. Its middleware (``dashboard.headers``) puts
  the security headers on every response and gives each browser the cookie its workspaces belong to.
- Streamlit then runs it as the script of every page view (as ``__main__``). There it only routes: every page
  sets itself up (state, sidebar) through ``dashboard.frame.page``. Training runs in a background job kept in the
  session, so moving a control or switching pages never stops it.
"""

import contextlib

import streamlit as st

from dashboard.frame import PAGES
from dashboard.warmup import warm_up
from dashboard.workspace import interrupt_live_runs

if __name__ == "__main__":
    warm_up()  # served without the start-up hook below (as in tests), the one-off costs load in the background
    page = st.navigation(
        [st.Page(path, title=title, icon=icon, default=i == 0) for i, (path, title, icon, _) in enumerate(PAGES)]
    )
    page.run()
else:
    from starlette.middleware import Middleware

    from dashboard.headers import SecurityHeaders
    from dashboard.readiness import ROUTES

    def leave_pages_folder_mode() -> None:
        """Put ``st.navigation`` below in charge from the server's very first page view.

        Streamlit 1.67's ``PagesManager`` sets its class flag ``uses_pages_directory`` when the first session
        starts and a folder named ``pages/`` lies beside the main script; while it is set, a script run goes through
        the old pages-folder mode (``_mpa_v1``), whose first ``/train`` request lists the folder's files as pages and
        whose timed fragments never fire. ``st.navigation`` clears the flag, but only after that first run.
        Clearing it before any session starts avoids the mode altogether (tests/e2e checks a fresh server).
        """
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False

    def follow_the_upload_limit() -> None:
        """Streamlit's own upload cap (``server.maxUploadSize``, which its uploader shows and its server enforces
        while the file streams in) is the profile's ``DAE_UPLOAD_MB``, so a larger file is refused before it is read."""
        from streamlit import config

        from dashboard import server

        config.set_option("server.maxUploadSize", server.LIMITS.upload_mb, where_defined="DAE_UPLOAD_MB")

    @contextlib.asynccontextmanager
    async def preload_on_start(_app):
        leave_pages_folder_mode()
        follow_the_upload_limit()
        warm_up()  # in the background: the server answers at once
        yield
        # Stopping (SIGTERM, Ctrl+C): keep every run that trains now, with its epochs, before the workers go.
        interrupt_live_runs()

    app = st.App("app.py", lifespan=preload_on_start, routes=ROUTES, middleware=[Middleware(SecurityHeaders)])
