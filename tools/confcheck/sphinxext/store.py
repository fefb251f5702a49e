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
"""Per-document state of the extension, kept in the build environment.

Warnings found while reading a page are stored here, not printed: Sphinx
prints read-time warnings only for pages it re-reads, so an incremental
build would pass while an example is still wrong. ``emit`` prints them all
on every build (from env-updated), once each.
"""

from __future__ import annotations

import os

from sphinx.environment import BuildEnvironment
from sphinx.util import logging

logger = logging.getLogger(__name__)

WARNING_TYPE = "confcheck"
# env attribute -> what it holds per docname (each value a set, so pages
# that sphinx-tabs parses twice store every record once).
ATTRS = {
    # (relpath, line, severity, code, message) of the example files
    "confcheck_findings": "findings of the included examples",
    # (location, subtype, message): directive and snippet problems
    "confcheck_problems": "problems located in the page itself",
    # relpath of every example the page includes
    "confcheck_includes": "examples the page includes",
}


def _table(env: BuildEnvironment, attr: str) -> dict[str, set]:
    if not hasattr(env, attr):
        setattr(env, attr, {})
    return getattr(env, attr)


def add(env: BuildEnvironment, attr: str, docname: str, record) -> None:
    _table(env, attr).setdefault(docname, set()).add(record)


def records(env: BuildEnvironment, attr: str) -> dict[str, set]:
    return _table(env, attr)


def purge_doc(app, env: BuildEnvironment, docname: str) -> None:
    for attr in ATTRS:
        _table(env, attr).pop(docname, None)


def merge_info(app, env: BuildEnvironment, docnames, other) -> None:
    for attr in ATTRS:
        mine, theirs = _table(env, attr), _table(other, attr)
        for docname in docnames:
            if docname in theirs:
                mine[docname] = theirs[docname]


def problem(env: BuildEnvironment, location: str, subtype: str,
            message: str) -> None:
    """Store a problem of the current page, printed at every build."""
    add(env, "confcheck_problems", env.docname,
        (location, subtype, message))


def display_path(path: str) -> str:
    """path as the user can open it: relative to the working directory
    when below it (doc/examples/...), else absolute."""
    path = os.path.abspath(path)
    rel = os.path.relpath(path, os.getcwd())
    return path if rel.startswith(os.pardir) else rel


def warn(location: str, subtype: str, message: str) -> None:
    logger.warning(message, location=location, type=WARNING_TYPE,
                   subtype=subtype)
