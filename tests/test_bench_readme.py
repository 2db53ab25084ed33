"""README.md's performance table is the published ``make bench`` result
(``scripts/bench_readme.py``), and publishing rewrites only that table."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_readme", ROOT / "scripts" / "bench_readme.py")
bench_readme = sys.modules.setdefault("bench_readme", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(bench_readme)

DOC = {"when": "2026-12-02T07:00:00+00:00", "cpus": 2, "quick": False,
       "table": "| what | now |\n|---|---|\n| whole run | 1 s |\n"}


def test_the_readme_shows_the_published_bench_result():
    published = json.loads(bench_readme.PUBLISHED.read_text("utf-8"))
    assert not published["quick"]
    readme = bench_readme.README.read_text("utf-8")
    assert published["table"].rstrip() in readme
    assert bench_readme.main(["--check"]) == 0


def test_publishing_rewrites_the_table_and_nothing_else():
    readme = (f"# Title\n\nBefore.\n\n{bench_readme.START}\nold table\n{bench_readme.END}\n\n"
              "After.\n")
    new = bench_readme.with_table(readme, DOC)
    head, rest = new.split(bench_readme.START)
    inside, tail = rest.split(bench_readme.END)
    assert head == "# Title\n\nBefore.\n\n" and tail == "\n\nAfter.\n"
    assert "old table" not in inside and "| whole run | 1 s |" in inside
    assert "2026-12-02T07:00:00+00:00" in inside and "```text" in inside
    assert bench_readme.with_table(new, DOC) == new  # publishing twice changes nothing


def test_a_readme_without_the_markers_is_refused_with_the_fix():
    with pytest.raises(SystemExit, match="put them where the table goes"):
        bench_readme.with_table("# Title\n", DOC)


def test_a_quick_result_is_not_published(tmp_path):
    quick = tmp_path / "goals-quick.json"
    quick.write_text(json.dumps(DOC | {"quick": True}), "utf-8")
    with pytest.raises(SystemExit, match="quick bench"):
        bench_readme.main([str(quick)])
