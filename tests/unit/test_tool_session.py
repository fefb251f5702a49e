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
"""The pcs/crm session: several commands at once, each answer to its caller."""

from __future__ import annotations

import concurrent.futures
import os
import subprocess
import sys
import textwrap

import pytest

from confcheck import external
from confcheck.checks import _pacemaker

# A stand-in for pcs run by the real session driver: "wait NAME" waits
# (at most 20 s) until NAME exists in its directory, "make NAME" creates
# it; both print what they did.
FAKE_TOOL = textwrap.dedent("""\
    import os, sys, time
    sys.path.insert(0, {driver_dir!r})
    import _tool_session

    def run(argv):
        verb, name = argv
        if verb == "make":
            open(name, "w").close()
        for _ in range(200):
            if os.path.exists(name):
                print(verb, name)
                return
            time.sleep(0.1)
        sys.exit(3)

    _tool_session.TOOLS["fake"] = lambda: run
    sys.argv[1:] = ["fake"]
    _tool_session.main()
    """)

# A session process that answers three requests in the reverse order.
REVERSED = textwrap.dedent("""\
    import json, sys
    requests = [json.loads(sys.stdin.readline()) for _ in range(3)]
    for request in reversed(requests):
        print(json.dumps([request["id"], 0, " ".join(request["argv"]),
                          ""]), flush=True)
    """)


@pytest.fixture
def no_root(monkeypatch):
    monkeypatch.delenv(external.TOOL_ROOT_VARIABLE, raising=False)


def session(tmp_path, script: str) -> external.Session:
    path = tmp_path / "session.py"
    path.write_text(script)
    proc = subprocess.Popen([sys.executable, str(path)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    return external.Session(proc, {}, "fake", None)


def test_commands_of_a_session_run_at_once(tmp_path, no_root,
                                           monkeypatch):
    """The first command waits for a file only the second creates: run
    one after the other, the first would never end."""
    monkeypatch.setattr(external, "session_limit", lambda: 2)
    driver = os.path.dirname(_pacemaker.SESSION_DRIVER)
    fake = session(tmp_path, FAKE_TOOL.format(driver_dir=driver))
    dirs = [tmp_path / "a", tmp_path / "b"]
    for d in dirs:
        d.mkdir()
    shared = tmp_path / "shared"
    try:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            waiting = pool.submit(fake.call, ["wait", str(shared)],
                                  cwd=str(dirs[0]), timeout=30)
            making = pool.submit(fake.call, ["make", str(shared)],
                                 cwd=str(dirs[1]), timeout=30)
            first, second = waiting.result(), making.result()
    finally:
        fake.close()
    assert (first.returncode, first.stdout) == (0, f"wait {shared}\n")
    assert (second.returncode, second.stdout) == (0, f"make {shared}\n")


def test_each_caller_gets_its_own_answer(tmp_path, no_root, monkeypatch):
    monkeypatch.setattr(external, "session_limit", lambda: 3)
    fake = session(tmp_path, REVERSED)
    try:
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            calls = {word: pool.submit(fake.call, [word],
                                       cwd=str(tmp_path), timeout=30)
                     for word in ("one", "two", "three")}
            answers = {word: c.result().stdout for word, c in calls.items()}
    finally:
        fake.close()
    assert answers == {"one": "one", "two": "two", "three": "three"}


def test_a_command_reading_standard_input_gets_nothing(tmp_path, no_root):
    """Standard input is the session's requests, never a command's."""
    driver = os.path.dirname(_pacemaker.SESSION_DRIVER)
    reader = textwrap.dedent(f"""\
        import sys
        sys.path.insert(0, {driver!r})
        import _tool_session

        def run(argv):
            print(repr(sys.stdin.read()))

        _tool_session.TOOLS["fake"] = lambda: run
        sys.argv[1:] = ["fake"]
        _tool_session.main()
        """)
    fake = session(tmp_path, reader)
    try:
        answer = fake.call(["read"], cwd=str(tmp_path), timeout=30)
    finally:
        fake.close()
    assert answer.stdout == "''\n"


def test_a_garbled_answer_breaks_the_session(tmp_path, no_root):
    fake = session(tmp_path, "import sys\nsys.stdin.readline()\n"
                             "print('not json', flush=True)\n"
                             "sys.stdin.read()\n")
    try:
        with pytest.raises(external.ExternalToolError, match="answered"):
            fake.call(["x"], cwd=str(tmp_path), timeout=30)
        assert fake.broken
        with pytest.raises(external.ExternalToolError, match="stopped"):
            fake.call(["y"], cwd=str(tmp_path), timeout=30)
    finally:
        fake.close()
