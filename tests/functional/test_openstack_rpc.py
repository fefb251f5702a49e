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
"""oslo.messaging RPC with the tree's nova.conf and cinder.conf."""

from __future__ import annotations

import json
import signal
import time

import pytest

from harness import openstack, proc, rabbitmq, requirements, rpc, tree

pytestmark = pytest.mark.functional

WSGI_TOPIC = "haguide-wsgi"
LOOP_TOPIC = "haguide-rpc"
# WSGI applications on controller1, as the guide runs the APIs of nova,
# neutron and cinder: (daemon, port, project, program, uWSGI --pyargv).
WSGI_APPS = (
    ("nova-api", 8774, "nova", "nova-api-os-compute", None),
    ("nova-metadata", 8775, "nova", "nova-api-metadata", None),
    ("neutron-api", 9696, "neutron", "neutron-api", None),
    ("cinder-api", 8776, "cinder", "-",
     "--config-dir /etc/cinder/cinder-api.conf.d"),
)
# The per-application files the guide adds for the queue manager.
PER_APP_FILES = ("nova/nova-api-os-compute.conf.d/nova.conf",
                 "nova/nova-api-metadata.conf.d/nova.conf",
                 "neutron/neutron-api.conf.d/neutron.conf",
                 "cinder/cinder-api.conf.d/cinder.conf")
# Requests per application, sent in a row: consecutive calls of one
# application show a shared reply queue whatever the broker's rotation.
CALLS_PER_APP = 4
# A short RPC timeout keeps the failing case quick; nova's default is 60 s.
WSGI_RPC_TIMEOUT = 3.0
# The call loop across the leader kill.
LOOP_SECONDS = 40.0
LOOP_INTERVAL = 0.1
LOOP_TIMEOUT = 10.0
KILL_AFTER = 10.0


@pytest.fixture(scope="module")
def cluster(workdir, daemons):
    """The tree's three RabbitMQ nodes plus the OpenStack venv's agents."""
    requirements.require(binaries=("ip", "unshare", "nsenter", "curl"))
    requirements.require(root_binaries=(f"{rabbitmq.BIN}/rabbitmq-server",))
    venv = openstack.venv()
    rabbit = rabbitmq.RabbitLab(workdir, daemons)
    try:
        rabbit.prepare()
        rabbit.formed = rabbit.start_cluster()
        rabbit.rpc = rpc.Rpc(rabbit.lab, daemons, workdir / "openstack",
                             venv)
        yield rabbit
    finally:
        rabbit.close()


def _exercise_wsgi_apps(cluster, daemons, tag: str) -> list[dict]:
    """Start both WSGI apps on controller1, call through each in turn."""
    agents = cluster.rpc
    names = []
    for app, port, project, prog, pyargv in WSGI_APPS:
        name = f"{app}-{tag}"
        agents.start_wsgi("controller1", name, port, project=project,
                          prog=prog, topic=WSGI_TOPIC,
                          timeout=WSGI_RPC_TIMEOUT, pyargv=pyargv)
        names.append(name)
    results = []
    try:
        for (_, port, *_), name in zip(WSGI_APPS, names, strict=True):
            url = f"http://{tree.address('controller1')}:{port}/ready"
            proc.wait_for(lambda u=url: agents.get(u) is not None,
                          timeout=60, interval=0.5, what=f"{name} to serve")
        for app, port, *_ in WSGI_APPS:
            url = f"http://{tree.address('controller1')}:{port}/"
            for _ in range(CALLS_PER_APP):
                answer = agents.get(url)
                assert answer is not None, daemons.log(f"{app}-{tag}")[-2000:]
                answer["app"] = app
                results.append(answer)
    finally:
        for name in names:
            daemons.kill(name, signal.SIGTERM)
    return results


