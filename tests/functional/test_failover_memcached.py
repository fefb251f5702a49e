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
"""memcached: one of three servers dies under oslo.cache."""

from __future__ import annotations

import time

import pytest

from harness import labroot, memcached, requirements, tree

pytestmark = pytest.mark.functional

SERVICE_CONF = "controller/etc/keystone/keystone.conf"
KEYS = 300


@pytest.fixture(scope="module")
def region(workdir, daemons):
    """An oslo.cache region configured by the tree's [cache] section."""
    requirements.require(root_binaries=("memcached",),
                         binaries=("unshare", "nsenter"),
                         modules=("oslo_cache", "memcache"))
    from oslo_config import cfg

    import oslo_cache
    host = labroot.Host(workdir, daemons)
    host.start()
    memcached.start(daemons, workdir, host)
    conf_path = workdir / "service.conf"
    conf_path.write_text(tree.rewrite(tree.example(SERVICE_CONF),
                                      to_loopback=True))
    conf = cfg.ConfigOpts()
    oslo_cache.configure(conf)
    conf([], project="haguide", default_config_files=[str(conf_path)])
    servers = [s.rsplit(":", 1) for s in conf.cache.memcache_servers]
    assert len(servers) == len(tree.CONTROLLERS), servers
    for address, port in servers:
        memcached.wait_ready(address, int(port))
    cache = oslo_cache.create_region()
    oslo_cache.configure_cache_region(conf, cache)
    return cache


def _read_all(cache, keys, timeline):
    """Read every key; count hits, misses and exceptions, time the worst.

    Each read lands on timeline: a hit as answered, a miss or an
    exception as failed (the caller has to go to the database).
    """
    from dogpile.cache.api import NO_VALUE
    hits = misses = errors = 0
    slowest = 0.0
    for key in keys:
        started = time.monotonic()
        try:
            value = cache.get(key)
        except OSError:
            errors += 1
            timeline.record(False)
            continue
        finally:
            slowest = max(slowest, time.monotonic() - started)
        timeline.record(value is not NO_VALUE)
        if value is NO_VALUE:
            misses += 1
        else:
            hits += 1
    return hits, misses, errors, slowest


def test_memcached_server_killed(region, daemons, measurements):
    """SIGKILL one memcached: its keys become misses, nothing raises.

    The tree's keystone.conf [cache] section (oslo_cache.memcache_pool,
    all three servers) is loaded with oslo.config; 300 keys are written
    over the three servers, controller2's memcached is SIGKILLed and every
    key is read back. The caller must see misses, never an exception, and
    after rewriting the keys (they hash to the remaining servers) every
    read must hit again. OSError is the only exception counted because
    any other one fails the test outright.
    """
    result = measurements.scenario(
        "memcached", title="memcached: one of three servers killed",
        description=(
            "oslo.cache configured from keystone.conf's [cache] section "
            "writes 300 keys to three memcached servers started from "
            "memcached.conf; one server is SIGKILLed and every key is "
            "read and written again."),
        test="test_memcached_server_killed")
    keys = [f"key-{i}" for i in range(KEYS)]
    timeline = result.timeline("cache reads (a miss counts as failed)",
                               bucket_s=0.05)
    timeline.start()
    for key in keys:
        region.set(key, key)
    timeline.event("keys written")
    assert _read_all(region, keys, timeline)[:3] == (KEYS, 0, 0)
    timeline.event("kill")
    daemons.kill("controller2")
    hits, misses, errors, slowest = _read_all(region, keys, timeline)
    result.measure("exceptions reaching the caller after the kill", errors,
                   "calls", bound=("==", 0))
    result.measure("keys lost with the killed server", misses, "of 300",
                   bound=("<=", KEYS // 2))
    assert misses > 0, "no key was on the killed server"
    result.measure("slowest read after the kill", slowest, "s",
                   bound=("<=", 2.0))
    timeline.event("rewrite")
    for key in keys:
        region.set(key, key)
    hits, misses, errors, _ = _read_all(region, keys, timeline)
    result.measure("hits after the keys are written again", hits, "of 300",
                   bound=("==", KEYS))
