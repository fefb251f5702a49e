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
"""OVN: the controller with the NB/SB leaders and active northd dies."""

from __future__ import annotations

import itertools
import subprocess
import time

import pytest

from harness import faults, ovn, proc, requirements, results, tree

pytestmark = pytest.mark.functional

# Generous on a loaded 2-core machine; OVN's default election timer is 1 s.
ELECTION_BOUND = 15.0
TAKEOVER_BOUND = 30.0
WRITE_INTERVAL = 0.1


@pytest.fixture(scope="module")
def central(workdir, daemons):
    requirements.require(binaries=("ip", "unshare", "nsenter", "nft"))
    requirements.require(root_binaries=(ovn.OVN_CTL, "ovsdb-server",
                                        "ovn-northd", "ovn-nbctl"))
    lab = ovn.OvnLab(workdir, daemons)
    try:
        lab.prepare()
        lab.formed = lab.start_databases()
        # controller1 created the clusters and leads them; its northd
        # starts first, so it is the active one the test kills.
        for node in tree.CONTROLLERS:
            lab.start_northd(node)
            if node == tree.CONTROLLERS[0]:
                proc.wait_for(lambda n=node: lab.northd_status(n) == "active",
                              timeout=30, what=f"{node}'s northd active")
        yield lab
    finally:
        lab.close()


def writer(central, node: str, timeline) -> results.Load:
    """A load that adds logical switches through ovn-nbctl from node."""
    numbers = itertools.count(1)

    def add() -> str:
        name = f"sw-{node}-{next(numbers)}"
        central.nbctl(node, "ls-add", name)
        return name

    return results.Load(add, timeline, interval=WRITE_INTERVAL,
                        errors=(AssertionError, subprocess.TimeoutExpired),
                        limit=120)


def test_ovn_central_node_killed(central, measurements):
    """Crash the controller that leads NB and SB and runs active northd.

    Switches are added through ovn-nbctl from the two other controllers
    before and during the crash; afterwards every switch whose ls-add
    succeeded must exist, the survivors must have elected new leaders,
    another northd must be active and must translate a new switch into
    the southbound database.
    """
    result = measurements.scenario(
        "ovn", title="OVN: the controller of the leaders dies",
        description=(
            "NB and SB databases clustered on three controllers and "
            "ovn-northd on each, from /etc/default/ovn-central; the "
            "controller leading both databases and running the active "
            "northd is killed (every process, links down) while switches "
            "are added through the other two."),
        test="test_ovn_central_node_killed")
    result.loads(ovn.OVN_CENTRAL)
    result.measure("clusters formed after start", central.formed, "s")
    victim = central.leader("nb")
    assert victim == central.leader("sb") == "controller1", (
        central.leader("nb"), central.leader("sb"))
    assert central.northd_status(victim) == "active"
    survivors = [n for n in tree.CONTROLLERS if n != victim]
    timeline = result.timeline("ovn-nbctl ls-add (both writers)")
    writers = [writer(central, n, timeline) for n in survivors]
    timeline.start()
    for load in writers:
        load.start()
    proc.wait_for(lambda: all(len(w.ok) >= 5 for w in writers),
                  timeout=60, what="switches added before the kill")
    with faults.Faults(central.lab) as fault:
        killed = time.monotonic()
        fault.kill_node(victim)
        seen: dict[str, float] = {}

        def recovered() -> bool:
            checks = {
                "nb": lambda: central.leader("nb", survivors),
                "sb": lambda: central.leader("sb", survivors),
                "northd": lambda: any(central.northd_status(n) == "active"
                                      for n in survivors)}
            for what, check in checks.items():
                if what not in seen and check():
                    seen[what] = time.monotonic() - killed
            return len(seen) == len(checks)

        proc.wait_for(recovered, timeout=TAKEOVER_BOUND * 2, interval=0.1,
                      what="new NB and SB leaders and an active northd")
        nb, sb, takeover = seen["nb"], seen["sb"], seen["northd"]
        proc.wait_for(lambda: all(any(t > killed + takeover
                                      for t, _ in w.ok)
                                  for w in writers),
                      timeout=60, what="switches added after the kill")
        for load in writers:
            load.stop()
        listed = set(central.nbctl(survivors[0], "--bare", "--columns=name",
                                   "list", "Logical_Switch").stdout.split())
        committed = {name for w in writers for _, name in w.ok}
        lost = committed - listed
        # northd translates each switch into a datapath of the SB.
        proc.wait_for(
            lambda: len(central.sbctl(survivors[0], "--bare",
                                      "--columns=_uuid", "list",
                                      "Datapath_Binding").stdout.split())
            >= len(listed), timeout=30,
            what="the active northd to translate every switch")
        failed = [t for w in writers for t, _ in w.failed if t >= killed]
        timeline.event("kill", killed)
        for what, label in (("nb", "new NB leader"), ("sb", "new SB leader"),
                            ("northd", "northd active")):
            timeline.event(label, killed + seen[what])
        result.measure("new NB leader after the kill", nb, "s",
                       bound=("<=", ELECTION_BOUND))
        result.measure("new SB leader after the kill", sb, "s",
                       bound=("<=", ELECTION_BOUND))
        result.measure("another ovn-northd active after the kill",
                       takeover, "s", bound=("<=", TAKEOVER_BOUND))
        result.measure("ls-add committed", len(committed), "transactions",
                       worse="lower")
        result.measure("ls-add failed after the kill", len(failed),
                       "transactions")
        result.measure("committed transactions lost", len(lost),
                       "transactions", bound=("==", 0))


