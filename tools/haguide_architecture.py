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
"""The reference architecture drawn from cluster.yaml at build time.

``.. architecture-figure::`` with a ``:caption:`` draws every host of
cluster.yaml (name, addresses, what its role runs, from ``roles``), the
management and public networks and the VIPs, with matplotlib through
haguide_charts: SVG in HTML, PDF in LaTeX. A host added to cluster.yaml
appears in the next build; the page is rebuilt when the file changes.
"""

from __future__ import annotations

import os
import textwrap
from typing import ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

import haguide_charts
from confcheck.cluster import Cluster, CLUSTER_FILE, ClusterError, load_cluster

logger = logging.getLogger(__name__)

# Inches: a text column wide; the gap between boxes, the height of a
# line of text, the space a network line takes.
WIDTH = 6.4
MARGIN = 0.1
GAP = 0.1
LINE = 0.14
NETWORK = 0.5
FONT = 6.5
# Average width of a character at FONT points, to wrap the lines of a
# box to its width (DejaVu Sans, measured on the guide's labels).
CHAR = 0.052
# Okabe-Ito colours, as the charts: blue for the public network and the
# VIPs, grey for the management network and the hosts' frames.
PUBLIC_COLOUR = "#0072B2"
MANAGEMENT_COLOUR = "#555555"
VIP_COLOUR = "#E0F0FA"
HOST_COLOUR = "#F4F4F4"
# cluster.yaml's host keys for the address on each network.
ADDRESS_KEYS = {"management": "address", "public": "public_address"}


class ArchitectureError(ValueError):
    """cluster.yaml lacks what the figure needs."""


def architecture(cluster: Cluster) -> dict:
    """What the figure shows, taken from cluster.yaml."""
    data = cluster.data
    networks = data.get("networks") or {}
    if set(ADDRESS_KEYS) - set(networks):
        raise ArchitectureError("cluster.yaml: networks needs management "
                                "and public")
    roles = data.get("roles") or {}
    hosts = []
    for name, host in cluster.hosts.items():
        if host["role"] not in roles:
            raise ArchitectureError(f"cluster.yaml: host {name}'s role "
                                    f"{host['role']} is not under roles")
        hosts.append({"name": name, "role": host["role"],
                      "address": str(host["address"]),
                      "public_address": str(host.get("public_address", "")),
                      "runs": [str(r) for r in roles[host["role"]]]})
    return {
        "networks": {n: {"cidr": str(networks[n]["cidr"]),
                         "interface": str(networks[n].get("interface", ""))}
                     for n in ADDRESS_KEYS},
        "vips": [{"name": n, "address": str(v["address"]),
                  "hostname": str(v.get("hostname", "")),
                  "network": str(v.get("network", "management"))}
                 for n, v in data["vips"].items()],
        "hosts": hosts,
    }


def alt_text(data: dict) -> str:
    """The figure in words, for who cannot see it."""
    parts = []
    for host in data["hosts"]:
        where = " and ".join(a for a in (host["address"],
                                         host["public_address"]) if a)
        parts.append(f"{host['name']} at {where} runs "
                     f"{', '.join(host['runs'])}")
    for vip in data["vips"]:
        parts.append(f"{vip['name']} VIP {vip['address']} on the "
                     f"{vip['network']} network")
    return "Reference architecture: " + "; ".join(parts) + "."


def _box_lines(host: dict, width: float) -> list[tuple[str, bool]]:
    """The lines of a host's box (text, bold), wrapped to width."""
    chars = max(int((width - 0.1) / CHAR), 8)
    lines = [(host["name"], True)]
    lines += [(t, False) for t in textwrap.wrap(
        "  ".join(a for a in (host["address"], host["public_address"])
                  if a), chars)]
    for item in host["runs"]:
        lines += [(t, False) for t in textwrap.wrap(item, chars)]
    return lines


def _row(hosts: list[dict]) -> tuple[float, list[list[tuple[str, bool]]]]:
    """Box width and each box's lines for one row of hosts."""
    width = (WIDTH - 2 * MARGIN - GAP * (len(hosts) - 1)) / max(len(hosts),
                                                                  1)
    return width, [_box_lines(h, width) for h in hosts]


