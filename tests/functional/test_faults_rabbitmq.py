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
"""RabbitMQ partitioned, then crashed as a whole cluster."""

from __future__ import annotations

import json
import time

import pytest

from harness import faults, proc, rabbitmq, requirements, tree

pytestmark = pytest.mark.functional

# Each test holds a partition for a minute or more: three runs suffice.
RUNS = 3
QUEUE = rabbitmq.QUEUE
PUBLISH_INTERVAL = 0.1
# Erlang's net_ticktime (60 s by default, which the tree keeps): a node
# that hears nothing from a peer for 45 to 75 s declares it down, and
# only then can pause_minority act. Slack for a busy host on top.
NET_TICKTIME = 60
PAUSED_BOUND = 75 + 15
# Messages published before the whole-cluster crash.
CRASH_MESSAGES = 100
# The crash probe's own quorum queue: the scenario's queue must hold
# exactly what was confirmed before the crash.
CRASH_PROBE_QUEUE = "haguide-crash-probe"


@pytest.fixture(scope="module")
def rabbit(workdir, daemons):
    requirements.require(binaries=("ip", "unshare", "nsenter",
                                   *faults.BINARIES),
                         modules=("pika", "kombu"))
    requirements.require(root_binaries=(f"{rabbitmq.BIN}/rabbitmq-server",))
    lab = rabbitmq.RabbitLab(workdir, daemons)
    try:
        lab.prepare()
        lab.formed = lab.start_cluster()
        yield lab
    finally:
        lab.close()


def _running(rabbit, node: str) -> bool:
    """rabbit (the application) runs on node: false while paused."""
    done = rabbit.ctl(node, "eval", "rabbit:is_running().", timeout=30,
                      check=False)
    return done.returncode == 0 and done.stdout.strip() == "true"


def _clean(rabbit, node: str) -> bool:
    """node sees all three nodes running and no partition."""
    done = rabbit.ctl(node, "cluster_status", "--formatter", "json",
                      check=False)
    if done.returncode != 0:
        return False
    status = json.loads(done.stdout)
    return (len(status.get("running_nodes", [])) == 3 and
            not status.get("partitions"))


def _publisher(rabbit, name: str, hosts: list[str], first: int,
               seconds: float) -> None:
    rabbit.client(name, "publish_for", hosts=hosts, queue=QUEUE,
                  first=first, seconds=seconds, interval=PUBLISH_INTERVAL,
                  stop_file=str(rabbit.workdir / "stop-publishing"),
                  **rabbit.credentials())


def _declare(rabbit) -> None:
    """The quorum queue, declared through controller1 (its leader)."""
    rabbit.client("declare", "publish", hosts=[rabbit.hosts[0]],
                  queue=QUEUE, count=1, interval=0, **rabbit.credentials())
    rabbit.client_result("declare")


def _consume(rabbit, hosts: list[str], limit: int) -> list[int]:
    rabbit.client("consumer", "consume", hosts=hosts, queue=QUEUE,
                  limit=limit, **rabbit.credentials())
    return rabbit.client_result("consumer", timeout=90)["read"]


def _timeline(result, label: str, outcome: dict, start: float,
              events: list[tuple[float, str]]) -> None:
    """A publisher's outcomes (s from its start) as a timeline."""
    timeline = result.timeline(label)
    timeline.start(start)
    for _number, at in outcome["confirmed"]:
        timeline.record(True, start + at)
    for _number, at in outcome["failed"]:
        timeline.record(False, start + at)
    for at, what in events:
        timeline.event(what, at)


