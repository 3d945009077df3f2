"""Outputs: what a planner opens.

Modules: ``maps`` (the offline folium core), ``plan_maps``, ``profiles`` (one school, one map,
one book), ``printing`` (A4/A3 PDF and PNG) and ``plan_files`` (every file of a plan).
"""
