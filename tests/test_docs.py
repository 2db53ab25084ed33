"""The documentation runs: every Python block of ``docs/notebook-example.md``, as written.

The page reads a results folder that ``powderkeg run`` printed; the test makes a small one
with the built-in scenario and runs the page's code against it, with only the folder's name
replaced. Plots are drawn off-screen (Agg).
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest
from typer.testing import CliRunner

from powderkeg.cli import app

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "notebook-example.md"
_BLOCK = re.compile(r"```python\n(.*?)```", re.S)
_FOLDER = re.compile(r"runs/autumn-2022-\d{8}-\d{6}-seed\d+-[0-9a-f]{6}")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notebook") / "results"
    result = CliRunner().invoke(app, ["run", "--runs", "60", "--days", "30", "--workers", "1",
                                      "--out", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    return folder


def test_every_python_block_of_the_notebook_page_runs(results):
    text = NOTEBOOK.read_text("utf-8")
    blocks = _BLOCK.findall(text)
    assert len(blocks) >= 3, "the page lost its code blocks"
    named = set(_FOLDER.findall(text))
    assert len(named) == 1, f"the page should name one example folder, it names {named}"
    folder = named.pop()
    matplotlib.use("Agg")
    namespace: dict = {}
    for block in blocks:
        exec(compile(block.replace(folder, str(results)), str(NOTEBOOK), "exec"), namespace)
    assert namespace["ds"].sizes["run"] == 60  # the page read the folder just written
    assert len(namespace["runs"]) == 60
    plt.close("all")
