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
"""HAProxy in front of three API servers: a server dies under load."""

from __future__ import annotations

import functools
import http.client
import time
import urllib.parse

import pytest

from harness import haproxy, httpload, labroot, proc, requirements, results

pytestmark = pytest.mark.functional

PROXY = "glance_api"
# One request every 50 ms, as a busy but not saturating API client.
REQUEST_INTERVAL = 0.05
REQUEST_TIMEOUT = 5.0
# Scheduling and check-timing jitter allowed on top of fall x inter and
# rise x inter (the check itself fails at once: connection refused).
SLACK = 2.0


def served_by(load: results.Load, name: str, since: float) -> int:
    return sum(1 for t, body in load.ok if t >= since and body == name)


@pytest.fixture(scope="module")
def lb(workdir, daemons):
    """haproxy.cfg's glance_api proxy on loopback, three stand-in APIs."""
    requirements.require(root_binaries=("haproxy",),
                         binaries=("unshare", "nsenter"))
    host = labroot.Host(workdir, daemons)
    host.start()
    return haproxy.start_balancer(workdir, daemons, PROXY, host)


def test_haproxy_server_killed_under_load(lb, daemons, measurements):
    """A server SIGKILLed under load: at most one error, DOWN, then UP.

    The glance_api proxy of the tree's haproxy.cfg (global and defaults
    included; public TLS bind dropped, addresses on loopback) balances
    three stand-in API servers. A client sends one request every 50 ms.
    controller2's server is SIGKILLed: with roundrobin, option redispatch
    and retries 3, a new request routed to it is retried on another
    server. The one request the dead server may have been answering at
    the moment of the kill fails (HAProxy cannot replay it safely), and
    the client sends one request at a time, so at most one error. HAProxy
    marks the server DOWN after fall failed checks, and UP again rise
    checks after it returns.
    """
    params = lb["params"]
    inter = params["inter"] / 1000
    result = measurements.scenario(
        "haproxy", title="HAProxy: API server killed under load",
        description=(
            f"Proxy {PROXY} from haproxy.cfg balances three API servers; "
            "a client sends one request every 50 ms; controller2's server "
            "is SIGKILLed, then restarted."),
        test="test_haproxy_server_killed_under_load")
    host, port = lb["bind"]
    timeline = result.timeline("GET requests through HAProxy")
    url = urllib.parse.urlsplit(f"http://{host}:{port}/")
    load = results.Load(functools.partial(httpload.get, url, REQUEST_TIMEOUT),
                        timeline,
                        interval=REQUEST_INTERVAL, limit=120,
                        errors=(OSError, http.client.HTTPException))
    with load:
        time.sleep(2)
        killed_at = timeline.event("kill")
        daemons.kill("controller2")
        down = proc.wait_for(
            lambda: haproxy.status_is(lb["sock"], PROXY, "controller2",
                                      "DOWN"),
            timeout=params["fall"] * inter + 3 * SLACK,
            what="controller2 marked DOWN")
        timeline.event("detected")
        time.sleep(1)
        name, address, server_port = lb["servers"][1]
        restarted_at = timeline.event("restart")
        haproxy.start_backend(daemons, name, address, server_port)
        up = proc.wait_for(
            lambda: haproxy.status_is(lb["sock"], PROXY, "controller2",
                                      "UP"),
            timeout=params["rise"] * inter + 3 * SLACK,
            what="controller2 marked UP again")
        timeline.event("recovered")
        time.sleep(2)
    result.measure("check settings (inter ms / rise / fall)",
                   f"{params['inter']} / {params['rise']} / "
                   f"{params['fall']}", "")
    result.measure("server marked DOWN after", down, "s",
                   bound=("<=", params["fall"] * inter + SLACK))
    result.measure("server marked UP after restart", up, "s",
                   bound=("<=", params["rise"] * inter + SLACK))
    total = len(load.ok) + len(load.failed)
    result.measure("client requests sent", total, "requests",
                   bound=(">=", 100))
    result.measure("client errors", len(load.failed), "requests",
                   bound=("<=", 1))
    assert served_by(load, "controller2", killed_at + 0.5) == (
        served_by(load, "controller2", restarted_at))
    # Back in the rotation: it serves again after it is UP.
    assert served_by(load, "controller2", restarted_at) > 0
