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
"""RabbitMQ: three clustered nodes, a quorum queue leader dies."""

from __future__ import annotations

import json
import signal
import time

import pytest

from harness import proc, requirements, tree
from harness.rabbitmq import BIN, QUEUE, RabbitLab, kombu_url

pytestmark = pytest.mark.functional

MESSAGES = 200
PUBLISH_INTERVAL = 0.02
STREAM = "haguide-stream"
STREAM_MESSAGES = 100
# A quorum queue of its own for the publisher that runs while the
# cluster moves to Khepri, so that the scenario's queue stays as it was.
PROBE_QUEUE = "haguide-khepri-probe"
PROBE_INTERVAL = 0.1


@pytest.fixture(scope="module")
def rabbit(workdir, daemons, measurements):
    requirements.require(binaries=("ip", "unshare", "nsenter"),
                         modules=("pika", "kombu"))
    requirements.require(root_binaries=(f"{BIN}/rabbitmq-server",))
    lab = RabbitLab(workdir, daemons)
    try:
        lab.prepare()
        lab.formed = lab.start_cluster()
        yield lab
    finally:
        lab.close()


def test_rabbitmq_4x_mirroring_and_streams(rabbit, measurements):
    """What RabbitMQ 4.x changed: no mirroring; streams are replicated.

    The classic queue mirroring policy older guides set (ha-mode all) is
    refused by the server: 4.0 removed mirroring, so nothing can be
    mirrored. A stream (what oslo.messaging's stream fanout uses) is
    declared through controller1, gets a member on every node, and the
    messages confirmed through controller1 are read back from the first
    offset through controller3.
    """
    result = measurements.scenario(
        "rabbitmq-4x", title="RabbitMQ 4.x: mirroring gone, streams",
        description=(
            "On the three-node cluster from rabbitmq.conf: the classic "
            "mirroring policy of RabbitMQ 3.x is set, then a stream is "
            "declared, written through controller1 and read through "
            "controller3."),
        test="test_rabbitmq_4x_mirroring_and_streams")
    policy = rabbit.ctl("controller1", "set_policy", "haguide-ha",
                        "^haguide-classic$", '{"ha-mode":"all"}',
                        check=False)
    output = policy.stdout + policy.stderr
    assert policy.returncode != 0, output
    assert "ha-mode" in output, output
    result.measure("classic mirroring policy of RabbitMQ 3.x",
                   "refused by the server", "")
    rabbit.client("stream", "stream", hosts=rabbit.hosts, queue=STREAM,
                  count=STREAM_MESSAGES, **rabbit.credentials())
    streamed = rabbit.client_result("stream", timeout=90)
    status = rabbit.ctl("controller2", "list_queues", "name", "type",
                        "members", "--formatter", "json")
    queues = {q["name"]: q for q in json.loads(status.stdout)}
    assert queues[STREAM]["type"] == "stream", queues[STREAM]
    members = queues[STREAM]["members"]
    result.measure("stream members", len(members), "nodes",
                   bound=("==", len(tree.CONTROLLERS)))
    result.measure("stream messages read through another node",
                   len(streamed["read"]),
                   f"of {len(streamed['confirmed'])}",
                   bound=("==", STREAM_MESSAGES))
    assert streamed["read"] == streamed["confirmed"]
    timeline = result.timeline(
        "stream: confirmed through controller1, read through controller3",
        bucket_s=0.05)
    timeline.start(streamed["confirmed_at"][0])
    for at in streamed["confirmed_at"] + streamed["read_at"]:
        timeline.record(True, at)
    timeline.event("last confirmed", streamed["confirmed_at"][-1])
    timeline.event("first read", streamed["read_at"][0])


def test_rabbitmq_quorum_leader_killed(rabbit, daemons, measurements):
    """The leader's node dies while a client publishes with confirms.

    The publisher declares a quorum queue through controller1 (so its
    leader starts there) and publishes 200 persistent messages with
    publisher confirms. The leader's node is killed outright (its whole
    PID namespace): a new leader is elected among the two others, the
    publisher reconnects to the next broker and continues, and a consumer
    on a surviving node reads every confirmed message. A kombu client
    given the URL list from nova.conf's transport_url, with the dead node
    first, connects to the next one.
    """
    result = measurements.scenario(
        "rabbitmq", title="RabbitMQ: quorum queue leader killed",
        description=(
            "Three nodes from rabbitmq.conf and rabbitmq-env.conf in "
            "network namespaces, clustered by classic_config; a client "
            "publishes 200 messages with confirms to a quorum queue while "
            "the leader's node is killed; a consumer and a kombu client "
            "built from transport_url use the surviving nodes."),
        test="test_rabbitmq_quorum_leader_killed")
    result.measure("three-node cluster formed after", rabbit.formed, "s")
    rabbit.client("publisher", "publish", hosts=rabbit.hosts, queue=QUEUE,
                  count=MESSAGES, interval=PUBLISH_INTERVAL,
                  **rabbit.credentials())
    proc.wait_for(lambda: rabbit.ctl("controller2", "list_queues", "name",
                                     check=False).stdout.count(QUEUE),
                  timeout=30, interval=0.5, what=f"queue {QUEUE} declared")
    proc.wait_for(lambda: rabbit.leader("controller2"), timeout=30,
                  interval=0.5, what=f"a leader for {QUEUE}")
    old = rabbit.leader("controller2")
    time.sleep(1)
    killed = time.monotonic()
    daemons.kill(f"{old}-init", signal.SIGKILL)
    survivors = [n for n in tree.CONTROLLERS if n != old]
    proc.wait_for(lambda: rabbit.leader(survivors[0]) in survivors,
                  timeout=30, interval=0.2, what="a new quorum queue leader")
    elected = time.monotonic() - killed
    published = rabbit.client_result("publisher", timeout=90)
    dead = tree.CONTROLLERS.index(old)
    rotated = ",".join(rabbit.url.split("//", 1)[1].rstrip("/").split(",")[
        dead:] + rabbit.url.split("//", 1)[1].rstrip("/").split(",")[:dead])
    rabbit.client("kombu", "failover", url=kombu_url(
        f"rabbit://{rotated}/"))
    failover = rabbit.client_result("kombu", timeout=60)
    survivor_hosts = [tree.address(n) for n in survivors]
    rabbit.client("consumer", "consume", hosts=survivor_hosts, queue=QUEUE,
                  limit=2 * MESSAGES, **rabbit.credentials())
    consumed = rabbit.client_result("consumer", timeout=60)
    lost = set(published["confirmed"]) - set(consumed["read"])
    timeline = result.timeline("publishes with confirms")
    timeline.start(published["outcomes"][0][0])
    for at, ok in published["outcomes"]:
        timeline.record(ok, at)
    timeline.event("kill", killed)
    timeline.event("new leader", killed + elected)
    result.measure("new quorum queue leader elected after", elected, "s",
                   bound=("<=", 10.0))
    result.measure("messages confirmed", len(published["confirmed"]),
                   f"of {MESSAGES}", bound=(">=", MESSAGES * 0.9))
    result.measure("publishes that failed during the kill (unconfirmed)",
                   len(published["failed"]), "messages")
    result.measure("publisher reconnects", len(published["reconnects"]),
                   "", bound=("<=", 5))
    result.measure("confirmed messages lost", len(lost), "",
                   bound=("==", 0))
    assert failover["host"].split(":")[0] in survivor_hosts, failover
    result.measure("kombu (transport_url, dead node first) connected after",
                   failover["seconds"], "s", bound=("<=", 5.0))


