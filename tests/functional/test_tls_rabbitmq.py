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
"""RabbitMQ of the TLS variant: AMQPS only, verified with the lab CA."""

from __future__ import annotations

import configparser
import json
import sys
import urllib.parse
from pathlib import Path

import pytest

from harness import pki, requirements, tree
from harness.rabbitmq import BIN, COOKIE, RabbitLab

pytestmark = pytest.mark.functional

VARIANT_CONF = "variants/tls/etc/rabbitmq/rabbitmq.conf"
VARIANT_ENV = "variants/tls/etc/rabbitmq/rabbitmq-env.conf"
NOVA_DROP_IN = "variants/tls/etc/nova/nova.conf.d/nova.conf"
CA_ON_CLIENTS = "/etc/ssl/certs/openstack-ca.pem"
PROBE = Path(__file__).parent / "harness" / "amqpsprobe.py"
# Where rabbitmq.conf of the variant expects the node's TLS files.
TLS_FILES = {"ca.pem": "ca", "node.pem": "cert", "node.key": "key"}
PLAIN_PORT = 5672


def oslo_messaging_settings(cafile: Path) -> dict:
    """transport_url and the [oslo_messaging_rabbit] TLS settings.

    From the variant's nova.conf.d drop-in, with the CA path rewritten to
    the run's CA (the harness's one mechanical rewrite).
    """
    text = tree.rewrite(tree.example(NOVA_DROP_IN),
                        {CA_ON_CLIENTS: str(cafile)})
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    rabbit = parser["oslo_messaging_rabbit"]
    members = urllib.parse.urlsplit(
        parser["DEFAULT"]["transport_url"]).netloc.split(",")
    hosts = [m.rsplit("@", 1)[1] for m in members]
    user, password = members[0].rsplit("@", 1)[0].split(":", 1)
    return {"ssl": rabbit.getboolean("ssl"), "cafile": rabbit["ssl_ca_file"],
            "hosts": [h.rsplit(":", 1)[0] for h in hosts],
            "ports": {int(h.rsplit(":", 1)[1]) for h in hosts},
            "user": user, "password": password}


@pytest.fixture(scope="module")
def rabbit(workdir, daemons):
    """Three brokers from the variant's rabbitmq.conf, certificates of a
    CA made for the run (each naming its node and address, then the other
    brokers', as the file says)."""
    requirements.require(binaries=("ip", "unshare", "nsenter", "openssl"),
                         modules=("pika",))
    requirements.require(root_binaries=(f"{BIN}/rabbitmq-server",))
    ca = pki.CA(workdir / "ca")
    lab = RabbitLab(workdir, daemons, conf=VARIANT_CONF, env=VARIANT_ENV,
                    tag="rt")
    try:
        lab.prepare()
        for node in tree.CONTROLLERS:
            issued = {"ca": ca.cert, **ca.issue(node, pki.cluster_names(node))}
            pki.install(workdir / node / "etc" / "tls", "rabbitmq", {
                name: issued[kind] for name, kind in TLS_FILES.items()})
        lab.formed = lab.start_cluster()
        lab.ca = ca
        yield lab
    finally:
        lab.close()


def test_tls_rabbitmq_amqps_only(rabbit, measurements):
    """Every broker serves AMQPS with the lab CA, and nothing in clear.

    Three brokers run the TLS variant of rabbitmq.conf (derived per
    node): a TLS listener on 5671 with the node's certificate and no TCP
    listener. From a client namespace, with the transport_url and
    ssl_ca_file of the variant's nova.conf.d drop-in, a client that
    trusts only the lab CA and checks each broker's address against its
    certificate publishes a message with confirms to a quorum queue and
    reads it back through every broker; a client that trusts only the
    system's CAs fails the handshake; a clear-text connection to 5672 is
    refused.
    """
    result = measurements.scenario(
        "tls-rabbitmq", title="TLS: AMQPS only on RabbitMQ",
        description=(
            "Three brokers from the TLS variant of rabbitmq.conf; a client "
            "with the settings of the variant's nova.conf.d drop-in and "
            "the lab CA, one without it, one in clear text."),
        test="test_tls_rabbitmq_amqps_only")
    result.without_timeline(
        "a check of handshakes, not "
        "a load over time")
    result.loads(VARIANT_CONF, NOVA_DROP_IN)
    result.without_timeline(
        "one handshake per broker and client, with nothing failing or "
        "recovering in between: there is nothing to chart over time.")
    settings = oslo_messaging_settings(rabbit.ca.cert)
    assert settings["ssl"] and settings["ports"] == {5671}, settings
    rabbit.daemons.start("probe", rabbit.lab.exec_argv("client", [
        sys.executable, str(PROBE), json.dumps({
            "hosts": settings["hosts"], "port": 5671,
            "plain_port": PLAIN_PORT, "user": settings["user"],
            "password": settings["password"], "cafile": settings["cafile"],
            "queue": "haguide-tls"})]))
    outcome = rabbit.client_result("probe", timeout=120)
    verified = [h for h, o in outcome.items()
                if o["tls"]["read"] == f"over TLS to {h}"]
    result.measure("brokers answering AMQPS verified with the lab CA",
                   len(verified), "of 3", bound=(">=", 3))
    refused = [h for h, o in outcome.items()
               if o["without_ca"].startswith("refused")
               and "CERTIFICATE_VERIFY_FAILED" in o["without_ca"]]
    result.measure("handshakes refused without the lab CA", len(refused),
                   "of 3", bound=(">=", 3))
    closed = [h for h, o in outcome.items()
              if o["plain"] == "ConnectionRefusedError"]
    result.measure(f"clear-text connections to {PLAIN_PORT} refused",
                   len(closed), "of 3", bound=(">=", 3))


