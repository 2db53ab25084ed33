"""Maps anywhere: the view follows the scenario's nodes, and borders exist wherever it lies.

A small scenario on the Suez front (``fixtures/sinai.yaml``), far outside the detailed
regional borders, is simulated briefly; its map must show land and sea around its network,
with the world's countries under it, or with a borders file of the user's own.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.path import Path as MplPath
from typer.testing import CliRunner

from powderkeg.cli import app
from powderkeg.engine.simulate import simulate
from powderkeg.errors import InputError
from powderkeg.report import build_report
from powderkeg.report.borders import load_borders, read_borders
from powderkeg.report.html import render_page
from powderkeg.report.inputs import load_inputs
from powderkeg.report.maps import map_borders, map_extent, network_map
from powderkeg.results import write_results
from powderkeg.scenario import load_scenario, scenario_to_yaml

SINAI = Path(__file__).parent / "fixtures" / "sinai.yaml"
SEA, LAND, THEATRE = to_rgb("#d9e8f3"), to_rgb("#f3f1ec"), to_rgb("#fbf6e4")
UKRAINE_BOX = (32.0, 38.0, 46.0, 50.0)


@pytest.fixture(scope="module")
def sinai_results(tmp_path_factory):
    scenario = load_scenario(str(SINAI))
    folder = tmp_path_factory.mktemp("sinai") / "results"
    write_results(simulate(scenario, 20, 10, seed=1), scenario_to_yaml(scenario), folder,
                  ["test"])
    return folder


@pytest.fixture(scope="module")
def sinai(sinai_results):
    return load_inputs(sinai_results)


def _pixel_shares(fig, *colours) -> list[float]:
    """Share of the map axes' pixels within a small distance of each colour."""
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3] / 255.0
    x0, y0, x1, y1 = fig.axes[0].get_window_extent().extents.round().astype(int)
    inside = rgb[rgb.shape[0] - y1:rgb.shape[0] - y0, x0:x1].reshape(-1, 3)
    return [float((np.abs(inside - c).max(axis=1) < 0.02).mean()) for c in colours]


def test_the_view_holds_every_node_and_is_not_inverted(sinai):
    lon0, lon1, lat0, lat1 = map_extent(sinai)
    m = sinai.model
    assert lon0 < m.node_lon.min() <= m.node_lon.max() < lon1
    assert lat0 < m.node_lat.min() <= m.node_lat.max() < lat1
    assert lat1 < load_borders().bounds[2]  # wholly south of the detailed regional borders


def test_outside_the_regional_file_the_world_countries_are_drawn(sinai):
    borders = map_borders(sinai)
    assert not borders.detailed
    assert "EGY" in borders.label_points(map_extent(sinai))
    fig, _ = network_map(sinai, borders)
    sea, land, theatre = _pixel_shares(fig, SEA, LAND, THEATRE)
    assert land + theatre > 0.3, "the map shows almost no land"
    assert sea > 0.02, "the Mediterranean is missing"
    ax = fig.axes[0]
    assert ax.get_xlim()[0] < ax.get_xlim()[1] and ax.get_ylim()[0] < ax.get_ylim()[1]


def test_inside_the_regional_file_its_detailed_regions_are_kept():
    assert load_borders(box=UKRAINE_BOX).detailed
    assert load_borders(box=UKRAINE_BOX) is load_borders()


def test_world_borders_cover_the_world_and_separate_neighbours():
    world = load_borders(box=(-70.0, -50.0, -35.0, -20.0))
    lon0, lon1, lat0, lat1 = world.bounds
    assert lon0 <= -179 and lon1 >= 179 and lat0 <= -85 and lat1 >= 80
    assert {"ARG", "BRA", "EGY", "ISR", "IRQ", "UKR"} <= {r.country for r in world.regions}
    # Argentina and Chile share a long border: some shared segments lie along the Andes
    pts = world.country_borders.reshape(-1, 2)
    andes = (pts[:, 0] > -72.5) & (pts[:, 0] < -68) & (pts[:, 1] > -50) & (pts[:, 1] < -25)
    assert andes.sum() > 10
    labels = world.label_points((-80.0, -30.0, -40.0, 10.0))
    assert {"ARG", "BRA"} <= set(labels)


