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
"""etcd of the TLS variant: client and peer TLS, tooz over etcd3+https."""

from __future__ import annotations

import json
import shutil
import sys

import pytest

from harness import etcd, pki, proc, requirements, tree

pytestmark = pytest.mark.functional

VARIANT_DEFAULT = "variants/tls/etc/default/etcd"
CINDER_DROP_IN = "variants/tls/etc/cinder/cinder.conf.d/cinder.conf"
# Where the variant's files expect the certificates, and where a run puts
# them (the scratch directory is visible at the same path in every node).
MEMBER_PATHS = {"/etc/etcd/tls/": "{workdir}/{node}/etcd/"}
CLIENT_PATHS = {"/etc/cinder/tls/": "{workdir}/{node}/cinder/",
                "/etc/ssl/certs/openstack-ca.pem": "{workdir}/ca/ca.pem"}
MEMBER = "{workdir}/{node}/etcd/member"
# The member's own listener on 127.0.0.1 is named in its certificate too.
LOCAL = "127.0.0.1"
CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def client_rewrite(workdir, node: str) -> dict[str, str]:
    return {k: v.format(workdir=workdir, node=node)
            for k, v in CLIENT_PATHS.items()}


@pytest.fixture(scope="module")
def cluster(workdir, daemons):
    """Three members of the TLS variant, certificates of a run's CA."""
    requirements.require(root_binaries=("etcd", "curl"),
                         binaries=("ip", "unshare", "nsenter", "openssl"),
                         modules=("tooz", "etcd3gw"))
    ca = pki.CA(workdir / "ca")
    for node in tree.CONTROLLERS:
        member = ca.issue(f"{node}-member", [*pki.node_names(node), LOCAL])
        client = ca.issue(f"{node}-cinder", [f"cinder-{node}"])
        for kind, certs in (("etcd", member), ("cinder", client)):
            target = workdir / node / kind
            target.mkdir(parents=True)
            name = "member" if kind == "etcd" else "client"
            shutil.copy(certs["cert"], target / f"{name}.pem")
            shutil.copy(certs["key"], target / f"{name}.key")
        shutil.copy(ca.cert, workdir / node / "etcd" / "ca.pem")
    lab = etcd.EtcdLab(
        workdir, daemons, default=VARIANT_DEFAULT, tag="etl",
        substitutions={k: v.replace("{workdir}", str(workdir))
                       for k, v in MEMBER_PATHS.items()},
        curl_tls=("--cacert", f"{workdir}/ca/ca.pem",
                  "--cert", f"{MEMBER}.pem".replace("{workdir}",
                                                    str(workdir)),
                  "--key", f"{MEMBER}.key".replace("{workdir}",
                                                   str(workdir))))
    try:
        lab.prepare()
        lab.elected = lab.start_cluster()
        yield lab
    finally:
        lab.close()


def curl(cluster, node: str, *options: str) -> int:
    """curl's exit code for a status request on node's local listener."""
    return cluster.lab.run_in(node, [
        "curl", "-sf", "--max-time", "3", *options, "-X", "POST", "-d", "{}",
        f"https://{LOCAL}:2379/v3/maintenance/status"],
        check=False, timeout=10).returncode


def test_tls_etcd_clients_and_peers(cluster, workdir, measurements):
    """Members talk TLS to each other; tooz locks over etcd3+https.

    Three members run the TLS variant of /etc/default/etcd (derived per
    node), client and peer listeners on https with certificates of a CA
    made for the run, client certificates required on both. The members
    elect a leader over TLS; a tooz client on each node, with the
    backend_url of the variant's cinder.conf.d drop-in (its CA and
    client certificate), takes and releases a lock. A client without
    the CA, and one with the CA but no certificate of its own, are
    refused.
    """
    result = measurements.scenario(
        "tls-etcd", title="TLS: etcd clients and peers",
        description=(
            "Three members from the TLS variant of /etc/default/etcd; "
            "tooz with the backend_url of the variant's cinder.conf.d "
            "drop-in on every node; curl without the CA and without a "
            "client certificate."),
        test="test_tls_etcd_clients_and_peers")
    result.without_timeline(
        "a check of handshakes and locks, not "
        "a load over time")
    result.loads(VARIANT_DEFAULT, CINDER_DROP_IN)
    result.measure("leader elected over peer TLS after", cluster.elected,
                   "s", bound=("<=", etcd.START_TIMEOUT))
    names = {}
    for node in tree.CONTROLLERS:
        url = tree.rewrite(etcd.backend_url(node, CINDER_DROP_IN),
                           client_rewrite(workdir, node))
        assert url.startswith("etcd3+https://"), url
        names[node] = f"locker-{node}"
        # Take and release the shared lock again and again for 3 s.
        # requests, under tooz's etcd3gw, lets REQUESTS_CA_BUNDLE and
        # CURL_CA_BUNDLE override the CA a session was given (ca_cert):
        # the client runs without them, as a service must.
        args = {"url": url, "lock": "haguide-tls", "mode": "loop",
                "wait": 10, "interval": 0.2, "limit": 3}
        cluster.daemons.start(names[node], cluster.lab.exec_argv(node, [
            "env", *(f"--unset={v}" for v in CA_BUNDLE_VARIABLES),
            sys.executable, str(etcd.LOCK_CLIENT), json.dumps(args)]))
    for name in names.values():
        proc.wait_for(lambda n=name: not cluster.daemons.running(n),
                      timeout=40, what=f"{name} to finish")
    acquired = sum(any(e.get("ok") for e in cluster.events(name))
                   for name in names.values())
    failed = sum(not e.get("ok") for name in names.values()
                 for e in cluster.events(name))
    result.measure("tooz clients that took the lock over etcd3+https",
                   acquired, "of 3", bound=(">=", 3))
    result.measure("failed lock rounds", failed, "rounds", bound=("<=", 0))
    ca = f"{workdir}/ca/ca.pem"
    without_ca = [curl(cluster, n) for n in tree.CONTROLLERS]
    without_cert = [curl(cluster, n, "--cacert", ca)
                    for n in tree.CONTROLLERS]
    result.measure("clients without the CA refused",
                   sum(code != 0 for code in without_ca), "of 3",
                   bound=(">=", 3))
    result.measure("clients without a client certificate refused",
                   sum(code != 0 for code in without_cert), "of 3",
                   bound=(">=", 3))