def test_rabbitmq_khepri_enabled(rabbit, daemons, measurements):
    """The killed node comes back, then the cluster moves to Khepri.

    The node killed by the previous test restarts with its data and
    rejoins without any command. Then ``rabbitmqctl enable_feature_flag
    --opt-in khepri_db`` (4.0 refuses the flag without --opt-in) moves
    the running cluster's metadata from Mnesia to Khepri: the flag must
    be enabled on every node, the queue must still be there, and a
    publisher and a consumer must still work.
    """
    result = measurements.scenario(
        "rabbitmq-khepri", title="RabbitMQ 4.x: rejoin, then Khepri",
        description=(
            "The node killed in the quorum queue scenario restarts and "
            "rejoins; then the khepri_db feature flag is enabled on the "
            "running cluster and a client publishes and consumes again."),
        test="test_rabbitmq_khepri_enabled")
    expected = [f"rabbit@{n}" for n in tree.CONTROLLERS]
    for node in tree.CONTROLLERS:
        if daemons.running(f"{node}-init"):
            continue
        started = time.monotonic()
        rabbit.boot(node)
        rabbit.start_server(node)
        rabbit.wait_running(node)
        proc.wait_for(lambda n=node: rabbit.running_nodes(n) == expected,
                      timeout=60, interval=1, what=f"{node} rejoined")
        result.measure("killed node restarted and rejoined after",
                       time.monotonic() - started, "s", bound=("<=", 90.0))
    # A publisher through every node while the metadata moves.
    stop = rabbit.workdir / "stop-khepri-probe"
    rabbit.client("khepri-probe", "publish_for", hosts=rabbit.hosts,
                  queue=PROBE_QUEUE, first=1, seconds=300,
                  interval=PROBE_INTERVAL, stop_file=str(stop),
                  declare=True, **rabbit.credentials())
    time.sleep(2)
    started = time.monotonic()
    rabbit.ctl("controller1", "enable_feature_flag", "--opt-in", "khepri_db",
               timeout=180)
    enabled = time.monotonic() - started
    time.sleep(2)
    stop.touch()
    probe = rabbit.client_result("khepri-probe", timeout=60)
    timeline = result.timeline("publishes with confirms, every node")
    timeline.start(probe["started"])
    for key, ok in (("confirmed", True), ("failed", False)):
        for _number, at in probe[key]:
            timeline.record(ok, probe["started"] + at)
    timeline.event("enable_feature_flag", started)
    timeline.event("khepri_db enabled", started + enabled)
    result.measure("publishes failed while the cluster moved to Khepri",
                   len(probe["failed"]), "messages")
    for node in tree.CONTROLLERS:
        flags = json.loads(rabbit.ctl(
            node, "list_feature_flags", "name", "state", "--formatter",
            "json").stdout)
        states = {f["name"]: f["state"] for f in flags}
        assert states.get("khepri_db") == "enabled", (node, states)
    result.measure("khepri_db enabled on the running cluster in", enabled,
                   "s", bound=("<=", 180.0))
    queues = rabbit.ctl("controller2", "list_queues", "name", "type",
                        "--formatter", "json")
    types = {q["name"]: q["type"] for q in json.loads(queues.stdout)}
    assert types.get(QUEUE) == "quorum", types
    rabbit.client("publisher-khepri", "publish", hosts=rabbit.hosts,
                  queue=QUEUE, count=10, interval=0.01,
                  **rabbit.credentials())
    published = rabbit.client_result("publisher-khepri", timeout=60)
    rabbit.client("consumer-khepri", "consume", hosts=rabbit.hosts[1:],
                  queue=QUEUE, limit=100, **rabbit.credentials())
    consumed = rabbit.client_result("consumer-khepri", timeout=60)
    lost = set(published["confirmed"]) - set(consumed["read"])
    result.measure("messages confirmed and read after the move to Khepri",
                   len(published["confirmed"]) - len(lost), "of 10",
                   bound=("==", 10))