def test_wsgi_apps_have_their_own_reply_queues(cluster, daemons,
                                                measurements):
    """Finding 1: four WSGI APIs on one host, with and without processname.

    Stand-ins for the compute and metadata APIs, the Networking API and
    cinder-api run under uWSGI on controller1, each reading its service's
    file from the tree (use_queue_manager = true) the way that service
    does. With the per-application files of the tree each has its own
    processname, reply queue and answers; without them (the old tree) all
    default to "uwsgi", share one reply queue and lose each other's
    replies.
    """
    result = measurements.scenario(
        "openstack-rpc-wsgi",
        title="oslo.messaging: WSGI applications on one controller",
        description=(
            "Stand-ins for nova-api, the metadata API, neutron-api and "
            "cinder-api under uWSGI on controller1, configured by "
            "nova.conf, neutron.conf and cinder.conf with "
            "use_queue_manager = true, each making RPC calls to a server "
            "on controller2; once with the per-application processname "
            "files of the tree, once without them."),
        test="test_wsgi_apps_have_their_own_reply_queues")
    result.loads(rpc.NODE_FILES["nova/nova.conf"],
                 rpc.NODE_FILES["neutron/neutron.conf"],
                 rpc.NODE_FILES["cinder/cinder.conf"],
                 *(rpc.NODE_FILES[path] for path in PER_APP_FILES))
    agents = cluster.rpc
    server = agents.start_server("controller2", WSGI_TOPIC)
    agents.wait_ready(server)

    fixed = _exercise_wsgi_apps(cluster, daemons, "tree")
    for name in PER_APP_FILES:
        agents.nodes["controller1"].remove(name)
    old = _exercise_wsgi_apps(cluster, daemons, "old")

    fixed_queues = {r["app"]: r["reply_queue"] for r in fixed}
    old_queues = {r["app"]: r["reply_queue"] for r in old}
    result.measure("RPC calls that failed, per-application processname",
                   sum(not r["ok"] for r in fixed),
                   f"of {len(fixed)}", bound=("==", 0))
    result.measure("RPC calls that failed, default processname (old tree)",
                   sum(not r["ok"] for r in old), f"of {len(old)}",
                   bound=(">=", 1))
    # The per-application files name each processname after its app.
    assert fixed_queues == {app: f"reply_controller1:{app}:1"
                            for app, *_ in WSGI_APPS}
    assert set(old_queues.values()) == {"reply_controller1:uwsgi:1"}, (
        json.dumps(old))


def test_rpc_calls_across_quorum_leader_kill(cluster, daemons, measurements):
    """The topic queue's leader node dies under a loop of RPC calls.

    An RPC server runs on each controller (as nova-conductor would) and
    a client in the client namespace calls every 0.1 s with a 10 s
    timeout, all configured by the tree's nova.conf alone. 10 s into the
    loop the RabbitMQ node that leads the topic's quorum queue is killed
    (its whole PID namespace); the servers and the client reconnect to
    the survivors through transport_url's list.
    """
    result = measurements.scenario(
        "openstack-rpc-leader",
        title="oslo.messaging RPC: quorum queue leader killed",
        description=(
            "An RPC server per controller and a client calling every "
            "0.1 s, configured by nova.conf (transport_url, quorum queues, "
            "stream fanout, the queue manager); the RabbitMQ node leading "
            "the topic queue is killed 10 s into a 40 s loop."),
        test="test_rpc_calls_across_quorum_leader_kill")
    # The servers read nova.conf; the calling loop, named like the
    # compute API, also reads that API's directory.
    result.loads(rpc.NODE_FILES["nova/nova.conf"],
                 rpc.NODE_FILES["nova/nova-api-os-compute.conf.d/nova.conf"])
    agents = cluster.rpc
    servers = [agents.start_server(node, LOOP_TOPIC)
               for node in tree.CONTROLLERS]
    for name in servers:
        agents.wait_ready(name)
    out = agents.nodes["client"].root / "calls.jsonl"
    started = time.time()
    agents.start_calls("rpc-calls", LOOP_TOPIC, out, seconds=LOOP_SECONDS,
                       interval=LOOP_INTERVAL, timeout=LOOP_TIMEOUT)
    proc.wait_for(lambda: cluster.leader("controller1", LOOP_TOPIC),
                  timeout=30, interval=0.5, what=f"a leader of {LOOP_TOPIC}")
    leader = cluster.leader("controller1", LOOP_TOPIC)
    time.sleep(max(0.0, started + KILL_AFTER - time.time()))
    killed = time.time()
    daemons.kill(f"{leader}-init", signal.SIGKILL)
    survivors = [n for n in tree.CONTROLLERS if n != leader]
    proc.wait_for(lambda: cluster.leader(survivors[0], LOOP_TOPIC)
                  in survivors,
                  timeout=30, interval=0.2, what="a new leader")
    elected = time.time() - killed
    daemons.procs["rpc-calls"].wait(LOOP_SECONDS + LOOP_TIMEOUT + 30)
    calls = openstack.json_lines(out)
    ended = max(c["end"] for c in calls)

    timeline = result.timeline("RPC calls (client)")
    timeline.start(started)
    for call in calls:
        timeline.record(call["ok"], call["end"])
    timeline.event(f"RabbitMQ {leader} killed", killed)
    timeline.event("new leader elected", killed + elected)

    types = rpc.queue_types(cluster, survivors[0])
    result.measure("new quorum queue leader elected after", elected, "s",
                   bound=("<=", 10.0))
    result.measure("RPC calls that succeeded", sum(c["ok"] for c in calls),
                   f"of {len(calls)}", bound=(">=", 100))
    result.measure("RPC calls lost (failed or timed out)",
                   sum(not c["ok"] for c in calls), "", bound=("==", 0))
    result.measure("longest time without a successful call",
                   rpc.longest_gap(calls, killed, ended), "s",
                   bound=("<=", LOOP_TIMEOUT))
    assert types[LOOP_TOPIC] == "quorum", types
    assert types[f"{LOOP_TOPIC}_fanout"] == "stream", types
    replies = [n for n in types if n.startswith("reply_client:")]
    assert replies and all(types[n] == "quorum" for n in replies), types
