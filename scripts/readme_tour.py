"""Run the README's tour and rewrite the output it shows, so its printed numbers stay true.

    .venv/bin/python scripts/readme_tour.py                 # run everything, rewrite README.md
    .venv/bin/python scripts/readme_tour.py --check         # report what differs (exit 1 if any)
    .venv/bin/python scripts/readme_tour.py --only compare  # only blocks whose commands match
    .venv/bin/python scripts/readme_tour.py --scale small   # few runs: check the commands work

Conventions of README.md (the fewest that cover it):

1. A ```console block is part of the tour. Each line ``$ COMMAND`` is a command; the lines
   after it, up to the next ``$`` line, are what it printed: standard output and standard
   error as a terminal shows them, without progress lines (a terminal's bar erases itself).
2. The commands run in document order, through bash with ``set -o pipefail``, in one fresh
   temporary folder holding a copy of ``examples/``, with the project's ``.venv/bin`` first on
   PATH, on a terminal 100 columns wide, or as wide as the block's widest table if that is
   wider (it was printed on a wider terminal).
3. ``<!-- tour: not run (REASON) -->`` on the line before a block (blank lines may come
   between) leaves the block out, with the reason; its text stays as written.
4. Files: a ```yaml block whose top level has ``id: NAME`` is written to ``NAME.yaml`` when
   the tour reaches it; ``<!-- tour: file PATH -->`` before a block writes it to ``PATH``
   instead. Other yaml blocks are fragments and are not written. A command may name only the
   files these blocks, ``examples/`` or earlier commands provide, or a file of the repository
   by its path from the root (it is copied with the other files of its folder).
5. A line ``...`` in an output stands for lines left out. The lines before the first ``...``
   are the output's first lines, those after the last its last lines; all are found again
   in the new output in order (the last segment from the end backwards): a table row
   (``│ cell │ ...``) by its first cell, together with the wrapped lines under it, and
   another line by its text with the digits ignored, else by its first word, else (right
   after a found line) as the next line, else as the most similar line. Where lines shown
   together are no longer together in the new output, a ``...`` is put between them.
6. ``$ echo $?`` prints the exit code of the command before it, and that code is the one
   expected of it. Every other command must exit with 0, and a usage error (an unknown
   command or option) is always a failure. A failure stops the script, naming the command and
   showing what it printed.
7. Results folders named with a timestamp (``runs/autumn-2022-20261201-100112-seed0-5b1e07``)
   are new on each run: when a command prints one, the name the README showed in that place
   stands for the new one in every later command and everywhere in the README.

``--scale small`` runs at a reduced scale (``SMALL`` below: fewer runs, fewer design
samples, one in-process worker) to check that every command, flag and file still works; it
never writes the README. ``tests/test_readme_tour.py`` uses it. The horizon (``--days``) is
kept: it is part of what a command means (a backtest's deadlines, a ``cumulative[90]``).
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXAMPLES = ROOT / "examples"
COLUMNS = 100
ELISION = "..."
# --scale small: each option's value where the command accepts it (a value given in the README
# is only ever lowered)
SMALL = {"--runs": 40, "--samples": 2}
# and added where accepted: one worker, so the runs are computed in the command's own process
SMALL_ADDED = {"--workers": "1"}

_FENCE = re.compile(r"^```(\w*)\s*$")
_MARKER = re.compile(r"^<!--\s*tour:\s*(.*?)\s*-->\s*$")
_TOP_ID = re.compile(r"^id:\s*['\"]?([\w.-]+)['\"]?\s*$", re.M)
_FOLDER = re.compile(r"[A-Za-z0-9_-]+-\d{8}-\d{6}-seed\d+-[0-9a-f]{6}")
_ROW = re.compile(r"^\s*[│┃](.*?)[│┃]")
_PROGRESS = re.compile(r"^[a-z].*( \.\.\.|: \d+%, (measuring speed|about .+ left))$")
_USAGE = re.compile(r"^Usage: ", re.M)
_INPUT_FILE = re.compile(r"^[\w./-]+\.(ya?ml|json|geojson|csv|md|nc|parquet)$")
_SUBCOMMAND = re.compile(r"\bpowderkeg\s+([a-z][\w-]*)")


class TourError(Exception):
    """A command of the tour failed, or its shown output cannot be found in what it printed."""


@dataclass
class Command:
    text: str
    line: int                      # index of the ``$`` line in the README
    output: list[str]              # the lines shown after it
    expected_code: int = 0

    @property
    def is_exit_code(self) -> bool:
        return self.text.strip() == "echo $?"


@dataclass
class FileBlock:
    path: str
    body: str
    line: int


@dataclass
class ConsoleBlock:
    line: int
    commands: list[Command] = field(default_factory=list)
    not_run: str | None = None     # the reason, if marked not run

    def produces(self) -> set[str]:
        """Paths this block writes for later blocks: ``--out X``, ``> X``, printed folders."""
        made: set[str] = set()
        for c in self.commands:
            words = _words(c.text)
            made |= {b for a, b in pairwise(words) if a in ("--out", ">", ">>")}
            made |= {m for line in c.output for m in _FOLDER.findall(line)}
        return made


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command, comments=True)
    except ValueError:
        return command.split()


# -- parsing -----------------------------------------------------------------------------------

def parse(text: str) -> list[FileBlock | ConsoleBlock]:
    """The tour's items in document order: files to write and console blocks to run."""
    lines = text.split("\n")
    items: list[FileBlock | ConsoleBlock] = []
    marker, i = None, 0
    while i < len(lines):
        m = _MARKER.match(lines[i])
        fence = _FENCE.match(lines[i])
        if m:
            marker = m.group(1)
        elif fence:
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")),
                       len(lines))
            body = lines[i + 1:end]
            item = _block(fence.group(1), body, i, marker)
            if item is not None:
                items.append(item)
            marker, i = None, end
        elif lines[i].strip():
            marker = None
        i += 1
    return items


