"""How pupils get to school (walk, bus, escorted, board): the ways MIP against brute force.

Oracles: exhaustive enumeration of every assignment on tiny counties (the lexicographic objective
and the least additions), hand-worked journeys and acceptability on a hand-made county, and an
independent recount of places, seats and beds from the assignment rows.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoplan.errors import ScenarioError
from geoplan.models.ways import LEVELS, WAYS, least_additions, solve_ways
from geoplan.plan.pipeline import PlanResult
from geoplan.plan.ways import WayJourneys, WaysSettings, day_way_minutes, plan_ways
from geoplan.rules import BANDS, PlanningRules
from geoplan.runs.scenario import load_scenario

BOARD, BUS = WAYS.index("board"), WAYS.index("bus")


def _instance(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A tiny random county: 4 groups of 2 bands, 2 schools, a few options each."""
    n_g, n_s = 4, 2
    og, os_, ow, om = [], [], [], []
    for g in range(n_g):
        for s in range(n_s):
            for w in range(len(WAYS)):
                if rng.random() < 0.35:
                    og.append(g)
                    os_.append(s)
                    ow.append(w)
                    om.append(float(rng.integers(5, 60)))
    return {
        "pupils": rng.integers(1, 30, n_g).astype(float),
        "band": rng.integers(0, 2, n_g),
        "option_group": np.array(og, dtype=int),
        "option_school": np.array(os_, dtype=int),
        "option_way": np.array(ow, dtype=int),
        "option_minutes": np.array(om),
        "places": rng.integers(0, 50, (n_s, 2)).astype(float),
        "seats": rng.integers(0, 30, n_s).astype(float),
        "beds": rng.integers(0, 30, n_s).astype(float),
    }


