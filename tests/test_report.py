"""The HTML report: built from a real results folder, self-contained, and rendered by a browser.

Two folders are made from one small simulation of the built-in scenario: one with faction
influence, escalation rungs and theories (synthetic series with the engine's names and
dimensions), one without them, so the report is checked both with and without politics.
"""

from __future__ import annotations

import base64
import json
import os
import re
import select
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import powderkeg
from powderkeg.cli import app
from powderkeg.engine.simulate import simulate
from powderkeg.errors import InputError
from powderkeg.model.geo import haversine_km
from powderkeg.report import build_report
from powderkeg.report.borders import load_borders
from powderkeg.report.html import render_page
from powderkeg.report.inputs import load_inputs
from powderkeg.report.maps import circle_lonlat, interdiction_share
from powderkeg.report.politics import has_escalation, has_influence, rung_shares
from powderkeg.results import write_results
from powderkeg.scenario import load_scenario, scenario_to_yaml
from powderkeg.scenario.load import with_policy

RUNS, DAYS = 60, 40
ALWAYS = ("outcome_probabilities", "outcome_timelines", "fronts", "supply", "network_map")
POLITICS = ("influence", "escalation", "theories")
_POLITICS_VARS = ("influence", "escalation_rung", "theory")
_POLITICS_COORDS = ("faction", "rung")


def _without_politics(ds):
    ds = ds.drop_vars([v for v in _POLITICS_VARS if v in ds.data_vars])
    return ds.drop_vars([c for c in _POLITICS_COORDS if c in ds.coords])


def _with_synthetic_politics(ds, rng):
    """Influence (run, day, faction) summing to 1, a rung index that only climbs, theories."""
    runs, days = ds.sizes["run"], ds.sizes["day"]
    factions = ["mod", "wagner", "kadyrov", "security"]
    rungs = ["conventional_war", "infrastructure_strikes", "mobilization_wave",
             "nuclear_signaling", "battlefield_nuclear_use"]
    base = np.log(rng.dirichlet(np.full(len(factions), 5.0), size=runs))[:, None, :]
    drift = np.linspace(0, 1, days)[None, :, None] * rng.normal(0, 0.4, (runs, 1, len(factions)))
    influence = np.exp(base + drift)
    influence /= influence.sum(axis=2, keepdims=True)
    rung = np.minimum(np.cumsum(rng.random((runs, days)) < 0.04, axis=1), len(rungs) - 1)
    theory = np.where(rng.random(runs) < 0.5, "weakness_invites", "cornered_escalates")
    ds = _without_politics(ds).assign_coords(faction=factions, rung=rungs)
    return ds.assign(influence=(("run", "day", "faction"), influence.astype(np.float32)),
                     escalation_rung=(("run", "day"), rung.astype(np.int8)),
                     theory=("run", theory.astype(str)))


@pytest.fixture(scope="module")
def simulated():
    scenario = load_scenario("autumn-2022")
    return scenario, simulate(scenario, RUNS, DAYS, seed=3)


@pytest.fixture(scope="module")
def with_politics(simulated, tmp_path_factory):
    scenario, ds = simulated
    folder = tmp_path_factory.mktemp("report") / "with"
    ds = _with_synthetic_politics(ds, np.random.default_rng(7))
    write_results(ds, scenario_to_yaml(scenario), folder, ["test"])
    return folder, build_report(folder)


@pytest.fixture(scope="module")
def without_politics(simulated, tmp_path_factory):
    """Also written elsewhere than the results folder, with a progress callback."""
    scenario, ds = simulated
    root = tmp_path_factory.mktemp("report")
    folder = root / "without"
    write_results(_without_politics(ds), scenario_to_yaml(scenario), folder, ["test"])
    calls = []
    report = build_report(folder, out=root / "elsewhere" / "r.html",
                          progress=lambda label, done, total: calls.append((label, done, total)))
    return folder, report, calls


# --- the files --------------------------------------------------------------------------------

_REF = re.compile(r"""\b(?:src|href|srcset|poster|action|formaction|data|xlink:href)"""
                  r"""\s*=\s*["']?([^"'\s>]*)""", re.IGNORECASE)


def assert_self_contained(html: str) -> None:
    """Every reference is a data: URI or an in-page #anchor; nothing can be fetched."""
    for target in _REF.findall(html):
        assert target.startswith(("data:", "#")), f"external reference {target[:80]!r}"
    for target in re.findall(r"url\(\s*['\"]?([^)'\"]*)", html):
        assert target.startswith(("data:", "#")), f"external url() {target[:80]!r}"
    lowered = html.lower()
    for tag in ("<script", "<link", "<iframe", "<object", "<embed", "@import", "@font-face"):
        assert tag not in lowered, f"{tag} in the report"


