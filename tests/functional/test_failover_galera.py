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
"""MariaDB Galera: three nodes, HAProxy in front, failures and recovery."""

from __future__ import annotations

import signal
import time

import pytest

from harness import proc, requirements, tree
from harness.galera import (BINARIES, HOST_BINARIES, SLACK, START_TIMEOUT,
                            SUSPECT_TIMEOUT, Cluster)

pytestmark = pytest.mark.functional


@pytest.fixture(scope="module")
def galera(workdir, daemons, measurements):
    requirements.require(root_binaries=BINARIES,
                         binaries=HOST_BINARIES)
    cluster = Cluster(workdir, daemons)
    figures = cluster.start()
    result = _scenario(measurements)
    result.measure("bootstrap node Synced after", figures["bootstrap"], "s")
    for name in tree.CONTROLLERS[1:]:
        result.measure(f"{name} joined by SST (mariabackup) after",
                       figures[name], "s", bound=("<=", START_TIMEOUT))
    return cluster


def _scenario(measurements):
    return measurements.scenario(
        "galera", title="MariaDB Galera: node failure, full restart",
        description=(
            "Three MariaDB nodes from 60-galera.cnf on loopback, the health "
            "check (galera-healthcheck.sh behind xinetd) and HAProxy's "
            "galera proxy; writes as nova.conf's database user through "
            "the VIP while nodes are desynced, killed and restarted."),
        test="test_galera")


def test_galera_health_check_and_backup(galera, measurements):
    """A desynced node answers 503; HAProxy moves writes to the backup.

    wsrep_desync=ON puts controller1 in Donor/Desynced (state 2), which
    galera-healthcheck.sh must report as 503 while the others stay 200.
    HAProxy marks controller1 DOWN after fall checks and sends the
    traffic to the next backup; when the node is Synced again it comes
    back UP after rise checks, and the writes stay on controller2: the
    stick table keeps the writer until it fails (no automatic failback).
    """
    result = _scenario(measurements)
    params = galera.params
    inter = params["inter"] / 1000
    assert [galera.health(n) for n in tree.CONTROLLERS] == [200, 200, 200]
    assert galera.via_vip() == "controller1"
    first = galera.nodes["controller1"]
    started = time.monotonic()
    first.sql("SET GLOBAL wsrep_desync = ON")
    try:
        assert galera.health("controller1") == 503
        assert galera.health("controller2") == 200
        proc.wait_for(lambda: galera.server_is("controller1", "DOWN"),
                      timeout=params["fall"] * inter + 3 * SLACK,
                      what="desynced controller1 DOWN in HAProxy")
        down = time.monotonic() - started
        assert galera.via_vip() == "controller2"
    finally:
        first.sql("SET GLOBAL wsrep_desync = OFF")
    started = time.monotonic()
    proc.wait_for(lambda: galera.server_is("controller1", "UP"),
                  timeout=params["rise"] * inter + 3 * SLACK,
                  what="controller1 UP again")
    up = time.monotonic() - started
    assert galera.health("controller1") == 200
    assert galera.via_vip() == "controller2"
    result.measure("desynced node marked DOWN after", down, "s",
                   bound=("<=", params["fall"] * inter + SLACK))
    result.measure("resynced node marked UP after", up, "s",
                   bound=("<=", params["rise"] * inter + SLACK))


