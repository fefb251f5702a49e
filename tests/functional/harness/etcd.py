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
"""etcd: three members from the tree's /etc/default/etcd, in namespaces.

EtcdLab(workdir, daemons): prepare() boots the three controllers (their
own namespaces, each in its view of the lab root); start_cluster() runs
etcd on each with the node's /etc/default/etcd as its environment, as
the package's systemd unit does, unchanged: the data directory
/var/lib/etcd/default is private to each node's view. status()/leader()
ask a member through its HTTP gateway; locker() runs harness/lockclient
(tooz, from the test's Python) in a node with that node's backend_url
from cinder.conf. close() stops everything and deletes the namespaces.
"""

from __future__ import annotations

import configparser
import json
import shlex
import sys
import urllib.parse
from pathlib import Path

import pytest

from harness import netns, proc, tree

ETCD_DEFAULT = "controller/etc/default/etcd"
CINDER_CONF = "controller/etc/cinder/cinder.conf"
LOCK_CLIENT = Path(__file__).parent / "lockclient.py"
START_TIMEOUT = 60


def environment(node: str, relpath: str = ETCD_DEFAULT,
                substitutions: dict[str, str] | None = None
                ) -> dict[str, str]:
    """The node's /etc/default/etcd as the variables systemd passes.

    The file is a list of shell assignments (systemd's EnvironmentFile
    syntax, a subset of the shell's); shlex undoes the quoting, and a
    line that is not one assignment fails the test. substitutions: the
    harness's rewrite (paths of certificate files).
    """
    found = {}
    text = tree.rewrite(tree.node_file(relpath, node), substitutions)
    for number, line in enumerate(text.splitlines(), 1):
        words = shlex.split(line, comments=True)
        if not words:
            continue
        name, sep, value = words[0].partition("=")
        if len(words) != 1 or not sep or not name.startswith("ETCD_"):
            pytest.fail(f"{relpath}:{number}: not an ETCD_ assignment",
                        pytrace=False)
        found[name] = value
    return found


def backend_url(node: str, relpath: str = CINDER_CONF) -> str:
    """[coordination] backend_url of cinder.conf as it is on node.

    oslo.config files are ini files; the standard library's parser reads
    the one option needed (no interpolation, as oslo.config has none).
    """
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string(tree.node_file(relpath, node))
    return parser["coordination"]["backend_url"]


def lock_timeout(url: str) -> int:
    """The lease time tooz gives a lock for url: its own default or ?."""
    from tooz.drivers import etcd3gw
    options = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    value = options.get("lock_timeout", options.get("timeout"))
    return int(value[-1]) if value else etcd3gw.Etcd3Driver.DEFAULT_TIMEOUT


class EtcdLab:
    """Three controllers running etcd from the tree."""

    def __init__(self, workdir: Path, daemons: proc.Daemons, *,
                 default: str = ETCD_DEFAULT, tag: str = "etc",
                 substitutions: dict[str, str] | None = None,
                 curl_tls: tuple[str, ...] = ()):
        """default: the etcd file to run (a variant's); substitutions:
        the rewrite of its paths, "{node}" standing for the node's name;
        curl_tls: curl's TLS options for https on the local listener,
        with "{node}" likewise."""
        self.workdir = workdir
        self.daemons = daemons
        self.default = default
        self.substitutions = substitutions or {}
        self.curl_tls = curl_tls
        self.lab = netns.Lab(tag, daemons)
        self.members: dict[str, str] = {}

    def prepare(self) -> None:
        self.lab.setup({n: {"eth0": tree.address(n)}
                        for n in tree.CONTROLLERS})
        for node in tree.CONTROLLERS:
            self.lab.boot(node, node)

    def start(self, node: str) -> None:
        rewrite = {k: v.format(node=node)
                   for k, v in self.substitutions.items()}
        assignments = [f"{k}={v}" for k, v in
                       environment(node, self.default, rewrite).items()]
        self.lab.start_in(node, f"etcd-{node}",
                          ["env", *assignments, "etcd"])

    def start_cluster(self) -> float:
        """Start the three members together; seconds until a leader."""
        for node in tree.CONTROLLERS:
            self.start(node)
        return proc.wait_for(
            lambda: all(self.leader(n) for n in tree.CONTROLLERS),
            timeout=START_TIMEOUT, interval=0.5,
            what="the etcd cluster to elect a leader")

    def ask(self, node: str, call: str) -> dict | None:
        """POST {} to the member's gateway call; None if it does not answer.

        Asked with the root's curl on the node's loopback listener.
        """
        if not self.daemons.running(f"etcd-{node}"):
            raise AssertionError(f"etcd on {node} exited: "
                                 f"{self.daemons.log(f'etcd-{node}')[-2000:]}")
        scheme = "https" if self.curl_tls else "http"
        done = self.lab.run_in(node, [
            "curl", "-sf", "--max-time", "2",
            *(a.format(node=node) for a in self.curl_tls),
            "-X", "POST", "-d", "{}",
            f"{scheme}://127.0.0.1:2379/v3/{call}"], check=False, timeout=10)
        if done.returncode != 0:
            return None
        return json.loads(done.stdout)

    def status(self, node: str) -> dict | None:
        return self.ask(node, "maintenance/status")

    def leader(self, node: str) -> str | None:
        """The name of the leader as node sees it, None if it has none."""
        status = self.status(node)
        if not status or status.get("leader", "0") == "0":
            return None
        if status["leader"] not in self.members:
            listed = self.ask(node, "cluster/member/list") or {}
            self.members.update({m["ID"]: m["name"]
                                 for m in listed.get("members", [])})
        return self.members.get(status["leader"])

    def version(self, node: str) -> str:
        return self.status(node)["version"]

    def locker(self, node: str, name: str, **args) -> None:
        """Run the tooz lock client on node, registered as name."""
        args.setdefault("url", backend_url(node))
        self.daemons.start(name, self.lab.exec_argv(node, [
            sys.executable, str(LOCK_CLIENT), json.dumps(args)]))

    def events(self, name: str) -> list[dict]:
        """The JSON lines a lock client printed so far."""
        found = []
        for line in self.daemons.log(name).splitlines():
            if line.startswith("{"):
                found.append(json.loads(line))
        return found

    def close(self) -> None:
        self.daemons.stop_all()
        self.lab.close()