def test_ovn_backup_and_restore(central, workdir, measurements):
    """Back up the NB database as the guide says, restore it, compare.

    ``ovsdb-client backup`` against a cluster member writes a standalone
    copy; ``ovsdb-tool create-cluster`` makes a new one-member cluster
    from it (the start of a restore), and a server on that file must
    list the same logical switches as the running cluster.
    """
    result = measurements.scenario(
        "ovn-backup", title="OVN: northbound backup and restore",
        description=(
            "ovsdb-client backup of OVN_Northbound from a cluster member, "
            "then a new cluster created from the backup with ovsdb-tool "
            "create-cluster and served by ovsdb-server."),
        test="test_ovn_backup_and_restore")
    node = next(n for n in tree.CONTROLLERS
                if central.role(n, "nb") in ("leader", "follower"))
    port = ovn.DATABASES["nb"][1]
    names = set(central.nbctl(node, "--bare", "--columns=name", "list",
                              "Logical_Switch").stdout.split())
    assert names, "the cluster has no logical switch to back up"
    backup = workdir / "ovnnb_db.backup"
    # Reads through the cluster from another node while the backup and
    # the restore run: what ovn-northd and neutron see meanwhile.
    reader = next(n for n in tree.CONTROLLERS if n != node and central.role(
        n, "nb") in ("leader", "follower"))
    timeline = result.timeline(f"ovn-nbctl reads from {reader}",
                               bucket_s=0.2)
    load = results.Load(
        lambda: central.nbctl(reader, "--bare", "--columns=name", "list",
                              "Logical_Switch"),
        timeline, interval=WRITE_INTERVAL,
        errors=(AssertionError, subprocess.TimeoutExpired), limit=120)
    socket = workdir / "restored-nb.sock"

    def restored_names() -> set[str]:
        done = central.lab.run_in(node, [
            "ovn-nbctl", "--timeout=10", f"--db=unix:{socket}", "--bare",
            "--columns=name", "list", "Logical_Switch"], check=False,
            timeout=20)
        return set(done.stdout.split()) if done.returncode == 0 else set()

    with load:
        time.sleep(2)
        started = timeline.event("backup")
        done = central.lab.run_in(node, [
            "ovsdb-client", "backup", f"tcp:{tree.address(node)}:{port}",
            "OVN_Northbound"], timeout=60)
        backup.write_text(done.stdout)
        took = timeline.event("backup written") - started
        restored = workdir / "restored-nb.db"
        central.lab.run_in(node, [
            "ovsdb-tool", "create-cluster", str(restored), str(backup),
            "tcp:127.0.0.1:16643"], timeout=60)
        central.lab.start_in(node, "restored-nb", [
            "ovsdb-server", f"--remote=punix:{socket}",
            f"--unixctl={workdir / 'restored-nb.ctl'}", "--pidfile=" +
            str(workdir / "restored-nb.pid"), str(restored)])
        proc.wait_for(socket.exists, timeout=30,
                      what="ovsdb-server on the restored database")
        proc.wait_for(lambda: restored_names() == names, timeout=30,
                      what="the restored database to list every switch")
        timeline.event("restored copy complete")
        time.sleep(2)
    result.measure("reads that failed during backup and restore",
                   len(load.failed), "reads", bound=("==", 0))
    result.loads(ovn.OVN_CENTRAL)
    result.measure("ovsdb-client backup", took, "s")
    result.measure("logical switches in the cluster", len(names), "rows",
                   worse="lower")
    result.measure("logical switches missing after restore",
                   len(names - restored_names()), "rows", bound=("==", 0))
