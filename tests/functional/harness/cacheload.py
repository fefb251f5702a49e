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
"""A keystone-like oslo.cache load run inside a lab namespace; prints JSON.

``python cacheload.py CONF PREFIX KEYS INTERVAL STOP_FILE MAX_SECONDS``,
run with the OpenStack venv's Python: oslo.cache reads the [cache]
section of CONF (the settings set under test) and every INTERVAL
seconds the client looks one of KEYS keys up, writing it on a miss, the
way keystone caches a token validation or a role assignment. Prints
{"settings": {option: value}, "outcomes": [[time, ok, seconds, hit],
...]}: the memcache options in effect (CONF's or oslo.cache's defaults)
and time.monotonic() values (one system-wide clock, shared with the
test process).
"""

from __future__ import annotations

import json
import pathlib
import sys
import time

from dogpile.cache.api import NO_VALUE
from oslo_cache import core as cache
from oslo_cache import exception as cache_exception
from oslo_config import cfg

# The options that decide what a dead or silent memcached costs.
SETTINGS = ("memcache_dead_retry", "socket_timeout", "memcache_pool_maxsize",
            "memcache_pool_unused_timeout",
            "memcache_pool_connection_get_timeout",
            "memcache_pool_flush_on_reconnect")


def main() -> None:
    conf_file, prefix = sys.argv[1], sys.argv[2]
    keys, interval = int(sys.argv[3]), float(sys.argv[4])
    stop = pathlib.Path(sys.argv[5])
    deadline = time.monotonic() + float(sys.argv[6])
    conf = cfg.ConfigOpts()
    cache.configure(conf)
    conf(args=[], default_config_files=[conf_file])
    region = cache.create_region()
    cache.configure_cache_region(conf, region)
    outcomes = []
    index = 0
    while time.monotonic() < deadline and not stop.exists():
        key = f"{prefix}-{index % keys}"
        index += 1
        started = time.monotonic()
        try:
            value = region.get(key)
            hit = value is not NO_VALUE
            if not hit:
                region.set(key, key)
            ok = True
        # What a cache failure can raise to keystone: socket errors, the
        # pool's timeout for a free connection, oslo.cache's own errors.
        except (OSError, cache_exception.QueueEmpty,
                cache_exception.ConfigurationError) as exc:
            print(f"{key}: {type(exc).__name__}: {exc}", file=sys.stderr)
            ok, hit = False, False
        ended = time.monotonic()
        outcomes.append([ended, ok, round(ended - started, 4), hit])
        time.sleep(interval)
    settings = {name: getattr(conf.cache, name) for name in SETTINGS}
    print(json.dumps({"settings": settings, "outcomes": outcomes}))


if __name__ == "__main__":
    main()