def test_report_is_one_self_contained_file(with_politics):
    folder, report = with_politics
    assert report == folder / "report.html"
    html = report.read_text("utf-8")
    assert_self_contained(html)
    assert "autumn-2022" in html and "2022-10-12" in html
    assert f"<b>{RUNS:,}</b> runs" in html and f"<b>{DAYS}</b> days" in html
    assert "seed <b>3</b>" in html
    assert "Natural Earth (public domain)" in html


def test_every_figure_is_saved_as_png_and_svg_and_embedded(with_politics):
    folder, report = with_politics
    html = report.read_text("utf-8")
    figures = folder / "figures"
    for name in ALWAYS + POLITICS:
        png, svg = figures / f"{name}.png", figures / f"{name}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert ET.parse(svg).getroot().tag.endswith("svg"), name
        assert base64.b64encode(png.read_bytes()).decode() in html, f"{name}.png not embedded"
    assert not [p for p in figures.iterdir() if p.name.startswith(".")], "temporary files left"


def test_outcome_table_lists_every_outcome_with_interval_and_date(with_politics, simulated):
    _, ds = simulated
    html = with_politics[1].read_text("utf-8")
    for oid in ds.outcome.values:
        assert f">{oid}</code>" in html
    assert "95% interval" in html and "median date" in html


def test_politics_and_theories_are_shown_when_present(with_politics):
    folder, report = with_politics
    html = report.read_text("utf-8")
    assert 'id="politics"' in html and 'id="theories"' in html
    assert "weakness_invites" in html and "cornered_escalates" in html


def test_politics_and_theories_are_skipped_when_absent(without_politics):
    _, report, _ = without_politics
    html = report.read_text("utf-8")
    assert_self_contained(html)
    for name in ALWAYS:
        assert (report.parent / "figures" / f"{name}.png").exists()
        assert (report.parent / "figures" / f"{name}.svg").exists()
    for name in POLITICS:
        assert not (report.parent / "figures" / f"{name}.png").exists()
    assert 'id="politics"' not in html and 'id="theories"' not in html
    assert 'id="map"' in html and 'id="assumptions"' in html


def test_engine_series_match_what_the_report_reads(simulated):
    """If the engine records politics, it uses the names and dimensions the report expects."""
    _, ds = simulated
    if "influence" in ds or "escalation_rung" in ds:
        assert has_influence(ds) and has_escalation(ds)
        assert ds["escalation_rung"].dims == ("run", "day")
        np.testing.assert_allclose(ds["influence"].sum("faction"), 1.0, atol=1e-4)


def test_report_elsewhere_with_figures_beside_it_and_progress(without_politics):
    folder, report, calls = without_politics
    assert report.name == "r.html" and report.parent.name == "elsewhere"
    assert not (folder / "report.html").exists() and not (folder / "figures").exists()
    assert [done for _, done, _ in calls] == list(range(1, calls[-1][2] + 1))
    assert calls[-1][2] == 6


def test_not_a_results_folder_is_a_clear_error(tmp_path, with_politics):
    with pytest.raises(InputError, match="results.nc"):
        build_report(tmp_path)
    shutil.copy(with_politics[0] / "results.nc", tmp_path / "results.nc")
    with pytest.raises(InputError, match="scenario.yaml"):
        build_report(tmp_path)


