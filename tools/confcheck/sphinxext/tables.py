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
"""Directives that render tables from cluster.yaml and confcheck's codes."""

from __future__ import annotations

import os
from typing import ClassVar

import difflib

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from pygments.lexers import find_lexer_class_by_name
from pygments.util import ClassNotFound
from sphinx.util.docutils import SphinxDirective

import confcheck
from confcheck import kinds, sizing, tree
from confcheck.cluster import (Cluster, CLUSTER_FILE, ClusterError,
                               load_cluster, per_node_lines)
from confcheck.layout import path_on_node
from confcheck.checks import oslo_data
from confcheck.sphinxext import include, store

# service-table columns: (heading, cluster.yaml key, relative width).
SERVICE_COLUMNS = (
    ("Service", "name", 16), ("Process", "process", 20),
    ("Mode", "mode", 16), ("HA strategy", "strategy", 12),
    ("Port", "port", 7), ("Health check", "health", 22),
)


def table(headings: list[str], rows: list[list[nodes.Node]],
          widths: list[int], title: str = "") -> nodes.table:
    """A docutils table; each cell holds one inline node or text."""
    group = nodes.tgroup(cols=len(headings))
    group += [nodes.colspec(colwidth=w) for w in widths]

    def row(cells) -> nodes.row:
        result = nodes.row()
        for cell in cells:
            if isinstance(cell, str):
                cell = nodes.Text(cell)
            result += nodes.entry("", nodes.paragraph("", "", cell))
        return result

    group += nodes.thead("", row(headings))
    group += nodes.tbody("", *[row(r) for r in rows])
    result = nodes.table("", group)
    if title:
        result.insert(0, nodes.title(title, title))
    return result


class ClusterDirective(SphinxDirective):
    """Shared by the directives that read cluster.yaml."""

    def cluster(self) -> Cluster | None:
        examples_dir = self.config.confcheck_examples_dir
        if not examples_dir:
            self.problem("confcheck_examples_dir is not set in conf.py")
            return None
        self.env.note_dependency(os.path.join(examples_dir,
                                              CLUSTER_FILE))
        try:
            return load_cluster(examples_dir)
        except ClusterError as exc:
            self.problem(f"cannot read {CLUSTER_FILE}: {exc}")
            return None

    def problem(self, message: str) -> list[nodes.Node]:
        store.problem(self.env, self.get_location(), self.name, message)
        return []


