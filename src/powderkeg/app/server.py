"""The Dash app of ``powderkeg serve``: layout, callbacks and the server.

Every callback is a thin shell over pure functions (:mod:`powderkeg.app.levers`,
:mod:`powderkeg.app.answer`, :mod:`powderkeg.app.views`) and the :class:`~powderkeg.app.
session.Session`; the browser sends only lever values and labels of the scenarios given at
start, never a path or code. Dash serves its scripts itself (``serve_locally``); no
stylesheet, font or map tile comes from elsewhere.
"""

from __future__ import annotations

import logging
import socket
import threading

import numpy as np
import yaml
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from powderkeg.app.answer import Shown, rows_csv, table_rows
from powderkeg.app.levers import (
    SCALE_RANGE,
    VARIANT_NAME,
    Lever,
    Variant,
    influential_levers,
    theory_probabilities,
)
from powderkeg.app.panels import (
    ask_layout,
    play_layout,
    register_panels,
    run_map,
    svg_control,
)
from powderkeg.app.session import Session
from powderkeg.app.views import (
    cumulative_figure,
    empty_figure,
    fan_figure,
    map_figure,
    rung_figure,
    theory_figure,
)
from powderkeg.errors import InputError

__all__ = ["create_app", "serve", "check_port", "variant_from_controls", "table_component",
           "command_line", "story_lines", "step_day", "LOCAL_HOSTS"]

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
_FOCUS = 4  # outcomes on the cumulative chart at first
_BOX = {"border": "1px solid #ddd", "borderRadius": "6px", "padding": "10px",
        "marginBottom": "12px", "background": "white"}
_ERROR = {"color": "#8b0000", "background": "#fdecea", "padding": "8px",
          "borderRadius": "4px", "whiteSpace": "pre-wrap"}


def variant_from_controls(policy, theory_values, theory_ids, lever_values, lever_ids,
                          known_paths, known_theories) -> Variant:
    """The :class:`Variant` the controls show; controls of another scenario are ignored.

    A lever's slider holds its factor, a theory's its weight.

    >>> v = variant_from_controls("mixed", [1, 3], [{"id": "a"}, {"id": "b"}], [2, 1],
    ...                           [{"path": "x"}, {"path": "y"}], {"x", "y"}, {"a", "b"})
    >>> v.scales, v.theory_weights
    ({'x': 2.0, 'y': 1.0}, {'a': 1.0, 'b': 3.0})
    """
    scales = {i["path"]: round(float(v), 4) for v, i in zip(lever_values, lever_ids, strict=True)
              if i["path"] in known_paths and v is not None}
    weights = {i["id"]: float(v) for v, i in zip(theory_values, theory_ids, strict=True)
               if i["id"] in known_theories and v is not None}
    return Variant(policy=policy or None, scales=scales,
                   theory_weights=weights if weights and set(weights) == known_theories
                   else None)


def _pct(p: float) -> str:
    return f"{p:.1%}"


def table_component(rows: list[dict], table_id: str = "outcome-table",
                    names: tuple[str, str] = ("baseline", "variant")) -> html.Table:
    """The outcome table: baseline and variant with 95% intervals, and the paired difference."""
    base, var = names
    head = ["outcome", base, "95% interval"]
    has_variant = any("variant" in r for r in rows)
    if has_variant:
        head += [var, "95% interval", f"{var} - {base}", "paired 95% interval"]
    body = []
    for r in rows:
        b = r["baseline"]
        cells = [r["id"], _pct(b["probability"]), f"{_pct(b['ci95'][0])}-{_pct(b['ci95'][1])}"]
        bold = False
        if has_variant and "variant" in r:
            v = r["variant"]
            lo, hi = r["ci95"]
            bold = lo > 0 or hi < 0
            cells += [_pct(v["probability"]), f"{_pct(v['ci95'][0])}-{_pct(v['ci95'][1])}",
                      f"{r['difference']:+.1%}", f"{lo:+.1%} to {hi:+.1%}"]
        style = {"fontWeight": "bold"} if bold else {}
        body.append(html.Tr([html.Td(c, style={"textAlign": "left" if k == 0 else "right",
                                               "padding": "1px 8px"})
                             for k, c in enumerate(cells)], style=style,
                            **{"data-outcome": r["id"]}))
    return html.Table([html.Thead(html.Tr([html.Th(h, style={"padding": "2px 8px"})
                                           for h in head])), html.Tbody(body)],
                      id=table_id, style={"borderCollapse": "collapse",
                                                 "fontSize": "13px"})


