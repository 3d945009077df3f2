"""Runs: scenario files and what runs them.

Modules: ``scenario`` (files and checks), ``runner`` (one run), ``compare``, ``batch`` (many
runs, locally or on Dask) and ``demo``.
"""
