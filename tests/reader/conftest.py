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
"""Builds the guide once per session (HTML and PDF) for the reader tests."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading

import pytest

import docs_stamp

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SOURCE = os.path.join(TOP, "doc", "source")
# tox -e docs's output, served when its stamp matches the inputs.
DOCS_HTML = os.path.join(TOP, "doc", "build", "html")
EXAMPLES = os.path.join(TOP, "doc", "examples")
ARTIFACTS = os.path.join(TOP, "tests", "artifacts")

# These builds test what a reader gets; the examples themselves are
# validated by tox -e docs and tests/examples in the same run, so the
# reader builds skip that (the includes still work).
NO_VALIDATION = ["-D", "confcheck_validate=0"]
# Bounds for every build step: a hung TeX run must fail the test, not CI.
SPHINX_TIMEOUT = 600
LATEX_TIMEOUT = 900


def require(binaries: list[str], package_hint: str) -> None:
    """Skip (locally) or fail (HAGUIDE_REQUIRE_DAEMONS=1) when missing."""
    missing = [b for b in binaries if shutil.which(b) is None]
    if not missing:
        return
    message = (f"missing {', '.join(missing)}: install them with "
               f"tools/test-setup.sh ({package_hint})")
    if os.environ.get("HAGUIDE_REQUIRE_DAEMONS") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _run(argv: list[str], timeout: int, cwd: str = TOP) -> None:
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                            errors="replace", timeout=timeout, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
        pytest.fail(f"{' '.join(argv)} failed ({result.returncode}):\n{tail}")


@pytest.fixture(scope="session")
def html_dir(tmp_path_factory) -> str:
    """The guide built as HTML, with warnings as errors, like tox -e docs.

    tox -e docs's own build when its stamp matches the inputs as they
    are (tools/docs_stamp.py): CI builds it minutes before the tests
    from the same files and distributions. Anything else (no build, an
    edited file, other versions) builds the guide here.
    """
    if docs_stamp.matches(DOCS_HTML):
        return DOCS_HTML
    out = str(tmp_path_factory.mktemp("html"))
    _run([sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-q",
          *NO_VALIDATION, "-b", "html", "-d", os.path.join(out, ".doctrees"),
          SOURCE, out],
         SPHINX_TIMEOUT)
    return out


@pytest.fixture(scope="session")
def pdf_build(tmp_path_factory) -> str:
    """Directory of the LaTeX build with the finished PDF in it."""
    require(["xelatex", "latexmk", "rsvg-convert", "pdftotext", "pdfinfo",
             "pdftoppm"], "profile pdf")
    out = str(tmp_path_factory.mktemp("pdf"))
    _run([sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-q",
          *NO_VALIDATION, "-b", "latex", SOURCE, out], SPHINX_TIMEOUT)
    _run(["make", "-C", out,
          "LATEXMKOPTS=-interaction=nonstopmode -halt-on-error"],
         LATEX_TIMEOUT)
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site and remembers every path it could not find."""

    missing: list[str]

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass

    def send_error(self, code, message=None, explain=None):
        if code == 404:
            self.server.missing.append(self.path)
        super().send_error(code, message, explain)


def html_pages(html_dir: str) -> list[str]:
    """Every page of the built guide, relative to its top directory."""
    pages = []
    for root, dirs, files in os.walk(html_dir):
        dirs[:] = [d for d in dirs if not d.startswith(("_", "."))]
        pages.extend(os.path.relpath(os.path.join(root, name), html_dir)
                     for name in files if name.endswith(".html"))
    return sorted(pages)


@pytest.fixture(scope="session")
def pages(html_dir) -> list[str]:
    return html_pages(html_dir)


@pytest.fixture(scope="session")
def site(html_dir):
    """(base URL, list of 404 paths) of the HTML guide served on loopback."""
    handler = functools.partial(_QuietHandler, directory=html_dir)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.missing = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.missing
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Headless Debian chromium through chromedriver (no downloads)."""
    require(["chromium", "chromedriver"], "profile test")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    profile = tmp_path_factory.mktemp("chromium-profile")
    # No sync, updates or background fetches: this machine is offline and
    # the tests must only ever talk to the loopback server.
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--window-size=1280,1024", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(
        options=options, service=Service(shutil.which("chromedriver")))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def artifacts_dir() -> str:
    os.makedirs(ARTIFACTS, exist_ok=True)
    return ARTIFACTS
