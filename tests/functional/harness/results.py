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
"""Measured figures, timelines and the bounds asserted on them, per run."""

from __future__ import annotations

import datetime
import itertools
import json
import operator
import os
import platform
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from harness import labroot
from harness.tree import REPO

RUN_DIR = REPO / "build" / "functional"
RESULTS = RUN_DIR / "latest.json"
# Debian packages whose versions a run records (dpkg-query).
PACKAGES = (
    "haproxy", "keepalived", "memcached", "mariadb-server", "galera-4",
    "mariadb-backup", "rabbitmq-server", "erlang-base", "corosync",
    "pacemaker", "pcs", "crmsh", "resource-agents", "xinetd", "socat",
    "etcd-server", "ovn-central", "openvswitch-common",
    "galera-arbitrator-4", "corosync-qdevice", "corosync-qnetd",
)
COMPARISONS = {"<=": operator.le, ">=": operator.ge, "==": operator.eq}
# Which way a figure gets worse, from the comparison of its bound.
WORSE = {"<=": "higher", ">=": "lower", "==": "further"}
# Width of a timeline bucket: fine enough to see a 1 s gap.
BUCKET_S = 0.5


def package_versions() -> dict[str, str]:
    """Versions of PACKAGES in the lab root the daemons ran from.

    Without a root (a skipped run) the host's dpkg is asked, so a
    partial run still says what it used.
    """
    versions = labroot.package_versions(PACKAGES)
    if versions:
        return versions
    for name in PACKAGES:
        proc = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", name],
            capture_output=True, text=True, timeout=30, check=False)
        if proc.returncode == 0 and proc.stdout:
            versions[name] = proc.stdout
    return versions


class Results:
    """Collects figures per scenario; the session writes them at the end."""

    def __init__(self, run: int = 1):
        self.run = run
        self.scenarios: dict[str, dict] = {}
        self.comparison: list[dict] = []

    def scenario(self, key: str, *, title: str, description: str,
                 test: str) -> Scenario:
        entry = self.scenarios.setdefault(key, {
            "title": title, "description": description,
            "command": f"tox -e functional -- -k {test}",
            "figures": []})
        return Scenario(entry)

    def compare(self, scenario: str, metric: str, unit: str,
                values: dict[str, float], *, key: str | None = None,
                settings: dict[str, str] | None = None) -> None:
        """One row of the side-by-side table: a figure per settings set.

        values maps a settings name ("guide", "kolla-ansible",
        "openstack-ansible") to what the scenario measured with it. key
        names the results scenario the row belongs to (what ``merge
        --scenario`` selects); settings maps each settings name to the
        values compared and where they come from.
        """
        row = {"scenario": scenario, "metric": metric, "unit": unit,
               "values": {k: _round(v) for k, v in values.items()}}
        if key is not None:
            row["key"] = key
        if settings is not None:
            row["settings"] = dict(settings)
        self.comparison.append(row)

    def as_dict(self, started: float, finished: float, *,
                failed: list[str]) -> dict:
        scenarios = {}
        for key, entry in self.scenarios.items():
            scenarios[key] = {k: v for k, v in entry.items()
                              if k != "timelines"}
            if entry.get("timelines"):
                scenarios[key]["timelines"] = [
                    t.as_dict() for t in entry["timelines"]]
        data = {
            "date": datetime.datetime.fromtimestamp(
                started, datetime.timezone.utc).strftime(
                    "%Y-%m-%d %H:%M UTC"),
            "machine": {"cores": os.cpu_count(),
                        "kernel": platform.release(),
                        "lab_root": _lab_root()},
            "duration_s": round(finished - started, 1),
            "versions": package_versions(),
            "runs": 1,
            "run": self.run,
            "scenarios": scenarios,
            "failed_tests": sorted(failed),
        }
        if self.comparison:
            data["comparison"] = self.comparison
        return data

    def write(self, started: float, finished: float, *,
              failed: list[str], path: Path = RESULTS) -> Path:
        data = self.as_dict(started, finished, failed=failed)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        return path


def _lab_root() -> str:
    """What the daemons ran from, e.g. "Debian 13.2" (the lab root)."""
    version = labroot.debian_version()
    return f"Debian {version}" if version else "host"


def _round(value):
    return round(value, 1) if isinstance(value, float) else value