def _block(language: str, body: list[str], fence_line: int, marker: str | None):
    if marker is not None and not (marker.startswith("not run") or marker.startswith("file ")):
        raise TourError(f"README line {fence_line}: unknown tour marker {marker!r} (use "
                        "'not run (REASON)' or 'file PATH')")
    if marker is not None and marker.startswith("file "):
        return FileBlock(marker[5:].strip(), "\n".join(body) + "\n", fence_line + 1)
    if language == "yaml":
        top_id = _TOP_ID.search("\n".join(body))
        if top_id:
            return FileBlock(f"{top_id.group(1)}.yaml", "\n".join(body) + "\n", fence_line + 1)
        return None
    if language != "console":
        return None
    block = ConsoleBlock(fence_line + 1)
    if marker is not None:
        block.not_run = marker[len("not run"):].strip(" ()") or "marked not run"
    for n, line in enumerate(body):
        if line.startswith("$ "):
            block.commands.append(Command(line[2:], fence_line + 1 + n, []))
        elif block.commands:
            block.commands[-1].output.append(line)
    for before, after in pairwise(block.commands):
        if after.is_exit_code and len(after.output) == 1 and after.output[0].strip().isdigit():
            before.expected_code = int(after.output[0])
    return block


# -- refreshing a shown output -----------------------------------------------------------------

def _records(lines: list[str]) -> list[list[str]]:
    """Lines grouped so that a table row carries the wrapped lines under it (empty first cell)."""
    records: list[list[str]] = []
    for line in lines:
        if records and _row_key(line) == "" and _row_key(records[-1][0]):
            records[-1].append(line)
        else:
            records.append([line])
    return records


def _row_key(line: str) -> str | None:
    m = _ROW.match(line)
    return m.group(1).strip() if m else None


def _masked(line: str) -> str:
    return re.sub(r"\d+", "#", line).strip()


def _first_word(line: str) -> str | None:
    words = line.split()
    return words[0] if words and len(words[0]) >= 3 and re.search("[A-Za-z]", words[0]) else None


