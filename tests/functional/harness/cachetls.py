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
"""An oslo.cache client over TLS, run in a lab namespace; prints JSON.

``python cachetls.py ARGS_JSON`` with the OpenStack venv's Python. ARGS:
conf (keystone.conf), conf_dir (keystone.conf.d, read after it, as
keystone does), keys, and optionally pause and resume (file paths) and
wait (seconds). The client configures an oslo.cache region from the
files, then:

- probe: for each server, what the library's own connection does (the
  exception of the TLS handshake, if any, and the status of a NOOP:
  0 when the server answered);
- write keys, read them back ("before"), and the items each server holds;
- with pause: touch it, wait up to wait seconds for resume (the test
  breaks something meanwhile), read again ("after"), write the keys again
  and read them ("rewritten");
- with cut (pause, resume, update, interval, settle): touch cut's
  pause, then read one key after the other every interval seconds until
  cut's resume exists (the test silences a server meanwhile, and
  creates update for a key to be rewritten), at most wait seconds, then
  read that key for settle seconds ("during_cut": see loop()).

Each read phase gives hits, misses, errors (exceptions that reach the
caller) and the slowest read; "reads" lists every read as [time, hit],
in time.monotonic() (one clock for the whole system, shared with the
test process). Prints one JSON object.
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

# What a cache failure can raise to keystone: socket errors, the pool's
# timeout for a free connection, oslo.cache's own errors.
FAILURES = (OSError, cache_exception.QueueEmpty,
            cache_exception.ConfigurationError)


def read(region, keys: list[str], reads: list) -> dict:
    """Read every key; each read goes to reads as [time, hit]."""
    hits = misses = errors = 0
    slowest = 0.0
    for key in keys:
        started = time.monotonic()
        hit = False
        try:
            value = region.get(key)
            hit = value is not NO_VALUE
        except FAILURES as exc:
            print(f"{key}: {type(exc).__name__}: {exc}", file=sys.stderr)
            errors += 1
            continue
        finally:
            ended = time.monotonic()
            slowest = max(slowest, ended - started)
            reads.append([ended, hit])
        if hit:
            hits += 1
        else:
            misses += 1
    return {"hits": hits, "misses": misses, "errors": errors,
            "slowest": round(slowest, 4)}


def loop(region, keys: list[str], cut: dict, wait: float) -> dict:
    """Read keys in turn every interval until cut's resume file exists.

    Before, STALE is set to "old"; once cut's update file exists, it is
    set to "new" (once: the test creates the file while a server is cut
    off). After resume, STALE is read every interval for cut's settle
    seconds, to see which value the returning server gives back.
    """
    stale = f"{keys[0]}-stale"
    region.set(stale, "old")
    pathlib.Path(cut["pause"]).touch()
    resume = pathlib.Path(cut["resume"])
    update = pathlib.Path(cut["update"])
    deadline = time.monotonic() + wait
    found = {"reads": [], "updated": None, "stale": []}
    index = 0
    while not resume.exists() and time.monotonic() < deadline:
        if found["updated"] is None and update.exists():
            region.set(stale, "new")
            found["updated"] = time.monotonic()
            value = region.get(stale)
            found["read_back"] = None if value is NO_VALUE else value
        started = time.monotonic()
        hit = False
        try:
            hit = region.get(keys[index % len(keys)]) is not NO_VALUE
        except FAILURES as exc:
            print(f"cut: {type(exc).__name__}: {exc}", file=sys.stderr)
            hit = None
        ended = time.monotonic()
        found["reads"].append([ended, hit, round(ended - started, 4)])
        index += 1
        time.sleep(float(cut["interval"]))
    settle = time.monotonic() + float(cut["settle"])
    while time.monotonic() < settle:
        value = region.get(stale)
        found["stale"].append([time.monotonic(),
                               None if value is NO_VALUE else value])
        time.sleep(float(cut["interval"]))
    return found


def write(region, keys: list[str]) -> int:
    errors = 0
    for key in keys:
        try:
            region.set(key, key)
        except FAILURES as exc:
            print(f"{key}: {type(exc).__name__}: {exc}", file=sys.stderr)
            errors += 1
    return errors


def probe(region) -> dict:
    """The library's own connection to each server, opened by hand.

    python-binary-memcached turns every connection error into a miss, so
    a refused handshake never reaches the caller; opening the connection
    of each server object (a private method, the one its commands use)
    shows the error that its commands swallow.
    """
    found = {}
    with region.backend.client_pool.acquire() as client:
        for server in client.servers:
            error = None
            try:
                server._open_connection()
            except OSError as exc:
                error = f"{type(exc).__name__}: {exc}"
            found[server.server] = {"handshake_error": error,
                                    "noop_status": server.noop()}
            server.disconnect()
    return found


def items(region) -> dict:
    """curr_items of each server, as the client's stats command sees."""
    with region.backend.client_pool.acquire() as client:
        return {server: int(stats.get("curr_items", -1)) if stats else None
                for server, stats in client.stats().items()}


def main() -> None:
    args = json.loads(sys.argv[1])
    conf = cfg.ConfigOpts()
    cache.configure(conf)
    conf(args=[], project="keystone", default_config_files=[args["conf"]],
         default_config_dirs=[args["conf_dir"]])
    region = cache.create_region()
    cache.configure_cache_region(conf, region)
    keys = [f"{args.get('prefix', 'key')}-{i}" for i in range(args["keys"])]
    out = {"backend": conf.cache.backend,
           "client": type(region.backend.client_pool).__name__,
           "probe": probe(region)}
    out["write_errors"] = write(region, keys)
    reads: list = []
    out["before"] = read(region, keys, reads)
    out["items"] = items(region)
    if args.get("pause"):
        pathlib.Path(args["pause"]).touch()
        resume = pathlib.Path(args["resume"])
        deadline = time.monotonic() + float(args.get("wait", 30))
        while not resume.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        out["resumed"] = resume.exists()
        out["after"] = read(region, keys, reads)
        out["rewrite_errors"] = write(region, keys)
        out["rewritten"] = read(region, keys, reads)
    if args.get("cut"):
        out["during_cut"] = loop(region, keys, args["cut"],
                                 float(args.get("wait", 30)))
    out["reads"] = reads
    print(json.dumps(out))


if __name__ == "__main__":
    main()
