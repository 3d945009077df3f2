"""The embedded demo county: its files and the headline numbers it is built to show.

The numbers are read straight from the shipped GeoPackage with geopandas (independently of
``geoplan.data.readers``) and checked against the brief: Hejing County's size, pupils, schools,
58 oversized classes in 7 town schools, 30+ former sites, a town short of places until its
planned extension, most rural pupils beyond a day journey, and a road network osmnx loads.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pytest
import yaml

from geoplan.data.area import PlanningArea
from geoplan.data.datasets import demo_county, demo_folder, demo_roads_path
from geoplan.network.modes import SCHOOL_BUS, NetworkSettings
from geoplan.rules import BANDS, BANDS_BY_KIND, oversized_classes

# Equal-area projection for this part of Xinjiang (independent of the generator's UTM 45N).
ALBERS = "+proj=aea +lat_0=42.9 +lat_1=42.3 +lat_2=43.5 +lon_0=85 +datum=WGS84 +units=m"
LAYER_NAMES = ("townships", "villages", "schools", "sites", "blocks")
LIMIT = {"g1_3": 45, "g4_6": 45, "g7_9": 50}
# straight-line proxy of the day journey: speed (km/h) and limit (min); detour factor 1.3
SPEED_KPH = {"g1_3": 3.0, "g4_6": 4.0, "g7_9": 30.0}
DAY_LIMIT_MIN = {"g1_3": 30.0, "g4_6": 45.0, "g7_9": 60.0}
DETOUR = 1.3
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    gpkg = demo_folder() / "demo_county.gpkg"
    out = {}
    for name in LAYER_NAMES:
        gdf = gpd.read_file(gpkg, layer=name, engine="pyogrio")
        assert gdf.crs.to_epsg() == 4326, name
        out[name] = gdf.set_index("id").to_crs(ALBERS)
    return out


@pytest.fixture(scope="module")
def roads() -> Iterator[nx.MultiDiGraph]:
    extra = ["seasonal", "name:zh", "access:conditional"]
    before = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = before + extra
    try:
        yield ox.graph_from_xml(demo_roads_path(), simplify=True, retain_all=True)
    finally:
        ox.settings.useful_tags_way = before


def _xy(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return np.column_stack([gdf.geometry.x, gdf.geometry.y])


def _town(layers: dict[str, gpd.GeoDataFrame]) -> str:
    tw = layers["townships"]
    town = tw.index[tw["kind"] == "county_town"]
    assert len(town) == 1
    return str(town[0])


# ---- the package data --------------------------------------------------------------------


def test_package_files_and_size() -> None:
    folder = demo_folder()
    names = {p.name for p in folder.iterdir()}
    assert {"demo_county.gpkg", "roads.osm.bz2", "area.yaml"} <= names
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert total < 5 * 1024 * 1024
    area = yaml.safe_load((folder / "area.yaml").read_text(encoding="utf-8"))
    assert area["synthetic"] is True
    assert "synthetic" in area["name"]
    assert demo_roads_path() == folder / "roads.osm.bz2"


def test_demo_county_is_a_validated_synthetic_area() -> None:
    area = demo_county()
    assert isinstance(area, PlanningArea)
    assert area.synthetic
    assert "synthetic" in area.name
    assert area.roads_path is not None and area.roads_path.name == "roads.osm.bz2"
    assert area.crs is not None and area.crs.is_projected
    for name in LAYER_NAMES:
        layer = area.layer(name)
        assert layer.index.name == "id"
        assert all(isinstance(i, str) for i in layer.index)
        assert layer.crs == area.crs


def test_demo_county_returns_copies() -> None:
    first = demo_county()
    first.villages["pupils_g1_3"] = 0
    first.schools.loc[:, "status"] = "closed"
    first.blocks.iloc[0, 0] = "changed"
    second = demo_county()
    assert second.villages["pupils_g1_3"].sum() > 0
    assert (second.schools["status"] == "open").sum() == 18
    assert second.blocks.iloc[0, 0] != "changed"


# ---- county, townships ----------------------------------------------------------------------


def test_county_area_and_place(layers: dict[str, gpd.GeoDataFrame]) -> None:
    tw = layers["townships"]
    county = tw.union_all()
    assert 33_000 <= county.area / 1e6 <= 37_000
    # townships tile the county: no overlaps
    assert tw.area.sum() == pytest.approx(county.area, rel=1e-4)
    west, south, east, north = tw.to_crs(4326).total_bounds
    assert west >= 82.5 and east <= 87.3 and south >= 42.0 and north <= 43.8


def test_townships(layers: dict[str, gpd.GeoDataFrame]) -> None:
    tw = layers["townships"]
    town = _town(layers)
    pastoral = tw[tw["kind"] == "township"]
    assert len(pastoral) >= 9
    assert tw.loc[town].geometry.area / 1e6 < 500
    # the county town lies in the south-east
    c = tw.to_crs(4326).loc[town].geometry.centroid
    assert c.x > 86.0 and c.y < 42.5
    assert tw["name"].is_unique and tw["name_zh"].notna().all()


# ---- pupils -------------------------------------------------------------------------------


def test_pupils(layers: dict[str, gpd.GeoDataFrame]) -> None:
    villages, blocks = layers["villages"], layers["blocks"]
    cols = [f"pupils_{b}" for b in BANDS]
    rural = int(villages[cols].to_numpy().sum())
    town = int(blocks[cols].to_numpy().sum())
    assert 100 <= len(villages) <= 150
    assert 150 <= len(blocks) <= 400
    assert 8_000 <= rural <= 10_000
    assert 7_000 <= town <= 9_000
    assert 16_000 <= rural + town <= 18_000
    for layer in (villages, blocks):
        for band in BANDS:
            split = layer[f"pupils_{band}_resident"] + layer[f"pupils_{band}_migrant"]
            assert (split == layer[f"pupils_{band}"]).all()
    assert blocks[[f"pupils_{b}_migrant" for b in BANDS]].to_numpy().sum() > 0.15 * town


def test_points_lie_in_their_township(layers: dict[str, gpd.GeoDataFrame]) -> None:
    tw = layers["townships"]
    for name in ("villages", "schools", "sites"):
        layer = layers[name]
        joined = gpd.sjoin(layer[["township", "geometry"]], tw[["geometry"]], predicate="within")
        assert len(joined) == len(layer), name
        assert (joined["township"] == joined["id_right"]).all(), name
    town = _town(layers)
    assert (layers["villages"]["township"] != town).all()
    assert layers["blocks"].within(tw.loc[town].geometry).all()


def test_blocks_tile_the_town_with_shared_edges(layers: dict[str, gpd.GeoDataFrame]) -> None:
    blocks = layers["blocks"]
    assert blocks.is_valid.all()
    union = blocks.union_all()
    assert blocks.area.sum() == pytest.approx(union.area, rel=1e-4)
    # rook neighbours: a shared edge longer than 1 m; every block has one
    left, right = blocks.sindex.query(blocks.geometry, predicate="touches")
    shared = [
        blocks.geometry.iloc[i].intersection(blocks.geometry.iloc[j]).length
        for i, j in zip(left, right, strict=True)
    ]
    rook = {int(i) for i, s in zip(left, shared, strict=True) if s > 1.0}
    assert rook == set(range(len(blocks)))
    assert blocks["community"].notna().all() and blocks["community"].nunique() >= 4


# ---- schools ------------------------------------------------------------------------------


def test_open_schools(layers: dict[str, gpd.GeoDataFrame]) -> None:
    schools = layers["schools"]
    town = _town(layers)
    open_ = schools[schools["status"] == "open"]
    assert len(open_) == 18
    in_town = open_[open_["township"] == town]
    rural = open_[open_["township"] != town]
    assert 8 <= len(in_town) <= 12
    assert {"primary", "middle", "nine_year"} <= set(in_town["kind"])
    assert 6 <= len(rural) <= 10
    assert set(rural["kind"]) <= {"central_primary", "nine_year"}
    assert (schools[schools["status"] == "closed"][["enrolment_g1_3", "classes_g1_3"]] == 0).all(
        axis=None
    )
    for sid, row in open_.iterrows():
        for band in BANDS:
            if band not in BANDS_BY_KIND[row["kind"]]:
                assert row[f"classes_{band}"] == 0 and row[f"enrolment_{band}"] == 0, sid


def test_every_pupil_is_enrolled_once(layers: dict[str, gpd.GeoDataFrame]) -> None:
    open_ = layers["schools"][layers["schools"]["status"] == "open"]
    for band in BANDS:
        pupils = (
            layers["villages"][f"pupils_{band}"].sum() + layers["blocks"][f"pupils_{band}"].sum()
        )
        assert open_[f"enrolment_{band}"].sum() == pupils, band


def test_block_status_quo_schools(layers: dict[str, gpd.GeoDataFrame]) -> None:
    schools, blocks = layers["schools"], layers["blocks"]
    town = _town(layers)
    for col, band in (("school_primary", "g1_3"), ("school_middle", "g7_9")):
        assigned = schools.loc[blocks[col].unique()]
        assert (assigned["township"] == town).all()
        assert (assigned["status"] == "open").all()
        assert all(band in BANDS_BY_KIND[k] for k in assigned["kind"])
        # a school enrols at least the block pupils districted to it
        from_blocks = blocks.groupby(col)[f"pupils_{band}"].sum()
        assert (schools.loc[from_blocks.index, f"enrolment_{band}"] >= from_blocks).all()


def test_58_oversized_classes_in_7_town_schools(layers: dict[str, gpd.GeoDataFrame]) -> None:
    schools = layers["schools"]
    open_ = schools[schools["status"] == "open"]
    per_school = {
        sid: sum(
            oversized_classes(int(row[f"enrolment_{b}"]), int(row[f"classes_{b}"]))[0]
            for b in BANDS
        )
        for sid, row in open_.iterrows()
    }
    over = {sid: n for sid, n in per_school.items() if n > 0}
    assert sum(over.values()) == 58
    assert len(over) == 7
    assert (schools.loc[list(over), "township"] == _town(layers)).all()


def test_town_capacity_short_today_enough_with_extension(
    layers: dict[str, gpd.GeoDataFrame],
) -> None:
    schools, blocks = layers["schools"], layers["blocks"]
    town = schools[(schools["township"] == _town(layers)) & (schools["status"] == "open")]
    for level, bands in (("primary", ("g1_3", "g4_6")), ("middle", ("g7_9",))):
        today = sum(int(town[f"classes_{b}"].sum()) * LIMIT[b] for b in bands)
        planned = sum(int(town[f"planned_classes_{b}"].sum()) * LIMIT[b] for b in bands)
        enrolled = sum(int(town[f"enrolment_{b}"].sum()) for b in bands)
        block_pupils = sum(int(blocks[f"pupils_{b}"].sum()) for b in bands)
        assert today < enrolled, level
        assert today + planned >= 1.05 * enrolled, level
        assert today + planned >= 1.05 * block_pupils, level
        assert planned > 0, level


def _beyond_day_limit(layers: dict[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Rural pupils per band whose straight-line proxy journey exceeds the day limit."""
    schools = layers["schools"]
    open_ = schools[schools["status"] == "open"]
    villages = layers["villages"]
    vxy = _xy(villages)
    out = pd.DataFrame(index=villages.index)
    for band in BANDS:
        teaching = open_[[band in BANDS_BY_KIND[k] for k in open_["kind"]]]
        d = np.hypot(*(vxy[:, None, :] - _xy(teaching)[None, :, :]).transpose(2, 0, 1))
        minutes = d.min(axis=1) * DETOUR / 1000.0 / SPEED_KPH[band] * 60.0
        out[band] = np.where(minutes > DAY_LIMIT_MIN[band], villages[f"pupils_{band}"], 0)
    return out


