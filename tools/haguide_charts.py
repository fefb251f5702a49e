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
"""Failover timelines drawn as charts at build time, with matplotlib.

A scenario of the results file may carry timelines (requests per
interval that succeeded and failed, and events such as the kill, its
detection and the recovery). ``chart_figure`` turns them into a figure
node; the HTML builder writes an SVG next to the page's images, the LaTeX
builder a PDF, both drawn from the same data when the page is written.

With HAGUIDE_CHART_CACHE naming a directory (CI sets one under
/var/cache/haguide, which it keeps between runs), every drawing is also
kept there under a key of all it depends on: its kind, data and format,
the source of the modules that draw it, and matplotlib's version,
settings and font. A drawing whose key is there is copied instead of
drawn again; anything else is drawn, as without the variable.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

# Colours that stay apart for the common colour-vision deficiencies
# (Okabe-Ito): blue for answered, vermilion for failed, black events.
OK_COLOUR = "#0072B2"
FAILED_COLOUR = "#D55E00"
EVENT_COLOUR = "#000000"
# Inches: a text column wide, one band per timeline.
WIDTH = 6.4
BAND = 1.9
PAD = 0.1
# Written into the SVG so that a rebuild of unchanged data gives the same
# bytes (matplotlib otherwise salts ids at random and stamps the date).
HASH_SALT = "haguide"
# The directory of drawings kept between builds (unset: none kept), and
# how long one nobody used stays there.
CACHE_VARIABLE = "HAGUIDE_CHART_CACHE"
CACHE_DAYS = 30


class drawing(nodes.General, nodes.Element):
    """Placeholder for a drawing made when the page is written.

    ``kind`` names the function of DRAWERS that draws ``data``; ``name``
    and the data give the file name, ``alt`` the text for who cannot see
    it.
    """


def directive_figure(directive, picture: drawing, caption: str,
                     cls: str) -> nodes.figure:
    """A drawing as a captioned figure of a directive with a :name:."""
    figure = nodes.figure("", picture, nodes.caption(caption, caption),
                          classes=[cls])
    if "name" in directive.options:
        directive.add_name(figure)
    directive.set_source_info(figure)
    return figure


def chart_figure(name: str, scenario: dict) -> list[nodes.Node]:
    """A figure with the scenario's timelines, or nothing without any."""
    timelines = scenario.get("timelines") or []
    if not timelines:
        return []
    labels = "; ".join(t["label"] for t in timelines)
    chart = drawing(kind="timelines", name=f"failover-{name}",
                    data=timelines,
                    alt=f"{scenario['title']}: requests per interval over "
                        f"time ({labels})")
    caption = (f"{scenario['title']}: answered (blue) and failed "
               f"(vermilion) requests per interval, with the moments of "
               f"the failure, its detection and the recovery")
    figure = nodes.figure("", chart, nodes.caption(caption, caption),
                          classes=["haguide-chart"])
    figure["ids"].append(nodes.make_id(f"failover-chart-{name}"))
    return [figure]


def _file_name(node: drawing, extension: str) -> str:
    digest = hashlib.sha256(json.dumps(
        [node["kind"], node["data"]], sort_keys=True).encode()
        ).hexdigest()[:12]
    return f"{nodes.make_id(node['name'])}-{digest}.{extension}"


def rc_params() -> dict:
    """matplotlib settings shared by every drawing of the guide."""
    return {"svg.hashsalt": HASH_SALT, "font.size": 8,
            "axes.spines.top": False, "axes.spines.right": False}


def save(figure, path: str, fmt: str) -> None:
    """Write a matplotlib figure reproducibly (no dates in the file)."""
    metadata = {"Date": None} if fmt == "svg" else {"CreationDate": None}
    figure.savefig(path, format=fmt, metadata=metadata)


