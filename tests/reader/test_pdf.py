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
"""The PDF guide as a reader sees it: text, order of tabs, page margins."""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess

import pytest
from docutils import nodes

import confcheck
from confcheck.cluster import load_cluster, per_node_lines

pytestmark = pytest.mark.reader

TOP = os.path.join(os.path.dirname(__file__), "..", "..")
HAPROXY_CFG = os.path.join(TOP, "doc", "examples", "controller", "etc",
                           "haproxy", "haproxy.cfg")
FIGURES = os.path.join(TOP, "doc", "source", "figures")
EXAMPLES = os.path.join(TOP, "doc", "examples")
RESULTS = os.path.join(TOP, "doc", "source", "_data", "failover-results.json")
# The chapter whose scenarios must each have a chart.
FAILURE_TESTING = os.path.join(TOP, "doc", "source", "operations",
                               "failure-testing.rst")
# The name conf.py's latex_documents gives the book.
DOCUMENT = "doc-ha-guide"

# A guide of this scope prints to a few hundred A4 pages; far fewer means
# chapters went missing, far more means something exploded (a file dumped
# character by character, a runaway table).
PAGES = range(40, 1000)
# Rendering resolution for the margin check, and how far into the right
# margin ink may reach before it counts as running off the page.
DPI = 30
EDGE_FRACTION = 0.04
# PDF points per unit of a LaTeX length, for the margins in the .tex file.
UNITS = {"in": 72.0, "cm": 72 / 2.54, "mm": 72 / 25.4, "pt": 72 / 72.27,
         "bp": 1.0}
# How far past the text area a word may reach (rounding, italic overhang).
TEXT_AREA_SLACK = 1.5
# Characters after which the PDF may break an inline literal (conf.py's
# \sphinxbreaksafteractivelist) or a listing line.
BREAK_AFTER = frozenset(",;?!/")


def _tool(argv: list[str]) -> str:
    result = subprocess.run(argv, capture_output=True, text=True,
                            errors="replace", timeout=300, check=True)
    return result.stdout


@pytest.fixture(scope="module")
def pdf(pdf_build):
    # The build directory also holds the figures converted to PDF.
    path = os.path.join(pdf_build, f"{DOCUMENT}.pdf")
    assert os.path.isfile(path)
    return path


@pytest.fixture(scope="module")
def text(pdf) -> str:
    return _tool(["pdftotext", "-layout", pdf, "-"])


