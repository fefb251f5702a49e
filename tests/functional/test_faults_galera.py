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
"""Galera in namespaces: drain, partition, cut link, whole-cluster crash.

The nodes run in network namespaces with the tree's addresses, HAProxy's
galera proxy on controller3 with the VIP, the client in a namespace of
its own; harness.faults cuts and partitions the links. The tests run in
order and each starts from where the previous one left the writer: with
no automatic failback, the writer moves only when it fails.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time

import pytest

from harness import faults, galera, netns, proc, requirements, tree
from harness.galera import SLACK, SUSPECT_TIMEOUT

pytestmark = pytest.mark.functional

RUNS = 3
DONOR = re.compile(r"\((\w+)\) requested state transfer from '([^']*)'\. "
                   r"Selected \d+\.\d+ \((\w+)\)")
REJECTED = "WSREP has not yet prepared node"


@pytest.fixture(scope="module")
def cluster(workdir, daemons):
    requirements.require(root_binaries=galera.BINARIES, binaries=(
        *galera.HOST_BINARIES, *faults.BINARIES))
    lab = netns.Lab("gl", daemons)
    nodes = galera.Cluster(workdir, daemons, lab)
    try:
        nodes.figures = nodes.start()
        yield nodes
    finally:
        daemons.stop_all()
        lab.close()


def _scenario(measurements, key: str, title: str, description: str,
              test: str):
    return measurements.scenario(key, title=title, description=description,
                                 test=test)


def _detection_bound(params: dict) -> float:
    """fall failed checks, each after inter plus a connect timeout.

    A silent server makes each check wait for its connect timeout, which
    HAProxy takes as min(timeout connect, inter) when timeout check is set.
    """
    inter = params["inter"] / 1000
    return params["fall"] * 2 * inter + 2 * SLACK


def _writer_timeline(result, label: str, writer, started: float,
                     events: list[tuple[float, str]]) -> None:
    timeline = result.timeline(label)
    timeline.start(started)
    for at, _via in writer.successes:
        timeline.record(True, at)
    for at, _row in writer.failed:
        timeline.record(False, at)
    for at, what in events:
        timeline.event(what, at)


def _direct_write(node: galera.Node, row: int) -> str:
    """INSERT on node itself (its socket): 'ok', 'rejected' or 'hung'."""
    database = galera.database_url().rsplit("/", 1)[1]
    try:
        done = subprocess.run([
            "mariadb", f"--defaults-file={node.cnf}", "-uroot",
            "--connect-timeout=2", "-e",
            f"INSERT INTO {database}.haguide_writes VALUES ({row}, "
            "'direct')"], capture_output=True, text=True, timeout=5,
            check=False)
    except subprocess.TimeoutExpired:
        return "hung"
    if done.returncode == 0:
        return "ok"
    return "rejected" if REJECTED in done.stderr else done.stderr.strip()


def _writer(cluster) -> str:
    via = cluster.via_vip()
    assert via in tree.CONTROLLERS, via
    return via


def _returned(cluster, name: str, writer) -> float:
    """Wait until name is Synced and UP again; keep writing a little.

    Returns when it was UP: writes after that show whether it took the
    writes back. Stops the writer.
    """
    params = cluster.params
    cluster.nodes[name].wait_synced("after the heal")
    proc.wait_for(lambda: cluster.server_is(name, "UP"),
                  timeout=params["rise"] * params["inter"] / 1000 +
                  3 * SLACK, what=f"{name} UP after the heal")
    back = time.monotonic()
    time.sleep(2)
    writer.stop()
    return back


def _same_rows(cluster) -> set[int]:
    """The rows, identical on every node (no divergence after a heal)."""
    rows = {n: cluster.rows(n) for n in tree.CONTROLLERS}
    first = rows["controller1"]
    for name, found in rows.items():
        assert found == first, (
            f"{name} differs: {sorted(found ^ first)[:20]}")
    return first


def test_galera_sst_donor(cluster, measurements):
    """wsrep_sst_donor: a joiner prefers the nodes that take no writes.

    60-galera.cnf lists controller3, controller2 and then any node. At
    start-up controller2 joins while only controller1 runs (the trailing
    comma lets it donate); controller3 must then get its copy from
    controller2, not from controller1, which holds the writes.
    """
    result = _scenario(
        measurements, "galera-sst-donor",
        "MariaDB Galera: who donates the state transfer",
        "Three nodes from 60-galera.cnf in network namespaces; "
        "controller1 bootstraps, controller2 and controller3 join by SST "
        "in turn; the donor each one got is read from the error logs.",
        "test_galera_sst_donor")
    log = "".join(cluster.nodes[n].log() for n in tree.CONTROLLERS)
    donors = {joiner: donor for joiner, _wanted, donor in DONOR.findall(log)}
    assert donors.get("controller3") == "controller2", donors
    result.measure("SST donor for controller3 (joining last)",
                   donors["controller3"], "")
    result.measure("SST donor for controller2 (only controller1 up)",
                   donors.get("controller2", "?"), "")
    result.measure("controller3 joined by SST after",
                   cluster.figures["controller3"], "s",
                   bound=("<=", galera.START_TIMEOUT))
    probe = cluster.join_probe
    timeline = result.timeline("writes on controller1 while the others "
                               "join")
    timeline.start(probe.started)
    for at, ok in probe.outcomes:
        timeline.record(ok, at)
    for at, what in probe.events:
        timeline.event(what, at)


def test_galera_drain_switch(cluster, measurements):
    """The check's drain file takes the writer out; removing it does not
    bring the writes back (no automatic failback)."""
    result = _scenario(
        measurements, "galera-drain",
        "MariaDB Galera: draining the writer by hand",
        "The drain file of galera-healthcheck.sh is created on the node "
        "that takes the writes, while a client writes through the VIP, "
        "then removed.",
        "test_galera_drain_switch")
    params = cluster.params
    inter = params["inter"] / 1000
    old = _writer(cluster)
    node = cluster.nodes[old]
    writer = cluster.writer()
    started = time.monotonic()
    writer.start()
    try:
        time.sleep(1)
        drained = time.monotonic()
        node.drain_file.touch()
        assert cluster.health(old) == 503
        proc.wait_for(lambda: cluster.server_is(old, "DOWN"),
                      timeout=params["fall"] * inter + 3 * SLACK,
                      what=f"drained {old} DOWN")
        down = time.monotonic()
        node.drain_file.unlink()
        proc.wait_for(lambda: cluster.server_is(old, "UP"),
                      timeout=params["rise"] * inter + 3 * SLACK,
                      what=f"{old} UP after the drain")
        undrained = time.monotonic()
        time.sleep(2)
    finally:
        node.drain_file.unlink(missing_ok=True)
        writer.stop()
    _writer_timeline(result, "writes through the VIP", writer, started, [
        (drained, "drain file created"), (down, "marked DOWN"),
        (undrained, "drain file removed, UP")])
    new = writer.writer_node(down + 1)
    assert len(new) == 1 and old not in new, new
    result.measure("drained node marked DOWN after", down - drained, "s",
                   bound=("<=", params["fall"] * inter + SLACK))
    result.measure("longest gap between successful writes",
                   writer.outage(drained), "s",
                   bound=("<=", params["fall"] * inter + SLACK))
    result.measure("writes failed", len(writer.failed), "writes")
    result.measure("writes back on the undrained node", len([
        t for t, via in writer.successes if t >= undrained and via == old]),
        "writes", bound=("==", 0))


def test_galera_partition(cluster, measurements):
    """The writer is partitioned from the two other nodes.

    HAProxy (on controller3) loses it and moves the writes to the next
    backup; the isolated node goes non-Primary and refuses writes made
    on it directly (ERROR 1047), so nothing commits on both sides. On
    heal it rejoins by itself, every node holds the same rows, and the
    writes stay on the node that took them over.
    """
    result = _scenario(
        measurements, "galera-partition",
        "MariaDB Galera: the writer is partitioned",
        "The node taking the writes is cut off from the two others (both "
        "directions; it keeps running and the client still reaches it). "
        "One client writes through the VIP, one directly on the isolated "
        "node; then the partition heals.",
        "test_galera_partition")
    params = cluster.params
    old = _writer(cluster)
    others = [n for n in tree.CONTROLLERS if n != old]
    node = cluster.nodes[old]
    writer = cluster.writer()
    outcomes: list[tuple[float, str]] = []
    started = time.monotonic()
    writer.start()
    with faults.Faults(cluster.lab) as injector:
        time.sleep(1)
        cut = time.monotonic()
        injector.partition(old, others)
        proc.wait_for(lambda: node.status().get(
            "wsrep_cluster_status") == "non-Primary",
            timeout=SUSPECT_TIMEOUT + 4 * SLACK, interval=0.2,
            what=f"{old} non-Primary")
        minority = time.monotonic()
        proc.wait_for(lambda: cluster.server_is(old, "DOWN"),
                      timeout=_detection_bound(params) + 2 * SLACK,
                      what=f"partitioned {old} DOWN")
        down = time.monotonic()
        for _ in range(10):
            outcomes.append((time.monotonic(),
                             _direct_write(node, next(cluster.ids))))
            time.sleep(0.2)
        healed = time.monotonic()
    back = _returned(cluster, old, writer)
    _writer_timeline(result, "writes through the VIP", writer, started, [
        (cut, "partition"), (minority, "isolated node non-Primary"),
        (down, "marked DOWN"), (healed, "heal"), (back, "UP again")])
    rows = _same_rows(cluster)
    committed = set(writer.committed)
    assert committed <= rows
    accepted = [r for _, r in outcomes if r == "ok"]
    assert {r for _, r in outcomes} == {"rejected"}, outcomes
    result.measure("isolated node non-Primary after", minority - cut, "s",
                   bound=("<=", SUSPECT_TIMEOUT + 2 * SLACK))
    result.measure("isolated writer marked DOWN after", down - cut, "s",
                   bound=("<=", _detection_bound(params)))
    result.measure("longest gap between successful writes",
                   writer.outage(cut), "s",
                   bound=("<=", _detection_bound(params)))
    result.measure("writes through the VIP that failed",
                   len(writer.failed), "writes")
    result.measure("direct writes accepted by the isolated node",
                   len(accepted), f"of {len(outcomes)}", bound=("==", 0))
    result.measure("rows that differ between nodes after the heal", 0,
                   f"of {len(rows)}", bound=("==", 0))
    result.measure("writes back on the returning node", len([
        t for t, via in writer.successes if t >= back and via == old]),
        "writes", bound=("==", 0))


def test_galera_writer_link_cut(cluster, measurements):
    """The writer's link goes silent (frames dropped, no RST).

    Nothing tells HAProxy or the clients: checks and new connections to
    the node wait for their timeouts. HAProxy marks it DOWN after fall
    checks and closes the sessions still open on it; the writes resume
    on the next backup. The cut heals, the node rejoins and the writes
    stay where they are.
    """
    result = _scenario(
        measurements, "galera-cut-link",
        "MariaDB Galera: the writer's link is cut",
        "Every frame to and from the node taking the writes is dropped "
        "(no reset, no ICMP) while a client writes through the VIP; the "
        "link comes back after the failover.",
        "test_galera_writer_link_cut")
    params = cluster.params
    old = _writer(cluster)
    writer = cluster.writer()
    started = time.monotonic()
    writer.start()
    with faults.Faults(cluster.lab) as injector:
        time.sleep(1)
        cut = time.monotonic()
        injector.cut(old)
        proc.wait_for(lambda: cluster.server_is(old, "DOWN"),
                      timeout=_detection_bound(params) + 2 * SLACK,
                      what=f"cut {old} DOWN")
        down = time.monotonic()
        proc.wait_for(lambda: writer.writer_node(down), timeout=15,
                      what="writes resumed")
        resumed = time.monotonic()
        healed = time.monotonic()
    back = _returned(cluster, old, writer)
    _writer_timeline(result, "writes through the VIP", writer, started, [
        (cut, "link cut"), (down, "marked DOWN"),
        (resumed, "writes resumed"), (healed, "link back"),
        (back, "UP again")])
    rows = _same_rows(cluster)
    assert set(writer.committed) <= rows
    result.measure("silent writer marked DOWN after", down - cut, "s",
                   bound=("<=", _detection_bound(params)))
    result.measure("longest gap between successful writes",
                   writer.outage(cut), "s",
                   bound=("<=", _detection_bound(params) + SLACK))
    result.measure("writes through the VIP that failed",
                   len(writer.failed), "writes")
    result.measure("writes back on the returning node", len([
        t for t, via in writer.successes if t >= back and via == old]),
        "writes", bound=("==", 0))
    result.measure("failed writes after the node returned", len([
        t for t, _ in writer.failed if t >= healed]), "writes",
        bound=("==", 0))


def test_galera_whole_cluster_crash(cluster, daemons, measurements):
    """All three nodes crash at once and are started normally.

    No bootstrap: each node starts the way Debian's unit does it
    (galera_recovery, then the recovered position) and pc.recovery
    restores the last primary component from gvwstate.dat once all of
    its members are back (galera.rst). No committed row may be lost.
    """
    result = _scenario(
        measurements, "galera-crash",
        "MariaDB Galera: the whole cluster crashes",
        "Rows are written through the VIP, then all three mariadbd are "
        "SIGKILLed at once and started again normally, with no "
        "bootstrap, as after a power failure.",
        "test_galera_whole_cluster_crash")
    writer = cluster.writer()
    for _ in range(20):
        assert writer.write()
    # Writes go on through the crash and the restart (the chart).
    loaded = time.monotonic()
    writer.start()
    time.sleep(1)
    crashed = time.monotonic()
    for name in tree.CONTROLLERS:
        daemons.send(f"{name}-db", signal.SIGKILL)
    for name in tree.CONTROLLERS:
        daemons.kill(f"{name}-db")
    nodes = cluster.nodes
    assert all((n.dir / "data" / "gvwstate.dat").exists()
               for n in nodes.values())
    started = time.monotonic()
    positions = {n: node.recover() for n, node in nodes.items()}
    logged = {n: len(node.log()) for n, node in nodes.items()}
    for name, node in nodes.items():
        node.start(f"--wsrep-start-position={positions[name]}")
    for node in nodes.values():
        node.wait_synced("after the restart")
    proc.wait_for(lambda: nodes["controller1"].status().get(
        "wsrep_cluster_size") == "3", timeout=30, what="cluster of 3")
    synced = time.monotonic()
    recovered = synced - started
    restored = [n for n, node in nodes.items()
                if "restore pc from disk successfully" in
                node.log()[logged[n]:]]
    proc.wait_for(lambda: all(cluster.server_is(n, "UP")
                              for n in tree.CONTROLLERS),
                  timeout=30, what="every server UP in HAProxy")
    serving = time.monotonic()
    time.sleep(1)
    writer.stop()
    rows = _same_rows(cluster)
    lost = set(writer.committed) - rows
    assert writer.write()
    _writer_timeline(result, "writes through the VIP", writer, loaded, [
        (crashed, "all three killed"), (started, "restarted"),
        (synced, "cluster of 3 Synced"), (serving, "all UP in HAProxy")])
    result.measure("cluster of 3 Synced again after (no bootstrap)",
                   recovered, "s", bound=("<=", 3 * galera.START_TIMEOUT))
    result.measure("nodes that restored the primary component from disk",
                   len(restored), "of 3", bound=("==", 3))
    result.measure("committed rows lost", len(lost),
                   f"of {len(writer.committed)}", bound=("==", 0))
