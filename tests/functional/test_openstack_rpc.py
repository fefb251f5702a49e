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
import statistics
import subprocess
import time

import pytest

from confcheck import sizing
from harness import openstack, proc, rabbitmq, requirements, rpc, tree

pytestmark = pytest.mark.functional

WSGI_TOPIC = "haguide-wsgi"
LOOP_TOPIC = "haguide-rpc"
# WSGI applications on controller1, as the guide runs the APIs of nova,
# neutron, cinder, manila and masakari: (daemon, port, project, program,
# uWSGI --pyargv).
WSGI_APPS = (
    ("nova-api", 8774, "nova", "nova-api-os-compute", None),
    ("nova-metadata", 8775, "nova", "nova-api-metadata", None),
    ("neutron-api", 9696, "neutron", "neutron-api", None),
    ("cinder-api", 8776, "cinder", "-",
     "--config-dir /etc/cinder/cinder-api.conf.d"),
    ("manila-api", 8786, "manila", "-",
     "--config-dir /etc/manila/manila-api.conf.d"),
    ("masakari-api", 15868, "masakari", "-",
     "--config-dir /etc/masakari/masakari-api.conf.d"),
)
# The per-application files the guide adds for the queue manager.
PER_APP_FILES = ("nova/nova-api-os-compute.conf.d/nova.conf",
                 "nova/nova-api-metadata.conf.d/nova.conf",
                 "neutron/neutron-api.conf.d/neutron.conf",
                 "cinder/cinder-api.conf.d/cinder.conf",
                 "manila/manila-api.conf.d/manila.conf",
                 "masakari/masakari-api.conf.d/masakari.conf")
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
# The broker memory measurement: enough connections and queues that the
# per-item figure stands out of the noise of one node's allocators.
HOLD_CONNECTIONS = 200
HOLD_QUEUES = 100
HOLD_SECONDS = 180.0
MEMORY_READINGS = 3
MEMORY_PAUSE = 1.0
MONITOR_USER = "sizing-monitor"
MONITOR_PASSWORD = "SIZING_PASS"
# Categories of rabbitmq-diagnostics memory_breakdown that grow with
# connections and with quorum queues.
CONNECTION_KEYS = ("connection_readers", "connection_writers",
                   "connection_channels", "connection_other")
QUEUE_KEYS = ("quorum_queue_procs", "quorum_queue_dlx_procs",
              "quorum_ets", "metadata_store", "metadata_store_ets")


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
                sent = time.monotonic()
                answer = agents.get(url)
                assert answer is not None, daemons.log(f"{app}-{tag}")[-2000:]
                answer.update(app=app, sent=sent, answered=time.monotonic())
                results.append(answer)
    finally:
        for name in names:
            daemons.kill(name, signal.SIGTERM)
    return results


def test_wsgi_apps_have_their_own_reply_queues(cluster, daemons,
                                                measurements):
    """Finding 1: six WSGI APIs on one host, with and without processname.

    Stand-ins for the compute and metadata APIs, the Networking API,
    cinder-api, manila-api and masakari-api run under uWSGI on
    controller1, each reading its service's
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
            "Stand-ins for nova-api, the metadata API, neutron-api, "
            "cinder-api, manila-api and masakari-api under uWSGI on "
            "controller1, configured by nova.conf, neutron.conf, "
            "cinder.conf, manila.conf and masakari.conf with "
            "use_queue_manager = true, each making RPC calls to a server "
            "on controller2; once with the per-application processname "
            "files of the tree, once without them."),
        test="test_wsgi_apps_have_their_own_reply_queues")
    result.loads(rpc.NODE_FILES["nova/nova.conf"],
                 rpc.NODE_FILES["neutron/neutron.conf"],
                 rpc.NODE_FILES["cinder/cinder.conf"],
                 rpc.NODE_FILES["manila/manila.conf"],
                 rpc.NODE_FILES["masakari/masakari.conf"],
                 *(rpc.NODE_FILES[path] for path in PER_APP_FILES))
    agents = cluster.rpc
    server = agents.start_server("controller2", WSGI_TOPIC)
    agents.wait_ready(server)

    fixed = _exercise_wsgi_apps(cluster, daemons, "tree")
    for name in PER_APP_FILES:
        agents.nodes["controller1"].remove(name)
    old = _exercise_wsgi_apps(cluster, daemons, "old")

    for label, calls in (("per-application processname (tree)", fixed),
                         ("default processname (old tree)", old)):
        timeline = result.timeline(f"RPC calls through the four APIs, "
                                   f"{label}")
        timeline.start(calls[0]["sent"])
        for call in calls:
            timeline.record(call["ok"], call["answered"])
        for first in {c["app"]: c for c in reversed(calls)}.values():
            timeline.event(first["app"], first["sent"])
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


DEFAULTS_PROBE = """
import json
from keystonemiddleware.auth_token import _opts as ksm
from oslo_messaging._drivers import impl_rabbit
def default(opts, name):
    return next(o.default for o in opts if o.name == name)
print(json.dumps({
    "rpc_conn_pool_size": default(impl_rabbit.rabbit_opts,
                                  "rpc_conn_pool_size"),
    "memcache_pool_maxsize": default(ksm._OPTS, "memcache_pool_maxsize"),
    "memcache_use_advanced_pool": default(ksm._OPTS,
                                          "memcache_use_advanced_pool")}))
