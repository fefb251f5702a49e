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
"""HAProxy from the tree's haproxy.cfg: selected proxies, admin socket.

config() selects and rewrites proxies of haproxy.cfg; argv() runs
haproxy in the foreground; stats()/status_is() read the admin socket.
start_balancer() is the loopback load balancer of the HAProxy scenario:
one proxy of the tree in front of three stand-in API servers.
"""

from __future__ import annotations

import re
import socket
import sys
from pathlib import Path

from harness import labroot, proc, tree

SECTION_KEYWORDS = ("global", "defaults", "frontend", "backend", "listen",
                    "peers", "resolvers", "userlist", "program")
HAPROXY_CFG = "controller/etc/haproxy/haproxy.cfg"
# Binds on the public VIP carry TLS and an address that exists neither on
# loopback nor in the lab; the tests reach the proxies on the internal VIP.
PUBLIC_BIND = re.compile(r"^\s*bind\s+203\.0\.113\.\d+:\d+.*\n", re.M)
CHECK_PARAMS = re.compile(r"\b(inter|rise|fall)\s+(\d+)")
# haproxy.cfg's maxconn needs twice as many file descriptors; test hosts
# (containers) may cap the hard limit lower than root can raise it, so the
# command line lowers the connection limit instead of editing the file.
TEST_MAXCONN = "4000"
# A stand-in API server: answers every request with its own name.
BACKEND = Path(__file__).parent / "httpbackend.py"
SERVER_LINE = re.compile(r"^\s*server\s+(\S+)\s+([\d.]+):(\d+)", re.M)
# "show stat" CSV columns (0-based): proxy, server, status.
PXNAME, SVNAME, STATUS = 0, 1, 17


def config(proxies: tuple[str, ...], substitutions: dict[str, str], *,
           to_loopback: bool, text: str | None = None) -> str:
    """global + defaults + the named proxies of haproxy.cfg, rewritten."""
    found = tree.sections(text or tree.example(HAPROXY_CFG),
                          SECTION_KEYWORDS)
    keep = ["global", "defaults", *(f"listen {p}" for p in proxies)]
    missing = [k for k in keep if k not in found]
    assert not missing, f"haproxy.cfg has no section {missing}"
    selected = "\n".join(found[k].rstrip() + "\n" for k in keep)
    selected = PUBLIC_BIND.sub("", selected)
    return tree.rewrite(selected, substitutions, to_loopback=to_loopback)


def check_params(cfg: str, proxy: str) -> dict[str, int]:
    """inter (ms), rise and fall of the proxy's servers, as configured."""
    section = tree.sections(cfg, SECTION_KEYWORDS)[f"listen {proxy}"]
    params = {"inter": 2000, "rise": 2, "fall": 3}   # HAProxy's defaults
    for line in section.splitlines():
        words = line.split()
        if words[:1] in (["server"], ["default-server"]):
            params.update((k, int(v)) for k, v in CHECK_PARAMS.findall(line))
    return params