class ServiceTable(ClusterDirective):
    """The services of cluster.yaml: how each one is made available.

    ``:strategy:`` limits the rows to some strategies (comma-separated).
    """

    option_spec: ClassVar[dict] = {"strategy": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        cluster = self.cluster()
        if cluster is None:
            return []
        wanted = {s.strip() for s in self.options.get(
            "strategy", "").split(",") if s.strip()}
        rows = [[str(service.get(key, "")) for _, key, _ in SERVICE_COLUMNS]
                for service in cluster.data["services"]
                if not wanted or service.get("strategy") in wanted]
        if not rows:
            return self.problem(f"no service has strategy "
                                f"{', '.join(sorted(wanted))}")
        result = table([h for h, _, _ in SERVICE_COLUMNS], rows,
                       [w for _, _, w in SERVICE_COLUMNS])
        result["classes"].append("confcheck-services")
        return [result]


class PerNodeLines(ClusterDirective):
    """The lines of one example file that differ from node to node."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        cluster = self.cluster()
        if cluster is None:
            return []
        try:
            path, relpath = include.resolve(self.env, cluster.examples_dir,
                                            self.arguments[0])
            text = confcheck.read_text(path)
        except (include.ExampleError, confcheck.InputError) as exc:
            return self.problem(str(exc))
        try:
            lines = per_node_lines(cluster, relpath, text)
        except ClusterError as exc:
            return self.problem(str(exc))
        if not lines:
            return self.problem(f"{CLUSTER_FILE} declares no per_node "
                                f"lines for {relpath}")
        nodenames = list(lines[0][1])
        title = (f"Lines of {path_on_node(relpath)} that differ per "
                 f"node")
        rows = [[str(number)] + [nodes.literal(v[n], v[n])
                                 for n in nodenames]
                for number, v in lines]
        wide = table(["Line"] + nodenames, rows,
                     [6] + [30] * len(nodenames), title)
        # On paper a column per node is too narrow for a line of a file;
        # there each node's line gets a row of its own.
        long_rows = [[str(number) if index == 0 else "", node,
                      nodes.literal(v[node], v[node])]
                     for number, v in lines
                     for index, node in enumerate(nodenames)]
        narrow = table(["Line", "Node", "The line on that node"], long_rows,
                       [8, 16, 76], title)
        for result in (wide, narrow):
            result["classes"].append("confcheck-per-node")
        return [addnodes.only("", wide, expr="html"),
                addnodes.only("", narrow, expr="not html")]


class DbConnectionBudget(ClusterDirective):
    """The most database connections the tree's pools can open, by code.

    Reads the pool options of every file cluster.yaml's db_clients names
    and max_connections from the Galera file, so the worked sizing in the
    guide follows the files instead of being typed by hand.
    """

    def run(self) -> list[nodes.Node]:
        cluster = self.cluster()
        if cluster is None:
            return []
        try:
            budget = sizing.db_budget(cluster)
        except sizing.SizingError as exc:
            return self.problem(str(exc))
        for pool in budget.files:
            self.env.note_dependency(os.path.join(cluster.examples_dir,
                                                  pool.relpath))
        self.env.note_dependency(os.path.join(cluster.examples_dir,
                                              sizing.GALERA_CNF))
        rows = [[nodes.literal(path_on_node(f.relpath),
                               path_on_node(f.relpath)),
                 ", ".join(f"{name} × {count}"
                           for name, count in f.processes),
                 f"{len(f.sections)} × ({f.pool} + {f.overflow}) = "
                 f"{f.per_process}",
                 str(f.per_controller)]
                for f in budget.files]
        rows.append(["All files", "", "", str(budget.per_controller)])
        result = table(["File", "Processes per controller",
                        "Pools × (max_pool_size + max_overflow)",
                        "Connections per controller"], rows,
                       [26, 34, 24, 16],
                       "Database connections at most, per controller")
        result["classes"].append("confcheck-db-budget")
        text = (f"All {budget.controllers} controllers together: "
                f"{budget.controllers} × {budget.per_controller} = "
                f"{budget.total} connections at most, all to the one "
                f"writer, against max_connections = "
                f"{budget.max_connections} in "
                f"{path_on_node(sizing.GALERA_CNF)}.")
        return [result, nodes.paragraph(text, text)]


def _processes(f) -> str:
    return ", ".join(f"{name} × {count}" for name, count in f.processes)


def _path(relpath: str) -> nodes.literal:
    return nodes.literal(path_on_node(relpath),
                         path_on_node(relpath))


class SizingDirective(ClusterDirective):
    """Shared by the sizing tables: the budget and its files as sources."""

    extra_files: ClassVar[tuple[str, ...]] = ()

    def budget(self, compute):
        cluster = self.cluster()
        if cluster is None:
            return None, None
        try:
            budget = compute(cluster)
        except sizing.SizingError as exc:
            self.problem(str(exc))
            return None, None
        for relpath in (*cluster.data[sizing.CLIENTS_KEY],
                        *self.extra_files):
            self.env.note_dependency(os.path.join(cluster.examples_dir,
                                                  relpath))
        return cluster, budget


class MemcachedBudget(SizingDirective):
    """memcached connections and item memory of the tree, by code."""

    extra_files = (sizing.MEMCACHED_CONF,)

    def run(self) -> list[nodes.Node]:
        _cluster, budget = self.budget(sizing.memcached_budget)
        if budget is None:
            return []
        rows = [[_path(f.relpath), _processes(f),
                 "; ".join(p.describe() for p in f.pools),
                 str(budget.per_controller_file(f))]
                for f in budget.files]
        rows.append(["All files", "", "", str(budget.per_controller)])
        result = table(["File", "Processes per controller",
                        "Pools (connections to each server)",
                        "Connections to each server"], rows,
                       [26, 30, 30, 14],
                       "memcached connections at most, per controller")
        result["classes"].append("confcheck-memcached-budget")
        conf = path_on_node(sizing.MEMCACHED_CONF)
        text = (f"Each of the {budget.controllers} memcached servers can be "
                f"asked for {budget.controllers} × {budget.per_controller} "
                f"= {budget.per_server} connections, against -c "
                f"{budget.max_connections} in {conf}. Item memory: "
                f"{budget.controllers} × {budget.item_mb} MB (-m) = "
                f"{budget.item_mb_total} MB across the servers; losing "
                f"one server loses the {budget.item_mb} MB of keys it held.")
        return [result, nodes.paragraph(text, text)]


class RabbitBudget(SizingDirective):
    """AMQP connections and reply queues of the tree, by code."""

    def run(self) -> list[nodes.Node]:
        _cluster, budget = self.budget(sizing.rabbit_budget)
        if budget is None:
            return []
        rows = [[_path(f.relpath), _processes(f), f.pools[0].describe(),
                 f"({f.pools[0].size} + 2) × {f.process_count} = "
                 f"{budget.per_process(f) * f.process_count}", kind]
                for f, kind in zip(budget.files, budget.reply_types,
                                   strict=True)]
        rows.append(["All files", "", "", str(budget.per_controller), ""])
        result = table(["File", "Processes per controller",
                        "Send pool", "Connections per controller",
                        "Reply queues"], rows, [22, 26, 22, 16, 14],
                       "AMQP connections at most, per controller")
        # The given widths, not tabulary's guess, which left the last
        # column too narrow for its heading in the PDF.
        result["classes"] += ["confcheck-rabbit-budget", "colwidths-given"]
        replies = ", ".join(f"{count} {kind}" for kind, count
                            in sorted(budget.reply_queues.items()))
        text = (f"All {budget.controllers} controllers together: "
                f"{budget.controllers} × {budget.per_controller} = "
                f"{budget.total} connections at most, and one reply "
                f"queue per process: {replies}. oslo.messaging shuffles "
                f"the hosts of transport_url for each connection, so the "
                f"connections spread over the nodes; with one node down, "
                f"each of the other {budget.controllers - 1} takes about "
                f"{budget.total} / {budget.controllers - 1} = "
                f"{budget.total // max(budget.controllers - 1, 1)}.")
        return [result, nodes.paragraph(text, text)]


class ControllerProcesses(SizingDirective):
    """How many service processes one controller runs, from db_clients."""

    def run(self) -> list[nodes.Node]:
        _cluster, count = self.budget(sizing.processes_per_controller)
        if count is None:
            return []
        text = (f"{count} service processes per controller, as "
                f"{CLUSTER_FILE} counts them in {sizing.CLIENTS_KEY}.")
        return [nodes.paragraph(text, text)]


def known_lexer(name: str) -> bool:
    try:
        find_lexer_class_by_name(name)
    except ClassNotFound:
        return False
    return True


def code_anchor(code: str) -> str:
    """The id of a code's entry on the codes page: the code in lower case.

    The one statement of the scheme: ``confcheck-codes.html#osl004``;
    the CLI prints the same address (confcheck.report.code_url).
    """
    return code.lower()


def code_groups() -> list[tuple[str, list]]:
    """(kind, codes) in the order the appendix lists them."""
    groups = [("general", list(confcheck.GENERAL))]
    groups += [(kind, list(kinds.checker(kind).CODES))
               for kind in sorted(confcheck.KINDS)]
    groups.append(("tree", list(tree.CODES)))
    return [(kind, codes) for kind, codes in groups if codes]


# Lines of context kept around the lines that differ in an example.
CONTEXT = 1
GAP = "…"


def excerpt(text: str, other: str) -> tuple[str, list[int]]:
    """(lines of text near where it differs from other, emphasised lines).

    The lines that differ come from difflib; each run of them keeps
    CONTEXT lines either side, and a line with GAP stands for what is
    left out. Identical texts are shown whole.
    """
    lines, others = text.splitlines(), other.splitlines()
    changed: set[int] = set()
    # Where the other side has lines this one lacks: nothing to
    # emphasise, but the neighbours show where they go.
    gaps: set[int] = set()
    matcher = difflib.SequenceMatcher(a=lines, b=others, autojunk=False)
    for op, first, last, _, _ in matcher.get_opcodes():
        if op in ("replace", "delete"):
            changed.update(range(first, last))
        elif op == "insert":
            gaps.update({first - 1, first})
    if not changed and not gaps:
        return "\n".join(lines), []
    keep = sorted({n for c in changed | gaps
                   for n in range(c - CONTEXT, c + CONTEXT + 1)
                   if 0 <= n < len(lines)})
    shown: list[str] = []
    emphasised: list[int] = []
    previous = -1
    for number in keep:
        if number > previous + 1:
            shown.append(GAP)
        shown.append(lines[number])
        if number in changed:
            emphasised.append(len(shown))
        previous = number
    if previous < len(lines) - 1:
        shown.append(GAP)
    return "\n".join(shown), emphasised


def _only(expr: str, *children: nodes.Node) -> addnodes.only:
    return addnodes.only("", *children, expr=expr)


class ConfcheckCodes(SphinxDirective):
    """Every confcheck code: a summary table per kind, then each code with
    the lines of its bad and good example that differ (HTML only; the
    PDF keeps the tables)."""

    def run(self) -> list[nodes.Node]:
        result = []
        for kind, codes in code_groups():
            title = f"{kind}: {len(codes)} codes"
            result.append(nodes.rubric(title, title, ids=[
                nodes.make_id(f"confcheck-kind-{kind}")]))
            result.append(self.summary(codes))
            details = []
            for code in codes:
                details += self.code(code)
            result.append(_only("html", *details))
        return result

    def summary(self, codes: list) -> nodes.table:
        rows = []
        for code in codes:
            anchor = code_anchor(code.code)
            link = nodes.reference("", "", nodes.literal(code.code,
                                                         code.code),
                                   refid=anchor)
            cell = nodes.inline("", "", _only("html", link),
                                _only("not html",
                                      nodes.literal(code.code, code.code)))
            rows.append([cell, code.severity, code.title])
        result = table(["Code", "Severity", "What it finds"], rows,
                       [12, 12, 76])
        result["classes"].append("confcheck-codes")
        return result

    def code(self, code) -> list[nodes.Node]:
        title = f"{code.code} ({code.severity}): {code.title}"
        rubric = nodes.rubric(title, title, ids=[code_anchor(code.code)])
        lexer = code.lexer if known_lexer(code.lexer) else "text"
        if lexer != code.lexer:
            store.problem(self.env, self.get_location(), "codes",
                          f"{code.code}: no Pygments lexer {code.lexer!r}")
        shown = [rubric]
        if code.why:
            shown.append(nodes.paragraph(
                "", "", nodes.strong("Why it matters:", "Why it matters:"),
                nodes.Text(" " + code.why)))
        for label, example, other in (("Bad:", code.bad, code.good),
                                      ("Good:", code.good, code.bad)):
            shown.append(nodes.paragraph(label, label))
            if example.strip():
                text, emphasised = excerpt(example, other)
            else:
                text, emphasised = "(an empty file)", []
            block = nodes.literal_block(text, text, language=lexer,
                                        classes=["confcheck-code"])
            if emphasised:
                block["highlight_args"] = {"hl_lines": emphasised}
            # Bad examples are broken on purpose; never fail on them.
            block["force"] = True
            shown.append(block)
        return shown


class OptionDataVersions(SphinxDirective):
    """The OpenStack packages whose option definitions confcheck uses.

    Read from the index tox -e optdata writes, so the release the guide
    states is the one its examples were validated against.
    """

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(
            os.path.join(oslo_data.DATA_DIR, "index.json"))
        try:
            packages = oslo_data.index()["packages"]
        except (OSError, ValueError, KeyError) as exc:
            store.problem(self.env, self.get_location(), "versions",
                          f"cannot read the option data index: {exc}")
            return []
        rows = [[name, info["version"], info.get("series", "")]
                for name, info in sorted(packages.items())]
        return [table(["Package", "Version", "Release series"], rows,
                      [40, 30, 30])]


class OptionDataReleases(SphinxDirective):
    """Each release series confcheck has option data for, with the versions
    of the packages it was generated from (index.json, tox -e optdata)."""

    # The services named in the table; the index lists every package.
    SHOWN = ("nova", "neutron", "keystone", "glance", "cinder",
             "oslo.config", "oslo.messaging")

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(
            os.path.join(oslo_data.DATA_DIR, "index.json"))
        try:
            series = oslo_data.releases()
            infos = [oslo_data.release_info(s)["packages"] for s in series]
        except (OSError, ValueError, KeyError) as exc:
            store.problem(self.env, self.get_location(), "versions",
                          f"cannot read the option data index: {exc}")
            return []
        rows = [[name, ", ".join(
            f"{p} {info[p]['version']}" for p in self.SHOWN if p in info)]
            for name, info in zip(series, infos, strict=True)]
        return [table(["Release series", "Packages (among others)"], rows,
                      [20, 80])]
