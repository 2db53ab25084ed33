"""The dashboard's panels beside the levers: play one side, ask a conditional question, and
the format the figures download in. Each is a layout and its callbacks, thin shells over
:mod:`powderkeg.app.play`, :func:`powderkeg.analysis.ask.conditional` and the session.
"""

from __future__ import annotations

import threading

import numpy as np
import yaml
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from powderkeg.analysis.ask import conditional
from powderkeg.app.answer import Shown, table_rows
from powderkeg.app.play import (
    MODEL_CHOICE,
    SIDES,
    Play,
    chances_text,
    parse_choices,
    period_events,
)
from powderkeg.app.views import empty_figure, map_figure
from powderkeg.errors import InputError

__all__ = ["play_layout", "ask_layout", "svg_control", "register_panels", "ask_component",
           "GRAPHS", "SVG_DOWNLOAD"]

GRAPHS = {"cumulative": "cumulative probability", "fronts": "fronts", "supply": "supply",
          "influence": "faction influence", "rungs": "escalation rungs", "map": "network map",
          "theories": "split by theory", "run-map": "run browser's map",
          "play-map": "played run's map"}
"""Every figure on the page (its camera button saves a PNG) and its name in the SVG list."""
SVG_DOWNLOAD = """function(n, graph) {
    const gd = document.querySelector('#' + graph + ' .js-plotly-plot');
    if (!n || !gd || !gd.data || !window.Plotly) { return ''; }
    window.Plotly.downloadImage(gd, {format: 'svg', filename: 'powderkeg-' + graph});
    return 'saved powderkeg-' + graph + '.svg';
}"""
"""Plotly draws the SVG of a figure in the browser; nothing is sent to the server."""
_BOX = {"border": "1px solid #ddd", "borderRadius": "6px", "padding": "10px",
        "marginBottom": "12px", "background": "white"}
_CELL = {"padding": "1px 8px", "textAlign": "left"}
_SMALL = {"fontSize": "12px", "color": "#555"}


def svg_control() -> html.Div:
    """A figure to save as SVG (each figure's camera button saves it as PNG)."""
    return html.Div([
        html.Div("A figure as SVG (the camera button on each saves a PNG):",
                 style={"fontSize": "13px"}),
        html.Div([
            dcc.Dropdown(id="svg-graph", value="cumulative", clearable=False,
                         options=[{"label": v, "value": k} for k, v in GRAPHS.items()],
                         style={"width": "220px"}),
            html.Button("Figure SVG", id="export-svg"),
        ], style={"display": "flex", "gap": "6px", "alignItems": "center"}),
        html.Div(id="svg-saved", style=_SMALL),
    ], style={"marginTop": "8px"})


def play_layout() -> html.Div:
    return html.Div([
        html.H3("Play one side"),
        html.Div("Take one run, make the leader's or the opponent's decision each period and "
                 "let the model play the rest; at the end your choices are replayed on every "
                 "run and compared with the model's policy.", style=_SMALL),
        html.Div([
            html.Label("run "), dcc.Input(id="play-run", type="number", min=0, step=1, value=0,
                                         style={"width": "80px"}),
            dcc.RadioItems(id="play-side", value="leader", inline=True,
                           options=[{"label": f" the {s} ", "value": s} for s in SIDES]),
            html.Button("Start", id="play-start"),
        ], style={"display": "flex", "gap": "10px", "alignItems": "center", "margin": "6px 0"}),
        html.Div(id="play-status", style={"fontSize": "13px", "margin": "4px 0"}),
        html.Div(id="play-choices"),
        html.Div([html.Button("Decide and play the period", id="play-decide"),
                  html.Button("Replay my choices on every run", id="play-finish"),
                  html.Button("Decisions YAML", id="play-export"),
                  dcc.Download(id="play-download")],
                 style={"display": "flex", "gap": "8px", "margin": "6px 0"}),
        html.Div(id="play-story", style={"fontSize": "12px", "whiteSpace": "pre-wrap",
                                         "maxHeight": "220px", "overflowY": "auto"}),
        dcc.Graph(id="play-map", config={"displaylogo": False},
                  figure=empty_figure("Start a game: the map follows its run.")),
        html.Div(id="play-replay-status", style={"fontSize": "13px", "margin": "4px 0"}),
        html.Div(id="play-table"),
    ], style=_BOX)


def ask_layout() -> html.Div:
    return html.Div([
        html.H3("Ask: how likely is one outcome, given another?"),
        html.Div([
            dcc.Dropdown(id="ask-then", placeholder="then (outcome)", style={"width": "300px"}),
            html.Span("given"),
            dcc.Dropdown(id="ask-given", placeholder="given (outcome)",
                         style={"width": "300px"}),
            html.Label("within days"),
            dcc.Input(id="ask-within", type="number", min=0, step=1,
                      style={"width": "70px"}),
        ], style={"display": "flex", "gap": "8px", "alignItems": "center"}),
        html.Div(id="ask-answer", style={"marginTop": "8px"}),
    ], style=_BOX)


