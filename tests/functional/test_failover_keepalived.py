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
"""keepalived moves the internal VIP between three controllers."""

from __future__ import annotations

import signal
import time

import pytest

from harness import proc, requirements, results
from harness.keepalived import BINARIES, HOST_BINARIES, NoAnswer, VrrpLab

pytestmark = pytest.mark.functional

# Time allowed on top of the VRRP figures below for scheduling on a busy
# two-core host.
SLACK = 2.0
# VRRP's master-down interval with advert_int 1 and the backups'
# priorities: 3 x advert_int + (256 - priority) / 256, about 3.6 s.
MASTER_DOWN = 3.6
# One request through the VIP from the client namespace every 100 ms.
INTERVAL = 0.1


@pytest.fixture(scope="module")
def vrrp(workdir, daemons):
    requirements.require(root_binaries=BINARIES,
                         binaries=HOST_BINARIES)
    lab = VrrpLab(workdir, daemons)
    try:
        lab.start()
        started = time.monotonic()
        lab.first_owner = lab.settled()
        lab.first_election = time.monotonic() - started
        yield lab
    finally:
        lab.close()


def _scenario(measurements):
    return measurements.scenario(
        "keepalived", title="keepalived: the internal VIP moves",
        description=(
            "Three controllers in network namespaces run the tree's "
            "haproxy.cfg and keepalived.conf (derived per node) with "
            "check_haproxy.sh; the master's keepalived or HAProxy is "
            "stopped or killed, a client asks the API through the VIP."),
        test="test_keepalived")


def _fail_over(vrrp, result, label, inject, bound):
    """Inject a failure on the master; measure the VIP's move."""
    old = vrrp.settled()
    assert vrrp.client_answer() is not None
    timeline = result.timeline(f"{label}: requests through the VIP")
    with results.Load(vrrp.ask, timeline, interval=INTERVAL,
                      errors=(NoAnswer,), limit=60):
        time.sleep(1)
        started = timeline.event("failure")
        inject(old)
        proc.wait_for(
            lambda: any(n != old for n in vrrp.holders()), timeout=30,
            what=f"VIP on a controller other than {old} ({label})")
        moved = timeline.event("VIP moved") - started
        proc.wait_for(
            lambda: vrrp.client_answer() is not None, timeout=10,
            what=f"the API answering through the VIP ({label})")
        answered = timeline.event("API answers") - started
        time.sleep(1)
    survivors = [n for n in vrrp.holders() if n != old]
    assert len(survivors) == 1, survivors
    result.measure(f"{label}: VIP on the new master after", moved, "s",
                   bound=("<=", bound))
    result.measure(f"{label}: API answers through the VIP after",
                   answered, "s", bound=("<=", bound + SLACK))
    return old, survivors[0]


def test_keepalived_master_stopped(vrrp, measurements):
    """SIGTERM: keepalived says goodbye (priority 0), a backup takes over.

    With nopreempt the VIP stays on the new master when the old one
    returns, so the restart must not move it.
    """
    result = _scenario(measurements)
    result.measure("first election (all nodes start as BACKUP)",
                   vrrp.first_election, "s")
    before = {}

    def stop(node):
        before[node] = vrrp.logged(node, "Entering BACKUP STATE")
        vrrp.lab.kill(f"{node}-keepalived", signal.SIGTERM)

    # A priority-0 advert usually hands over within one advert_int; the
    # bound is the master-down interval, which applies if it is missed.
    old, new = _fail_over(vrrp, result, "keepalived stopped (SIGTERM)",
                          stop, bound=MASTER_DOWN + SLACK)
    assert vrrp.holders() == [new]
    vrrp.start_keepalived(old)
    vrrp.rejoined(old, before[old])
    assert vrrp.holders() == [new]


def test_keepalived_haproxy_killed(vrrp, measurements):
    """HAProxy dies on the master: the track script moves the VIP.

    check_haproxy.sh asks HAProxy's admin socket every 2 s; after fall 2
    failures the instance goes to FAULT and releases the VIP, so the
    bound is interval x (fall + 1) plus slack. HAProxy restarted, the
    node returns as a backup and the VIP stays where it is (nopreempt).
    """
    result = _scenario(measurements)
    before = {}

    def kill_haproxy(node):
        before[node] = vrrp.logged(node, "Entering BACKUP STATE")
        vrrp.lab.kill(f"{node}-haproxy", signal.SIGKILL)

    old, new = _fail_over(vrrp, result, "HAProxy killed (track script)",
                          kill_haproxy, bound=2 * 3 + SLACK)
    assert vrrp.logged(old, "Entering FAULT STATE") > 0
    vrrp.start_haproxy(old)
    vrrp.rejoined(old, before[old])
    assert vrrp.holders() == [new]


def test_keepalived_master_killed(vrrp, measurements):
    """SIGKILL of keepalived (VRRP child and parent): a crash, no goodbye.

    The backups notice the missing adverts after the master-down
    interval (3 x advert_int plus skew, about 3.6 s) and one takes over.
    The killed node cannot remove the VIP from its interface: the address
    stays there, a duplicate that only the gratuitous ARPs of the new
    master keep harmless, until keepalived starts again and removes it.
    """
    result = _scenario(measurements)
    before = {}

    def crash(node):
        before[node] = vrrp.logged(node, "Entering BACKUP STATE")
        vrrp.lab.kill(f"{node}-keepalived", signal.SIGKILL,
                      with_children=True)

    old, new = _fail_over(vrrp, result, "keepalived killed (SIGKILL)",
                          crash, bound=MASTER_DOWN + SLACK)
    stale = vrrp.vip in vrrp.lab.addresses(old)
    result.measure("killed master still holds the VIP (duplicate)",
                   "yes" if stale else "no", "")
    vrrp.start_keepalived(old)
    vrrp.rejoined(old, before[old])
    proc.wait_for(lambda: vrrp.holders() == [new], timeout=10,
                  what="restarted keepalived removing the stale VIP")
