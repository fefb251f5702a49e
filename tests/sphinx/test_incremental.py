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
"""Rebuilds read only the pages whose examples changed."""

import os
import time

import pytest


def touch(path) -> None:
    """Move the mtime clearly past the last read, whatever the clock."""
    future = time.time() + 10
    os.utime(path, (future, future))


@pytest.mark.sphinx("html", testroot="clean", srcdir="clean-touch")
def test_touching_an_example_rereads_only_its_pages(app, build_again):
    app.build()
    touch(app.srcdir / "examples/controller/etc/keepalived/keepalived.conf")
    _again, read = build_again()
    assert read == ["keepalived"]


@pytest.mark.sphinx("html", testroot="clean", srcdir="clean-nochange")
def test_no_change_rereads_nothing(app, build_again, confcheck_warnings):
    app.build()
    again, read = build_again()
    assert read == []
    assert confcheck_warnings(again.warning) == []


@pytest.mark.sphinx("html", testroot="clean", srcdir="clean-cluster")
def test_touching_cluster_yaml_rereads_its_readers(app, build_again):
    """Captions, tables and per-node lines all come from cluster.yaml."""
    app.build()
    touch(app.srcdir / "examples/cluster.yaml")
    _again, read = build_again()
    assert sorted(read) == ["galera", "haproxy", "keepalived", "pacemaker",
                            "tables"]


@pytest.mark.sphinx("html", testroot="warnings", srcdir="warnings-fix")
def test_fixing_an_example_clears_its_warning(app, build_again,
                                              confcheck_warnings):
    app.build()
    assert any("balanse" in w for w in confcheck_warnings(app.warning))
    cfg = app.srcdir / "examples/controller/etc/haproxy/haproxy.cfg"
    cfg.write_text(cfg.read_text().replace("balanse", "balance"))
    touch(cfg)
    again, read = build_again()
    assert sorted(read) == ["index", "other"]
    warnings = confcheck_warnings(again.warning)
    assert not any("balanse" in w for w in warnings)
    assert len(warnings) == 9


@pytest.mark.sphinx("html", testroot="warnings", srcdir="warnings-add")
def test_adding_a_missing_file_clears_its_warning(app, build_again,
                                                  confcheck_warnings):
    """A page naming a missing file is re-read until the file exists."""
    app.build()
    assert any("nothere.cfg" in w for w in confcheck_warnings(app.warning))
    _again, read = build_again()
    assert read == ["index"]
    cfg = app.srcdir / "examples/controller/etc/haproxy"
    (cfg / "nothere.cfg").write_text((cfg / "haproxy.cfg").read_text())
    again, read = build_again()
    assert read == ["index"]
    assert not any("no file 'controller/etc/haproxy/nothere.cfg'" in w
                   for w in confcheck_warnings(again.warning))
