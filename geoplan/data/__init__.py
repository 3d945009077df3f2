"""Input data: the planning area and everything that turns files into it.

Modules: ``area`` (``PlanningArea`` and the layer contracts), ``readers`` (a planning-area
folder), ``files`` (one file: encodings, columns, coordinates), ``validation`` (every contract
check), ``crs`` (coordinate systems), ``templates`` (blank sheets) and ``datasets`` (the demo).
"""
