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

import time

import pytest

from harness import proc, results


@pytest.fixture(scope="session")
def measurements():
    """Figures of every scenario, written to build/functional at the end."""
    recorder = results.Results()
    started = time.time()
    yield recorder
    if recorder.scenarios:
        recorder.write(started, time.time())


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, request):
    """A scratch directory per scenario module (config, data, logs)."""
    path = tmp_path_factory.mktemp(request.module.__name__.split(".")[-1])
    # Daemons that drop privileges (haproxy, mariadbd, rabbitmq) must be
    # able to traverse into it; pytest makes its base directories 0700.
    base = tmp_path_factory.getbasetemp()
    for directory in (path, base, base.parent):
        directory.chmod(directory.stat().st_mode | 0o711)
    return path


@pytest.fixture(scope="module")
def daemons(workdir):
    """Processes the module starts; all are stopped when it ends."""
    owned = proc.Daemons(workdir)
    yield owned
    owned.stop_all()