def draw(timelines: list[dict], path: str, fmt: str) -> None:
    """Write the chart of timelines to path as fmt ('svg' or 'pdf')."""
    # Imported here: only a page with a chart pays for matplotlib.
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(rc_params()):
        figure = Figure(figsize=(WIDTH, BAND * len(timelines)),
                        layout="constrained")
        # A margin inside the drawing: a PDF reader measures the rotated
        # axis label wider than its ink, past the figure's edge.
        figure.get_layout_engine().set(w_pad=PAD, h_pad=PAD)
        axes = figure.subplots(len(timelines), 1, squeeze=False)[:, 0]
        for ax, timeline in zip(axes, timelines, strict=True):
            _draw_one(ax, timeline)
        axes[-1].set_xlabel("seconds after the load started")
        _lay_out_once(figure)
        save(figure, path, fmt)


def _lay_out_once(figure) -> None:
    """Place the axes now, so that savefig draws the figure only once.

    With a layout engine set, savefig draws the whole figure twice: a
    dry run to lay it out, then the real one. Laying it out beforehand
    measures only the texts and ticks. The measures are those of the
    vector backends: 72 dpi, unhinted glyphs (the PDF comes out byte for
    byte the same; the SVG moves by less than 0.01 pt).
    """
    import matplotlib

    figure.dpi = 72
    unhinted = {"text.hinting": "none"}
    # Matplotlib 3.11 measures unhinted text at factor 1 and deprecates
    # the setting (3.13 removes it); before, the default factor was 8.
    if tuple(map(int, matplotlib.__version__.split(".")[:2])) < (3, 11):
        unhinted["text.hinting_factor"] = 1
    with matplotlib.rc_context(unhinted):
        figure.get_layout_engine().execute(figure)
    figure.set_layout_engine(None)


def _draw_one(ax, timeline: dict) -> None:
    from matplotlib.patches import StepPatch

    step = float(timeline["bucket_s"])
    ok, failed = timeline["ok"], timeline["failed"]
    edges = [index * step for index in range(len(ok) + 1)]
    totals = [o + f for o, f in zip(ok, failed, strict=True)]
    # One filled step outline per series, failed stacked on answered:
    # the picture of a bar per bucket, but one artist instead of
    # thousands to lay out and write (the chapter draws ~6000 buckets).
    # Added as artists, not with ax.stairs: the limits are set below, so
    # the data limits stairs would walk the outline for are not needed.
    if ok:  # a step patch refuses an empty timeline; bar drew nothing
        ax.add_artist(StepPatch(ok, edges, baseline=0, fill=True,
                                linewidth=0, color=OK_COLOUR,
                                label="answered"))
        ax.add_artist(StepPatch(totals, edges, baseline=ok, fill=True,
                                linewidth=0, color=FAILED_COLOUR,
                                label="failed"))
    top = max(totals or [1])
    for level, event in enumerate(sorted(timeline["events"],
                                         key=lambda e: e["t"])):
        ax.axvline(event["t"], color=EVENT_COLOUR, linewidth=0.8,
                   linestyle="--")
        # Labels step down so that close events stay readable.
        ax.annotate(event["label"], (event["t"], top * (1.12 - 0.14 *
                                                          (level % 3))),
                    xytext=(2, 0), textcoords="offset points",
                    fontsize=7, va="top", annotation_clip=False)
    ax.set_ylim(0, top * 1.15)
    ax.set_xlim(0, max(edges[-1] if ok else step,
                       *[e["t"] for e in timeline["events"]] or [0]))
    ax.set_title(timeline["label"], loc="left", fontsize=8)
    ax.set_ylabel(f"requests / {step:g} s")
    # Above the plot, right of the title: bars fill the plot area.
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2,
              fontsize=7, frameon=False, borderaxespad=0.2)


