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
build/functional/latest.json. ``python tools/haguide_results.py collect
--runs N`` runs them N times (runs/K.json) and merges the runs into
latest.json: each figure's value is the median, with the worst run and
every run's value beside it. ``publish`` copies latest.json into
doc/source/_data/failover-results.json, which is committed (``merge
RUN --scenario NAME`` replaces only the named scenarios, after a partial
run; ``extend RUN...`` adds later runs of unchanged scenarios); the
directives render only that committed copy, so a build is deterministic
and no figure is ever typed by hand:

``.. failover-results::`` (option ``:scenario: NAME`` for one scenario)
    one table per scenario: what was measured, the median and the worst
    of the runs, the bound the test asserted, and the command that
    reproduces it.
``.. failover-comparison::``
    the guide's timing settings against the deployment tools' defaults,
    measured side by side in the same runs.
``.. tested-versions::``
    the package versions, date and machine of the run.
``:tested-version:`PACKAGE```
    the upstream version of PACKAGE in that run (``4.0.5`` for
    rabbitmq-server 4.0.5-6+deb13u2), for prose that names a version.

Config value: ``haguide_results_file`` (path relative to the source
directory).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxRole

import haguide_charts

logger = logging.getLogger(__name__)

DEFAULT_FILE = "_data/failover-results.json"
REPO = Path(__file__).resolve().parents[1]
# The exact versions of the OpenStack components the lab installs from
# PyPI (tools/openstack-venv), which :pinned-version: renders.
PINS_FILE = REPO / "tests" / "functional" / "openstack" / "constraints.txt"
LATEST = REPO / "build" / "functional" / "latest.json"
RUNS = REPO / "build" / "functional" / "runs"
PUBLISHED = REPO / "doc" / "source" / DEFAULT_FILE
# Keys a results file must have; publish refuses anything else.
TOP_KEYS = frozenset({"date", "machine", "duration_s", "versions",
                      "scenarios"})
SCENARIO_KEYS = frozenset({"title", "description", "command", "figures"})
TIMELINE_KEYS = frozenset({"label", "bucket_s", "ok", "failed", "events"})
FIGURE_HEADERS = ("Measured", "Result", "Asserted bound")
REPEATED_HEADERS = ("Measured", "Median", "Worst", "Asserted bound")
# The settings sets of the side-by-side table, in column order.
SETTINGS = ("guide", "kolla-ansible", "openstack-ansible")
SETTINGS_TITLES = {"guide": "This guide",
                   "kolla-ansible": "kolla-ansible defaults",
                   "openstack-ansible": "openstack-ansible defaults"}
# How the recorded comparison operators read in a table.
BOUND_WORDS = {"<=": "at most", ">=": "at least", "==": "exactly"}
VERSION_HEADERS = ("Package", "Version")
TREE_HEADERS = ("File in the tree", "Loaded by a component in the lab")
# Which way a figure gets worse, from the comparison of its bound (the
# functional harness records the same default).
WORSE = {"<=": "higher", ">=": "lower", "==": "further"}


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
        for timeline in scenario.get("timelines", []):
            if not isinstance(timeline, dict) or not TIMELINE_KEYS <= set(
                    timeline) or len(timeline["ok"]) != len(
                        timeline["failed"]):
                raise ResultsError(
                    f"{path}: scenario {name!r}: a timeline needs the keys "
                    f"{sorted(TIMELINE_KEYS)}, ok and failed of one length")
    return data


def figure_text(figure: dict, key: str = "value") -> str:
    """'8.8 s' from a figure record (value, or key, and unit)."""
    return f"{figure[key]} {figure.get('unit', '')}".strip()


def worst_text(figure: dict) -> str:
    """The worst run, '12.1 s (of 5)'; the value when not repeated."""
    if "worst" not in figure:
        return figure_text(figure)
    return f"{figure_text(figure, 'worst')} (of {len(figure['values'])})"


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
            entry += _cell_paragraph(cell)
            row += entry
        target += row
    return table


# A file path in a cell (a source such as group_vars/haproxy/keepalived.yml)
# is set as a literal: monospaced, and in the PDF breakable after a slash,
# where plain text would run into the margin.
PATH_RE = re.compile(r"[\w.@-]+(?:/[\w.@-]+)+/?")