def _pct(p) -> str:
    return "-" if p is None else f"{p:.1%}"


def _span(ci, sign: str = "") -> str:
    return "-" if ci is None else f"{ci[0]:{sign}.1%} to {ci[1]:{sign}.1%}"


def _ask_rows(answer: dict, given: str, then: str, under: str | None) -> list:
    rows = []
    if under is not None:
        rows.append(html.Tr([html.Td(f"under {under}:", colSpan=4,
                                     style={**_CELL, "fontStyle": "italic"})]))
    for key, name in (("given", f"{given} happened"), ("not_given", f"{given} did not")):
        g = answer[key]
        rows.append(html.Tr([html.Td(c, style=_CELL) for c in
                             (name, f"{g['runs']:,}", _pct(g["probability"]),
                              _span(g["ci95"]))]))
    if answer["difference"] is not None:
        lo, hi = answer["ci95"]
        rows.append(html.Tr([html.Td(c, style=_CELL) for c in
                             ("difference", "", f"{answer['difference']:+.1%}",
                              _span(answer["ci95"], "+"))],
                            style={"fontWeight": "bold"} if lo > 0 or hi < 0 else {}))
    return rows


def ask_component(doc: dict, compare_command: str) -> html.Div:
    """The answer of :func:`~powderkeg.analysis.ask.conditional` as the `ask` command prints
    it: both groups with their runs and intervals, the difference, the same by theory, and
    the warnings."""
    given, then = doc["given_outcome"], doc["then_outcome"]
    follow = f" within {doc['within']} days" if doc["within"] is not None else ""
    body = _ask_rows(doc, given, then, None)
    for name, answer in doc.get("by_theory", {}).items():
        body += _ask_rows(answer, given, then, name)
    head = html.Tr([html.Th(h, style=_CELL) for h in ("runs where", "runs", then,
                                                      "95% interval")])
    notes = []
    if doc["within"] is not None and doc["window_start_not_given"] is not None:
        notes.append(f"Runs without {given} are counted from day "
                     f"{doc['window_start_not_given']:.0f} (the median day {given} happened), "
                     f"for {doc['within']} days; in both groups, runs where {then} had "
                     "already happened are left out.")
    if doc["few_runs"] or any(a["few_runs"] for a in doc.get("by_theory", {}).values()):
        notes.append("Warning: some groups have fewer than 30 runs, so their shares are rough; "
                     "run more futures.")
    notes.append(f"This is association among the model's futures, not what making {given} "
                 "happen would do. For that, write a variant in which it happens and run: "
                 f"{compare_command}")
    return html.Div([
        html.Div(f"P({then}{follow} | {given}), by day {doc['by']}, in the baseline's "
                 f"{doc['given']['runs'] + doc['not_given']['runs']:,} runs",
                 style={"fontWeight": "bold", "fontSize": "13px"}),
        html.Table([html.Thead(head), html.Tbody(body)], id="ask-table",
                   style={"borderCollapse": "collapse", "fontSize": "13px"}),
        *[html.Div(n, style={**_SMALL, "marginTop": "4px"}) for n in notes],
    ])


def _choices_component(offered: list[dict]) -> html.Div:
    if not offered:
        return html.Div("Nothing for your side to decide this period (no offer open, no "
                        "move left); the model plays on.", style=_SMALL)
    head = html.Tr([html.Th(h, style=_CELL) for h in ("decision", "the model's chances",
                                                      "the model's own choice", "yours")])
    rows = []
    for c in offered:
        options = [{"label": f"as the model ({c['pick']})", "value": MODEL_CHOICE}] + [
            {"label": o, "value": o} for o in c["options"]]
        rows.append(html.Tr([
            html.Td(c["name"], style=_CELL),
            html.Td(chances_text(c), style=_CELL, className="play-chances"),
            html.Td(c["pick"], style=_CELL),
            html.Td(dcc.Dropdown(id={"type": "play-choice", "name": c["name"]},
                                 options=options, value=MODEL_CHOICE, clearable=False,
                                 style={"width": "210px"}), style=_CELL)]))
    return html.Table([html.Thead(head), html.Tbody(rows)], id="play-choice-table",
                      style={"borderCollapse": "collapse", "fontSize": "13px"})


def _story_text(play: Play) -> str:
    from powderkeg.report.story import story_events

    pt = play.playthrough
    events = story_events(pt.model, pt.world, pt.states)
    shown = period_events(events, pt.day - pt.model.politics.period, pt.day)
    lines = [f"{e['date']} (day {e['day']}) — {e['actor1']}: {e['summary']}. "
             f"{e['notes'][:1].upper()}{e['notes'][1:]}." for e in shown]
    return "\n".join(lines) or "Nothing the story tracks happened in this period."


