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

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from confcheck import external
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
            rows = [self._row(name, what, root) for name, what in TOOLS]
        return [table(["Tool", "Version", "From", "Checks"], rows,
                      [15, 20, 30, 35])]

    @staticmethod
    def _row(name: str, what: str, root: str | None) -> list[str]:
        found = external.version(name)
        if found is None:
            return [name, "-", "not installed: built-in checks only", what]
        where = ("the lab's Debian root" if root is not None
                 else "the build machine")
        return [name, found[0], where, what]

