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
"""memcached of the TLS variant: oslo.cache over TLS, client certificates."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from harness import (faults, labroot, memcached, netns, openstack, pki,
                     proc, requirements, tree)

pytestmark = pytest.mark.functional

VARIANT_CONF = "variants/tls/etc/memcached.conf"
KEYSTONE_CONF = "controller/etc/keystone/keystone.conf"
KEYSTONE_DROP_IN = "variants/tls/etc/keystone/keystone.conf.d/keystone.conf"
CA_ON_NODES = "/etc/ssl/certs/openstack-ca.pem"
SERVER_TLS = "/etc/memcached/tls/"
CLIENT_TLS = "/etc/keystone/tls/"
CLIENT = Path(__file__).parent / "harness" / "cachetls.py"
# keystone runs on every controller; its cache client runs on the first.
CLIENT_NODE = "controller1"
# The client reads each key from the first server of memcache_servers
# that answers: killing the first one is what moves every read.
VICTIM = "controller1"
# Then the next server in the list, which now answers the reads, is cut
# off without a trace (frames dropped, no RST) for this long.
SILENT = "controller2"
CUT_SECONDS = 10
# How long the client reads the key rewritten during the cut, after it:
# longer than the library's retry delay, so that it reconnects.
SETTLE_SECONDS = 8
# A read slower than this counts as stalled.
SLOW = 0.5
KEYS = 300
# Seconds a client may take for its whole run (imports, 300 keys twice
# or three times, the pause for the kill).
CLIENT_TIMEOUT = 60
# The settings each client of the run is given: the drop-in's lines, or
# the drop-in without the lines a misconfigured service would lack.
CLIENTS = {
    "keystone": (),
    "without-ca": ("tls_cafile",),
    "without-cert": ("tls_certfile", "tls_keyfile"),
}


@pytest.fixture(scope="module")
def lab(workdir, daemons):
    """Three memcached servers of the TLS variant, one per namespace."""
    requirements.require(root_binaries=("memcached",),
                         binaries=("unshare", "nsenter", "openssl",
                                   *faults.BINARIES))
    venv = openstack.venv()
    ca = pki.CA(workdir / "ca")
    lab = netns.Lab("mt", daemons)
    try:
        lab.setup({n: {"eth0": tree.address(n)} for n in tree.CONTROLLERS})
        for node in tree.CONTROLLERS:
            issued = ca.issue(f"{node}-memcached", pki.node_names(node))
            pki.install(workdir / node / "memcached", "memcache", {
                "node.pem": issued["chain"], "node.key": issued["key"]})
            view = labroot.Host(workdir, daemons, f"{node}-root",
                                netns=lab.ns(node))
            view.start()
            lab.views[node] = view
            start(lab, daemons, workdir, node)
        client = ca.issue("keystone-client", [f"keystone-{CLIENT_NODE}"])
        keystone = workdir / "keystone"
        keystone.mkdir()
        shutil.copy(client["cert"], keystone / "memcached-client.pem")
        shutil.copy(client["key"], keystone / "memcached-client.key")
        for node in tree.CONTROLLERS:
            wait_listening(lab, node)
        lab.venv = venv
        lab.ca = ca
        yield lab
    finally:
        # Stop the servers first: close() waits for empty namespaces.
        daemons.stop_all()
        lab.close()


def start(lab, daemons, workdir, node: str) -> None:
    """memcached of the variant's file, derived for node, in its view."""
    daemons.start(f"{node}-memcached", lab.views[node].argv(memcached.argv(
        node, workdir, to_loopback=False, conf=VARIANT_CONF,
        substitutions={SERVER_TLS: f"{workdir}/{node}/memcached/",
                       CA_ON_NODES: f"{workdir}/ca/ca.pem"})))


def wait_listening(lab, node: str) -> None:
    """Wait until node's memcached accepts TCP in node's namespace."""
    address = tree.address(node)
    proc.wait_for(lambda: lab_connects(lab, node, address), timeout=10,
                  what=f"memcached of {node} on {address}:11211")


def lab_connects(lab, node: str, address: str) -> bool:
    done = proc.run(lab.exec_argv(node, [
        "bash", "-c", f"exec 3<>/dev/tcp/{address}/11211"]),
        timeout=5, check=False)
    return done.returncode == 0


