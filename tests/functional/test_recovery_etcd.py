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
"""etcd: snapshot and restore, then a lost member replaced, from the guide.

The commands are the named console blocks of the guide's pages
(harness.runbook), run in the nodes as the reader would type them.
"""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from harness import etcd, proc, requirements, results, runbook, tree

pytestmark = pytest.mark.functional

BACKUP_PAGE = "operations/backup.rst"
REPLACE_PAGE = "operations/replacing-a-controller.rst"
SNAPSHOT = "/var/backups/etcd-snapshot.db"
# What the package's unit does: /etc/default/etcd as the environment.
START = "set -a; . /etc/default/etcd; set +a; exec etcd"
PREFIX = "/haguide/"
KEYS = 300
LOST = "controller3"
# One put every 100 ms through the two surviving members.
PUT_INTERVAL = 0.1
SURVIVORS = ",".join(f"http://{tree.address(n)}:2379"
                     for n in tree.CONTROLLERS if n != LOST)
# Generous on a loaded 2-core machine (one put spawns two processes).
RESTORE_BOUND = 60.0
JOIN_BOUND = 60.0
GAP_BOUND = 10.0
# etcd refuses a member change ("unhealthy cluster") until the leader
# has heard from a quorum of the new membership for its HealthInterval
# (5 s) plus slack.
HEALTH_INTERVAL = 6.0


def _sh(lab, node: str, script: str, timeout: float = 60):
    return lab.lab.run_in(node, ["bash", "-c", script], timeout=timeout)


def _start(lab, node: str) -> None:
    lab.lab.start_in(node, f"etcd-{node}", ["bash", "-c", START])


def _count(lab, node: str) -> int:
    """Keys under PREFIX in node's own copy (a serializable read)."""
    done = lab.lab.run_in(node, [
        "etcdctl", "--endpoints=http://127.0.0.1:2379", "get", PREFIX,
        "--prefix", "--count-only", "--consistency=s",
        "--write-out=fields"], timeout=30)
    for line in done.stdout.splitlines():
        key, _, value = line.partition(" : ")
        if key.strip('"') == "Count":
            return int(value)
    raise AssertionError(f"no Count in etcdctl's answer: {done.stdout!r}")


def _healthy(lab) -> bool:
    return all(lab.leader(n) for n in tree.CONTROLLERS)


@pytest.fixture(scope="module")
def cluster(workdir, daemons):
    requirements.require(binaries=("ip", "unshare", "nsenter"))
    requirements.require(root_binaries=("etcd", "etcdctl", "etcdutl",
                                        "curl"))
    lab = etcd.EtcdLab(workdir, daemons)
    try:
        lab.prepare()
        for node in tree.CONTROLLERS:
            # The tree's file where the package's unit reads it.
            source = workdir / f"etcd-default-{node}"
            source.write_text(tree.node_file(etcd.ETCD_DEFAULT, node))
            lab.lab.run_in(node, ["cp", str(source), "/etc/default/etcd"],
                           timeout=10)
            _start(lab, node)
        proc.wait_for(lambda: _healthy(lab), timeout=etcd.START_TIMEOUT,
                      interval=0.5, what="the etcd cluster to form")
        yield lab
    finally:
        lab.close()


def test_etcd_snapshot_restore(cluster, measurements):
    """Snapshot one member, lose every member's data, restore all three."""
    result = measurements.scenario(
        "etcd-backup", title="etcd: snapshot, then restore a new cluster",
        description=(
            f"{KEYS} keys written; etcdctl snapshot save on controller1 "
            "while the cluster runs; then all three members are stopped, "
            "their data set aside, and each is restored from the snapshot "
            "with etcdutl and the node's /etc/default/etcd."),
        test="test_etcd_snapshot_restore")
    result.loads(etcd.ETCD_DEFAULT)
    _sh(cluster, "controller1",
        f"for i in $(seq 1 {KEYS}); do "
        f"etcdctl put {PREFIX}key-$i value-$i >/dev/null; done",
        timeout=120)
    assert _count(cluster, "controller1") == KEYS
    started = time.monotonic()
    _sh(cluster, "controller1", runbook.script(BACKUP_PAGE, "etcd-backup"))
    backup_s = time.monotonic() - started
    shared = cluster.workdir / "etcd-snapshot.db"
    cluster.lab.run_in("controller1", ["cp", SNAPSHOT, str(shared)],
                       timeout=30)
    size = shared.stat().st_size
    for node in tree.CONTROLLERS:
        cluster.lab.kill(f"etcd-{node}", signal.SIGTERM)
    started = time.monotonic()
    for node in tree.CONTROLLERS:
        # The operator copies the snapshot with scp; the lab through
        # the scratch directory every node sees.
        cluster.lab.run_in(node, ["cp", str(shared), SNAPSHOT], timeout=30)
        _sh(cluster, node, runbook.script(BACKUP_PAGE, "etcd-restore"))
    for node in tree.CONTROLLERS:
        _start(cluster, node)
    proc.wait_for(lambda: _healthy(cluster), timeout=RESTORE_BOUND,
                  interval=0.5, what="the restored etcd cluster to form")
    restore_s = time.monotonic() - started
    counts = {n: _count(cluster, n) for n in tree.CONTROLLERS}
    result.measure("keys in the snapshot", KEYS, "keys")
    result.measure("snapshot save (etcdctl, cluster running)", backup_s, "s")
    result.measure("snapshot size", size / 1024, "KiB")
    result.measure("restore until a leader (3 members)", restore_s, "s",
                   bound=("<=", RESTORE_BOUND))
    result.measure("keys missing after the restore (worst member)",
                   KEYS - min(counts.values()), "keys", bound=("==", 0))


