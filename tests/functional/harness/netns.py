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
"""Controllers as network namespaces on a bridge that lives in its own.

Nothing touches the root namespace: the bridge sits in a namespace of its
own, both ends of every veth are in test namespaces, no route is added to
the host. Each controller may also get its own PID, mount and UTS
namespaces (``unshare``), so ``killall -0 haproxy`` in a check script sees
only that node's haproxy and each node has its own hostname and /run.

A booted node runs chrooted in its own view of the Debian 13 lab root
(harness.labroot): its PID 1, its setup lines and every daemon started
with start_in/run_in run the root's binaries. start_in(..., host=True)
and run_in(..., host=True) run a program from the host's file system
(a Python venv, the stand-in APIs) in the same namespaces instead.
"""

from __future__ import annotations

import os
import shlex
import signal
from pathlib import Path

from harness import labroot, proc

# The first free client address on the lab network.
CLIENT_ADDRESS = "10.0.0.50"
PREFIX_LENGTH = 24
# PID 1 of a node: sets the hostname, runs the setup lines, then waits.
# bash reaps every orphan that is reparented to it, which PID 1 must do.
INIT_SCRIPT = """set -e
hostname {hostname}
{setup}
trap 'exit 0' TERM
while sleep 1; do :; done
"""


def children(pid: int) -> list[int]:
    """Direct children of pid (Linux keeps them per thread)."""
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return []
    for task in tasks:
        try:
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
        except FileNotFoundError:
            continue
        found.extend(int(c) for c in text.split())
    return found