def _find(shown: list[str], new: list[list[str]], start: int, end: int, follows: bool) -> int:
    """Index in ``new[start:end]`` of the record that stands where the shown one stood."""
    line, key = shown[0], _row_key(shown[0])
    if key:
        for k in range(start, end):
            if _row_key(new[k][0]) == key:
                return k
        raise TourError(f"the table row {line.strip()!r} is no longer printed")
    tests = (lambda a: _masked(a) == _masked(line),
             lambda a: _first_word(line) is not None and _first_word(a) == _first_word(line))
    if follows and start < end and any(same(new[start][0]) for same in tests):
        return start
    for same in tests:
        for k in range(start, end):
            if same(new[k][0]):
                return k
    if follows and start < end:
        return start
    scores = [(difflib.SequenceMatcher(None, line, new[k][0]).ratio(), -k)
              for k in range(start, end)]
    if scores and max(scores)[0] >= 0.5:
        return -max(scores)[1]
    raise TourError(f"the line {line.strip()!r} is no longer printed")


def _match(segments: list[list[list[str]]], new: list[list[str]], start: int) -> tuple[list, int]:
    """The records of ``new[start:]`` that stand for the shown ones, segment by segment (the
    first anchored at ``start``), with ``...`` between segments and where shown records came
    apart; and the position after the last one found."""
    items: list = []
    position = start
    for s, segment in enumerate(segments):
        if s:
            items.append(ELISION)
        for r, record in enumerate(segment):
            follows = r > 0 or s == 0
            k = _find(record, new, position, len(new), follows)
            if follows and k > position and items[-1:] != [ELISION]:
                items.append(ELISION)  # lines shown together are no longer together
            items.append(new[k])
            position = k + 1
    return items, position


def refresh(shown: list[str], printed: list[str]) -> list[str]:
    """The shown output rewritten from the printed one, keeping its ``...`` elisions.

    The segments before the last ``...`` are matched from the output's start, the last one
    from its end backwards (its last line is the output's last line).
    """
    if ELISION not in (s.strip() for s in shown):
        return list(printed)
    segments: list[list[str]] = [[]]
    for line in shown:
        if line.strip() == ELISION:
            segments.append([])
        else:
            segments[-1].append(line)
    shown_records = [_records(segment) for segment in segments]
    new = _records(printed)
    items, position = _match(shown_records[:-1], new, 0)
    tail: list = []
    if shown_records[-1]:
        backwards, _ = _match([shown_records[-1][::-1]], new[position:][::-1], 0)
        tail = backwards[::-1]
    return [line for item in [*items, ELISION, *tail]
            for line in ([item] if item == ELISION else item)]


def folders(lines: list[str]) -> list[str]:
    """Timestamped results folder names in ``lines``, in order, each once."""
    return list(dict.fromkeys(m for line in lines for m in _FOLDER.findall(line)))


# -- scale -------------------------------------------------------------------------------------

def command_options() -> dict[str, set[str]]:
    """Each powderkeg command's options, read from the command line's own definition."""
    import typer

    from powderkeg.cli import app

    group = typer.main.get_command(app)
    return {name: {o for p in cmd.params for o in p.opts} for name, cmd in group.commands.items()}


def scaled(command: str, options: dict[str, set[str]]) -> str:
    """``command`` at the small scale: each powderkeg invocation with ``SMALL`` counts."""
    parts = _SUBCOMMAND.split(command)
    # parts: [before, sub1, args1, sub2, args2, ...]
    out = [parts[0]]
    for sub, args in zip(parts[1::2], parts[2::2], strict=True):
        accepted = options.get(sub, set())
        added = []
        for option, value in SMALL.items():
            if option not in accepted:
                continue
            given = re.search(rf"{option}[ =](\d+)", args)
            if given:
                args = args.replace(given.group(0), f"{option} {min(value, int(given.group(1)))}")
            else:
                added += [option, str(value)]
        added += [w for o, v in SMALL_ADDED.items() if o in accepted and o not in args
                  for w in (o, v)]
        out.append(f"powderkeg {sub}" + "".join(f" {w}" for w in added) + args)
    return "".join(out)


