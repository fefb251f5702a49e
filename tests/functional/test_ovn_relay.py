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
"""OVN: southbound relays keep serving reads while the SB leader dies."""

from __future__ import annotations

import subprocess
import time

import pytest

from harness import ovn, proc, requirements, results, tree

pytestmark = pytest.mark.functional

READ_INTERVAL = 0.1
# Reads before the kill, and how long the loop runs after it.
READS_BEFORE = 10
AFTER_KILL = 10.0
# Generous on a loaded 2-core machine; OVN's default election timer is 1 s.
ELECTION_BOUND = 15.0
PROPAGATION_BOUND = 20.0
SB_PIDFILE = "/var/run/ovn/ovnsb_db.pid"


@pytest.fixture(scope="module")
def central(workdir, daemons):
    """The SB/NB clusters and a relay on each controller, from the tree."""
    requirements.require(binaries=("ip", "unshare", "nsenter"))
    requirements.require(root_binaries=(ovn.OVN_CTL, "ovsdb-server",
                                        "ovn-sbctl"))
    lab = ovn.OvnLab(workdir, daemons)
    try:
        lab.prepare()
        lab.formed = lab.start_databases()
        for node in tree.CONTROLLERS:
            lab.start_relay(node)
        yield lab
    finally:
        lab.close()


def relay_sbctl(central, node: str, db: str, *args: str):
    # A relay is no RAFT member, so it never claims to be the leader that
    # ovn-sbctl looks for by default; ovn-controller does not ask.
    return central.lab.run_in(node, [
        "ovn-sbctl", "--timeout=5", "--no-leader-only", f"--db={db}",
        *args], timeout=15)


def chassis_names(central, node: str, db: str) -> set[str]:
    done = relay_sbctl(central, node, db, "--bare", "--columns=name",
                       "list", "Chassis")
    return set(done.stdout.split())


def serves(central, node: str, db: str, name: str) -> bool:
    """Whether db lists chassis name; False while it cannot be reached."""
    try:
        return name in chassis_names(central, node, db)
    except AssertionError:
        return False


def test_sb_relay_reads_across_leader_kill(central, measurements):
    """Kill the southbound leader's server under reads through the relays.

    A relay (``ovn-ctl run_sb_relay_ovsdb`` with the tree's
    /etc/default/ovn-sb-relay) runs on each controller. A reader lists
    the Chassis table through the three relays every 0.1 s, as an
    ovn-controller configured with the relays would read; the
    ovsdb-server of the SB leader is killed with SIGKILL. Afterwards a
    chassis written to the cluster must show through every relay,
    including the one beside the killed server.
    """
    result = measurements.scenario(
        "ovn-relay", title="OVN: southbound relays, SB leader killed",
        description=(
            "A southbound relay on each controller from "
            "/etc/default/ovn-sb-relay; ovn-sbctl reads the Chassis table "
            "through the relays every 0.1 s while the ovsdb-server of the "
            "southbound RAFT leader is killed, then a chassis added to "
            "the cluster is read back through each relay."),
        test="test_sb_relay_reads_across_leader_kill")
    result.loads(ovn.OVN_CENTRAL, ovn.OVN_SB_RELAY)
    relays = central.relays()
    central.sbctl("controller1", "chassis-add", "gw-before", "geneve",
                  "10.0.0.31")
    proc.wait_for(lambda: all(
        serves(central, "controller1",
               f"tcp:{tree.address(n)}:{ovn.RELAY_PORT}", "gw-before")
        for n in tree.CONTROLLERS), timeout=60, interval=0.5,
        what="every relay to serve the southbound database")
    leader = central.leader("sb")
    assert leader is not None
    survivors = [n for n in tree.CONTROLLERS if n != leader]
    reader = next(n for n in tree.CONTROLLERS if n != leader)

    timeline = result.timeline("ovn-sbctl list Chassis through the relays")
    load = results.Load(
        lambda: chassis_names(central, reader, relays), timeline,
        interval=READ_INTERVAL,
        errors=(AssertionError, subprocess.TimeoutExpired), limit=120)
    with load:
        proc.wait_for(lambda: len(load.ok) >= READS_BEFORE, timeout=60,
                      what="reads before the kill")
        # By its pidfile: on the node that created the cluster, ovn-ctl
        # runs the server in the background beside short-lived helpers.
        killed = time.monotonic()
        central.lab.run_in(leader, ["sh", "-c",
                                    f"kill -KILL $(cat {SB_PIDFILE})"],
                           timeout=10)
        proc.wait_for(lambda: central.leader("sb", survivors),
                      timeout=ELECTION_BOUND * 2, interval=0.1,
                      what="a new SB leader")
        elected = time.monotonic() - killed
        name = "gw-after"
        central.sbctl(survivors[0], "chassis-add", name, "geneve",
                      "10.0.0.32")
        written = time.monotonic()
        seen = {}

        def everywhere() -> bool:
            for node in tree.CONTROLLERS:
                db = f"tcp:{tree.address(node)}:{ovn.RELAY_PORT}"
                if node not in seen and serves(central, reader, db, name):
                    seen[node] = time.monotonic() - written
            return len(seen) == len(tree.CONTROLLERS)

        proc.wait_for(everywhere, timeout=PROPAGATION_BOUND * 2,
                      interval=0.2, what=f"{name} through every relay")
        time.sleep(max(0.0, killed + AFTER_KILL - time.monotonic()))
    timeline.event(f"SB server of {leader} killed", killed)
    timeline.event("new SB leader", killed + elected)
    after = [t for t, _ in load.ok if t >= killed]
    failed = [t for t, _ in load.failed if t >= killed]
    result.measure("new SB leader after the kill", elected, "s",
                   bound=("<=", ELECTION_BOUND))
    result.measure("reads through the relays after the kill", len(after),
                   "reads", bound=(">=", 10))
    result.measure("reads failed after the kill", len(failed), "reads",
                   bound=("==", 0))
    result.measure("longest time without a successful read",
                   load.longest_gap(killed), "s")
    result.measure("chassis written after the kill, readable through the "
                   "relay beside the killed server after",
                   seen[leader], "s", bound=("<=", PROPAGATION_BOUND))
    result.measure("chassis written after the kill, readable through all "
                   "three relays after", max(seen.values()), "s",
                   bound=("<=", PROPAGATION_BOUND))
