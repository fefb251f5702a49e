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
"""The include-example directive: show a file of the example tree."""

from __future__ import annotations

import os
from typing import ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.directives.code import LiteralInclude
from sphinx.util import logging

import confcheck
from confcheck.cluster import (Cluster, CLUSTER_FILE, ClusterError,
                               load_cluster, per_node_lines)
from confcheck.layout import path_on_node, role_of, tree_files
from confcheck import present
from confcheck.sphinxext import downloads, store, validate

logger = logging.getLogger(__name__)

# Options that pick lines themselves and so cannot be combined with
# :section:, which picks the lines of one section.
SELECTORS = ("lines", "start-after", "end-before", "start-at", "end-at",
             "pyobject", "diff")


def prefetch(app, env, added, changed, removed) -> list[str]:
    """env-get-outdated: start validating every example before the pages
    that include them are read (see validate.prefetch)."""
    examples_dir = env.config.confcheck_examples_dir
    if not (added or changed) or not env.config.confcheck_validate or (
            not examples_dir or not os.path.isdir(examples_dir)):
        return []
    sources = []
    for relpath in tree_files(examples_dir):
        # As resolve() gives it, so that both show the same path.
        path = os.path.realpath(os.path.join(examples_dir, relpath))
        kind = confcheck.infer_kind(path)
        if kind is None:
            continue
        try:
            sources.append(confcheck.SourceReader(
                path, kind, store.display_path(path)).read())
        except confcheck.InputError:
            continue  # the include reports it
    sources += [source for source, _node
                in downloads.derived_sources(examples_dir)]
    validate.prefetch(sources, str(env.doctreedir),
                      wait=app.parallel > 1)
    return []


class ExampleError(Exception):
    """The directive's input is wrong; str() says how, for the author."""


def resolve(env, examples_dir: str, argument: str) -> tuple[str, str]:
    """(absolute path, path relative to the tree) of an include argument;
    raises ExampleError when it leaves the tree or names no file."""
    if not examples_dir:
        raise ExampleError("confcheck_examples_dir is not set in conf.py")
    root = os.path.realpath(examples_dir)
    path = os.path.realpath(os.path.join(root, argument))
    if os.path.commonpath([root, path]) != root:
        raise ExampleError(
            f"{argument!r} is outside the example tree {root}; give a "
            f"path relative to it, such as "
            f"'controller/etc/haproxy/haproxy.cfg'")
    # Also when missing: Sphinx then re-reads the page on every build
    # until the file exists, so the warning goes once the file is added.
    env.note_dependency(path)
    if not os.path.isfile(path):
        raise ExampleError(f"no file {argument!r} in the example tree "
                           f"{root}")
    return path, os.path.relpath(path, root).replace(os.sep, "/")


