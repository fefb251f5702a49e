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
import os
import re
import subprocess

import pytest

pytestmark = pytest.mark.reader

TOP = os.path.join(os.path.dirname(__file__), "..", "..")
HAPROXY_CFG = os.path.join(TOP, "doc", "examples", "controller", "etc",
                           "haproxy", "haproxy.cfg")
FIGURES = os.path.join(TOP, "doc", "source", "figures")

# A guide of this scope prints to a few hundred A4 pages; far fewer means
# chapters went missing, far more means something exploded (a file dumped
# character by character, a runaway table).
PAGES = range(40, 1000)
# Rendering resolution for the margin check, and how far into the right
# margin ink may reach before it counts as running off the page.
DPI = 30
EDGE_FRACTION = 0.04


def _tool(argv: list[str]) -> str:
    result = subprocess.run(argv, capture_output=True, text=True,
                            errors="replace", timeout=300, check=True)
    return result.stdout


@pytest.fixture(scope="module")
def pdf(pdf_build):
    # The build directory also holds the figures converted to PDF.
    path = os.path.join(pdf_build, "ha-guide.pdf")
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
    with open(os.path.join(pdf_build, "ha-guide.tex")) as fh:
        tex = fh.read()
    for svg in glob.glob(os.path.join(FIGURES, "*.svg")):
        stem = os.path.splitext(os.path.basename(svg))[0]
        assert re.search(r"includegraphics[^{]*\{\{?" + re.escape(stem), tex)
        assert glob.glob(os.path.join(pdf_build, stem + "*.pdf")), stem
    with open(os.path.join(pdf_build, "ha-guide.log"),
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
