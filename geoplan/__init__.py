"""geoplan: road-network planning of rural teaching points and county-town school districts."""

from __future__ import annotations

from geoplan.data.area import PlanningArea
from geoplan.errors import GeoplanError, InfeasibleError, ValidationError
from geoplan.rules import PlanningRules

__version__ = "0.1.0"

__all__ = ["GeoplanError", "InfeasibleError", "PlanningArea", "PlanningRules", "ValidationError"]