class Scenario:
    """One scenario's figures: each is recorded, then checked."""

    def __init__(self, entry: dict):
        self.entry = entry

    def measure(self, what: str, value: float, unit: str, *,
                bound: tuple[str, float] | None = None,
                worse: str | None = None) -> float:
        """Record value (rounded) and assert it against bound, if any.

        Recording first means a failed bound still shows up in the file.
        worse ("higher", "lower") says which way the figure degrades when
        several runs are aggregated; by default it follows the bound, and
        a figure without a bound is worse when higher (a time, a count
        of errors).
        """
        value = _round(value)
        figure = {"what": what, "value": value, "unit": unit}
        if bound is not None:
            figure["bound"] = f"{bound[0]} {bound[1]:g}"
        if worse is not None:
            figure["worse"] = worse
        self.entry["figures"].append(figure)
        if bound is not None:
            assert COMPARISONS[bound[0]](value, bound[1]), (
                f"{what}: {value} {unit}, expected {bound[0]} {bound[1]:g}")
        return value

    def loads(self, *relpaths: str) -> None:
        """Record that the scenario's components load these tree files.

        The example-tree appendix marks them as run by the functional
        tests (tree-files-run in tools/haguide_results.py).
        """
        files = self.entry.setdefault("files", [])
        files.extend(p for p in relpaths if p not in files)
        files.sort()

    def without_timeline(self, reason: str) -> None:
        """Say why the scenario has no timeline; the chapter prints it.

        Only for a scenario where nothing happens over time that a chart
        could show (a simulation, a check of handshakes); the reader
        tests want every other scenario charted.
        """
        self.entry["no_timeline"] = reason

    def timeline(self, label: str, bucket_s: float = BUCKET_S) -> Timeline:
        """A new timeline of this scenario; call start() with the load."""
        line = Timeline(label, bucket_s)
        self.entry.setdefault("timelines", []).append(line)
        return line


class Timeline:
    """Outcomes of a load over time, and the events that hit it.

    Times are time.monotonic() values; the file holds seconds from
    start(), outcomes counted per bucket of bucket_s seconds. A load
    thread calls record() while the test thread calls event(): both only
    append to lists, which CPython does atomically.
    """

    def __init__(self, label: str, bucket_s: float = BUCKET_S):
        self.label = label
        self.bucket_s = bucket_s
        self.started: float | None = None
        self.outcomes: list[tuple[float, bool]] = []
        self.events: list[tuple[float, str]] = []

    def start(self, at: float | None = None) -> None:
        self.started = time.monotonic() if at is None else at

    def record(self, ok: bool, at: float | None = None) -> None:
        self.outcomes.append((time.monotonic() if at is None else at, ok))

    def event(self, label: str, at: float | None = None) -> float:
        """Mark label at time at (now by default); returns that time."""
        at = time.monotonic() if at is None else at
        self.events.append((at, label))
        return at

    def as_dict(self) -> dict:
        start = self.started
        if start is None:
            start = min([t for t, _ in self.outcomes] or [0.0])
        last = max([t for t, _ in self.outcomes] +
                   [t for t, _ in self.events] + [start])
        count = int((last - start) // self.bucket_s) + 1
        ok, failed = [0] * count, [0] * count
        for at, success in self.outcomes:
            if at < start:
                continue
            index = int((at - start) // self.bucket_s)
            (ok if success else failed)[index] += 1
        return {
            "label": self.label, "bucket_s": self.bucket_s,
            "ok": ok, "failed": failed,
            "events": [{"t": round(at - start, 2), "label": label}
                       for at, label in sorted(self.events)],
        }


class Load(threading.Thread):
    """Calls operation every interval s, recording each outcome.

    operation returns normally for a success and raises one of errors
    for a failure; the outcome lands on timeline and in ok/failed
    (time, detail). Bounded: stop() ends it, and it ends by itself after
    limit seconds.
    """

    def __init__(self, operation: Callable[[], object], timeline: Timeline,
                 *, interval: float, errors: tuple[type[BaseException], ...],
                 limit: float = 300.0):
        super().__init__(daemon=True)
        self.operation = operation
        self.timeline = timeline
        self.interval = interval
        self.errors = errors
        self.limit = limit
        self.stopping = threading.Event()
        self.ok: list[tuple[float, object]] = []
        self.failed: list[tuple[float, str]] = []

    def run(self) -> None:
        deadline = time.monotonic() + self.limit
        while not self.stopping.is_set() and time.monotonic() < deadline:
            now = time.monotonic()
            try:
                answer = self.operation()
            except self.errors as exc:
                self.failed.append((now, repr(exc)))
                self.timeline.record(False, now)
            else:
                self.ok.append((now, answer))
                self.timeline.record(True, now)
            self.stopping.wait(self.interval)

    def __enter__(self) -> Load:
        self.timeline.start()
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        self.join(timeout)

    def longest_gap(self, since: float) -> float:
        """Longest time without a success from since until the last one."""
        times = [since] + [t for t, _ in self.ok if t >= since]
        return max((b - a for a, b in itertools.pairwise(times)),
                   default=0.0)

    def failed_since(self, since: float) -> int:
        return sum(1 for t, _ in self.failed if t >= since)