@pytest.mark.parametrize("keep", [0.5, 0.98])
def test_a_truncated_results_file_is_a_clear_error(tmp_path, with_politics, keep):
    folder = tmp_path / "copied"
    shutil.copytree(with_politics[0], folder)
    nc = folder / "results.nc"
    nc.write_bytes(nc.read_bytes()[:int(nc.stat().st_size * keep)])
    for read in (build_report, powderkeg.load):
        with pytest.raises(InputError, match=r"results\.nc cannot be read.*damaged or "
                                             r"incomplete"):
            read(folder)
    result = CliRunner().invoke(app, ["report", str(folder)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "results.nc" in result.stderr


def test_the_header_names_the_response_policy_the_runs_were_played_under(simulated, tmp_path):
    scenario, ds = simulated
    import xarray as xr

    assert ds.attrs["policy"] == scenario.politics.policy  # the simulation records it
    for policy in scenario.politics.policies:
        folder = tmp_path / policy
        played = with_policy(scenario, policy)
        write_results(ds.assign_attrs(policy=policy), scenario_to_yaml(played), folder, ["test"])
        html = render_page(load_inputs(folder), [])
        assert f"response policy <b>{policy}</b>" in html
        assert html.count("response policy <b>") == 1
        assert json.loads((folder / "run.json").read_text())["policy"] == policy
        with xr.open_dataset(folder / "results.nc", engine="h5netcdf") as saved:
            assert saved.attrs["policy"] == policy


# --- the pieces ---------------------------------------------------------------------------------

def test_interdiction_is_a_drop_below_the_day0_value():
    cap = np.ones((4, 3, 2))  # run, day, link
    cap[0, 2, 0] = 0.5  # dropped later: interdicted
    cap[1, :, 0] = 0.3  # low from day 0, never lower: not interdicted
    cap[2, :, 0] = [0.3, 1.0, 1.0]  # repaired: not interdicted
    cap[3, 1, 1] = 0.9
    np.testing.assert_allclose(interdiction_share(cap), [0.25, 0.25])


def test_range_circle_is_at_its_radius():
    ring = circle_lonlat(47.0, 35.0, 80.0)
    np.testing.assert_allclose(haversine_km(47.0, 35.0, ring[:, 1], ring[:, 0]), 80.0, rtol=1e-9)


def test_rung_shares_sum_to_one_per_day():
    rung = np.array([[0, 1, 2], [0, 0, 2], [1, 1, 1]])
    shares = rung_shares(rung, 3)
    np.testing.assert_allclose(shares.sum(axis=0), 1.0)
    np.testing.assert_allclose(shares[:, 0], [2 / 3, 1 / 3, 0])


def test_borders_separate_countries():
    borders = load_borders()
    assert {r.country for r in borders.regions} >= {"UKR", "RUS", "BLR", "MDA"}
    assert len(borders.country_borders) > 500
    lon0, lon1, lat0, lat1 = borders.bounds
    pts = borders.country_borders.reshape(-1, 2)
    assert (pts[:, 0] >= lon0).all() and (pts[:, 0] <= lon1).all()
    assert (pts[:, 1] >= lat0).all() and (pts[:, 1] <= lat1).all()


# --- a real browser -------------------------------------------------------------------------------

class _DevTools:
    """Chromium's DevTools protocol over ``--remote-debugging-pipe`` (fds 3 and 4): JSON
    messages separated by NUL bytes, so no websocket library is needed."""

    def __init__(self, chromium: str, profile: Path):
        cmd_r, cmd_w = os.pipe()
        out_r, out_w = os.pipe()

        def fds():
            os.dup2(cmd_r, 3)
            os.dup2(out_w, 4)

        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "--window-size=1280,900", "about:blank"],
            pass_fds=(3, 4), preexec_fn=fds, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(cmd_r)
        os.close(out_w)
        self.w, self.r, self.buf, self.n, self.events = cmd_w, out_r, b"", 0, []

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.r], [], [], left)[0]:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self.r, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=20.0) -> dict:
        self.n += 1
        msg = {"id": self.n, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read(deadline)
            if m.get("id") == self.n:
                assert "error" not in m, m["error"]
                return m.get("result", {})
            self.events.append(m)

    def wait_for(self, method, timeout=20.0) -> dict:
        deadline = time.monotonic() + timeout
        while not any(m.get("method") == method for m in self.events):
            self.events.append(self._read(deadline))
        return next(m for m in self.events if m.get("method") == method)

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except (TimeoutError, EOFError, OSError, AssertionError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.w)
        os.close(self.r)


def test_report_renders_in_chromium_with_no_request_and_no_error(with_politics, tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium not installed; CI installs it (apt-get install chromium)")
    report = with_politics[1]
    url = report.resolve().as_uri()
    browser = _DevTools(chromium, tmp_path / "profile")
    try:
        page = next(t for t in browser.call("Target.getTargets")["targetInfos"]
                    if t["type"] == "page")
        s = browser.call("Target.attachToTarget",
                         {"targetId": page["targetId"], "flatten": True})["sessionId"]
        for domain in ("Page", "Network", "Log", "Runtime"):
            browser.call(f"{domain}.enable", session=s)
        browser.call("Page.navigate", {"url": url}, session=s)
        browser.wait_for("Page.loadEventFired")
        images = browser.call("Runtime.evaluate", {"returnByValue": True, "expression":
                              "[...document.images].map(i => i.complete && i.naturalWidth > 0)"},
                              session=s)["result"]["value"]
        height = browser.call("Runtime.evaluate", {"returnByValue": True,
                              "expression": "document.body.scrollHeight"},
                              session=s)["result"]["value"]
    finally:
        browser.close()
    events = browser.events
    requested = [m["params"]["request"]["url"] for m in events
                 if m.get("method") == "Network.requestWillBeSent"]
    assert [u for u in requested if not u.startswith("data:") and u != url] == []
    assert [m["params"] for m in events if m.get("method") == "Network.loadingFailed"] == []
    assert [m["params"] for m in events if m.get("method") == "Runtime.exceptionThrown"] == []
    assert [m["params"] for m in events if m.get("method") == "Runtime.consoleAPICalled"
            and m["params"]["type"] in ("error", "warning", "assert")] == []
    assert [m["params"]["entry"] for m in events if m.get("method") == "Log.entryAdded"
            and m["params"]["entry"]["level"] == "error"] == []
    assert len(images) == len(ALWAYS) + len(POLITICS) and all(images)
    assert height > 3000