def client_files(workdir, name: str, dropped: tuple[str, ...]
                 ) -> tuple[Path, Path]:
    """keystone.conf and its conf.d for one client of the run.

    keystone.conf is the tree's, unchanged (its 10.0.0.x servers are the
    namespaces' addresses); the drop-in has its paths rewritten to the
    run's CA and client certificate, and the lines of dropped removed.
    """
    text = tree.example(KEYSTONE_DROP_IN)
    substitutions = {}
    for option in dropped:
        line = next(line for line in text.splitlines()
                    if line.startswith(f"{option} ="))
        substitutions[f"{line}\n"] = ""
    if "tls_cafile" not in dropped:
        substitutions[CA_ON_NODES] = f"{workdir}/ca/ca.pem"
    if "tls_certfile" not in dropped:
        substitutions[CLIENT_TLS] = f"{workdir}/keystone/"
    base = workdir / name
    conf_dir = base / "keystone.conf.d"
    conf_dir.mkdir(parents=True)
    conf = base / "keystone.conf"
    conf.write_text(tree.example(KEYSTONE_CONF))
    (conf_dir / "keystone.conf").write_text(tree.rewrite(text,
                                                         substitutions))
    return conf, conf_dir


def run_client(lab, workdir, name: str, *, pause: bool = False) -> str:
    """Start client name in CLIENT_NODE's namespace; its daemon name."""
    conf, conf_dir = client_files(workdir, name, CLIENTS[name])
    args = {"conf": str(conf), "conf_dir": str(conf_dir), "keys": KEYS,
            "prefix": name}
    if pause:
        args.update(pause=str(workdir / f"{name}.paused"),
                    resume=str(workdir / f"{name}.resume"), wait=30,
                    cut={"pause": str(workdir / f"{name}.cut"),
                         "resume": str(workdir / f"{name}.healed"),
                         "update": str(workdir / f"{name}.update"),
                         "interval": 0.05, "settle": SETTLE_SECONDS})
    daemon = f"{name}-cache"
    lab.daemons.start(daemon, lab.exec_argv(CLIENT_NODE, [
        "env", "-i", "PATH=/usr/bin:/bin", "LANG=C.UTF-8",
        str(lab.venv / "bin" / "python"), str(CLIENT), json.dumps(args)]))
    return daemon


def client_result(lab, daemon: str) -> dict:
    """The JSON a client printed, once it has finished (bounded)."""
    proc.wait_for(lambda: not lab.daemons.running(daemon),
                  timeout=CLIENT_TIMEOUT, what=f"{daemon} to finish")
    lines = lab.daemons.log(daemon).strip().splitlines()
    printed = [line for line in lines if line.startswith("{")]
    assert printed, f"{daemon} printed no result: {lines[-20:]}"
    return json.loads(printed[-1])


