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
"""The lab network itself: isolated from the host, gone after close."""

from __future__ import annotations

import pytest

from harness import labroot, netns, proc, requirements

pytestmark = pytest.mark.functional


def _root_links() -> set[str]:
    out = proc.run(["ip", "-o", "link", "show"]).stdout
    return {line.split(":")[1].strip() for line in out.splitlines()}


def _namespaces() -> set[str]:
    out = proc.run(["ip", "netns", "list"]).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def test_lab_is_isolated_and_removed(daemons):
    """Nodes reach each other over the bridge; the host sees none of it.

    The network rule says the 10.0.0.x addresses may exist only inside
    namespaces the test creates and deletes, so this checks exactly that:
    no new link in the root namespace while the lab runs, no namespace
    left afterwards, and each node has its own hostname and PID 1.
    """
    requirements.require(binaries=("ip", "unshare", "nsenter", "ping"),
                         root_binaries=("hostname", "ps"))
    links, spaces = _root_links(), _namespaces()
    lab = netns.Lab("ht", daemons)
    try:
        lab.setup({"controller1": {"eth0": "10.0.0.12"},
                   "controller2": {"eth0": "10.0.0.13"}})
        assert _root_links() == links
        ping = proc.run(lab.exec_argv("controller1", [
            "ping", "-c", "1", "-W", "2", "10.0.0.13"]), check=False)
        assert ping.returncode == 0, ping.stdout
        lab.boot("controller1", "controller1")
        assert lab.run_in("controller1", ["hostname"]).stdout.strip() == (
            "controller1")
        # The node runs from the Debian 13 lab root, the host's file
        # system stays reachable for host=True programs.
        debian = lab.run_in("controller1", ["cat", "/etc/debian_version"])
        assert debian.stdout.strip() == labroot.debian_version()
        assert debian.stdout.split(".")[0] == "13", debian.stdout
        assert lab.run_in("controller1", ["test", "-d", str(labroot.path())],
                          host=True, check=False).returncode == 0
        pids = lab.run_in("controller1", ["ps", "-e", "-o", "pid="]).stdout
        # Only PID 1 (the node's init), its sleep, and ps itself.
        assert len(pids.split()) <= 4 and "1" in pids.split()
    finally:
        daemons.stop_all()
        lab.close()
    assert _namespaces() == spaces
