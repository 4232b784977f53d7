"""The dashboard's shared parts: typed session state, the settings form, runs, the page frame and the warm-up.

Pages (``pages/``) are thin scripts on top of these; the numbers and the figures come from ``dae_core``.
"""
