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
"""Index entries for the options and directives the chapters explain.

The guide explains a setting in a definition list whose term is the
setting as written in the file (````rabbit_quorum_queue = true````). Each
such term gets an anchor and an index entry under the setting's name, so
the index, and Sphinx's search (which ranks index entries first), lead to
the page that explains it rather than to every page that mentions it.
The include-example directive adds the entries for the files themselves.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform

# What a term's literal holds before its value: "name = value",
# "name: value" (YAML), or a directive and its arguments.
VALUE_SEPARATOR = re.compile(r"\s*[=:]\s")
# Longer than this it is a sentence in code, not a setting's name.
MAX_NAME = 48


def setting_name(text: str) -> str | None:
    """'rabbit_quorum_queue' from 'rabbit_quorum_queue = true'; None for
    text that does not read as a setting."""
    name = VALUE_SEPARATOR.split(text.strip(), maxsplit=1)[0].strip()
    if not name or len(name) > MAX_NAME or "\n" in name:
        return None
    return name


class IndexSettings(SphinxTransform):
    """An anchor and an index entry per explained setting."""

    # Before SphinxDomains (850), which hands index nodes to the index.
    default_priority = 800

    def apply(self, **kwargs) -> None:
        index_terms(self.document)


def index_terms(doctree: nodes.document) -> None:
    taken = set(doctree.ids)
    for term in list(doctree.findall(nodes.term)):
        first = term.children[0] if term.children else None
        if not isinstance(first, nodes.literal):
            continue
        name = setting_name(first.astext())
        if name is None:
            continue
        anchor = base = nodes.make_id(f"setting-{name}")
        count = 1
        while anchor in taken:
            count += 1
            anchor = f"{base}-{count}"
        taken.add(anchor)
        term["ids"].append(anchor)
        doctree.ids[anchor] = term
        entry = addnodes.index(entries=[("single", name, anchor, "main",
                                         None)])
        term.insert(0, entry)


def setup(app: Sphinx) -> dict:
    app.add_transform(IndexSettings)
    return {"version": "1.0", "parallel_read_safe": True,
            "parallel_write_safe": True}
