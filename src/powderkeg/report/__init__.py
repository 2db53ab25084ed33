"""Presentation of a results folder: figures (PNG and SVG) and one self-contained HTML report.

>>> from powderkeg.report import build_report
>>> build_report(Path("runs/autumn-2022-..."))          # doctest: +SKIP
PosixPath('runs/autumn-2022-.../report.html')

The report reads what ``powderkeg run`` wrote (``results.nc``, ``scenario.yaml``,
``run.json``) and never simulates. Modules: :mod:`~powderkeg.report.inputs` (loading),
:mod:`~powderkeg.report.figures` (time plots), :mod:`~powderkeg.report.politics` (influence,
escalation), :mod:`~powderkeg.report.maps` and :mod:`~powderkeg.report.borders` (the map),
:mod:`~powderkeg.report.theories` (per-theory split), :mod:`~powderkeg.report.html` (the
page) and :mod:`~powderkeg.report.build` (putting it together).
"""

from powderkeg.report.build import FIGURES_DIR, REPORT_FILE, build_report

__all__ = ["build_report", "REPORT_FILE", "FIGURES_DIR"]