def test_rabbitmq_partition(rabbit, measurements):
    """The queue leader's node is cut off: the minority pauses.

    rabbitmq.conf sets cluster_partition_handling = pause_minority: once
    controller1 sees it is alone (net_ticktime), it stops its RabbitMQ
    application and closes every client connection, while the two other
    nodes elect a new quorum queue leader and go on. One publisher talks
    only to controller1, one only to the majority; no message may be
    confirmed that the healed queue does not hold. After the heal
    controller1 restarts its application and the cluster is whole again,
    with no partition recorded.
    """
    result = measurements.scenario(
        "rabbitmq-partition",
        title="RabbitMQ: the queue leader's node is partitioned",
        description=(
            "Three nodes from rabbitmq.conf (pause_minority) in network "
            "namespaces; the node holding a quorum queue's leader is cut "
            "off from the other two, both directions, while one client "
            "publishes with confirms through it and one through the "
            "majority; then the partition heals."),
        test="test_rabbitmq_partition")
    _declare(rabbit)
    proc.wait_for(lambda: rabbit.leader("controller1") == "controller1",
                  timeout=30, interval=0.5, what="leader on controller1")
    minority, majority = "controller1", ["controller2", "controller3"]
    hosts = {n: tree.address(n) for n in tree.CONTROLLERS}
    # An upper bound; the test stops them once the cluster is whole.
    seconds = PAUSED_BOUND + 180
    started = time.monotonic()
    _publisher(rabbit, "minority-publisher", [hosts[minority]], 1_000_000,
               seconds)
    _publisher(rabbit, "majority-publisher", [hosts[n] for n in majority],
               2_000_000, seconds)
    with faults.Faults(rabbit.lab) as injector:
        time.sleep(3)
        cut = time.monotonic()
        injector.partition(minority, majority)
        proc.wait_for(lambda: rabbit.leader(majority[0]) in majority,
                      timeout=30, interval=0.5,
                      what="a new leader on the majority side")
        elected = time.monotonic()
        proc.wait_for(lambda: not _running(rabbit, minority),
                      timeout=PAUSED_BOUND, interval=1,
                      what="controller1 paused (pause_minority)")
        paused = time.monotonic()
        assert _running(rabbit, majority[0])
        time.sleep(3)
        healed = time.monotonic()
        injector.heal()
    proc.wait_for(lambda: _running(rabbit, minority) and all(
        _clean(rabbit, n) for n in tree.CONTROLLERS), timeout=120,
        interval=1, what="the whole cluster running, no partition")
    resumed = time.monotonic()
    time.sleep(2)
    (rabbit.workdir / "stop-publishing").touch()
    outcomes = {name: rabbit.client_result(f"{name}-publisher",
                                           timeout=seconds + 60)
                for name in ("minority", "majority")}
    read = set(_consume(rabbit, list(hosts.values()), 100_000))
    confirmed = {n for o in outcomes.values() for n, _ in o["confirmed"]}
    lost = confirmed - read
    minority_during = [n for n, at in outcomes["minority"]["confirmed"]
                       if cut - started < at < healed - started]
    events = [(cut, "partition"), (elected, "new leader (majority)"),
              (paused, "minority paused"), (healed, "heal"),
              (resumed, "cluster whole")]
    _timeline(result, "publishes through the minority node",
              outcomes["minority"], started, events)
    _timeline(result, "publishes through the majority",
              outcomes["majority"], started, events)
    result.measure("new leader on the majority side after", elected - cut,
                   "s", bound=("<=", 30.0))
    result.measure("minority node paused (net_ticktime 60 s) after",
                   paused - cut, "s", bound=("<=", PAUSED_BOUND))
    result.measure("cluster whole again after the heal", resumed - healed,
                   "s", bound=("<=", 120.0))
    result.measure("messages confirmed by the majority",
                   len(outcomes["majority"]["confirmed"]), "messages",
                   bound=(">=", 1))
    result.measure("messages confirmed by the minority during the "
                   "partition", len(minority_during), "messages",
                   bound=("==", 0))
    result.measure("confirmed messages lost", len(lost),
                   f"of {len(confirmed)}", bound=("==", 0))


def test_rabbitmq_whole_cluster_crash(rabbit, measurements):
    """All three nodes lose power at once, then start together.

    The guide's advice for a full stop: start every node at the same
    time, since each waits for the others it last saw running. Every
    message confirmed before the crash must be in the quorum queue
    afterwards.
    """
    result = measurements.scenario(
        "rabbitmq-crash", title="RabbitMQ: the whole cluster crashes",
        description=(
            f"{CRASH_MESSAGES} persistent messages are published with "
            "confirms to a quorum queue; all three nodes are SIGKILLed at "
            "once (their whole PID namespaces), then booted and started "
            "together."),
        test="test_rabbitmq_whole_cluster_crash")
    hosts = [tree.address(n) for n in tree.CONTROLLERS]
    # Empty the queue the partition test filled.
    _consume(rabbit, hosts, 1_000_000)
    rabbit.client("publisher", "publish", hosts=hosts, queue=QUEUE,
                  count=CRASH_MESSAGES, interval=0, **rabbit.credentials())
    published = rabbit.client_result("publisher")
    assert len(published["confirmed"]) == CRASH_MESSAGES
    # A publisher of its own queue runs through the crash (the chart).
    stop = rabbit.workdir / "stop-crash-probe"
    rabbit.client("crash-probe", "publish_for", hosts=hosts,
                  queue=CRASH_PROBE_QUEUE, first=1, seconds=300,
                  interval=PUBLISH_INTERVAL, stop_file=str(stop),
                  declare=True, **rabbit.credentials())
    time.sleep(2)
    crashed = time.monotonic()
    faults.Faults(rabbit.lab).crash(list(tree.CONTROLLERS))
    started = time.monotonic()
    for node in tree.CONTROLLERS:
        rabbit.boot(node)
    for node in tree.CONTROLLERS:
        rabbit.start_server(node)
    for node in tree.CONTROLLERS:
        rabbit.wait_running(node)
    proc.wait_for(lambda: all(_clean(rabbit, n) for n in tree.CONTROLLERS),
                  timeout=120, interval=1, what="three running nodes")
    recovered = time.monotonic() - started
    time.sleep(2)
    stop.touch()
    probe = rabbit.client_result("crash-probe", timeout=60)
    _timeline(result, "publishes with confirms, every node", probe,
              probe["started"], [(crashed, "all three killed"),
                                 (started, "restart"),
                                 (started + recovered, "cluster running")])
    read = _consume(rabbit, hosts, 10 * CRASH_MESSAGES)
    lost = set(published["confirmed"]) - set(read)
    result.measure("cluster of 3 running again after", recovered, "s",
                   bound=("<=", 180.0))
    result.measure("confirmed messages lost", len(lost),
                   f"of {CRASH_MESSAGES}", bound=("==", 0))
