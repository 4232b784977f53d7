"""Denoising Autoencoder Lab: the entry point. Run it with ``streamlit run app.py``.

It only routes: every page sets itself up (state, sidebar) through ``pages.layout.page``. Training runs in a
background job kept in the session, so moving a control or switching pages never stops it.
"""

import streamlit as st

from pages.common import PAGES, warm_up
from pages.layout import leave_legacy_pages_mode

warm_up()  # once per server, from its first page view on: the one-off imports run while that page is read
leave_legacy_pages_mode()  # a fresh server's first run is wrapped in Streamlit's pages-folder mode: leave it
page = st.navigation(
    [st.Page(path, title=title, icon=icon, default=i == 0) for i, (path, title, icon, _) in enumerate(PAGES)]
)
page.run()
