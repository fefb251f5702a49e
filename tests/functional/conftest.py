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
"""Fixtures shared by the functional scenarios (real daemons)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from harness import proc, results

# Set to 1 to keep each module's scratch directory (logs) for debugging.
KEEP_ENV = "HAGUIDE_KEEP_WORKDIR"


# The pytest option tools/haguide_results.py collect passes: run K of N.
RUN_OPTION = "--haguide-run"
# A module whose scenario is slow sets RUNS = n: runs after the n-th
# leave it out, so `tox -e functional-results` repeats it fewer times.
MODULE_RUNS = "RUNS"


def pytest_addoption(parser):
    parser.addoption(
        RUN_OPTION, type=int, default=0, metavar="K",
        help="record as run K of several (build/functional/runs/K.json) "
             "and leave out modules whose RUNS is lower than K")


def run_index(config) -> int:
    return config.getoption(RUN_OPTION)


def pytest_collection_modifyitems(config, items):
    index = run_index(config)
    if index <= 1:
        return
    kept, dropped = [], []
    for item in items:
        runs = getattr(item.module, MODULE_RUNS, None)
        (dropped if runs is not None and runs < index else kept).append(
            item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


# Node ids of the tests that failed in this session: a run with failures
# is recorded as such, and tools/haguide_results.py refuses to publish it.
FAILED: list[str] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        FAILED.append(item.nodeid)
    return report


@pytest.fixture(scope="session")
def measurements(pytestconfig):
    """Figures of every scenario, written to build/functional at the end.

    A plain session writes latest.json; run K of a repeated measurement
    (--haguide-run K) writes runs/K.json, which
    ``tools/haguide_results.py collect`` merges into latest.json.
    """
    index = run_index(pytestconfig)
    recorder = results.Results(run=max(index, 1))
    started = time.time()
    yield recorder
    path = (results.RUN_DIR / "runs" / f"{index}.json" if index
            else results.RESULTS)
    if recorder.scenarios or index:
        recorder.write(started, time.time(), failed=FAILED, path=path)


@pytest.fixture(scope="module")
def workdir(request):
    """A scratch directory per scenario module (config, data, logs).

    Not pytest's tmp_path: concurrent pytest sessions reset its base to
    mode 0700 and prune old runs, while daemons that drop privileges
    (mariadbd, its SST scripts, haproxy) must traverse into this one for
    the whole module. Removed afterwards unless HAGUIDE_KEEP_WORKDIR=1.
    """
    name = request.module.__name__.split(".")[-1]
    path = Path(tempfile.mkdtemp(prefix=f"haguide-{name}-"))
    path.chmod(0o755)
    yield path
    if os.environ.get(KEEP_ENV) != "1":
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def daemons(workdir):
    """Processes the module starts; all are stopped when it ends."""
    owned = proc.Daemons(workdir)
    yield owned
    owned.stop_all()
