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
"""The HTML guide as a reader's browser sees it: pages, tabs, downloads."""

from __future__ import annotations

import io
import json
import os
import tarfile
import re
import time
import urllib.parse
import urllib.request

import pytest
from docutils import nodes

import confcheck
from confcheck.cluster import derive_node_file, load_cluster, per_node_lines
from confcheck.layout import path_on_node, role_of, tree_files, variant_of
from confcheck.sphinxext import downloads

pytestmark = pytest.mark.reader

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "doc",
                        "examples")
RESULTS = os.path.join(os.path.dirname(__file__), "..", "..", "doc",
                       "source", "_data", "failover-results.json")

# The chapter whose scenarios must each have a chart.
FAILURE_TESTING = os.path.join(os.path.dirname(__file__), "..", "..",
                               "doc", "source", "operations",
                               "failure-testing.rst")
# Bound for every in-page wait (search index, tab scripts).
WAIT_SECONDS = 20


def _wait_for(predicate, what: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {WAIT_SECONDS} s waiting for {what}")


def _severe(browser) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser")
            if entry["level"] == "SEVERE"]


def test_every_page_loads_without_errors(site, pages, browser):
    """Every page loads with no JavaScript error and no missing resource.

    The loopback server records each 404, so a stylesheet, script, image or
    download that a page refers to but the build did not write shows up
    here even when the browser swallows it.
    """
    base, missing = site
    assert len(pages) > 30, pages
    problems = []
    for page in pages:
        browser.get(f"{base}/{page}")
        problems.extend(f"{page}: {msg}" for msg in _severe(browser))
    assert problems == []
    assert missing == []


def test_tab_choice_carries_across_pages(site, browser):
    """A distribution picked on one page is the one shown on the next."""
    from selenium.webdriver.common.by import By

    base, _ = site
    browser.get(f"{base}/load-balancing/haproxy.html")
    tab = _wait_for(lambda: [
        t for t in browser.find_elements(By.CSS_SELECTOR, ".sphinx-tabs-tab")
        if t.text.strip() == "RHEL family"], "the RHEL family tab")[0]
    tab.click()
    assert tab.get_attribute("aria-selected") == "true"

    browser.get(f"{base}/stateful/galera.html")

    def selected():
        tabs = browser.find_elements(
            By.CSS_SELECTOR, ".sphinx-tabs-tab[aria-selected='true']")
        return [t.text.strip() for t in tabs]

    assert "RHEL family" in _wait_for(selected, "a selected tab")
    panel = browser.find_element(
        By.XPATH, "//*[contains(@class,'sphinx-tabs-panel')"
                  " and not(@hidden)]")
    assert "dnf" in panel.text


def test_download_link_returns_the_exact_example(site, browser):
    """The first download under an included file serves that file byte
    for byte, at an address that does not change with its content."""
    from selenium.webdriver.common.by import By

    base, _ = site
    browser.get(f"{base}/load-balancing/haproxy.html")
    links = [a.get_attribute("href") for a in
             browser.find_elements(By.CSS_SELECTOR, "a.confcheck-file")]
    stable = f"{base}/_downloads/examples/controller1/etc/haproxy/haproxy.cfg"
    assert stable in links, links
    with urllib.request.urlopen(stable, timeout=10) as response:
        served = response.read()
    path = os.path.join(EXAMPLES, "controller", "etc", "haproxy",
                        "haproxy.cfg")
    with open(path, "rb") as fh:
        assert served == fh.read()


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def test_every_node_gets_its_own_files(site, browser):
    """Each file with per-node lines is served for each controller, with
    that controller's lines, and each page links every node's version."""
    from selenium.webdriver.common.by import By

    base, _ = site
    cluster = load_cluster(EXAMPLES)
    controllers = cluster.nodes("controller")
    assert len(controllers) >= 3
    checked = 0
    for relpath in sorted(cluster.data["per_node"]):
        if not cluster.templates(relpath):
            continue
        text = confcheck.read_text(os.path.join(EXAMPLES, relpath))
        for node, path in downloads.node_files(cluster, relpath):
            served = _fetch(f"{base}/_downloads/examples/{path}").decode()
            assert served == derive_node_file(cluster, relpath, node)
            for _, values in per_node_lines(cluster, relpath, text):
                assert values[node] in served
            checked += 1
    assert checked >= 3 * 10
    browser.get(f"{base}/stateful/rabbitmq.html")
    links = {a.get_attribute("href") for a in
             browser.find_elements(By.CSS_SELECTOR, "a.confcheck-file")}
    for node in controllers:
        assert (f"{base}/_downloads/examples/{node}/etc/rabbitmq/"
                f"rabbitmq.conf") in links