class IncludeExample(LiteralInclude):
    """literalinclude for doc/examples: validated, captioned, downloadable.

    The path is relative to ``confcheck_examples_dir``. ``:section:``
    picks one section (ini ``[name]``, haproxy ``listen name``, a
    keepalived or corosync block header); emphasize-lines count from the
    first line shown.
    """

    # Not :diff:, which would read a second file from anywhere, nor
    # :pyobject:, which is for Python modules of the documentation.
    option_spec: ClassVar[dict] = {
        **{name: spec for name, spec in LiteralInclude.option_spec.items()
           if name not in ("diff", "pyobject")},
        "section": directives.unchanged_required,
    }

    def run(self) -> list[nodes.Node]:
        try:
            relpath, kind, text = self._prepare()
        except ExampleError as exc:
            store.problem(self.env, self.get_location(), "include", str(exc))
            return []
        except Exception as exc:  # noqa: BLE001 - crash boundary
            # As Sphinx's own LiteralInclude.run: a bug here is a warning
            # at the directive, never an aborted build.
            finding = confcheck.internal_error(
                self.arguments[0], "include-example directive", exc)
            store.problem(self.env, self.get_location(), "internal-error",
                          finding.message)
            return []
        per_node = self._number_per_node_lines(relpath, text)
        result = super().run()
        if any(isinstance(n, nodes.system_message) for n in result):
            return result  # LiteralInclude has reported a bad option
        for block in result[0].findall(nodes.literal_block):
            block["classes"].append("confcheck-example")
            if present.language(kind, text) == "console":
                shown = present.commands_as_console(block.astext())
                block.children = [nodes.Text(shown)]
                block.rawsource = shown
            elif per_node:
                self._emphasize(block, per_node)
        return self._index(relpath) + result + [self._download(relpath)]

    def _index(self, relpath: str) -> list[nodes.Node]:
        """An index entry for the file, at the listing."""
        serial = self.env.new_serialno("confcheck-file")
        anchor = nodes.make_id(f"file-{relpath}-{serial}")
        name = (path_on_node(relpath)
                if role_of(relpath) in downloads.NODE_ROLES
                else relpath)
        target = nodes.target("", "", ids=[anchor])
        entry = addnodes.index(entries=[("single", name, anchor, "",
                                         None)])
        self.set_source_info(target)
        return [entry, target]

    def _number_per_node_lines(self, relpath: str, text: str) -> list[int]:
        """Line numbers of the file's per_node lines; sets the listing to
        show file line numbers, which the per-node-lines table cites."""
        cluster = self._cluster()
        if cluster is None or not cluster.templates(relpath):
            return []
        try:
            lines = [n for n, _ in per_node_lines(cluster, relpath,
                                                       text)]
        except ClusterError:
            return []  # TRE007, reported by the tree checks
        numbering = ("linenos", "lineno-start", "lineno-match", "diff",
                     "pyobject")
        if not any(o in self.options for o in numbering):
            self.options["lineno-match"] = True
        return lines

    def _emphasize(self, block: nodes.literal_block,
                   numbers: list[int]) -> None:
        if "emphasize-lines" in self.options:
            return  # the author's choice wins
        args = block.setdefault("highlight_args", {})
        start = args.get("linenostart", 1)
        count = block.astext().count("\n") + 1
        shown = [n - start + 1 for n in numbers if start <= n < start + count]
        if shown:
            args["hl_lines"] = shown

    def _prepare(self) -> tuple[str, str | None, str]:
        examples_dir = self.config.confcheck_examples_dir
        path, relpath = resolve(self.env, examples_dir, self.arguments[0])
        try:
            text = confcheck.read_text(path)
        except confcheck.InputError as exc:
            raise ExampleError(str(exc)) from None
        store.add(self.env, "confcheck_includes", self.env.docname, relpath)
        # None: shown, not validated.
        kind = confcheck.infer_kind(path)
        if kind is None:
            store.problem(self.env, self.get_location(), "unknown-kind",
                          f"{relpath}: confcheck has no checker for this "
                          f"file name, so it is not validated")
        elif self.config.confcheck_validate:
            # As prefetch() read it, so it finds the check it started.
            self._validate(confcheck.Source(text, store.display_path(path),
                                            kind), relpath)
        if "section" in self.options:
            self._select_section(text, kind)
        self.options.setdefault("language", present.language(kind, text))
        if not self.options.get("caption"):
            self.options["caption"] = present.caption(
                relpath, kind, self._node(examples_dir, relpath), text)
        # The checkers judge the file; a lexer that trips over valid
        # syntax (crmsh on quoted '#kind') must only lose its colours.
        self.options["force"] = True
        # LiteralInclude resolves "/x" against the source directory.
        self.arguments[0] = "/" + os.path.relpath(path, self.env.srcdir)
        return relpath, kind, text

    def _validate(self, source: confcheck.Source, relpath: str) -> None:
        # The same check from a shell, for whoever reads a -vv log.
        logger.debug("[confcheck] python -m confcheck --kind %s %s",
                     source.kind, source.path)
        for finding in validate.findings(source, str(self.env.doctreedir)):
            store.add(self.env, "confcheck_findings", self.env.docname,
                      (relpath, finding.line, finding.severity,
                       finding.code, finding.message))

    def _select_section(self, text: str, kind: str | None) -> None:
        clash = [o for o in SELECTORS if o in self.options]
        if clash:
            raise ExampleError(
                f":section: picks its own lines; it cannot be combined "
                f"with :{clash[0]}:")
        try:
            first, last = present.section_lines(
                text, kind or "", self.options["section"])
        except present.UnknownSection as exc:
            raise ExampleError(f"{self.arguments[0]}: {exc}") from None
        self.options["lines"] = f"{first}-{last}"
        if "lineno-match" not in self.options and "linenos" in self.options:
            self.options.setdefault("lineno-start", first)

    def _cluster(self) -> Cluster | None:
        examples_dir = self.config.confcheck_examples_dir
        # Captions, line numbers and links come from cluster.yaml.
        self.env.note_dependency(os.path.join(examples_dir,
                                              CLUSTER_FILE))
        try:
            return load_cluster(examples_dir)
        except ClusterError:
            return None  # reported once per build by the tree checks

    def _node(self, examples_dir: str, relpath: str) -> str | None:
        cluster = self._cluster()
        if cluster is None:
            return None
        return (cluster.file_nodes(relpath) or [None])[0]

    def _download(self, relpath: str) -> nodes.Node:
        """Links to the whole file on each node in HTML; its address
        elsewhere."""
        cluster = self._cluster()
        files = (downloads.node_files(cluster, relpath) if cluster
                 else [("", relpath)])
        link = download_links(self.env.docname, relpath, files)
        path = nodes.paragraph("", "", nodes.Text("The whole file is "),
                               nodes.literal(relpath, relpath),
                               nodes.Text(" in the guide's example tree"),
                               classes=["confcheck-download"])
        base = self.config.confcheck_download_url
        if base:
            url = base.rstrip("/") + "/" + files[0][1]
            path += [nodes.Text(", "),
                     nodes.reference(url, url, refuri=url)]
        path += nodes.Text(".")
        result = nodes.container("", addnodes.only("", link, expr="html"),
                                 addnodes.only("", path, expr="not html"))
        for node in result.findall():
            self.set_source_info(node)
        return result


def download_links(docname: str, relpath: str,
                   files: list[tuple[str, str]]) -> nodes.paragraph:
    """"Download nova.conf for controller1, controller2, controller3"."""
    name = os.path.basename(relpath)
    result = nodes.paragraph("", "", nodes.Text("Download "),
                             classes=["confcheck-download"])
    if files[0][0] == "" or len(files) == 1:
        uri = downloads.uri(docname, files[0][1])
        result += nodes.reference("", "", nodes.literal(name, name),
                                  refuri=uri, classes=["confcheck-file"])
        if files[0][0]:
            result += nodes.Text(f" ({files[0][0]})")
        return result
    result += [nodes.literal(name, name), nodes.Text(" for ")]
    for index, (node, path) in enumerate(files):
        if index:
            result += nodes.Text(", " if index < len(files) - 1 else " or ")
        result += nodes.reference(node, node,
                                  refuri=downloads.uri(docname, path),
                                  classes=["confcheck-file"])
    return result
