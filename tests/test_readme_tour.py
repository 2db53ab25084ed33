"""The README's tour runs: every command of its console blocks, at a small scale.

The rules (what is a command, its expected exit code, which files it may name, how a shown
output with ``...`` is found again) are those of ``scripts/readme_tour.py``, which also
regenerates the README's printed output at full scale; this test runs the same tour with few
runs. It fails if a command is renamed, an option vanishes, a file the tour names is neither
shown nor in ``examples/``, a command exits with another code than the README shows, or a
table row the README shows is no longer printed. Plain ``powderkeg ...`` commands run in this
process (the interpreter's start-up is most of a small command's time); pipelines and
redirections run through bash as in the script.
"""

from __future__ import annotations

import contextlib
import importlib.util
import re
import shlex
import shutil
import sys
import traceback
from pathlib import Path

import pytest
from typer.testing import CliRunner

from powderkeg import cli

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("readme_tour", ROOT / "scripts" / "readme_tour.py")
tour = sys.modules.setdefault("readme_tour", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(tour)

_PLAIN = re.compile(r"^powderkeg\s[^|<>;&$`\\#'\"]*$")


def _in_process(workdir: Path):
    """A runner: plain powderkeg commands through the CLI in this process, the rest via bash."""
    shell, runner = tour.shell(workdir), CliRunner()

    def run(command: str, columns: int) -> tuple[int, str]:
        if not _PLAIN.match(command):
            return shell(command, columns)
        with contextlib.chdir(workdir):
            cli.out.width = cli.err.width = columns
            result = runner.invoke(cli.app, shlex.split(command)[1:])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            return 1, result.output + "".join(traceback.format_exception(result.exception))
        return result.exit_code, result.output
    return run


def test_every_command_of_the_readme_runs_with_the_exit_code_it_shows(tmp_path, monkeypatch):
    for console in (cli.out, cli.err):
        monkeypatch.setattr(console, "_width", None)  # set per command, restored after
    shutil.copytree(tour.EXAMPLES, tmp_path / "examples")
    text = tour.README.read_text("utf-8")
    _, results = tour.tour(text, tmp_path, _in_process(tmp_path), small=True)
    items = tour.parse(text)
    runnable = [c for b in items if isinstance(b, tour.ConsoleBlock) and b.not_run is None
                for c in b.commands]
    assert [r.command for r in results] == runnable
    assert all(r.code == r.command.expected_code for r in results)
    assert any(r.command.expected_code == 2 for r in results)  # the README shows a refusal
    assert all(b.not_run for b in items if isinstance(b, tour.ConsoleBlock) and b.not_run
               is not None), "a block marked not run must say why"


# -- the rules, on a small README --------------------------------------------------------------

OLD = "runs/variant-20261201-100112-seed0-5b1e07"
NEW = "runs/variant-20261201-130000-seed0-abcdef"
README = f"""# Demo

<!-- tour: file data/base.yaml -->
```yaml
a: 1
```

```yaml
extends: data/base.yaml
id: variant
```

```yaml
silence: []
```

```yaml
id: typo
```

```console
$ powderkeg run variant.yaml --runs 2000
Title
┏━━━━━━━━┳━━━━━━┓
┃ outcome┃ prob ┃
┡━━━━━━━━╇━━━━━━┩
│ alpha  │ 10%  │
│ beta   │ 20%  │
└────────┴──────┘
Results written to {OLD}
$ powderkeg validate typo.yaml
error: bad
$ echo $?
2
```

<!-- tour: not run (needs a cluster) -->

```console
$ powderkeg run --scheduler tcp://10.0.0.5:8786
```

The folder {OLD} is read back:

```console
$ powderkeg ask {OLD} --given alpha
...
│ beta   │ 20%  │
...
```
"""
PRINTED = {
    "powderkeg run variant.yaml --runs 2000": (
        0, "Title\n┏━┳━┓\n┃ outcome┃ prob ┃\n┡━╇━┩\n│ alpha  │ 11%  │\n│ beta   │ 22%  │\n└─┴─┘\n"
           f"simulating 2 runs ...\nResults written to {NEW}\n"),
    "powderkeg validate typo.yaml": (2, "error: still bad\n"),
    f"powderkeg ask {NEW} --given alpha": (0, "head\n│ alpha  │ 1%  │\n│ beta   │ 2%  │\ntail\n"),
}


def _fake(calls: list[str], printed=PRINTED):
    def run(command: str, columns: int) -> tuple[int, str]:
        assert columns == tour.COLUMNS
        calls.append(command)
        return printed[command]
    return run


def test_parse_finds_files_commands_exit_codes_and_blocks_not_run():
    items = tour.parse(README)
    files = [i.path for i in items if isinstance(i, tour.FileBlock)]
    assert files == ["data/base.yaml", "variant.yaml", "typo.yaml"]  # the fragment is not a file
    blocks = [i for i in items if isinstance(i, tour.ConsoleBlock)]
    assert [b.not_run for b in blocks] == [None, "needs a cluster", None]
    first = blocks[0].commands
    assert [c.text for c in first] == ["powderkeg run variant.yaml --runs 2000",
                                       "powderkeg validate typo.yaml", "echo $?"]
    assert [c.expected_code for c in first] == [0, 2, 0]
    assert first[0].output[-1] == f"Results written to {OLD}"


def test_tour_runs_in_order_writes_files_and_follows_the_new_folder(tmp_path):
    calls: list[str] = []
    new, results = tour.tour(README, tmp_path, _fake(calls))
    assert calls == list(PRINTED)  # the cluster block is not run; echo $? is not run either
    assert (tmp_path / "data" / "base.yaml").read_text() == "a: 1\n"
    assert OLD not in new and new.count(NEW) == 3  # printed, in the prose and in the command
    assert "│ alpha  │ 11%  │\n│ beta   │ 22%  │" in new
    assert "simulating" not in new  # progress lines are left out
    assert "error: still bad\n$ echo $?\n2\n" in new
    assert "...\n│ beta   │ 2%  │\n...\n" in new  # the elided output keeps its shape


def test_only_runs_the_matching_block_and_the_block_that_writes_what_it_reads(tmp_path):
    calls: list[str] = []
    tour.tour(README, tmp_path, _fake(calls), only="ask")
    assert calls == list(PRINTED)  # the ask block reads the folder the first block prints
    calls.clear()
    tour.tour(README, tmp_path, _fake(calls), only="validate")
    assert calls == list(PRINTED)[:2]


def test_an_unexpected_exit_code_or_a_usage_error_stops_the_tour(tmp_path):
    failing = dict(PRINTED, **{"powderkeg validate typo.yaml": (1, "Traceback: boom\n")})
    with pytest.raises(tour.TourError, match=r"`powderkeg validate typo.yaml` exited with 1, "
                                             r"expected 2(.|\n)*boom"):
        tour.tour(README, tmp_path, _fake([], failing))
    usage = dict(PRINTED, **{"powderkeg validate typo.yaml": (
        2, "Usage: powderkeg [OPTIONS] COMMAND [ARGS]...\nError: No such command 'validate'.\n")})
    with pytest.raises(tour.TourError, match="exited with 2, a usage error"):
        tour.tour(README, tmp_path, _fake([], usage))


def test_a_file_no_block_provides_stops_the_tour(tmp_path):
    text = README.replace("```yaml\nid: typo\n```\n", "")
    with pytest.raises(tour.TourError, match="names typo.yaml"):
        tour.tour(text, tmp_path, _fake([]))


def test_refresh_keeps_the_elision_and_finds_rows_by_their_first_cell():
    shown = ["Title 2,000 runs", "...", "│ beta   │ 20% │", "│        │ (wrapped) │", "...",
             "│ delta │ 1% │", "└──┘", "last line"]
    printed = ["Title 40 runs", "┏━┓", "│ alpha │ 1% │", "│ beta │ 2% │", "│ │ (wrapped) │",
               "│ │ (twice) │", "│ gamma │ 3% │", "│ delta │ 4% │", "└──┘", "last line"]
    assert tour.refresh(shown, printed) == [
        "Title 40 runs", "...", "│ beta │ 2% │", "│ │ (wrapped) │", "│ │ (twice) │", "...",
        "│ delta │ 4% │", "└──┘", "last line"]
    assert tour.refresh(["a", "b"], ["c"]) == ["c"]  # no elision: the whole output
    with pytest.raises(tour.TourError, match="'│ epsilon │ 5% │' is no longer printed"):
        tour.refresh(["...", "│ epsilon │ 5% │", "..."], printed)


def test_refresh_finds_other_lines_by_their_text_without_digits_then_by_their_first_word():
    shown = ["...", "## Events (549)", "", "- day 1: first event", "...", "kherson\t0.38\t52",
             "..."]
    printed = ["# Run 1", "## Events (12)", "", "- day 3: another first event", "- day 4",
               "melitopol\t0.1\t3", "kherson\t0\tnull"]
    assert tour.refresh(shown, printed) == [
        "...", "## Events (12)", "", "- day 3: another first event", "...", "kherson\t0\tnull",
        "..."]


def test_columns_are_those_of_the_widest_table_shown_if_wider_than_100():
    block = tour.parse("```console\n$ powderkeg x\n" + "┏" + "━" * 118 + "┓\n```\n")[0]
    assert tour.columns(block) == 120
    assert tour.columns(tour.parse(README)[3]) == tour.COLUMNS


def test_refresh_marks_where_lines_shown_together_have_come_apart():
    shown = ["Head", "Strikes a", "Outcomes (24): x", "..."]
    printed = ["Head", "Strikes a", "Strikes b", "Outcomes (26): y", "more"]
    assert tour.refresh(shown, printed) == ["Head", "Strikes a", "...", "Outcomes (26): y", "..."]


def test_small_scale_lowers_counts_and_adds_options_only_where_a_command_accepts_them():
    options = {"run": {"--runs", "--days", "--workers", "--json"}, "calibrate": {"--draws"},
               "sensitivity": {"--samples", "--days", "--workers"}}
    assert tour.scaled("powderkeg run x.yaml --runs 2000 --json | jq .", options) == (
        "powderkeg run --workers 1 x.yaml --runs 40 --json | jq .")
    assert tour.scaled("powderkeg run --runs 10 --days 30", options) == (
        "powderkeg run --workers 1 --runs 10 --days 30")
    assert tour.scaled("powderkeg calibrate", options) == "powderkeg calibrate"
    assert tour.scaled("powderkeg sensitivity --method morris", options) == (
        "powderkeg sensitivity --samples 2 --workers 1 --method morris")
    assert set(tour.command_options()["run"]) >= {"--runs", "--days", "--workers"}
