"""The Jinja2 templates of geoplan's HTML pages (``geoplan/outputs/templates/``), autoescaped.

Every value a template inserts is escaped for HTML; only markup geoplan itself made (inline SVG
charts drawn by matplotlib) is inserted with the ``safe`` filter.
Strings handed to folium's JavaScript are escaped by :func:`geoplan.outputs.maps.escape`.
"""

from __future__ import annotations

import functools
from typing import Any

import jinja2


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("geoplan", "outputs/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **context: Any) -> str:
    """The page ``template`` (a file of ``geoplan/outputs/templates/``) filled with ``context``."""
    return _environment().get_template(template).render(**context)