def test_galera_writer_killed(galera, daemons, measurements):
    """SIGKILL the node that takes the writes, then rejoin it by IST.

    The cluster drops to two members, HAProxy marks the node DOWN and the
    writes go to the first backup; no committed row is lost. The node is
    restarted the way Debian's unit does it (galera_recovery reads the
    position from the InnoDB log, the server starts at that position),
    so the gcache covers the gap and the node rejoins with IST. When it
    is UP again, the writes stay on the node that took them over.
    """
    result = _scenario(measurements)
    params = galera.params
    inter = params["inter"] / 1000
    # The writer since the previous test: no failback moved it.
    assert galera.via_vip() == "controller2"
    victim, survivor = galera.nodes["controller2"], galera.nodes[
        "controller1"]
    writer = galera.writer()
    loaded = time.monotonic()
    writer.start()
    try:
        time.sleep(1)
        killed = time.monotonic()
        daemons.kill("controller2-db")
        proc.wait_for(
            lambda: survivor.status().get("wsrep_cluster_size") == "2",
            timeout=SUSPECT_TIMEOUT + 4 * SLACK, interval=0.2,
            what="cluster size 2")
        shrunk = time.monotonic() - killed
        proc.wait_for(lambda: galera.server_is("controller2", "DOWN"),
                      timeout=params["fall"] * inter + 3 * SLACK,
                      what="killed controller2 DOWN in HAProxy")
        down = time.monotonic() - killed
        proc.wait_for(lambda: "controller1" in writer.writer_node(
            killed + down), timeout=10, what="writes on controller1")
        restarted = time.monotonic()
        logged = len(victim.log())
        position = victim.recover()
        victim.start(f"--wsrep-start-position={position}")
        victim.wait_synced("after restart")
        rejoined = time.monotonic() - restarted
        proc.wait_for(lambda: galera.server_is("controller2", "UP"),
                      timeout=params["rise"] * inter + 3 * SLACK,
                      what="controller2 UP after rejoin")
        back = time.monotonic()
        # Several writes after it is UP: none may go back to it.
        time.sleep(2)
    finally:
        writer.stop()
    timeline = result.timeline("writes through the VIP")
    timeline.start(loaded)
    for at, _via in writer.successes:
        timeline.record(True, at)
    for at, _row in writer.failed:
        timeline.record(False, at)
    for at, what in ((killed, "kill"), (killed + shrunk, "cluster of 2"),
                     (killed + down, "DOWN in HAProxy"),
                     (restarted, "restart"),
                     (restarted + rejoined, "Synced (IST)"),
                     (back, "UP again")):
        timeline.event(what, at)
    assert writer.writer_node(back) == {"controller1"}, "writes failed back"
    assert not [t for t, _ in writer.failed if t >= back]
    log = victim.log()[logged:]
    assert "IST received" in log and "Proceeding with SST" not in log, (
        "controller2 did not rejoin by IST")
    result.measure("cluster size 3 -> 2 after", shrunk, "s",
                   bound=("<=", SUSPECT_TIMEOUT + 2 * SLACK))
    result.measure("killed writer marked DOWN after", down, "s",
                   bound=("<=", params["fall"] * inter + SLACK))
    result.measure("longest gap between successful writes",
                   writer.outage(killed), "s",
                   bound=("<=", params["fall"] * inter + SLACK))
    result.measure("writes failed during the failover", len(writer.failed),
                   "writes")
    result.measure("killed node rejoined (galera_recovery + IST) after",
                   rejoined, "s", bound=("<=", 20.0))
    committed = set(writer.committed)
    for node in tree.CONTROLLERS:
        missing = committed - galera.rows(node)
        assert not missing, f"{node} lost committed rows {sorted(missing)}"
    result.measure("committed rows lost", 0, f"of {len(committed)}",
                   bound=("==", 0))


def test_galera_plain_restart_after_crash(galera, daemons, measurements):
    """Without the recovered position, a crashed node needs a full SST.

    The counterpart of test_galera_writer_killed: controller3 is
    SIGKILLed, misses a few writes and is started plainly. Its
    grastate.dat says seqno -1, so the cluster cannot know what it lacks
    and sends the whole data directory (mariabackup SST) instead of the
    missing write sets. This is why the guide relies on galera_recovery.
    """
    result = _scenario(measurements)
    node = galera.nodes["controller3"]
    writer = galera.writer()
    daemons.kill("controller3-db")
    for _ in range(5):
        assert writer.write()
    assert node.grastate()["seqno"] == "-1"
    logged = len(node.log())
    started = time.monotonic()
    node.start()
    node.wait_synced("after a plain restart")
    rejoined = time.monotonic() - started
    new = node.log()[logged:]
    assert "Proceeding with SST" in new, "expected a full SST"
    assert set(writer.committed) <= galera.rows("controller3")
    result.measure("crashed node restarted without its position: "
                   "rejoined (full SST) after", rejoined, "s",
                   bound=("<=", START_TIMEOUT))


