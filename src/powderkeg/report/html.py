"""The report page: one self-contained HTML file with inline CSS and images as data URIs.

The page loads nothing: no script, no font, no stylesheet or image from anywhere else, so it
reads the same offline, from an e-mail attachment or an archive. Internal links are
``#fragment`` anchors only. Source citations are printed as text, never as links.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

import numpy as np

from powderkeg.report.inputs import ReportInputs
from powderkeg.report.maps import INTERDICTED_SHARE
from powderkeg.report.theories import TheorySplit
from powderkeg.scenario.provenance import provenance

__all__ = ["FigureFile", "Section", "render_page", "outcome_table", "theory_table",
           "interdiction_table", "provenance_section", "figure_html"]


@dataclass(frozen=True)
class FigureFile:
    """A saved figure: its files, a title and a caption that says how to read it."""

    name: str
    title: str
    caption: str
    png: Path
    svg: Path


@dataclass(frozen=True)
class Section:
    """A titled part of the page: an anchor id, a heading and its HTML body."""

    id: str
    title: str
    body: str


_CSS = """
:root { --ink: #1d1d1f; --muted: #5f6368; --rule: #d9d9de; --accent: #0072B2; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica,
       Arial, sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 64px; }
header { border-bottom: 2px solid var(--ink); padding-bottom: 12px; margin-bottom: 8px; }
h1 { font-size: 1.6em; margin: 0 0 6px; line-height: 1.25; }
h2 { font-size: 1.25em; margin: 40px 0 10px; padding-top: 8px; border-top: 1px solid var(--rule); }
h3 { font-size: 1.05em; margin: 22px 0 6px; }
.meta { color: var(--muted); margin: 2px 0; }
.meta b { color: var(--ink); font-weight: 600; }
nav ol { columns: 2; margin: 8px 0 0; padding-left: 22px; }
a { color: var(--accent); }
table { border-collapse: collapse; margin: 10px 0 14px; font-size: 0.92em; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--rule);
         vertical-align: top; }
