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
"""A tooz client as a service runs it: one lock, taken through etcd.

Run in a node's network namespace by harness.etcd, with one JSON
argument: url (the service's [coordination] backend_url), lock, mode and
limit (seconds the client may run at most). It starts its coordinator
with the heartbeat thread on, as cinder and masakari do, and prints one
JSON line per event, times from time.monotonic() (the same clock as the
test's):

- loop: acquire (waiting at most "wait" s) and release the lock again
  and again; {"t": start, "end": end, "ok": bool, "step": "acquire" or
  "release", "error": ..., "release_retries": n} per round.
- hold: acquire, print {"held": t}, then keep it until killed.
- wait: acquire, print {"acquired": t} and exit.
"""

from __future__ import annotations

import json
import sys
import time
import uuid

import tenacity
from tooz import coordination

import tooz

# A blocking acquire that runs out of time: tooz's etcd3gw driver lets
# tenacity's RetryError out instead of returning False.
ACQUIRE_ERRORS = (tooz.ToozError, tenacity.RetryError)


def emit(**fields) -> None:
    print(json.dumps(fields), flush=True)


def release(lock, until: float) -> int:
    """Release lock, retrying until it is released; return the retries.

    tooz's heartbeat refreshes the lease of every lock whose release has
    not succeeded (the driver keeps it in its acquired set), so a release
    lost while etcd elects a leader would keep the lock held for as long
    as the process lives. The retry is bounded by until; the last error
    is raised after it.
    """
    retries = 0
    while True:
        try:
            lock.release()
            return retries
        except tooz.ToozError:
            if time.monotonic() >= until:
                raise
            retries += 1
            time.sleep(0.2)


def main() -> int:
    args = json.loads(sys.argv[1])
    deadline = time.monotonic() + args["limit"]
    member = f"haguide-{uuid.uuid4().hex[:8]}".encode()
    coordinator = coordination.get_coordinator(args["url"], member)
    coordinator.start(start_heart=True)
    lock = coordinator.get_lock(args["lock"].encode())
    mode = args["mode"]
    if mode == "hold":
        assert lock.acquire(blocking=args["limit"]), "lock not acquired"
        emit(held=time.monotonic())
        while time.monotonic() < deadline:
            time.sleep(0.2)
        return 0
    if mode == "wait":
        acquired = lock.acquire(blocking=args["limit"])
        emit(acquired=time.monotonic() if acquired else None)
        return 0 if acquired else 1
    while time.monotonic() < deadline:
        started = time.monotonic()
        step = "acquire"
        try:
            if not lock.acquire(blocking=args["wait"]):
                raise coordination.LockAcquireFailed("not acquired in time")
            step = "release"
            retries = release(lock, time.monotonic() + args["wait"])
        except ACQUIRE_ERRORS as exc:
            emit(t=started, ok=False, end=time.monotonic(), step=step,
                 error=repr(exc)[:200])
            time.sleep(args["interval"])
            continue
        emit(t=started, ok=True, end=time.monotonic(),
             release_retries=retries)
        time.sleep(args["interval"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
