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
"""Measured figures and the bounds asserted on them, written per run."""

from __future__ import annotations

import datetime
import json
import operator
import os
import platform
import subprocess
from pathlib import Path

from harness.tree import REPO

RESULTS = REPO / "build" / "functional" / "latest.json"
# Debian packages whose versions a run records (dpkg-query).
PACKAGES = (
    "haproxy", "keepalived", "memcached", "mariadb-server", "galera-4",
    "mariadb-backup", "rabbitmq-server", "erlang-base", "corosync",
    "pacemaker", "pcs", "crmsh", "resource-agents", "xinetd", "socat",
)
COMPARISONS = {"<=": operator.le, ">=": operator.ge, "==": operator.eq}


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        proc = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", name],
            capture_output=True, text=True, timeout=30, check=False)
        if proc.returncode == 0 and proc.stdout:
            versions[name] = proc.stdout
    return versions


class Results:
    """Collects figures per scenario; the session writes them at the end."""

    def __init__(self):
        self.scenarios: dict[str, dict] = {}

    def scenario(self, key: str, *, title: str, description: str,
                 test: str) -> Scenario:
        entry = self.scenarios.setdefault(key, {
            "title": title, "description": description,
            "command": f"tox -e functional -- -k {test}",
            "figures": []})
        return Scenario(entry)

    def write(self, started: float, finished: float, *,
              failed: list[str], path: Path = RESULTS) -> Path:
        data = {
            "date": datetime.datetime.fromtimestamp(
                started, datetime.timezone.utc).strftime(
                    "%Y-%m-%d %H:%M UTC"),
            "machine": {"cores": os.cpu_count(),
                        "kernel": platform.release()},
            "duration_s": round(finished - started, 1),
            "versions": package_versions(),
            "scenarios": self.scenarios,
            "failed_tests": sorted(failed),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        return path


class Scenario:
    """One scenario's figures: each is recorded, then checked."""

    def __init__(self, entry: dict):
        self.entry = entry

    def measure(self, what: str, value: float, unit: str, *,
                bound: tuple[str, float] | None = None) -> float:
        """Record value (rounded) and assert it against bound, if any.

        Recording first means a failed bound still shows up in the file.
        """
        value = round(value, 1) if isinstance(value, float) else value
        figure = {"what": what, "value": value, "unit": unit}
        if bound is not None:
            figure["bound"] = f"{bound[0]} {bound[1]:g}"
        self.entry["figures"].append(figure)
        if bound is not None:
            assert COMPARISONS[bound[0]](value, bound[1]), (
                f"{what}: {value} {unit}, expected {bound[0]} {bound[1]:g}")
        return value
