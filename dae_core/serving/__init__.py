"""Serving runs to many people: background jobs, worker processes and their queue, limits, and kept workspaces.

The engine below (``dae_core`` itself) never imports this package; the dashboard, the command line and the
benchmarks do.
"""
