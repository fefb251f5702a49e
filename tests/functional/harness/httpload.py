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
"""An HTTP client load run inside a lab namespace; prints JSON.

``python httpload.py URL INTERVAL TIMEOUT STOP_FILE MAX_SECONDS``: one
GET on a new connection every INTERVAL seconds until STOP_FILE exists or
MAX_SECONDS pass. Prints [[time, ok, answer], ...] with time.monotonic()
values, which the test process shares (one system-wide clock), so the
outcomes line up with the events the test records.
"""

from __future__ import annotations

import http.client
import json
import pathlib
import sys
import time
import urllib.parse


def get(url: urllib.parse.SplitResult, timeout: float) -> str:
    conn = http.client.HTTPConnection(url.hostname, url.port,
                                      timeout=timeout)
    try:
        conn.request("GET", url.path or "/")
        response = conn.getresponse()
        body = response.read().decode().strip()
    finally:
        conn.close()
    if response.status != 200:
        raise http.client.HTTPException(f"HTTP {response.status}")
    return body


def window(outcomes: list, start: float, end: float) -> tuple[int, float]:
    """Failed requests in [start, end) and the longest gap in successes."""
    inside = [o for o in outcomes if start <= o[0] < end]
    failed = sum(1 for o in inside if not o[1])
    times = [start] + [o[0] for o in inside if o[1]] + [end]
    gap = max(b - a for a, b in zip(times, times[1:], strict=False))
    return failed, gap


def chart(result, label: str, outcomes: list, start: float,
          events: dict[str, float]) -> None:
    """A timeline of a scenario result: outcomes from start, with events."""
    timeline = result.timeline(label)
    timeline.start(start)
    for at, ok, _answer in outcomes:
        timeline.record(ok, at)
    for name, at in events.items():
        timeline.event(name, at)


def main() -> None:
    url = urllib.parse.urlsplit(sys.argv[1])
    interval, timeout = float(sys.argv[2]), float(sys.argv[3])
    stop = pathlib.Path(sys.argv[4])
    deadline = time.monotonic() + float(sys.argv[5])
    outcomes = []
    while time.monotonic() < deadline and not stop.exists():
        now = time.monotonic()
        try:
            outcomes.append([now, True, get(url, timeout)])
        except (OSError, http.client.HTTPException) as exc:
            outcomes.append([now, False, type(exc).__name__])
        time.sleep(interval)
    print(json.dumps(outcomes))


if __name__ == "__main__":
    main()
