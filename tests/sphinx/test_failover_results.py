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
"""The failover-results and tested-versions directives."""

import json

import pytest

import haguide_results


@pytest.mark.sphinx("html", testroot="failover-results")
def test_results_rendered_from_the_json(app, warning):
    """Every figure, its bound and the command come from the JSON file.

    The root renders all scenarios, one by name, one unknown name (which
    must warn with the page's location) and the versions table.
    """
    app.build()
    html = (app.outdir / "index.html").read_text()
    assert html.count("exceptions reaching the caller") == 2
    assert "0 calls" in html and "exactly 0 calls" in html
    assert "0.1 s" in html
    assert "test_memcached_server_killed" in html
    assert "1.6.18-1+deb12u1" in html
    assert "2-core machine" in html
    messages = warning.getvalue()
    assert "index.rst:15" in messages
    assert "no scenario 'no-such-scenario'" in messages
    assert messages.count("WARNING") == 1


def test_publish_refuses_a_malformed_file(tmp_path):
    """publish copies a well-formed run, refuses malformed or failed ones."""
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    target = tmp_path / "out" / "failover-results.json"
    good.write_text(json.dumps({
        "date": "d", "machine": {}, "duration_s": 1, "versions": {},
        "scenarios": {}}))
    bad.write_text(json.dumps({"scenarios": {}}))
    assert haguide_results.main(["publish", str(good), str(target)]) == 0
    assert json.loads(target.read_text())["date"] == "d"
    assert haguide_results.main(["publish", str(bad), str(target)]) == 1
    failed = tmp_path / "failed.json"
    failed.write_text(json.dumps({
        "date": "d", "machine": {}, "duration_s": 1, "versions": {},
        "scenarios": {}, "failed_tests": ["test_x.py::test_y"]}))
    assert haguide_results.main(["publish", str(failed), str(target)]) == 1


def test_publish_refuses_a_partial_run(tmp_path):
    """A run lacking a published scenario would silently drop it."""
    scenario = {"title": "t", "description": "d", "command": "c",
                "figures": []}
    full, partial = tmp_path / "full.json", tmp_path / "partial.json"
    target = tmp_path / "failover-results.json"
    for path, names in ((full, ("a", "b")), (partial, ("a",))):
        path.write_text(json.dumps({
            "date": "d", "machine": {}, "duration_s": 1, "versions": {},
            "scenarios": {n: scenario for n in names}}))
    assert haguide_results.main(["publish", str(full), str(target)]) == 0
    assert haguide_results.main(["publish", str(partial), str(target)]) == 1
