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
"""Sequence diagrams written as text in a page, drawn at build time.

``.. sequence-diagram::`` with a ``:caption:`` and one step per line::

   client -> controller1 (VIP): request to 10.0.0.11:8774
   controller1 (VIP) --> client: answer
   controller2: note next to a participant's line
   controller1 x: the node fails

``->`` is a message, ``-->`` an answer, ``NAME: text`` a note and
``NAME x: text`` a failure, after which NAME's line is drawn faded.
Participants are drawn left to right in the order they first appear.
The drawing is made with matplotlib when the page is written (SVG in
HTML, PDF in LaTeX), through haguide_charts.

A parser is written here rather than taken from a diagram tool because
the four forms above are the whole language, and the tools that read
such text (PlantUML, Mermaid) need Java or a browser at build time.
"""

from __future__ import annotations

import re
from typing import ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

import haguide_charts

logger = logging.getLogger(__name__)

STEP = re.compile(
    r"^(?P<a>[^:>]+?)\s*(?:(?P<arrow>-->|->)\s*(?P<b>[^:]+?)|"
    r"\s(?P<fail>x))?\s*:\s*(?P<text>.+)$")
# Inches: a text column wide; height per step and for the heads.
WIDTH = 6.4
ROW = 0.42
HEAD = 0.55
FAIL_COLOUR = "#D55E00"
LINE_COLOUR = "#555555"
NOTE_COLOUR = "#F0F0F0"


class SequenceError(ValueError):
    """A step that does not read as one of the four forms."""


def parse(lines: list[str]) -> dict:
    """{"participants": [...], "steps": [(kind, a, b, text)]}."""
    participants: list[str] = []
    steps = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        match = STEP.match(line.strip())
        if match is None:
            raise SequenceError(
                f"step {number}: {line.strip()!r} is not 'A -> B: text', "
                f"'A --> B: text', 'A: text' or 'A x: text'")
        a, b = match["a"].strip(), (match["b"] or "").strip()
        kind = ("answer" if match["arrow"] == "-->" else
                "message" if match["arrow"] else
                "fail" if match["fail"] else "note")
        for name in (a, b):
            if name and name not in participants:
                participants.append(name)
        steps.append((kind, a, b, match["text"].strip()))
    if not steps:
        raise SequenceError("no steps")
    return {"participants": participants, "steps": steps}


def draw(data: dict, path: str, fmt: str) -> None:
    """Write the sequence diagram of data to path as fmt."""
    import matplotlib
    from matplotlib.figure import Figure

    people, steps = data["participants"], data["steps"]
    height = HEAD + ROW * (len(steps) + 0.6)
    with matplotlib.rc_context(haguide_charts.rc_params()):
        figure = Figure(figsize=(WIDTH, height))
        ax = figure.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, WIDTH)
        ax.set_ylim(height, 0)
        ax.axis("off")
        column = WIDTH / len(people)
        x = {p: column * (i + 0.5) for i, p in enumerate(people)}
        failed_at: dict[str, float] = {}
        for index, (kind, _a, _b, _text) in enumerate(steps):
            if kind == "fail":
                failed_at.setdefault(_a, HEAD + ROW * (index + 0.8))
        bottom = height - 0.05
        for person in people:
            ax.text(x[person], HEAD / 2, person, ha="center", va="center",
                    fontsize=8, wrap=True,
                    bbox={"boxstyle": "round,pad=0.3", "fc": "white",
                          "ec": LINE_COLOUR})
            end = failed_at.get(person, bottom)
            ax.plot([x[person]] * 2, [HEAD * 0.85, end], color=LINE_COLOUR,
                    linewidth=0.8)
            if end < bottom:
                ax.plot([x[person]] * 2, [end, bottom], color=LINE_COLOUR,
                        linewidth=0.8, linestyle=":", alpha=0.5)
        for index, (kind, a, b, text) in enumerate(steps):
            y = HEAD + ROW * (index + 0.8)
            if kind in ("message", "answer"):
                ax.annotate("", xy=(x[b], y), xytext=(x[a], y),
                            arrowprops={
                                "arrowstyle": "-|>", "color": "black",
                                "linewidth": 0.9, "shrinkA": 0,
                                "shrinkB": 0,
                                "linestyle": "--" if kind == "answer"
                                else "-"})
                ax.text((x[a] + x[b]) / 2, y - 0.05, text, ha="center",
                        va="bottom", fontsize=7)
            else:
                # Text beside the line, towards the middle of the drawing.
                right = x[a] > WIDTH / 2
                side = {"ha": "right" if right else "left",
                        "va": "center", "fontsize": 7}
                offset = -0.12 if right else 0.12
                if kind == "fail":
                    ax.plot([x[a]], [y], marker="x", markersize=10,
                            markeredgewidth=2, color=FAIL_COLOUR)
                    ax.text(x[a] + offset, y, text, color=FAIL_COLOUR,
                            **side)
                else:
                    ax.text(x[a] + offset, y, text, **side,
                            bbox={"boxstyle": "square,pad=0.25",
                                  "fc": NOTE_COLOUR, "ec": "none"})
        haguide_charts.save(figure, path, fmt)


class SequenceDiagram(SphinxDirective):
    """A figure with a sequence diagram drawn from the directive's text."""

    has_content = True
    option_spec: ClassVar[dict] = {
        "caption": directives.unchanged_required,
        "name": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        caption = self.options.get("caption", "").strip()
        try:
            if not caption:
                raise SequenceError("a sequence diagram needs a :caption:")
            data = parse(list(self.content))
        except SequenceError as exc:
            logger.warning(str(exc), location=self.get_location(),
                           type="haguide", subtype="sequence")
            return []
        name = self.options.get("name") or f"sequence-{caption}"
        picture = haguide_charts.drawing(
            kind="sequence", name=nodes.make_id(name)[:40], data=data,
            alt=f"{caption}: " + "; ".join(
                f"{a} {'to ' + b + ': ' if b else ''}{t}"
                for _, a, b, t in data["steps"]))
        return [haguide_charts.directive_figure(self, picture, caption,
                                                "haguide-sequence")]


def setup(app: Sphinx) -> dict:
    app.setup_extension("haguide_charts")
    haguide_charts.DRAWERS["sequence"] = draw
    app.add_directive("sequence-diagram", SequenceDiagram)
    return {"version": "1.0", "parallel_read_safe": True,
            "parallel_write_safe": True}