def command_line(ref: str, runs: int, days: int, seed: int, document: dict | None) -> str:
    """The command that reproduces what is shown (the variant saved as ``variant.yaml``)."""
    common = f"--runs {runs} --days {days} --seed {seed}"
    if document is None:
        return f"powderkeg run {ref} {common}"
    return f"powderkeg compare {ref} {VARIANT_NAME} {common}"


def story_lines(events: list[dict], day: int, before: int = 8) -> list[str]:
    """The story up to ``day``: that day's events and the ``before`` events just before it."""
    today = [e for e in events if e["day"] == day]
    earlier = [e for e in events if e["day"] < day][-before:]
    fmt = lambda e: (f"{e['date']} (day {e['day']}) — {e['actor1']}: {e['summary']}. "  # noqa: E731
                     f"{e['notes'][:1].upper()}{e['notes'][1:]}.")
    return [fmt(e) for e in earlier] + ["--- this day ---"] + (
        [fmt(e) for e in today] or ["nothing the story tracks happened"])


def step_day(events: list[dict], day: int, direction: int, days: int) -> int:
    """The next (``direction`` 1) or previous (-1) day with an event, else one day on.

    >>> step_day([{"day": 3}, {"day": 9}], 3, 1, 30), step_day([{"day": 3}], 3, -1, 30)
    (9, 2)
    """
    days_with = sorted({e["day"] for e in events})
    later = [d for d in days_with if (d - day) * direction > 0]
    if later:
        return later[0] if direction > 0 else later[-1]
    return min(max(day + direction, 0), days)


def _lever_row(lever: Lever) -> html.Div:
    marks = {v: f"×{v:g}" for v in (0.5, 1, 1.5, 2)}
    return html.Div([
        html.Div(lever.path, style={"fontFamily": "monospace", "fontSize": "12px"}),
        html.Div(f"{lever.describe}; {lever.provenance}",
                 style={"fontSize": "11px", "color": "#555"}),
        html.Div(f"influence: |rho| {lever.influence:.2f} with {lever.outcome}",
                 style={"fontSize": "11px", "color": "#777"}),
        dcc.Slider(id={"type": "lever", "path": lever.path}, min=SCALE_RANGE[0],
                   max=SCALE_RANGE[1], step=0.05, value=1, marks=marks, updatemode="mouseup"),
    ], style={"marginBottom": "10px"})


def _theory_row(theory: str, probability: float) -> html.Div:
    return html.Div([
        html.Label(f"Weight of the theory {theory}", style={"fontSize": "13px"}),
        dcc.Slider(id={"type": "theory", "id": theory}, min=0, max=1, step=0.05,
                   value=round(probability, 2), updatemode="mouseup",
                   marks={0: "0", 0.5: "0.5", 1: "1"}),
    ])