def register_panels(app, session, shown_map) -> None:
    """The panels' callbacks; ``shown_map(model, label, run_day)`` draws a run's map."""
    lock = threading.Lock()

    app.clientside_callback(SVG_DOWNLOAD, Output("svg-saved", "children"),
                            Input("export-svg", "n_clicks"), State("svg-graph", "value"),
                            prevent_initial_call=True)

    @app.callback(Output("play-status", "children"), Output("play-choices", "children"),
                  Output("play-story", "children"), Output("play-map", "figure"),
                  Input("play-start", "n_clicks"), Input("play-decide", "n_clicks"),
                  Input("play-finish", "n_clicks"),
                  State("play-run", "value"), State("play-side", "value"),
                  State("scenario", "value"),
                  State({"type": "play-choice", "name": ALL}, "value"),
                  State({"type": "play-choice", "name": ALL}, "id"),
                  prevent_initial_call=True)
    def play(_start, _decide, _finish, run, side, label, values, ids):
        message = ""
        with lock:
            try:
                if ctx.triggered_id == "play-start" or session.play is None:
                    session.play = Play.start(label, session.model(label), run, side,
                                              session.seed, session.days)
                elif ctx.triggered_id == "play-decide":
                    session.play.decide(parse_choices(values, ids, session.play.offered()))
                elif ctx.triggered_id == "play-finish":
                    session.replay_play()
            except InputError as e:
                message = f"{e} "
            game = session.play
            if game is None:
                return message, "", "", empty_figure("No game to show.")
            pt = game.playthrough
            fig = shown_map(pt.model, game.label, (pt.states[0], pt.states[-1], pt.day))
            choices = _choices_component(game.offered()) if pt.decision_day else ""
            return (message + game.status(), choices,
                    _story_text(game), fig)

    @app.callback(Output("play-replay-status", "children"), Output("play-table", "children"),
                  Input("version", "data"))
    def play_table(_version):
        try:
            got = session.play_comparison()
        except InputError as e:
            return str(e), ""
        if got is None:
            return "", ""
        base, mine, status = got
        from powderkeg.app.server import table_component

        game = session.play
        ref = session.choices[game.label]
        common = f"--days {session.days} --seed {session.seed} --decisions decisions.yaml"
        commands = html.Pre(
            f"powderkeg compare {ref} --runs {session.runs} {common}\n"
            f"powderkeg story {ref} --run {game.playthrough.run} {common}",
            id="play-command", style={"whiteSpace": "pre-wrap", "fontSize": "11px",
                                      "background": "#f4f4f4", "padding": "6px"})
        return status, html.Div([
            table_component(table_rows(base, mine), "play-outcome-table",
                            ("model's policy", "your choices")),
            html.Div("Reproduce on the command line (the decisions saved as decisions.yaml "
                     "with \"Decisions YAML\"):", style={**_SMALL, "marginTop": "6px"}),
            commands])

    @app.callback(Output("play-download", "data"), Input("play-export", "n_clicks"),
                  prevent_initial_call=True)
    def export_decisions(_n):
        if session.play is None:
            return no_update
        return {"content": yaml.safe_dump(session.play.decisions_document(), sort_keys=False),
                "filename": "decisions.yaml"}

    @app.callback(Output("ask-then", "options"), Output("ask-given", "options"),
                  Output("ask-then", "value"), Output("ask-given", "value"),
                  Input("scenario", "value"), Input("version", "data"),
                  State("ask-then", "value"), State("ask-given", "value"))
    def ask_options(label, _version, then, given):
        ds = session.baseline(label) if label in session.choices else None
        if ds is None:
            return [], [], None, None
        ids = [str(o) for o in ds.outcome.values]
        opts = [{"label": o, "value": o} for o in ids]
        keep = lambda v, k: v if v in ids else ids[min(k, len(ids) - 1)]  # noqa: E731
        return opts, opts, keep(then, 0), keep(given, 1)

    @app.callback(Output("ask-answer", "children"), Input("ask-then", "value"),
                  Input("ask-given", "value"), Input("ask-within", "value"),
                  Input("version", "data"), State("scenario", "value"))
    def ask(then, given, within, _version, label):
        ds = session.baseline(label) if label in session.choices else None
        if ds is None or then is None or given is None:
            return ""
        try:
            doc = conditional(ds, given, then, None if within in (None, "") else int(within))
        except (InputError, ValueError) as e:
            return html.Div(str(e), role="alert")
        command = (f"powderkeg compare {session.choices[label]} VARIANT.yaml --runs "
                   f"{ds.sizes['run']} --days {session.days} --seed {session.seed}")
        return ask_component(doc, command)


def baseline_shown(session, label: str) -> Shown | None:
    ds = session.baseline(label)
    return None if ds is None else Shown(ds, np.ones(ds.sizes["run"]), "baseline")


def run_map(session):
    """A function drawing one run's map over the baseline of a label (or saying why not)."""
    def draw(model, label, run_day):
        shown = baseline_shown(session, label)
        if shown is None:
            return empty_figure("The map follows the run once the baseline's first runs are in.")
        return map_figure(model, shown, run_day=run_day)
    return draw
