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
"""keystone, placement and RPC on three controllers: one killed or cut off.

keystone.conf and placement.conf run unchanged, under uWSGI, on all
three controllers, with the tree's memcached on every controller. Their
database is the tree's three-node Galera cluster (harness/galera.py),
reached through the galera proxy of the tree's haproxy.cfg on the VIP;
HAProxy runs on every controller and keepalived, from the tree's
keepalived.conf and check_haproxy.sh, places the VIP. The tree's
RabbitMQ cluster runs beside them with an RPC server per controller
configured by nova.conf (harness/rpc.py).

Two scenarios also run clients with the deployment tools' settings side
by side with the guide's, in the same load window: oslo.db clients
(harness/dbload.py) while the Galera writer is killed, then cut off, and
RPC clients on the broker that is cut off. The defaults, read from the
tools' sources (commit in brackets):

kolla-ansible [1a681814eb19]
    ansible/roles/keystone/templates/keystone.conf.j2 [database]
    ``max_retries = -1``, ``max_pool_size`` and ``connection_recycle_time``
    from ansible/group_vars/all/database.yml (``database_max_pool_size:
    1``, ``database_connection_recycle_time: 10``);
    ansible/roles/nova/templates/nova.conf.j2 [oslo_messaging_rabbit]
    sets no heartbeat or reconnection option.
openstack-ansible [os_keystone 383a73d3782e, os_nova e06c7bceef3f]
    os_keystone templates/keystone.conf.j2 [database] ``max_overflow``,
    ``max_pool_size``, ``pool_timeout``, ``connection_recycle_time`` from
    defaults/main.yml (50, 5, 30, 600), no ``max_retries``; os_nova
    templates/nova.conf.j2 [oslo_messaging_rabbit] sets no heartbeat or
    reconnection option.

oslo.db's and oslo.messaging's defaults do the rest; the clients report
the values in effect.
"""

from __future__ import annotations

import configparser
import itertools
import json
import shutil
import time
from pathlib import Path

import pytest

from harness import (faults, galera, haproxy, keepalived, keystone,
                     memcached, netns, openstack, pki, placement,
                     proc, rabbitmq, requirements, rpc, tree)

pytestmark = pytest.mark.functional

# About 12 minutes a run (half of it the Galera, keystone and placement
# set-up): `tox -e functional-results` runs it once.
RUNS = 1

HOSTS = "controller/etc/hosts"
PROXIES = ("keystone_api", "placement_api", "galera")
CLIENT = Path(__file__).parent / "harness" / "apiclient.py"
# The guide's database set-up for the two services (identity.rst,
# compute.rst), with the passwords of the tree's connection URLs.
DATABASES = (("keystone", "KEYSTONE_DBPASS"),
             ("placement", "PLACEMENT_DBPASS"))
DB_SQL = ("CREATE DATABASE {db}; "
          "GRANT ALL PRIVILEGES ON {db}.* TO '{db}'@'%' "
          "IDENTIFIED BY '{password}';")
# Lines added to each node's boot (harness.rabbitmq): HAProxy's /run/haproxy
# is a directory of the scratch tree, so the tests read every node's admin
# socket where check_haproxy.sh asks it; the check script is installed
# root-owned as keepalived's script security demands; 60-ha.conf lets the
# backups' HAProxy bind the VIP.
NODE_SETUP = """\
mkdir -p /run/haproxy
mount --bind {nodedir}/haproxy-run /run/haproxy
install -m 0755 {workdir}/check_haproxy.sh /etc/keepalived/
sysctl -q -p {workdir}/60-ha.conf
"""
# The load: three clients, issuing tokens, listing placement's resource
# providers and making RPC calls, each every 0.2 s after its previous
# answer. Longer than nova.conf's heartbeat timeout (60 s) after the
# fault.
LOAD_SECONDS = 80.0
LOAD_INTERVAL = 0.2
FAULT_AFTER = 10.0
KINDS = ("token", "placement", "rpc")
LABELS = {"token": "token issues through the VIP",
          "placement": "placement requests through the VIP",
          "rpc": "RPC calls (brokers of transport_url)"}
