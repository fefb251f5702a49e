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
"""OpenStack processes from the pinned venv, in a node's namespaces.

Each process runs on the host's file system from the venv that
tools/openstack-venv builds, inside the node's network namespace and a
mount namespace of its own in which:

- /etc is the host's /etc with the node's layer on top (read-only
  overlay): the tree's files at the paths the guide gives them
  (/etc/nova/nova.conf, /etc/keystone/keystone.conf, /etc/hosts ...), so
  they run unchanged;
- the directories a service writes (key repositories) are the node's
  own directories bind-mounted over the layer's;
- /var/log, /var/lib and /dev/shm are the node's directories, shared by
  every OpenStack process of that node and by nothing else.

Nothing is written to the host's /etc, /var or /dev/shm.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
from pathlib import Path

from harness import netns, proc, requirements, tree

VENV_TOOL = tree.REPO / "tools" / "openstack-venv"
# Building the venv from scratch compiles uWSGI (about a minute here).
VENV_TIMEOUT = 1800
# A node's private view: its hostname (the queue manager names queues
# after it) and mounts; /var/log, /var/lib and /dev/shm exist on every host.
MOUNTS = """set -e
hostname {hostname}
mount -t overlay overlay -o lowerdir={layer}:/etc /etc
mount --bind {node}/log /var/log
mount --bind {node}/lib /var/lib
mount --bind {node}/shm /dev/shm
{writable}
exec "$@"
"""


def venv() -> Path:
    """The OpenStack venv, built on first use (skip or fail without it)."""
    requirements.require(binaries=("ip", "unshare", "mount"))
    done = subprocess.run([str(VENV_TOOL), "ensure"], capture_output=True,
                          text=True, timeout=VENV_TIMEOUT, check=False)
    if done.returncode != 0:
        requirements.missing_parts(
            f"the OpenStack venv (tools/openstack-venv ensure: "
            f"{done.stderr.strip()[-1000:]})")
    return Path(done.stdout.strip())


class Node:
    """One controller's file system view for OpenStack processes.

    files maps paths under /etc (e.g. "nova/nova.conf") to their text;
    writable names directories under /etc the services write to.
    """

    def __init__(self, lab: netns.Lab, name: str, root: Path, venv: Path,
                 files: dict[str, str], writable: tuple[str, ...] = ()):
        self.lab = lab
        self.name = name
        self.root = root
        self.venv = venv
        self.writable = writable
        self.layer = root / "etc"
        for sub in ("log", "lib", "shm", "etc", "rw"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        for relpath, text in files.items():
            self.put(relpath, text)
        for relpath in writable:
            (self.layer / relpath).mkdir(parents=True, exist_ok=True)
            (root / "rw" / relpath).mkdir(parents=True, exist_ok=True)

    def put(self, relpath: str, text: str) -> Path:
        """Place (or replace) /etc/relpath in the node's layer."""
        path = self.layer / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def remove(self, relpath: str) -> None:
        (self.layer / relpath).unlink()

    def argv(self, argv: list[str]) -> list[str]:
        """argv run in the node's network namespace and private mounts."""
        writable = "\n".join(
            f"mount --bind {shlex.quote(str(self.root / 'rw' / d))} "
            f"/etc/{shlex.quote(d)}" for d in self.writable)
        script = MOUNTS.format(hostname=shlex.quote(self.name),
                               layer=shlex.quote(str(self.layer)),
                               node=shlex.quote(str(self.root)),
                               writable=writable)
        # ip netns exec and unshare (without --fork) exec in turn, and the
        # script execs argv: the PID the harness holds is argv's own.
        return self.lab.exec_argv(self.name, [
            "unshare", "--mount", "--uts", "--propagation", "private",
            "sh", "-c", script, "sh", *argv])

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def run(self, argv: list[str], *, timeout: float = proc.RUN_TIMEOUT,
            env: dict[str, str] | None = None, check: bool = True):
        return proc.run(self.argv(argv), timeout=timeout,
                        env=env, check=check)

    def start(self, daemons: proc.Daemons, name: str, argv: list[str], *,
              env: dict[str, str] | None = None):
        return daemons.start(name, self.argv(argv), env=env)


def environ(**extra: str) -> dict[str, str]:
    """A small, explicit environment for the venv's processes."""
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
           "HOME": "/var/lib"}
    env.update(extra)
    return env


def kill_node(lab: netns.Lab, node: str) -> list[int]:
    """SIGKILL every process in node's network namespace (a dead server).

    The namespace is the test's own, so every process in it is one the
    test started (directly or as a child); its address stays configured
    and answers nothing, as a crashed host whose switch port is up.
    """
    done = proc.run(["ip", "netns", "pids", lab.ns(node)], timeout=10,
                    check=False)
    pids = [int(p) for p in done.stdout.split()]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
    return pids


def json_lines(path: Path) -> list[dict]:
    """The records a loop wrote to path so far (complete lines only)."""
    if not path.exists():
        return []
    found = []
    for line in path.read_text().splitlines():
        try:
            found.append(json.loads(line))
        except json.JSONDecodeError:
            # The loop may be writing the last line right now.
            break
    return found