def test_etcd_member_replaced(cluster, measurements):
    """controller3 is lost for good; a new one with no data joins.

    A client writes numbered keys through the two surviving members the
    whole time; every put etcd confirmed must be on the new member.
    """
    result = measurements.scenario(
        "etcd-replace", title="etcd: replacing a lost member",
        description=(
            "etcd on controller3 is killed and its data deleted; "
            "controller1 removes the member and adds it back, and "
            "controller3 starts with an empty data directory and "
            "ETCD_INITIAL_CLUSTER_STATE=existing while a client puts a "
            "key every 100 ms through the two other members."),
        test="test_etcd_member_replaced")
    result.loads(etcd.ETCD_DEFAULT)
    written = iter(range(1, 100000))

    def put() -> int:
        number = next(written)
        cluster.lab.run_in("controller1", [
            "etcdctl", f"--endpoints={SURVIVORS}", "--command-timeout=3s",
            "put", f"{PREFIX}replace-{number}", str(number)], timeout=10)
        return number

    timeline = result.timeline("puts through the surviving members")
    with results.Load(put, timeline, interval=PUT_INTERVAL,
                      errors=(AssertionError, subprocess.TimeoutExpired),
                      limit=240) as load:
        proc.wait_for(lambda: len(load.ok) >= 10, timeout=30,
                      what="the client's first puts")
        lost = timeline.event("controller3 lost")
        cluster.lab.kill(f"etcd-{LOST}", signal.SIGKILL)
        cluster.lab.run_in(LOST, ["rm", "-rf", "/var/lib/etcd/default"],
                           timeout=30)
        # member add needs a leader connected to a quorum for etcd's
        # health interval: if controller3 led, a new leader first.
        proc.wait_for(lambda: cluster.leader("controller1") not in (
            None, LOST), timeout=30, interval=0.2,
            what="a leader among the survivors")
        time.sleep(HEALTH_INTERVAL)
        started = time.monotonic()
        _sh(cluster, "controller1",
            runbook.script(REPLACE_PAGE, "etcd-remove-member"))
        _sh(cluster, LOST, runbook.script(REPLACE_PAGE, "etcd-join-member"))
        _start(cluster, LOST)
        proc.wait_for(lambda: cluster.leader(LOST), timeout=JOIN_BOUND,
                      interval=0.5, what="the new controller3 to join")
        joined = timeline.event("controller3 joined")
        time.sleep(3)
    confirmed = [n for _, n in load.ok]
    done = cluster.lab.run_in(LOST, [
        "etcdctl", "--endpoints=http://127.0.0.1:2379", "get",
        f"{PREFIX}replace-", "--prefix", "--keys-only", "--consistency=s"],
        timeout=30)
    present = {int(k.rsplit("-", 1)[1]) for k in done.stdout.split()}
    missing = [n for n in confirmed if n not in present]
    result.measure("member replaced (remove, add, join)", joined - started,
                   "s", bound=("<=", JOIN_BOUND))
    result.measure("longest time without a confirmed put",
                   load.longest_gap(lost), "s", bound=("<=", GAP_BOUND))
    result.measure("failed puts", load.failed_since(lost), "puts")
    result.measure("puts confirmed", len(confirmed), "puts", worse="lower")
    result.measure("confirmed keys missing on the new member", len(missing),
                   "keys", bound=("==", 0))
