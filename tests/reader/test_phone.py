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
"""Every page on a phone: the chapter comes first and nothing pans."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.reader

# A common phone's viewport in CSS pixels.
PHONE = (390, 844)

MEASURE = """
const title = document.querySelector(".docs-title h1");
const box = title ? title.getBoundingClientRect() : null;
const root = document.documentElement;
const wide = [...document.querySelectorAll(".docs-body *")]
  .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1
               && !e.closest("table, pre, .highlight"))
  .slice(0, 3).map(e => e.tagName + "." + e.className);
return {scroll: root.scrollWidth, width: root.clientWidth,
        height: window.innerHeight, title: box && box.bottom,
        wide: wide};
"""


@pytest.fixture(scope="module")
def phone(site, pages, browser):
    """{page: measurements} with the browser at a phone's size."""
    base, _ = site
    size = browser.get_window_size()
    browser.set_window_size(*PHONE)
    try:
        found = {}
        for page in pages:
            browser.get(f"{base}/{page}")
            browser.execute_script("window.scrollTo(0, 0)")
            found[page] = browser.execute_script(MEASURE)
    finally:
        browser.set_window_size(size["width"], size["height"])
    return found


def test_the_viewport_is_a_phone(phone):
    widths = {m["width"] for m in phone.values()}
    assert max(widths) <= PHONE[0], widths


def test_no_page_scrolls_sideways(phone):
    """Wide tables and listings scroll inside their own box; the page,
    and so the prose around them, never pans."""
    wide = {page: (m["scroll"], m["wide"]) for page, m in phone.items()
            if m["scroll"] > m["width"]}
    assert wide == {}


def test_each_chapter_title_is_on_the_first_screen(phone):
    """Content first: the navigation follows the chapter on a phone."""
    late = {page: m["title"] for page, m in phone.items()
            if m["title"] is None or m["title"] > m["height"]}
    assert late == {}
