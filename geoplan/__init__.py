"""geoplan: road-network planning of rural teaching points and county-town school districts."""

from __future__ import annotations

from ._errors import GeoplanError, InfeasibleError, ValidationError
from .area import PlanningArea
from .rules import PlanningRules

__version__ = "0.1.0"

__all__ = ["GeoplanError", "InfeasibleError", "PlanningArea", "PlanningRules", "ValidationError"]