"""


def test_sizing_defaults_match_the_installed_libraries():
    """The defaults the sizing tables assume are the lab's libraries' own."""
    venv = openstack.venv()
    done = subprocess.run([str(venv / "bin" / "python"), "-c",
                           DEFAULTS_PROBE], capture_output=True, text=True,
                          timeout=60, check=True)
    assert json.loads(done.stdout) == {
        "rpc_conn_pool_size": sizing.RPC_POOL_DEFAULT,
        "memcache_pool_maxsize": sizing.AUTHTOKEN_POOL_DEFAULT,
        # The auth_token pool is per process only with the advanced pool.
        "memcache_use_advanced_pool": True}


def _broker_memory(cluster) -> dict[str, int]:
    """Bytes of each memory category, summed over the three nodes.

    Read through the management API (one curl per node), which answers
    in milliseconds where rabbitmq-diagnostics starts an Erlang VM.
    """
    totals: dict[str, int] = {}
    for node in tree.CONTROLLERS:
        url = (f"http://{tree.address('controller1')}:15672/api/nodes/"
               f"rabbit@{node}/memory")
        done = cluster.lab.run_in("controller1", [
            "curl", "-sf", "--max-time", "10", "-u",
            f"{MONITOR_USER}:{MONITOR_PASSWORD}", url], host=True,
            timeout=30)
        for key, value in json.loads(done.stdout)["memory"].items():
            if isinstance(value, int):
                totals[key] = totals.get(key, 0) + value
    return totals


def _settled_memory(cluster) -> dict[str, int]:
    # The broker's allocators and garbage collection make one reading
    # noisy; the median of a few readings per category steadies it.
    readings = []
    for _ in range(MEMORY_READINGS):
        readings.append(_broker_memory(cluster))
        time.sleep(MEMORY_PAUSE)
    return {key: int(statistics.median(r.get(key, 0) for r in readings))
            for key in readings[0]}


def _delta(after: dict, before: dict, keys) -> int:
    return sum(after.get(k, 0) - before.get(k, 0) for k in keys)


def test_broker_memory_per_connection_and_queue(cluster, daemons, workdir,
                                                measurements):
    """What one AMQP connection and one quorum queue cost the brokers.

    A client in the client namespace opens 200 connections with one
    channel each to controller1, then declares 100 quorum queues (three
    replicas each, one per node). The memory breakdown of every node is
    read before and after each step; the sizing page multiplies these
    figures by the connections and queues the tree's services open.
    """
    result = measurements.scenario(
        "rabbitmq-sizing",
        title="RabbitMQ: memory per connection and per quorum queue",
        description=(
            f"{HOLD_CONNECTIONS} AMQP connections with one channel each "
            f"to one node, then {HOLD_QUEUES} empty quorum queues "
            "declared (three replicas each); the memory breakdown of "
            "the three nodes is summed before and after each step."),
        test="test_broker_memory_per_connection_and_queue")
    result.loads(rabbitmq.RABBITMQ_CONF)
    result.without_timeline(
        "a measurement of memory at rest, with no load over time to chart")
    files = {step: workdir / f"hold-{step}"
             for step in ("opened", "queues", "declared", "stop")}
    # The management API needs a user with the monitoring tag; the
    # guide's openstack user has none.
    cluster.ctl("controller1", "add_user", MONITOR_USER, MONITOR_PASSWORD)
    cluster.ctl("controller1", "set_user_tags", MONITOR_USER, "monitoring")
    before = _settled_memory(cluster)
    cluster.client("hold", "hold", hosts=cluster.hosts[:1],
                   connections=HOLD_CONNECTIONS, queues=HOLD_QUEUES,
                   prefix="sizing", seconds=HOLD_SECONDS,
                   opened_file=str(files["opened"]),
                   queues_file=str(files["queues"]),
                   declared_file=str(files["declared"]),
                   stop_file=str(files["stop"]), **cluster.credentials())
    try:
        proc.wait_for(files["opened"].exists, timeout=HOLD_SECONDS,
                      interval=0.5, what="the connections to open")
        opened = _settled_memory(cluster)
        files["queues"].touch()
        proc.wait_for(files["declared"].exists, timeout=HOLD_SECONDS,
                      interval=0.5, what="the quorum queues")
        declared = _settled_memory(cluster)
        types = rpc.queue_types(cluster, "controller1")
    finally:
        files["stop"].touch()
    held = cluster.client_result("hold", timeout=HOLD_SECONDS)
    assert held == {"connections": HOLD_CONNECTIONS, "queues": HOLD_QUEUES}
    assert sum(n.startswith("sizing-") and t == "quorum"
               for n, t in types.items()) == HOLD_QUEUES, types
    # A category renamed by a later RabbitMQ must fail here, not count 0.
    missing = {*CONNECTION_KEYS, "quorum_queue_procs"} - set(before)
    assert not missing, sorted(before)
    per_connection = _delta(opened, before, CONNECTION_KEYS)
    per_queue = _delta(declared, opened, QUEUE_KEYS)
    result.measure("broker memory per connection with one channel",
                   round(per_connection / HOLD_CONNECTIONS / 1024, 1),
                   "KiB", bound=(">=", 1))
    result.measure("broker memory per empty quorum queue, three replicas",
                   round(per_queue / HOLD_QUEUES / 1024, 1), "KiB",
                   bound=(">=", 1))


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
