"""PlanningArea helpers: layers by name, Chinese names for Chinese maps."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geoplan.data.area import PlanningArea, localised_names


def _layer() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["Aral", "Bulak", "Chong"], "name_zh": ["阿拉", None, " "]},
        geometry=[Point(0, 0), Point(1, 0), Point(2, 0)],
        index=pd.Index(["V1", "V2", "V3"], name="id"),
        crs="EPSG:32645",
    )


def test_chinese_names_where_a_row_has_one() -> None:
    layer = _layer()
    zh = localised_names(layer, "zh")
    assert zh["name"].tolist() == ["阿拉", "Bulak", "Chong"]  # blank and missing fall back
    assert layer["name"].tolist() == ["Aral", "Bulak", "Chong"]  # input untouched
    assert localised_names(layer, "en") is layer
    assert localised_names(layer.drop(columns="name_zh"), "zh")["name"].tolist() == [
        "Aral",
        "Bulak",
        "Chong",
    ]


def test_localised_area_and_layer_lookup(tiny_area: PlanningArea) -> None:
    villages = tiny_area.villages.assign(name_zh="村")
    area = PlanningArea(**{**tiny_area.__dict__, "villages": villages})
    zh = area.localised("zh")
    assert set(zh.villages["name"]) == {"村"}
    assert zh.townships is area.townships  # no name_zh: the same layer
    assert area.localised("en") is area
    with pytest.raises(KeyError, match="Unknown layer"):
        area.layer("roads")