def test_each_node_has_an_archive_of_its_tree(site):
    """<node>.tar.gz holds every file of the node's role, as on the node."""
    base, _ = site
    cluster = load_cluster(EXAMPLES)
    for node in cluster.nodes("controller") + cluster.nodes("network"):
        data = _fetch(f"{base}/_downloads/examples/{node}.tar.gz")
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            members = {m.name: archive.extractfile(m).read()
                       for m in archive.getmembers() if m.isfile()}
        role = cluster.hosts[node]["role"]
        wanted = [rel for rel in tree_files(EXAMPLES)
                  if role_of(rel) == role and not variant_of(rel)]
        assert wanted
        for rel in wanted:
            name = f"{node}{path_on_node(rel)}"
            assert members[name] == downloads.file_bytes(
                cluster, rel, node, node == cluster.nodes(role)[0])


def test_failure_testing_has_a_chart_per_scenario(site, browser):
    """Every scenario the failure-testing chapter names is there with its
    chart, and the drawing loads; a scenario without one says why (the
    reason its test recorded), and only such a scenario."""
    base, _ = site
    with open(RESULTS, encoding="utf-8") as fh:
        published = json.load(fh)["scenarios"]
    with open(FAILURE_TESTING, encoding="utf-8") as fh:
        names = re.findall(r"^\s+:scenario:\s+(\S+)$", fh.read(), re.M)
    assert names
    scenarios = {name: published[name] for name in names}
    browser.get(f"{base}/operations/failure-testing.html")
    # id -> [chart file, its natural width] or the no-chart text.
    shown = browser.execute_script(
        "const found = {};"
        "for (const e of document.querySelectorAll('.haguide-scenario')) {"
        "  const img = e.querySelector('img.haguide-chart');"
        "  const why = e.querySelector('.haguide-no-chart');"
        "  found[e.id] = img ? [img.src.split('/').pop(), img.naturalWidth]"
        "    : (why ? why.textContent : null);"
        "}"
        "return found;")
    for name, scenario in scenarios.items():
        found = shown.get(nodes.make_id(f"failover-results-{name}"), "gone")
        if scenario.get("no_timeline"):
            # Sphinx sets apostrophes as typographic ones.
            assert found.replace("\u2019", "'") == (
                f"No chart: {scenario['no_timeline']}"), name
            continue
        assert scenario.get("timelines"), f"{name}: no timeline recorded"
        assert isinstance(found, list), (name, found)
        assert found[0].startswith(f"failover-{name}-"), (name, found)
        assert found[1] > 100, (name, found)


def test_search_finds_the_haproxy_chapter(site, browser):
    from selenium.webdriver.common.by import By

    base, _ = site
    browser.get(f"{base}/search.html?q=haproxy")

    def hits():
        return [a.get_attribute("href") for a in browser.find_elements(
            By.CSS_SELECTOR, "#search-results a")]

    found = _wait_for(lambda: [h for h in hits()
                               if "load-balancing/haproxy.html" in h],
                      "the HAProxy chapter in the search results")
    assert found


def test_search_puts_the_explaining_chapter_first(site, browser):
    """An option the guide sets in many files is explained in one chapter;
    its index entry makes that chapter the first result."""
    from selenium.webdriver.common.by import By

    base, _ = site
    browser.get(f"{base}/search.html?q=rabbit_quorum_queue")

    def hits():
        return [a.get_attribute("href") for a in browser.find_elements(
            By.CSS_SELECTOR, "#search-results li > a")]

    found = _wait_for(hits, "search results for rabbit_quorum_queue")
    assert "stateful/rabbitmq.html" in found[0], found[:3]


