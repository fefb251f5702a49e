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
"""Lint of literal blocks written in a page: configuration belongs in
doc/examples, where it is validated, not pasted inline."""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.application import Sphinx

from confcheck.sphinxext import store

# Languages configuration gets pasted as (None: a literal '::' block).
LINTED_LANGUAGES = frozenset({
    None, "ini", "cfg", "dosini", "haproxy", "keepalived", "corosync",
    "xinetd", "mysql", "pcs", "crmsh", "pcmk", "none", "text", "default"})
# Classes of the blocks this extension generates (from the tree or from
# confcheck's code book): not pasted by an author.
GENERATED = frozenset({"confcheck-example", "confcheck-code"})
# What makes a block configuration rather than output or prose.
CONFIG_SIGNS = (
    ("an ini section header",
     re.compile(r"^\s*\[[A-Za-z_][\w.:-]*\]\s*$", re.M)),
    ("a HAProxy section",
     re.compile(r"^(?:(?:listen|frontend|backend)\s+\S+|global|defaults)"
                r"\s*$", re.M)),
    ("a HAProxy server or bind line",
     re.compile(r"^\s+(?:server\s+\S+|bind)\s+\S+:\d+", re.M)),
    ("a keepalived block",
     re.compile(r"^\s*(?:vrrp_instance|vrrp_script|global_defs|"
                r"virtual_ipaddress)\b", re.M)),
    ("a corosync block",
     re.compile(r"^\s*(?:totem|nodelist|quorum)\s*\{", re.M)),
    ("a pcs command", re.compile(r"^\s*(?:#\s+)?pcs\s+\w", re.M)),
    ("crmsh configuration",
     re.compile(r"^\s*(?:#\s+)?(?:crm\s+configure|primitive\s+\S+\s+"
                r"\S+:)", re.M)),
)


def looks_like_config(text: str) -> str | None:
    """What in text is configuration, or None."""
    for what, pattern in CONFIG_SIGNS:
        if pattern.search(text):
            return what
    return None


def lint_doctree(app: Sphinx, doctree: nodes.document) -> None:
    """doctree-read: store a problem for every inline config block."""
    env = app.env
    for block in doctree.findall(nodes.literal_block):
        language = block.get("language")
        if (language not in LINTED_LANGUAGES
                or GENERATED.intersection(block["classes"])):
            continue
        what = looks_like_config(block.astext())
        if what is None:
            continue
        source = block.source or env.doc2path(env.docname)
        shown = f"'{language}' block" if language else "literal block"
        store.problem(env, f"{source}:{block.line or 0}", "inline-config", (
            f"{shown} with {what}: put the file in doc/examples/ and show "
            f"it with include-example, where every build validates it"))
