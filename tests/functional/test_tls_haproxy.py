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
"""HAProxy of the TLS variant: TLS on the VIP, re-encryption, rotation."""

from __future__ import annotations

import http.client
import re
import shutil
import socket
import ssl
import time

import pytest

from harness import haproxy, labroot, pki, proc, requirements, results, tree

pytestmark = pytest.mark.functional

VARIANT = "variants/tls/etc/haproxy/haproxy.cfg"
PROXY = "keystone_api"
CERTS = "/etc/haproxy/certs/"
# One new TLS connection every 50 ms, as in the HAProxy scenario.
REQUEST_INTERVAL = 0.05
REQUEST_TIMEOUT = 5.0
# Check-timing and scheduling jitter on top of fall x inter / rise x inter.
SLACK = 2.0
BIND = re.compile(r"bind\s+([\d.]+):(\d+)")


class Client:
    """HTTPS GETs through the VIP, verifying the VIP's name.

    The lab reaches the VIP at its loopback address; the certificate
    names the VIP as cluster.yaml does (controller, 10.0.0.11), so the
    client checks the name the services use, not the address it dials.
    """

    def __init__(self, bind: tuple[str, str], context: ssl.SSLContext):
        self.address = (bind[0], int(bind[1]))
        self.context = context
        self.hostname = pki.node_names("internal")[0]

    def handshake(self) -> str | None:
        """The application protocol HAProxy selects (ALPN)."""
        with socket.create_connection(self.address,
                                      timeout=REQUEST_TIMEOUT) as raw, \
                self.context.wrap_socket(
                    raw, server_hostname=self.hostname) as conn:
            return conn.selected_alpn_protocol()

    def get(self, path: str = "/healthcheck") -> tuple[str, str]:
        """(server's answer, serial number of the VIP's certificate)."""
        with socket.create_connection(self.address,
                                      timeout=REQUEST_TIMEOUT) as raw, \
                self.context.wrap_socket(
                    raw, server_hostname=self.hostname) as conn:
            serial = conn.getpeercert()["serialNumber"]
            conn.sendall(f"GET {path} HTTP/1.1\r\nHost: {self.hostname}\r\n"
                         "Connection: close\r\n\r\n".encode())
            response = http.client.HTTPResponse(conn)
            response.begin()
            body = response.read().decode().strip()
        if response.status != 200:
            raise http.client.HTTPException(f"HTTP {response.status}")
        return body, serial


@pytest.fixture(scope="module")
def lab(workdir, daemons):
    """The variant's keystone_api proxy on loopback, TLS on both sides.

    A CA made for the run signs the VIP's certificate and each API
    server's; controller3's stand-in first serves a certificate of
    another CA, which HAProxy must refuse.
    """
    requirements.require(root_binaries=("haproxy",),
                         binaries=("unshare", "nsenter", "openssl"))
    ca = pki.CA(workdir / "ca")
    rogue = pki.CA(workdir / "rogue", name="some other CA")
    certs = workdir / "certs"
    certs.mkdir()
    vip = ca.issue("internal", pki.node_names("internal"))
    shutil.copy(vip["pem"], certs / "internal.pem")
    shutil.copy(ca.cert, certs / "internal-ca.pem")
    cfg = haproxy.config((PROXY,), {
        "/run/haproxy/admin.sock": f"{workdir}/admin.sock",
        CERTS: f"{certs}/"}, to_loopback=True, text=tree.example(VARIANT))
    path = workdir / "haproxy.cfg"
    path.write_text(cfg)
    host = labroot.Host(workdir, daemons)
    host.start()
    haproxy.check_config(path, tuple(host.argv([])))
    servers = haproxy.SERVER_LINE.findall(cfg)
    assert [s[0] for s in servers] == list(tree.CONTROLLERS), servers
    node_certs = {name: ca.issue(name, pki.node_names(name))
                  for name in tree.CONTROLLERS}
    impostor = rogue.issue("controller3", pki.node_names("controller3"))
    for name, address, port in servers:
        chosen = impostor if name == "controller3" else node_certs[name]
        haproxy.start_backend(daemons, name, address, port,
                              (chosen["cert"], chosen["key"]))
    daemons.start("haproxy", host.argv(
        haproxy.argv(path, workdir / "haproxy.pid")))
    bind = BIND.search(cfg).groups()
    return {"ca": ca, "cfg": cfg, "sock": workdir / "admin.sock",
            "servers": servers, "certs": certs, "node_certs": node_certs,
            "bind": bind, "params": haproxy.check_params(cfg, PROXY)}


def wait_status(lab, server: str, wanted: str, timeout: float) -> float:
    return proc.wait_for(
        lambda: haproxy.status_is(lab["sock"], PROXY, server, wanted),
        timeout=timeout, what=f"{server} {wanted}")


