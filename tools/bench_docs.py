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
"""Time the guide's HTML build: cost of validation, rebuilds, -j 2.

Run from the repository (openstackdocstheme needs the git checkout):

    python tools/bench_docs.py [--repeat N] [--cold-repeat N]
                               [--example RELPATH]...

Each figure is the median of N runs of sphinx-build in a subprocess, with
build and doctree directories of its own under a temporary directory;
the runs alternate (one of each figure per round).
Ratios, with the target each should meet:

  validation   full build, checks on (warm cache) / checks off   <= 1.05
  cold         first build, checks on / first build, checks off  <= 1.5
  first build  first build, checks on / full build, checks on    (shown)
  touch        rebuild after touching one example / full build   <= 0.4
               (one row per --example; the defaults are the most
               included file and a typical one)
  no change    rebuild without changes / full build              <= 0.4
  parallel     full build with -j 2 / serial full build          (shown)

"Full" is -E with the doctree and output directories kept: the
validation cache lives in the doctree directory (as in tox, which also
keeps it), so -E re-reads every page but does not re-run a checker on
unchanged content. A "first" build starts from empty directories, as on
a fresh machine (docs.openstack.org, every CI job): with the checks on
it runs every checker, and with or without them it draws every chart
(the charts are kept in the output directory). "cold" compares two first
builds, so that it measures what the checks cost a cold build; "first
build" shows what a cold build costs over a warm one, checks and charts
together. Touching sets the mtime to now.

The cache key includes the checker files, so an edit of a checker while
the benchmark runs makes later builds cold: for stable figures run it in
a clone (git clone . /tmp/guide && python /tmp/guide/tools/bench_docs.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(REPO, "doc", "source")
EXAMPLES = os.path.join(REPO, "doc", "examples")
DEFAULT_EXAMPLES = ("controller/etc/haproxy/haproxy.cfg",
                    "controller/etc/keepalived/keepalived.conf")
# Ratio each figure must stay under (None: shown for information).
TARGET_VALIDATION, TARGET_REBUILD, TARGET_COLD = 1.05, 0.4, 1.5


def build(workdir: str, *extra: str) -> float:
    """Seconds of one html build into workdir; fails loudly on error."""
    argv = [sys.executable, "-m", "sphinx", "-b", "html", "-q",
            "-d", os.path.join(workdir, "doctrees"), *extra,
            SOURCE, os.path.join(workdir, "html")]
    start = time.perf_counter()
    result = subprocess.run(argv, cwd=REPO, capture_output=True, text=True,
                            check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"sphinx-build failed ({result.returncode}):\n"
                 f"{result.stderr[-2000:]}")
    return elapsed


def touch(relpath: str) -> None:
    # Now, not in the future: Sphinx re-reads a page when a dependency is
    # newer than the time it read the page, so a future mtime also made
    # the pages read in that second stale for the next build, and one
    # file's figure carried the previous file's pages.
    os.utime(os.path.join(EXAMPLES, relpath))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs per figure (median); default 5")
    parser.add_argument("--cold-repeat", type=int, default=3,
                        help="first builds per figure, with and without "
                             "the checks (median); default 3")
    parser.add_argument("--example", action="append",
                        help="example file to touch (relative to "
                             "doc/examples); repeatable")
    args = parser.parse_args(argv)
    examples = args.example or list(DEFAULT_EXAMPLES)
    off = ("-D", "confcheck_validate=0")
    # Every figure is taken once per round, round after round, so that
    # load from other processes on the machine drifts into all of them
    # alike; a ratio of medians taken minutes apart measured the load as
    # much as the build.
    runs: dict[str, list[float]] = {}

    def record(name: str, seconds: float) -> None:
        runs.setdefault(name, []).append(seconds)

    with tempfile.TemporaryDirectory(prefix="bench-docs-") as tmp:
        for index in range(args.cold_repeat):
            # Fresh directories for each: nothing cached, nothing drawn.
            record("cold on", build(os.path.join(tmp, f"cold-on-{index}"),
                                    "-E"))
            record("cold off", build(os.path.join(tmp, f"cold-off-{index}"),
                                     "-E", *off))
        on_dir, off_dir, j2_dir = (os.path.join(tmp, name)
                                   for name in ("on", "off", "j2"))
        # The full builds start where the first builds ended.
        shutil.copytree(os.path.join(tmp, "cold-on-0"), on_dir)
        shutil.copytree(os.path.join(tmp, "cold-on-0"), j2_dir)
        shutil.copytree(os.path.join(tmp, "cold-off-0"), off_dir)
        for _ in range(args.repeat):
            record("on", build(on_dir, "-E"))
            record("off", build(off_dir, "-E", *off))
            record("no change", build(on_dir))
            for example in examples:
                touch(example)
                record(example, build(on_dir))
            record("parallel", build(j2_dir, "-E", "-j", "2"))
    full_on, full_off, no_change, parallel, cold_on, cold_off = (
        statistics.median(runs[name])
        for name in ("on", "off", "no change", "parallel", "cold on",
                     "cold off"))
    touch_times = {example: statistics.median(runs[example])
                   for example in examples}
    rows = [("validation", full_on, full_off, TARGET_VALIDATION),
            ("cold", cold_on, cold_off, TARGET_COLD),
            ("first build", cold_on, full_on, None)]
    rows += [(f"touch {os.path.basename(example)}", value, full_on,
              TARGET_REBUILD) for example, value in touch_times.items()]
    rows += [("no change", no_change, full_on, TARGET_REBUILD),
             ("parallel", parallel, full_on, None)]
    print(f"{'figure':<22}{'time s':>9}{'base s':>9}{'ratio':>8}  target")
    for name, value, base, target in rows:
        verdict = ""
        if target:
            met = "ok" if value / base <= target else "MISSED"
            verdict = f"<= {target} {met}"
        print(f"{name:<22}{value:>9.2f}{base:>9.2f}{value / base:>8.2f}  "
              f"{verdict}")
    print(f"(median of {args.repeat} runs, first builds of "
          f"{args.cold_repeat}; {os.cpu_count()} CPUs; load average "
          f"{', '.join(f'{n:.2f}' for n in os.getloadavg())} at the end)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