def test_most_rural_pupils_board(layers: dict[str, gpd.GeoDataFrame]) -> None:
    # straight-line proxy (x1.3 detour); the travel-times tests replace it with network times
    far = _beyond_day_limit(layers)
    rural = layers["villages"][[f"pupils_{b}" for b in BANDS]].to_numpy().sum()
    beyond = int(far.to_numpy().sum())
    assert beyond > 0.6 * rural
    assert 6_000 <= beyond <= 11_000  # on the order of the source's 9,504 boarders
    beds = int(layers["schools"].query("status == 'open'")["boarding_beds"].sum())
    assert beds >= int(far[["g4_6", "g7_9"]].to_numpy().sum())
    assert 6_000 <= beds <= 12_000


# ---- former school sites ------------------------------------------------------------------


def test_sites(layers: dict[str, gpd.GeoDataFrame]) -> None:
    sites = layers["sites"]
    assert len(sites) >= 30
    assert sites["restore_cost_yuan"].between(0.8e6, 3.0e6).all()
    assert (sites["annual_cost_yuan"] > 0).all()
    assert set(sites["decision"]) == {"free", "must", "never"}
    assert (sites["max_classes"].between(1, 4)).all()
    assert (sites["min_pupils"] > 0).all()


def test_restoring_14_sites_clearly_helps(layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Greedy pick of 14 sites as teaching points (grades 1-3) by the straight-line proxy."""
    far = _beyond_day_limit(layers)["g1_3"]
    villages, sites = layers["villages"], layers["sites"]
    d = np.hypot(*(_xy(villages)[:, None, :] - _xy(sites)[None, :, :]).transpose(2, 0, 1))
    near = d * DETOUR / 1000.0 / SPEED_KPH["g1_3"] * 60.0 <= DAY_LIMIT_MIN["g1_3"]
    pupils = far.to_numpy()
    covered = np.zeros(len(villages), bool)
    for _ in range(14):
        gain = ((near & ~covered[:, None]) * pupils[:, None]).sum(axis=0)
        covered |= near[:, int(np.argmax(gain))]
    brought_near = int(pupils[covered].sum())
    assert brought_near >= 0.2 * pupils.sum()
    assert brought_near >= 500


# ---- roads --------------------------------------------------------------------------------


def test_roads_load_in_osmnx(roads: nx.MultiDiGraph) -> None:
    assert nx.is_weakly_connected(roads)
    edges = ox.graph_to_gdfs(roads, nodes=False)
    classes: set[str] = set()
    for hw in edges["highway"]:
        classes |= set(hw) if isinstance(hw, list) else {hw}
    assert {"trunk", "secondary", "tertiary", "unclassified", "track", "path", "residential"} <= (
        classes
    )
    assert edges["name"].notna().mean() > 0.9
    winter = edges[edges["name"] == "Aqik Winter Pass"]
    assert len(winter) > 0 and (winter["seasonal"] == "winter").all()
    assert (edges.get("seasonal", pd.Series(dtype=str)).dropna() == "winter").all()


def test_roads_node_count() -> None:
    raw = ox.graph_from_xml(demo_roads_path(), simplify=False, retain_all=True)
    assert 5_000 <= len(raw) <= 30_000


def test_everything_near_a_road(
    layers: dict[str, gpd.GeoDataFrame], roads: nx.MultiDiGraph
) -> None:
    edges = ox.graph_to_gdfs(roads, nodes=False).to_crs(ALBERS)
    network = edges.union_all()
    for name in ("schools", "sites", "villages"):
        dist = layers[name].distance(network)
        assert (dist <= 2_000).all(), (name, dist.max())


def test_everything_near_a_school_bus_road(
    layers: dict[str, gpd.GeoDataFrame], roads: nx.MultiDiGraph
) -> None:
    """Every place lies within the access distance of a road the school bus may use, so a demo
    run warns of no long access leg (far villages' footpaths end on a track)."""
    edges = ox.graph_to_gdfs(roads, nodes=False).to_crs(ALBERS)
    allowed = SCHOOL_BUS.allowed
    bus = edges[
        [bool(set(hw if isinstance(hw, list) else [hw]) & allowed) for hw in edges["highway"]]
    ]
    assert "path" not in allowed and "track" in allowed
    network = bus.union_all()
    limit = NetworkSettings().max_access_m
    for name in ("schools", "sites", "villages"):
        dist = layers[name].distance(network)
        assert (dist <= limit).all(), (name, dist.idxmax(), dist.max())
    # the paths stay: the last stretch to a far village is a footpath off the bus track
    assert (edges["highway"] == "path").sum() > 0


def test_town_streets_connect_the_blocks(
    layers: dict[str, gpd.GeoDataFrame], roads: nx.MultiDiGraph
) -> None:
    nodes = ox.graph_to_gdfs(roads, edges=False).to_crs(ALBERS)
    blocks = layers["blocks"]
    centroids = blocks.geometry.representative_point()
    nearest = nodes.sindex.nearest(centroids, return_distance=True, return_all=False)
    (_, node_pos), dist = nearest
    assert dist.max() < 400
    reached = {nodes.index[i] for i in node_pos}
    walk = roads.to_undirected()
    component = nx.node_connected_component(walk, next(iter(reached)))
    assert reached <= component


# ---- planner-facing copies ----------------------------------------------------------------


@pytest.mark.skipif(not (REPO / "data" / "demo").is_dir(), reason="no source checkout")
def test_planner_copies_match_the_package(layers: dict[str, gpd.GeoDataFrame]) -> None:
    data = REPO / "data"
    villages = pd.read_csv(data / "demo" / "villages.csv", dtype={"id": str})
    assert list(villages["id"]) == list(layers["villages"].index)
    assert {"lon", "lat"} <= set(villages.columns)
    sites = pd.read_csv(data / "demo" / "sites.csv", dtype={"id": str})
    assert list(sites["id"]) == list(layers["sites"].index)
    schools = pd.read_excel(data / "demo" / "schools.xlsx", dtype={"id": str}, engine="calamine")
    assert list(schools["id"]) == list(layers["schools"].index)
    assert (schools["enrolment_g7_9"].to_numpy() == layers["schools"]["enrolment_g7_9"]).all()
    tw = gpd.read_file(data / "boundaries" / "townships.geojson").set_index("id")
    assert list(tw.index) == list(layers["townships"].index)
    county = gpd.read_file(data / "boundaries" / "county.geojson").to_crs(ALBERS)
    assert county.area.sum() == pytest.approx(layers["townships"].area.sum(), rel=1e-3)
    assert (data / "demo" / "roads.osm.bz2").read_bytes() == demo_roads_path().read_bytes()
