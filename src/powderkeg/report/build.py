"""Building the report: every figure as PNG and SVG, then one self-contained HTML page."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from powderkeg.errors import InputError
from powderkeg.report.borders import Borders
from powderkeg.report.figures import (
    front_figure,
    never_happened,
    outcome_probabilities_figure,
    outcome_timelines_figure,
    supply_figure,
)
from powderkeg.report.html import (
    FigureFile,
    Section,
    figure_html,
    interdiction_table,
    outcome_table,
    posterior_table,
    provenance_section,
    render_page,
    theory_table,
)
from powderkeg.report.inputs import ReportInputs, load_inputs
from powderkeg.report.maps import INTERDICTED_SHARE, map_borders, network_map
from powderkeg.report.politics import (
    escalation_figure,
    has_escalation,
    has_influence,
    influence_figure,
)
from powderkeg.report.style import save_figure
from powderkeg.report.theories import theory_figure, theory_split

__all__ = ["build_report", "REPORT_FILE", "FIGURES_DIR"]

REPORT_FILE = "report.html"
FIGURES_DIR = "figures"

Progress = Callable[[str, int, int], None]


class _Steps:
    """Calls ``progress(label, done, total)`` as each figure is finished."""

    def __init__(self, progress: Progress | None, total: int):
        self.progress, self.total, self.done = progress, total, 0

    def __call__(self, label: str) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(label, self.done, self.total)


def _save(fig, folder: Path, name: str, title: str, caption: str) -> FigureFile:
    paths = save_figure(fig, folder, name)
    return FigureFile(name, title, caption, paths["png"], paths["svg"])


def _outcome_sections(inp: ReportInputs, folder: Path, step) -> list[Section]:
    days = inp.ds.attrs["days"]
    probs = _save(outcome_probabilities_figure(inp), folder, "outcome_probabilities",
                  "Outcome probabilities",
                  f"Share of runs in which each outcome happened by day {days}; the bar is the "
                  "95% Jeffreys interval of that share.")
    step("outcome probabilities")
    never = never_happened(inp)
    note = (f" Not shown, as they happened in no run: {', '.join(never)}." if never else "")
    fig = outcome_timelines_figure(inp)
    timelines = "<p>No outcome happened in any run.</p>" if fig is None else figure_html(_save(
        fig, folder, "outcome_timelines", "When outcomes happen",
        "Cumulative share of runs in which each outcome has happened by each date, with a "
        f"pointwise 95% interval. Each panel has its own vertical scale.{note}"))
    step("outcome timelines")
    return [Section("outcomes", "Outcomes", outcome_table(inp) + figure_html(probs)),
            Section("timelines", "Outcome timelines", timelines)]


def _theater_sections(inp: ReportInputs, folder: Path, step) -> list[Section]:
    s = inp.scenario
    front = _save(front_figure(inp), folder, "fronts", "Fronts",
                  f"Front position along each sector's axis, in km from {s.sides[0]}'s rear: the "
                  "median run and the middle 50% and 90% of runs on each date. Dotted lines "
                  "are objectives, blue lines rivers.")
    step("fronts")
    supply = _save(supply_figure(inp), folder, "supply", "Supply",
                   "Delivered supply as a share of each demand's daily need (demand and side in "
                   "each title): median run and the middle 50% and 90% of runs.")
    step("supply")
    body = figure_html(front) + figure_html(supply)
    sections = [Section("theater", "Fronts and supply", body)]
    politics = []
    fig = influence_figure(inp)
    if fig is not None:
        politics.append(_save(fig, folder, "influence", "Faction influence",
                              "Each faction's share of influence: median run and the middle "
                              "50% and 90% of runs."))
        step("influence")
    fig = escalation_figure(inp)
    if fig is not None:
        politics.append(_save(fig, folder, "escalation", "Escalation",
                              "Left: share of runs on each rung of the escalation ladder on "
                              "each date. Right: the rung over runs, median and bands."))
        step("escalation")
    if politics:
        sections.append(Section("politics", "Politics and escalation",
                                "".join(figure_html(f) for f in politics)))
    return sections


def _map_section(inp: ReportInputs, folder: Path, step, borders: Borders) -> Section:
    fig, share = network_map(inp, borders)
    saved = _save(fig, folder, "network_map", "Supply network",
                  "Links coloured and sized by intact capacity (median of its distribution); "
                  f"links interdicted in at least {INTERDICTED_SHARE:.0%} of runs are haloed "
                  "in vermilion with the share of runs in which their open capacity fell below "
                  "its day-0 value. Dashed circles: median range of long-range fires around "
                  f"each sector's median day-0 front. {borders.credit}.")
    step("map")
    return Section("map", "Supply network and interdiction",
                   figure_html(saved) + "<h3>Interdicted links</h3>"
                   + interdiction_table(inp, share))


def _theory_section(inp: ReportInputs, folder: Path, step) -> Section | None:
    split = theory_split(inp.ds)
    if split is None:
        return None
    fig = theory_figure(inp)
    chart = "" if fig is None else figure_html(_save(
        fig, folder, "theories", "Outcomes by theory",
        "Each outcome's probability among the runs that drew each theory, with 95% intervals; "
        "outcomes that happened in no run are only in the table."))
    step("theories")
    return Section("theories", "Outcomes by theory", theory_table(split) + chart)


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    try:
        tmp.write_text(text, "utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def fit_summary(fit_dir: str | Path | None) -> dict | None:
    """The ``fit.json`` of a fit folder, or None without one."""
    if fit_dir is None:
        return None
    path = Path(fit_dir) / "fit.json"
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(f"{fit_dir} is not a fit folder of `powderkeg fit`: {path.name} cannot "
                         f"be read ({e}). Give the folder `powderkeg fit` printed.") from None


def build_report(results_dir: Path, out: Path | None = None,
                 progress: Progress | None = None, borders: Path | None = None,
                 posterior: Path | None = None) -> Path:
    """Write an HTML report of a results folder and return its path.

    Parameters
    ----------
    results_dir
        A folder written by ``powderkeg run`` (``results.nc``, ``scenario.yaml``).
    out
        The HTML file to write; default ``results_dir / "report.html"``. Each figure is
        also saved as PNG and SVG in a ``figures`` folder beside it.
    progress
        Called as ``progress(label, done, total)`` after each step.
    borders
        A GeoJSON file of country or region polygons to draw under the map (default: the
        shipped Natural Earth borders; see :func:`powderkeg.report.borders.load_borders`).
    posterior
        A fit folder whose prior and posterior parameters to show (default: the one the
        results' scenario drew from, if any).

    Every file is written under a temporary name and renamed into place, so an interrupted
    build leaves the previous files intact. The page embeds its images and needs no network.
    """
    inp = load_inputs(Path(results_dir))
    under_map = map_borders(inp, borders)
    out = Path(out) if out is not None else inp.results_dir / REPORT_FILE
    folder = out.parent / FIGURES_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"Cannot create {folder} for the report's figures: {e}. Choose "
                         "another output file.") from None
    ds = inp.ds
    total = 6 + has_influence(ds) + has_escalation(ds) + (theory_split(ds) is not None)
    step = _Steps(progress, total)
    sections = [*_outcome_sections(inp, folder, step), *_theater_sections(inp, folder, step),
                _map_section(inp, folder, step, under_map)]
    theories = _theory_section(inp, folder, step)
    if theories is not None:
        sections.append(theories)
    fit = fit_summary(posterior or inp.scenario.posterior)
    if fit is not None:
        sections.append(Section("posterior", "Fitted parameters: prior and posterior",
                                posterior_table(fit)))
    sections.append(Section("assumptions", "Assumptions and sources", provenance_section(inp)))
    _write_text_atomic(out, render_page(inp, sections))
    step("page")
    return out
