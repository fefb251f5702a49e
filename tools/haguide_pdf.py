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
"""Print-friendly tabs, listings and appendices in LaTeX.

Tabs: each sphinx-tabs label becomes a heading in LaTeX.

On builders without tab support, sphinx-tabs emits every tab as a
container holding the label (as a plain paragraph) followed by its panel,
so in the PDF a label reads like any other sentence. This post-transform
turns each label into a rubric (a bold run-in heading) so the reader sees
"Debian/Ubuntu", then its commands, then "RHEL family", and so on.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform

# sphinx-tabs marks the outer container of a tab set with this class.
TABS_CLASS = "sphinx-tabs"
# The page whose toctree lists the appendices.
APPENDICES = "appendix/index"


def _tab_label(tab: nodes.Node) -> nodes.paragraph | None:
    """The label paragraph of one non-HTML tab, or None if not that shape.

    The shape is container(tab) > container(label) > paragraph, followed by
    the panel container (sphinx_tabs.tabs.TabDirective.run).
    """
    if not (isinstance(tab, nodes.container) and len(tab.children) == 2):
        return None
    head, _panel = tab.children
    if not (isinstance(head, nodes.container) and len(head.children) == 1):
        return None
    name = head.children[0]
    if not (isinstance(name, nodes.container) and len(name.children) == 1
            and isinstance(name.children[0], nodes.paragraph)):
        return None
    return name.children[0]


class TabLabelsAsRubrics(SphinxPostTransform):
    """Replace each tab label paragraph with a rubric on LaTeX builds."""

    default_priority = 200
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        for tabs in list(self.document.findall(nodes.container)):
            if TABS_CLASS not in tabs["classes"]:
                continue
            for tab in tabs.children:
                label = _tab_label(tab)
                if label is None:
                    continue
                rubric = nodes.rubric(label.rawsource, "", *label.children,
                                      classes=["tab-label"])
                tab.children[0].replace_self(rubric)


class ListingsWithoutLineNumbers(SphinxPostTransform):
    """No line numbers on example listings in LaTeX.

    LaTeX sets them in the left margin, outside the text area. The HTML
    numbers the lines a per-node table cites; on paper that table prints
    each node's whole line instead (confcheck's per-node-lines).
    """

    default_priority = 200
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        for block in self.document.findall(nodes.literal_block):
            if "confcheck-example" in block["classes"]:
                block["linenos"] = False


class LetteredAppendices(SphinxPostTransform):
    """The appendices as chapters A, B... after LaTeX's \\appendix.

    The HTML keeps an "Appendices" page whose toctree holds them; in the
    book that page would be one chapter with the appendices as numbered
    sections. On the assembled book (the LaTeX builder runs the post
    transforms on it), the page's section is replaced by \\appendix and
    its toctree's documents move up one level, so each is a chapter that
    LaTeX letters. The page's own introduction is dropped: the table of
    contents lists the appendices. Its labels point to where they start.
    """

    default_priority = 200
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        for start in self.document.findall(addnodes.start_of_file):
            if start.get("docname") == APPENDICES:
                self._letter(start)
                return

    @staticmethod
    def _letter(start: addnodes.start_of_file) -> None:
        section = next((c for c in start.children
                        if isinstance(c, nodes.section)), None)
        if section is None:
            return
        chapters = [doc for wrapper in section.findall(nodes.compound)
                    if "toctree-wrapper" in wrapper["classes"]
                    for doc in wrapper.children
                    if isinstance(doc, addnodes.start_of_file)]
        if not chapters:
            return
        for doc in chapters:
            doc.parent.remove(doc)
        # The labels of the page's heading (its ids and the page's own)
        # go where the appendices start, once: without the page's file
        # node, whose ":doc" label would land on the first appendix's
        # heading, and without the targets that name the heading.
        kept = [c for c in start.children if c is not section and not (
            isinstance(c, nodes.target) and c.get("refid") in section["ids"])]
        labels = "".join(
            f"\\label{{\\detokenize{{{APPENDICES}:{name}}}}}"
            for name in [*section["ids"], ":doc"])
        start.replace_self([*kept, nodes.raw(
            "", f"\\appendix\n\\phantomsection{labels}\n",
            format="latex"), *chapters])


def setup(app: Sphinx) -> dict:
    app.add_post_transform(TabLabelsAsRubrics)
    app.add_post_transform(ListingsWithoutLineNumbers)
    app.add_post_transform(LetteredAppendices)
    return {"version": "1.0", "parallel_read_safe": True,
            "parallel_write_safe": True}
