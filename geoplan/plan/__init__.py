"""Planning: pupils, their schools and the plan made from the models.

Modules: ``demand`` (projections), ``evaluate`` (assigning pupils, indicators), ``summary``
(county table), ``closures``, ``restoration``, ``pipeline`` (one plan end to end) and
``school_journeys`` (one school's journeys, for drawing).
"""