def _squash(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def test_page_count_is_sane(pdf):
    info = _tool(["pdfinfo", pdf])
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert pages in PAGES


def test_no_unresolved_references(text):
    assert "??" not in text


def test_table_of_contents_lists_the_parts(text):
    head = _squash(text[:20000])
    for title in ("Virtual IP addresses and load balancing",
                  "Stateful services", "Operations"):
        assert title in head


def test_haproxy_configuration_is_printed(text):
    """A distinctive line of the real haproxy.cfg appears in the PDF."""
    with open(HAPROXY_CFG) as fh:
        binds = [_squash(line) for line in fh
                 if line.strip().startswith("bind 10.0.0.11:5000")]
    assert binds, "haproxy.cfg has no keystone bind on the VIP"
    assert binds[0] in _squash(text)


def test_tab_label_is_followed_by_its_own_content(text):
    """Tabs print in order: a label, its commands, then the next label."""
    squashed = _squash(text)
    debian = squashed.find("Debian/Ubuntu")
    assert debian >= 0
    rhel = squashed.find("RHEL family", debian)
    assert rhel > debian
    between = squashed[debian:rhel]
    assert "apt" in between and "dnf" not in between


def test_figures_are_embedded(pdf_build):
    """Every SVG figure was converted and included by the LaTeX source."""
    with open(os.path.join(pdf_build, f"{DOCUMENT}.tex")) as fh:
        tex = fh.read()
    for svg in glob.glob(os.path.join(FIGURES, "*.svg")):
        stem = os.path.splitext(os.path.basename(svg))[0]
        assert re.search(r"includegraphics[^{]*\{\{?" + re.escape(stem), tex)
        assert glob.glob(os.path.join(pdf_build, stem + "*.pdf")), stem
    with open(os.path.join(pdf_build, f"{DOCUMENT}.log"),
              errors="replace") as fh:
        log = fh.read()
    assert not re.findall(r"File `[^']*' not found", log)


def test_nothing_runs_off_the_right_edge(pdf, tmp_path):
    """No page has ink in the outer strip of its right margin.

    Long configuration lines must wrap; a line that does not wrap runs into
    the margin and off the paper, which the rendered page shows as dark
    pixels at the right edge.
    """
    _tool(["pdftoppm", "-r", str(DPI), "-gray", pdf,
           str(tmp_path / "page")])
    offenders = []
    for page in sorted(tmp_path.glob("page-*.pgm")):
        width, height, pixels = _read_pgm(page.read_bytes())
        edge = int(width * (1 - EDGE_FRACTION))
        for row in range(height):
            start = row * width
            if min(pixels[start + edge:start + width]) < 128:
                offenders.append(page.name)
                break
    assert offenders == []


def _read_pgm(data: bytes) -> tuple[int, int, bytes]:
    """Parse a binary PGM (P5) image as written by pdftoppm -gray.

    Hand-written because the format is four whitespace-separated header
    fields and raw bytes; pulling in an imaging library for that would add
    a dependency to the test suite and nothing else.
    """
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", data)
    if header is None:
        raise ValueError("not an 8-bit binary PGM")
    width, height = int(header.group(1)), int(header.group(2))
    return width, height, data[header.end():header.end() + width * height]


def _margins(pdf_build) -> tuple[float, float]:
    """(left, right) margins in PDF points, as the .tex file sets them."""
    with open(os.path.join(pdf_build, f"{DOCUMENT}.tex")) as fh:
        tex = fh.read()
    found = re.search(r"hmargin=\{([\d.]+)(\w+),([\d.]+)(\w+)\}", tex)
    assert found, "no hmargin in the LaTeX preamble"
    left = float(found.group(1)) * UNITS[found.group(2)]
    right = float(found.group(3)) * UNITS[found.group(4)]
    return left, right


@pytest.fixture(scope="module")
def words(pdf) -> list[tuple[int, float, float, float, str]]:
    """(page, page width, xMin, xMax, word) of every word of the PDF."""
    xml = _tool(["pdftotext", "-bbox", pdf, "-"])
    found = []
    pages = re.split(r"<page ", xml)[1:]
    for number, page in enumerate(pages, 1):
        width = float(re.match(r'width="([\d.]+)"', page).group(1))
        for x_min, x_max, word in re.findall(
                r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" '
                r'yMax="[\d.]+">([^<]*)</word>', page):
            found.append((number, width, float(x_min), float(x_max), word))
    return found


def test_no_text_outside_the_text_area(pdf_build, words):
    """No word reaches into a side margin, not only past the paper edge.

    A table cell or listing that cannot wrap pushes its text into the
    margin long before it reaches the edge of the paper.
    """
    left, right = _margins(pdf_build)
    assert len(words) > 10_000
    outside = sorted({(page, word) for page, width, x_min, x_max, word
                      in words if x_max > width - right + TEXT_AREA_SLACK
                      or x_min < left - TEXT_AREA_SLACK})
    assert outside == []


def _identifiers() -> set[str]:
    """Words the reader types: every node's per-node lines and addresses."""
    cluster = load_cluster(EXAMPLES)
    found = set()
    for relpath in cluster.data["per_node"]:
        text = confcheck.read_text(os.path.join(EXAMPLES, relpath))
        for _, values in per_node_lines(cluster, relpath, text):
            for line in values.values():
                found.update(line.split())
    for host in cluster.hosts.values():
        found.add(host["address"])
    for vip in cluster.data["vips"].values():
        found.add(vip["address"])
    return {w for w in found if len(w) >= 6}


def test_identifiers_are_never_broken(pdf):
    """No identifier or address is hyphenated or split over two lines.

    A break is allowed only at a space or right after , ; ? ! / or a
    hyphen of the text (see conf.py); anywhere else the reader may type a
    hyphen that is not there, or miss half an address.
    """
    text = _tool(["pdftotext", pdf, "-"])
    lines = [line.strip() for line in text.splitlines()]
    joins = set()
    for this, after in zip(lines, lines[1:], strict=False):
        if not this or not after:
            continue
        last, first = this.split()[-1], after.split()[0]
        joins.add((last, first))
    identifiers = _identifiers()
    assert len(identifiers) > 20
    broken = []
    for last, first in joins:
        # As printed, and without the hyphen a font may have added.
        candidates = [(last + first, len(last))]
        if last.endswith("-"):
            candidates.append((last[:-1] + first, len(last) - 1))
        for joined, cut in candidates:
            for word in identifiers:
                start = joined.find(word)
                if (start >= 0 and start < cut < start + len(word)
                        and word not in last and word not in first
                        and joined[cut - 1] not in BREAK_AFTER):
                    broken.append(f"{last} | {first}")
    assert broken == []


def test_every_scenario_has_its_chart(pdf_build, text):
    """The book has a failover chart for every scenario the
    failure-testing chapter names, each included as a PDF file of the
    build; a scenario without a timeline prints the reason its test
    recorded instead."""
    with open(RESULTS, encoding="utf-8") as fh:
        published = json.load(fh)["scenarios"]
    with open(FAILURE_TESTING, encoding="utf-8") as fh:
        names = re.findall(r"^\s+:scenario:\s+(\S+)$", fh.read(), re.M)
    assert names
    scenarios = {name: published[name] for name in names}
    with open(os.path.join(pdf_build, f"{DOCUMENT}.tex")) as fh:
        tex = fh.read()
    drawn = {name: stem for stem, name in re.findall(
        r"\\sphinxincludegraphics\[[^]]*\]"
        r"\{\{(failover-(.+?)-[0-9a-f]{12})\}", tex)}
    # Only the lead-in: the PDF's text may hyphenate the reason.
    for name, scenario in scenarios.items():
        if scenario.get("no_timeline"):
            assert name not in drawn
            assert "No chart: " in _squash(text)
            continue
        assert scenario.get("timelines"), f"{name}: no timeline recorded"
        stem = drawn.get(nodes.make_id(name))
        assert stem, f"{name}: no chart in the book"
        assert os.path.isfile(os.path.join(pdf_build, stem + ".pdf"))


def test_appendices_are_lettered(text):
    """Each page of the Appendices toctree is a lettered chapter, in the
    table of contents and at its own start."""
    appendix = os.path.join(TOP, "doc", "source", "appendix")
    with open(os.path.join(appendix, "index.rst"), encoding="utf-8") as fh:
        pages = re.findall(r"^   (\S+)$", fh.read(), re.M)
    titles = []
    for page in pages:
        with open(os.path.join(appendix, f"{page}.rst"),
                  encoding="utf-8") as fh:
            titles.append(re.search(r"^=+\n(.+)\n=+$", fh.read(),
                                    re.M).group(1))
    squashed = _squash(text)
    for letter, title in zip("ABCDEFGHIJ", titles, strict=False):
        assert f"Appendix {letter}" in squashed, (letter, title)
        assert f"{letter} {title}" in squashed, (letter, title)
    assert f"Appendix {'ABCDEFGHIJ'[len(titles)]}" not in squashed


def test_listing_numbers_run_through_the_book(text):
    numbers = [int(n) for n in re.findall(r"Listing (\d+):", text)]
    assert numbers, "no numbered listing"
    assert len(numbers) == len(set(numbers))


def test_licence_and_files_address_come_first(text):
    """The back of the title page states the licence, the source and where
    to download every node's files."""
    head = _squash(text[:6000])
    assert "Creative Commons Attribution 3.0" in head
    assert "Apache License" in head
    assert "_downloads/examples/" in head
