"""Road networks and journeys.

Modules: ``roads`` (road graphs from OSM and local layers, the graph cache), ``modes`` (travel
modes, closures, per-mode routable arrays, snapping), ``terrain`` (slope) and ``travel``
(``TravelMatrix``).
"""
