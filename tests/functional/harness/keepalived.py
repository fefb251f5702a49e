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
"""keepalived and HAProxy on three controllers in network namespaces.

VrrpLab(workdir, daemons).start() creates the controllers (internal and
public networks) and a client, and starts on each controller a stand-in
API, HAProxy from the node's haproxy.cfg and keepalived from the node's
keepalived.conf with check_haproxy.sh. settled() waits for one VIP
holder; client_answer() asks the API through the VIP. close() stops and
deletes all.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from harness import haproxy, netns, proc, tree

# Binaries VrrpLab needs (for requirements.require): the daemons and the
# check script's tools from the lab root; the namespaces, the client and
# a throwaway certificate from the host.
BINARIES = ("keepalived", "haproxy", "socat", "killall")
HOST_BINARIES = ("ip", "unshare", "nsenter", "curl", "openssl")

KEEPALIVED_CONF = "controller/etc/keepalived/keepalived.conf"
CHECK_SCRIPT = "controller/etc/keepalived/check_haproxy.sh"
SYSCTL = "controller/etc/sysctl.d/60-ha.conf"
# The API the client asks through the VIP (any proxied service would do).
SERVICE = "keystone"
BACKEND = Path(__file__).parent / "httpbackend.py"
# Run inside each node's own writable view of the lab root: a private
# /run (haproxy's admin socket, pid files), the check script in
# /etc/keepalived (root-owned, as script security demands, beside the
# package's keepalived.config-opts, which keepalived 2.3 reads at start)
# and a throwaway certificate for the public TLS binds in /etc/haproxy.
NODE_SETUP = """\
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/haproxy
install -m 0755 {workdir}/check_haproxy.sh /etc/keepalived/
mkdir -p /etc/haproxy/certs
install -m 0600 {workdir}/public.pem /etc/haproxy/certs/
sysctl -q -p {workdir}/60-ha.conf
"""


def _public(node: str) -> str:
    return tree.cluster()["hosts"][node]["public_address"]


class NoAnswer(Exception):
    """The API did not answer through the VIP."""


class VrrpLab:
    """Three controllers running the tree's haproxy.cfg and keepalived."""

    def __init__(self, workdir: Path, daemons: proc.Daemons, *,
                 tag: str = "ka",
                 rewrite: Callable[[str], str] | None = None,
                 haproxy_first: bool = False):
        """tag names the lab's namespaces (several labs may run at once);
        rewrite, if given, changes each node's keepalived.conf;
        haproxy_first starts keepalived only once the check script
        passes, so a first failed check (and rise successes) does not
        delay the node's start."""
        self.workdir = workdir
        self.daemons = daemons
        self.haproxy_first = haproxy_first
        self.rewrite = rewrite or (lambda text: text)
        self.lab = netns.Lab(tag, daemons)
        self.vip = tree.vip()
        self.port = next(s["port"] for s in tree.cluster()["services"]
                         if s["name"] == SERVICE)

    def start(self) -> None:
        nodes = {n: {"eth0": tree.address(n), "eth1": _public(n)}
                 for n in tree.CONTROLLERS}
        nodes["client"] = {"eth0": netns.CLIENT_ADDRESS}
        self.lab.setup(nodes)
        for relpath in (CHECK_SCRIPT, SYSCTL):
            (self.workdir / Path(relpath).name).write_text(
                tree.example(relpath))
        haproxy.public_certificate(self.workdir)
        for node in tree.CONTROLLERS:
            nodedir = self.workdir / node
            nodedir.mkdir()
            (nodedir / "haproxy.cfg").write_text(
                tree.node_file(haproxy.HAPROXY_CFG, node))
            (nodedir / "keepalived.conf").write_text(
                self.rewrite(tree.node_file(KEEPALIVED_CONF, node)))
            self.boot_node(node)

    def boot_node(self, node: str) -> None:
        """Boot node and start what it runs: API server, HAProxy, keepalived.

        Also how a node killed as a whole (faults.kill_node) comes back.
        """
        self.lab.boot(node, node, NODE_SETUP.format(workdir=self.workdir))
        self.lab.start_in(node, f"{node}-api", [
            sys.executable, str(BACKEND), tree.address(node),
            str(self.port), node], host=True)
        self.start_haproxy(node)
        if self.haproxy_first:
            proc.wait_for(lambda: self.lab.run_in(node, [
                "/etc/keepalived/check_haproxy.sh"], timeout=10,
                check=False).returncode == 0, timeout=15,
                what=f"HAProxy answering on {node}")
        self.start_keepalived(node)

    def start_haproxy(self, node: str) -> None:
        self.lab.start_in(node, f"{node}-haproxy", haproxy.argv(
            self.workdir / node / "haproxy.cfg", Path("/run/haproxy.pid")))

    def start_keepalived(self, node: str) -> None:
        self.lab.start_in(node, f"{node}-keepalived", [
            "keepalived", "-n", "-l", "-D", "-f",
            str(self.workdir / node / "keepalived.conf")])

    def holders(self) -> list[str]:
        return [n for n in tree.CONTROLLERS
                if self.vip in self.lab.addresses(n)]

    def settled(self) -> str:
        """Wait until exactly one controller holds the VIP; return it."""
        proc.wait_for(lambda: len(self.holders()) == 1, timeout=15,
                      what="exactly one controller holding the VIP")
        return self.holders()[0]

    def client_answer(self) -> str | None:
        """Ask the API through the VIP from the client namespace."""
        try:
            done = subprocess.run(self.lab.exec_argv("client", [
                "curl", "-s", "-m", "1", f"http://{self.vip}:{self.port}/"]),
                capture_output=True, text=True, timeout=5, check=False)
        except subprocess.TimeoutExpired:
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    def ask(self) -> str:
        """client_answer for a results.Load: raises NoAnswer instead."""
        answer = self.client_answer()
        if answer is None:
            raise NoAnswer
        return answer

    def logged(self, node: str, text: str) -> int:
        return self.daemons.log(f"{node}-keepalived").count(text)

    def close(self) -> None:
        """Stop every daemon of the module, then delete the namespaces."""
        self.daemons.stop_all()
        self.lab.close()

    def rejoined(self, node: str, since: int) -> None:
        """Wait for node's keepalived to enter BACKUP again."""
        proc.wait_for(
            lambda: self.logged(node, "Entering BACKUP STATE") > since,
            timeout=20, what=f"{node} back in BACKUP state")