def _square(lon0, lat0, lon1, lat1) -> list:
    return [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]]


def test_a_scenario_may_bring_its_own_borders(sinai_results, tmp_path):
    path = tmp_path / "sinai-1973.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "West", "iso_a3": "WWW"},
         "geometry": {"type": "Polygon", "coordinates": _square(30.0, 29.0, 32.5, 32.0)}},
        {"type": "Feature", "properties": {"name": "East", "iso_a3": "EEE"},
         "geometry": {"type": "Polygon", "coordinates": _square(32.5, 29.0, 35.0, 32.0)}},
        {"type": "Feature", "properties": {"name": "a town"},
         "geometry": {"type": "Point", "coordinates": [32.3, 30.6]}},
    ]}))
    borders = read_borders(path)
    assert [r.country for r in borders.regions] == ["WWW", "EEE"]
    assert len(borders.country_borders) == 1  # the shared edge at 32.5 degrees east
    report = build_report(sinai_results, out=tmp_path / "r.html", borders=path)
    assert "Borders: sinai-1973.geojson" in report.read_text("utf-8")


def test_a_scenario_file_may_name_its_borders_beside_it(tmp_path):
    """``borders: FILE`` in a scenario is read relative to that file and draws its maps."""
    (tmp_path / "land.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Land", "iso_a3": "LLL"},
         "geometry": {"type": "Polygon", "coordinates": _square(28.0, 27.0, 36.0, 34.0)}}]}))
    (tmp_path / "variant.yaml").write_text(f"extends: {SINAI}\nid: sinai-bordered\n"
                                           "borders: land.geojson\n")
    scenario = load_scenario(str(tmp_path / "variant.yaml"))
    assert Path(scenario.borders) == tmp_path / "land.geojson"
    folder = tmp_path / "results"
    write_results(simulate(scenario, 5, 5, seed=1), scenario_to_yaml(scenario), folder, ["test"])
    borders = map_borders(load_inputs(folder))
    assert [r.country for r in borders.regions] == ["LLL"]
    assert borders.credit == "Borders: land.geojson"


@pytest.mark.parametrize("text, expected", [
    ("{not json", "not valid JSON"),
    ('{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": '
     '{"type": "Point", "coordinates": [1, 2]}}]}', "no Polygon or MultiPolygon"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": '
     '{"type": "Polygon", "coordinates": [[1, 2, 3]]}}]}', "features[0]"),
])
def test_a_bad_borders_file_is_a_clear_error(tmp_path, text, expected):
    path = tmp_path / "b.geojson"
    path.write_text(text)
    with pytest.raises(InputError, match=r"b\.geojson") as e:
        read_borders(path)
    assert expected in str(e.value)


def test_report_borders_option_names_a_missing_file(sinai_results, tmp_path):
    result = CliRunner().invoke(app, ["report", str(sinai_results), "--out",
                                      str(tmp_path / "r.html"), "--borders",
                                      str(tmp_path / "nowhere.geojson")])
    assert result.exit_code == 2
    assert "nowhere.geojson" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "r.html").exists()


def test_a_scenario_without_politics_names_no_response_policy(sinai):
    assert "response policy" not in render_page(sinai, [])


def test_country_labels_keep_clear_of_the_network_when_they_can():
    world = load_borders(box=(31.0, 34.0, 29.5, 31.5))
    box = (31.0, 34.0, 29.5, 31.5)
    free = world.label_points(box)["EGY"]
    avoid = np.array([free])  # the network passes exactly where the label would go
    moved = world.label_points(box, avoid=avoid)["EGY"]
    assert np.hypot(moved[0] - free[0], moved[1] - free[1]) > (box[1] - box[0]) / 10
    assert [r.country for r in world.regions if any(
        MplPath(ring).contains_point(moved) for ring in r.rings)] == ["EGY"]