class Lab:
    """A bridge namespace plus one namespace per node, deleted on close."""

    def __init__(self, tag: str, daemons: proc.Daemons):
        # Names are short: veth names must fit in 15 bytes.
        self.prefix = f"{tag}{os.getpid() % 100000}"
        self.daemons = daemons
        self.bridge = f"{self.prefix}br"
        self.nodes: dict[str, str] = {}
        self.created: list[str] = []
        # Scratch directory of each booted node's view of the lab root.
        self.views: dict[str, Path] = {}

    def ns(self, node: str) -> str:
        return self.nodes[node]

    def _ip(self, *args: str) -> None:
        proc.run(["ip", *args], timeout=10)

    def setup(self, nodes: dict[str, dict[str, str]]) -> None:
        """Create the nodes: {node: {interface: address}}.

        Each interface name is a network: one bridge per name in the
        bridge namespace, a veth from each node's interface to it. An
        empty address leaves the interface without one (a bridge port).
        """
        self._ip("netns", "add", self.bridge)
        self.created.append(self.bridge)
        bridges: list[str] = []
        for index, (node, interfaces) in enumerate(nodes.items(), 1):
            name = f"{self.prefix}n{index}"
            self._ip("netns", "add", name)
            self.created.append(name)
            self.nodes[node] = name
            self._ip("-n", name, "link", "set", "lo", "up")
            for dev, address in interfaces.items():
                if dev not in bridges:
                    bridges.append(dev)
                    self._ip("-n", self.bridge, "link", "add",
                             f"br-{dev}", "type", "bridge")
                    self._ip("-n", self.bridge, "link", "set",
                             f"br-{dev}", "up")
                port = self.port(node, dev)
                self._ip("link", "add", dev, "netns", name, "type", "veth",
                         "peer", "name", port, "netns", self.bridge)
                self._ip("-n", self.bridge, "link", "set", port, "master",
                         f"br-{dev}")
                self._ip("-n", self.bridge, "link", "set", port, "up")
                if address:
                    self._ip("-n", name, "addr", "add",
                             f"{address}/{PREFIX_LENGTH}", "dev", dev)
                self._ip("-n", name, "link", "set", dev, "up")

    def port(self, node: str, dev: str = "eth0") -> str:
        """Name of node's port on the bridge of dev (15 bytes at most)."""
        return f"v{self.ns(node)}{dev[0]}{dev[-1]}"

    def set_link(self, node: str, up: bool, dev: str = "eth0") -> None:
        """Plug or unplug node's cable (its port on the bridge)."""
        self._ip("-n", self.bridge, "link", "set", self.port(node, dev),
                 "up" if up else "down")

    def exec_argv(self, node: str, argv: list[str]) -> list[str]:
        """argv run in node's network namespace only."""
        return ["ip", "netns", "exec", self.ns(node), *argv]

    def addresses(self, node: str, dev: str = "eth0") -> list[str]:
        out = proc.run(["ip", "-n", self.ns(node), "-4", "-o", "addr",
                        "show", "dev", dev], timeout=10).stdout
        return [f.split("/")[0] for line in out.splitlines()
                for f in line.split()[3:4]]

    # Nodes with their own PID, mount and UTS namespaces.

    def boot(self, node: str, hostname: str, setup: str = ":") -> None:
        """Start node's PID 1 in the lab root; setup is shell run first.

        The setup lines (mounts, sysctl) run inside the node's view of
        the root, so they see and change only that node's files. The
        view's upper layer is in the daemons' scratch directory.
        """
        script = INIT_SCRIPT.format(hostname=shlex.quote(hostname),
                                    setup=setup)
        view = self.daemons.logdir / f".root-{node}"
        wrapper = (f"set -e\n{labroot.view_setup(view, self.daemons.logdir)}"
                   f"{labroot.chroot_command(view, script)}")
        self.views[node] = view
        # --kill-child: when the test kills unshare, the node's PID 1 dies
        # and the kernel kills everything else in that PID namespace.
        self.daemons.start(f"{node}-init", self.exec_argv(node, [
            "unshare", "--pid", "--mount", "--uts", "--fork",
            "--kill-child", "--mount-proc", "bash", "-c", wrapper]),
            stop_signal=signal.SIGKILL)
        proc.wait_for(lambda: self._ready(node), timeout=10,
                      what=f"{node} PID namespace to start")

    def _ready(self, node: str) -> bool:
        pid = self.init_pid(node)
        if pid is None:
            return False
        # PID 1 has reached its wait loop once its sleep child exists.
        return any(_comm(c) == "sleep" for c in children(pid))

    def init_pid(self, node: str) -> int | None:
        kids = children(self.daemons.pid(f"{node}-init"))
        return kids[0] if kids else None

    def enter_argv(self, node: str, argv: list[str], *,
                   host: bool = False) -> list[str]:
        """argv run inside all of node's namespaces (nsenter forks once).

        It runs in the node's lab root (PATH = the root's), or, with
        host, from the host's file system.
        """
        enter = ["nsenter", "-t", str(self.init_pid(node)), "-n", "-p", "-m",
                 "-u"]
        if host:
            return [*enter, "--", *argv]
        return [*enter, "-r", "-w", "--", "/usr/bin/env",
                f"PATH={labroot.PATH}", *argv]

    def run_in(self, node: str, argv: list[str], *, host: bool = False,
               **kwargs):
        return proc.run(self.enter_argv(node, argv, host=host), **kwargs)

    def start_in(self, node: str, name: str, argv: list[str],
                 env: dict[str, str] | None = None, *,
                 host: bool = False) -> None:
        """Start a foreground daemon inside node, registered as name."""
        self.daemons.start(name, self.enter_argv(node, argv, host=host),
                           env=env)

    def daemon_pid(self, name: str) -> int:
        """Host PID of a daemon started with start_in (nsenter's child)."""
        nsenter = self.daemons.pid(name)
        proc.wait_for(lambda: children(nsenter), timeout=5,
                      what=f"{name} to be forked by nsenter")
        return children(nsenter)[0]

    def _pids(self, name: str) -> list[str]:
        done = proc.run(["ip", "netns", "pids", name], timeout=10,
                        check=False)
        return done.stdout.split()

    def kill(self, name: str, sig: int = signal.SIGKILL, *,
             with_children: bool = False) -> None:
        """Signal a daemon started with start_in, by its host PID.

        nsenter does not forward signals, so the signal goes to its child.
        with_children signals the daemon's own children first (keepalived's
        VRRP process), as a crash of the whole daemon would.
        """
        pid = self.daemon_pid(name)
        victims = [*children(pid), pid] if with_children else [pid]
        for victim in victims:
            os.kill(victim, sig)
        # nsenter exits once its child has; reap it.
        self.daemons.procs[name].wait(proc.STOP_GRACE)

    def close(self) -> None:
        """Delete every namespace this lab made (veths go with them).

        First wait (bounded) until no process is left in them: killed
        nodes die asynchronously, and their daemons must not write into
        the scratch directory while the fixture removes it.
        """
        for name in self.created:
            try:
                proc.wait_for(lambda n=name: not self._pids(n), timeout=15,
                              what=f"processes in namespace {name} to exit")
            except proc.WaitTimeout:
                continue
        for name in reversed(self.created):
            proc.run(["ip", "netns", "del", name], timeout=10, check=False)
        self.created.clear()


def _comm(pid: int) -> str | None:
    """pid's command name; None once it has exited (a setup child may
    exit between listing and reading)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except (FileNotFoundError, ProcessLookupError):
        return None
