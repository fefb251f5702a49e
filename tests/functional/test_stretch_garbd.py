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
"""Stretch variant: two Galera data nodes, with and without garbd."""

from __future__ import annotations

import subprocess
import time

import pytest

from harness import arbiter, faults, galera, netns, proc, requirements, tree
from harness.arbiter import ARBITER, DATA_NODES
from harness.galera import SLACK, SUSPECT_TIMEOUT
from harness.results import Load

pytestmark = pytest.mark.functional

RUNS = 3
# Galera suspects a silent member after evs.suspect_timeout, then the
# others install the new view; room for a busy host.
DECIDED = SUSPECT_TIMEOUT + 4 * SLACK
# How long writes are counted after each decision.
AFTER = 3.0
WRITE_INTERVAL = 0.2
POLL = 0.2


class WriteFailed(Exception):
    """An INSERT on the surviving node did not commit."""


@pytest.fixture(scope="module")
def pair(workdir, daemons):
    requirements.require(
        root_binaries=(*galera.BINARIES, *arbiter.GARBD_BINARIES),
        binaries=(*galera.HOST_BINARIES, *faults.BINARIES))
    lab = netns.Lab("sg", daemons)
    cluster = galera.Cluster(workdir, daemons, lab, names=DATA_NODES)
    try:
        lab.setup({**{n: {"eth0": tree.address(n)}
                      for n in (*DATA_NODES, ARBITER)},
                   "client": {"eth0": netns.CLIENT_ADDRESS}})
        # The scenario is the partition; how the second node got its
        # data is not part of it.
        cluster.start(setup_lab=False, proxy=False, health=False,
                      sst=False)
        cluster.garbd = arbiter.Garbd(lab, workdir)
        yield cluster
    finally:
        daemons.stop_all()
        lab.close()


def _size(node: galera.Node) -> tuple[str | None, int]:
    status = node.status()
    return (status.get("wsrep_cluster_status"),
            int(status.get("wsrep_cluster_size") or 0))


def _insert(node: galera.Node, database: str, rows) -> str:
    """One INSERT on node's own socket; raises WriteFailed unless it
    commits within 5 s."""
    try:
        done = subprocess.run(node.argv([
            "mariadb", f"--defaults-file={node.cnf}", "-uroot",
            "--connect-timeout=2", "-e",
            f"INSERT INTO {database}.haguide_writes VALUES ({next(rows)}, "
            "'stretch')"]), capture_output=True, text=True, timeout=5,
            check=False)
    except subprocess.TimeoutExpired:
        raise WriteFailed("no answer within 5 s") from None
    if done.returncode != 0:
        raise WriteFailed(done.stderr.strip()[-200:])
    return "ok"


def _cut(cluster, result, label: str, survivor: galera.Node,
         victim: str, wanted) -> tuple[float, int, float]:
    """Cut victim's link under writes on survivor; wait for wanted.

    Returns the seconds from the cut until survivor's state satisfied
    wanted, and the writes it accepted in the AFTER seconds after that.
    """
    database = galera.database_url().rsplit("/", 1)[1]
    timeline = result.timeline(label)
    with faults.Faults(cluster.lab) as fault, Load(
            lambda: _insert(survivor, database, cluster.ids), timeline,
            interval=WRITE_INTERVAL, errors=(WriteFailed,),
            limit=120) as load:
        time.sleep(1.0)
        cut = timeline.event(f"{victim} cut")
        fault.cut(victim)
        proc.wait_for(lambda: wanted(*_size(survivor)), timeout=DECIDED,
                      interval=POLL, what=f"{label}: {survivor.name} "
                      "decided")
        decided = timeline.event("decided")
        time.sleep(AFTER)
        load.stop()
        accepted = sum(1 for t, _ in load.ok if t >= decided)
        healed = timeline.event("heal")
        fault.heal()
    return decided - cut, accepted, healed


def test_stretch_garbd(pair, measurements):
    """Cut one of two data nodes off, with garbd in a third site and without.

    With garbd (the stretch variant's /etc/default/garb, run by Debian's
    garb-systemd on controller3) the survivor and garbd are two of three
    members: the survivor stays Primary and goes on committing. Then the
    nodes are rejoined, garbd leaves the cluster the way garb.service
    stops it, and the same cut leaves the survivor one of two: it goes
    non-Primary and refuses every write, as the quorum rule wants,
    whichever node is cut. The cut drops the victim's frames on the
    bridge: no RST, no ICMP.
    """
    cluster = pair
    first, second = (cluster.nodes[n] for n in DATA_NODES)
    result = measurements.scenario(
        "stretch-garbd",
        title="Stretch: two Galera data nodes, with and without garbd",
        description=(
            "controller1 and controller2 run MariaDB Galera from "
            "60-galera.cnf, controller3 runs garbd from the stretch "
            "variant's /etc/default/garb through garb-systemd; "
            "controller2's link is cut under writes on controller1, "
            "then again after garbd has left."),
        test="test_stretch_garbd")
    result.loads(arbiter.GARB, galera.GALERA_CNF)
    started = time.monotonic()
    cluster.garbd.start()
    proc.wait_for(lambda: _size(first) == ("Primary", 3), timeout=30,
                  interval=POLL, what="garbd in the cluster")
    result.measure("garbd joined the two data nodes after",
                   time.monotonic() - started, "s", bound=("<=", 30.0))

    took, accepted, _ = _cut(
        cluster, result, "writes on controller1, garbd on controller3",
        first, second.name,
        lambda status, size: status == "Primary" and size == 2)
    result.measure("with garbd: cut until controller1 is Primary with "
                   "garbd alone", took, "s", bound=("<=", DECIDED))
    result.measure(f"with garbd: writes committed in the {AFTER:g} s after",
                   accepted, "writes", bound=(">=", 1), worse="lower")

    proc.wait_for(lambda: second.synced() and _size(first) == (
        "Primary", 3), timeout=60, interval=0.5,
        what="controller2 back, Synced, with garbd")
    cluster.garbd.stop()
    proc.wait_for(lambda: _size(first) == ("Primary", 2), timeout=30,
                  interval=POLL, what="garbd gone from the cluster")

    took, accepted, _ = _cut(
        cluster, result, "writes on controller1, no garbd", first,
        second.name, lambda status, size: status == "non-Primary")
    result.measure("without garbd: cut until controller1 is non-Primary",
                   took, "s", bound=("<=", DECIDED))
    result.measure(f"without garbd: writes committed in the {AFTER:g} s "
                   "after", accepted, "writes", bound=("==", 0))