def _cell_paragraph(text: str) -> nodes.paragraph:
    paragraph = nodes.paragraph()
    end = 0
    for match in PATH_RE.finditer(text):
        paragraph += nodes.Text(text[end:match.start()])
        paragraph += nodes.literal(match.group(), match.group())
        end = match.end()
    paragraph += nodes.Text(text[end:])
    return paragraph


def scenario_nodes(name: str, scenario: dict) -> list[nodes.Node]:
    """A rubric, the description, the figures table, the command.

    A scenario measured over several runs gets a median and a worst
    column; a single run keeps the plain result column.
    """
    figures = scenario["figures"]
    if any("worst" in f for f in figures):
        headers, widths = REPEATED_HEADERS, (40, 20, 20, 20)
        rows = [(f["what"], figure_text(f), worst_text(f), bound_text(f))
                for f in figures]
    else:
        headers, widths = FIGURE_HEADERS, (50, 25, 25)
        rows = [(f["what"], figure_text(f), bound_text(f)) for f in figures]
    command = nodes.paragraph()
    command += nodes.Text("Run it: ")
    command += nodes.literal(text=scenario["command"])
    section = nodes.container(classes=["haguide-scenario"], ids=[
        nodes.make_id(f"failover-results-{name}")])
    section += nodes.rubric(text=scenario["title"])
    section += nodes.paragraph(text=scenario["description"])
    section += _table(headers, rows, widths)
    chart = haguide_charts.chart_figure(name, scenario)
    if chart:
        section += chart
    elif scenario.get("no_timeline"):
        # Said, not left out: the reader test requires a chart or this.
        section += nodes.paragraph(
            text=f"No chart: {scenario['no_timeline']}",
            classes=["haguide-no-chart"])
    section += command
    return [section]


def run_summary(data: dict) -> nodes.paragraph:
    machine = data["machine"]
    runs = data.get("runs", 1)
    repeated = (f"; each scenario ran up to {runs} times (the tables give "
                "the median and the worst run), in"
                if runs > 1 else "; the whole functional suite took")
    # The daemons run from the lab root, whatever the host; older runs
    # used the host's packages.
    root = (f"; daemons from the {machine['lab_root']} lab root"
            if machine.get("lab_root", "host") != "host" else "")
    return nodes.paragraph(text=(
        f"Measured on {data['date']} on a {machine['cores']}-core machine "
        f"(Linux {machine['kernel']}{root}){repeated} "
        f"{data['duration_s']} s."))


