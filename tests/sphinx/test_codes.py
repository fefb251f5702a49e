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
"""The codes appendix: a table per kind, an anchor and a short example per
code in HTML, the tables alone in LaTeX."""

import pytest

import confcheck
from confcheck.sphinxext import tables


def test_an_excerpt_keeps_the_differing_lines_and_their_neighbours():
    bad = "a\nb\nc\nd\ne\nf\n"
    good = "a\nb\nc\nD\ne\nf\n"
    assert tables.excerpt(bad, good) == ("…\nc\nd\ne\n…", [3])


def test_lines_the_other_side_adds_are_located_not_emphasised():
    """A good example that only removes lines shows where they were,
    with nothing emphasised on its side."""
    bad = "a\nb\nx\nc\nd\n"
    good = "a\nb\nc\nd\n"
    assert tables.excerpt(bad, good) == ("…\nb\nx\nc\n…", [3])
    assert tables.excerpt(good, bad) == ("a\nb\nc\nd", [])


def test_identical_examples_are_shown_whole():
    assert tables.excerpt("a\nb\n", "a\nb\n") == ("a\nb", [])


def test_every_code_is_in_one_group():
    grouped = [c.code for _, codes in tables.code_groups() for c in codes]
    assert len(grouped) == len(set(grouped))
    assert set(grouped) >= {c.code for c in confcheck.all_codes()}


@pytest.mark.sphinx("html", testroot="clean")
def test_codes_have_tables_anchors_and_short_examples(app):
    app.build()
    html = (app.outdir / "tables.html").read_text(encoding="utf-8")
    groups = tables.code_groups()
    assert html.count('class="confcheck-codes') == len(groups)
    for _, codes in groups:
        for code in codes:
            anchor = tables.code_anchor(code.code)
            assert f'id="{anchor}"' in html
            assert f'href="#{anchor}"' in html
    assert tables.code_anchor("OSL004") == "osl004"
    # Each code's entry says why it matters.
    assert html.count("Why it matters:") == sum(map(len, (
        codes for _, codes in groups)))
    # Changed lines are emphasised by the highlighter.
    assert html.count('class="hll"') > 100


@pytest.mark.sphinx("latex", testroot="clean")
def test_pdf_keeps_only_the_code_tables(app):
    app.build()
    tex = next(app.outdir.glob("*.tex")).read_text(encoding="utf-8")
    assert "OSL004" in tex
    assert "Bad:" not in tex and "Good:" not in tex