def test_tls_memcached_keystone_cache(lab, workdir, measurements):
    """oslo.cache reaches every server over TLS; one server killed.

    Three memcached servers run the TLS variant's memcached.conf
    (derived per node): TLS on the listener, a client certificate of the
    run's CA required. keystone's cache client, on controller1 with the
    tree's keystone.conf and the variant's keystone.conf.d drop-in,
    probes each server, writes 300 keys and reads them back; then
    controller1's memcached, the first of memcache_servers, is SIGKILLed,
    and the client reads the keys, writes them again and reads them once
    more. Then controller2, the next server of the list, is cut off
    (frames dropped) for 10 s while the client reads a key every 50 ms;
    halfway through, it writes a new value for another key, which it
    then reads for 8 s after the cut. A client without the CA and one
    without a client certificate try the same.
    """
    result = measurements.scenario(
        "tls-memcached", title="TLS: oslo.cache to memcached",
        description=(
            "Three memcached servers from the TLS variant's memcached.conf; "
            "keystone's oslo.cache client with the tree's [cache] section "
            "and the variant's drop-in writes and reads 300 keys, one "
            "server is SIGKILLed, the keys are read and written again, "
            "then the next server is cut off while the client reads and "
            "rewrites a key, which it reads again after the cut; "
            "clients without the CA and without a certificate try too."),
        test="test_tls_memcached_keystone_cache")
    result.loads(VARIANT_CONF, KEYSTONE_DROP_IN)
    good = run_client(lab, workdir, "keystone", pause=True)
    paused = workdir / "keystone.paused"
    proc.wait_for(lambda: paused.exists() or not lab.daemons.running(good),
                  timeout=CLIENT_TIMEOUT, what="the client's first reads")
    assert paused.exists(), lab.daemons.log(good)[-2000:]
    killed = time.monotonic()
    lab.daemons.kill(f"{VICTIM}-memcached")
    (workdir / "keystone.resume").touch()
    reading = workdir / "keystone.cut"
    proc.wait_for(lambda: reading.exists() or not lab.daemons.running(good),
                  timeout=CLIENT_TIMEOUT, what="the client's reads after "
                  "the kill")
    with faults.Faults(lab) as injector:
        time.sleep(1)
        cut = time.monotonic()
        injector.cut(SILENT)
        time.sleep(CUT_SECONDS / 2)
        (workdir / "keystone.update").touch()
        time.sleep(CUT_SECONDS / 2)
    healed = time.monotonic()
    (workdir / "keystone.healed").touch()
    out = client_result(lab, good)
    timeline = result.timeline("cache reads over TLS (a miss counts as "
                               "failed)", bucket_s=0.05)
    timeline.start(out["reads"][0][0] if out["reads"] else killed)
    for at, hit in out["reads"]:
        timeline.record(hit, at)
    for at, hit, _seconds in out["during_cut"]["reads"]:
        timeline.record(bool(hit), at)
    timeline.event(f"{VICTIM}'s memcached killed", killed)
    timeline.event(f"{SILENT} cut off", cut)
    timeline.event(f"{SILENT} back", healed)
    # The backend of the tree, through python-binary-memcached's pool.
    assert out["backend"] == "oslo_cache.memcache_pool", out
    assert out["client"] == "BMemcacheClientPool", out
    answered = [s for s, p in out["probe"].items()
                if p["handshake_error"] is None and p["noop_status"] == 0]
    result.measure("servers that answered keystone's client over TLS",
                   len(answered), "of 3", bound=(">=", 3))
    result.measure("hits before the kill", out["before"]["hits"],
                   f"of {KEYS}", bound=("==", KEYS))
    # python-binary-memcached's client writes every key to every server.
    result.measure("keys held by each server, fewest",
                   min(out["items"].values()), f"of {KEYS}",
                   bound=("==", KEYS))
    after = out["after"]
    result.measure("exceptions reaching the caller after the kill",
                   after["errors"] + out["rewrite_errors"], "calls",
                   bound=("==", 0))
    result.measure("keys lost with the killed server", after["misses"],
                   f"of {KEYS}", bound=("==", 0))
    result.measure("slowest read after the kill", after["slowest"] * 1000,
                   "ms", bound=("<=", 2000))
    result.measure("hits after the keys are written again",
                   out["rewritten"]["hits"], f"of {KEYS}",
                   bound=("==", KEYS))
    # The tree's socket_timeout (1.0) and memcache_dead_retry do not
    # reach python-binary-memcached: its own timeout and retry delay
    # decide how long a read waits for a silent server, and how often.
    during = [r for r in out["during_cut"]["reads"]
              if cut <= r[0] <= healed]
    assert during, out["during_cut"]["reads"][-5:]
    result.measure(f"reads while {SILENT} is cut off", len(during),
                   "reads")
    result.measure(f"exceptions while {SILENT} is cut off",
                   sum(r[1] is None for r in during), "calls",
                   bound=("==", 0))
    result.measure(f"misses while {SILENT} is cut off",
                   sum(r[1] is False for r in during), "reads",
                   bound=("==", 0))
    result.measure(f"reads slower than {SLOW} s while {SILENT} is cut off",
                   sum(r[2] > SLOW for r in during), "reads")
    # Longer than the tree's socket_timeout = 1.0, which tls.rst says
    # does not apply with TLS: if oslo.cache ever passes it on, this
    # fails and the page has to change.
    slowest = result.measure(f"slowest read while {SILENT} is cut off",
                             max(r[2] for r in during), "s",
                             bound=(">=", 1.5), worse="higher")
    assert slowest <= CUT_SECONDS, during
    # The key rewritten while controller2 was silent: controller2 comes
    # back with the old value, nobody empties it, and it is the first
    # server of the list that answers.
    assert out["during_cut"]["read_back"] == "new", out["during_cut"]
    settled = out["during_cut"]["stale"]
    assert settled, out["during_cut"]
    result.measure(f"reads of a key rewritten during the cut that give "
                   f"the old value once {SILENT} is back",
                   sum(value == "old" for _at, value in settled), "reads",
                   bound=(">=", 1))
    for name, what in (("without-ca", "a client without the CA"),
                       ("without-cert",
                        "a client without a client certificate")):
        out = client_result(lab, run_client(lab, workdir, name))
        live = {s: p for s, p in out["probe"].items()
                if not s.startswith(tree.address(VICTIM))}
        refused = [s for s, p in live.items() if p["noop_status"] != 0]
        result.measure(f"servers that refused {what}", len(refused),
                       "of 2 running", bound=(">=", 2))
        if name == "without-ca":
            # The handshake itself fails: the servers' certificates do
            # not verify against the system's CAs.
            assert all("CERTIFICATE_VERIFY_FAILED" in (
                p["handshake_error"] or "") for p in live.values()), out
        # The library swallows the refusal: no exception, no cache.
        result.measure(f"hits for {what}", out["before"]["hits"],
                       f"of {KEYS}", bound=("==", 0))
        result.measure(f"exceptions raised to {what}",
                       out["before"]["errors"] + out["write_errors"],
                       "calls", bound=("==", 0))