def _loads(d: dict[str, np.ndarray], pick: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    n_s = d["places"].shape[0]
    places = np.zeros_like(d["places"])
    seats, beds = np.zeros(n_s), np.zeros(n_s)
    for g, k in enumerate(pick):
        if k < 0:
            continue
        s, w, p = d["option_school"][k], d["option_way"][k], d["pupils"][g]
        places[s, d["band"][g]] += p
        seats[s] += p if w == BUS else 0
        beds[s] += p if w == BOARD else 0
    return places, seats, beds


def _key(d: dict[str, np.ndarray], pick: tuple[int, ...]) -> tuple[float, ...]:
    none = boarders = day = trip = 0.0
    for g, k in enumerate(pick):
        p = d["pupils"][g]
        if k < 0:
            none += p
        elif d["option_way"][k] == BOARD:
            boarders += p
            trip += p * d["option_minutes"][k]
        else:
            day += p * d["option_minutes"][k]
    return (none, boarders, day, trip)


def _choices(d: dict[str, np.ndarray], *, allow_none: bool) -> list[tuple[int, ...]]:
    per_group = []
    for g in range(d["pupils"].size):
        opts = [int(k) for k in np.flatnonzero(d["option_group"] == g)]
        per_group.append([*opts, -1] if allow_none or not opts else opts)
    return list(itertools.product(*per_group))


def _lex_less(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    for x, y in zip(a, b, strict=True):
        if x < y - 1e-6:
            return True
        if x > y + 1e-6:
            return False
    return False


def _fits(d: dict[str, np.ndarray], pick: tuple[int, ...]) -> bool:
    places, seats, beds = _loads(d, pick)
    return bool(
        (places <= d["places"] + 1e-9).all()
        and (seats <= d["seats"] + 1e-9).all()
        and (beds <= d["beds"] + 1e-9).all()
    )


@pytest.mark.parametrize("seed", range(25))
def test_solve_ways_agrees_with_brute_force(seed: int) -> None:
    d = _instance(np.random.default_rng(seed))
    best: tuple[float, ...] | None = None
    for pick in _choices(d, allow_none=True):
        if _fits(d, pick):
            key = _key(d, pick)
            if best is None or _lex_less(key, best):
                best = key
    got = solve_ways(**d)
    pick = tuple(int(k) for k in got.choice)
    assert _fits(d, pick)  # independent recount of places, seats and beds
    assert best is not None
    assert _key(d, pick) == pytest.approx(best, abs=1e-6)
    assert [got.objective[name] for name in LEVELS] == pytest.approx(list(best), abs=1e-6)
    places, seats, beds = _loads(d, pick)
    assert np.allclose(got.places_used, places) and np.allclose(got.seats_used, seats)
    assert np.allclose(got.beds_used, beds)
    for g, k in enumerate(pick):  # a chosen option belongs to its group
        assert k < 0 or d["option_group"][k] == g
    assert got.proven


@pytest.mark.parametrize("seed", range(15))
def test_least_additions_agree_with_brute_force(seed: int) -> None:
    d = _instance(np.random.default_rng(100 + seed))
    size = np.array([[10.0, 10.0], [10.0, 0.0]])  # no class of the second band at school 1
    best: tuple[float, ...] | None = None
    for pick in _choices(d, allow_none=True):
        places, seats, beds = _loads(d, pick)
        short = np.maximum(places - d["places"], 0.0)
        if (short[size == 0] > 0).any():
            continue
        classes = np.ceil(np.divide(short, size, out=np.zeros_like(short), where=size > 0))
        units = (
            np.maximum(seats - d["seats"], 0).sum()
            + np.maximum(beds - d["beds"], 0).sum()
            + (classes * size).sum()
        )
        key = (_key(d, pick)[0], float(units), _key(d, pick)[1])
        if best is None or _lex_less(key, best):
            best = key
    got = least_additions(**d, class_size=size)
    assert best is not None
    assert (got.no_way_pupils, got.total_units, got.boarders) == pytest.approx(best)
    # the plan with the additions fits them; a group with no option is never assigned
    pick = tuple(int(k) for k in got.choice)
    has = {int(g) for g in d["option_group"]}
    assert all(k < 0 for g, k in enumerate(pick) if g not in has)
    assert _key(d, pick)[0] == pytest.approx(got.no_way_pupils)
    more = {
        **d,
        "places": d["places"] + got.places,
        "seats": d["seats"] + got.seats,
        "beds": d["beds"] + got.beds,
    }
    assert _fits(more, pick)
    assert got.total_units == pytest.approx(got.seats.sum() + got.beds.sum() + got.places.sum())
    for added in (got.seats, got.beds, got.classes, got.places):  # whole, never "-0" in a table
        assert not np.signbit(added).any() and np.array_equal(added, np.floor(added))


def test_groups_without_pupils_take_their_best_way() -> None:
    got = solve_ways(
        pupils=[0.0, 5.0],
        band=[0, 0],
        option_group=[0, 0, 1],
        option_school=[0, 0, 0],
        option_way=[BOARD, 0, 0],
        option_minutes=[100.0, 20.0, 10.0],
        places=[[5.0]],
        seats=[0.0],
        beds=[0.0],
    )
    assert list(got.choice) == [1, 2]  # the empty group walks, taking no place


# --------------------------------------------------------------------------- a hand-made county

IDS = ["V1", "V2", "V3", "V4"]
SCHOOLS = ["S1", "S2"]


def _county() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, WayJourneys]:
    """Four villages, two schools; every journey written by hand (minutes)."""
    villages = pd.DataFrame(
        {
            "township": ["T1", "T1", "T2", "T2"],
            "pupils_g1_3": [20, 10, 8, 6],
            "pupils_g4_6": [15, 12, 9, 0],
            "pupils_g7_9": [0, 0, 0, 0],
            "escorted": ["no", "no", "no", "yes"],
        },
        index=pd.Index(IDS, name="id"),
    )
    schools = pd.DataFrame(
        {
            "kind": ["primary", "primary"],
            "township": ["T1", "T2"],
            "status": ["open", "open"],
            "classes_g1_3": [1, 1],
            "classes_g4_6": [1, 1],
            "classes_g7_9": [0, 0],
            "boarding_beds": [0, 10],
            "bus_seats": [12, 0],
        },
        index=pd.Index(SCHOOLS, name="id"),
    )
    sites = pd.DataFrame({"township": [], "max_classes": []}, index=pd.Index([], name="id"))

    def frame(rows: list[list[float]]) -> pd.DataFrame:
        return pd.DataFrame(rows, index=IDS, columns=SCHOOLS, dtype="float64")

    walk = frame([[10, 90], [50, 80], [70, 25], [100, 120]])
    journeys = WayJourneys(
        walk={"g1_3": walk, "g4_6": walk * 0.75, "g7_9": walk * 0.75},
        walk_kph={"g1_3": 3.0, "g4_6": 4.0, "g7_9": 4.0},
        # the ride from the village's stop; + walk to the stop at the band's speed + 10 min wait
        bus_ride=frame([[5, 40], [12, 30], [30, 20], [60, 60]]),
        bus_walk_m=pd.Series([100.0, 250.0, 3000.0, 500.0], index=IDS),
        escorted=frame([[4, 20], [10, 15], [20, 8], [25, 28]]),
        trips=frame([[5, 30], [12, 25], [30, 15], [50, 45]]),
    )
    return villages, schools, sites, journeys


def test_hand_made_county() -> None:
    villages, schools, sites, journeys = _county()
    rules = PlanningRules(class_size_limit={"g1_3": 25, "g4_6": 25, "g7_9": 50})
    got = plan_ways(
        villages, schools, sites, journeys, settings=WaysSettings(), rules=rules,
        band_modes={"g1_3": "child_walk", "g4_6": "pupil_walk", "g7_9": "school_bus"},
    )  # fmt: skip
    a = got.assignment
    # V2 grades 1-3: walk 50 > 30; bus = 250 m at 3 km/h (5 min) + 10 wait + 12 = 27 <= 30
    opts = got.options.loc[("V2", "g1_3")].set_index(["school", "way"])
    assert opts.loc[("S1", "bus"), "journey_min"] == pytest.approx(27.0)
    assert bool(opts.loc[("S1", "bus"), "acceptable"])
    # V3: its bus stop is 3,000 m away (most 2,000): no bus; walks 25 min to S2
    assert not got.options.loc[("V3",)].query("way == 'bus'")["acceptable"].any()
    assert a.loc[("V3", "g1_3"), ["school", "way"]].tolist() == ["S2", "walk"]
    # V1's 20 pupils of grades 1-3 walk to S1 (10 min; the bus's 12 seats are too few); S1
    # has 25 places of grades 1-3, so V2's 10 cannot join by bus (20 + 10 > 25); grades 1-3 do
    # not board and V2 is not escorted: no way
    assert a.loc[("V1", "g1_3"), ["school", "way", "day_journey_min"]].tolist() == [
        "S1",
        "walk",
        10.0,
    ]
    assert a.loc[("V2", "g1_3"), "way"] == "none"
    row = got.no_way.loc[("V2", "g1_3")]
    assert row["reason"] == "ways_full"
    assert "bus to S1 (27 min): 25 places of grades 1-3, 5 free; 12 bus seats" in row["detail"]
    # V4 is escorted (its own column): to S1 in 25 min its 6 would overfill S1 (26 > 25), so
    # to S2 in 28 min, with V3's 8 who walk there in 25 min (V3's stop is too far for the bus)
    assert a.loc[("V4", "g1_3"), ["school", "way", "mode"]].tolist() == ["S2", "escorted", "riding"]
    # grades 4-6 (walk = 0.75 x): V1 walks 7.5 min to S1, V3 18.75 to S2; V2 (12) fits nowhere:
    # S1 has 25 places for V1's 15 + 12, S2 has no bus seats and 10 beds; fewest without a way
    # leaves V2 (12) out rather than V1 (15)
    assert a.loc[("V1", "g4_6"), ["school", "way", "day_journey_min"]].tolist() == [
        "S1",
        "walk",
        7.5,
    ]
    assert a.loc[("V3", "g4_6"), ["school", "way"]].tolist() == ["S2", "walk"]
    assert a.loc[("V2", "g4_6"), "way"] == "none"
    assert got.solution.objective["no_way_pupils"] == 10 + 12
    # least additions: 2 beds at S2 board V2's grades 4-6 (2 units, cheaper than 12 seats or a
    # class); a class of grades 1-3 at S1 (25 places) lets V2's grades 1-3 ride the bus
    assert got.least is not None
    assert got.least.no_way_pupils == 0
    assert got.least.total_units == 27
    assert got.least.beds.tolist() == [0, 2] and got.least.seats.tolist() == [0, 0]
    assert got.least.classes[0].tolist() == [1, 0, 0]
    assert got.summary() == ["1 more class of grades 1-3 at S1 (25 places)", "2 more beds at S2"]
    placed = a[a["way"] != "none"].reset_index()
    # independent recount of places (classes x the rules' 25 and 50), seats and beds
    for sid in SCHOOLS:
        mine = placed[placed["school"] == sid]
        for band, limit in (("g1_3", 25), ("g4_6", 25), ("g7_9", 50)):
            cap = schools.loc[sid, f"classes_{band}"] * limit
            assert got.schools.loc[sid, f"places_{band}"] == cap
            assert mine.loc[mine["band"] == band, "pupils"].sum() <= cap + 1e-9
        for way in ("walk", "bus", "escorted", "board"):  # pupils by way, a column each
            by_way = mine.loc[mine["way"] == way, "pupils"].sum()
            assert got.schools.loc[sid, f"{way}_pupils"] == by_way
        assert mine.loc[mine["way"] == "bus", "pupils"].sum() <= schools.loc[sid, "bus_seats"]
        assert mine.loc[mine["way"] == "board", "pupils"].sum() <= schools.loc[sid, "boarding_beds"]
    # every village and band has a way and a school, or is listed with a reason
    for key, r in a.iterrows():
        if r["pupils"] == 0:
            continue
        if r["way"] == "none":
            assert key in got.no_way.index and got.no_way.loc[key, "detail"]
        else:
            assert r["school"] in SCHOOLS and math.isfinite(r["journey_min"])


def test_unknown_bus_seat_schools_are_refused_from_the_catalogue() -> None:
    """The library's own refusal (no scenario file): coded, so it reads in Chinese too."""
    from geoplan.data.messages import problem_text

    villages, schools, sites, journeys = _county()
    with pytest.raises(ScenarioError) as err:
        plan_ways(villages, schools, sites, journeys, settings=WaysSettings(bus_seats={"S9": 3}))
    (problem,) = err.value.problems
    assert (problem.code, problem.column, problem.value) == (
        "scenario_unknown_ids",
        "ways.bus_seats",
        "S9",
    )
    assert "S1, S2" in problem.fix and "schools 图层" in problem_text(problem, "zh")[0]


def test_board_only_for_board_bands_and_reason_names_each_way() -> None:
    villages, schools, sites, journeys = _county()
    far = WayJourneys(
        walk={b: journeys.walk[b] + 500 for b in BANDS},
        walk_kph=journeys.walk_kph,
        bus_ride=journeys.bus_ride + 500,
        bus_walk_m=journeys.bus_walk_m,
        escorted=journeys.escorted + 500,
        trips=journeys.trips,
    )
    got = plan_ways(
        villages, schools, sites, far, settings=WaysSettings(escorted_townships=("T1",))
    )
    a = got.assignment
    assert (a.xs("g1_3", level="band")["way"] == "none").all()
    boarders = a[a["way"] == "board"]
    assert set(boarders.index.get_level_values("band")) == {"g4_6"}
    assert (boarders["school"] == "S2").all()  # only S2 has beds
    assert boarders["pupils"].sum() <= 10
    detail = got.no_way.loc[("V1", "g1_3"), "detail"]
    for part in ("walk:", "bus:", "escorted:", "board: grades 1-3 do not board"):
        assert part in detail
    assert "not allowed" not in detail.split("escorted:")[1].split(";")[0]  # T1 is escorted
    # beds are the fix for grades 4-6: the additions add beds, never a bed for grades 1-3
    assert got.least is not None and got.least.beds.sum() > 0
    assert (got.no_way.xs("g1_3", level="band")["reason"] == "no_acceptable_way").all()


# --------------------------------------------------------------------------- scenario


def _scenario(tmp_path: Path, ways: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(f"area: {{folder: {tmp_path}}}\nways: {ways}\n", encoding="utf-8")
    return path


def test_ways_section_is_read(tmp_path: Path) -> None:
    got = load_scenario(
        _scenario(
            tmp_path,
            "{bus_walk_max_m: 1500, bus_wait_min: 5, escorted_townships: [T03], "
            "escorted_mode: car, board_bands: [g7_9], bus_seats: {S04: 40}, "
            "walk_modes: {g7_9: child_walk}, places: false, time_limit_s: 20}",
        )
    ).settings.ways
    assert got == WaysSettings(
        bus_walk_max_m=1500.0,
        bus_wait_min=5.0,
        escorted_townships=("T03",),
        escorted_mode="car",
        board_bands=("g7_9",),
        bus_seats={"S04": 40},
        walk_modes={"g7_9": "child_walk"},
        places=False,
        time_limit_s=20.0,
    )
    assert load_scenario(_scenario(tmp_path, "{enabled: false}")).settings.ways is None


@pytest.mark.parametrize(
    ("ways", "words"),
    [
        ("{bus_walk_max_m: -5}", "ways.bus_walk_max_m"),
        ("{escorted_mode: child_walk}", "riding, car"),
        ("{board_bands: [g10]}", "[g4_6, g7_9]"),
        ("{walk_modes: {g1_3: car}}", "Not a walking mode"),
        ("{bus_seats: {S04: -1}}", "ways.bus_seats.S04"),
        ("{bus_seats: 40}", "school id: seats"),
        ("{escorted_townships: T03}", "ways.escorted_townships"),
        ("{bus_wait: 10}", "bus_wait_min"),
    ],
)
def test_ways_section_errors(tmp_path: Path, ways: str, words: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(_scenario(tmp_path, ways))
    assert words in str(err.value)


def test_day_way_minutes_take_the_quickest_allowed_day_way() -> None:
    villages, schools, sites, journeys = _county()
    got = day_way_minutes(villages, schools, sites, journeys, settings=WaysSettings())
    g13 = got["g1_3"]
    # V1: walk 10 / bus 2 + 10 + 5 = 17 to S1; to S2 walk 90, no bus (S2 has no seats)
    assert g13.loc["V1", "S1"] == pytest.approx(10.0)
    assert g13.loc["V1", "S2"] == pytest.approx(90.0)
    # V2: bus 5 + 10 + 12 = 27 to S1 beats walking 50
    assert g13.loc["V2", "S1"] == pytest.approx(27.0)
    # V3: its stop is 3,000 m away, so walking only; V4 is escorted: 25 and 28
    assert g13.loc["V3"].tolist() == pytest.approx([70.0, 25.0])
    assert g13.loc["V4"].tolist() == pytest.approx([25.0, 28.0])


# --------------------------------------------------------------------------- the demo county


@pytest.fixture(scope="module")
def demo_ways() -> PlanResult:
    from geoplan.data.datasets import demo_scenarios
    from geoplan.runs.runner import plan_scenario

    return plan_scenario(demo_scenarios() / "ways_bus_and_escort.yaml").result


@pytest.mark.slow
def test_demo_ways_hold_every_capacity_and_leave_nobody_unlisted(demo_ways: PlanResult) -> None:
    area = demo_ways.area
    settings = demo_ways.settings.ways
    assert settings is not None and demo_ways.ways_before and demo_ways.ways_after
    rules = demo_ways.settings.rules
    seats = {sid: float(settings.bus_seats.get(sid, 0)) for sid in area.schools.index}
    for ways in (demo_ways.ways_before, demo_ways.ways_after):
        rows = ways.assignment.reset_index()
        placed = rows[rows["way"] != "none"]
        # independent recount: places from the layer (classes x limit; a site 4 x 30)
        for sid, part in placed.groupby("school"):
            for band, got in part.groupby("band")["pupils"].sum().items():
                if sid in area.schools.index:
                    row = area.schools.loc[sid]
                    cap = float(row[f"classes_{band}"]) * rules.limit_for(str(row["kind"]), band)
                else:
                    assert band == "g1_3"
                    cap = 4 * rules.teaching_point_class_size_limit
                assert got <= cap + 1e-9, (sid, band)
            bus = part.loc[part["way"] == "bus", "pupils"].sum()
            assert bus <= seats.get(str(sid), 0.0) + 1e-9
            beds = area.schools["boarding_beds"].get(sid, 0)
            assert part.loc[part["way"] == "board", "pupils"].sum() <= beds + 1e-9
        assert not ((placed["band"] == "g1_3") & (placed["way"] == "board")).any()
        # every day pupil within the day limit, every village and band a way or a reason
        day = placed[placed["way"] != "board"]
        assert (day["day_journey_min"] <= day["band"].map(rules.day_limit_min) + 1e-9).all()
        assert day["school"].notna().all() and placed["journey_min"].notna().any()
        none = rows[(rows["way"] == "none") & (rows["pupils"] > 0)]
        listed = ways.no_way.index
        assert len(none) == len(listed)
        assert all((r["id"], r["band"]) in listed for _, r in none.iterrows())
        assert (ways.no_way["detail"].str.len() > 0).all()
        # escorted only where allowed
        esc = placed[placed["way"] == "escorted"]
        assert esc["township"].isin(settings.escorted_townships).all()
    # the indicators are the ways'
    assert demo_ways.before is demo_ways.ways_before.assignment
    metrics = demo_ways.metrics
    assert metrics["after_unserved"] == metrics["after_ways_none_pupils"]
    assert metrics["after_day_pupils"] == (
        metrics["after_ways_walk_pupils"]
        + metrics["after_ways_bus_pupils"]
        + metrics["after_ways_escorted_pupils"]
    )


@pytest.mark.slow
def test_demo_ways_metrics_are_defined(demo_ways: PlanResult) -> None:
    from test_indicators import undefined_keys

    assert not undefined_keys(demo_ways.metrics)


def test_unknown_ids_of_ways_are_refused_with_the_field(tmp_path: Path) -> None:
    from geoplan.data.datasets import demo_folder
    from geoplan.runs.runner import prepare_area

    for ways, field in (
        ("{escorted_townships: [T03, T99]}", "ways.escorted_townships"),
        ("{bus_seats: {S99: 40}}", "ways.bus_seats"),
    ):
        path = tmp_path / "s.yaml"
        path.write_text(f"area: {{folder: {demo_folder()}}}\nways: {ways}\n", encoding="utf-8")
        with pytest.raises(ScenarioError) as err:
            prepare_area(load_scenario(path))
        assert err.value.problems and err.value.problems[0].column == field
        assert "99" in str(err.value)
    # every unknown id of every field at once, not the first field only
    path.write_text(
        f"area: {{folder: {demo_folder()}}}\nrestoration: {{must: [P99]}}\n"
        "ways: {escorted_townships: [T99], bus_seats: {P04: 40}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as err:
        prepare_area(load_scenario(path))
    got = {(p.column, p.value) for p in err.value.problems}
    assert got == {
        ("restoration.must", "P99"),
        ("ways.escorted_townships", "T99"),
        ("ways.bus_seats", "P04"),
    }


@pytest.mark.slow
@pytest.mark.browser
def test_ways_map_colours_villages_by_way_offline(demo_ways: PlanResult, tmp_path: Path) -> None:
    from browser import check_map_in_browser

    from geoplan.outputs import maps, plan_maps

    path = maps.save_offline(plan_maps.ways_map(demo_ways, lang="en"), tmp_path / "ways.html")
    report = check_map_in_browser(path, max_per_layer=2)  # no error, request or dialog
    n = len(demo_ways.area.villages)
    assert report.layer_counts["Grades 4-6 · way to school"] == n
    g13 = demo_ways.ways_after.assignment.xs("g1_3", level="band") if demo_ways.ways_after else None
    assert g13 is not None
    placed = int((g13["school"].notna() & (g13["pupils"] > 0)).sum())
    assert report.layer_counts["Grades 1-3 · lines to school"] == placed
    page = path.read_text(encoding="utf-8")
    for way, color in plan_maps.WAY_COLORS.items():
        if (g13["way"] == way).any():
            assert color in page


@pytest.mark.slow
def test_profiles_show_seats_and_beds_used(demo_ways: PlanResult) -> None:
    from geoplan.outputs.profiles import school_profiles, summary_rows

    table = school_profiles(demo_ways)
    assert demo_ways.ways_after is not None
    used = demo_ways.ways_after.schools
    assert table.loc["S12", "seats_used"] == used.loc["S12", "seats_used"] > 0
    assert table.loc["S12", "bus_seats"] == 80
    rows = dict(summary_rows(table.loc["S12"], "en"))
    assert rows["Bus seats used (of seats)"] == f"{used.loc['S12', 'seats_used']:,.0f} (80)"


def _random_county(
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, WayJourneys]:
    """Two villages, two primary schools; random journeys, seats, beds and classes."""
    ids, sids = ["V1", "V2"], ["S1", "S2"]
    villages = pd.DataFrame(
        {
            "township": ["T1", "T2"],
            "pupils_g1_3": rng.integers(1, 30, 2),
            "pupils_g4_6": rng.integers(1, 30, 2),
            "pupils_g7_9": [0, 0],
            "escorted": rng.choice(["yes", "no"], 2),
        },
        index=pd.Index(ids, name="id"),
    )
    schools = pd.DataFrame(
        {
            "kind": ["primary", "primary"],
            "status": ["open", "open"],
            "classes_g1_3": rng.integers(0, 3, 2),
            "classes_g4_6": rng.integers(0, 3, 2),
            "classes_g7_9": [0, 0],
            "boarding_beds": rng.integers(0, 30, 2),
            "bus_seats": rng.integers(0, 30, 2),
        },
        index=pd.Index(sids, name="id"),
    )
    sites = pd.DataFrame({"township": [], "max_classes": []}, index=pd.Index([], name="id"))

    def frame() -> pd.DataFrame:
        return pd.DataFrame(rng.uniform(5, 70, (2, 2)), index=ids, columns=sids)

    walk = frame()
    journeys = WayJourneys(
        walk={"g1_3": walk, "g4_6": frame(), "g7_9": frame()},
        walk_kph={"g1_3": 3.0, "g4_6": 4.0, "g7_9": 4.0},
        bus_ride=frame(),
        bus_walk_m=pd.Series(rng.uniform(0, 3000, 2), index=ids),
        escorted=frame(),
        trips=frame(),
    )
    return villages, schools, sites, journeys


@pytest.mark.parametrize("seed", range(12))
def test_plan_ways_agrees_with_brute_force_on_tiny_counties(seed: int) -> None:
    villages, schools, sites, j = _random_county(np.random.default_rng(500 + seed))
    limit = {"g1_3": 30.0, "g4_6": 45.0}
    size = 10  # class-size limit of the rules below
    rules = PlanningRules(class_size_limit={"g1_3": size, "g4_6": size, "g7_9": size})
    settings = WaysSettings(escorted_townships=("T1",))
    # the ways of each group, by the rules written out here (not by way_options)
    groups = [(v, b) for v in villages.index for b in ("g1_3", "g4_6")]
    options: list[list[tuple[str, str, float]]] = []
    for v, b in groups:
        mine = []
        for s in schools.index:
            stop = j.bus_walk_m[v]
            bus = j.bus_ride.loc[v, s] + stop / (j.walk_kph[b] * 1000 / 60) + 10.0
            if j.walk[b].loc[v, s] <= limit[b]:
                mine.append((s, "walk", j.walk[b].loc[v, s]))
            if stop <= 2000 and bus <= limit[b]:
                mine.append((s, "bus", bus))
            town = villages.loc[v, "township"] == "T1" or villages.loc[v, "escorted"] == "yes"
            if town and j.escorted.loc[v, s] <= limit[b]:
                mine.append((s, "escorted", j.escorted.loc[v, s]))
            if b == "g4_6":
                mine.append((s, "board", j.trips.loc[v, s]))
        options.append(mine)
    pupils = [float(villages.loc[v, f"pupils_{b}"]) for v, b in groups]
    best: tuple[float, ...] | None = None
    for pick in itertools.product(*[[*range(len(o)), -1] for o in options]):
        load: dict[tuple[str, str], float] = {}
        for g, k in enumerate(pick):
            if k < 0:
                continue
            s, w, _ = options[g][k]
            p = pupils[g]
            for key in ((s, groups[g][1]), (s, w)):
                load[key] = load.get(key, 0.0) + p
        fits = all(
            load.get((s, b), 0.0) <= schools.loc[s, f"classes_{b}"] * size
            for s in schools.index
            for b in ("g1_3", "g4_6")
        )
        fits &= all(load.get((s, "bus"), 0.0) <= schools.loc[s, "bus_seats"] for s in schools.index)
        fits &= all(
            load.get((s, "board"), 0.0) <= schools.loc[s, "boarding_beds"] for s in schools.index
        )
        if not fits:
            continue
        key_ = [0.0, 0.0, 0.0, 0.0]
        for g, k in enumerate(pick):
            if k < 0:
                key_[0] += pupils[g]
            elif options[g][k][1] == "board":
                key_[1] += pupils[g]
                key_[3] += pupils[g] * options[g][k][2]
            else:
                key_[2] += pupils[g] * options[g][k][2]
        if best is None or _lex_less(tuple(key_), best):
            best = tuple(key_)
    got = plan_ways(villages, schools, sites, j, settings=settings, rules=rules)
    assert best is not None
    assert [got.solution.objective[n] for n in LEVELS] == pytest.approx(list(best), abs=1e-6)


# --------------------------------------------------------------------------- results.gpkg


@pytest.mark.slow
def test_ways_layers_in_results_gpkg(tmp_path: Path) -> None:
    """The ways of today and after the plan are layers of ``results.gpkg`` (one point per
    village, per band the school, way, journey and reason), read back with geopandas as the plan
    holds them, and open in QGIS coloured by the way grades 1-3 take, as on the ways map."""
    import geopandas as gpd
    import pyogrio
    from conftest import build_tiny_area, build_tiny_graph
    from test_layer_styles import _rules, _styles

    from geoplan.data.readers import write_layers_gpkg
    from geoplan.outputs.labels import PLAN_MAP_TEXT
    from geoplan.outputs.layer_styles import write_layer_styles
    from geoplan.outputs.plan_maps import WAY_COLORS
    from geoplan.plan.pipeline import PlanSettings, make_plan
    from geoplan.runs.runner import RESULT_LAYERS, result_layers

    area = build_tiny_area()
    ways = WaysSettings(bus_seats={s: 40 for s in area.schools.index}, escorted_townships=("T2",))
    settings = PlanSettings(ways=ways, sites_per_phase=(1, 1), years=2, cache_dir=tmp_path)
    plan = make_plan(area, graph=build_tiny_graph(), settings=settings)
    assert plan.ways_before is not None and plan.ways_after is not None
    layers = result_layers(plan)
    gpkg = write_layers_gpkg(layers, tmp_path / "results.gpkg")
    write_layer_styles(gpkg, layers, lang="en")
    names = {str(n) for n, _ in pyogrio.list_layers(gpkg)}
    assert {"ways_villages_today", "ways_villages_after_plan"} <= names
    assert names <= {*RESULT_LAYERS, "layer_styles"}
    _, styles, _, _ = _styles(gpkg)
    words = PLAN_MAP_TEXT["en"]["way_names"]
    for label, held in (("today", plan.ways_before), ("after_plan", plan.ways_after)):
        layer = gpd.read_file(gpkg, layer=f"ways_villages_{label}", engine="pyogrio")
        layer = layer.set_index("id")
        assert list(layer.index) == list(area.villages.index)
        assert layer.crs == area.crs
        assert (layer.geometry.distance(area.villages.geometry) < 1e-6).all()
        seen = set()
        for (vid, band), row in held.assignment.iterrows():
            got = layer.loc[vid]
            seen.add(row["way"])
            assert got[f"way_{band}"] == row["way"], (vid, band)
            assert got[f"status_{band}"] == row["status"], (vid, band)
            assert got[f"pupils_{band}"] == row["pupils"], (vid, band)
            school = got[f"school_{band}"]
            assert (None if pd.isna(school) else school) == (
                None if pd.isna(row["school"]) else row["school"]
            )
            reason = got[f"reason_{band}"]
            assert ("" if reason is None else reason) == row["reason"], (vid, band)
            for col in ("day_journey_min", "weekly_trip_min"):
                want, have = row[col], got[f"{col[:-4]}_{band}_min"]
                assert (pd.isna(want) and pd.isna(have)) or have == pytest.approx(want, abs=1e-3)
        assert len(seen) >= 3, seen  # several ways, so the style's classes are all exercised
        # the default style: one rule per way of grades 1-3, the ways map's colour and word
        rules = _rules(styles[f"ways_villages_{label}"][2])
        assert rules == [
            (f"grades 1-3: {words[w]}", f"\"way_g1_3\" = '{w}'", color)
            for w, color in WAY_COLORS.items()
        ]
