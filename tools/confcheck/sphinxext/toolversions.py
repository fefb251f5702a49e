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
"""The versions of the real tools that validated this build's examples."""

from __future__ import annotations

import hashlib
import json
import os

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from confcheck import external
from confcheck.sphinxext import validate
from confcheck.sphinxext.tables import table

# The tools whose verdicts the build's validation uses, in the order the
# appendix names them, with what each checks.
TOOLS = (
    ("haproxy", "haproxy.cfg (haproxy -c)"),
    ("keepalived", "keepalived.conf (keepalived -t)"),
    ("corosync", "corosync.conf (corosync -t)"),
    ("pcs", "pcs command files (pcs -f on a scratch CIB)"),
    ("crm", "crmsh command files (crm on a scratch CIB)"),
    ("crm_verify", "the CIB both build (Pacemaker's crm_verify)"),
)


class ToolVersions(SphinxDirective):
    """Each tool, its version and where it came from, asked of the tools
    this build runs (the lab root's with CONFCHECK_TOOL_ROOT), so the page
    states the versions that validated it instead of typed ones."""

    def run(self) -> list[nodes.Node]:
        try:
            root = external.tool_root()
        except external.ExternalToolError as exc:
            root, rows = None, [[name, "-", str(exc), what]
                                for name, what in TOOLS]
        else:
            found = versions(str(self.env.doctreedir))
            rows = [self._row(name, what, root, found[name])
                    for name, what in TOOLS]
        return [table(["Tool", "Version", "From", "Checks"], rows,
                      [15, 20, 30, 35])]

    @staticmethod
    def _row(name: str, what: str, root: str | None,
             found: list[str] | None) -> list[str]:
        if found is None:
            return [name, "-", "not installed: built-in checks only", what]
        where = ("the lab's Debian root" if root is not None
                 else "the build machine")
        return [name, found[0], where, what]


def versions(cache_root: str) -> dict[str, list[str] | None]:
    """external.version() of each tool, kept beside the validation cache.

    Asking runs every tool (pcs and crm start Python in the tool root),
    a second of each build that reads the page. The answers are kept
    under the key the verdicts use for the tools (each binary's path,
    size and mtime, the root, the privileges) and the checker files,
    so a changed tool is asked again. A tool that could not be asked
    is not kept.
    """
    key = hashlib.sha256("\0".join(
        [external.fingerprint(), validate.checker_fingerprint()]).encode())
    cached = os.path.join(cache_root, validate.CACHE_DIR,
                          f"tool-versions-{key.hexdigest()}.json")
    try:
        with open(cached, encoding="utf-8") as fh:
            found = json.load(fh)
        if isinstance(found, dict) and all(
                name in found and (found[name] is None
                                   or _answer(found[name]))
                for name, _ in TOOLS):
            return found
    except (OSError, ValueError):
        pass  # not asked yet, or a damaged entry: ask again
    found = {}
    for name, _what in TOOLS:
        answer = external.version(name)
        found[name] = list(answer) if answer is not None else None
    if not any(v is not None and v[0].startswith("(cannot ask")
               for v in found.values()):
        validate.store_json(cached, found)
    return found


def _answer(value) -> bool:
    """Whether a cached value has the shape external.version() gives."""
    return (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, str) for v in value))
