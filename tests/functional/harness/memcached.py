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
"""memcached from the node's memcached.conf, in the foreground.

argv(node, workdir) turns memcached.conf into memcached's arguments;
start(daemons, workdir, host) starts one server per controller (daemon
name = node) from the lab root; answers()/wait_ready() probe a server's
TCP port. The fixture's proc.Daemons stops them.
"""

from __future__ import annotations

import shlex
import socket
from pathlib import Path

from harness import labroot, proc, tree

MEMCACHED_CONF = "controller/etc/memcached.conf"
# memcached.conf is read by Debian's start-memcached, which turns the
# lines that start with "-" into arguments and handles "logfile" itself.
# The tests run memcached in the foreground: "-d" is dropped, the pid
# file goes to the test directory.
DROPPED = ("-d",)


def argv(node: str, workdir: Path, *, to_loopback: bool = True,
         conf: str = MEMCACHED_CONF,
         substitutions: dict[str, str] | None = None) -> list[str]:
    """Arguments of memcached from the node's memcached.conf.

    to_loopback=False keeps the tree's 10.0.0.x address, for a node's
    own network namespace. conf names another memcached.conf of the tree
    (a variant's); substitutions are added to the pid file's (paths of
    the variant's certificates).
    """
    text = tree.rewrite(tree.node_file(conf, node), {
        "/var/run/memcached/memcached.pid":
            f"{workdir}/{node}-memcached.pid", **(substitutions or {})},
        to_loopback=to_loopback)
    args = []
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        if words and words[0].startswith("-") and words[0] not in DROPPED:
            args.extend(words)
    return ["memcached", *args]


def start(daemons: proc.Daemons, workdir: Path, host: labroot.Host,
          nodes: tuple[str, ...] | list[str] = tree.CONTROLLERS) -> None:
    """Start one memcached per node, registered under the node's name."""
    for node in nodes:
        daemons.start(node, host.argv(argv(node, workdir)))


def answers(address: str, port: int) -> bool:
    """True once something accepts TCP connections on address:port."""
    try:
        with socket.create_connection((address, port), timeout=1):
            return True
    except OSError:
        return False


def wait_ready(address: str, port: int, timeout: float = 10) -> float:
    """Wait until the server on address:port accepts connections."""
    return proc.wait_for(lambda: answers(address, port), timeout=timeout,
                         what=f"memcached on {address}:{port}")
