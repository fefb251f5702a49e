# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
"""Render the functional tests' measured failover figures in the guide.

The functional tests (tests/functional) write each run's figures to
build/functional/latest.json. ``python tools/haguide_results.py publish``
copies a run into doc/source/_data/failover-results.json, which is
committed; the directives render only that committed copy, so a build
is deterministic and no figure is ever typed by hand:

``.. failover-results::`` (option ``:scenario: NAME`` for one scenario)
    one table per scenario: what was measured, the figure, the bound the
    test asserted, and the command that reproduces it.
``.. tested-versions::``
    the package versions, date and machine of the run.

Config value: ``haguide_results_file`` (path relative to the source
directory).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

DEFAULT_FILE = "_data/failover-results.json"
REPO = Path(__file__).resolve().parents[1]
LATEST = REPO / "build" / "functional" / "latest.json"
PUBLISHED = REPO / "doc" / "source" / DEFAULT_FILE
# Keys a results file must have; publish refuses anything else.
TOP_KEYS = frozenset({"date", "machine", "duration_s", "versions",
                      "scenarios"})
SCENARIO_KEYS = frozenset({"title", "description", "command", "figures"})
FIGURE_HEADERS = ("Measured", "Result", "Asserted bound")
# How the recorded comparison operators read in a table.
BOUND_WORDS = {"<=": "at most", ">=": "at least", "==": "exactly"}
VERSION_HEADERS = ("Package", "Version")


class ResultsError(ValueError):
    """The results file is missing or malformed; the text says how."""


def load(path: Path) -> dict:
    """Read and shape-check a results file; raise ResultsError."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResultsError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path}:{exc.lineno}: not JSON: {exc.msg}"
                           ) from None
    if not isinstance(data, dict) or not TOP_KEYS <= set(data):
        raise ResultsError(f"{path}: needs the keys {sorted(TOP_KEYS)}")
    for name, scenario in data["scenarios"].items():
        if not isinstance(scenario, dict) or not SCENARIO_KEYS <= set(
                scenario):
            raise ResultsError(f"{path}: scenario {name!r} needs the keys "
                               f"{sorted(SCENARIO_KEYS)}")
    return data


def figure_text(figure: dict) -> str:
    """'8.8 s' from a figure record (value and unit)."""
    return f"{figure['value']} {figure.get('unit', '')}".strip()


def bound_text(figure: dict) -> str:
    """'at most 12 s' from a figure's bound ('<= 12') and unit."""
    if "bound" not in figure:
        return "—"
    operator, _, value = figure["bound"].partition(" ")
    words = BOUND_WORDS.get(operator, operator)
    return f"{words} {value} {figure.get('unit', '')}".strip()


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]],
           widths: tuple[int, ...]) -> nodes.table:
    table = nodes.table(classes=["haguide-results"])
    group = nodes.tgroup(cols=len(headers))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head, body = nodes.thead(), nodes.tbody()
    group += head
    group += body
    for target, cells in ((head, headers), *((body, r) for r in rows)):
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += nodes.paragraph(text=cell)
            row += entry
        target += row
    return table


def scenario_nodes(name: str, scenario: dict) -> list[nodes.Node]:
    """A rubric, the description, the figures table, the command."""
    rows = [(f["what"], figure_text(f), bound_text(f))
            for f in scenario["figures"]]
    command = nodes.paragraph()
    command += nodes.Text("Run it: ")
    command += nodes.literal(text=scenario["command"])
    section = nodes.container(classes=["haguide-scenario"], ids=[
        nodes.make_id(f"failover-results-{name}")])
    section += nodes.rubric(text=scenario["title"])
    section += nodes.paragraph(text=scenario["description"])
    section += _table(FIGURE_HEADERS, rows, (50, 25, 25))
    section += command
    return [section]


def run_summary(data: dict) -> nodes.paragraph:
    machine = data["machine"]
    return nodes.paragraph(text=(
        f"Measured on {data['date']} on a {machine['cores']}-core machine "
        f"(Linux {machine['kernel']}); the whole functional suite took "
        f"{data['duration_s']} s."))


class _ResultsDirective(SphinxDirective):
    """Shared loading: the committed file, noted as a dependency."""

    def results(self) -> dict | None:
        relpath = self.config.haguide_results_file
        _rel, path = self.env.relfn2path("/" + relpath)
        self.env.note_dependency(path)
        try:
            return load(Path(path))
        except ResultsError as exc:
            logger.warning(str(exc), location=self.get_location(),
                           type="haguide", subtype="results")
            return None


class FailoverResults(_ResultsDirective):
    """Tables of measured failover figures, one per scenario."""

    option_spec = {"scenario": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        data = self.results()
        if data is None:
            return []
        wanted = self.options.get("scenario")
        scenarios = data["scenarios"]
        if wanted is not None and wanted not in scenarios:
            logger.warning(
                f"no scenario {wanted!r} in the results (have: "
                f"{', '.join(sorted(scenarios))})",
                location=self.get_location(), type="haguide",
                subtype="results")
            return []
        names = [wanted] if wanted else sorted(scenarios)
        result: list[nodes.Node] = []
        for name in names:
            result.extend(scenario_nodes(name, scenarios[name]))
        if wanted is None:
            result.insert(0, run_summary(data))
        return result


class TestedVersions(_ResultsDirective):
    """The package versions the committed results were measured with."""

    def run(self) -> list[nodes.Node]:
        data = self.results()
        if data is None:
            return []
        rows = sorted(data["versions"].items())
        return [run_summary(data), _table(VERSION_HEADERS, rows, (40, 60))]


def publish(source: Path, target: Path) -> None:
    """Check a run's results and copy them to the committed location.

    A run with failed tests, or one that lacks scenarios the committed
    copy has (a partial run, e.g. with -k), is refused.
    """
    data = load(source)
    if data.get("failed_tests"):
        raise ResultsError(f"{source}: tests failed in this run: "
                           f"{', '.join(data['failed_tests'])}")
    if target.exists():
        missing = set(load(target)["scenarios"]) - set(data["scenarios"])
        if missing:
            raise ResultsError(
                f"{source}: partial run, no {', '.join(sorted(missing))}; "
                "run the whole functional suite")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n",
                   encoding="utf-8")
    shutil.move(tmp, target)
    print(f"{target}: {len(data['scenarios'])} scenarios from "
          f"{data['date']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("publish", help="copy a run's results into the "
                         "documentation source")
    cmd.add_argument("source", nargs="?", type=Path, default=LATEST)
    cmd.add_argument("target", nargs="?", type=Path, default=PUBLISHED)
    args = parser.parse_args(argv)
    try:
        publish(args.source, args.target)
    except ResultsError as exc:
        print(f"haguide_results: {exc}", file=sys.stderr)
        return 1
    return 0


def setup(app: Sphinx) -> dict:
    app.add_config_value("haguide_results_file", DEFAULT_FILE, "env",
                         types=frozenset({str}))
    app.add_directive("failover-results", FailoverResults)
    app.add_directive("tested-versions", TestedVersions)
    return {"version": "1.0", "parallel_read_safe": True,
            "parallel_write_safe": True}


if __name__ == "__main__":
    sys.exit(main())
