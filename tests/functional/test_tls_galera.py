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
"""MariaDB Galera of the TLS variant: clients, replication and SST."""

from __future__ import annotations

import shutil
import signal
import urllib.parse

import pytest

from harness import galera, labroot, netns, pki, proc, requirements, tree

pytestmark = pytest.mark.functional

VARIANT_CNF = "variants/tls/etc/mysql/mariadb.conf.d/60-galera.cnf"
# Where the variant expects the node's TLS files, and where a run puts
# them (the scratch directory is visible at the same path in every node).
TLS_DIR = "/etc/mysql/tls/"
TLS_FILES = {"ca.pem": "ca", "server.pem": "cert", "server.key": "key"}
# The node a test wipes and restarts: it rejoins by SST from a donor.
WIPED = "controller2"
ROWS = 20
# The joiner's SST script logs the settings it runs with.
SST_TLS = "encrypt='4'"


@pytest.fixture(scope="module")
def cluster(workdir, daemons):
    """Three nodes of the TLS variant, certificates of a run's CA.

    Each node's certificate names the node and the internal VIP, since
    HAProxy passes the database's TLS through to the node unopened.
    """
    requirements.require(root_binaries=galera.BINARIES, binaries=(
        *galera.HOST_BINARIES, "openssl"))
    ca = pki.CA(workdir / "ca")
    for node in tree.CONTROLLERS:
        issued = ca.issue(node, [*pki.node_names(node),
                                 *pki.node_names("internal")])
        issued["ca"] = ca.cert
        pki.install(workdir / "tls" / node, "mysql", {
            name: issued[kind] for name, kind in TLS_FILES.items()})
    lab = netns.Lab("gt", daemons)
    nodes = galera.Cluster(workdir, daemons, lab, cnf=VARIANT_CNF,
                           substitutions={
                               TLS_DIR: f"{workdir}/tls/{{name}}/"})
    try:
        nodes.figures = nodes.start()
        nodes.ca = ca.cert
        nodes.foreign = pki.CA(workdir / "foreign", "another CA").cert
        yield nodes
    finally:
        daemons.stop_all()
        lab.close()


def client(cluster, host: str, *options: str, sql: str):
    """The mariadb client in the lab's client namespace, as nova's user."""
    url = urllib.parse.urlsplit(cluster.url)
    return proc.run(cluster.client.argv([
        "mariadb", "--defaults-file=/dev/null", "-h", host,
        "-u", url.username, f"-p{url.password}", "--connect-timeout=3",
        "-N", "-B", *options, url.path.strip("/"), "-e", sql]),
        timeout=20, check=False)


def test_tls_galera(cluster, measurements):
    """Clients, replication and SST of the TLS variant's 60-galera.cnf.

    Three nodes start from the variant with certificates of a CA made
    for the run; the joiners take their first copy by SST over TLS. A
    client with the CA, verifying the server's certificate, reaches every
    node and the VIP (HAProxy passes TLS through) on an encrypted
    session; clients without TLS, and with TLS but without the CA, are
    refused. The health check still answers over the Unix socket. A node
    wiped and restarted rejoins by SST over TLS with every row.
    """
    result = measurements.scenario(
        "tls-galera", title="TLS: Galera clients, replication and SST",
        description=(
            "Three MariaDB nodes from the TLS variant of 60-galera.cnf, "
            "HAProxy's galera proxy and the health check; the mariadb "
            "client as nova's database user with and without the CA and "
            "TLS; one node wiped and rejoined by SST."),
        test="test_tls_galera")
    result.without_timeline(
        "a check of handshakes and state transfers, not a load over time")
    result.loads(VARIANT_CNF)
    figures = cluster.figures
    for name in tree.CONTROLLERS[1:]:
        result.measure(f"{name} joined by SST over TLS after",
                       figures[name], "s", bound=("<=", galera.START_TIMEOUT))
    providers = [cluster.nodes[n].sql("SELECT @@wsrep_provider_options")
                 for n in tree.CONTROLLERS]
    result.measure("nodes with Galera replication over TLS",
                   sum("socket.ssl = YES" in p for p in providers), "of 3",
                   bound=(">=", 3))
    result.measure("health checks answering 200",
                   sum(cluster.health(n) == 200 for n in tree.CONTROLLERS),
                   "of 3", bound=(">=", 3))
    verified = ("--ssl", f"--ssl-ca={cluster.ca}", "--ssl-verify-server-cert")
    hosts = [tree.address(n) for n in tree.CONTROLLERS] + [tree.vip()]
    ciphers = [client(cluster, h, *verified, sql="SHOW STATUS LIKE "
                      "'Ssl_cipher'").stdout.split() for h in hosts]
    result.measure("verified clients on an encrypted session (nodes, VIP)",
                   sum(len(c) == 2 and bool(c[1]) for c in ciphers), "of 4",
                   bound=(">=", 4))
    plain = [client(cluster, h, "--skip-ssl", sql="SELECT 1")
             for h in hosts]
    result.measure("clients without TLS refused", sum(
        d.returncode != 0 and "insecure transport" in d.stderr
        for d in plain), "of 4", bound=(">=", 4))
    # Without any CA, MariaDB's client accepts a server that proves it
    # knows the user's password hash; a CA file that did not sign the
    # server's certificate must make it refuse.
    foreign = [client(cluster, h, "--ssl", f"--ssl-ca={cluster.foreign}",
                      "--ssl-verify-server-cert", sql="SELECT 1")
               for h in hosts]
    result.measure("clients trusting another CA refused",
                   sum(d.returncode != 0 for d in foreign), "of 4",
                   bound=(">=", 4))
    values = ", ".join(f"({1000 + i}, 'tls')" for i in range(ROWS))
    written = client(cluster, tree.vip(), *verified,
                     sql=f"INSERT INTO haguide_writes VALUES {values}")
    assert written.returncode == 0, written.stderr
    node = cluster.nodes[WIPED]
    cluster.daemons.kill(f"{WIPED}-db", signal.SIGTERM, timeout=60)
    data = node.dir / "data"
    shutil.rmtree(data)
    data.mkdir()
    labroot.chown(data, "mysql")
    node.start()
    took = node.wait_synced("after a wipe")
    result.measure("wiped node back by SST over TLS after", took, "s",
                   bound=("<=", galera.START_TIMEOUT))
    assert SST_TLS in node.log(), node.log()[-3000:]
    rows = cluster.rows(WIPED)
    result.measure("rows on the wiped node after SST",
                   len({1000 + i for i in range(ROWS)} & rows), "of 20",
                   bound=(">=", ROWS))
