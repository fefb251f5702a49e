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
"""The galera proxy when its writer goes silent: connections being opened.

The galera section of the tree's haproxy.cfg (global and defaults
included, addresses on loopback) runs from the lab root in a network
namespace of its own, with three stand-in database servers that greet
each connection first, as MariaDB does. The writer then goes silent:
every packet to it is dropped, so connections to it neither open nor
fail until HAProxy's connect timeout, and its health checks time out
until HAProxy marks it DOWN, which closes its sessions
(on-marked-down shutdown-sessions).

A client that opened a connection in those seconds waits for a greeting
that has to come from another server. This test records what becomes of
each: greeted, closed (the client can retry at once), or left hanging.
HAProxy 3.0, the version of Debian 13 and of the lab root, leaves the
connections it was still trying to open to the writer when it marks the
writer DOWN hanging, with no timer to end them: only the client can.
The guide documents this (stateful/galera.rst); the test fails the day
the lab root's HAProxy stops doing it, so the page is updated then.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest

from harness import haproxy, labroot, netns, proc, requirements, tree

pytestmark = pytest.mark.functional

PROXY = "galera"
# A client opens a connection every OPEN_EVERY seconds from the moment
# the writer goes silent until HAProxy marks it DOWN.
OPEN_EVERY = 0.5
HEALTH_PORT = "9200"
HARNESS = Path(haproxy.__file__).parent


@pytest.fixture
def proxy(workdir, daemons):
    """The tree's galera proxy and three stand-in servers in a namespace."""
    requirements.require(root_binaries=("haproxy",),
                         binaries=("ip", "nft", "unshare", "nsenter"))
    lab = netns.Lab("hx", daemons)
    try:
        lab.setup({"proxy": {}})
        host = labroot.Host(workdir, daemons, netns=lab.ns("proxy"))
        host.start()

        def standins(servers) -> None:
            """A health check and a greeting database port per server."""
            assert [n for n, *_ in servers] == list(tree.CONTROLLERS)
            for name, address, port in servers:
                daemons.start(f"{name}-health", lab.exec_argv("proxy", [
                    sys.executable, str(haproxy.BACKEND), address,
                    HEALTH_PORT, name]))
                daemons.start(f"{name}-db", lab.exec_argv("proxy", [
                    sys.executable, str(HARNESS / "greeter.py"), address,
                    port, name]))

        balancer = haproxy.start_balancer(workdir, daemons, PROXY, host,
                                          backends=standins)
        yield {**balancer, "lab": lab, "workdir": workdir,
               "daemons": daemons, "bind": (balancer["bind"][0],
                                            int(balancer["bind"][1]))}
    finally:
        daemons.stop_all()
        lab.close()


def _connect_timeout(cfg: str) -> float:
    """timeout connect (s), as the tree's defaults set it."""
    return float(re.search(r"timeout connect (\d+)s", cfg).group(1))


def test_connections_being_opened_when_the_writer_is_marked_down(proxy):
    """Connections HAProxy was opening to a silent writer it marks DOWN.

    Every client that connected after the writer went silent must be
    greeted or closed within a connect timeout of the DOWN, unless
    HAProxy is one that leaves them hanging. On such a version the
    hanging ones are exactly the streams "show sess" shows with the
    server side closed and the client side open.
    """
    sock, servers = proxy["sock"], proxy["servers"]
    writer, address, _ = servers[0]
    # A connection still being opened when the writer is marked DOWN
    # ends, on a HAProxy without the defect, at the DOWN (closed) or when
    # its attempt times out and is retried elsewhere: within the connect
    # timeout. One still waiting well after that has no timer left.
    grace = _connect_timeout(proxy["cfg"]) + 10.0
    proc.run(proxy["lab"].exec_argv("proxy", ["nft", "-f", "-"]),
             stdin=f"""table inet silence {{
  chain input {{
    type filter hook input priority 0; policy accept;
    ip daddr {address} drop
  }}
}}
""", timeout=10)
    silent = time.monotonic()
    talk = proxy["workdir"] / "clients"
    talk.mkdir()
    proxy["daemons"].start("clients", proxy["lab"].exec_argv("proxy", [
        sys.executable, str(HARNESS / "greetclient.py"),
        *map(str, proxy["bind"]), str(OPEN_EVERY), str(grace), str(talk)]))
    try:
        proc.wait_for(lambda: haproxy.status_is(sock, PROXY, writer, "DOWN"),
                      timeout=120, interval=0.2, what=f"{writer} DOWN")
        down_after = time.monotonic() - silent
        (talk / "stop").touch()
        proc.wait_for(lambda: (talk / "outcomes.json").exists(),
                      timeout=grace + 30, interval=0.5,
                      what="every client ended or timed out")
        orphaned = haproxy.orphaned_streams(sock, PROXY)
    finally:
        (talk / "release").touch()
    found = json.loads((talk / "outcomes.json").read_text())
    outcomes, after = found["during"], found["after"]
    hanging = outcomes.count("hanging")
    summary = (f"{writer} silent, DOWN after {down_after:.1f} s; of "
               f"{len(outcomes)} connections opened meanwhile: "
               f"{outcomes.count('greeted')} greeted, "
               f"{outcomes.count('closed')} closed, {hanging} hanging "
               f"{grace:.0f} s after it; {orphaned} orphaned streams")
    # Once the writer is DOWN, a new connection goes to the next server.
    assert after == "greeted", f"after DOWN: {after}; {summary}"
    if haproxy.orphans_connecting_streams():
        # The defect the guide describes: every connection opened while
        # the writer was silent but not yet DOWN is left hanging, one
        # orphaned stream each, with nothing but the client to end it.
        # The last one may have been opened just after the DOWN.
        assert hanging >= max(1, len(outcomes) - 1), summary
        assert outcomes.count("closed") == 0, summary
        assert orphaned == hanging, summary
    else:
        assert hanging == 0 and orphaned == 0, summary