# -- running -----------------------------------------------------------------------------------

def clean(text: str) -> list[str]:
    """Printed text as the README shows it: no progress lines, no trailing blanks."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")
             if not _PROGRESS.match(line.rstrip())]
    while lines and not lines[-1]:
        lines.pop()
    return lines


Runner = Callable[[str, int], tuple[int, str]]


def shell(workdir: Path) -> Runner:
    """Run a command line through bash in ``workdir`` on a terminal ``columns`` wide; return
    its exit code and what it printed."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               PYTHONUNBUFFERED="1", NO_COLOR="1", TERM="dumb")

    def run(command: str, columns: int) -> tuple[int, str]:
        done = subprocess.run(["bash", "-c", f"set -o pipefail\n{command}"], cwd=workdir,
                              env=dict(env, COLUMNS=str(columns)), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        return done.returncode, done.stdout
    return run


@dataclass
class Result:
    command: Command
    line: str                      # the command line as the README will show it
    ran: str                       # as run (scaled)
    code: int
    shown: list[str]               # the output as the README will show it
    seconds: float


def select(items: list, only: str | None) -> set[int]:
    """Lines of the console blocks to run: those matching ``only``, and those they read from."""
    blocks = [b for b in items if isinstance(b, ConsoleBlock) and b.not_run is None]
    if only is None:
        return {b.line for b in blocks}
    chosen = [b for b in blocks if any(re.search(only, c.text) for c in b.commands)]
    grown = True
    while grown:
        grown = False
        text = " ".join(c.text for b in chosen for c in b.commands)
        for b in blocks:
            if b not in chosen and b.line < max(c.line for c in chosen) and any(
                    path in text for path in b.produces()):
                chosen.append(b)
                grown = True
    return {b.line for b in chosen}


def columns(block: ConsoleBlock) -> int:
    """The terminal width a block was printed at: 100, or its widest table's if wider."""
    borders = [len(line.rstrip()) for c in block.commands for line in c.output
               if line[:1] in "┏┌╭└╰"]
    return max([COLUMNS, *borders])


def tour(text: str, workdir: Path, run: Runner, *,
         small: bool = False, only: str | None = None,
         log: Callable[[str], None] = lambda s: None,
         done: Callable[[str], None] = lambda s: None) -> tuple[str, list[Result]]:
    """Run the tour of ``text`` in ``workdir``; return the README rewritten and what each did.

    ``done`` gets the README rewritten so far after each block, so a long regeneration that is
    stopped keeps what it finished.
    """
    items = parse(text)
    chosen = select(items, only)
    options = command_options() if small else {}
    renamed: dict[str, str] = {}
    results: list[Result] = []
    for item in items:
        if isinstance(item, FileBlock):
            path = workdir / item.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(item.body, "utf-8")
            continue
        if item.not_run is not None:
            log(f"not run (README line {item.line}): {item.not_run}")
            continue
        if item.line not in chosen:
            continue
        last_code = 0
        for command in item.commands:
            line = _renamed(command.text, renamed)
            if command.is_exit_code:
                results.append(Result(command, line, line, 0, [str(last_code)], 0.0))
                continue
            ran = scaled(line, options) if small else line
            _provide_inputs(ran, workdir, command)
            log(f"$ {ran}")
            start = time.monotonic()
            code, printed = run(ran, columns(item))
            seconds = time.monotonic() - start
            lines = clean(printed)
            usage = code != 0 and _USAGE.search(printed)
            if code != command.expected_code or usage:
                why = "a usage error" if usage else f"expected {command.expected_code}"
                raise TourError(f"README line {command.line + 1}: `{ran}` exited with {code}, "
                                f"{why}; it printed:\n" + "\n".join(lines[-40:]))
            try:
                shown = refresh(command.output, lines)
            except TourError as e:
                raise TourError(f"README line {command.line + 1}: `{ran}`: {e}; it printed:\n"
                                + "\n".join(lines[:60])) from None
            old, new = folders(command.output), folders(shown)
            if len(old) == len(new):
                renamed.update((a, b) for a, b in zip(old, new, strict=True) if a != b)
            results.append(Result(command, line, ran, code, shown, seconds))
            last_code = code
        done(rewrite(text, results, renamed))
    return rewrite(text, results, renamed), results


def _renamed(text: str, renamed: dict[str, str]) -> str:
    for old, new in renamed.items():
        text = text.replace(old, new)
    return text


def _provide_inputs(command: str, workdir: Path, source: Command) -> None:
    words = _words(command)
    outputs = {b for a, b in pairwise(words) if a in ("--out", ">", ">>")}
    for word in words:
        if (_INPUT_FILE.match(word) and word not in outputs and not word.startswith("/")
                and not (workdir / word).exists()):
            if (ROOT / word).is_file():  # a file of the repository, with its folder's files
                shutil.copytree((ROOT / word).parent, (workdir / word).parent, dirs_exist_ok=True)
                continue
            raise TourError(
                f"README line {source.line + 1}: `{command}` names {word}, which no earlier "
                "command, no ```yaml block (with `id:` or `<!-- tour: file PATH -->`), no "
                "file in examples/ and no file of the repository provides")


def rewrite(text: str, results: list[Result], renamed: dict[str, str]) -> str:
    """``text`` with each command's line and shown output replaced, and folders renamed."""
    lines = text.split("\n")
    for r in sorted(results, key=lambda r: -r.command.line):
        c = r.command
        lines[c.line:c.line + 1 + len(c.output)] = [f"$ {r.line}", *r.shown]
    return _renamed("\n".join(lines), renamed)


def differences(old: str, new: str) -> list[str]:
    """A unified diff of two README texts, ignoring the timestamps in folder names."""
    same = [_FOLDER.sub("FOLDER", t).split("\n") for t in (old, new)]
    return list(difflib.unified_diff(*same, "README.md", "README.md (regenerated)", lineterm="",
                                     n=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="run and report which outputs differ (exit 1 if any); write nothing")
    parser.add_argument("--only", metavar="PATTERN",
                        help="only blocks with a command matching this regular expression (and "
                             "the blocks that write what they read)")
    parser.add_argument("--scale", choices=["full", "small"], default="full",
                        help="small: few runs, to check the commands work; writes nothing")
    parser.add_argument("--readme", type=Path, default=README, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    text = args.readme.read_text("utf-8")
    small = args.scale == "small"
    start = time.monotonic()
    writes = not (small or args.check)
    with tempfile.TemporaryDirectory(prefix="readme-tour-") as tmp:
        workdir = Path(tmp)
        shutil.copytree(EXAMPLES, workdir / "examples")
        try:
            new, results = tour(text, workdir, shell(workdir), small=small, only=args.only,
                                log=lambda s: print(s, file=sys.stderr, flush=True),
                                done=lambda s: _write(args.readme, s) if writes else None)
        except TourError as e:
            print(f"error: {e}", file=sys.stderr)
            if writes:
                print(f"{args.readme.name} keeps the blocks finished before it", file=sys.stderr)
            return 2
    for r in results:
        print(f"{r.seconds:7.1f} s  {r.ran}", file=sys.stderr)
    print(f"{len(results)} commands in {time.monotonic() - start:.0f} s", file=sys.stderr)
    diff = differences(text, new)
    if args.check:
        print("\n".join(diff) if diff else "README.md shows what the commands print.")
        return 1 if diff else 0
    if writes:
        print(f"{args.readme.name} rewritten ({sum(d.startswith('+') for d in diff) - 1} lines "
              "changed)", file=sys.stderr)
    return 0


def _write(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` atomically (a reader sees the old file or the new one)."""
    tmp = path.with_name(f".{path.name}.tour")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