def draw(data: dict, path: str, fmt: str) -> None:
    """Write the figure of data to path as fmt ('svg' or 'pdf')."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    # Hosts with a public address sit between the two networks, the
    # others below the management network.
    upper = [h for h in data["hosts"] if h["public_address"]]
    lower = [h for h in data["hosts"] if not h["public_address"]]
    rows = [(hosts, *_row(hosts)) for hosts in (upper, lower) if hosts]
    heights = [LINE * (max(len(b) for b in boxes) + 0.8)
               for _, _, boxes in rows]
    public_y = NETWORK / 2
    top = NETWORK if upper else 0.0
    management_y = top + (heights[0] + NETWORK / 2 if upper else
                          NETWORK / 2)
    height = management_y + NETWORK / 2 + (heights[-1] + 0.1 if lower
                                           else 0.0)
    rc = {**haguide_charts.rc_params(), "svg.fonttype": "none"}
    with matplotlib.rc_context(rc):
        figure = Figure(figsize=(WIDTH, height))
        ax = figure.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, WIDTH)
        ax.set_ylim(height, 0)
        ax.axis("off")
        lines = {"management": (management_y, MANAGEMENT_COLOUR)}
        if upper:
            lines["public"] = (public_y, PUBLIC_COLOUR)
        for name, (y, colour) in lines.items():
            network = data["networks"][name]
            ax.plot([MARGIN, WIDTH - MARGIN], [y, y], color=colour,
                    linewidth=2.5, solid_capstyle="butt")
            label = f"{name} {network['cidr']}"
            if network["interface"]:
                label += f" ({network['interface']})"
            # On white: the links of the hosts cross the label.
            ax.text(MARGIN, y - 0.06, label, fontsize=FONT, va="bottom",
                    color=colour, bbox={"boxstyle": "square,pad=0.1",
                                        "fc": "white", "ec": "none"})
            vips = [v for v in data["vips"] if v["network"] == name]
            for index, vip in enumerate(vips):
                text = f"{vip['name']} VIP {vip['address']}"
                if vip["hostname"]:
                    text += f" ({vip['hostname']})"
                ax.text(WIDTH - MARGIN - 2.2 * index, y, text,
                        fontsize=FONT, ha="right", va="center",
                        bbox={"boxstyle": "round,pad=0.3", "fc": VIP_COLOUR,
                              "ec": colour})
        for (hosts, width, boxes), box_height in zip(rows, heights,
                                                     strict=True):
            is_upper = hosts is upper
            y = top if is_upper else management_y + NETWORK / 2
            for index, box in enumerate(boxes):
                x = MARGIN + index * (width + GAP)
                middle = x + width / 2
                # Links to the networks the host has an address on.
                if is_upper:
                    ax.plot([middle, middle], [public_y, y],
                            color=PUBLIC_COLOUR, linewidth=1)
                    ax.plot([middle, middle], [y + box_height,
                                               management_y],
                            color=MANAGEMENT_COLOUR, linewidth=1)
                else:
                    ax.plot([middle, middle], [management_y, y],
                            color=MANAGEMENT_COLOUR, linewidth=1)
                ax.add_patch(FancyBboxPatch(
                    (x, y), width, box_height,
                    boxstyle="round,pad=0,rounding_size=0.05",
                    fc=HOST_COLOUR, ec=MANAGEMENT_COLOUR, linewidth=1))
                for line, (text, bold) in enumerate(box):
                    ax.text(middle, y + LINE * (line + 0.9), text,
                            fontsize=FONT + (1 if bold else 0),
                            fontweight="bold" if bold else "normal",
                            ha="center", va="center")
        haguide_charts.save(figure, path, fmt)


class ArchitectureFigure(SphinxDirective):
    """A figure of the reference architecture, from cluster.yaml."""

    option_spec: ClassVar[dict] = {
        "caption": directives.unchanged_required,
        "name": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        caption = self.options.get("caption", "").strip()
        examples_dir = self.config.confcheck_examples_dir
        try:
            if not caption:
                raise ArchitectureError("an architecture figure needs a "
                                        ":caption:")
            if not examples_dir:
                raise ArchitectureError("confcheck_examples_dir is not set")
            self.env.note_dependency(os.path.join(examples_dir,
                                                  CLUSTER_FILE))
            data = architecture(load_cluster(examples_dir))
        except (ArchitectureError, ClusterError) as exc:
            logger.warning(str(exc), location=self.get_location(),
                           type="haguide", subtype="architecture")
            return []
        picture = haguide_charts.drawing(
            kind="architecture", name="reference-architecture", data=data,
            alt=alt_text(data))
        return [haguide_charts.directive_figure(self, picture, caption,
                                                "haguide-architecture")]


def setup(app: Sphinx) -> dict:
    app.setup_extension("haguide_charts")
    app.add_directive("architecture-figure", ArchitectureFigure)
    haguide_charts.DRAWERS["architecture"] = draw
    return {"version": "1.0", "parallel_read_safe": True,
            "parallel_write_safe": True}