def _layout(session: Session) -> html.Div:
    options = [{"label": k, "value": k} for k in session.choices]
    controls = html.Div([
        html.H3("Levers", style={"marginTop": 0}),
        html.Label("Scenario"),
        dcc.Dropdown(id="scenario", options=options, value=session.start, clearable=False),
        html.Label("Response policy", style={"marginTop": "8px", "display": "block"}),
        dcc.Dropdown(id="policy", options=[], clearable=False),
        html.Div(id="theory-levers", style={"marginTop": "8px"}),
        html.H4("Most influential uncertain numbers"),
        html.Div("Factor on each value of the number's distribution, "
                 f"{SCALE_RANGE[0]:g} to {SCALE_RANGE[1]:g}.",
                 style={"fontSize": "11px", "color": "#555"}),
        html.Div(id="levers"),
        dcc.Store(id="levers-for", data=""),
        html.H4("Export"),
        html.Button("Variant YAML", id="export-yaml", style={"marginRight": "6px"}),
        html.Button("Table CSV", id="export-csv"),
        dcc.Download(id="download-yaml"), dcc.Download(id="download-csv"),
        html.Div("Reproduce on the command line:", style={"marginTop": "8px"}),
        html.Pre(id="command", style={"whiteSpace": "pre-wrap", "fontSize": "11px",
                                      "background": "#f4f4f4", "padding": "6px"}),
        svg_control(),
    ], style={**_BOX, "width": "330px", "flex": "none"})
    browser = html.Div([
        html.H3("Run browser"),
        html.Div([
            dcc.Dropdown(id="browse-outcome", placeholder="outcome", clearable=False,
                         style={"width": "320px"}),
            dcc.RadioItems(id="browse-happened", value="yes", inline=True,
                           options=[{"label": " happened ", "value": "yes"},
                                    {"label": " did not ", "value": "no"}]),
            dcc.Dropdown(id="browse-run", placeholder="run", style={"width": "140px"}),
        ], style={"display": "flex", "gap": "10px", "alignItems": "center"}),
        html.Div([html.Button("◀ previous event", id="story-prev"),
                  html.Button("next event ▶", id="story-next"),
                  html.Span(id="story-day-label", style={"marginLeft": "10px"})],
                 style={"margin": "8px 0"}),
        dcc.Slider(id="story-day", min=0, max=1, step=1, value=0, marks=None,
                   updatemode="mouseup"),
        html.Div(id="story", style={"fontSize": "12px", "whiteSpace": "pre-wrap",
                                    "maxHeight": "260px", "overflowY": "auto"}),
        dcc.Graph(id="run-map", config={"displaylogo": False}),
    ], style=_BOX)
    views = html.Div([
        html.Div(id="status", style={"fontSize": "13px", "marginBottom": "6px"}),
        html.Div(id="error", role="alert"),
        html.Div([html.H3("Outcomes"), html.Div(id="table")], style=_BOX),
        html.Div([dcc.Dropdown(id="focus", multi=True, placeholder="outcomes to plot"),
                  dcc.Graph(id="cumulative", config={"displaylogo": False})], style=_BOX),
        html.Div([dcc.Graph(id="fronts", config={"displaylogo": False}),
                  dcc.Graph(id="supply", config={"displaylogo": False})], style=_BOX),
        html.Div([dcc.Graph(id="influence", config={"displaylogo": False}),
                  dcc.Graph(id="rungs", config={"displaylogo": False})], style=_BOX),
        html.Div([dcc.Graph(id="map", config={"displaylogo": False})], style=_BOX),
        html.Div([dcc.Graph(id="theories", config={"displaylogo": False})], style=_BOX),
        ask_layout(),
        browser,
        play_layout(),
    ], style={"flex": "1", "minWidth": 0})
    return html.Div([
        html.H2("powderkeg", style={"margin": "4px 0 10px 0"}),
        html.Div([controls, views], style={"display": "flex", "gap": "14px"}),
        dcc.Interval(id="poll", interval=1000),
        dcc.Store(id="version", data=-1),
        dcc.Store(id="requested", data=0),
    ], style={"fontFamily": "sans-serif", "background": "#fafafa", "padding": "10px"})


