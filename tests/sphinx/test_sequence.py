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
"""The sequence-diagram directive: parsed steps, drawings, warnings."""

import re

import pytest

import haguide_sequence


def test_each_form_of_step_is_read():
    data = haguide_sequence.parse([
        "a (x) -> b: hello", "b --> a (x): answer", "c: a note",
        "b x: fails", ""])
    assert data["participants"] == ["a (x)", "b", "c"]
    assert data["steps"] == [("message", "a (x)", "b", "hello"),
                             ("answer", "b", "a (x)", "answer"),
                             ("note", "c", "", "a note"),
                             ("fail", "b", "", "fails")]


@pytest.mark.parametrize("lines", [["a => b hello"], ["no colon"], []])
def test_a_line_of_no_known_form_is_refused(lines):
    with pytest.raises(haguide_sequence.SequenceError):
        haguide_sequence.parse(lines)


@pytest.mark.sphinx("html", testroot="sequence-diagram")
def test_diagram_drawn_and_bad_ones_reported(app, warning):
    """The good diagram is an SVG with every participant and step text;
    each bad one is a warning at its directive, and draws nothing."""
    app.build()
    svgs = list((app.outdir / "_images").glob("*.svg"))
    assert len(svgs) == 1
    drawn = set(re.findall(r"<!-- (.*?) -->", svgs[0].read_text()))
    assert {"controller1", "controller2", "clients", "advertisement",
            "keepalived fails", "takes over", "gratuitous ARP"} <= drawn
    html = (app.outdir / "index.html").read_text()
    assert "The VIP moves" in html and "Broken" not in html
    messages = warning.getvalue()
    assert re.search(r"index\.rst:\d+: WARNING: step 1: 'controller1 => "
                     r"controller2 advertisement' is not", messages)
    assert "needs a :caption:" in messages
    assert messages.count("WARNING") == 2


@pytest.mark.sphinx("latex", testroot="sequence-diagram")
def test_diagram_is_a_pdf_in_latex(app):
    app.build()
    pdfs = list(app.outdir.glob("*.pdf"))
    assert len(pdfs) == 1 and pdfs[0].read_bytes().startswith(b"%PDF")
    tex = next(app.outdir.glob("*.tex")).read_text()
    assert pdfs[0].stem in tex