def command(sock: Path, text: str) -> str:
    """One command on the admin socket (text ends with a newline)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(5)
        conn.connect(str(sock))
        conn.sendall(text.encode())
        chunks = []
        for _ in range(1000):
            chunk = conn.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks).decode()


def orphaned_streams(sock: Path, proxy: str) -> int:
    """Streams of proxy whose server side is closed but client side is not.

    The signature, in "show sess all", of a connection HAProxy gave up on
    without closing it towards the client: the server side (scb) is in
    state CLO, the client side (scf) still EST, and no timer is left to
    end it. HAProxy 3.0 leaves such streams behind when a server is
    marked DOWN with on-marked-down shutdown-sessions while a connection
    to it is still being set up (test_haproxy_connecting.py).
    """
    found = 0
    for block in re.split(r"\n(?=0x[0-9a-f]+: \[)", command(
            sock, "show sess all\n")):
        if (f"backend={proxy} " in block
                and re.search(r"scf=\S+ flags=\S+ .*state=EST", block)
                and re.search(r"scb=\S+ flags=\S+ .*state=CLO", block)):
            found += 1
    return found


def orphans_connecting_streams() -> bool:
    """Whether the lab root's HAProxy has the defect orphaned_streams finds.

    True before 3.2: Debian's 3.2.26 package closes such connections
    when it marks the server DOWN, where 3.0.11 leaves them hanging
    (test_haproxy_connecting.py runs the lab root's version).
    """
    version = labroot.package_versions(("haproxy",)).get("haproxy", "")
    found = re.match(r"(\d+)\.(\d+)", version)
    assert found, f"no haproxy version in the lab root: {version!r}"
    return (int(found[1]), int(found[2])) < (3, 2)


def stats(sock: Path) -> dict[tuple[str, str], str]:
    """{(proxy, server): status} from the admin socket's 'show stat'."""
    rows = command(sock, "show stat\n").splitlines()
    return {(r[PXNAME], r[SVNAME]): r[STATUS]
            for r in (line.split(",") for line in rows[1:] if line)
            if len(r) > STATUS}


def status_is(sock: Path, proxy: str, server: str, wanted: str) -> bool:
    try:
        return stats(sock).get((proxy, server)) == wanted
    except OSError:
        return False


def argv(cfg: Path, pidfile: Path) -> list[str]:
    """haproxy in the foreground (-db) on cfg, as the tests run it."""
    return ["haproxy", "-db", "-n", TEST_MAXCONN, "-f", str(cfg),
            "-p", str(pidfile)]


def public_certificate(workdir: Path) -> Path:
    """A throwaway self-signed certificate + key for the public TLS binds.

    haproxy.cfg names /etc/haproxy/certs/public.pem; the namespace labs
    mount this file there.
    """
    key, cert = workdir / "key.pem", workdir / "cert.pem"
    proc.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
              "-days", "1", "-subj", "/CN=public.example.org",
              "-keyout", str(key), "-out", str(cert)])
    pem = workdir / "public.pem"
    pem.write_text(cert.read_text() + key.read_text())
    return pem


def check_config(path: Path, argv_prefix: tuple[str, ...] = ()) -> None:
    """haproxy -c on the rewritten file: it must still be valid."""
    proc.run([*argv_prefix, "haproxy", "-c", "-q", "-f", str(path)],
             timeout=30)


def start_backend(daemons: proc.Daemons, name: str, address: str,
                  port: str, tls: tuple[Path, Path] | None = None) -> None:
    """Start a stand-in API server called name on address:port.

    tls: (certificate, key) to serve HTTPS instead of HTTP.
    """
    daemons.start(name, [sys.executable, str(BACKEND), address, port, name,
                         *map(str, tls or ())])


def start_balancer(workdir: Path, daemons: proc.Daemons, proxy: str,
                   host: labroot.Host, backends=None) -> dict:
    """The proxy of haproxy.cfg on loopback with three stand-in servers.

    HAProxy runs from the lab root (host), the stand-ins from the host.
    backends, if given, is called with the servers ([(name, address,
    port)]) to start other stand-ins than start_backend's API servers.
    Returns cfg (the text run), sock (admin socket), servers, bind
    ((address, port)) and params (check settings) once every server is
    UP.
    """
    cfg = config((proxy,), {
        "/run/haproxy/admin.sock": f"{workdir}/admin.sock"},
        to_loopback=True)
    path = workdir / "haproxy.cfg"
    path.write_text(cfg)
    check_config(path, tuple(host.argv([])))
    servers = SERVER_LINE.findall(cfg)
    assert len(servers) == 3, servers
    if backends is not None:
        backends(servers)
    else:
        for name, address, port in servers:
            start_backend(daemons, name, address, port)
    daemons.start("haproxy", host.argv(argv(path, workdir / "haproxy.pid")))
    sock = workdir / "admin.sock"
    proc.wait_for(lambda: all(
        status_is(sock, proxy, name, "UP") for name, *_ in servers),
        timeout=15, what="haproxy with three servers UP")
    return {"cfg": cfg, "sock": sock, "servers": servers,
            "bind": re.search(r"bind\s+([\d.]+):(\d+)", cfg).groups(),
            "params": check_params(cfg, proxy)}