# An Erlang node that tries the brokers' distribution from controller1's
# namespace: hidden (it never becomes a member), with the cluster's
# cookie, so that only the transport can refuse it; prints ping's answer
# (pong or pang) for each broker.
PING = ("[io:format(\"~s ~s~n\", [N, net_adm:ping(N)]) || N <- "
        "['rabbit@controller1', 'rabbit@controller2', "
        "'rabbit@controller3']], halt().")


def erlang_ping(rabbit, name: str, tls: dict[str, Path] | None
                ) -> dict[str, str]:
    """{broker: pong|pang} for a bare Erlang node; tls gives its files.

    With tls, the node runs the distribution over TLS with that
    certificate, key and CA (both roles, as the brokers do); without,
    over plain TCP.
    """
    args = ["erl", "-sname", name, "-hidden", "-setcookie", COOKIE,
            "-noshell", "-kernel", "net_setuptime", "5"]
    if tls is not None:
        args += ["-proto_dist", "inet_tls"]
        for role in ("server", "client"):
            for option, kind in (("certfile", "cert"), ("keyfile", "key"),
                                 ("cacertfile", "ca")):
                args += ["-ssl_dist_opt", f"{role}_{option}",
                         str(tls[kind])]
            args += ["-ssl_dist_opt", f"{role}_verify", "verify_peer"]
    done = rabbit.lab.run_in("controller1", [*args, "-eval", PING],
                             timeout=60, check=False)
    answers = dict(line.split() for line in done.stdout.splitlines()
                   if line.startswith("rabbit@"))
    assert len(answers) == 3, (done.stdout, done.stderr)
    return answers


def test_tls_rabbitmq_distribution(rabbit, workdir, measurements):
    """The brokers' distribution runs over TLS and refuses other nodes.

    The three brokers run the TLS variant of rabbitmq-env.conf: the
    Erlang distribution (cluster traffic and the CLI tools) over TLS,
    both ends presenting and requiring a certificate of the run's CA.
    The cluster formed over it (the fixture), and rabbitmqctl, with the
    file's CTL_ERL_ARGS, reaches every broker; each broker's
    connections to its peers are TLS connections. A bare Erlang node
    with the cluster's cookie then pings the brokers from controller1:
    with a certificate of another CA, and over plain TCP, it must get
    pang from all three; with a certificate of the run's CA, pong.
    """
    result = measurements.scenario(
        "tls-rabbitmq-distribution",
        title="TLS: the Erlang distribution between RabbitMQ nodes",
        description=(
            "Three brokers from the TLS variant of rabbitmq-env.conf "
            "(distribution over TLS); their peer connections, and an "
            "Erlang node with the cookie that tries them with a "
            "certificate of another CA, in plain TCP, and with one of "
            "the lab's CA."),
        test="test_tls_rabbitmq_distribution")
    result.loads(VARIANT_CONF, VARIANT_ENV)
    result.without_timeline(
        "a check of handshakes, not a load over time")
    result.measure("cluster formed over TLS distribution after",
                   rabbit.formed, "s", bound=("<=", 120))
    # The transport of every distribution connection, as each broker's
    # net_kernel records it (tls for inet_tls_dist).
    protocols = {}
    for node in tree.CONTROLLERS:
        done = rabbit.ctl(node, "eval", "{ok, Info} = net_kernel:"
                          "nodes_info(), [element(4, proplists:get_value("
                          "address, I)) || {_, I} <- Info].")
        protocols[node] = done.stdout.strip()
    over_tls = [n for n, p in protocols.items()
                if p.count("tls") >= 2 and "tcp" not in p]
    result.measure("brokers whose peer connections are TLS", len(over_tls),
                   "of 3", bound=(">=", 3))
    foreign = pki.CA(workdir / "foreign-ca", name="another CA")
    for name, label, tls, expected in (
            ("intruder", "another CA's certificate", {
                "ca": rabbit.ca.cert,
                **foreign.issue("intruder", pki.node_names("controller1"))},
             "pang"),
            ("plaintcp", "plain TCP", None, "pang"),
            ("visitor", "the lab CA's certificate", {
                "ca": rabbit.ca.cert,
                **rabbit.ca.issue("visitor", pki.node_names("controller1"))},
             "pong")):
        answers = erlang_ping(rabbit, name, tls)
        result.measure(f"brokers answering a node with {label}",
                       sum(a == "pong" for a in answers.values()), "of 3",
                       bound=("==", 3 if expected == "pong" else 0))
