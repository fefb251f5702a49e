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
"""Publishing the example tree: only regular files, never a wait."""

import os
import shutil
import threading

from confcheck.cluster import load_cluster
from confcheck.sphinxext import downloads

# Generous for a loaded machine: writing the clean root's tree takes
# milliseconds, a FIFO would block it for ever.
BOUND_S = 60


def test_a_fifo_in_the_tree_is_not_published_and_does_not_hang(
        rootdir, tmp_path):
    """Opening a FIFO waits for a writer: the build-finished step that
    publishes the tree hung every HTML build with one in the tree."""
    examples = tmp_path / "examples"
    shutil.copytree(rootdir / "test-clean" / "examples", examples)
    os.mkfifo(examples / "controller" / "etc" / "haproxy" / "stray.cfg")
    out = tmp_path / "html"
    written = []
    worker = threading.Thread(target=lambda: written.append(
        downloads.write_tree(load_cluster(str(examples)), str(out))),
        daemon=True)
    worker.start()
    worker.join(BOUND_S)
    assert not worker.is_alive(), f"still writing after {BOUND_S} s"
    published = {os.path.relpath(os.path.join(top, name), out)
                 for top, _, names in os.walk(out) for name in names}
    top = downloads.DOWNLOADS
    assert f"{top}/controller1/etc/haproxy/haproxy.cfg" in published
    assert not [path for path in published if "stray" in path]
    assert written[0] > 0