def comparison_nodes(rows: list[dict]) -> list[nodes.Node]:
    """The side-by-side table: one row per scenario and metric."""
    present = [s for s in SETTINGS if any(s in r["values"] for r in rows)]
    headers = ("Scenario", "Measured",
               *(SETTINGS_TITLES[s] for s in present))
    body = []
    for row in rows:
        cells = []
        for setting in present:
            if setting not in row["values"]:
                cells.append("—")
                continue
            text = f"{row['values'][setting]} {row['unit']}".strip()
            worst = row.get("worst", {}).get(setting)
            if worst is not None and worst != row["values"][setting]:
                text += f" (worst {worst})"
            cells.append(text)
        body.append((row["scenario"], row["metric"], *cells))
    width = 60 // max(len(present), 1)
    result = [_table(headers, body, (20, 20, *([width] * len(present))))]
    # Each compared scenario's settings and their sources, once.
    settings: dict[str, tuple[list[str], dict]] = {}
    for row in rows:
        if row.get("settings"):
            failures, compared = settings.setdefault(
                _row_key(row), ([], row["settings"]))
            if row["scenario"] not in failures:
                failures.append(row["scenario"])
    if settings:
        body = [(", ".join(failures),
                 *(compared.get(s, "—") for s in present))
                for failures, compared in settings.values()]
        result.append(_table(("Settings compared", *(
            SETTINGS_TITLES[s] for s in present)), body,
            (25, *([75 // max(len(present), 1)] * len(present)))))
    return result


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


class FailoverComparison(_ResultsDirective):
    """The guide's timing settings against the deployment tools' defaults."""

    def run(self) -> list[nodes.Node]:
        data = self.results()
        if data is None:
            return []
        if not data.get("comparison"):
            logger.warning("the results have no side-by-side comparison",
                           location=self.get_location(), type="haguide",
                           subtype="results")
            return []
        return comparison_nodes(data["comparison"])


class TestedVersions(_ResultsDirective):
    """The package versions the committed results were measured with."""

    def run(self) -> list[nodes.Node]:
        data = self.results()
        if data is None:
            return []
        rows = sorted(data["versions"].items())
        return [run_summary(data), _table(VERSION_HEADERS, rows, (40, 60))]


def openstack_files(examples: Path) -> list[str]:
    """The tree's OpenStack service files (oslo.config), relative paths."""
    # Imported here: the checker's file kinds are a docs-build dependency.
    from confcheck import kinds
    return sorted(str(path.relative_to(examples))
                  for path in examples.rglob("*") if path.is_file()
                  and kinds.infer_kind(str(path)) == "oslo")


def files_run(data: dict) -> set[str]:
    """The tree files the scenarios of a run recorded as loaded."""
    return {path for scenario in data["scenarios"].values()
            for path in scenario.get("files", [])}


class TreeFilesRun(_ResultsDirective):
    """Which OpenStack files of the tree the functional tests run."""

    def run(self) -> list[nodes.Node]:
        data = self.results()
        if data is None:
            return []
        every = openstack_files(REPO / "doc" / "examples")
        run = files_run(data)
        count = nodes.paragraph(text=(
            f"{sum(path in run for path in every)} of {len(every)} "
            "OpenStack files of the tree are run by the functional tests "
            f"(results of {data['date']}):"))
        rows = [(f"{path}", "run by the functional tests"
                 if path in run else "checked by the build only")
                for path in every]
        return [count, _table(TREE_HEADERS, rows, (60, 40))]


# The lab's per-unit figures the broker memory estimate multiplies, by
# the "what" the RabbitMQ sizing scenario records them under.
SIZING_SCENARIO = "rabbitmq-sizing"
PER_CONNECTION = "broker memory per connection with one channel"
PER_QUEUE = "broker memory per empty quorum queue, three replicas"


def broker_memory_rows(budget, figures: dict) -> list[tuple[str, ...]]:
    """Rows: what, count, measured per unit, product in MiB.

    budget is confcheck.sizing's RabbitBudget; figures maps a figure's
    "what" to its record (value = median of the runs).
    """
    rows = []
    items = (("AMQP connections (one channel each)", budget.total,
              figures[PER_CONNECTION]),
             ("quorum reply queues (three replicas each)",
              budget.reply_queues.get("quorum", 0), figures[PER_QUEUE]))
    for what, count, figure in items:
        rows.append((what, str(count), figure_text(figure),
                     f"{count * figure['value'] / 1024:.0f} MiB"))
    return rows


class BrokerMemory(_ResultsDirective):
    """The tree's connections and queues times the lab's per-unit memory."""

    def run(self) -> list[nodes.Node]:
        # Imported here: the sizing code is a docs-build dependency only.
        from confcheck import sizing
        from confcheck.cluster import CLUSTER_FILE, ClusterError, load_cluster
        data = self.results()
        if data is None:
            return []
        scenario = data["scenarios"].get(SIZING_SCENARIO)
        figures = {f["what"]: f for f in (scenario or {}).get("figures", [])}
        if PER_CONNECTION not in figures or PER_QUEUE not in figures:
            logger.warning(f"the results have no {SIZING_SCENARIO!r} "
                           "figures per connection and per queue",
                           location=self.get_location(), type="haguide",
                           subtype="results")
            return []
        examples = self.config.confcheck_examples_dir
        self.env.note_dependency(os.path.join(examples, CLUSTER_FILE))
        try:
            budget = sizing.rabbit_budget(load_cluster(examples))
        except (sizing.SizingError, ClusterError) as exc:
            logger.warning(str(exc), location=self.get_location(),
                           type="haguide", subtype="results")
            return []
        return [_table(("Item", "Count, all controllers",
                        "Broker memory each (median)", "Together"),
                       broker_memory_rows(budget, figures),
                       (40, 20, 20, 20))]


def upstream_version(version: str) -> str:
    """A Debian version without epoch, revision and repack suffix.

    1:11.8.9+ds-0+deb13u1 -> 11.8.9; 4.0.5-6+deb13u2 -> 4.0.5.
    """
    version = version.split(":", 1)[-1]
    if "-" in version:
        version = version.rsplit("-", 1)[0]
    return re.split(r"[+~]", version)[0]


class TestedVersion(SphinxRole):
    """The upstream version of a package in the committed results."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        relpath = self.config.haguide_results_file
        _rel, path = self.env.relfn2path("/" + relpath)
        self.env.note_dependency(path)
        try:
            versions = load(Path(path))["versions"]
        except ResultsError as exc:
            logger.warning(str(exc), location=self.get_location(),
                           type="haguide", subtype="results")
            return [nodes.literal(text=self.text)], []
        if self.text not in versions:
            logger.warning(f"no tested version of package {self.text!r}",
                           location=self.get_location(), type="haguide",
                           subtype="results")
            return [nodes.literal(text=self.text)], []
        return [nodes.Text(upstream_version(versions[self.text]))], []


def pinned_versions(path: Path) -> dict[str, str]:
    """{normalised name: version} of a pip constraints file's == pins.

    Each line is a requirement in pip's syntax, read with packaging's
    parser; comments, blank lines and anything but an exact pin are
    skipped (the lab's file has only exact pins).
    """
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        exact = [spec.version for spec in requirement.specifier
                 if spec.operator == "=="]
        if len(exact) == 1:
            pins[canonicalize_name(requirement.name)] = exact[0]
    return pins


class PinnedVersion(SphinxRole):
    """The version of a PyPI package the lab pins (constraints.txt)."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        path = Path(self.config.haguide_pins_file)
        self.env.note_dependency(str(path))
        try:
            pins = pinned_versions(path)
        except (OSError, UnicodeDecodeError) as exc:
            pins = {}
            logger.warning(f"cannot read the pins file {path}: {exc}",
                           location=self.get_location(), type="haguide",
                           subtype="results")
        version = pins.get(canonicalize_name(self.text))
        if version is None:
            logger.warning(f"no pinned version of package {self.text!r}",
                           location=self.get_location(), type="haguide",
                           subtype="results")
            return [nodes.literal(text=self.text)], []
        return [nodes.Text(version)], []


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _median(values: list, worse_of=max):
    """The median; of counts, the worse of the two middle runs.

    A count is whole in every run, and "1.5 of 87 requests failed" (the
    mean of the two middle runs of four) is a count no run had; of the
    two, the one worse_of picks is shown (the higher by default: side-by-
    side rows count failures and time).
    """
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return worse_of(statistics.median_low(values),
                        statistics.median_high(values))
    return round(statistics.median(values), 1)


def _worst(values: list, worse: str, bound: str | None):
    """The worst of values: highest, lowest, or furthest from the bound."""
    if worse == "lower":
        return min(values)
    if worse == "further" and bound:
        target = float(bound.partition(" ")[2])
        return max(values, key=lambda v: abs(v - target))
    return max(values)


def merge_figure(figures: list[dict]) -> dict:
    """One figure from its record in each run: median, worst, values.

    A figure that is not a number (a setting, a chosen node) keeps the
    value most runs had and, as worst, the rarest one.
    """
    first = figures[0]
    # An explicit "worse" is kept, so a merged file can be extended by
    # later runs (extend) and still judge its worst run the same way.
    merged = {k: v for k, v in first.items() if k != "value"}
    values = [f["value"] for f in figures]
    units = collections.Counter(f.get("unit", "") for f in figures)
    merged["unit"] = units.most_common(1)[0][0]
    merged["values"] = values
    if all(_number(v) for v in values):
        worse = first.get("worse") or WORSE.get(
            first.get("bound", "").partition(" ")[0], "higher")
        merged["value"] = _median(values, lambda *pair: _worst(
            list(pair), worse, first.get("bound")))
        merged["worst"] = _worst(values, worse, first.get("bound"))
    else:
        counts = collections.Counter(map(str, values)).most_common()
        merged["value"] = next(v for v in values if str(v) == counts[0][0])
        merged["worst"] = next(v for v in values if str(v) == counts[-1][0])
    return merged


def _representative(records: list[dict]) -> dict:
    """The run whose first bounded number is the (lower) median.

    Its timelines are the ones published: a chart of a typical run, while
    the tables give the spread.
    """
    for index, figure in enumerate(records[0]["figures"]):
        if "bound" not in figure:
            continue
        pairs = []
        for record in records:
            figures = record["figures"]
            if index < len(figures) and _number(figures[index]["value"]):
                pairs.append((figures[index]["value"], record))
        if len(pairs) == len(records):
            pairs.sort(key=lambda pair: pair[0])
            return pairs[(len(pairs) - 1) // 2][1]
    return records[0]


def merge_scenario(records: list[dict]) -> dict:
    """A scenario from its record in each run that has it."""
    merged = {k: v for k, v in records[0].items()
              if k not in ("figures", "timelines")}
    order: list[str] = []
    by_what: dict[str, list[dict]] = {}
    for record in records:
        for figure in record["figures"]:
            if figure["what"] not in by_what:
                order.append(figure["what"])
            by_what.setdefault(figure["what"], []).append(figure)
    merged["figures"] = [merge_figure(by_what[w]) for w in order]
    merged["runs"] = len(records)
    timelines = _representative(records).get("timelines")
    if timelines:
        merged["timelines"] = timelines
    return merged


def _row_key(row: dict) -> str:
    """The results scenario a side-by-side row belongs to."""
    return row.get("key", row["scenario"])


def merge_comparison(runs: list[dict]) -> list[dict]:
    """The side-by-side rows: median and worst per settings set."""
    order: list[tuple[str, str]] = []
    rows: dict[tuple[str, str], list[dict]] = {}
    for run in runs:
        for row in run.get("comparison", []):
            key = (row["scenario"], row["metric"])
            if key not in rows:
                order.append(key)
            rows.setdefault(key, []).append(row)
    merged = []
    for key in order:
        records = rows[key]
        settings = [s for s in SETTINGS if any(
            s in r["values"] for r in records)]
        values = {s: [r["values"][s] for r in records if s in r["values"]]
                  for s in settings}
        row = {
            "scenario": key[0], "metric": key[1],
            "unit": records[0]["unit"],
            "values": {s: _median(v) for s, v in values.items()},
            "worst": {s: max(v) for s, v in values.items()},
            "runs": len(records)}
        for extra in ("key", "settings"):
            if extra in records[0]:
                row[extra] = records[0][extra]
        merged.append(row)
    return merged


def aggregate(runs: list[dict]) -> dict:
    """Merge several runs' results into one file of the same shape."""
    if not runs:
        raise ResultsError("no runs to merge")
    first = runs[0]
    names: list[str] = []
    for run in runs:
        names.extend(n for n in run["scenarios"] if n not in names)
    data = {
        "date": first["date"], "machine": first["machine"],
        "duration_s": round(sum(r["duration_s"] for r in runs), 1),
        "versions": first["versions"], "runs": len(runs),
        "scenarios": {n: merge_scenario([
            r["scenarios"][n] for r in runs if n in r["scenarios"]])
            for n in names},
        "failed_tests": sorted({t for r in runs
                                for t in r.get("failed_tests", [])}),
    }
    comparison = merge_comparison(runs)
    if comparison:
        data["comparison"] = comparison
    return data


def collect(count: int, pytest_args: list[str], target: Path = LATEST,
            run_dir: Path = RUNS) -> int:
    """Run the functional suite count times, then merge the runs.

    Stops after the first run with a failed test (its results are still
    merged, marked failed, so publish refuses them). Returns pytest's
    exit status of the last run (0 when every run passed).
    """
    if run_dir.exists():
        shutil.rmtree(run_dir)
    status = 0
    for index in range(1, count + 1):
        print(f"haguide_results: run {index} of {count}", flush=True)
        done = subprocess.run([
            sys.executable, "-m", "pytest", "-m", "functional",
            str(REPO / "tests" / "functional"), f"--haguide-run={index}",
            *pytest_args], check=False)
        # 5: every module was left out of this run (all have RUNS < K).
        status = 0 if done.returncode == 5 else done.returncode
        if status:
            break
    runs = [load(path) for path in sorted(
        run_dir.glob("*.json"), key=lambda p: int(p.stem))]
    write(aggregate(runs), target)
    print(f"{target}: {len(runs)} runs merged")
    return status


def write(data: dict, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n",
                   encoding="utf-8")
    shutil.move(tmp, target)


def _passed_run(source: Path) -> dict:
    """A run's results, refused when any of its tests failed."""
    data = load(source)
    if data.get("failed_tests"):
        raise ResultsError(f"{source}: tests failed in this run: "
                           f"{', '.join(data['failed_tests'])}")
    return data


def publish(source: Path, target: Path) -> None:
    """Check a run's results and copy them to the committed location.

    A run with failed tests, or one that lacks scenarios the committed
    copy has (a partial run, e.g. with -k), is refused.
    """
    data = _passed_run(source)
    if target.exists():
        missing = set(load(target)["scenarios"]) - set(data["scenarios"])
        if missing:
            raise ResultsError(
                f"{source}: partial run, no {', '.join(sorted(missing))}; "
                "run the whole functional suite")
    write(data, target)
    print(f"{target}: {len(data['scenarios'])} scenarios from "
          f"{data['date']}")


def merge(source: Path, target: Path, names: list[str]) -> None:
    """Replace the named scenarios of the committed copy with a run's.

    For a scenario added or changed without re-running the whole suite
    (a run of one module or ``-k``). Each merged scenario keeps its own
    ``runs`` and gains the run's ``date``, so the page never passes off a
    single run as the median of several; its side-by-side rows are
    replaced with the run's. Refused when the run had failed tests, lacks
    a named scenario, or ran another version of a package than the
    committed copy lists (then the whole suite must be run and
    published; see _add_versions).
    """
    data = _passed_run(source)
    published = load(target)
    _add_versions(published, data, source, target)
    missing = [name for name in names if name not in data["scenarios"]]
    if missing:
        raise ResultsError(f"{source}: no scenario {', '.join(missing)} "
                           "in this run")
    for name in names:
        published["scenarios"][name] = dict(data["scenarios"][name],
                                            date=data["date"])
    fresh = [row for row in data.get("comparison", [])
             if _row_key(row) in names]
    # A fresh row also replaces an old one of the same failure and
    # metric recorded before rows named their scenario.
    replaced = {(row["scenario"], row["metric"]) for row in fresh}
    rows = [row for row in published.get("comparison", [])
            if _row_key(row) not in names
            and (row["scenario"], row["metric"]) not in replaced]
    rows += fresh
    if rows:
        published["comparison"] = rows
    write(published, target)
    print(f"{target}: {', '.join(names)} from the run of {data['date']}")


def _add_versions(published: dict, data: dict, source: Path,
                  target: Path) -> None:
    """Add a run's package versions to the committed copy's, or refuse.

    Refused when a package both list has another version in the run. A
    package only one side lists is no conflict: the lab root gained it
    for new scenarios (or an older harness did not record it), so the
    copy lists both sides' packages.
    """
    changed = sorted(
        name for name in set(data["versions"]) & set(published["versions"])
        if data["versions"][name] != published["versions"][name])
    if changed:
        raise ResultsError(
            f"{source}: other package versions than {target} "
            f"({', '.join(changed)}); run the whole suite and publish")
    published["versions"] = dict(sorted(
        {**data["versions"], **published["versions"]}.items()))


def _figure_values(figure: dict) -> list:
    """Every run's value of a figure, merged or from a single run."""
    return list(figure["values"]) if "values" in figure else [
        figure["value"]]


def extend(sources: list[Path], target: Path,
           names: list[str] | None = None) -> None:
    """Add later runs of the same scenarios to the committed copy.

    For more repetitions without re-running the ones already published
    (``collect`` starts afresh): each source is a run of unchanged
    scenarios (a plain session's latest.json, or a collected one), and
    every value it has is appended to the published figure, whose median
    and worst are recomputed over all of them; the scenario's ``runs``
    grows by the source's. Its published timelines stay (a typical run
    of the earlier ones). Refused, leaving the copy unchanged, when a
    source had failed tests or another version of a package (as for
    ``merge``), when a scenario is not published yet (use ``merge``), or
    when its figures are not the published ones (the test changed:
    collect and ``merge``). A
    scenario with side-by-side rows is not extended: the rows keep only
    medians, so they cannot take more runs; without names it is left
    out and said so, named it is refused.
    """
    published = load(target)
    runs = []
    for source in sources:
        data = _passed_run(source)
        _add_versions(published, data, source, target)
        runs.append(data)
    with_rows = {_row_key(row) for run in runs
                 for row in run.get("comparison", [])}
    if names is None:
        names = []
        for run in runs:
            names.extend(n for n in run["scenarios"]
                         if n not in names and n not in with_rows)
        for name in sorted(with_rows):
            print(f"{name}: has side-by-side rows, not extended (collect "
                  "its module and merge)")
    for name in names:
        if name in with_rows:
            raise ResultsError(f"{name}: its side-by-side rows keep only "
                               "medians; collect its module and merge")
        if name not in published["scenarios"]:
            raise ResultsError(f"{name}: not in {target}; add it with merge")
        old = published["scenarios"][name]
        records = [run["scenarios"][name] for run in runs
                   if name in run["scenarios"]]
        if not records:
            raise ResultsError(f"no scenario {name} in "
                               f"{', '.join(map(str, sources))}")
        whats = [f["what"] for f in old["figures"]]
        for record in records:
            if [f["what"] for f in record["figures"]] != whats:
                raise ResultsError(
                    f"{name}: the run's figures are not the published "
                    "ones (the test changed); collect it and merge")
        figures = []
        for index, figure in enumerate(old["figures"]):
            # The newest run's record gives the words, unit, bound and
            # direction: those of the test as it is now.
            base = dict(records[-1]["figures"][index])
            base.pop("values", None)
            base.pop("worst", None)
            values = _figure_values(figure)
            for record in records:
                values += _figure_values(record["figures"][index])
            figures.append(merge_figure(
                [dict(base, value=value) for value in values]))
        published["scenarios"][name] = dict(
            old, figures=figures, runs=old.get("runs", 1) + sum(
                record.get("runs", 1) for record in records))
    published["runs"] = max(
        [published.get("runs", 1)] + [published["scenarios"][n]["runs"]
                                      for n in names])
    published["duration_s"] = round(published["duration_s"] + sum(
        run["duration_s"] for run in runs), 1)
    write(published, target)
    for name in names:
        print(f"{target}: {name} now from "
              f"{published['scenarios'][name]['runs']} runs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("publish", help="copy a run's results into the "
                         "documentation source")
    cmd.add_argument("source", nargs="?", type=Path, default=LATEST)
    cmd.add_argument("target", nargs="?", type=Path, default=PUBLISHED)
    cmd = sub.add_parser("merge", help="replace some scenarios of the "
                         "committed copy with a partial run's")
    cmd.add_argument("source", type=Path)
    cmd.add_argument("--scenario", action="append", required=True,
                     dest="names", metavar="NAME",
                     help="a scenario to take from SOURCE (repeatable)")
    cmd.add_argument("--target", type=Path, default=PUBLISHED)
    cmd = sub.add_parser("extend", help="add later runs of unchanged "
                         "scenarios to the committed copy")
    cmd.add_argument("sources", nargs="+", type=Path, metavar="SOURCE")
    cmd.add_argument("--scenario", action="append", dest="names",
                     metavar="NAME", help="extend only this scenario "
                     "(repeatable; default: every one in the sources)")
    cmd.add_argument("--target", type=Path, default=PUBLISHED)
    cmd = sub.add_parser("collect", help="run the functional suite "
                         "several times and merge the runs")
    cmd.add_argument("--runs", type=int, default=5,
                     help="how many times (default 5; a slow module's "
                     "RUNS may be lower)")
    cmd.add_argument("pytest_args", nargs="*", help="passed to pytest "
                     "(after --)")
    args = parser.parse_args(argv)
    try:
        if args.command == "collect":
            if args.runs < 1:
                parser.error("--runs must be at least 1")
            return collect(args.runs, args.pytest_args)
        if args.command == "merge":
            merge(args.source, args.target, args.names)
        elif args.command == "extend":
            extend(args.sources, args.target, args.names)
        else:
            publish(args.source, args.target)
    except ResultsError as exc:
        print(f"haguide_results: {exc}", file=sys.stderr)
        return 1
    return 0


def setup(app: Sphinx) -> dict:
    app.setup_extension("haguide_charts")
    app.add_config_value("haguide_results_file", DEFAULT_FILE, "env",
                         types=frozenset({str}))
    app.add_config_value("haguide_pins_file", str(PINS_FILE), "env",
                         types=frozenset({str}))
    app.add_directive("failover-results", FailoverResults)
    app.add_directive("failover-comparison", FailoverComparison)
    app.add_directive("tested-versions", TestedVersions)
    app.add_directive("tree-files-run", TreeFilesRun)
    app.add_directive("broker-memory", BrokerMemory)
    app.add_role("tested-version", TestedVersion())
    app.add_role("pinned-version", PinnedVersion())
    return {"version": "1.0", "parallel_read_safe": True,
            "parallel_write_safe": True}


if __name__ == "__main__":
    sys.exit(main())
