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
"""A broken cluster.yaml is one located warning, never a traceback."""

import re

import pytest


@pytest.mark.sphinx("html", testroot="badcluster")
def test_broken_cluster_yaml(app, confcheck_warnings, other_warnings):
    app.build()
    lines = confcheck_warnings(app.warning)
    assert len(lines) == 2, lines
    assert any(re.search(r"examples/cluster\.yaml:6: WARNING: not valid "
                         r"YAML: .*\[confcheck\.TRE001\]$", line)
               for line in lines)
    assert any(re.search(r"index\.rst:8: WARNING: cannot read cluster\.yaml"
                         r".*\[confcheck\.service-table\]$", line)
               for line in lines)
    assert other_warnings(app.warning) == []


@pytest.mark.sphinx("html", testroot="badcluster")
def test_include_works_without_cluster_yaml(app):
    """The caption then has the path on the node but no node name."""
    app.build()
    html = (app.outdir / "index.html").read_text()
    assert '<span class="caption-text">/etc/haproxy/haproxy.cfg</span>' \
        in html


@pytest.mark.sphinx("html", testroot="badcluster",
                    confoverrides={"confcheck_examples_dir": ""})
def test_examples_dir_not_set(app, confcheck_warnings):
    app.build()
    lines = confcheck_warnings(app.warning)
    assert len(lines) == 2, lines
    assert all("confcheck_examples_dir is not set in conf.py" in line
               for line in lines)
