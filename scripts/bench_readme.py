"""Publish a ``make bench`` result: its table into README.md's performance section.

    .venv/bin/python scripts/bench_readme.py                          # the last full bench
    .venv/bin/python scripts/bench_readme.py benchmarks/results/goals.json
    .venv/bin/python scripts/bench_readme.py --check                  # README as published?

The result (``benchmarks/bench_goals.py``'s JSON, by default ``benchmarks/results/goals.json``)
is copied to ``benchmarks/published.json``, which the repository keeps, and its ``table`` is
written into README.md between the lines ``<!-- bench-table: start -->`` and
``<!-- bench-table: end -->``, in a ``text`` block under a line that says when it was
measured. The text around the table is the author's and stays as written. ``--check`` exits
with 1 when README.md's table is not ``benchmarks/published.json``'s. A quick bench's result
is refused: the README shows the full mode.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PUBLISHED = ROOT / "benchmarks" / "published.json"
DEFAULT = ROOT / "benchmarks" / "results" / "goals.json"
START, END = "<!-- bench-table: start -->", "<!-- bench-table: end -->"


def block(doc: dict) -> str:
    """The README's lines between the markers for a bench result ``doc``."""
    return (f"Measured {doc['when']} on {doc['cpus']} cores (`make bench`, full mode; "
            f"`benchmarks/published.json`):\n\n```text\n{doc['table'].rstrip()}\n```")


def with_table(readme: str, doc: dict) -> str:
    """``readme`` with the block between the markers replaced by :func:`block`."""
    head, start, rest = readme.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"README.md has no lines {START} and {END} around the performance "
                         "table: put them where the table goes")
    return f"{head}{START}\n{block(doc)}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Write a make bench result into README.md.")
    p.add_argument("result", nargs="?", type=Path, default=DEFAULT,
                   help="the bench's JSON (default: benchmarks/results/goals.json)")
    p.add_argument("--check", action="store_true",
                   help="only check that README.md shows benchmarks/published.json")
    a = p.parse_args(argv)
    readme = README.read_text("utf-8")
    if a.check:
        doc = json.loads(PUBLISHED.read_text("utf-8"))
        if with_table(readme, doc) != readme:
            print("README.md's performance table is not benchmarks/published.json's: run "
                  "scripts/bench_readme.py", file=sys.stderr)
            return 1
        return 0
    if not a.result.is_file():
        raise SystemExit(f"{a.result} does not exist: run `make bench` first (full mode), or "
                         "name the bench's JSON")
    doc = json.loads(a.result.read_text("utf-8"))
    if doc.get("quick"):
        raise SystemExit(f"{a.result} is a quick bench (--quick): the README shows the full "
                         "mode; run `make bench`")
    if a.result.resolve() != PUBLISHED.resolve():
        shutil.copyfile(a.result, PUBLISHED)
    part = README.with_name(README.name + ".part")
    part.write_text(with_table(readme, doc), "utf-8")
    part.replace(README)
    print(f"wrote the table of {a.result.name} ({doc['when']}) into README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