def test_galera_full_cluster_stop(galera, daemons, measurements):
    """Whole cluster lost where pc.recovery cannot help: manual bootstrap.

    controller3 dies first and misses some writes; then controller1 and
    controller2 die together. Their gvwstate.dat files are removed, as
    when the last primary component cannot come back (galera.rst: only
    then bootstrap by hand; test_faults_galera restores a crashed cluster
    with pc.recovery). Every grastate.dat then says seqno -1 and
    safe_to_bootstrap 0, so the manual procedure of galera.rst applies:
    recover each position with galera_recovery, pick the highest, set
    safe_to_bootstrap on it only, bootstrap it, start the others. The
    node that missed writes must not be chosen, and no row is lost.
    """
    result = _scenario(measurements)
    nodes = galera.nodes
    writer = galera.writer()
    for _ in range(10):
        assert writer.write()
    daemons.kill("controller3-db")
    proc.wait_for(lambda: nodes["controller1"].status().get(
        "wsrep_cluster_size") == "2", timeout=SUSPECT_TIMEOUT + 4 * SLACK,
        interval=0.2, what="cluster size 2 after controller3 died")
    for _ in range(10):
        assert writer.write()
    for name in ("controller1", "controller2"):
        daemons.send(f"{name}-db", signal.SIGKILL)
    for name in tree.CONTROLLERS:
        daemons.kill(f"{name}-db")
    for node in nodes.values():
        (node.dir / "data" / "gvwstate.dat").unlink(missing_ok=True)
    started = time.monotonic()
    states = {n: node.grastate() for n, node in nodes.items()}
    assert {s["seqno"] for s in states.values()} == {"-1"}
    assert {s["safe_to_bootstrap"] for s in states.values()} == {"0"}
    positions = {n: node.recover() for n, node in nodes.items()}
    seqno = {n: int(p.rsplit(":", 1)[1]) for n, p in positions.items()}
    chosen = max(tree.CONTROLLERS, key=lambda n: seqno[n])
    assert seqno["controller3"] < seqno[chosen]
    grastate = nodes[chosen].dir / "data" / "grastate.dat"
    grastate.write_text(grastate.read_text().replace(
        "safe_to_bootstrap: 0", "safe_to_bootstrap: 1"))
    nodes[chosen].start("--wsrep-new-cluster",
                        f"--wsrep-start-position={positions[chosen]}")
    nodes[chosen].wait_synced("after bootstrap")
    transfers = []
    for name in tree.CONTROLLERS:
        if name != chosen:
            logged = len(nodes[name].log())
            nodes[name].start(f"--wsrep-start-position={positions[name]}")
            nodes[name].wait_synced("after the full restart")
            new = nodes[name].log()[logged:]
            transfers.append("IST" if "IST received" in new and
                             "Proceeding with SST" not in new else "SST")
    recovered = time.monotonic() - started
    assert nodes[chosen].status().get("wsrep_cluster_size") == "3"
    committed = set(writer.committed)
    for name in tree.CONTROLLERS:
        missing = committed - galera.rows(name)
        assert not missing, f"{name} lost committed rows {sorted(missing)}"
    result.measure("full stop: bootstrap node chosen by highest seqno",
                   f"{chosen} ({seqno[chosen]}; controller3: "
                   f"{seqno['controller3']})", "")
    result.measure("full stop: state transfer to the other nodes",
                   " and ".join(transfers), "")
    result.measure("full stop: cluster of 3 Synced again after", recovered,
                   "s", bound=("<=", 3 * START_TIMEOUT))
    result.measure("full stop: committed rows lost", 0,
                   f"of {len(committed)}", bound=("==", 0))