RPC_TOPIC = "haguide-api"
RPC_TIMEOUT = 10.0
# Erlang's net_ticktime, which the tree's rabbitmq.conf keeps: the other
# nodes declare a silent node down 0.75 to 1.25 times it after the cut.
# Until then a quorum queue led by the silent node takes no message and
# its RPC server stays a consumer, so calls fail at their timeout.
NET_TICKTIME = 60.0
RPC_OUTAGE = 1.25 * NET_TICKTIME + RPC_TIMEOUT + 5.0
# One lost call per RPC_TIMEOUT for the whole outage, at most.
RPC_LOST = int(RPC_OUTAGE // RPC_TIMEOUT)
# The RPC loop of a silent node's scenarios runs until the outage is
# surely over.
RPC_CUT_SECONDS = FAULT_AFTER + RPC_OUTAGE + 10.0
# The Galera writer scenario: token load per phase (s), and its bounds.
# Killed, the node's health check answers 503 at once and HAProxy needs
# fall x inter (5 x 2 s); cut off, every check waits for its timeout.
GALERA_LOAD = {"kill": 35.0, "cut": 70.0}
GALERA_BOUNDS = {"kill": {"failed": 10, "gap": 30.0, "down": 25.0},
                 "cut": {"failed": 10, "gap": 60.0, "down": 50.0}}
# keepalived settles on one holder within a few advertisements.
SETTLE_TIMEOUT = 30.0
# Side by side (see the module's docstring): the settings sets, the
# [database] options each tool writes into keystone.conf, and their
# sources as the chapter's table names them.
PROFILES = ("guide", "kolla-ansible", "openstack-ansible")
DB_LOAD = Path(__file__).parent / "harness" / "dbload.py"
DB_TOOL_OPTIONS = {
    "kolla-ansible": {"connection_recycle_time": "10",
                      "max_pool_size": "1", "max_retries": "-1"},
    "openstack-ansible": {"max_overflow": "50", "max_pool_size": "5",
                          "pool_timeout": "30",
                          "connection_recycle_time": "600"},
}
DB_SOURCES = {
    "guide": "the tree's keystone.conf [database]",
    "kolla-ansible": "kolla-ansible ansible/roles/keystone/templates/"
                     "keystone.conf.j2, ansible/group_vars/all/"
                     "database.yml (master 1a681814eb19, 2026-08-19)",
    "openstack-ansible": "openstack-ansible-os_keystone templates/"
                         "keystone.conf.j2, defaults/main.yml (master "
                         "383a73d3782e, 2026-07-14); max_retries and "
                         "retry_interval are oslo.db's defaults",
}
# The [oslo_messaging_rabbit] options the tree sets and neither tool
# does: the tools' clients run on oslo.messaging's defaults for them.
RABBIT_TUNING = ("heartbeat_timeout_threshold", "heartbeat_rate",
                 "rabbit_retry_interval", "rabbit_retry_backoff",
                 "rabbit_interval_max", "kombu_failover_strategy",
                 "kombu_reconnect_delay")
RPC_SOURCES = {
    "guide": "the tree's nova.conf [oslo_messaging_rabbit]",
    "kolla-ansible": "oslo.messaging's defaults: kolla-ansible ansible/"
                     "roles/nova/templates/nova.conf.j2 sets none of the "
                     "heartbeat or reconnection options (master "
                     "1a681814eb19, 2026-08-19)",
    "openstack-ansible": "oslo.messaging's defaults: openstack-ansible-"
                         "os_nova templates/nova.conf.j2 sets none of the "
                         "heartbeat or reconnection options (master "
                         "e06c7bceef3f, 2026-06-26)",
}
# A client with oslo.messaging's 60 s gives up on a silent broker after
# at most two heartbeat intervals, checked every threshold / rate / 2
# seconds, then reconnects and calls again: its loop outlasts that.
RPC_DEFAULT_THRESHOLD = 60.0
HEARTBEAT_AFTER_CUT = 2 * RPC_DEFAULT_THRESHOLD + RPC_TIMEOUT + 20.0
# How much worse than the better tool the guide may measure before the
# test fails. The clients are not in step: an oslo.db client whose
# operation starts in the moment HAProxy takes the writer out waits
# DB_WAIT where the one beside it fails at once, and an RPC
# client on the tree's settings finds the moved queue leaders only with
# its next call, up to RPC_TIMEOUT after a client that reconnected then.
# An oslo.db operation without an answer after DB_WAIT counts as failed,
# as the API client (harness/apiclient.py) gives up after 10 s.
DB_WAIT = 10.0
NOISE = {
    "oslo.db": {"s": DB_WAIT + 3.0, "operations": 5, "connections": 3},
    "rpc": {"s": RPC_TIMEOUT + 3.0, "calls": 2},
}
# Files every run of the lab loads (besides the RabbitMQ lab's own).
LOADED = (keystone.KEYSTONE_CONF, placement.PLACEMENT_CONF,
          haproxy.HAPROXY_CFG, memcached.MEMCACHED_CONF, HOSTS,
          keepalived.KEEPALIVED_CONF, keepalived.CHECK_SCRIPT,
          keepalived.SYSCTL, galera.GALERA_CNF, galera.HEALTH_SCRIPT,
          galera.HEALTH_CNF, galera.XINETD_SERVICE)

# The same lab with TLS on every link (test_controller_killed_with_tls):
# the TLS variant's files (tls.rst) replace the controllers' HAProxy,
# Galera, memcached and RabbitMQ files, and its drop-ins are added to
# keystone's, placement's and nova's. The galera proxy stays the
# controllers' (MariaDB's own TLS passes through it).
TLS_HAPROXY = "variants/tls/etc/haproxy/haproxy.cfg"
TLS_GALERA = "variants/tls/etc/mysql/mariadb.conf.d/60-galera.cnf"
TLS_MEMCACHED = "variants/tls/etc/memcached.conf"
TLS_RABBITMQ = {"conf": "variants/tls/etc/rabbitmq/rabbitmq.conf",
                "env": "variants/tls/etc/rabbitmq/rabbitmq-env.conf"}
TLS_DROP_INS = {
    "keystone/keystone.conf.d/keystone.conf":
        "variants/tls/etc/keystone/keystone.conf.d/keystone.conf",
    "placement/placement.conf.d/placement.conf":
        "variants/tls/etc/placement/placement.conf.d/placement.conf",
    "nova/nova.conf.d/nova.conf":
        "variants/tls/etc/nova/nova.conf.d/nova.conf",
}
# Where the variant's files look for certificates. The OpenStack
# processes find them there, in their node's /etc; the daemons of the
# lab root get the paths rewritten to the run's files.
CA_ON_NODES = "/etc/ssl/certs/openstack-ca.pem"
HAPROXY_CERTS = "/etc/haproxy/certs/"
GALERA_TLS = "/etc/mysql/tls/"
MEMCACHED_TLS = "/etc/memcached/tls/"
# Each API server's certificate and key, for uWSGI's https-socket
# (tls.rst), and the client certificate each service presents to
# memcached (the drop-ins' paths).
API_TLS = {service: (f"/etc/{service}/tls/api.pem",
                     f"/etc/{service}/tls/api.key")
           for service in ("keystone", "placement")}
MEMCACHED_CLIENT = {service: (f"/etc/{service}/tls/memcached-client.pem",
                              f"/etc/{service}/tls/memcached-client.key")
                    for service in ("keystone", "placement")}
# The keys the memcached servers hold, read over TLS with keystone's
# client certificate (memcached's metadump, keys URL-encoded): per
# server, keystonemiddleware's ("tokens/...", placement's token cache)
# and the others (keystone's oslo.cache). Standard library only; every
# read is bounded by the socket timeout and the size.
MEMCACHED_KEYS = """\
import json, socket, ssl, sys, urllib.parse
context = ssl.create_default_context(cafile=sys.argv[1])
context.load_cert_chain(sys.argv[2], sys.argv[3])
found = {}
for server in sys.argv[4:]:
    host, port = server.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=host) as conn:
            conn.sendall(b"lru_crawler metadump all\\r\\n")
            data = b""
            while not data.endswith(b"END\\r\\n") and len(data) < 1 << 24:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
    keys = [urllib.parse.unquote(line.split()[0][4:])
            for line in data.decode().splitlines()
            if line.startswith("key=")]
    tokens = sum(key.startswith("tokens/") for key in keys)
    found[server] = {"tokens": tokens, "other": len(keys) - tokens}
print(json.dumps(found))
"""


class Tls:
    """Certificates of a CA made for the run, where the variant wants them.

    One certificate per controller names the node and its address: its
    API servers and its RabbitMQ node present it. The database nodes'
    also name the internal VIP, which HAProxy passes their TLS through;
    the VIP's own is HAProxy's.
    """

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.ca = pki.CA(workdir / "ca")
        self.node = {n: self.ca.issue(n, pki.node_names(n))
                     for n in tree.CONTROLLERS}

    def etc_files(self, node: str, services=API_TLS) -> dict[str, str]:
        """An OpenStack node's /etc additions: the CA, the drop-ins of
        services (keystone, placement, nova) and their certificates."""
        source = node if node in tree.CONTROLLERS else tree.CONTROLLERS[0]
        files = {CA_ON_NODES[len("/etc/"):]: self.ca.cert.read_text(),
                 **{relpath: tree.node_file(example, source)
                    for relpath, example in TLS_DROP_INS.items()
                    if relpath.split("/")[0] in services}}
        if node not in tree.CONTROLLERS:
            return files
        for service in set(API_TLS) & set(services):
            client = self.ca.issue(f"{service}-{node}-memcached",
                                   [f"{service}-{node}"])
            for path, issued in zip(
                    (*API_TLS[service], *MEMCACHED_CLIENT[service]),
                    (self.node[node]["cert"], self.node[node]["key"],
                     client["cert"], client["key"]), strict=True):
                files[path[len("/etc/"):]] = issued.read_text()
        return files

    def galera(self) -> dict:
        """galera.Cluster's options: the variant's file, the run's files."""
        for node in tree.CONTROLLERS:
            issued = self.ca.issue(f"{node}-db", [
                *pki.node_names(node), *pki.node_names("internal")])
            pki.install(self.workdir / "tls" / node, "mysql", {
                "ca.pem": self.ca.cert, "server.pem": issued["cert"],
                "server.key": issued["key"]})
        return {"cnf": TLS_GALERA, "substitutions": {
            GALERA_TLS: f"{self.workdir}/tls/{{name}}/"}}

    def rabbitmq(self) -> None:
        """The brokers' files, once RabbitLab.prepare made their /etc.

        Each broker's certificate names all three brokers, as the
        variant's rabbitmq.conf says: an oslo.messaging client checks
        every broker it fails over to against the address of the first
        one it reached (tls.rst).
        """
        for node in tree.CONTROLLERS:
            issued = self.ca.issue(f"{node}-rabbitmq",
                                   pki.cluster_names(node))
            pki.install(self.workdir / node / "etc" / "tls", "rabbitmq", {
                "ca.pem": self.ca.cert, "node.pem": issued["cert"],
                "node.key": issued["key"]})

    def memcached_argv(self, node: str) -> list[str]:
        target = self.workdir / node / "memcached"
        pki.install(target, "memcache", {"node.pem": self.node[node]["chain"],
                                         "node.key": self.node[node]["key"]})
        return memcached.argv(node, self.workdir, to_loopback=False,
                              conf=TLS_MEMCACHED, substitutions={
                                  MEMCACHED_TLS: f"{target}/",
                                  CA_ON_NODES: str(self.ca.cert)})

    def haproxy(self, node: str) -> tuple[str, dict[str, str]]:
        """The variant's haproxy.cfg with the controllers' galera proxy,
        and the rewrite of its certificates' directory."""
        certs = self.workdir / "certs"
        if not certs.exists():
            certs.mkdir()
            vip = self.ca.issue("internal", pki.node_names("internal"))
            shutil.copy(vip["pem"], certs / "internal.pem")
            shutil.copy(self.ca.cert, certs / "internal-ca.pem")
        galera_proxy = tree.sections(tree.node_file(
            haproxy.HAPROXY_CFG, node), haproxy.SECTION_KEYWORDS)[
            "listen galera"]
        return (tree.example(TLS_HAPROXY).rstrip() + "\n\n" + galera_proxy,
                {HAPROXY_CERTS: f"{certs}/"})


class Identity:
    """The APIs' side of the lab, in the RabbitMQ lab's namespaces.

    Every controller runs a Galera node (with its health check), HAProxy
    (the tree's global, defaults, keystone_api, placement_api and galera
    sections) and keepalived, which holds the VIP on one of them. With
    tls, the TLS variant's files and certificates are used instead.
    """

    def __init__(self, workdir: Path, daemons: proc.Daemons, venv: Path,
                 rabbit: rabbitmq.RabbitLab, tls: Tls | None = None):
        self.workdir = workdir
        self.daemons = daemons
        self.venv = venv
        self.lab = rabbit.lab
        self.rabbit = rabbit
        self.tls = tls
        self.scheme = "https" if tls else "http"
        self.socks = {n: workdir / n / "haproxy-run" / "admin.sock"
                      for n in tree.CONTROLLERS}
        self.nodes: dict[str, openstack.Node] = {}
        self.db = galera.Cluster(workdir, daemons, self.lab,
                                 **(tls.galera() if tls else {}))

    @staticmethod
    def prepare(workdir: Path, rabbit: rabbitmq.RabbitLab) -> None:
        """Files the nodes' boot lines need, before RabbitLab.prepare."""
        for relpath in (keepalived.CHECK_SCRIPT, keepalived.SYSCTL):
            (workdir / Path(relpath).name).write_text(tree.example(relpath))
        for node in tree.CONTROLLERS:
            (workdir / node / "haproxy-run").mkdir(parents=True)
        rabbit.node_setup = NODE_SETUP

    def start(self) -> dict[str, float]:
        figures = {}
        started = time.monotonic()
        self.db.start(setup_lab=False, proxy=False)
        first_db = self.db.nodes["controller1"]
        for name, password in DATABASES:
            first_db.sql(DB_SQL.format(db=name, password=password))
        figures["Galera cluster of three Synced"] = (
            time.monotonic() - started)
        for node in (*tree.CONTROLLERS, "client"):
            source = "controller1" if node == "client" else node
            self.nodes[node] = openstack.Node(
                self.lab, node, self.workdir / "os" / node, self.venv,
                {**keystone.files(source), **placement.files(source),
                 "hosts": tree.example(HOSTS),
                 **(self.tls.etc_files(node) if self.tls else {})},
                writable=keystone.KEY_DIRS)
            for sub in ("log/keystone", "log/placement"):
                (self.workdir / "os" / node / sub).mkdir(parents=True,
                                                         exist_ok=True)
        for node in tree.CONTROLLERS:
            argv = (self.tls.memcached_argv(node) if self.tls else
                    memcached.argv(node, self.workdir, to_loopback=False))
            self.daemons.start(f"{node}-memcached",
                               self.db.nodes[node].host.argv(argv))
        started = time.monotonic()
        self._haproxy_and_keepalived()
        figures["VIP held (keepalived) and Galera UP in HAProxy"] = (
            time.monotonic() - started)
        started = time.monotonic()
        first = self.nodes["controller1"]
        keystone.bootstrap(first, f"{self.scheme}://controller:5000/v3/")
        figures["keystone-manage (db_sync, keys, bootstrap)"] = (
            time.monotonic() - started)
        for node in tree.CONTROLLERS[1:]:
            keystone.copy_keys(first, self.nodes[node])
        figures["keystone on three nodes UP in HAProxy"] = self._serve(
            keystone, "keystone_api")
        self.client("service", *placement.SERVICE_USER)
        placement.db_sync(first)
        figures["placement on three nodes UP in HAProxy"] = self._serve(
            placement, "placement_api")
        return figures

    def _serve(self, component, proxy: str) -> float:
        """Start component on every controller; seconds until all UP."""
        started = time.monotonic()
        service = component.__name__.rpartition(".")[2]
        for node in tree.CONTROLLERS:
            component.start(self.nodes[node], self.daemons,
                            API_TLS[service] if self.tls else None)
        self.wait_up(proxy, tree.CONTROLLERS, timeout=180)
        return time.monotonic() - started

    def _haproxy_and_keepalived(self) -> None:
        for node in tree.CONTROLLERS:
            nodedir = self.workdir / node
            text, rewrite = (self.tls.haproxy(node) if self.tls else (
                tree.node_file(haproxy.HAPROXY_CFG, node), {}))
            cfg = haproxy.config(PROXIES, rewrite, to_loopback=False,
                                 text=text)
            path = nodedir / "haproxy.cfg"
            path.write_text(cfg)
            haproxy.check_config(path, tuple(
                self.db.nodes[node].host.argv([])))
            self.params = haproxy.check_params(cfg, "keystone_api")
            self.galera_params = haproxy.check_params(cfg, "galera")
            self.lab.start_in(node, f"{node}-haproxy", haproxy.argv(
                path, Path("/run/haproxy.pid")))
            conf = nodedir / "keepalived.conf"
            conf.write_text(tree.node_file(keepalived.KEEPALIVED_CONF, node))
            self.lab.start_in(node, f"{node}-keepalived", [
                "keepalived", "-n", "-l", "-D", "-f", str(conf)])
        self.wait_up("galera", tree.CONTROLLERS, timeout=60)
        self.holder()

    def holders(self, among=tree.CONTROLLERS) -> list[str]:
        return [n for n in among if tree.vip() in self.lab.addresses(n)]

    def holder(self, among=tree.CONTROLLERS) -> str:
        """Wait until exactly one of among holds the VIP; return it."""
        proc.wait_for(lambda: len(self.holders(among)) == 1,
                      timeout=SETTLE_TIMEOUT, interval=0.2,
                      what="exactly one controller holding the VIP")
        return self.holders(among)[0]

    def wait_up(self, proxy: str, nodes, timeout: float,
                on=tree.CONTROLLERS) -> float:
        """Wait until every HAProxy of on sees nodes UP in proxy."""
        return proc.wait_for(
            lambda: all(haproxy.status_is(self.socks[h], proxy, n, "UP")
                        for n in nodes for h in on),
            timeout=timeout, interval=0.5, what=f"{proxy} servers UP")

    def loaded(self) -> tuple[str, ...]:
        """The tree's files this lab runs."""
        files = (*LOADED, rabbitmq.RABBITMQ_CONF, rabbitmq.RABBITMQ_ENV,
                 rpc.NODE_FILES["nova/nova.conf"])
        if not self.tls:
            return files
        replaced = {memcached.MEMCACHED_CONF, galera.GALERA_CNF,
                    rabbitmq.RABBITMQ_CONF, rabbitmq.RABBITMQ_ENV}
        return (*(f for f in files if f not in replaced), TLS_HAPROXY,
                TLS_GALERA, TLS_MEMCACHED, *TLS_RABBITMQ.values(),
                *TLS_DROP_INS.values())

    def environ(self) -> dict[str, str]:
        """The API clients' environment: with TLS, the internal CA is
        the one they trust (Python's ssl reads SSL_CERT_FILE)."""
        if self.tls:
            return openstack.environ(SSL_CERT_FILE=CA_ON_NODES)
        return openstack.environ()

    def rpc_connections(self, node: str) -> list[tuple[str, str]]:
        """(peer_host, ssl) of every AMQP connection, asked on node."""
        done = self.rabbit.ctl(node, "list_connections", "peer_host", "ssl",
                               "--silent", timeout=30, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        return [tuple(line.split()) for line in done.stdout.splitlines()
                if len(line.split()) == 2]

    def url(self, port: int) -> str:
        return f"{self.scheme}://{tree.vip()}:{port}"

    def client(self, action: str, *args: str) -> str:
        argv = [str(self.venv / "bin" / "python"), str(CLIENT), action,
                self.url(keystone.PORT), *args]
        return self.nodes["client"].run(argv, timeout=120,
                                        env=self.environ()).stdout

    def wait_status(self, on: str, proxy: str, node: str, status: str,
                    timeout: float = 60) -> float:
        return proc.wait_for(
            lambda: haproxy.status_is(self.socks[on], proxy, node, status),
            timeout=timeout, interval=0.2, what=f"{node} {status}")

    def start_load(self, name: str, kind: str, out: Path,
                   seconds: float = LOAD_SECONDS) -> None:
        self.nodes["client"].start(self.daemons, name, [
            str(self.venv / "bin" / "python"), str(CLIENT), "load", kind,
            self.url(keystone.PORT), self.url(placement.PORT), str(out),
            str(seconds), str(LOAD_INTERVAL)],
            env=self.environ())

    def galera_synced(self) -> None:
        """Wait until the three Galera nodes are one Synced cluster."""
        for node in self.db.nodes.values():
            proc.wait_for(lambda n=node: n.synced() and n.status().get(
                "wsrep_cluster_size") == "3", timeout=galera.START_TIMEOUT,
                interval=0.5, what=f"{node.name} Synced in a cluster of 3")


@pytest.fixture(scope="module", params=["plain"])
def identity(request, workdir, daemons):
    """The lab; parametrized "tls" (indirectly), the TLS variant's.

    pytest runs the tests of one parameter together and closes that lab
    before it starts the next, so the two never run at once. The TLS
    lab has a directory and daemons of its own.
    """
    requirements.require(
        binaries=("ip", "unshare", "nsenter", "mount", "nft", "openssl",
                  *galera.HOST_BINARIES),
        root_binaries=(*galera.BINARIES, *keepalived.BINARIES, "memcached",
                       f"{rabbitmq.BIN}/rabbitmq-server"))
    venv = openstack.venv()
    tls = None
    if request.param == "tls":
        workdir = workdir / "tls"
        workdir.mkdir(mode=0o755)
        daemons = proc.Daemons(workdir)
        tls = Tls(workdir)
    # The tree's RabbitMQ cluster makes the controllers' namespaces (with
    # the public network keepalived.conf's VI_PUBLIC needs); Galera,
    # HAProxy, keepalived, the APIs, memcached and the RPC servers join
    # them.
    rabbit = rabbitmq.RabbitLab(workdir, daemons, **(
        {**TLS_RABBITMQ, "tag": "rs"} if tls else {}))
    try:
        Identity.prepare(workdir, rabbit)
        rabbit.prepare(public=True)
        if tls:
            tls.rabbitmq()
        rabbit.start_cluster()
        lab = Identity(workdir, daemons, venv, rabbit, tls)
        lab.figures = lab.start()
        lab.rpc = rpc.Rpc(rabbit.lab, daemons, workdir / "rpc", venv)
        if tls:
            for node, rpc_node in lab.rpc.nodes.items():
                for relpath, text in tls.etc_files(node, ("nova",)).items():
                    rpc_node.put(relpath, text)
        for node in tree.CONTROLLERS:
            lab.rpc.wait_ready(lab.rpc.start_server(node, RPC_TOPIC))
        yield lab
    finally:
        rabbit.close()


def test_logs_go_to_the_files_the_tree_names(identity):
    """log_file in keystone.conf and placement.conf names the log file.

    Under uWSGI oslo.log has no program name to name the file after; the
    tree's log_file gives each service one known file in its log_dir.
    """
    for node in tree.CONTROLLERS:
        for service in ("keystone", "placement"):
            logdir = identity.nodes[node].root / "log" / service
            names = sorted(path.name for path in logdir.iterdir())
            assert names == [f"{service}.log"], (node, names)


def _analyse(outcomes: list[dict], fault: float, ended: float,
             kinds=KINDS) -> dict:
    """Per kind: failures, longest gap after the fault, recovery time.

    The recovery time is None when no request succeeded after the last
    failure (the kind had not recovered when the load ended).
    """
    figures = {}
    for kind in kinds:
        mine = [o for o in outcomes if o["kind"] == kind]
        failed = [o for o in mine if not o["ok"] and o["end"] >= fault]
        ok_ends = sorted(o["end"] for o in mine if o["ok"])
        # Each kind's load may end at its own time (the RPC loop of a
        # silent node's scenarios runs longer).
        last = max((o["end"] for o in mine), default=ended)
        marks = [fault, *(t for t in ok_ends if t >= fault), last]
        gap = max(b - a for a, b in itertools.pairwise(marks))
        recovered = 0.0
        if failed:
            last = max(o["end"] for o in failed)
            after = [t for t in ok_ends if t > last]
            recovered = after[0] - fault if after else None
        figures[kind] = {"requests": len(mine), "failed": len(failed),
                         "gap": gap, "recovered": recovered}
    return figures


class SideBySide:
    """One client per settings set, run beside a scenario's own load.

    start() launches them just before _run_load starts its load; the
    fault and heal callables passed to _run_load go through fault() and
    heal(), which note when the fault hit and let the clients finish
    before the link is healed, so the scenario itself is unchanged.
    """

    def __init__(self, identity, name: str, seconds: float):
        self.identity = identity
        self.name = name
        self.seconds = seconds
        self.outs = {p: identity.workdir / f"{name}-{p}.jsonl"
                     for p in PROFILES}
        self.started = time.time()
        self.fault_at: float | None = None
        self.outcomes: dict[str, list[dict]] | None = None

    def start(self, node: openstack.Node, argv) -> None:
        """argv(profile, out) is the command line of profile's client."""
        self.started = time.time()
        for profile in PROFILES:
            node.start(self.identity.daemons, self.daemon(profile),
                       argv(profile, self.outs[profile]),
                       env=openstack.environ())

    def daemon(self, profile: str) -> str:
        return f"{self.name}-{profile}"

    def fault(self, action):
        def run():
            self.fault_at = time.time()
            action()
        return run

    def heal(self, action=lambda: None):
        def run():
            self.finish()
            action()
        return run

    def finish(self) -> dict[str, list[dict]]:
        """Wait for every client; their outcomes, one list per profile."""
        if self.outcomes is None:
            for profile in PROFILES:
                self.identity.daemons.procs[self.daemon(profile)].wait(
                    self.seconds + 60)
            self.outcomes = {p: openstack.json_lines(out)
                             for p, out in self.outs.items()}
        return self.outcomes

    def log(self, profile: str) -> str:
        return self.identity.daemons.log(self.daemon(profile))


def _db_conf(profile: str) -> str:
    """The [database] section a settings set gives keystone.

    The guide's is the tree's keystone.conf section as it stands; the
    tools' reach the same database through the same VIP.
    """
    # [DEFAULT] as a section of its own: its keys stay out of [database].
    parser = configparser.ConfigParser(interpolation=None, strict=False,
                                       default_section="haguide-none")
    parser.read_string(tree.example(keystone.KEYSTONE_CONF))
    options = dict(parser["database"])
    if profile != "guide":
        options = {"connection": options["connection"],
                   **DB_TOOL_OPTIONS[profile]}
    return "[database]\n" + "".join(f"{k} = {v}\n"
                                     for k, v in options.items())


def _start_db_clients(identity, name: str, seconds: float) -> SideBySide:
    clients = SideBySide(identity, name, seconds)

    def argv(profile: str, out: Path) -> list[str]:
        conf = identity.workdir / f"{name}-{profile}.conf"
        conf.write_text(_db_conf(profile))
        table = "haguide_oslodb_" + profile.replace("-", "_")
        return [str(identity.venv / "bin" / "python"), str(DB_LOAD),
                str(conf), table, str(out), str(seconds),
                str(LOAD_INTERVAL), str(DB_WAIT)]

    clients.start(identity.nodes["client"], argv)
    return clients


def _rpc_conf(profile: str, victim: str, drop_in: str = "") -> str:
    """nova.conf for profile's RPC client, victim's broker listed first.

    The tools' leave out the tree's heartbeat and reconnection options;
    each client gets a processname of its own, so the queue manager gives
    each its own reply queue. drop_in, the text of a nova.conf.d file,
    applies over nova.conf as oslo.config would apply it: its
    transport_url replaces the file's, its [oslo_messaging_rabbit]
    options are added.
    """
    # [DEFAULT] as a section of its own: its keys stay out of the others.
    over = configparser.ConfigParser(interpolation=None,
                                     default_section="haguide-none")
    over.read_string(drop_in)
    default, rabbit_over = ({} if not over.has_section(name) else
                            dict(over[name]) for name in
                            ("DEFAULT", "oslo_messaging_rabbit"))
    lines = []
    first = f"@{tree.address(victim)}:"
    for line in tree.node_file(rpc.NODE_FILES["nova/nova.conf"],
                               "controller1").splitlines():
        key, _, value = (part.strip() for part in line.partition("="))
        if profile != "guide" and key in RABBIT_TUNING:
            continue
        if key == "transport_url":
            value = default.get("transport_url", value)
            scheme, _, rest = value.partition("://")
            hosts, _, vhost = rest.partition("/")
            hosts = sorted(hosts.split(","), key=lambda h: first not in h)
            assert first in hosts[0], (value, victim)
            line = f"transport_url = {scheme}://{','.join(hosts)}/{vhost}"
        lines.append(line)
        if line.strip() == "[oslo_messaging_rabbit]":
            lines.append(f"processname = haguide-{profile}")
            lines.extend(f"{k} = {v}" for k, v in rabbit_over.items())
    return "\n".join(lines) + "\n"


def _start_rpc_clients(identity, name: str, victim: str,
                       seconds: float) -> SideBySide:
    clients = SideBySide(identity, name, seconds + RPC_TIMEOUT)
    node = identity.rpc.nodes["client"]

    def argv(profile: str, out: Path) -> list[str]:
        relpath = f"nova/{name}-{profile}.conf"
        node.put(relpath, _rpc_conf(profile, victim))
        return identity.rpc.python(
            "calls", "nova", "-", RPC_TOPIC, str(out), str(seconds),
            str(LOAD_INTERVAL), str(RPC_TIMEOUT), f"/etc/{relpath}")

    clients.start(node, argv)
    return clients


def _reconnected(log: str, since: float) -> float | None:
    """Seconds from since to the client's last reconnection, if any.

    A client has two connections: the one it publishes on gives up with
    the call's timeout, the one its replies come in on only when the
    heartbeat says the broker is gone; the last one to move is that.
    """
    last = None
    for line in log.splitlines():
        stamp, _, rest = line.partition(" ")
        if "Reconnected to AMQP server" not in rest:
            continue
        try:
            at = float(stamp)
        except ValueError:
            continue
        if at >= since:
            last = at - since
    return last


def _db_report(clients: SideBySide, profile: str) -> dict:
    """What dbload printed last: the settings in effect, connections."""
    for line in reversed(clients.log(profile).splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError(f"{profile}: no report from dbload: "
                         f"{clients.log(profile)[-2000:]}")


def _compare(result, measurements, key: str, failure: str,
             clients: SideBySide, unit: str, label: str,
             settings: dict[str, str], noise: dict[str, float],
             extra: tuple[tuple[str, str, dict], ...] = ()) -> dict:
    """Side-by-side rows and timelines of one failure; figures per profile.

    The guide's settings may be worse than the better tool's by noise (a
    bound per unit) at most on every row.
    """
    fault = clients.fault_at
    assert fault is not None, f"{failure}: the fault never ran"
    outcomes = clients.finish()
    for profile in PROFILES:
        before = [o for o in outcomes[profile]
                  if o["ok"] and o["end"] < fault]
        assert before, (f"{profile}: no success before the fault: "
                        f"{clients.log(profile)[-2000:]}")
        timeline = result.timeline(f"{profile}: {label}, {failure}")
        timeline.start(clients.started)
        for outcome in outcomes[profile]:
            timeline.record(outcome["ok"], outcome["end"])
        timeline.event(failure, fault)
    merged = [dict(o, kind=p) for p, mine in outcomes.items() for o in mine]
    figures = _analyse(merged, fault, max(o["end"] for o in merged),
                       PROFILES)
    late = [p for p in PROFILES if figures[p]["recovered"] is None]
    rows = [(f"{unit} that failed", unit,
             {p: figures[p]["failed"] for p in PROFILES}),
            ("longest time without a success", "s",
             {p: figures[p]["gap"] for p in PROFILES})]
    if not late:
        rows.append(("succeeding again after", "s",
                     {p: figures[p]["recovered"] for p in PROFILES}))
    rows.extend(extra)
    for metric, row_unit, values in rows:
        measurements.compare(failure, metric, row_unit, values, key=key,
                             settings=settings)
        best = min(values[p] for p in PROFILES if p != "guide")
        result.measure(f"{failure}: {metric}, guide minus the better tool",
                       values["guide"] - best, row_unit,
                       bound=("<=", noise[row_unit]))
    assert not late, f"{failure}: no success after the last failure: {late}"
    return figures


def _run_load(identity, measurements, key, title, description, test,
              fault, heal, event, victim, *, kinds=KINDS,
              seconds=LOAD_SECONDS, proxy="keystone_api", result=None,
              whole_node=True, rpc_seconds=LOAD_SECONDS, rpc_conf=None):
    """Load through the VIP, fault() at FAULT_AFTER; figures and times.

    When the fault takes the whole victim node and victim holds the VIP,
    the HAProxy that marks it DOWN (in proxy) is the one of the
    controller keepalived moves the VIP to. rpc_conf is the RPC
    caller's own file (Rpc.start_calls).
    """
    # Several loads of one scenario: each timeline names its fault.
    labels = {k: f"{LABELS[k]}: {event}" if result else LABELS[k]
              for k in kinds}
    if result is None:
        result = measurements.scenario(key, title=title,
                                       description=description, test=test)
    result.loads(*identity.loaded())
    holder = identity.holder()
    outs = {kind: identity.workdir / f"{key}-{kind}.jsonl" for kind in kinds}
    for kind, out in outs.items():
        if kind == "rpc":
            identity.rpc.start_calls(
                f"{key}-{kind}", RPC_TOPIC, out, seconds=rpc_seconds,
                interval=LOAD_INTERVAL, timeout=RPC_TIMEOUT, conf=rpc_conf)
        else:
            identity.start_load(f"{key}-{kind}", kind, out, seconds)
    started = time.time()
    time.sleep(FAULT_AFTER)
    fault_at = time.time()
    fault()
    moved = None
    if whole_node and victim == holder:
        holder = identity.holder(
            [n for n in tree.CONTROLLERS if n != victim])
        moved = time.time() - fault_at
    identity.wait_status(holder, proxy, victim, "DOWN", timeout=seconds)
    down_after = time.time() - fault_at
    for kind in kinds:
        identity.daemons.procs[f"{key}-{kind}"].wait(
            max(seconds, rpc_seconds if kind == "rpc" else 0) + 60)
    outcomes = [dict(o, kind=kind) for kind, out in outs.items()
                for o in openstack.json_lines(out)]
    heal()
    ended = max(o["end"] for o in outcomes)
    figures = _analyse(outcomes, fault_at, ended, kinds)
    figures["moved"] = moved
    for kind in kinds:
        timeline = result.timeline(labels[kind])
        timeline.start(started)
        for outcome in outcomes:
            if outcome["kind"] == kind:
                timeline.record(outcome["ok"], outcome["end"])
        timeline.event(event, fault_at)
        if moved is not None:
            timeline.event(f"VIP on {holder}", fault_at + moved)
        timeline.event("HAProxy marks it DOWN", fault_at + down_after)
    return result, figures, down_after


def test_controller_link_cut(identity, measurements):
    """A controller's traffic is dropped (no RST) under API load.

    The controller is one that holds neither the VIP nor the database
    writes (keepalived's and HAProxy's choices are the lab's, not fixed).
    """
    busy = {identity.holder(), identity.db.via_vip()}
    victim = [n for n in tree.CONTROLLERS if n not in busy][-1]
    # Side by side: an RPC client per settings set on victim's broker.
    beside = _start_rpc_clients(identity, "heartbeat", victim,
                                FAULT_AFTER + HEARTBEAT_AFTER_CUT)
    with faults.Faults(identity.lab) as lab_faults:
        result, figures, down_after = _run_load(
            identity, measurements, "openstack-api-cut",
            "keystone and placement: a controller's link cut",
            "keystone and placement under uWSGI on three controllers, on "
            "the tree's Galera cluster through HAProxy and the VIP that "
            "keepalived places, RabbitMQ and an RPC server on each "
            "controller; clients issue tokens and list resource providers "
            "through the VIP and make RPC calls (nova.conf), each every "
            "0.2 s, while every frame to and from a controller that holds "
            "neither the VIP nor the database writes is dropped.",
            "test_controller_link_cut",
            beside.fault(lambda: lab_faults.cut(victim)),
            beside.heal(lab_faults.heal),
            f"{victim} cut off", victim, rpc_seconds=RPC_CUT_SECONDS)
    # A silent node: HAProxy's connect timeout and retries, and its
    # health checks timing out (fall x inter plus the check timeout),
    # decide what API clients see. RPC waits for RabbitMQ: until the
    # other nodes declare the node down (NET_TICKTIME), a quorum queue
    # it leads (the topic's, a reply queue) takes no message and its RPC
    # server stays a consumer. A client whose own broker was there gives
    # up on it sooner, after two heartbeat_timeout_threshold intervals
    # (py-amqp; 20 s with the tree's 10).
    _record(result, figures, down_after, failed=5, gap=40.0,
            recovered=40.0, down=35.0, rpc=(RPC_LOST, RPC_OUTAGE))
    # The cut node's keepalived became MASTER alone; it yields again, its
    # Galera node rejoins, and its servers come back UP everywhere.
    identity.holder()
    identity.galera_synced()
    identity.wait_up("keystone_api", (victim,), timeout=60)
    identity.wait_up("placement_api", (victim,), timeout=60)
    _record_heartbeat(measurements, beside)


def _record_heartbeat(measurements, beside: SideBySide) -> None:
    """The side-by-side rows of the RPC clients on the silenced broker."""
    result = measurements.scenario(
        "comparison-heartbeat",
        title="oslo.messaging heartbeat: the guide against kolla-ansible "
              "and openstack-ansible",
        description=(
            "Beside the load of the controller's link cut, an RPC client "
            "per settings set (the tree's nova.conf, and the same file "
            "without the heartbeat and reconnection options neither tool "
            "sets) calls an RPC server every 0.2 s, connected to the "
            "broker of the controller whose every frame is then dropped "
            "(no RST) until the clients' loops end."),
        test="test_controller_link_cut")
    result.loads(rpc.NODE_FILES["nova/nova.conf"], rabbitmq.RABBITMQ_CONF)
    settings = {}
    for profile in PROFILES:
        used = [line.split()[-1] for line in beside.log(profile).splitlines()
                if line.startswith("heartbeat_timeout_threshold ")]
        assert used, beside.log(profile)[-2000:]
        settings[profile] = (f"heartbeat_timeout_threshold {used[0]} "
                             f"({RPC_SOURCES[profile]})")
    # Labels of the table and figures: the same whichever node it was.
    failure = "RabbitMQ broker link cut"
    fault = beside.fault_at
    reconnected = {p: _reconnected(beside.log(p), fault) for p in PROFILES}
    extra = ()
    if None not in reconnected.values():
        extra = (("both connections on another broker after", "s",
                  reconnected),)
    figures = _compare(result, measurements, "comparison-heartbeat",
                       failure, beside, "calls", "RPC calls", settings,
                       NOISE["rpc"], extra)
    # Two heartbeat intervals of the tree's 10 s find the silent broker;
    # the calls then wait for RabbitMQ to move the queues' leaders.
    result.measure(f"{failure}: guide's settings, calls succeed again "
                   "after", figures["guide"]["recovered"], "s",
                   bound=("<=", RPC_OUTAGE))


def test_galera_writer_killed_then_cut(identity, measurements):
    """The Galera node HAProxy writes to: killed, then its link cut.

    Tokens are issued through the VIP while the database server that the
    VIP holder's HAProxy sends every connection to is SIGKILLed (its
    host answers with RST, its health check with 503), and, once the
    writes have moved and the killed node has rejoined, while every
    frame to and from the new writer is dropped (its checks time out).
    """
    result = measurements.scenario(
        "openstack-galera-writer",
        title="keystone on Galera: the database writer killed, then cut",
        description=(
            "keystone under uWSGI on three controllers, on the tree's "
            "Galera cluster through the galera proxy of haproxy.cfg on "
            "the VIP that keepalived places; a client issues tokens "
            "through the VIP every 0.2 s while the MariaDB server that "
            "takes the writes is SIGKILLed (it rejoins by galera_recovery "
            "and IST), then while every frame to and from the next "
            "writer is dropped."),
        test="test_galera_writer_killed_then_cut")
    writer = identity.db.via_vip()
    assert writer in tree.CONTROLLERS, writer
    node = identity.db.nodes[writer]
    # Side by side: an oslo.db client per settings set in each phase.
    beside = {"kill": _start_db_clients(identity, "oslodb-kill",
                                        GALERA_LOAD["kill"])}
    killed, killed_down = _run_load(
        identity, measurements, "galera-writer-kill", "", "", "",
        beside["kill"].fault(
            lambda: identity.daemons.kill(f"{writer}-db")),
        beside["kill"].heal(),
        f"MariaDB on {writer} killed", writer, kinds=("token",),
        seconds=GALERA_LOAD["kill"], proxy="galera", result=result,
        whole_node=False)[1:]
    started = time.monotonic()
    node.start(f"--wsrep-start-position={node.recover()}")
    identity.galera_synced()
    identity.wait_up("galera", (writer,), timeout=30)
    rejoined = time.monotonic() - started
    second = identity.db.via_vip()
    assert second not in (None, writer), second
    beside["cut"] = _start_db_clients(identity, "oslodb-cut",
                                      GALERA_LOAD["cut"])
    with faults.Faults(identity.lab) as lab_faults:
        cut, cut_down = _run_load(
            identity, measurements, "galera-writer-cut", "", "", "",
            beside["cut"].fault(lambda: lab_faults.cut(second)),
            beside["cut"].heal(lab_faults.heal),
            f"{second} (the writer) cut off", second, kinds=("token",),
            seconds=GALERA_LOAD["cut"], proxy="galera", result=result)[1:]
    identity.holder()
    identity.galera_synced()
    identity.wait_up("galera", tree.CONTROLLERS, timeout=60)
    identity.wait_up("keystone_api", tree.CONTROLLERS, timeout=60)
    identity.wait_up("placement_api", tree.CONTROLLERS, timeout=60)
    inter = identity.galera_params["inter"] / 1000
    fall = identity.galera_params["fall"]
    for what, figures, down, bounds in (
            ("writer killed", killed, killed_down, GALERA_BOUNDS["kill"]),
            ("writer cut off", cut, cut_down, GALERA_BOUNDS["cut"])):
        token = figures["token"]
        assert token["recovered"] is not None, f"{what}: no success after"
        result.measure(f"{what}: token issues that failed", token["failed"],
                       f"of {token['requests']}",
                       bound=("<=", bounds["failed"]))
        result.measure(f"{what}: longest time without a token",
                       token["gap"], "s", bound=("<=", bounds["gap"]))
        result.measure(f"{what}: tokens issued again after",
                       token["recovered"], "s", bound=("<=", bounds["gap"]))
        result.measure(f"{what}: HAProxy marked the writer DOWN after",
                       down, "s", bound=("<=", bounds["down"]))
    result.measure("killed writer rejoined (galera_recovery + IST) after",
                   rejoined, "s", bound=("<=", galera.START_TIMEOUT))
    result.measure("galera proxy checks: fall x inter", fall * inter, "s")
    _record_oslo_db(measurements, beside)


def _record_oslo_db(measurements,
                    beside: dict[str, SideBySide]) -> None:
    """The side-by-side rows of the oslo.db clients, both phases."""
    result = measurements.scenario(
        "comparison-oslo-db",
        title="oslo.db settings: the guide against kolla-ansible and "
              "openstack-ansible",
        description=(
            "Beside the token load of the Galera writer scenario, an "
            "oslo.db client per settings set (the [database] section of "
            "the tree's keystone.conf, and the options each tool writes "
            "there, with oslo.db's defaults for the rest) writes a row "
            "and reads it back every 0.2 s through enginefacade and the "
            "galera proxy on the VIP, while the MariaDB server taking the "
            "writes is SIGKILLed, then while every frame to and from the "
            "next writer is dropped."),
        test="test_galera_writer_killed_then_cut")
    result.loads(keystone.KEYSTONE_CONF, haproxy.HAPROXY_CFG,
                 galera.GALERA_CNF)
    for phase, failure in (("kill", "Galera writer killed"),
                           ("cut", "Galera writer cut off")):
        clients = beside[phase]
        clients.finish()
        reports = {p: _db_report(clients, p) for p in PROFILES}
        settings = {p: "{} ({})".format(", ".join(
            f"{k} {v}" for k, v in reports[p]["settings"].items()),
            DB_SOURCES[p]) for p in PROFILES}
        opened = {p: sum(1 for t in reports[p]["connects"]
                         if t >= clients.fault_at) for p in PROFILES}
        hanging = {p: reports[p]["hanging"] for p in PROFILES}
        figures = _compare(
            result, measurements, "comparison-oslo-db", failure, clients,
            "operations", "writes and reads", settings, NOISE["oslo.db"],
            (("connections opened from the fault on", "connections",
              opened),
             ("operations still waiting at the end", "operations",
              hanging)))
        bound = GALERA_BOUNDS[phase]["gap"]
        result.measure(f"{failure}: guide's settings, operations succeed "
                       "again after", figures["guide"]["recovered"], "s",
                       bound=("<=", bound))


def _power_off(lab: netns.Lab, node: str) -> None:
    """node's links down, then every process in its namespace killed."""
    lab_faults = faults.Faults(lab)
    for dev in lab_faults.devices(node):
        lab_faults.link_down(node, dev)
    openstack.kill_node(lab, node)


def test_controller_killed(identity, measurements):
    """The controller holding the VIP is powered off under API load."""
    _controller_killed(identity, measurements, "openstack-api-kill",
                       "keystone and placement: the VIP holder killed",
                       "test_controller_killed")


@pytest.mark.parametrize("identity", ["tls"], indirect=True)
def test_controller_killed_with_tls(identity, measurements):
    """The same power-off, with TLS on every link (tls.rst).

    Clients reach the VIP over HTTPS; HAProxy re-encrypts to keystone
    and placement, which serve HTTPS themselves and reach MariaDB,
    memcached and keystone over TLS; RPC runs over AMQPS. After the
    failover, the survivors must still be doing all of it over TLS.
    """
    before = identity.rpc_connections(tree.CONTROLLERS[0])
    # The caller starts on the broker of the controller powered off, so
    # it must fail over to another over TLS: nova.conf with the TLS
    # drop-in over it, the brokers in the order written.
    caller = "nova/haguide-tls-caller.conf"
    identity.rpc.nodes["client"].put(caller, _rpc_conf(
        "guide", identity.holder(), tree.example(
            TLS_DROP_INS["nova/nova.conf.d/nova.conf"])))
    result, victim = _controller_killed(
        identity, measurements, "openstack-tls-api-kill",
        "keystone and placement with TLS on every link: the VIP holder "
        "killed", "test_controller_killed_with_tls",
        "The TLS variant's files: HTTPS on the VIP and from HAProxy to "
        "the API servers, TLS to MariaDB, memcached and keystone, AMQPS "
        "to RabbitMQ. ", rpc_conf=f"/etc/{caller}",
        rpc_stuck=lambda victim: _stuck_servers(identity, victim))
    survivors = [n for n in tree.CONTROLLERS if n != victim]
    connected = _record_tls(identity, result, survivors, before)
    # The caller started on the dead broker (its brokers in the order
    # written): its log must show it connected to another one (its loop
    # has ended by then). oslo.messaging shuffles the brokers of
    # transport_url for the RPC servers' connections, so which of them
    # were on it is chance; those that were are connected to another
    # broker again.
    lost = f"AMQP server on {tree.address(victim)}:"
    log = identity.daemons.log("openstack-tls-api-kill-rpc")
    result.measure("the RPC caller, first on the dead broker, connected to "
                   "another over TLS", int(any(
                       "Reconnected to AMQP server on" in line
                       and lost not in line for line in log.splitlines())),
                   "of 1", bound=(">=", 1))
    servers = [identity.daemons.log(f"{n}-rpc-{RPC_TOPIC}")
               for n in survivors]
    result.measure("surviving RPC servers that were on the dead broker, "
                   "connected to another over TLS",
                   sum(lost in log and tree.address(node) in connected
                       for node, log in zip(survivors, servers,
                                            strict=True)),
                   f"of {sum(lost in log for log in servers)}")


def _stuck_servers(identity, victim: str) -> list[str]:
    """Surviving RPC servers with no broker connection, last trying the
    dead broker (the last broker their log names)."""
    survivors = [n for n in tree.CONTROLLERS if n != victim]
    connected = {peer for peer, _ in identity.rpc_connections(survivors[0])}
    stuck = []
    for node in survivors:
        tries = [line for line in identity.daemons.log(
            f"{node}-rpc-{RPC_TOPIC}").splitlines() if "AMQP server" in line]
        if (tree.address(node) not in connected and tries
                and f"AMQP server on {tree.address(victim)}:" in tries[-1]):
            stuck.append(node)
    return stuck


def _record_tls(identity, result, survivors: list[str],
                before: list[tuple[str, str]]) -> set[str]:
    """What the survivors of the TLS lab do over TLS after the failover.

    before: RabbitMQ's connections before the fault (rpc_connections).
    Returns the addresses RabbitMQ has connections from after it.
    """
    holder = identity.holder()
    up = sum(haproxy.status_is(identity.socks[holder], proxy, node, "UP")
             for proxy in ("keystone_api", "placement_api")
             for node in survivors)
    result.measure("API servers UP behind the new VIP holder (HTTPS, "
                   "certificate verified)", up,
                   f"of {2 * len(survivors)}",
                   bound=(">=", 2 * len(survivors)))
    required = sum(identity.db.nodes[n].sql(
        "SELECT @@require_secure_transport") == "1" for n in survivors)
    result.measure("database nodes refusing clients without TLS",
                   required, f"of {len(survivors)}",
                   bound=(">=", len(survivors)))
    accepted = sum(int(identity.db.nodes[n].sql(
        "SHOW GLOBAL STATUS LIKE 'Ssl_accepts'").split()[-1])
        for n in survivors)
    result.measure("TLS sessions the surviving database nodes accepted",
                   accepted, "sessions", bound=(">=", 1))
    cert, key = MEMCACHED_CLIENT["keystone"]
    node = identity.nodes[survivors[0]]
    done = node.run([node.bin("python"), "-c", MEMCACHED_KEYS,
                     CA_ON_NODES, cert, key,
                     *(f"{tree.address(n)}:11211" for n in survivors)],
                    timeout=60, env=openstack.environ())
    keys = json.loads(done.stdout).values()
    for kind, label in (("other", "keystone's cache entries (oslo.cache)"),
                        ("tokens", "placement's cached tokens "
                                   "(keystonemiddleware)")):
        result.measure(f"surviving memcached servers holding {label}, "
                       "written over TLS",
                       sum(server[kind] > 0 for server in keys),
                       f"of {len(survivors)}", bound=(">=", len(survivors)))
    after = identity.rpc_connections(survivors[0])
    for when, rows in (("before the fault", before),
                       ("after the failover", after)):
        ssl = [row[1] for row in rows]
        # Before the fault every RPC server is connected; after it, one
        # left retrying the dead broker is not (see _stuck_servers).
        result.measure(f"RabbitMQ connections over TLS {when}",
                       ssl.count("true"), "connections",
                       bound=(">=", len(survivors)) if rows is before
                       else None)
        result.measure(f"RabbitMQ connections without TLS {when}",
                       ssl.count("false"), "connections", bound=("<=", 0))
    return {peer for peer, _ in after}


def _controller_killed(identity, measurements, key: str, title: str,
                       test: str, variant: str = "", rpc_conf=None,
                       rpc_stuck=None):
    """The VIP holder powered off under load; the result and the victim.
    """
    victim = identity.holder()
    result, figures, down_after = _run_load(
        identity, measurements, key, title,
        f"{variant}keystone and placement under uWSGI on three "
        "controllers, on "
        "the tree's Galera cluster through HAProxy and the VIP that "
        "keepalived places, RabbitMQ and an RPC server on each "
        "controller; clients issue tokens and list resource providers "
        "through the VIP and make RPC calls (nova.conf), each every "
        f"0.2 s, while {victim}, the keepalived MASTER and the Galera "
        "writer, is powered off: its links go down and every process "
        "(keepalived, HAProxy, MariaDB, keystone, placement, memcached, "
        "RabbitMQ, the RPC server) is killed.",
        test,
        lambda: _power_off(identity.lab, victim), lambda: None,
        f"{victim} powered off", victim, rpc_seconds=RPC_CUT_SECONDS,
        rpc_conf=rpc_conf)
    # keepalived moves the VIP after three missed advertisements; the
    # new holder's HAProxy finds the dead servers by its checks. A dead
    # host sends no RST: RPC is bound by RabbitMQ as for the cut link.
    # A caller that starts on the dead broker (rpc_conf) also reconnects
    # itself, and the brokers of its list, tried in turn, include the
    # dead one: one more call timeout is allowed for it.
    bounds = {"failed": 5, "gap": 40.0, "recovered": 40.0}
    rpc_bounds = ((RPC_LOST + 1, RPC_OUTAGE + RPC_TIMEOUT) if rpc_conf
                  else (RPC_LOST, RPC_OUTAGE))
    # rpc_stuck(victim), given, names the surviving RPC servers left
    # retrying the dead broker (test_controller_killed_with_tls): when
    # the calls did not recover in time and that is why, their figures
    # are recorded without bounds and the stuck servers are asserted.
    rpc = figures["rpc"]
    late_rpc = (rpc["recovered"] is None or rpc["failed"] > rpc_bounds[0]
                or max(rpc["gap"], rpc["recovered"]) > rpc_bounds[1])
    stuck = rpc_stuck(victim) if late_rpc and rpc_stuck else []
    if late_rpc and rpc_stuck:
        result.measure("surviving RPC servers left retrying the dead "
                       "broker", len(stuck), "servers", bound=(">=", 1))
    # The dead node was the Galera writer too. Every pooled database
    # connection broke when the VIP moved, and keystone and placement
    # open new ones through the new holder's HAProxy, which sends them
    # to the dead writer until it marks it DOWN. HAProxy before 3.2
    # leaves those still being opened at that moment hanging
    # (test_haproxy_connecting.py, stateful/galera.rst): a worker waiting
    # on one holds keystone's cache lock, and its API stalls until the
    # client gives up. When the APIs stalled and that is why, the
    # figures are recorded without the API bounds, and the defect's
    # signature is what the test asserts.
    stalled = [k for k in ("token", "placement")
               if figures[k]["recovered"] is None
               or figures[k]["failed"] > bounds["failed"]
               or figures[k]["gap"] > bounds["gap"]
               or figures[k]["recovered"] > bounds["recovered"]]
    defect = bool(stalled) and haproxy.orphans_connecting_streams()
    if defect:
        orphaned = sum(
            haproxy.orphaned_streams(identity.socks[node], "galera")
            for node in tree.CONTROLLERS if node != victim)
        result.measure("database connections HAProxy left hanging",
                       orphaned, "streams", bound=(">=", 1))
    _record(result, figures, down_after, **bounds, down=35.0,
            rpc=rpc_bounds, api_bounds=not defect, rpc_bounds=not stuck)
    result.measure("VIP held by another controller after",
                   figures["moved"], "s", bound=("<=", 10.0))
    for what, seconds in identity.figures.items():
        result.measure(f"set-up: {what}", seconds, "s")
    return result, victim


def _record(result, figures, down_after, *, failed: int, gap: float,
            recovered: float, down: float,
            rpc: tuple[int, float] | None = None,
            api_bounds: bool = True, rpc_bounds: bool = True) -> None:
    """Record every kind's figures and bound them.

    rpc, when given, is (failed calls, seconds) that bound the RPC
    calls' failures, longest gap and recovery instead of failed, gap and
    recovered. api_bounds (rpc_bounds) False records the API clients'
    (the RPC calls') figures without asserting them (the caller asserted
    why they do not hold).
    """
    limits = {kind: (failed, gap, recovered) for kind in KINDS}
    if rpc:
        limits["rpc"] = (rpc[0], rpc[1], rpc[1])
    apis = [k for k in KINDS if not (rpc and k == "rpc")]
    bounded = [k for k in KINDS if (api_bounds or k not in apis)
               and (rpc_bounds or k in apis)]

    def bound(kind: str, index: int):
        return ("<=", limits[kind][index]) if kind in bounded else None

    for kind, label in (("token", "token issues"),
                        ("placement", "placement requests"),
                        ("rpc", "RPC calls")):
        result.measure(f"{label} that failed", figures[kind]["failed"],
                       f"of {figures[kind]['requests']}",
                       bound=bound(kind, 0))
        result.measure(f"longest time without a successful {label[:-1]}",
                       figures[kind]["gap"], "s", bound=bound(kind, 1))
    late = [k for k in bounded if figures[k]["recovered"] is None]
    assert not late, f"no success after the last failure: {late}"
    if rpc and figures["rpc"]["recovered"] is not None:
        result.measure("time until RPC calls succeed again",
                       figures["rpc"]["recovered"], "s",
                       bound=("<=", rpc[1]) if rpc_bounds else None)
    what = ("time until every client succeeds again" if not rpc
            else "time until every API client succeeds again")
    times = [figures[k]["recovered"] for k in apis]
    if None not in times:
        result.measure(what, max(times), "s",
                       bound=("<=", recovered) if api_bounds else None)
    result.measure("HAProxy marked the node DOWN after", down_after, "s",
                   bound=("<=", down))
