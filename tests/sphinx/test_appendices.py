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
"""The book's appendices: chapters after LaTeX's \\appendix."""

import re

import pytest


@pytest.mark.sphinx("latex", testroot="appendices")
def test_appendices_are_chapters_after_appendix(app, warning):
    """Each page of the appendix toctree is a chapter after \\appendix;
    the "Appendices" page is no chapter of its own, and its labels, each
    once, point to where the appendices start."""
    app.build()
    tex = (app.outdir / "book.tex").read_text()
    headings = re.findall(r"^\\(appendix|chapter|section)\b(?:\{(.*)\})?",
                          tex, re.M)
    assert headings == [("chapter", "Chapter"), ("appendix", ""),
                        ("chapter", "First appendix"),
                        ("section", "Part of it"),
                        ("chapter", "Second appendix")]
    start = tex.index("\\appendix\n")
    for label in ("appendix/index:appendices", "appendix/index::doc"):
        written = rf"\label{{\detokenize{{{label}}}}}"
        assert tex.count(written) == 1, label
        assert start < tex.index(written) < tex.index(r"\chapter{First")
    assert "WARNING" not in warning.getvalue()


@pytest.mark.sphinx("html", testroot="appendices")
def test_html_keeps_the_appendices_page(app):
    app.build()
    page = (app.outdir / "appendix" / "index.html").read_text()
    assert "What the appendices hold." in page