def test_tls_haproxy_serves_and_verifies(lab, daemons, measurements):
    """TLS on the VIP with the lab CA, verified API servers behind it.

    The keystone_api proxy of the TLS variant of haproxy.cfg runs with a
    certificate for the internal VIP signed by a CA made for the run,
    and re-encrypts to three stand-in API servers that serve HTTPS only.
    controller1 and controller2 present certificates of the lab CA and
    are marked UP by health checks over TLS; controller3 presents a
    certificate with the right names from another CA and is marked DOWN,
    then UP once it serves a certificate of the lab CA. A client that
    trusts the lab CA gets answers and HTTP/2 offered; a client that
    trusts only the system's CAs is refused.
    """
    params = lab["params"]
    inter = params["inter"] / 1000
    result = measurements.scenario(
        "tls-haproxy", title="TLS: HAProxy on the VIP, re-encrypting",
        description=(
            f"Proxy {PROXY} of the TLS variant of haproxy.cfg, TLS on the "
            "internal VIP with a certificate of the lab CA, three API "
            "servers serving HTTPS; controller3 first presents a "
            "certificate of another CA."),
        test="test_tls_haproxy_serves_and_verifies")
    result.without_timeline(
        "a check of handshakes and health checks, not "
        "a load over time")
    result.loads(VARIANT)
    # Requests through the VIP once two servers are UP (the chart):
    # controller3's certificate of another CA must never fail a client.
    timeline = result.timeline("HTTPS requests through the VIP")
    load = results.Load(Client(lab["bind"], lab["ca"].client_context()).get,
                        timeline, interval=REQUEST_INTERVAL, limit=120,
                        errors=(OSError, http.client.HTTPException))
    started = time.monotonic()
    for name in ("controller1", "controller2"):
        wait_status(lab, name, "UP", timeout=15)
    with load:
        wait_status(lab, "controller3", "DOWN",
                    timeout=params["fall"] * inter + 3 * SLACK)
        timeline.event("controller3 DOWN")
        result.measure(
            "server with another CA's certificate marked DOWN after",
            time.monotonic() - started, "s",
            bound=("<=", params["fall"] * inter + 3 * SLACK))
        client = Client(lab["bind"], lab["ca"].client_context())
        answers = {client.get()[0] for _ in range(6)}
        assert answers == {"controller1", "controller2"}, answers
        # HTTP/2 offered on the TLS bind (alpn h2,http/1.1).
        h2 = Client(lab["bind"], lab["ca"].client_context())
        h2.context.set_alpn_protocols(["h2", "http/1.1"])
        assert h2.handshake() == "h2"

        name, address, port = lab["servers"][2]
        daemons.kill(name)
        good = lab["node_certs"][name]
        replaced = timeline.event("lab CA's certificate")
        haproxy.start_backend(daemons, name, address, port,
                              (good["cert"], good["key"]))
        wait_status(lab, name, "UP",
                    timeout=params["rise"] * inter + 3 * SLACK)
        timeline.event("controller3 UP")
        result.measure("same server with the lab CA's certificate UP after",
                       time.monotonic() - replaced, "s",
                       bound=("<=", params["rise"] * inter + 3 * SLACK))
        time.sleep(1)
    assert not load.failed, load.failed[:3]
    answers = {client.get()[0] for _ in range(9)}
    assert answers == set(tree.CONTROLLERS), answers

    stranger = Client(lab["bind"], ssl.create_default_context())
    with pytest.raises(ssl.SSLCertVerificationError):
        stranger.get()
    result.measure("clients without the lab CA refused", "yes", "")


def set_certificate(sock, path: str, pem: str) -> None:
    """Replace a loaded certificate through the runtime API, then commit.

    The payload ends at the first empty line, so the PEM text must not
    contain one.
    """
    answer = haproxy.command(
        sock, f"set ssl cert {path} <<\n{pem.strip()}\n\n")
    assert "Transaction" in answer, answer
    answer = haproxy.command(sock, f"commit ssl cert {path}\n")
    assert "Success" in answer, answer


def test_tls_haproxy_certificate_rotated_under_load(lab, measurements):
    """The VIP's certificate replaced at run time while clients connect.

    A client opens a new TLS connection through the VIP every 50 ms and
    records the serial number of the certificate it was shown. The
    operator's procedure: the new certificate (a new key, same names)
    is written over internal.pem, so a restart would load it too, and
    sent to the running HAProxy with "set ssl cert" and "commit ssl
    cert" on the admin socket. No request may fail, and every
    connection opened after the commit must see the new certificate.
    """
    result = measurements.scenario(
        "tls-haproxy-rotation",
        title="TLS: certificate rotation under load",
        description=(
            "The internal VIP's certificate is replaced through HAProxy's "
            "runtime API (set ssl cert, commit ssl cert) while a client "
            "opens a new verified TLS connection every 50 ms."),
        test="test_tls_haproxy_certificate_rotated_under_load")
    result.loads(VARIANT)
    ca, certs = lab["ca"], lab["certs"]
    for name, *_ in lab["servers"]:
        wait_status(lab, name, "UP", timeout=15)
    client = Client(lab["bind"], ca.client_context())
    old_serial = client.get()[1]
    new = ca.issue("internal-rotated", pki.node_names("internal"))
    timeline = result.timeline("HTTPS requests through the VIP")
    load = results.Load(client.get, timeline, interval=REQUEST_INTERVAL,
                        limit=60, errors=(OSError,
                                          http.client.HTTPException))
    with load:
        time.sleep(3)
        target = certs / "internal.pem"
        pem = new["pem"].read_text()
        target.write_text(pem)
        timeline.event("new certificate set")
        set_certificate(lab["sock"], str(target), pem)
        committed = timeline.event("committed")
        time.sleep(3)
    serials = [(t, answer[1]) for t, answer in load.ok]
    new_serial = next(s for t, s in serials if t >= committed)
    assert new_serial != old_serial
    first_new = min(t for t, s in serials if s == new_serial)
    late_old = [t for t, s in serials if s == old_serial and t > committed]
    total = len(load.ok) + len(load.failed)
    result.measure("client requests sent", total, "requests",
                   bound=(">=", 20))
    result.measure("failed requests", len(load.failed), "requests",
                   bound=("<=", 0))
    result.measure("longest time without an answer", load.longest_gap(
        load.ok[0][0]), "s", bound=("<=", 2.0))
    result.measure("first new certificate after the commit",
                   max(first_new - committed, 0.0), "s",
                   bound=("<=", 0.5))
    result.measure("old certificate seen after the commit",
                   len(late_old), "connections", bound=("<=", 0))
