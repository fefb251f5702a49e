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
"""Benchmark confcheck's oslo checks against oslo-config-validator.

Prints, in one run: the load time of one service's option data, the
in-process check time of a complete nova.conf, the CLI over the whole
example tree, and the same nova.conf through the real oslo-config-validator
(fed the generator output that tools/genoptdata.py keeps in its workdir),
with the ratio. Times are medians over --runs runs after one warm-up.

Usage: ``PYTHONPATH=tools python tools/bench_confcheck.py [--workdir DIR]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

import confcheck
from confcheck.checks import oslo_conf
from confcheck.checks import oslo_data

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "doc", "examples")
# The guide's own nova.conf when it exists, else the unit-test sample.
NOVA_CONFS = (
    os.path.join(EXAMPLES, "controller", "etc", "nova", "nova.conf"),
    os.path.join(ROOT, "tests", "unit", "samples", "oslo", "good",
                 "nova.conf"),
)

OLD_GUIDE_NOVA = os.path.join(ROOT, "tests", "unit", "samples", "oslo",
                              "bad", "old-guide", "nova.conf")


def _run(argv: list[str], env: dict[str, str] | None = None,
         timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run a command as this user with this environment (unlike
    external.run, which sandboxes the tools confcheck calls)."""
    return subprocess.run(argv, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def median_time(func, runs: int) -> float:
    return median_and_first(func, runs)[0]


def median_and_first(func, runs: int) -> tuple[float, float]:
    """Median of runs timed runs, and the time of the warm-up run before
    them (imports and files not yet in the page cache)."""
    start = time.perf_counter()
    func()
    first = time.perf_counter() - start
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), first


def load_nova() -> None:
    oslo_data.schema.cache_clear()
    oslo_data.auth_schema.cache_clear()
    oslo_data.schema("nova.conf")


def example_files() -> list[str]:
    found = []
    for top, _dirs, names in os.walk(EXAMPLES):
        for name in names:
            path = os.path.join(top, name)
            if confcheck.infer_kind(path) is not None:
                found.append(path)
    return sorted(found)


def per_kind(files: list[str]) -> dict[str, float]:
    """Seconds each kind takes in-process over the tree (one pass)."""
    totals: dict[str, float] = {}
    for path in files:
        kind = confcheck.infer_kind(path)
        start = time.perf_counter()
        try:
            confcheck.check_file(path)
        except confcheck.InputError:
            pass  # the CLI reports it; only the time matters here
        totals[kind] = totals.get(kind, 0.0) + time.perf_counter() - start
    return totals


def validator_argv(workdir: str, nova_conf: str) -> list[str] | None:
    """oslo-config-validator on the raw generator output, if available."""
    raw = os.path.join(workdir, "raw", "nova.conf.json")
    tool = shutil.which("oslo-config-validator") or os.path.join(
        os.path.dirname(sys.executable), "oslo-config-validator")
    if not (os.path.exists(raw) and os.access(tool, os.X_OK)):
        return None
    return [tool, "--opt-data", raw, "--input-file", nova_conf]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir",
                        default=f"/tmp/genoptdata-{oslo_data.newest()}",
                        help="tools/genoptdata.py's workdir of the newest "
                             "series (raw data; default: %(default)s)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    nova_conf = next(p for p in NOVA_CONFS if os.path.exists(p))
    with open(nova_conf, encoding="utf-8") as fh:
        nova_text = fh.read()

    load = median_time(load_nova, args.runs * 4)
    inproc = median_time(lambda: oslo_conf.check(nova_text, nova_conf),
                         args.runs * 4)
    print(f"load nova.conf option data:   {load * 1000:8.1f} ms")
    print(f"check {os.path.relpath(nova_conf, ROOT)} in-process: "
          f"{inproc * 1000:8.1f} ms")

    files = example_files()
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "tools"))
    env.pop("CONFCHECK_EXTERNAL", None)
    cli = [sys.executable, "-m", "confcheck", "-q", *files]
    if files:
        tree, first = median_and_first(
            lambda: _run(cli, env=env, timeout=600), args.runs)
        # The CLI keeps no results between runs: every run replays the
        # pcs and crm files; the first also reads files from the disk.
        print(f"CLI over doc/examples ({len(files)} files): "
              f"{tree:8.2f} s (first run: {first:.2f} s; tool root: "
              f"{env.get('CONFCHECK_TOOL_ROOT') or 'none'})")
        serial = median_time(lambda: _run(
            [*cli[:4], "-j", "1", *cli[4:]], env=env, timeout=600),
            args.runs)
        print(f"  the same one file at a time:  {serial:8.2f} s "
              f"(concurrent / serial: {tree / serial:.2f})")
        builtin = median_time(lambda: _run(
            cli, env=dict(env, CONFCHECK_EXTERNAL="0"), timeout=600),
            args.runs)
        print(f"  built-in checks only:         {builtin:8.2f} s "
              f"(with tools / without: {tree / builtin:.2f})")
        for kind, seconds in sorted(per_kind(files).items()):
            print(f"  in-process, kind {kind:<12} {seconds:8.3f} s")
    else:
        print("CLI over doc/examples: no files with a known kind yet")
    single = median_time(lambda: _run(
        [sys.executable, "-m", "confcheck", "-q", nova_conf], env=env),
        args.runs)
    print(f"CLI on nova.conf alone:       {single * 1000:8.0f} ms")

    validator = validator_argv(args.workdir, nova_conf)
    if validator is None:
        print(f"oslo-config-validator: skipped (no {args.workdir}/raw; "
              f"run tools/genoptdata.py --workdir {args.workdir})")
        return 0
    result = _run(validator, timeout=600)
    real = median_time(lambda: _run(validator, timeout=600),
                       args.runs)
    print(f"oslo-config-validator on the same nova.conf: {real:8.2f} s "
          f"(exit {result.returncode})")
    print(f"ratio validator / confcheck CLI: {real / single:6.1f}x; "
          f"validator / in-process check: {real / inproc:6.0f}x")
    compare_findings(args.workdir)
    return 0


def compare_findings(workdir: str) -> None:
    """Findings of each tool on the old guide's stale nova.conf."""
    ours = confcheck.check_file(OLD_GUIDE_NOVA)
    result = _run(validator_argv(workdir, OLD_GUIDE_NOVA),
                          timeout=600)
    theirs = [line for line in result.stderr.splitlines()
              if line.startswith(("ERROR:", "WARNING:"))]
    print(f"old guide's nova.conf: confcheck {len(ours)} findings "
          f"(with line numbers), oslo-config-validator {len(theirs)} "
          f"(without)")


if __name__ == "__main__":
    sys.exit(main())
