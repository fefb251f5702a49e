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
"""Each problem of the warnings root is reported once, at its file:line.

The root has one section per problem (tests/roots/test-warnings/index.rst)
and an example tree with checker and tree problems; the whole confcheck
warning stream must be exactly the expected lines, on every build.
"""

import re

import pytest

# (location suffix, code, what the message says).
EXPECTED = [
    (r"index\.rst:19", "include",
     r"no file 'controller/etc/haproxy/nothere\.cfg'"),
    (r"index\.rst:24", "include", r"'\.\./conf\.py' is outside the example"),
    (r"index\.rst:29", "include", r"no section 'listen glance_api'; the "
                                  r"file has: 'global', 'defaults'"),
    (r"index\.rst:35", "include", r"cannot be combined with :lines:"),
    (r"index\.rst:48", "inline-config",
     r"'ini' block with an ini section header: put the file in "
     r"doc/examples/"),
    (r"index\.rst:58", "inline-config",
     r"literal block with a HAProxy section"),
    (r"examples/cluster\.yaml:10", "TRE007",
     r"'bind \{address\}:1984' .* matches 0 lines"),
    (r"examples/controller/etc/haproxy/haproxy\.cfg:24", r"HAP\d{3}",
     r"'balanse'.*\(error; shown in index, other\)"),
    (r"examples/controller/etc/haproxy/haproxy\.cfg:27", "TRE004",
     r"listed twice: controller1"),
    (r"examples/controller/etc/mysql/unused\.cnf:0", "TRE008",
     r"no page includes this file"),
]


def pattern(location: str, code: str, message: str) -> re.Pattern:
    return re.compile(rf"{location}: WARNING: .*{message}.* "
                      rf"\[confcheck\.{code}\]$")


def assert_expected(lines: list[str]) -> None:
    """Each expected warning exactly once, and nothing else."""
    assert len(lines) == len(EXPECTED), "\n".join(lines)
    for expected in EXPECTED:
        found = [line for line in lines if pattern(*expected).search(line)]
        assert len(found) == 1, (expected, lines)


def normalised(lines: list[str], srcdir) -> list[str]:
    return [line.replace(str(srcdir), "SRC") for line in lines]


@pytest.mark.parametrize("expected", EXPECTED, ids=[e[1] + ":" + e[0]
                                                    for e in EXPECTED])
@pytest.mark.sphinx("html", testroot="warnings")
def test_warning_at_its_line(app, expected, confcheck_warnings):
    app.build()
    lines = confcheck_warnings(app.warning)
    assert [line for line in lines if pattern(*expected).search(line)]


@pytest.mark.sphinx("html", testroot="warnings")
def test_whole_stream(app, confcheck_warnings):
    """Nothing else from confcheck; each finding once, though the file
    is included three times on two pages."""
    app.build()
    assert_expected(confcheck_warnings(app.warning))


@pytest.mark.sphinx("html", testroot="warnings", freshenv=True)
def test_literalinclude_errors_stay_located(app, other_warnings):
    """Options LiteralInclude rejects give its own warning at the line
    (a Sphinx read-time warning: only a fresh environment shows it)."""
    app.build()
    others = other_warnings(app.warning)
    assert len(others) == 1
    assert re.search(r"index\.rst:42: WARNING: start-after pattern not "
                     r"found: no such marker", others[0])


@pytest.mark.sphinx("html", testroot="warnings", srcdir="warnings-rebuild")
def test_rebuild_without_changes_reports_again(app, build_again,
                                               confcheck_warnings):
    """Sphinx prints read-time warnings only for pages it reads again; the
    extension re-emits its own so an unchanged wrong example still fails
    an incremental -W build."""
    app.build()
    first = confcheck_warnings(app.warning)
    again, read = build_again()
    # index names a missing file, so Sphinx reads it again; other.rst is
    # not read, yet the finding it shows is still reported.
    assert read == ["index"]
    assert confcheck_warnings(again.warning) == first
    assert_expected(first)


@pytest.mark.sphinx("html", testroot="warnings", srcdir="warnings-serial")
def test_serial_reference(app, confcheck_warnings):
    app.build()
    assert_expected(confcheck_warnings(app.warning))


@pytest.mark.sphinx("html", testroot="warnings", srcdir="warnings-parallel",
                    parallel=2)
def test_parallel_build_same_warnings(app, confcheck_warnings):
    """Two readers fill separate environments that env-merge-info joins."""
    app.build()
    lines = confcheck_warnings(app.warning)
    assert_expected(normalised(lines, app.srcdir))


@pytest.mark.sphinx("latex", testroot="warnings")
def test_latex_same_warnings(app, confcheck_warnings):
    app.build()
    assert_expected(confcheck_warnings(app.warning))


@pytest.mark.sphinx("html", testroot="warnings",
                    confoverrides={"confcheck_validate": False})
def test_validation_off(app, confcheck_warnings):
    """Without validation only the page's own problems remain; the
    examples are still shown."""
    app.build()
    codes = {re.search(r"\[confcheck\.([\w-]+)\]", line)[1]
             for line in confcheck_warnings(app.warning)}
    assert codes == {"include", "inline-config"}
    html = (app.outdir / "other.html").read_text()
    assert "keystone_api" in re.sub(r"<[^>]+>", "", html)
    assert "_downloads/" in html