def test_every_page_links_the_pdf(site, browser):
    """The theme's PDF icon points at the book the PDF build publishes
    beside the HTML (doc-ha-guide.pdf, conf.py's latex_documents)."""
    from selenium.webdriver.common.by import By

    base, _ = site
    for page in ("index.html", "stateful/galera.html"):
        browser.get(f"{base}/{page}")
        link = _wait_for(lambda: [
            a.get_attribute("href") for a in
            browser.find_elements(By.ID, "pdfLink1")
            if (a.get_attribute("href") or "").endswith(".pdf")],
            "the PDF link")[0]
        # The theme writes host + "/" + path, dropping the port and
        # doubling the slash; the book sits beside the top page.
        parts = urllib.parse.urlsplit(link)
        assert parts.hostname == "127.0.0.1"
        assert re.sub("/+", "/", parts.path) == "/doc-ha-guide.pdf"


def test_index_lists_settings_and_files(html_dir):
    """The index has the options the chapters explain and the files they
    include, each linking the page that shows it."""
    with open(os.path.join(html_dir, "genindex.html"),
              encoding="utf-8") as fh:
        index = fh.read()
    assert ('href="stateful/rabbitmq.html#setting-rabbit-quorum-queue"'
            in index)
    assert "/etc/nova/nova.conf" in index
    assert index.count("#setting-") > 50
    assert index.count("#file-") > 100


@pytest.mark.parametrize("page", ["index.html",
                                  "load-balancing/haproxy.html"])
def test_screenshot(site, browser, artifacts_dir, page):
    """Screenshots for a human to look at; the PNG must not be blank."""
    base, _ = site
    browser.get(f"{base}/{page}")
    target = os.path.join(artifacts_dir,
                          page.replace("/", "-").replace(".html", ".png"))
    assert browser.save_screenshot(target)
    assert os.path.getsize(target) > 10_000


def test_example_tree_links_every_file_it_names(site, browser):
    """Each tree path the appendix names is a link that serves the file,
    and each node's archive is linked."""
    from selenium.webdriver.common.by import By

    base, _ = site
    browser.get(f"{base}/appendix/example-tree.html")
    files = set(tree_files(EXAMPLES))
    unlinked = browser.execute_script(
        "return [...document.querySelectorAll('.docs-body code')]"
        ".filter(c => !c.closest('a')).map(c => c.textContent);")
    assert [name for name in unlinked if name in files] == []
    links = {a.get_attribute("href") for a in browser.find_elements(
        By.CSS_SELECTOR, "a.confcheck-file")}
    assert len(links) > 30
    for link in sorted(links):
        assert _fetch(link), link
    cluster = load_cluster(EXAMPLES)
    for node in cluster.nodes("controller") + cluster.nodes("network"):
        assert f"{base}/_downloads/examples/{node}.tar.gz" in links


def test_no_heading_is_a_link(html_dir, pages):
    """Local tables of contents add no back-links to the headings."""
    linked = []
    for page in pages:
        with open(os.path.join(html_dir, page), encoding="utf-8") as fh:
            if "toc-backref" in fh.read():
                linked.append(page)
    assert linked == []


def test_navigation_stays_in_view_on_a_long_chapter(site, browser):
    """On a wide screen the sidebar (with Page Contents) follows the
    reader down a long chapter instead of scrolling away."""
    base, _ = site
    browser.get(f"{base}/stateful/galera.html")
    box = browser.execute_script("""
      window.scrollTo({top: document.documentElement.scrollHeight / 2,
                       behavior: "instant"});
      const r = document.querySelector('.docs-sidebar')
                        .getBoundingClientRect();
      return [r.top, r.bottom, window.innerHeight, window.scrollY];""")
    top, bottom, height, scrolled = box
    assert scrolled > 2 * height, "the chapter is not long enough"
    assert 0 <= top < height and bottom > 0
