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
"""Printing the stored warnings, all of them, on every build."""

from __future__ import annotations

import os

from sphinx.environment import BuildEnvironment

import confcheck
from confcheck import tree
from confcheck.cluster import CLUSTER_FILE
from confcheck.sphinxext import downloads, store, validate


def _finding_warnings(env: BuildEnvironment, examples_dir: str):
    shown_in: dict[tuple, set[str]] = {}
    for docname, found in store.records(env, "confcheck_findings").items():
        for record in found:
            shown_in.setdefault(record, set()).add(docname)
    for record in sorted(shown_in):
        relpath, line, severity, code, message = record
        path = store.display_path(os.path.join(examples_dir, relpath))
        pages = ", ".join(sorted(shown_in[record]))
        yield (f"{path}:{line}", code,
               f"{message} ({severity}; shown in {pages})")


def _tree_warnings(env: BuildEnvironment, examples_dir: str):
    included = set()
    for found in store.records(env, "confcheck_includes").values():
        included.update(found)
    try:
        findings = tree.check_tree(examples_dir)
        if os.path.isdir(examples_dir):
            findings += tree.not_included(examples_dir, included)
    except Exception as exc:  # noqa: BLE001 - crash boundary, see below
        # A bug in the tree checks is one located warning, not an aborted
        # build (the same boundary as confcheck.check_text).
        findings = [confcheck.internal_error(
            os.path.join(examples_dir, CLUSTER_FILE), "tree checks",
            exc)]
    for f in findings:
        yield (f"{store.display_path(f.path)}:{f.line}", f.code,
               f"{f.message} ({f.severity})")


def _node_file_warnings(env: BuildEnvironment, examples_dir: str):
    # The other nodes' files are published too, so they are checked like
    # the tree's own; a finding names the node and the tree file's line.
    for source, node in downloads.derived_sources(examples_dir):
        for f in validate.findings(source, str(env.doctreedir)):
            yield (f"{source.path}:{f.line}", f.code,
                   f"{f.message} ({f.severity}; in the file as derived "
                   f"for {node})")


def _order(warning: tuple[str, str, str]) -> tuple:
    path, _, line = warning[0].rpartition(":")
    return (path, int(line) if line.isdigit() else 0) + warning[1:]


def emit_all(app, env: BuildEnvironment) -> list[str]:
    """env-updated: print every stored problem and finding once."""
    warnings = set()
    for found in store.records(env, "confcheck_problems").values():
        warnings.update(found)
    examples_dir = env.config.confcheck_examples_dir
    if env.config.confcheck_validate and examples_dir:
        warnings.update(_finding_warnings(env, examples_dir))
        # Once per build, after the parallel readers' data is merged.
        warnings.update(_tree_warnings(env, examples_dir))
        try:
            warnings.update(_node_file_warnings(env, examples_dir))
        except Exception as exc:  # noqa: BLE001 - crash boundary
            finding = confcheck.internal_error(
                os.path.join(examples_dir, CLUSTER_FILE),
                "checks of the nodes' files", exc)
            warnings.add((f"{store.display_path(finding.path)}:0",
                          finding.code, finding.message))
    for location, subtype, message in sorted(warnings, key=_order):
        store.warn(location, subtype, message)
    return []