th { background: #f4f4f6; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.assumption td:first-child { border-left: 3px solid #E69F00; }
tr.sourced td:first-child { border-left: 3px solid #009E73; }
code { font: 0.9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
figure { margin: 14px 0 22px; }
figure img { width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { color: var(--muted); font-size: 0.9em; margin-top: 4px; }
figcaption .files { white-space: nowrap; }
details { margin: 8px 0; }
summary { cursor: pointer; font-weight: 600; }
.bar { display: inline-block; height: 0.7em; background: var(--accent); opacity: 0.55;
       vertical-align: baseline; }
.small { font-size: 0.88em; color: var(--muted); }
.sources li { margin: 2px 0; word-break: break-word; }
footer { margin-top: 48px; color: var(--muted); font-size: 0.85em;
         border-top: 1px solid var(--rule); padding-top: 8px; }
@media print { nav { display: none; } h2 { break-before: auto; } figure { break-inside: avoid; } }
"""


def _date_plus(date: str, day: float | None) -> str:
    if day is None:
        return "-"
    return (dt.date.fromisoformat(date) + dt.timedelta(days=int(round(day)))).isoformat()


def _pct(p: float) -> str:
    return f"{p:.1%}" if 0 < p < 0.1 else f"{p:.0%}" if p in (0.0, 1.0) else f"{p:.1%}"


def figure_html(fig: FigureFile) -> str:
    """A ``<figure>`` with the PNG embedded as a data URI and the file names in the caption."""
    data = base64.b64encode(fig.png.read_bytes()).decode("ascii")
    return (f'<figure id="fig-{escape(fig.name)}"><img alt="{escape(fig.title)}" '
            f'src="data:image/png;base64,{data}">'
            f"<figcaption><b>{escape(fig.title)}.</b> {escape(fig.caption)} "
            f'<span class="files">Files: <code>figures/{escape(fig.png.name)}</code>, '
            f"<code>figures/{escape(fig.svg.name)}</code>.</span></figcaption></figure>")


def outcome_table(inp: ReportInputs) -> str:
    """Each outcome's probability, 95% interval and median day with its calendar date."""
    rows = []
    for oid, v in inp.summary.items():
        lo, hi = v["ci95"]
        med = v["median_day"]
        width = max(0.0, min(1.0, v["probability"])) * 100
        rows.append(
            f"<tr><td><b>{escape(v['description'] or oid)}</b><br>"
            f'<code class="small">{escape(oid)}</code></td>'
            f'<td class="num">{_pct(v["probability"])} '
            f'<span class="bar" style="width:{width * 0.6:.1f}px"></span></td>'
            f'<td class="num">{_pct(lo)} – {_pct(hi)}</td>'
            f'<td class="num">{"-" if med is None else f"{med:.0f}"}</td>'
            f'<td class="num">{_date_plus(inp.date, med)}</td></tr>')
    return ("<table><thead><tr><th>outcome</th><th class=num>probability</th>"
            "<th class=num>95% interval</th><th class=num>median day</th>"
            "<th class=num>median date</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def theory_table(split: TheorySplit) -> str:
    """Outcomes (rows) by theory (columns): probability and 95% interval."""
    head = "".join(f'<th class=num>{escape(t)}<br><span class="small">{n:,} runs</span></th>'
                   for t, n in zip(split.theories, split.runs, strict=True))
    rows = []
    for i, oid in enumerate(split.outcomes):
        cells = "".join(
            f'<td class="num">{_pct(split.probability[i, t])}<br><span class="small">'
            f"{_pct(split.low[i, t])} – {_pct(split.high[i, t])}</span></td>"
            for t in range(len(split.theories)))
        rows.append(f"<tr><td>{escape(split.descriptions[i] or oid)}</td>{cells}</tr>")
    return (f"<table><thead><tr><th>outcome</th>{head}</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _learnt(flag: bool | None) -> str:
    return {True: "learnt", False: "stayed at its prior",
            None: "too few effective points to say"}[flag]


def posterior_table(fit: dict) -> str:
    """Each fitted parameter's prior and posterior median and 90% interval (``fit.json``)."""
    def cell(q):
        return f'<td class="num">{q[1]:.4g}<br><span class="small">{q[0]:.4g} – {q[2]:.4g}' \
               "</span></td>"

    rows = "".join(
        f"<tr><td><code>{escape(r['path'])}</code></td>{cell(r['prior'])}"
        f"{cell(r['posterior'])}<td>{_learnt(r['learnt'])}</td>"
        "</tr>" for r in fit["parameters"])
    return (f"<p>Structural parameters fitted to {fit['observations_fitted']} observations "
            f"of <code>{escape(fit['scenario'])}</code> (effective sample "
            f"{fit['effective_sample_size']:.0f}); runs draw them from the posterior.</p>"
            "<table><thead><tr><th>parameter</th><th class=num>prior median (90%)</th>"
            "<th class=num>posterior median (90%)</th><th>fit</th></tr></thead><tbody>"
            f"{rows}</tbody></table>")


def interdiction_table(inp: ReportInputs, share: np.ndarray) -> str:
    """Links interdicted in at least :data:`INTERDICTED_SHARE` of runs, most often first."""
    links = inp.scenario.links
    order = [e for e in np.argsort(-share) if share[e] >= INTERDICTED_SHARE]
    if not order:
        return (f"<p>No link was interdicted in {INTERDICTED_SHARE:.0%} of runs or more.</p>")
    rows = "".join(
        f"<tr><td><code>{escape(links[e].id)}</code></td><td>{escape(links[e].mode)}</td>"
        f'<td class="num">{float(links[e].capacity.ppf(0.5)):,.0f}</td>'
        f'<td class="num">{share[e]:.0%}</td></tr>' for e in order)
    return ("<table><thead><tr><th>link</th><th>mode</th><th class=num>intact capacity, "
            "t/day (median)</th><th class=num>runs in which it was interdicted</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>")


def _cite(text: str, keys: set[str]) -> str:
    """Escape ``text`` and turn ``[S12]`` citations of known keys into in-page links."""
    def link(m):
        key = m.group(1)
        return f'[<a href="#src-{key}">{key}</a>]' if key in keys else m.group(0)
    return re.sub(r"\[([A-Za-z0-9_]+)\]", link, escape(text))


def provenance_section(inp: ReportInputs) -> str:
    """Counts of sourced numbers and assumptions, the full list, and the sources."""
    s = inp.scenario
    numbers = provenance(s)
    assumed = sum(a for _, _, a in numbers)
    uncertain = sum(p.is_random for _, p, _ in numbers)
    groups: dict[str, list[int]] = {}
    for path, _, a in numbers:
        g = groups.setdefault(re.split(r"[.\[]", path, maxsplit=1)[0], [0, 0])
        g[int(a)] += 1
    keys = set(s.sources)
    by_group = "".join(f"<tr><td><code>{escape(g)}</code></td><td class=num>{n[0]}</td>"
                       f"<td class=num>{n[1]}</td></tr>" for g, n in groups.items())
    rows = "".join(
        f'<tr class="{"assumption" if a else "sourced"}"><td><code>{escape(path)}</code></td>'
        f"<td>{escape(p.describe())}</td><td>{'assumption' if a else 'sourced'}</td>"
        f"<td>{_cite(p.source or '', keys)}</td><td>{_cite(p.note or '', keys)}</td></tr>"
        for path, p, a in numbers)
    sources = "".join(f'<li id="src-{escape(k)}"><b>[{escape(k)}]</b> {escape(v.text)}</li>'
                      for k, v in s.sources.items())
    return (
        f"<p>The scenario states <b>{len(numbers)}</b> numbers: <b>{len(numbers) - assumed}"
        f"</b> sourced and <b>{assumed}</b> assumptions (a number without a source, or whose "
        f"note calls it an assumption). <b>{uncertain}</b> of them are uncertain and sampled "
        "afresh in every run. Defaults not written in the scenario file are not counted.</p>"
        "<table style='width:auto'><thead><tr><th>part of the scenario</th>"
        "<th class=num>sourced</th><th class=num>assumptions</th></tr></thead>"
        f"<tbody>{by_group}</tbody></table>"
        f"<details><summary>Every number, with its source and note ({len(numbers)})</summary>"
        "<table><thead><tr><th>number</th><th>value</th><th>status</th><th>source</th>"
        f"<th>note</th></tr></thead><tbody>{rows}</tbody></table></details>"
        + (f"<details><summary>Sources cited ({len(s.sources)})</summary>"
           f'<ol class="sources" style="list-style:none;padding-left:0">{sources}</ol>'
           "</details>" if s.sources else ""))


def _policy(inp: ReportInputs) -> str | None:
    """The response policy the runs were played under: the dataset's record, else the saved
    scenario's (which ``--policy`` replaced before the run); ``None`` without politics."""
    if "policy" in inp.ds.attrs:
        return str(inp.ds.attrs["policy"])
    politics = inp.scenario.politics
    return None if politics is None else str(politics.policy)


def _header(inp: ReportInputs) -> str:
    ds, meta = inp.ds, inp.run_meta
    days = int(ds.attrs["days"])
    every = int(ds.attrs.get("record_every_days", 1))
    extra = (f"; series recorded every {every} days" if every > 1 else "")
    created = f" Run created {escape(str(meta['created']))}." if meta.get("created") else ""
    command = (f'<p class="meta">Command: <code>{escape(" ".join(meta["command"]))}</code></p>'
               if meta.get("command") else "")
    policy = _policy(inp)
    answer = f" · response policy <b>{escape(policy)}</b>" if policy else ""
    return (
        f"<header><h1>{escape(str(ds.attrs.get('title', inp.scenario.title)))}</h1>"
        f'<p class="meta">Scenario <b>{escape(str(ds.attrs.get("scenario", inp.scenario.id)))}'
        f"</b> as of <b>{escape(inp.date)}</b> · <b>{ds.sizes['run']:,}</b> runs · "
        f"<b>{days}</b> days (to {_date_plus(inp.date, days)}) · seed "
        f"<b>{escape(str(ds.attrs.get('seed', '?')))}</b>{answer}{extra}</p>"
        f'<p class="meta">powderkeg {escape(str(ds.attrs.get("powderkeg_version", "?")))}; '
        f"scenario SHA-256 <code>{escape(str(ds.attrs.get('scenario_sha256', '?'))[:16])}"
        f"…</code>.{created}</p>{command}"
        + (f"<p>{escape(inp.scenario.description)}</p>" if inp.scenario.description else "")
        + "</header>")


def render_page(inp: ReportInputs, sections: list[Section]) -> str:
    """The whole HTML document."""
    title = escape(f"{inp.scenario.id}: powderkeg report")
    nav = "".join(f'<li><a href="#{s.id}">{escape(s.title)}</a></li>' for s in sections)
    body = "".join(f'<section id="{s.id}"><h2>{escape(s.title)}</h2>{s.body}</section>'
                   for s in sections)
    version = escape(str(inp.ds.attrs.get("powderkeg_version", "")))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{_CSS}</style></head><body><main>"
        f"{_header(inp)}<nav><b>Contents</b><ol>{nav}</ol></nav>{body}"
        f"<footer>Made by powderkeg {version} from <code>{escape(inp.results_dir.name)}</code>. "
        "Every probability is a share of simulated runs of the stated model and assumptions, "
        "not a forecast of the world.</footer>"
        "</main></body></html>\n")