def create_app(session: Session) -> Dash:
    """The Dash app over ``session``; every asset is served by this server."""
    app = Dash(__name__, serve_locally=True, title="powderkeg", update_title=None,
               assets_folder="no-assets", suppress_callback_exceptions=True)
    app.layout = _layout(session)
    story_cache: dict = {}
    lock = threading.Lock()
    register_panels(app, session, run_map(session))

    @app.callback(Output("levers", "children"), Output("levers-for", "data"),
                  Output("policy", "options"), Output("policy", "value"),
                  Output("policy", "disabled"), Output("theory-levers", "children"),
                  Output("focus", "options"), Output("focus", "value"),
                  Output("browse-outcome", "options"), Output("browse-outcome", "value"),
                  Input("scenario", "value"), Input("poll", "n_intervals"),
                  State("levers-for", "data"))
    def show_levers(label, _n, rendered_for):
        """The controls of a scenario, once its baseline has its first runs; the number
        levers are ranked on all the baseline's runs, so that the same settings always
        show the same levers (a ranking on the quick runs would depend on timing)."""
        ranking = f"{label} (ranking)"  # controls shown, number levers not yet ranked
        if ctx.triggered_id == "poll" and (rendered_for == label or (
                rendered_for == ranking and not session.baseline_complete(label))):
            return (no_update,) * 10
        try:
            session.select(label)
            model = session.model(label)
        except InputError:
            return ([], label, [], None, True, [], [], [], [], None)
        ds = session.baseline(label)
        if ds is None:
            return ([html.Div("Waiting for the baseline's first runs...")], "",
                    *(no_update,) * 8)
        if not session.baseline_complete(label):
            levers, rendered = [html.Div(f"Ranking the sampled numbers once the baseline's "
                                         f"{session.runs:,} runs are in...")], ranking
        else:
            levers, rendered = [_lever_row(x) for x in influential_levers(ds, model)], label
        if rendered_for == ranking and ctx.triggered_id == "poll":
            return (levers, rendered, *(no_update,) * 8)  # keep what the user chose
        politics = model.scenario.politics
        policies = list(politics.policies) if politics else []
        ids = [str(o) for o in ds.outcome.values]
        opts = [{"label": o, "value": o} for o in ids]
        theories = [_theory_row(t, p) for t, p in theory_probabilities(model).items()]
        return (levers, rendered, [{"label": p, "value": p} for p in policies],
                politics.policy if politics else None, politics is None, theories,
                opts, ids[:_FOCUS], opts, ids[0])

    @app.callback(Output("requested", "data"),
                  Input("policy", "value"), Input({"type": "theory", "id": ALL}, "value"),
                  Input({"type": "lever", "path": ALL}, "value"),
                  State({"type": "theory", "id": ALL}, "id"),
                  State({"type": "lever", "path": ALL}, "id"), State("scenario", "value"),
                  State("requested", "data"), prevent_initial_call=True)
    def request(policy, theory_values, values, theory_ids, ids, label, count):
        try:
            model = session.model(label)
            v = variant_from_controls(policy, theory_values, theory_ids, values, ids,
                                      set(model.world_paths),
                                      set(theory_probabilities(model)))
        except InputError:
            return count + 1
        session.request(label, v)
        return count + 1

    @app.callback(Output("version", "data"), Input("poll", "n_intervals"),
                  State("version", "data"))
    def tick(_n, seen):
        """Cheap: the page redraws only when something was computed or asked since."""
        return no_update if session.version == seen else session.version

    @app.callback(Output("status", "children"), Output("error", "children"),
                  Output("error", "style"), Output("table", "children"),
                  Output("cumulative", "figure"), Output("fronts", "figure"),
                  Output("supply", "figure"), Output("influence", "figure"),
                  Output("rungs", "figure"), Output("map", "figure"),
                  Output("theories", "figure"), Output("command", "children"),
                  Input("version", "data"), Input("requested", "data"),
                  Input("focus", "value"), Input("scenario", "value"))
    def render(_version, _req, focus, label):
        snap = session.snapshot(label)
        error = (snap.error, _ERROR) if snap.error else ("", {"display": "none"})
        if snap.base is None:
            blank = empty_figure(snap.status or "Nothing to show: see the message above.")
            return snap.status, *error, "", *(blank,) * 7, ""
        model = session.model(label)
        shown = snap.variant or snap.base
        rows = table_rows(snap.base, snap.variant)
        ids = [str(o) for o in snap.base.ds.outcome.values]
        chosen = [o for o in (focus or ids[:_FOCUS]) if o in ids]
        m = model
        fronts = fan_figure(shown, "front_km", list(m.sector_ids), "Fronts", "km along axis")
        supply = fan_figure(shown, "supply_ratio", list(m.demand_ids), "Supply",
                            "delivered / needed")
        no_politics = empty_figure("This scenario has no politics section.")
        theories = theory_figure(shown) or no_politics
        pm = model.politics
        influence = no_politics if pm is None else fan_figure(
            shown, "influence", list(pm.faction_ids), "Faction influence", "share")
        rungs = no_politics if pm is None else rung_figure(shown, list(pm.rung_ids))
        runs = shown.ds.sizes["run"]
        command = command_line(session.choices[label], runs, session.days, session.seed,
                               snap.document)
        if snap.variant is not None and snap.variant.reweighted:
            command += "\n(the reweighted answer estimates what this command simulates)"
        return (snap.status, *error, table_component(rows),
                cumulative_figure(snap.base, snap.variant, chosen), fronts, supply,
                influence, rungs, map_figure(model, shown), theories, command)

    @app.callback(Output("browse-run", "options"), Output("browse-run", "value"),
                  Input("browse-outcome", "value"), Input("browse-happened", "value"),
                  Input("version", "data"), State("scenario", "value"),
                  State("browse-run", "value"))
    def list_runs(outcome, happened, _version, label, current):
        ds = session.baseline(label)
        if ds is None or outcome is None or outcome not in ds.outcome.values:
            return [], None
        hit = ~ds.event_day.sel(outcome=outcome).isnull().values
        pick = hit if happened == "yes" else ~hit
        runs = [int(r) for r in ds.run.values[pick][:200]]
        opts = [{"label": f"run {r}", "value": r} for r in runs]
        chosen = current if current in runs else (runs[0] if runs else None)
        return opts, no_update if chosen == current else chosen

    @app.callback(Output("story-day", "max"), Output("story-day", "value"),
                  Output("story", "children"), Output("story-day-label", "children"),
                  Output("run-map", "figure"),
                  Input("browse-run", "value"), Input("story-prev", "n_clicks"),
                  Input("story-next", "n_clicks"), Input("story-day", "value"),
                  State("scenario", "value"))
    def show_story(run, _prev, _next, day, label):
        if run is None:
            return 1, 0, "Pick an outcome and a run.", "", empty_figure("No run chosen.")
        try:
            model = session.model(label)
            with lock:
                key = (label, int(run))
                if story_cache.get("key") != key:
                    story_cache.clear()
                    story_cache.update(key=key, **_story(model, int(run), session))
            events, states = story_cache["events"], story_cache["states"]
        except InputError as e:
            return 1, 0, str(e), "", empty_figure("No run to show.")
        days = len(states) - 1
        day = 0 if ctx.triggered_id == "browse-run" or day is None else int(day)
        if ctx.triggered_id in ("story-prev", "story-next"):
            day = step_day(events, day, 1 if ctx.triggered_id == "story-next" else -1, days)
        day = min(max(day, 0), days)
        ds = session.baseline(label)
        shown = Shown(ds, np.ones(ds.sizes["run"]), "baseline")
        fig = map_figure(model, shown, run_day=(states[0], states[day], day))
        return (days, day, "\n".join(story_lines(events, day)), f"run {run}, day {day}",
                fig)

    @app.callback(Output("download-yaml", "data"), Input("export-yaml", "n_clicks"),
                  State("scenario", "value"), prevent_initial_call=True)
    def export_yaml(_n, label):
        snap = session.snapshot(label)
        doc = snap.document or {"extends": session.choices.get(label, label)}
        return {"content": yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
                "filename": VARIANT_NAME}

    @app.callback(Output("download-csv", "data"), Input("export-csv", "n_clicks"),
                  State("scenario", "value"), prevent_initial_call=True)
    def export_csv(_n, label):
        snap = session.snapshot(label)
        if snap.base is None:
            return no_update
        return {"content": rows_csv(table_rows(snap.base, snap.variant)),
                "filename": "outcomes.csv"}

    return app


def _story(model, run: int, session: Session) -> dict:
    from powderkeg.engine.replay import replay, replay_world
    from powderkeg.report.story import story_events

    states = tuple(replay(model.scenario, run, session.seed, session.days, model=model))
    events = story_events(model, replay_world(model, run, session.seed), states)
    return {"events": events, "states": states}


def check_port(host: str, port: int) -> None:
    """Raise :class:`InputError` when the server could not listen on ``host:port``."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as e:
        raise InputError(f"Cannot listen on {host}:{port} ({e.strerror or e}). Another "
                         "program may be using the port: pick another with --port.") from None


def serve(session: Session, host: str, port: int) -> None:
    """Run the server until interrupted (Ctrl-C)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    create_app(session).run(host=host, port=port, debug=False)