@functools.cache
def _environment() -> bytes:
    """What every drawing depends on besides its own data and format."""
    import matplotlib
    from matplotlib import font_manager

    digest = hashlib.sha256()
    for name in sorted({__name__, *(f.__module__ for f in DRAWERS.values())}):
        with open(sys.modules[name].__file__, "rb") as fh:
            digest.update(fh.read())
    digest.update(matplotlib.__version__.encode())
    # Every setting but the backend, which the vector formats do not use
    # (and reading it would pick one).
    digest.update(repr(sorted(
        (k, v) for k, v in dict.items(matplotlib.rcParams)
        if k != "backend")).encode())
    with matplotlib.rc_context(rc_params()):
        font = font_manager.findfont(font_manager.FontProperties())
    with open(font, "rb") as fh:
        digest.update(fh.read())
    return digest.digest()


def _cached(node: drawing, fmt: str) -> str | None:
    """Where the cache keeps this drawing, or None without a cache."""
    directory = os.environ.get(CACHE_VARIABLE)
    if not directory:
        return None
    digest = hashlib.sha256(_environment())
    digest.update(json.dumps([node["kind"], node["data"], fmt],
                             sort_keys=True).encode())
    return os.path.join(directory, f"{digest.hexdigest()}.{fmt}")


def _keep(path: str, cached: str) -> None:
    """Copy a new drawing into the cache; drop those long unused."""
    directory = os.path.dirname(cached)
    os.makedirs(directory, exist_ok=True)
    # Written aside, then renamed: a concurrent build sees all or nothing.
    handle, scratch = tempfile.mkstemp(dir=directory, suffix=".part")
    os.close(handle)
    shutil.copyfile(path, scratch)
    os.replace(scratch, cached)
    old = time.time() - CACHE_DAYS * 86400
    for entry in os.scandir(directory):
        if entry.is_file() and entry.stat().st_mtime < old:
            os.unlink(entry.path)


def _draw(node: drawing, path: str, fmt: str) -> None:
    if os.path.exists(path):
        return
    cached = _cached(node, fmt)
    if cached is not None and os.path.isfile(cached):
        shutil.copyfile(cached, path)
        try:
            # A drawing in use stays in the cache (see _keep).
            os.utime(cached)
        except OSError:
            pass  # a cache this build may read but not write
        return
    DRAWERS[node["kind"]](node["data"], path, fmt)
    if cached is not None:
        try:
            _keep(path, cached)
        except OSError as exc:
            # The drawing is made; only the next build will draw it again.
            logger.info("chart cache %s not written: %s",
                        os.path.dirname(cached), exc)


def visit_html(self, node: drawing) -> None:
    name = _file_name(node, "svg")
    directory = os.path.join(self.builder.outdir, self.builder.imagedir)
    os.makedirs(directory, exist_ok=True)
    _draw(node, os.path.join(directory, name), "svg")
    uri = f"{self.builder.imgpath}/{name}"
    self.body.append(f'<img src="{self.encode(uri)}" '
                     f'alt="{self.encode(node["alt"])}" '
                     f'class="haguide-chart" />')
    raise nodes.SkipNode


def visit_latex(self, node: drawing) -> None:
    name = _file_name(node, "pdf")
    _draw(node, os.path.join(self.builder.outdir, name), "pdf")
    self.body.append(r"\sphinxincludegraphics[width=\linewidth]{{"
                     + name[:-4] + "}.pdf}")
    raise nodes.SkipNode


def visit_text(self, node: drawing) -> None:
    # Text-like builders (text, man, search index) get the alt text.
    self.add_text(f"[{node['alt']}]")
    raise nodes.SkipNode


def skip(self, node: drawing) -> None:
    raise nodes.SkipNode


# kind of drawing -> function(data, path, format) that draws it; other
# modules (haguide_sequence) add theirs.
DRAWERS = {"timelines": draw}


def setup(app: Sphinx) -> dict:
    app.add_node(drawing, html=(visit_html, None),
                 latex=(visit_latex, None), text=(visit_text, None),
                 man=(skip, None), texinfo=(skip, None))
    return {"version": "1.0", "parallel_read_safe": True,
            "parallel_write_safe": True}
