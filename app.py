"""Denoising Autoencoder Lab: the entry point. Run it with ``streamlit run app.py``.

The file plays two parts:

- ``streamlit run app.py`` imports it as a module and serves ``app``. Its start-up hook pays the process's
  one-off costs (importing PyTorch and scikit-learn, torch's first optimizer: about 3 s on a small machine)
  before the server answers, so no visitor's first click waits for them.
- Streamlit then runs it as the script of every page view (as ``__main__``). There it only routes: every page
  sets itself up (state, sidebar) through ``pages.layout.page``. Training runs in a background job kept in the
  session, so moving a control or switching pages never stops it.
"""

import contextlib

import streamlit as st

from pages.common import PAGES, preload, warm_up
from pages.layout import leave_legacy_pages_mode

if __name__ == "__main__":
    warm_up()  # served without the start-up hook below (as in tests), the one-off costs load in the background
    leave_legacy_pages_mode()  # a fresh server's first run is wrapped in Streamlit's pages-folder mode: leave it
    page = st.navigation(
        [st.Page(path, title=title, icon=icon, default=i == 0) for i, (path, title, icon, _) in enumerate(PAGES)]
    )
    page.run()
else:

    @contextlib.asynccontextmanager
    async def preload_on_start(_app):
        preload()  # blocks the start on purpose: the server answers once it is warm
        yield

    app = st.App("app.py", lifespan=preload_on_start)
